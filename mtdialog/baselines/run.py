"""Fit baselines on the train split, predict another split, score with :mod:`mtdialog.metrics`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtdialog.baselines.common import ANNOTATION_FIELD, gold, one_line
from mtdialog.baselines.registry import BASELINES, BaselineSpec, resolve
from mtdialog.data.native import Corpus
from mtdialog.data.schema import DataError, Session
from mtdialog.data.tasks import task_examples

#: Tasks whose predictions are texts, scored with the generation metrics.
TEXT_TASKS = ("response", "rewrite", "summary")


def score(task: str, predictions: Sequence[Any], examples: Sequence) -> dict[str, float]:
    """The metrics of ``task`` (percent) for predictions of ``examples``, as ``mtdialog score`` gives
    them from the files (texts are compared as written: one line each)."""
    from mtdialog import metrics

    refs = [gold(task, e) for e in examples]
    if task in TEXT_TASKS:
        return metrics.generation_scores([one_line(p) for p in predictions], [one_line(r) for r in refs])
    if task == "rewritable":
        return metrics.binary_scores([bool(p) for p in predictions], refs)
    if task == "discourse":
        return metrics.discourse_scores(list(predictions), refs, [len(e.edus) for e in examples])
    return metrics.classification_scores(list(predictions), refs)


@dataclass
class BaselineRun:
    """One baseline fitted and run: its predictions line up with ``examples``."""

    spec: BaselineSpec
    examples: list
    predictions: list
    scores: dict[str, float] | None
    fit_seconds: float
    predict_seconds: float


def run_baseline(spec: BaselineSpec, train: Sequence[Session], evaluation: Sequence[Session], *,
                 scored: bool = True) -> BaselineRun:
    """Fit ``spec`` on ``train``, predict every ``spec.task`` example of ``evaluation``, score them."""
    start = time.perf_counter()
    model = spec.fit(train)
    fitted = time.perf_counter()
    examples = list(task_examples(spec.task, evaluation))
    predictions = model.predict(examples)
    done = time.perf_counter()
    scores = score(spec.task, predictions, examples) if scored else None
    return BaselineRun(spec, examples, predictions, scores, fitted - start, done - fitted)


def _has_examples(task: str, sessions: Sequence[Session]) -> bool:
    return next(iter(task_examples(task, sessions)), None) is not None


def run_baselines(corpus: Corpus | str | Path, split: str = "test", names: Sequence[str] | None = None, *,
                  scored: bool = True, skip_missing: bool = False, skip_invalid: bool = False,
                  log: Callable[[str], None] | None = None) -> list[BaselineRun]:
    """Run the baselines ``names`` (default: all) of ``corpus``: fit on ``train``, predict ``split``.

    A corpus given by path is read without looking at image files (no baseline uses pixels);
    ``skip_invalid`` skips bad records into ``corpus.skipped`` instead of raising. A task with no
    examples in either split is a :class:`DataError`, or with ``skip_missing`` its baselines are left
    out (and ``log`` told why). ``log`` also hears each baseline's timing.
    """
    corpus = corpus if isinstance(corpus, Corpus) else Corpus(corpus, images="ignore")
    specs = [resolve(n) for n in names] if names is not None else list(BASELINES.values())
    train = list(corpus.sessions("train", skip_invalid=skip_invalid))
    evaluation = train if split == "train" else list(corpus.sessions(split, skip_invalid=skip_invalid))
    if log and len(corpus.skipped):
        log(corpus.skipped.summary())
    runs = []
    for spec in specs:
        missing = [s for s, sessions in (("train", train), (split, evaluation))
                   if not _has_examples(spec.task, sessions)]
        if missing:
            error = DataError(f"no {spec.task} examples", path=str(corpus.split_path(missing[0])),
                              field=ANNOTATION_FIELD[spec.task])
            if not skip_missing:
                raise error
            if log:
                log(f"{spec.name}: skipped ({error})")
            continue
        try:
            run = run_baseline(spec, train, evaluation, scored=scored)
        except DataError as e:
            raise e.located(path=str(corpus.split_path("train"))) from None
        if log:
            log(f"{spec.name}: {len(run.examples)} examples, fit {run.fit_seconds:.2f}s, "
                f"predict {run.predict_seconds:.2f}s")
        runs.append(run)
    return runs


def run_all_baselines(corpus: Corpus | str | Path, split: str = "test") -> dict[str, dict[str, dict[str, float]]]:
    """Scores of every baseline whose task has examples: ``{task: {method: {metric: percent}}}``."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for run in run_baselines(corpus, split, skip_missing=True):
        out.setdefault(run.spec.task, {})[run.spec.method] = run.scores
    return out
