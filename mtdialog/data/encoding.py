"""Task examples -> model inputs: the token layout of a dialogue and the long-session policies.

Layout of one encoder sequence::

    [CLS] [KB] category；attribute:value；... [SEP]  [Q] text... [IMG] [A] text... [Q] [IMG] [IMG] ...

The knowledge base of the session's product (capped at ``max_kb_tokens``; no ``[KB]`` part when the
product has none) comes first, then every turn as its speaker token, its text (capped at
``max_turn_tokens``, keeping the start) and one ``[IMG]`` slot per image (``g*g`` slots with grid
features). A text EDU spans its text tokens; an image EDU spans its slots.

Long sessions (more than ``max_source_length`` tokens):

- ``response``, ``rewrite``, ``rewritable``, ``image_category`` keep the most recent context: the KB
  is cut first (down to nothing), then whole turns are dropped from the left; the turn being
  answered, rewritten or judged is always kept.
- ``discourse`` and ``summary`` cover every EDU: the turns are split into windows of whole turns
  that each fit (after the KB prefix) and overlap by ``window_overlap_turns`` turns. Every turn is
  *owned* by the window in which it has the most context on both sides, and the example's memory is
  the first window's prefix followed by each turn's tokens from its owner window
  (``memory_index``), so every EDU is represented exactly once, with context from its window.

:class:`SessionEncoder` turns one task example (``mtdialog.data.tasks``) into an *item*: a dict of
token rows, image tensors, memory positions and task fields; ``mtdialog.data.batching.collate``
pads items into tensors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from transformers import PreTrainedTokenizerBase

from mtdialog.data.images import open_image
from mtdialog.data.native import Corpus, KBEntry
from mtdialog.data.schema import DataError, Session, Turn
from mtdialog.data.tokenizer import kb_text
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.vision import FeatureCache, ImageLoader, image_transform

SPEAKER_IDS = {"Q": 0, "A": 1}


def directory_image_loader(root: str | Path) -> ImageLoader:
    """Images as ``<root>/<image id>.<any extension>``; a missing or unreadable file is a DataError."""
    root = Path(root)

    def load(image_id: str) -> Image.Image:
        matches = sorted(root.glob(f"{image_id}.*"))
        if not matches:
            raise DataError(f"image {image_id!r} has no file", path=str(root), field="image")
        return open_image(matches[0])

    return load


def corpus_image_loader(corpus: Corpus) -> ImageLoader:
    """Images of a native corpus (honours the corpus's placeholder mode for missing files)."""
    from mtdialog.data.images import load_image

    return lambda image_id: load_image(corpus, image_id)


@dataclass
class Segment:
    """One turn laid out as tokens: ``[Q]/[A]``, text, image slots; spans are relative to the segment."""

    ids: list[int]
    speaker: int
    text_span: tuple[int, int] | None
    image_spans: list[tuple[int, int]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def shift(self, offset: int) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
        """Text span and image spans moved by ``offset``."""
        text = None if self.text_span is None else (self.text_span[0] + offset, self.text_span[1] + offset)
        return text, [(s + offset, e + offset) for s, e in self.image_spans]


@dataclass
class Layout:
    """Encoder rows of one example and where each kept turn lies in the example's memory.

    ``memory`` is ``None`` when the memory is the single row itself; ``turn_offsets[t]`` is the memory
    position of turn ``t``'s first token (turns that were cut away are absent).
    """

    rows: list[list[int]]
    images: list[str]
    memory: list[tuple[int, int]] | None
    segments: dict[int, Segment]
    turn_offsets: dict[int, int]

    def turn_span(self, turn: int) -> tuple[int, int]:
        start = self.turn_offsets[turn]
        return start, start + len(self.segments[turn].ids)

    def edus(self) -> tuple[list[tuple[int, int]], list[int]]:
        """Memory spans and speaker ids of the EDUs of the kept turns, in ``Session.edus()`` order."""
        spans, speakers = [], []
        for turn in sorted(self.turn_offsets):
            segment = self.segments[turn]
            text, images = segment.shift(self.turn_offsets[turn])
            for span in ([text] if text is not None else []) + images:
                spans.append(span)
                speakers.append(segment.speaker)
        return spans, speakers


class SessionEncoder:
    """Encodes task examples for a model: tokenizer + model config + KB + images.

    ``kb``: product id -> :class:`KBEntry`. Images come from ``feature_cache`` (frozen backbone, as
    ``image_features``) or from ``image_loader`` (as ``pixel_values``, transformed as the checkpoint's
    timm data config says); a text-only model loads none.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, config: MTDialogConfig, *,
                 kb: dict[str, KBEntry] | None = None, image_loader: ImageLoader | None = None,
                 feature_cache: FeatureCache | None = None):
        self.tokenizer, self.config = tokenizer, config
        self.kb = kb or {}
        self.image_loader, self.feature_cache = image_loader, feature_cache
        self._transform = None
        token = config.token_id
        self.cls, self.sep = tokenizer.cls_token_id, tokenizer.sep_token_id
        self.pad, self.eos = tokenizer.pad_token_id, tokenizer.eos_token_id
        self.image, self.kb_token = token("[IMG]"), token("[KB]")
        self.speakers = {"Q": token("[Q]"), "A": token("[A]")}
        self.slots = config.visual_tokens_per_image
        self.relation_ids = {label: i for i, label in enumerate(config.relation_labels)}
        self.category_ids = {label: i for i, label in enumerate(config.image_categories)}

    @classmethod
    def for_model(cls, model, tokenizer: PreTrainedTokenizerBase, *, kb: dict[str, KBEntry] | None = None,
                  image_loader: ImageLoader | None = None, feature_cache_dir: str | Path | None = None,
                  sessions: Iterable[Session] = (), progress: bool = False) -> SessionEncoder:
        """An encoder for ``model``; with ``feature_cache_dir`` and a frozen backbone, the features of
        every image of ``sessions`` are computed once (or found on disk) and batches carry them."""
        cache = None
        if feature_cache_dir is not None and not model.text_only and model.config.vision_freeze:
            if image_loader is None:
                raise ValueError("a feature cache needs an image_loader to compute missing features")
            cache = FeatureCache(feature_cache_dir, model.encoder.vision)
            cache.ensure((i for s in sessions for i in s.image_ids()), image_loader, progress=progress)
        return cls(tokenizer, model.config, kb=kb, image_loader=image_loader, feature_cache=cache)

    # --------------------------------------------------------------------------------- tokens
    def _tokenize(self, texts: list[str]) -> list[list[int]]:
        if not texts:
            return []
        return self.tokenizer(texts, add_special_tokens=False, split_special_tokens=True)["input_ids"]

    def segments(self, turns: list[Turn]) -> list[Segment]:
        """Token layout of each turn."""
        texts = iter(self._tokenize([t.text for t in turns if t.text]))
        out = []
        for turn in turns:
            text = next(texts)[: self.config.max_turn_tokens] if turn.text else []
            ids = [self.speakers[turn.speaker]] + text
            spans = []
            for _ in turn.images:
                spans.append((len(ids), len(ids) + self.slots))
                ids += [self.image] * self.slots
            out.append(Segment(ids, SPEAKER_IDS[turn.speaker], (1, 1 + len(text)) if text else None, spans,
                               list(turn.images)))
        return out

    def kb_ids(self, session: Session) -> list[int]:
        entry = self.kb.get(session.product_id) if session.product_id else None
        return self._tokenize([kb_text(entry)])[0][: self.config.max_kb_tokens] if entry else []

    def prefix(self, kb: list[int]) -> list[int]:
        return [self.cls] + ([self.kb_token] + kb if kb else []) + [self.sep]

    # --------------------------------------------------------------------------------- policies
    def recent(self, session: Session, turns: list[Turn]) -> Layout:
        """Most recent context: cut the KB first, then drop whole turns from the left."""
        segments = self.segments(turns)
        kb = self.kb_ids(session)
        budget = self.config.max_source_length
        lengths = [len(s.ids) for s in segments]
        first = 0
        excess = len(self.prefix(kb)) + sum(lengths) - budget
        if excess > 0:
            kb = kb[: max(0, len(kb) - excess)]
        while len(self.prefix(kb)) + sum(lengths[first:]) > budget and first < len(segments) - 1:
            first += 1
        prefix = self.prefix(kb)
        if len(prefix) + sum(lengths[first:]) > budget:
            raise DataError(f"turn {len(turns) - 1} alone needs {lengths[-1]} tokens, more than max_source_length "
                            f"({budget}) allows", field=f"{session.session_id}.turns")
        row, offsets, images = list(prefix), {}, []
        for t in range(first, len(segments)):
            offsets[t] = len(row)
            row += segments[t].ids
            images += segments[t].images
        return Layout([row], images, None, dict(enumerate(segments)), offsets)

    def windows(self, session: Session) -> Layout:
        """Every turn, in overlapping windows of whole turns when the session is too long."""
        segments = self.segments(session.turns)
        prefix = self.prefix(self.kb_ids(session))
        budget = self.config.max_source_length - len(prefix)
        for t, segment in enumerate(segments):
            if len(segment.ids) > budget:
                raise DataError(f"turn {t} needs {len(segment.ids)} tokens, more than a window holds ({budget})",
                                field=f"{session.session_id}.turns")
        spans = plan_windows([len(s.ids) for s in segments], budget, self.config.window_overlap_turns)
        rows, images, starts = [], [], []
        for start, end in spans:
            row, row_starts = list(prefix), {}
            for t in range(start, end):
                row_starts[t] = len(row)
                row += segments[t].ids
                images += segments[t].images
            rows.append(row)
            starts.append(row_starts)
        memory = [(0, p) for p in range(len(prefix))]
        offsets = {}
        for t, segment in enumerate(segments):
            w = owner_window(t, spans, len(segments))
            offsets[t] = len(memory)
            memory += [(w, starts[w][t] + k) for k in range(len(segment.ids))]
        return Layout(rows, images, memory, dict(enumerate(segments)), offsets)

    # --------------------------------------------------------------------------------- examples
    def encode(self, task: str, example: Any, *, with_targets: bool = True) -> dict[str, Any]:
        """One item of ``task`` for ``example`` (a ``mtdialog.data.tasks`` example); without targets for
        prediction."""
        session = example.session
        if task in ("discourse", "summary"):
            layout = self.windows(session)
        else:
            layout = self.recent(session, example.context if task != "image_category"
                                 else session.turns[: example.turn + 1])
        item: dict[str, Any] = {"task": task, "rows": layout.rows, "memory": layout.memory,
                                "pad_token_id": self.pad, **self.image_inputs(layout.images)}
        if task in ("response", "rewrite", "summary"):
            if with_targets:
                limit = self.config.max_summary_length if task == "summary" else self.config.max_target_length
                item["target"] = self._tokenize([example.target])[0][:limit] if example.target else []
                item["prompt"] = self.config.token_id(self.config.task_prompts[task])
                item["eos_token_id"] = self.eos
        elif task == "rewritable":
            item["turn_span"] = layout.turn_span(example.turn)
            if with_targets:
                item["label"] = int(example.rewritable)
        elif task == "image_category":
            turn = example.turn
            index = session.turns[turn].images.index(example.image)
            start = layout.turn_offsets[turn]
            s, e = layout.segments[turn].image_spans[index]
            item["image_span"] = (start + s, start + e)
            if with_targets:
                item["label"] = self._label(self.category_ids, example.target, session,
                                            f"annotations.image_categories.{example.image}")
        elif task == "discourse":
            item["edu_spans"], item["edu_speakers"] = layout.edus()
            if with_targets:
                heads: list[list[tuple[int, int]]] = [[] for _ in item["edu_spans"]]
                for i, r in enumerate(example.relations):
                    label = self._label(self.relation_ids, r.type, session,
                                        f"annotations.discourse.relations[{i}].type")
                    heads[r.y].append((r.x + 1, label))
                item["heads"] = heads
        else:
            raise ValueError(f"unknown task {task!r}")
        return item

    def _label(self, ids: dict[str, int], label: str, session: Session, where: str) -> int:
        if label not in ids:
            raise DataError(f"label {label!r} is not in the model's label set", field=f"{session.session_id}: {where}")
        return ids[label]

    def image_inputs(self, image_ids: list[str]) -> dict[str, torch.Tensor]:
        """``image_features (N, T, F)`` from the cache or ``pixel_values (N, 3, h, w)``; nothing for a
        text-only model.

        An example without images gets an empty tensor of the same kind (``N = 0``): every batch of a
        multimodal model then runs the same visual modules, so data-parallel processes compute the same
        gradients in the same order whatever images their batches hold (DeepSpeed ZeRO needs that).
        """
        if self.config.text_only:
            return {}
        if self.feature_cache is not None:
            if not image_ids:
                return {"image_features": torch.zeros(0, self.slots, self.config.vision_num_features)}
            return {"image_features": torch.stack([self.feature_cache.get(i) for i in image_ids])}
        if self._transform is None:
            self._transform = image_transform(self.config)
        if not image_ids:
            return {"pixel_values": torch.zeros(0, *self.config.vision_data_config["input_size"])}
        if self.image_loader is None:
            raise ValueError("the example has images but the encoder has no image_loader")
        return {"pixel_values": torch.stack([self._transform(self.image_loader(i)) for i in image_ids])}


def plan_windows(lengths: list[int], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Windows ``[start, end)`` of whole turns, each at most ``budget`` tokens, covering every turn;
    consecutive windows share up to ``overlap`` turns (always advancing by at least one turn)."""
    windows, start = [], 0
    while True:
        end, used = start, 0
        while end < len(lengths) and used + lengths[end] <= budget:
            used += lengths[end]
            end += 1
        windows.append((start, end))
        if end >= len(lengths):
            return windows
        start = max(start + 1, end - overlap)


def owner_window(turn: int, windows: list[tuple[int, int]], n_turns: int) -> int:
    """The window holding ``turn`` with the most context on its closer side (earliest on ties); a
    window edge at the session's start or end cuts no context."""
    best, best_margin = -1, -1
    for w, (start, end) in enumerate(windows):
        if not start <= turn < end:
            continue
        left = turn - start if start > 0 else n_turns
        right = end - 1 - turn if end < n_turns else n_turns
        if min(left, right) > best_margin:
            best, best_margin = w, min(left, right)
    return best


__all__ = [
    "SPEAKER_IDS",
    "Layout",
    "Segment",
    "SessionEncoder",
    "corpus_image_loader",
    "directory_image_loader",
    "owner_window",
    "plan_windows",
]
