"""Inference with a fine-tuned checkpoint: every task's answer for new sessions.

::

    pipe = DialoguePipeline.from_pretrained("checkpoints/final", image_root="corpus/images", kb=corpus.kb())
    prediction = pipe(session)            # SessionPrediction: response, rewrites, discourse, summary, images
    per_task = pipe.predict(test_sessions, tasks=("summary", "discourse"))   # task_examples order

:meth:`DialoguePipeline.predict` answers exactly the examples ``mtdialog.data.tasks.task_examples``
enumerates (the annotated ones), in that order, in the shape the baselines and ``mtdialog.metrics``
use: ``bool`` for ``rewritable``, a list of :class:`Relation` for ``discourse`` (EDUs without one are
linked to the root), text for ``response``/``rewrite``/``summary``, a category for ``image_category``.
Calling the pipeline on a session needs no annotations: it answers the last customer query, judges
and rewrites every customer turn, parses every EDU, summarises and categorises every image.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from mtdialog.data.batching import collate
from mtdialog.data.encoding import SessionEncoder, directory_image_loader
from mtdialog.data.native import KBEntry
from mtdialog.data.schema import Relation, Session
from mtdialog.data.tasks import (
    TASKS,
    DiscourseExample,
    ImageCategoryExample,
    ResponseExample,
    RewriteExample,
    SummaryExample,
    task_examples,
)
from mtdialog.models import GENERATION_TASKS, MTDialogModel
from mtdialog.models.vision import ImageLoader


@dataclass
class TurnRewrite:
    """A customer turn judged for rewriting: ``probability`` that it is rewritable, and the rewrite
    (empty when not rewritable)."""

    turn: int
    rewritable: bool
    probability: float
    text: str = ""


@dataclass
class ImagePrediction:
    turn: int
    image: str
    category: str


@dataclass
class SessionPrediction:
    """Every task's answer for one session."""

    session_id: str
    response: str | None  # to the last customer query; None when the session has none
    rewrites: list[TurnRewrite] = field(default_factory=list)
    discourse: list[Relation] = field(default_factory=list)  # one head per linked EDU; others are roots
    summary: str = ""
    images: list[ImagePrediction] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DialoguePipeline:
    """A model, its tokenizer and how to read images and the KB.

    ``num_beams`` and ``generate_kwargs`` (e.g. ``{"no_repeat_ngram_size": 3}``) go to ``generate``;
    ``batch_size`` examples run at a time.
    """

    def __init__(self, model: MTDialogModel, tokenizer: PreTrainedTokenizerBase, image_root: str | Path | None = None,
                 *, kb: dict[str, KBEntry] | None = None, image_loader: ImageLoader | None = None,
                 num_beams: int = 4, batch_size: int = 8, generate_kwargs: dict[str, Any] | None = None):
        if image_loader is None and image_root is not None:
            image_loader = directory_image_loader(image_root)
        self.model, self.tokenizer = model, tokenizer
        self.encoder = SessionEncoder(tokenizer, model.config, kb=kb, image_loader=image_loader)
        self.num_beams, self.batch_size = num_beams, batch_size
        self.generate_kwargs = dict(generate_kwargs or {})

    @classmethod
    def from_pretrained(cls, path: str | Path, image_root: str | Path | None = None, **kwargs: Any) -> DialoguePipeline:
        """Load a checkpoint directory (model + tokenizer, as :meth:`save_pretrained` writes it)."""
        return cls(MTDialogModel.from_pretrained(path), AutoTokenizer.from_pretrained(path), image_root, **kwargs)

    def save_pretrained(self, path: str | Path) -> None:
        """Write the checkpoint directory: config, safetensors weights, generation config, tokenizer."""
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)

    # ------------------------------------------------------------------------------------ sessions
    def __call__(self, sessions: Session | Sequence[Session], tasks: Sequence[str] = TASKS
                 ) -> SessionPrediction | list[SessionPrediction]:
        """Predictions for a session (or a list of sessions), without needing annotations.

        ``tasks`` limits what is predicted (``rewrite`` implies ``rewritable``); the fields of the
        other tasks keep their empty defaults (``response`` None, empty lists, ``summary`` "")."""
        unknown = [t for t in tasks if t not in TASKS]
        if unknown:
            raise ValueError(f"unknown task {unknown[0]!r} (expected one of {', '.join(TASKS)})")
        single = isinstance(sessions, Session)
        sessions = [sessions] if single else list(sessions)
        queries = [(s, last_query(s) if "response" in tasks else None) for s in sessions]
        response_examples = [ResponseExample(s, q + 1, "") for s, q in queries if q is not None]
        responses = iter(self.predict_examples("response", response_examples))
        judged = [RewriteExample(s, i, False, "") for s in sessions for i, t in enumerate(s.turns)
                  if t.speaker == "Q"] if {"rewritable", "rewrite"} & set(tasks) else []
        logits = self._logits("rewritable", judged)
        rewritable = [ex for ex, p in zip(judged, logits) if p[1] > p[0]]
        positive = set(map(id, rewritable))
        rewrites = dict(zip(map(id, rewritable), self.predict_examples(
            "rewrite", rewritable if "rewrite" in tasks else [])))
        parses = self.predict_examples("discourse", [DiscourseExample(s, s.edus(), []) for s in sessions]
                                       if "discourse" in tasks else [])
        summaries = self.predict_examples("summary", [SummaryExample(s, "") for s in sessions]
                                          if "summary" in tasks else [])
        images = [ImageCategoryExample(s, i, image, "") for s in sessions for i, t in enumerate(s.turns)
                  for image in t.images] if "image_category" in tasks else []
        categories = dict(zip(map(id, images), self.predict_examples("image_category", images)))

        out = []
        probabilities = dict(zip(map(id, judged), logits.softmax(-1)[:, 1].tolist()))
        for k, (session, query) in enumerate(queries):
            out.append(SessionPrediction(
                session.session_id, next(responses) if query is not None else None,
                [TurnRewrite(ex.turn, id(ex) in positive, probabilities[id(ex)], rewrites.get(id(ex), ""))
                 for ex in judged if ex.session is session],
                parses[k] if parses else [], summaries[k] if summaries else "",
                [ImagePrediction(ex.turn, ex.image, categories[id(ex)]) for ex in images if ex.session is session]))
        return out[0] if single else out

    def predict(self, sessions: Iterable[Session], tasks: Sequence[str] = TASKS) -> dict[str, list]:
        """Predictions for the examples ``task_examples`` enumerates, per task, in that order."""
        sessions = list(sessions)
        return {task: self.predict_examples(task, list(task_examples(task, sessions))) for task in tasks}

    # ------------------------------------------------------------------------------------ examples
    def predict_examples(self, task: str, examples: Sequence) -> list:
        """One prediction per example of ``task`` (a ``mtdialog.data.tasks`` example), in order.

        The model runs in eval mode without gradients; its training mode is restored afterwards."""
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r} (expected one of {', '.join(TASKS)})")
        with evaluating(self.model), torch.no_grad():
            return self._predict(task, examples)

    def _predict(self, task: str, examples: Sequence) -> list:
        if task == "rewritable":
            return [bool(p[1] > p[0]) for p in self._logits(task, examples)]
        out: list = []
        config = self.model.config
        for batch, chunk in self._batches(task, examples):
            if task in GENERATION_TASKS:
                ids = self.model.generate_text(batch, num_beams=self.num_beams, **self.generate_kwargs)
                out += [text.strip() for text in self.tokenizer.batch_decode(ids, skip_special_tokens=True)]
            elif task == "image_category":
                out += [config.image_categories[i] for i in self.model(**batch).logits.argmax(-1).tolist()]
            else:
                result = self.model(**batch)
                relations = result.relation_logits.argmax(-1)
                for b, example in enumerate(chunk):
                    out.append([Relation(int(head) - 1, y, config.relation_labels[int(relations[b, y])])
                                for y, head in enumerate(result.heads[b, : len(example.session.edus())]) if head > 0])
        return out

    def _logits(self, task: str, examples: Sequence) -> torch.Tensor:
        """Classifier logits of every example, concatenated ``(len(examples), num_labels)``."""
        with evaluating(self.model), torch.no_grad():
            parts = [self.model(**batch).logits.float().cpu() for batch, _ in self._batches(task, examples)]
        return torch.cat(parts) if parts else torch.zeros(0, 2)

    def _batches(self, task: str, examples: Sequence):
        device = self.model.device
        for start in range(0, len(examples), self.batch_size):
            chunk = examples[start:start + self.batch_size]
            batch = collate([self.encoder.encode(task, ex, with_targets=False) for ex in chunk])
            yield {k: v.to(device) if torch.is_tensor(v) else v for k, v in batch.items()}, chunk


@contextmanager
def evaluating(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode inside the block, the previous mode after it."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def last_query(session: Session) -> int | None:
    """Index of the session's last customer turn, or None."""
    return max((i for i, t in enumerate(session.turns) if t.speaker == "Q"), default=None)


__all__ = ["DialoguePipeline", "ImagePrediction", "SessionPrediction", "TurnRewrite", "last_query"]
