"""The task API: one object per task owns everything about it, and a registry finds it by name.

A task is what the rest of the package asks whenever something depends on which task it is,
following the data one way::

    Session --examples()--> examples --encode()/collate()--> batch --model head--> outputs
        --predict()--> predictions --score()--> metrics --table()--> the paper's table

plus its gold value (``gold``), the model head that answers it (``build_head``; ``None`` for
generation tasks, which the shared decoder answers after the task's prompt token), how it answers a
session without annotations (``session_examples`` / ``answer`` / ``render``), its prediction file
format (``file_lines`` / ``read_file``) and its non-neural baselines (``baselines``).

Three kinds cover the built-in tasks and are the starting points for new ones:
:class:`GenerationTask` (a text written by the shared decoder), :class:`SpanLabelTask` (a label
for one span of the encoder memory: a turn, an image, the whole dialogue) and the discourse task's
EDU linking (``mtdialog.tasks.discourse``). A task class is registered with :func:`register_task`;
``docs/tasks.md`` walks through adding one.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import re
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from mtdialog.data.schema import ROLES, Session, Turn
from mtdialog.errors import ConfigError, DataError
from mtdialog.fileio import atomic_write
from mtdialog.metrics import classification
from mtdialog.metrics.files import Scored, read_labels, read_lines
from mtdialog.metrics.tables import format_table

if TYPE_CHECKING:  # torch is imported where tensors are made, so that the registry loads fast (CLI help)
    import torch
    from torch import nn

    from mtdialog.data.native import Corpus
    from mtdialog.models.configuration import MTDialogConfig
    from mtdialog.models.processing import Layout, MTDialogProcessor

#: Entry-point group through which an installed package registers its tasks (see docs/tasks.md).
ENTRY_POINT_GROUP = "mtdialog.tasks"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")  # what str.splitlines() splits at


class Predictor(Protocol):
    """A fitted baseline: one prediction per example, in order."""

    def predict(self, examples: Sequence) -> list[Any]: ...


#: ``fit(task, train_sessions) -> predictor``: how a baseline is fitted on the train split.
BaselineFit = Callable[["Task", Sequence[Session]], Predictor]


@dataclass
class TurnExample:
    """An example about one turn of a session; its context is every turn up to and including it."""

    session: Session
    turn: int

    @property
    def context(self) -> list[Turn]:
        return self.session.turns[: self.turn + 1]


@dataclass
class SessionExample:
    """An example about a whole session (``target``: its gold value); its context is every turn."""

    session: Session
    target: Any

    @property
    def context(self) -> list[Turn]:
        return self.session.turns


def _accepted(method: Callable[..., Any], options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The keyword ``options`` that ``method`` takes (all of them when it takes ``**options``)."""
    import inspect

    parameters = inspect.signature(method).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return dict(options or {})
    names = {p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    return {k: v for k, v in (options or {}).items() if k in names}


def one_line(text: str) -> str:
    """``text`` with every line break replaced by a space, so that one example is one line of a file."""
    return _LINE_BREAKS.sub(" ", text)


def pad(sequences: Sequence[Sequence[int]], value: int) -> torch.Tensor:
    """Right-pad integer sequences into a ``(len(sequences), longest)`` long tensor."""
    import torch

    out = torch.full((len(sequences), max(map(len, sequences), default=0)), value, dtype=torch.long)
    for i, seq in enumerate(sequences):
        out[i, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
    return out


class Task(ABC):
    """Everything about one task. Subclasses set the class attributes and implement the abstract
    methods (marked *required*); :class:`GenerationTask` and :class:`SpanLabelTask` implement most of them."""

    #: The task's one name: recipe key, command-line choice, batch ``"task"``, table and JSON key.
    name: ClassVar[str]
    #: Where a session keeps this task's gold (named in errors, e.g. ``annotations.summary``).
    annotation: ClassVar[str]
    #: Title of its score table and its ``(column header, metric key)`` pairs, in the paper's layout.
    title: ClassVar[str]
    columns: ClassVar[tuple[tuple[str, str], ...]]
    #: The metric of the combined score (mean over tasks) that picks the best checkpoint.
    headline: ClassVar[str]
    #: Encoded over every EDU of the session (in windows), instead of the example's recent context.
    whole_session: ClassVar[bool] = False
    #: Tasks whose answers its ``session_examples`` read (they are answered first).
    requires: ClassVar[tuple[str, ...]] = ()
    #: Non-neural baselines by method name (``mtdialog baseline TASK-METHOD``).
    baselines: ClassVar[Mapping[str, BaselineFit]] = {}
    #: About customers and agents: sessions of another kind of dialogue (``Session.roles == "other"``)
    #: are left out of its examples and answers.
    needs_roles: ClassVar[bool] = False

    @property
    def answer_field(self) -> str:
        """Key of its answers in a session's prediction record (``mtdialog predict`` output); a task
        sets it as a class attribute when it is not the task's name."""
        return self.name

    # ------------------------------------------------------------------------------------- examples
    @abstractmethod
    def examples(self, session: Session) -> Iterator[Any]:
        """*Required.* The annotated examples of ``session``, in turn order: what is trained and scored."""

    def gold(self, example: Any) -> Any:
        """The gold value of an example (what a prediction is compared with)."""
        return example.target

    def applies_to(self, session: Session) -> bool:
        """Whether the task is about ``session`` (see :attr:`needs_roles`)."""
        return not self.needs_roles or session.roles == ROLES[0]

    def left_out(self, sessions: Iterable[Session]) -> int:
        """How many of ``sessions`` the task leaves out (their speakers are not a customer and an agent)."""
        return sum(not self.applies_to(s) for s in sessions)

    def all_examples(self, sessions: Iterable[Session]) -> Iterator[Any]:
        """The examples of every session it applies to, in session order then turn order."""
        for session in sessions:
            if self.applies_to(session):
                yield from self.examples(session)

    def training_examples(self, sessions: Iterable[Session]) -> list[Any]:
        """The examples of the training sessions; a :class:`DataError` naming the field when there are none."""
        examples = list(self.all_examples(sessions))
        if not examples:
            raise DataError(f"no {self.name} examples to fit on", field=self.annotation)
        return examples

    # ----------------------------------------------------------------------- sessions without gold
    @abstractmethod
    def session_examples(self, session: Session, record: Mapping[str, Any]) -> list[Any]:
        """*Required.* What to answer for a session that need not be annotated; ``record`` holds the
        answers of the tasks this one ``requires``."""

    def answer(self, record: dict[str, Any], pairs: list[tuple[Any, Any]]) -> None:
        """Put the answers ``[(example, value)]`` of one session into its prediction record."""
        record[self.answer_field] = [value for _, value in pairs]

    def render(self, session: Session, record: Mapping[str, Any]) -> list[str]:
        """Readable lines of this task's answers for ``mtdialog predict --show``."""
        return [f"{self.answer_field}: {record.get(self.answer_field)}"]

    # ---------------------------------------------------------------------------------------- model
    def configure(self, config: MTDialogConfig, corpus: Corpus) -> None:
        """Record in ``config`` what the task's head needs from the corpus (e.g. its labels) when a model
        is built; a checkpoint then carries it."""

    @abstractmethod
    def build_head(self, config: MTDialogConfig) -> nn.Module | None:
        """*Required.* The head answering this task: ``head(memory (B, M, H), labels=None, **batch fields)``
        returning an ``MTDialogOutput``; ``None`` when the shared decoder answers it."""

    @abstractmethod
    def encode(self, example: Any, layout: Layout, processor: MTDialogProcessor, *,
               with_targets: bool) -> dict[str, Any]:
        """*Required.* The task's fields of one item (spans into ``layout``'s memory, targets)."""

    @abstractmethod
    def collate(self, items: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """*Required.* The task's tensors of a batch of items (what its head takes)."""

    @abstractmethod
    def predict(self, model: nn.Module, batch: dict[str, Any], examples: Sequence, processor: MTDialogProcessor,
                **generate_kwargs: Any) -> list[Any]:
        """*Required.* One prediction per example of a batch (in the shape ``gold`` has)."""

    def answers(self, model: nn.Module, batch: dict[str, Any], examples: Sequence, processor: MTDialogProcessor,
                **generate_kwargs: Any) -> list[Any]:
        """The values ``answer`` records for a batch of session examples (default: the predictions)."""
        return self.predict(model, batch, examples, processor, **generate_kwargs)

    # ------------------------------------------------------------------------------------- metrics
    @abstractmethod
    def score(self, predictions: Sequence[Any], examples: Sequence[Any], **options: Any) -> dict[str, float]:
        """*Required.* The task's metrics (percent) of ``predictions`` against the examples' gold;
        ``options`` are scoring choices (``mtdialog score``/``evaluate`` flags), ignored when unknown."""

    def conventions(self, **options: Any) -> list[str]:
        """How the metrics are computed, as reports state it."""
        return []

    def scores(self, predictions: Sequence[Any], examples: Sequence[Any],
               options: Mapping[str, Any] | None = None) -> dict[str, float]:
        """``score`` with those of the scoring ``options`` it takes (a task of one's own written as
        ``score(predictions, examples)`` gets none)."""
        return self.score(predictions, examples, **_accepted(self.score, options))

    def stated_conventions(self, options: Mapping[str, Any] | None = None) -> list[str]:
        """``conventions`` with those of the scoring ``options`` it takes."""
        return self.conventions(**_accepted(self.conventions, options))

    def table(self, rows: Mapping[str, Mapping[str, float]], *, note: str = "") -> str:
        """Rows of scores (a model, baselines) in this task's table layout."""
        return format_table(self.title, self.columns, rows, note=note)

    # --------------------------------------------------------------------------------------- files
    def file_lines(self, values: Sequence[Any], examples: Sequence[Any]) -> list[str]:
        """Lines (each ending in a newline) of a prediction or reference file: one example per line."""
        return [one_line(str(v)) + "\n" for v in values]

    def write_file(self, values: Sequence[Any], examples: Sequence[Any], path: str | Path) -> Path:
        """Write ``values`` (predictions, or gold values) of ``examples`` as a file ``mtdialog score`` reads."""
        if len(values) != len(examples):
            raise ValueError(f"{len(values)} {self.name} values for {len(examples)} examples")
        with atomic_write(path) as f:
            f.writelines(self.file_lines(values, examples))
        return Path(path)

    def write_references(self, examples: Sequence[Any], path: str | Path) -> Path:
        """Write the gold values of ``examples`` in the format of the predictions."""
        return self.write_file([self.gold(e) for e in examples], examples, path)

    def file_name(self, kind: str) -> str:
        """``<task>.<kind>.txt`` (``.jsonl`` for a task whose file is JSON lines), e.g. ``summary.pred.txt``."""
        return f"{self.name}.{kind}.txt"

    def read_file(self, path: Path, *, corpus: Corpus | None = None, **options: Any) -> list[Any]:
        """The values of a prediction or reference file (one example per line)."""
        return read_lines(path)

    def score_files(self, predictions: Path, references: Path, *, corpus: Corpus | None = None,
                    **options: Any) -> Scored:
        """``mtdialog score``: read both files and score them."""
        pred = self.read_file(predictions, corpus=corpus, **options)
        gold = self.read_file(references, corpus=corpus, **options)
        if len(pred) != len(gold):
            raise DataError(f"{len(pred)} lines but the references ({references}) have {len(gold)}",
                            path=str(predictions))
        return Scored(self.score_values(pred, gold, **options), len(gold), self.conventions(**options))

    def score_values(self, predictions: Sequence[Any], gold: Sequence[Any], **options: Any) -> dict[str, float]:
        """The metrics of predicted against gold values, for ``mtdialog score`` (a task that scores
        files defines it, or its own ``score_files``)."""
        raise ConfigError(f"task {self.name!r} does not score prediction files", field="task")

    def __repr__(self) -> str:
        return f"<task {self.name}>"


class GenerationTask(Task):
    """A text written by the shared decoder after the task's prompt token (``[RESP]``, ``[SUMM]``...).

    The prompt token is added to the tokenizer when a model is built; targets are cut at the config
    setting named by ``max_length_setting``; predictions are decoded with beam search
    (``num_beams``) and scored with the character-level text metrics.
    """

    #: Decoder prompt token, e.g. ``[RESP]``.
    prompt: ClassVar[str]
    #: The ``MTDialogConfig`` field capping the target length (``max_target_length`` or ``max_summary_length``).
    max_length_setting: ClassVar[str] = "max_target_length"
    columns = (("BLEU", "bleu"), ("RG-L", "rougeL"), ("Dt-1", "distinct1"), ("Dt-2", "distinct2"))
    headline = "bleu"

    def max_length(self, config: MTDialogConfig) -> int:
        return getattr(config, self.max_length_setting)

    def build_head(self, config: MTDialogConfig) -> None:
        return None  # the shared decoder, told the task by its prompt token

    def encode(self, example, layout, processor, *, with_targets):
        if not with_targets:
            return {}
        target = processor.tokenize([example.target])[0] if example.target else []
        return {"target": target[: self.max_length(processor.config)],
                "prompt": processor.config.token_id(processor.config.task_prompts[self.name]),
                "eos_token_id": processor.eos}

    def collate(self, items):
        if "target" not in items[0]:
            return {}
        return {"decoder_input_ids": pad([[item["prompt"]] + item["target"] for item in items], items[0]["pad_token_id"]),
                "labels": pad([item["target"] + [item["eos_token_id"]] for item in items], -100)}

    def predict(self, model, batch, examples, processor, *, num_beams: int = 1, **generate_kwargs):
        ids = model.generate_text(batch, num_beams=num_beams, **generate_kwargs)
        return [text.strip() for text in processor.tokenizer.batch_decode(ids, skip_special_tokens=True)]

    def score(self, predictions, examples, **options):
        return self.score_values(predictions, [self.gold(e) for e in examples], **options)

    def score_values(self, predictions, gold, *, bleu_tokenize: str = "char", **options):
        from mtdialog.metrics import text

        # texts are compared as a file holds them: one line each
        return text.generation_scores([one_line(p) for p in predictions], [one_line(g) for g in gold],
                                      bleu_tokenize=bleu_tokenize)

    def conventions(self, *, bleu_tokenize: str = "char", **options):
        from mtdialog.metrics import text

        return text.conventions(bleu_tokenize)


class SpanLabelTask(Task):
    """One label for one span of the encoder memory (a turn, an image, the whole dialogue).

    The head (:class:`~mtdialog.models.heads.SpanClassifier`) reads the mean state of the span (with
    ``with_cls``, also the ``[CLS]`` state); ``span`` says where an example's span lies, ``labels``
    lists the classes. By default the labels come from the corpus (``corpus_labels``), are stored in
    the checkpoint's config (``task_labels``), and are scored by accuracy and macro-F1.
    """

    columns = (("Acc", "accuracy"), ("Macro-F1", "macro_f1"))
    headline = "accuracy"
    with_cls: ClassVar[bool] = False

    @abstractmethod
    def span(self, example: Any, layout: Layout) -> tuple[int, int]:
        """*Required.* ``[start, end)`` memory positions of the example's span in ``layout``."""

    def label_field(self, example: Any) -> str:
        """Where the example's gold label is, for errors (default: the task's ``annotation``)."""
        return self.annotation

    def corpus_labels(self, corpus: Corpus) -> list[Any]:
        """The label set of a corpus (default: every gold label of its train split, sorted)."""
        return sorted({self.gold(e) for e in self.all_examples(corpus.sessions("train"))})

    def labels(self, config: MTDialogConfig) -> list[Any]:
        """The classes of the head, by index (default: ``config.task_labels[name]``)."""
        labels = (config.task_labels or {}).get(self.name)
        if labels is None:
            raise ConfigError(f"the model config has no labels for task {self.name!r}", field="task_labels")
        return labels

    def configure(self, config, corpus):
        config.task_labels = {**(config.task_labels or {}), self.name: self.corpus_labels(corpus)}

    def build_head(self, config):
        from mtdialog.models.heads import SpanClassifier

        return SpanClassifier(config.hidden_size, len(self.labels(config)), config.classifier_dropout,
                              with_cls=self.with_cls)

    def encode(self, example, layout, processor, *, with_targets):
        item: dict[str, Any] = {"span": self.span(example, layout)}
        if with_targets:
            labels = self.labels(processor.config)
            gold = self.gold(example)
            if gold not in labels:
                raise DataError(f"label {gold!r} is not in the model's label set",
                                field=f"{example.session.session_id}: {self.label_field(example)}")
            item["label"] = labels.index(gold)
        return item

    def collate(self, items):
        import torch

        out = {"spans": torch.tensor([item["span"] for item in items], dtype=torch.long)}
        if "label" in items[0]:
            out["labels"] = torch.tensor([item["label"] for item in items], dtype=torch.long)
        return out

    def logits(self, model, batch) -> torch.Tensor:
        return model(**batch).logits.float()

    def predict(self, model, batch, examples, processor, **generate_kwargs):
        labels = self.labels(model.config)
        return [labels[i] for i in self.logits(model, batch).argmax(-1).tolist()]

    def score(self, predictions, examples, **options):
        return self.score_values(list(predictions), [self.gold(e) for e in examples], **options)

    def score_values(self, predictions, gold, **options):
        return classification.classification_scores(list(predictions), list(gold))

    def conventions(self, **options):
        return [classification.CLASSIFICATION_CONVENTION]

    def known_labels(self, corpus: Corpus | None) -> list[Any] | None:
        """The labels a file of this task may hold: the corpus's, or ``None`` (any) without a corpus."""
        return None if corpus is None else self.corpus_labels(corpus)

    def read_file(self, path, *, corpus=None, **options):
        labels = self.known_labels(corpus)
        return read_labels(path, labels) if labels is not None else [line.strip() for line in read_lines(path)]


# ------------------------------------------------------------------------------------------ registry
_REGISTRY: dict[str, Task] = {}
_plugins_loaded = False


def canonical_name(name: str) -> str:
    """A task name as the registry spells it (``image-category`` -> ``image_category``)."""
    return name.replace("-", "_")


def register_task(task_class: type[Task]) -> type[Task]:
    """Class decorator: register a task (its ``name`` must be new, lowercase letters, digits and ``_``).

    Registering the same class again (a module imported twice) is harmless; another class under a
    taken name is an error.
    """
    try:
        task = task_class()
    except TypeError as e:  # abstract methods left to define
        raise ConfigError(f"{task_class.__name__} cannot be registered: {e}") from None
    name = getattr(task, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{task_class.__name__}.name must be lowercase letters, digits and '_', got {name!r}")
    known = _REGISTRY.get(name)
    if known is not None and type(known).__qualname__ != task_class.__qualname__:
        raise ConfigError(f"task {name!r} is already registered by {type(known).__module__}."
                          f"{type(known).__qualname__}")
    for required in ("annotation", "title", "columns", "headline"):
        if not hasattr(task, required):
            raise ConfigError(f"{task_class.__name__} must set {required}")
    _REGISTRY[name] = task
    return task_class


def import_tasks(source: str) -> None:
    """Import a module that registers tasks: a module name (``my_package.tasks``) or a Python file
    (``my_tasks.py``, imported under its stem); an :class:`ImportError` says why it failed."""
    if source.endswith(".py"):
        path = Path(source)
        if not path.is_file():
            raise ImportError(f"no such file: {source}")
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[path.stem]
            raise
    else:
        importlib.import_module(source)


def _load_plugins() -> None:
    """Import the modules that installed packages name in the ``mtdialog.tasks`` entry-point group."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        entry_point.load()


def task_names(*, plugins: bool = True) -> tuple[str, ...]:
    """Every registered task name: the built-in ones in the paper's order, then those registered later
    (``plugins``: after loading the installed packages' tasks)."""
    if plugins:
        _load_plugins()
    return tuple(_REGISTRY)


def get_task(name: str | Task) -> Task:
    """The task called ``name`` (hyphens and underscores alike); unknown names are a :class:`ConfigError`."""
    if isinstance(name, Task):
        return name
    _load_plugins()
    task = _REGISTRY.get(canonical_name(name))
    if task is None:
        raise ConfigError(f"unknown task {name!r} (registered: {', '.join(_REGISTRY)}); a task of your own "
                          "is registered by importing its module: `mtdialog --import MODULE_OR_FILE ...`, a "
                          "recipe's imports:, or a package's mtdialog.tasks entry point")
    return task


def get_tasks(names: Iterable[str] | None = None) -> list[Task]:
    """The tasks of ``names`` (default: all) in registry order, each once."""
    wanted = {get_task(n).name for n in names} if names is not None else set(task_names())
    return [task for name, task in _REGISTRY.items() if name in wanted]


__all__ = [
    "ENTRY_POINT_GROUP",
    "BaselineFit",
    "GenerationTask",
    "Predictor",
    "SessionExample",
    "SpanLabelTask",
    "Task",
    "TurnExample",
    "canonical_name",
    "get_task",
    "get_tasks",
    "import_tasks",
    "one_line",
    "pad",
    "register_task",
    "task_names",
]
