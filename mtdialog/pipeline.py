"""Inference with a fine-tuned checkpoint: every task's answer for new sessions.

::

    pipe = DialoguePipeline.from_pretrained("runs/tiny/best", images="corpus/images", kb=corpus.kb())
    prediction = pipe(session)            # SessionPrediction: response, rewrites, discourse, summary, images
    per_task = pipe.predict(test_sessions, tasks=("summary", "discourse"))   # Task.examples order

:meth:`DialoguePipeline.predict` answers exactly the annotated examples each task enumerates
(``Task.examples``), in that order, in the shape of the task's gold values (``bool`` for
``rewritable``, a list of :class:`Relation` for ``discourse``, text for the generation tasks, a label
for ``image_category``), as the baselines and the metrics take them. Calling the pipeline on a
session needs no annotations: each task says what it answers in a session (``Task.session_examples``:
the last customer query, every customer turn, every EDU, every image, ...) and where the answer goes
in the session's record (``Task.answer``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase

from mtdialog.data.images import ImageLoader, image_loader
from mtdialog.data.native import KBEntry
from mtdialog.data.schema import Session
from mtdialog.fileio import write_checksums
from mtdialog.models import MTDialogModel
from mtdialog.models.processing import MTDialogProcessor
from mtdialog.models.tokenization import load_checkpoint_tokenizer
from mtdialog.models.vision import FeatureCache
from mtdialog.shared_encoding import SharedEncoding, to_model
from mtdialog.tasks import Task, get_task, get_tasks


class SessionPrediction(Mapping):
    """Every answered task's answer for one session: a read-only mapping from each task's
    ``answer_field`` (``response``, ``rewrites``, ``discourse``, ``summary``, ``images``, ...) to its
    answer, also readable as attributes (``prediction.summary``)."""

    def __init__(self, session_id: str, answers: dict[str, Any]):
        self.session_id, self._answers = session_id, answers

    def __getitem__(self, key: str) -> Any:
        return self._answers[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._answers)

    def __len__(self) -> int:
        return len(self._answers)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_answers"][name]
        except KeyError:
            raise AttributeError(f"no answer {name!r} in this prediction (answers: {', '.join(self)})") from None

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SessionPrediction) and self.session_id == other.session_id
                and self._answers == other._answers)

    def __repr__(self) -> str:
        return f"SessionPrediction({self.session_id!r}, {self._answers!r})"

    def to_dict(self) -> dict[str, Any]:
        """The JSON record ``mtdialog predict`` writes: ``session_id``, then each answer."""
        return {"session_id": self.session_id, **{k: _plain(v) for k, v in self._answers.items()}}

    def render(self, session: Session, tasks: Sequence[str | Task]) -> str:
        """``session``'s turns (images as ``[图片 id]``), then each task's answers, readably."""
        lines = [f"=== session {session.session_id} (shop {session.shop}, product {session.product_id}) ==="]
        for index, turn in enumerate(session.turns):
            parts = ([turn.text] if turn.text else []) + [f"[图片 {image}]" for image in turn.images]
            lines.append(f"  [{index}] {turn.speaker}: {' '.join(parts)}")
        for task in get_tasks(tasks):
            lines += task.render(session, self._answers)
        return "\n".join(lines)


def _plain(value: Any) -> Any:
    """JSON-ready ``value``: dataclasses as dicts (their own ``to_dict`` where they have one)."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if is_dataclass(value):
        return asdict(value)
    return value


