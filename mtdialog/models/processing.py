"""The processor beside the model: task examples -> encoder items -> batches (and images -> tensors).

:class:`MTDialogProcessor` holds what turns a session into model inputs: the tokenizer, the model
config (special token ids, length caps, image preprocessing), the knowledge base and the images (an
image loader, or the frozen backbone's feature cache). ``encode(task, example)`` lays the example's
dialogue out as token rows and asks the task for its fields; ``collate(items)`` pads one task's
items into the tensors the model takes.

Layout of one encoder sequence::

    [CLS] [KB] category；attribute:value；... [SEP]  [Q] text... [IMG] [A] text... [Q] [IMG] [IMG] ...

The knowledge base of the session's product (capped at ``max_kb_tokens``; no ``[KB]`` part when the
product has none) comes first, then every turn as its speaker token, its text (capped at
``max_turn_tokens``, keeping the start) and one ``[IMG]`` slot per image (``g*g`` slots with grid
features). A text EDU spans its text tokens; an image EDU spans its slots.

Long sessions (more than ``max_source_length`` tokens):

- most tasks keep the example's most recent context (``recent``): the KB is cut first (down to
  nothing), then whole turns are dropped from the left; the turn being answered, rewritten or
  judged is always kept.
- tasks over the whole session (``Task.whole_session``: discourse, summary) cover every EDU
  (``windows``): the turns are split into windows of whole turns that each fit (after the KB prefix)
  and overlap by ``window_overlap_turns`` turns. Every turn is *owned* by the window in which it has
  the most context on both sides, and the example's memory is the first window's prefix followed by
  each turn's tokens from its owner window (``memory_index``), so every EDU is represented exactly
  once, with context from its window.

A batch (``collate``) holds::

    task                                    the task's name
    input_ids, attention_mask (R, L)        encoder rows (R = B, or more for windowed sessions)
    pixel_values (N, 3, h, w) | image_features (N, T, F)      images in [IMG] order (multimodal; N may be 0)
    memory_index, memory_mask (B, M)        whole-session tasks: each example's memory in the rows
    ...                                     the task's own fields (``Task.collate``)

Items encoded without targets (prediction) give the same batch without labels.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset
from transformers import PreTrainedTokenizerBase

from mtdialog.data.images import ImageLoader
from mtdialog.data.native import KBEntry
from mtdialog.data.schema import DataError, Session, Turn
from mtdialog.models.configuration import MTDialogConfig
from mtdialog.models.tokenization import kb_text
from mtdialog.models.vision import FeatureCache, image_transform
from mtdialog.tasks import Task, get_task
from mtdialog.tasks.base import pad

SPEAKER_IDS = {"Q": 0, "A": 1}
#: Texts are cut to this many characters per token they may keep before they are tokenized, so that a
#: huge turn or knowledge-base entry costs no more than a normal one (every tokenizer here yields at
#: least one token per four characters, so what is kept is the same).
CHARS_PER_TOKEN = 4
#: Texts whose token ids the processor keeps (then it starts again): more than a batch of sessions has.
TOKENIZED_KEPT = 20_000


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


class MTDialogProcessor:
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
        #: ``(session id, turn)`` of every turn whose text was cut (to ``max_turn_tokens``, or to fit a window).
        self.truncated_turns: set[tuple[str, int]] = set()
        self._tokens: dict[str, list[int]] = {}  # text -> token ids, the latest TOKENIZED_KEPT texts

    # --------------------------------------------------------------------------------- tokens
    def tokenize(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text, special-token strings typed in the text kept as characters. The
        latest texts' ids are kept: a session's turns are tokenized once for all its examples."""
        new = list(dict.fromkeys(t for t in texts if t not in self._tokens))
        if new:
            if len(self._tokens) + len(new) > TOKENIZED_KEPT:  # start again, keeping none of the old texts
                self._tokens.clear()
                new = list(dict.fromkeys(texts))
            ids = self.tokenizer(new, add_special_tokens=False, split_special_tokens=True)["input_ids"]
            self._tokens.update(zip(new, ids))
        return [list(self._tokens[t]) for t in texts]

    def segments(self, session: Session, turns: list[Turn]) -> list[Segment]:
        """Token layout of each of ``turns`` (the session's first turns); a text longer than
        ``max_turn_tokens`` keeps its start (and is counted in ``truncated_turns``)."""
        cap = self.config.max_turn_tokens
        texts = iter(self.tokenize([t.text[: CHARS_PER_TOKEN * cap] for t in turns if t.text]))
        out = []
        for index, turn in enumerate(turns):
            text = next(texts) if turn.text else []
            if len(text) > cap:
                self.truncated_turns.add((session.session_id, index))
            out.append(self._segment(turn, text[:cap]))
        return out

    def _segment(self, turn: Turn, text: list[int]) -> Segment:
        ids = [self.speakers[turn.speaker]] + text
        spans = []
        for _ in turn.images:
            spans.append((len(ids), len(ids) + self.slots))
            ids += [self.image] * self.slots
        return Segment(ids, SPEAKER_IDS[turn.speaker], (1, 1 + len(text)) if text else None, spans, list(turn.images))

    def _fit(self, session: Session, index: int, segment: Segment, budget: int) -> Segment:
        """``segment`` cut to ``budget`` tokens by shortening its text (its speaker and images stay)."""
        if len(segment.ids) <= budget:
            return segment
        turn = session.turns[index]
        fixed = 1 + self.slots * len(turn.images)
        if fixed > budget:
            raise DataError(f"turn {index} has {len(turn.images)} images ({fixed - 1} image tokens), more than "
                            f"the {budget} tokens an encoder row holds after the knowledge base",
                            field=f"{session.session_id}.turns[{index}].images")
        self.truncated_turns.add((session.session_id, index))
        text = segment.ids[1: 1 + (segment.text_span[1] - 1 if segment.text_span else 0)]
        return self._segment(turn, text[: budget - fixed])

    def kb_ids(self, session: Session) -> list[int]:
        entry = self.kb.get(session.product_id) if session.product_id else None
        if entry is None:
            return []
        cap = self.config.max_kb_tokens
        return self.tokenize([kb_text(entry)[: CHARS_PER_TOKEN * cap]])[0][:cap]

    def prefix(self, kb: list[int]) -> list[int]:
        return [self.cls] + ([self.kb_token] + kb if kb else []) + [self.sep]

    # --------------------------------------------------------------------------------- policies
    def recent(self, session: Session, turns: list[Turn]) -> Layout:
        """Most recent context: cut the KB first, then drop whole turns from the left (a last turn that
        does not fit alone has its text cut)."""
        segments = self.segments(session, turns)
        segments[-1] = self._fit(session, len(turns) - 1, segments[-1], self.config.max_source_length - 2)
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
        row, offsets, images = list(prefix), {}, []
        for t in range(first, len(segments)):
            offsets[t] = len(row)
            row += segments[t].ids
            images += segments[t].images
        return Layout([row], images, None, dict(enumerate(segments)), offsets)

    def windows(self, session: Session) -> Layout:
        """Every turn, in overlapping windows of whole turns when the session is too long (a turn that
        does not fit a window alone has its text cut)."""
        # the knowledge base takes at most half of a window
        prefix = self.prefix(self.kb_ids(session)[: max(0, self.config.max_source_length // 2 - 3)])
        budget = self.config.max_source_length - len(prefix)
        segments = [self._fit(session, t, segment, budget)
                    for t, segment in enumerate(self.segments(session, session.turns))]
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
    def layout(self, task: Task, example: Any) -> Layout:
        """The example's token layout: every EDU of its session (``task.whole_session``), else its
        most recent context (``example.context``). A session beyond the size limits (one made in Python:
        readers refuse them) is a DataError naming it."""
        try:
            example.session.check_size()
        except DataError as e:
            raise DataError(e.message, field=f"{example.session.session_id}.{e.field}") from None
        return self.windows(example.session) if task.whole_session else self.recent(example.session, example.context)

    def encode(self, task: str | Task, example: Any, *, with_targets: bool = True,
               with_images: bool = True) -> dict[str, Any]:
        """One item of ``task`` for ``example`` (one of ``task.examples``); without targets for prediction.
        ``images`` lists the ids of its ``[IMG]`` slots; ``with_images=False`` leaves their tensors out
        (for a caller that computes each image's features once: ``mtdialog.shared_encoding``)."""
        task = get_task(task)
        layout = self.layout(task, example)
        item: dict[str, Any] = {"task": task.name, "rows": layout.rows, "memory": layout.memory,
                                "images": layout.images, "pad_token_id": self.pad,
                                **(self.image_inputs(layout.images) if with_images else {})}
        item.update(task.encode(example, layout, self, with_targets=with_targets))
        return item

    def collate(self, items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """Pad items of one task into a model batch (see the module docstring)."""
        return collate(items)

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
        return {"pixel_values": self.pixel_values(image_ids)}

    def pixel_values(self, image_ids: list[str]) -> torch.Tensor:
        """The images, loaded and transformed as the checkpoint's timm data config says: ``(N, 3, h, w)``."""
        if self._transform is None:
            self._transform = image_transform(self.config)
        if not image_ids:
            return torch.zeros(0, *self.config.vision_data_config["input_size"])
        if self.image_loader is None:
            raise ValueError("the example has images but the processor has no image_loader")
        return torch.stack([self._transform(self.image_loader(i)) for i in image_ids])


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


def collate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pad items of one task (from :meth:`MTDialogProcessor.encode`) into a model batch."""
    task = get_task(items[0]["task"])
    if any(item["task"] != task.name for item in items):
        raise ValueError(f"a batch mixes tasks: {sorted({item['task'] for item in items})}")
    return {"task": task.name, **collate_encoder(items), **task.collate(items)}


def collate_encoder(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The encoder inputs of items (of any tasks): rows, image tensors, and each example's memory when
    the first item is windowed (then every item must carry ``memory``)."""
    rows = [row for item in items for row in item["rows"]]
    input_ids = pad(rows, items[0]["pad_token_id"])
    batch: dict[str, Any] = {"input_ids": input_ids, "attention_mask": pad([[1] * len(r) for r in rows], 0)}
    for key in ("pixel_values", "image_features"):
        tensors = [item[key] for item in items if key in item]
        if tensors:
            batch[key] = torch.cat(tensors)
    if "pixel_values" in batch and "image_features" in batch:
        raise ValueError("a batch mixes pixel_values and cached image_features")
    if items[0]["memory"] is not None:
        batch.update(_memory(items, input_ids.shape[1]))
    return batch


def _memory(items: Sequence[dict[str, Any]], row_length: int) -> dict[str, torch.Tensor]:
    """Flat indices into the padded ``(R, L)`` rows of each example's memory slots."""
    indices, first_row = [], 0
    for item in items:
        indices.append([(first_row + r) * row_length + p for r, p in item["memory"]])
        first_row += len(item["rows"])
    return {"memory_index": pad(indices, 0), "memory_mask": pad([[1] * len(i) for i in indices], 0)}


class TaskDataset(Dataset):
    """The examples of one task in ``sessions`` (``Task.all_examples`` order), encoded by ``processor``
    when accessed; ``with_targets=False`` encodes them without labels.

    It keeps where each example is (its session and its place among the session's examples), not the
    examples, so ``sessions`` may be a :class:`~mtdialog.data.session_index.SessionIndex` reading them
    from disk. ``positions`` (from :class:`ExamplePositions`) saves the pass over ``sessions`` that
    finds them.
    """

    def __init__(self, task: str | Task, processor: MTDialogProcessor, *, sessions: Sequence[Session],
                 positions: np.ndarray | None = None, with_targets: bool = True):
        self.task, self.processor, self.with_targets = get_task(task), processor, with_targets
        self.sessions = sessions
        if positions is None:
            found = ExamplePositions([self.task])
            for i, session in enumerate(sessions):
                found.add(i, session)
            positions = found.arrays()[self.task.name]
        self.positions = positions

    def __len__(self) -> int:
        return len(self.positions)

    def example(self, index: int) -> Any:
        """The ``index``-th example (one of ``task.examples``)."""
        session, place = (int(v) for v in self.positions[index])
        return next(itertools.islice(self.task.examples(self.sessions[session]), place, None))

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.processor.encode(self.task, self.example(index), with_targets=self.with_targets)


class ExamplePositions:
    """``(session, place)`` of every example of each task, gathered session by session (``add``) in one
    pass, as ``int32`` pairs: 8 bytes an example, whatever the corpus size. ``left_out`` counts the
    sessions each task does not apply to (``Task.applies_to``)."""

    def __init__(self, tasks: Sequence[str | Task]):
        self.tasks = [get_task(t) for t in tasks]
        self._pairs = {task.name: array("i") for task in self.tasks}
        self.left_out = dict.fromkeys(self._pairs, 0)

    def add(self, index: int, session: Session) -> None:
        for task in self.tasks:
            if not task.applies_to(session):
                self.left_out[task.name] += 1
                continue
            pairs = self._pairs[task.name]
            for place, _ in enumerate(task.examples(session)):
                pairs.extend((index, place))

    def arrays(self) -> dict[str, np.ndarray]:
        """Each task's positions, ``(examples, 2)``."""
        return {name: np.frombuffer(pairs, dtype=np.int32).reshape(-1, 2) if pairs else np.zeros((0, 2), np.int32)
                for name, pairs in self._pairs.items()}


__all__ = [
    "SPEAKER_IDS",
    "ExamplePositions",
    "Layout",
    "MTDialogProcessor",
    "Segment",
    "TaskDataset",
    "collate",
    "collate_encoder",
    "owner_window",
    "plan_windows",
]
