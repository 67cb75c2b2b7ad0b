"""Model evaluation: a checkpoint's predictions scored by each task, beside the baselines.

One path for every number the model gets: :func:`predict_and_score` runs the pipeline on each task's
examples and scores them with ``Task.score`` (as ``mtdialog score`` scores files and the baselines
are scored), for validation during training (:func:`make_evaluate_fn`) and for test evaluation
(:func:`evaluate_split`, behind ``mtdialog evaluate``). :class:`Evaluation` holds the outcome and
renders it as the paper's tables or as JSON; :func:`combined_score` is the one number that picks the
best checkpoint: the mean over the evaluated tasks of each task's headline metric.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from tqdm.auto import tqdm

from mtdialog.data.images import ImageLoader
from mtdialog.data.native import Corpus, KBEntry
from mtdialog.data.schema import Session
from mtdialog.errors import DataError
from mtdialog.tasks import GenerationTask, get_task, get_tasks

if TYPE_CHECKING:
    from mtdialog.models.vision import FeatureCache

#: Row name of the evaluated checkpoint in the tables and the JSON.
MODEL_ROW = "mtdialog"


def combined_score(results: Mapping[str, Mapping[str, float]]) -> float:
    """Mean of the headline metric (``Task.headline``, percent) of every evaluated task; raises if a
    result lacks its headline."""
    values = []
    for task in get_tasks(results):
        if task.headline not in results[task.name]:
            raise KeyError(f"evaluation of {task.name!r} has no {task.headline!r} "
                           f"(has: {', '.join(results[task.name])})")
        values.append(float(results[task.name][task.headline]))
    if not values:
        raise ValueError(f"no headline metric among the evaluated tasks {sorted(results)}")
    return sum(values) / len(values)


def examples_by_task(sessions: Sequence[Session], tasks: Sequence[str]) -> dict[str, list]:
    """``{task: examples}`` of ``sessions`` in registry order; tasks without examples are left out."""
    return {task.name: ex for task in get_tasks(tasks) if (ex := list(task.all_examples(sessions)))}


def predict_and_score(pipe, examples: Mapping[str, Sequence], *, progress: bool = False,
                      options: Mapping[str, Any] | None = None) -> tuple[dict[str, list], dict[str, dict[str, float]]]:
    """``(predictions, scores)`` per task of ``examples`` (``{task: examples}``), scored with
    ``options`` (``Task.score``'s scoring choices).

    With ``progress``, a bar per task follows the examples; they are predicted in chunks of whole
    ``pipe.batch_size`` batches, so the batches (and predictions) are the same as without it."""
    predictions, scores = {}, {}
    chunk = pipe.batch_size * 8
    for name, ex in examples.items():
        out: list = []
        with tqdm(total=len(ex), desc=name, unit="ex", disable=not progress, leave=False) as bar:
            for start in range(0, len(ex), chunk):
                out += pipe.predict_examples(name, ex[start:start + chunk])
                bar.update(min(chunk, len(ex) - start))
        predictions[name], scores[name] = out, get_task(name).scores(out, ex, options)
    return predictions, scores


def make_evaluate_fn(tokenizer, sessions: Sequence[Session], tasks: Sequence[str], *,
                     kb: Mapping[str, KBEntry], image_loader: ImageLoader | None, num_beams: int = 1,
                     batch_size: int = 16, options: Mapping[str, Any] | None = None,
                     feature_cache: FeatureCache | None = None) -> Callable[[torch.nn.Module], dict[str, dict[str, float]]]:
    """``evaluate(model) -> {task: {metric: value}}`` over the examples of ``tasks`` in ``sessions``
    (tasks without examples there are left out), scored with ``options``: the trainer's validation
    (``feature_cache``: the run's cached image features, see ``DialoguePipeline``)."""
    from mtdialog.pipeline import DialoguePipeline

    examples = examples_by_task(sessions, tasks)

    def evaluate(model: torch.nn.Module) -> dict[str, dict[str, float]]:
        pipe = DialoguePipeline(model, tokenizer, image_loader, kb=dict(kb), num_beams=num_beams,
                                batch_size=batch_size, feature_cache=feature_cache)
        return predict_and_score(pipe, examples, options=options)[1]

    return evaluate


@dataclass
class Evaluation:
    """A checkpoint's scores on a split beside the baselines' (all in percent)."""

    checkpoint: str
    corpus: str
    split: str
    sessions: int
    examples: dict[str, int]  # task -> examples scored, in registry order
    model: dict[str, dict[str, float]]  # task -> metric -> value
    baselines: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # task -> method -> ...
    settings: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)  # scoring choices (Task.score's options)
    seconds: dict[str, Any] = field(default_factory=dict)
    checkpoint_info: dict[str, Any] | None = None  # the checkpoint's checkpoint.json (step, score)

    def combined(self) -> dict[str, float]:
        """The combined score of the model, and of the best baseline of each task over the tasks that
        have one."""
        out = {MODEL_ROW: combined_score(self.model)}
        best = {task.name: {task.headline: max(s[task.headline] for s in self.baselines[task.name].values())}
                for task in get_tasks(self.baselines) if task.name in self.model}
        if best:
            out["baselines (best per task)"] = combined_score(best)
        return out

    def tables(self) -> str:
        """One table per task (the paper's layout): the model's row, then each baseline's; then the
        combined scores and the metric conventions."""
        info = self.checkpoint_info or {}
        step = f", step {info['step']}" if "step" in info else ""
        evaluated = get_tasks(self.model)
        beams = f"num_beams {self.settings.get('num_beams')}, " if any(isinstance(t, GenerationTask) for t in evaluated) else ""
        lines = [f"{self.checkpoint}{step} on {self.corpus} {self.split}: {self.sessions} sessions, {beams}scores in %",
                 ""]
        for task in evaluated:
            rows = {MODEL_ROW: self.model[task.name], **self.baselines.get(task.name, {})}
            lines += [task.table(rows, note=f"{self.split}, {self.examples[task.name]} examples"), ""]
        lines.append("combined score (mean of " + ", ".join(f"{t.name} {t.headline}" for t in evaluated) + "):")
        lines += [f"  {name}: {value:.2f}" for name, value in self.combined().items()]
        lines += ["", "conventions:"]
        lines += [f"  {c}" for c in dict.fromkeys(c for t in evaluated for c in t.stated_conventions(self.options))]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Everything as one JSON-ready object."""
        evaluated = get_tasks(self.model)
        return {
            "checkpoint": self.checkpoint, "checkpoint_info": self.checkpoint_info,
            "corpus": self.corpus, "split": self.split, "sessions": self.sessions,
            "settings": self.settings, "options": self.options, "examples": self.examples,
            "scores": {MODEL_ROW: self.model, "baselines": self.baselines},
            "combined_score": {"headline": {t.name: t.headline for t in evaluated}, **self.combined()},
            "conventions": {t.name: t.stated_conventions(self.options) for t in evaluated},
            "seconds": self.seconds,
        }


def evaluate_split(model, tokenizer, corpus: Corpus, split: str, *, checkpoint: str | Path,
                   tasks: Sequence[str] | None = None, max_sessions: int | None = None, num_beams: int = 4,
                   batch_size: int = 16, baselines: bool = True, options: Mapping[str, Any] | None = None,
                   log: Callable[[str], None] = print) -> tuple[Evaluation, dict[str, list], dict[str, list]]:
    """Score ``model`` on ``split`` of ``corpus`` (its first ``max_sessions``) with the scoring
    ``options``, beside the baselines fitted on the train split and run on the same sessions (left
    out, with a note, when the corpus has no train split); returns the evaluation, the predictions and
    the examples of each task."""
    from mtdialog.baselines.registry import baselines as all_baselines
    from mtdialog.baselines.run import run_baselines, scores_by_task
    from mtdialog.data.images import image_loader
    from mtdialog.pipeline import DialoguePipeline

    sessions = list(corpus.sessions(split))[:max_sessions]
    names = [t for t in (tasks or model.config.tasks) if t in model.config.tasks]
    examples = examples_by_task(sessions, names)
    if not examples:
        raise DataError(f"no examples of {', '.join(names)} in the {split} split", path=str(corpus.split_path(split)))
    for name, ours, theirs in (("relations", model.config.relation_labels, corpus.relation_labels),
                               ("image_categories", model.config.image_categories, corpus.image_categories)):
        if tuple(ours) != tuple(theirs):
            raise DataError(f"the corpus's label set differs from the checkpoint's ({checkpoint})",
                            path=str(corpus.root / "meta.json"), field=f"labels.{name}")
    pipe = DialoguePipeline(model, tokenizer, image_loader(corpus), kb=corpus.kb(), num_beams=num_beams,
                            batch_size=batch_size)
    log(f"evaluating {checkpoint} on {len(sessions)} {split} sessions: "
        + ", ".join(f"{len(ex)} {task}" for task, ex in examples.items()))
    for task in get_tasks(names):
        if n := task.left_out(sessions):
            log(f"note: {task.name} leaves out {n} session(s) whose speakers are not a customer and an agent")
    start = time.perf_counter()
    options = dict(options or {})
    predictions, scores = predict_and_score(pipe, examples, progress=True, options=options)
    seconds: dict[str, Any] = {"model": round(time.perf_counter() - start, 3)}
    rows: dict = {}
    if baselines and "train" not in corpus.splits:
        log(f"baselines left out: they are fitted on the train split, which {corpus.root} lacks "
            f"(has: {', '.join(corpus.splits)})")
    elif baselines:
        start = time.perf_counter()
        specs = [spec for spec in all_baselines().values() if spec.task.name in examples]
        runs = run_baselines(list(corpus.sessions("train")), sessions, specs, skip_missing=True, options=options,
                             log=lambda message: log(f"baseline {message}") if "skipped" in message else None,
                             where=lambda part: str(corpus.split_path("train" if part == "train" else split)))
        rows = scores_by_task(runs)
        seconds["baselines_by_name"] = {r.spec.name: round(r.fit_seconds + r.predict_seconds, 3) for r in runs}
        seconds["baselines"] = round(time.perf_counter() - start, 3)
    info_path = Path(checkpoint) / "checkpoint.json"
    evaluation = Evaluation(
        str(checkpoint), str(corpus.root), split, len(sessions), {task: len(ex) for task, ex in examples.items()},
        scores, rows, options=options, seconds=seconds,
        settings={"num_beams": num_beams, "batch_size": batch_size, "max_sessions": max_sessions,
                  "tasks": list(examples),
                  "missing_images": "placeholder" if corpus.images == "placeholder" else "error", "text_only": model.text_only,
                  "torch_threads": torch.get_num_threads()},
        checkpoint_info=json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else None)
    return evaluation, predictions, examples


__all__ = ["MODEL_ROW", "Evaluation", "combined_score", "evaluate_split", "examples_by_task", "make_evaluate_fn",
           "predict_and_score"]
