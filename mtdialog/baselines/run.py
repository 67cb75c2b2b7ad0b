"""Fit baselines on the train split, predict other sessions, score them as the tasks score the model.

The one runner behind ``mtdialog baseline`` and the baseline rows of ``mtdialog evaluate``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mtdialog.baselines.registry import BaselineSpec, baselines, resolve
from mtdialog.data.native import Corpus
from mtdialog.data.schema import Session
from mtdialog.errors import DataError


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
                 scored: bool = True, options: Mapping[str, Any] | None = None) -> BaselineRun:
    """Fit ``spec`` on ``train``, predict every example of its task in ``evaluation``, score them
    (with the scoring ``options``)."""
    start = time.perf_counter()
    model = spec.fit(spec.task, train)
    fitted = time.perf_counter()
    examples = list(spec.task.all_examples(evaluation))
    predictions = model.predict(examples)
    done = time.perf_counter()
    scores = spec.task.scores(predictions, examples, options) if scored else None
    return BaselineRun(spec, examples, predictions, scores, fitted - start, done - fitted)


def run_baselines(train: Sequence[Session], evaluation: Sequence[Session], specs: Sequence[BaselineSpec], *,
                  scored: bool = True, skip_missing: bool = False, where: Callable[[str], str] = str,
                  options: Mapping[str, Any] | None = None, log: Callable[[str], None] | None = None
                  ) -> list[BaselineRun]:
    """Run ``specs`` (fit on ``train``, predict ``evaluation``).

    A task without examples in either set is a :class:`DataError` (at ``where("train")`` or
    ``where("evaluation")``), or with ``skip_missing`` its baselines are left out (and ``log`` is told
    why). ``log`` also hears each baseline's timing.
    """
    runs = []
    for spec in specs:
        missing = [part for part, sessions in (("train", train), ("evaluation", evaluation))
                   if next(iter(spec.task.all_examples(sessions)), None) is None]
        left_out = spec.task.left_out(evaluation)
        why = f" (it leaves out {left_out} session(s) whose speakers are not a customer and an agent)" if left_out else ""
        if missing:
            error = DataError(f"no {spec.task.name} examples{why}", path=where(missing[0]), field=spec.task.annotation)
            if not skip_missing:
                raise error
            if log:
                log(f"{spec.name}: skipped ({error})")
            continue
        if log and left_out:
            log(f"{spec.name}: leaves out {left_out} session(s) whose speakers are not a customer and an agent")
        try:
            run = run_baseline(spec, train, evaluation, scored=scored, options=options)
        except DataError as e:
            raise e.located(path=where("train")) from None
        if log:
            log(f"{spec.name}: {len(run.examples)} examples, fit {run.fit_seconds:.2f}s, "
                f"predict {run.predict_seconds:.2f}s")
        runs.append(run)
    return runs


def run_corpus_baselines(corpus: Corpus | str | Path, split: str = "test", names: Sequence[str] | None = None, *,
                         scored: bool = True, skip_missing: bool = False, skip_invalid: bool = False,
                         options: Mapping[str, Any] | None = None, log: Callable[[str], None] | None = None
                         ) -> list[BaselineRun]:
    """Run the baselines ``names`` (default: all) of ``corpus``: fit on ``train``, predict ``split``.

    A corpus given by path is read without looking at image files (no baseline uses pixels);
    ``skip_invalid`` skips bad records into ``corpus.skipped`` instead of raising. A corpus without a
    train split is a :class:`DataError` before anything is read.
    """
    corpus = corpus if isinstance(corpus, Corpus) else Corpus(corpus, images="ignore")
    if "train" not in corpus.splits:
        raise DataError(f"baselines are fitted on the train split, which this corpus lacks (has: "
                        f"{', '.join(corpus.splits) or 'no split'})", path=str(corpus.split_path("train")))
    specs = [resolve(n) for n in names] if names is not None else list(baselines().values())
    train = list(corpus.sessions("train", skip_invalid=skip_invalid))
    evaluation = train if split == "train" else list(corpus.sessions(split, skip_invalid=skip_invalid))
    if log and len(corpus.skipped):
        log(corpus.skipped.summary())
    return run_baselines(train, evaluation, specs, scored=scored, skip_missing=skip_missing, log=log, options=options,
                         where=lambda part: str(corpus.split_path("train" if part == "train" else split)))


def scores_by_task(runs: Sequence[BaselineRun]) -> dict[str, dict[str, dict[str, float]]]:
    """``{task: {method: scores}}`` of scored runs, in run order."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for run in runs:
        out.setdefault(run.spec.task.name, {})[run.spec.method] = run.scores
    return out


__all__ = ["BaselineRun", "run_baseline", "run_baselines", "run_corpus_baselines"]