class DialoguePipeline:
    """A model, its processor (tokenizer, KB, images) and how to decode.

    ``images``: an image directory, a ``Corpus`` or any ``image_loader`` (``mtdialog.data.images``);
    ``feature_cache``: a frozen backbone's cached features (``MTDialogModel.feature_cache``), read
    instead of running the backbone on the images it holds.
    ``num_beams`` and ``generate_kwargs`` (e.g. ``{"no_repeat_ngram_size": 3}``) go to ``generate``;
    ``batch_size`` examples run at a time.
    """

    def __init__(self, model: MTDialogModel, tokenizer: PreTrainedTokenizerBase, images: Any = None, *,
                 kb: dict[str, KBEntry] | None = None, num_beams: int = 4, batch_size: int = 8,
                 generate_kwargs: dict[str, Any] | None = None, feature_cache: FeatureCache | None = None):
        loader: ImageLoader | None = images if callable(images) or images is None else image_loader(images)
        self.model, self.tokenizer = model, tokenizer
        self.processor = MTDialogProcessor(tokenizer, model.config, kb=kb, image_loader=loader,
                                           feature_cache=feature_cache)
        self.num_beams, self.batch_size = num_beams, batch_size
        self.generate_kwargs = dict(generate_kwargs or {})
        self.encoding: SharedEncoding | None = None  # the last call's shared encoder work

    @classmethod
    def from_pretrained(cls, path: str | Path, images: Any = None, **kwargs: Any) -> DialoguePipeline:
        """Load a checkpoint directory (model + tokenizer, as :meth:`save_pretrained` writes it), its
        files verified against its checksums, its tokenizer checked against the model."""
        model = MTDialogModel.from_pretrained(path)
        return cls(model, load_checkpoint_tokenizer(path, model), images, **kwargs)

    def save_pretrained(self, path: str | Path) -> None:
        """Write the checkpoint directory: config, safetensors weights, generation config, tokenizer,
        and the checksums of them all."""
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)
        write_checksums(path)

    @property
    def tasks(self) -> list[Task]:
        """The tasks the model answers, in registry order."""
        return get_tasks(self.model.config.tasks)

    # ------------------------------------------------------------------------------------ sessions
    def __call__(self, sessions: Session | Sequence[Session], tasks: Sequence[str] | None = None
                 ) -> SessionPrediction | list[SessionPrediction]:
        """Predictions for a session (or a list of sessions), without needing annotations.

        ``tasks`` (default: every task of the model) limits what is answered; a task's requirements
        (``rewrite`` needs ``rewritable``) are answered too."""
        single = isinstance(sessions, Session)
        sessions = [sessions] if single else list(sessions)
        records: list[dict[str, Any]] = [{} for _ in sessions]
        with self._inference():
            for task in self._with_requirements(tasks):
                per_session = [task.session_examples(s, record) if task.applies_to(s) else []
                               for s, record in zip(sessions, records)]
                values = iter(self._run(task, [ex for exs in per_session for ex in exs], answers=True))
                for record, examples in zip(records, per_session):
                    task.answer(record, [(ex, next(values)) for ex in examples])
        out = [SessionPrediction(s.session_id, record) for s, record in zip(sessions, records)]
        return out[0] if single else out

    def _with_requirements(self, names: Sequence[str] | None) -> list[Task]:
        chosen = {get_task(n).name for n in (names if names is not None else self.model.config.tasks)}
        missing = chosen - set(self.model.config.tasks)
        if missing:
            raise ValueError(f"the model does not answer {', '.join(sorted(missing))} "
                             f"(its tasks: {', '.join(self.model.config.tasks)})")
        todo = list(chosen)
        while todo:
            for required in get_task(todo.pop()).requires:
                if required not in chosen:
                    chosen.add(required)
                    todo.append(required)
        return get_tasks(chosen)

    def predict(self, sessions: Sequence[Session], tasks: Sequence[str] | None = None) -> dict[str, list]:
        """Predictions for the examples each task enumerates (``Task.examples``), per task, in that order."""
        sessions = list(sessions)
        chosen = get_tasks(tasks if tasks is not None else self.model.config.tasks)
        with self._inference():
            return {task.name: self._run(task, list(task.all_examples(sessions)), answers=False) for task in chosen}

    # ------------------------------------------------------------------------------------ examples
    def predict_examples(self, task: str | Task, examples: Sequence) -> list:
        """One prediction per example of ``task`` (one of ``task.examples``), in order."""
        with self._inference():
            return self._run(get_task(task), examples, answers=False)

    @contextmanager
    def _inference(self) -> Iterator[SharedEncoding]:
        """One call's context: the model in eval mode without gradients (its training mode back
        afterwards), and the encoder work its tasks share (``self.encoding``, last call's kept)."""
        self.encoding = SharedEncoding(self.model, self.processor, self.batch_size)
        with evaluating(self.model), torch.no_grad():
            yield self.encoding

    def _run(self, task: Task, examples: Sequence, *, answers: bool) -> list:
        """``task.predict`` (or ``task.answers``) over ``examples`` in batches (inside :meth:`_inference`):
        each batch gets the task's fields and the shared encoder outputs of its examples."""
        run = task.answers if answers else task.predict
        out: list = []
        for start in range(0, len(examples), self.batch_size):
            chunk = examples[start:start + self.batch_size]
            items = [self.processor.encode(task, ex, with_targets=False, with_images=False) for ex in chunk]
            batch = {"task": task.name, **to_model(task.collate(items), self.model),
                     "encoder_outputs": self.encoding.outputs(items)}
            out += run(self.model, batch, chunk, self.processor, num_beams=self.num_beams, **self.generate_kwargs)
        return out


@contextmanager
def evaluating(model: torch.nn.Module) -> Iterator[None]:
    """Eval mode inside the block, the previous mode after it (a model already in eval mode is not
    walked: ``eval()`` visits every module)."""
    was_training = model.training
    if was_training:
        model.eval()
    try:
        yield
    finally:
        if was_training:
            model.train()


__all__ = ["DialoguePipeline", "SessionPrediction", "evaluating"]
