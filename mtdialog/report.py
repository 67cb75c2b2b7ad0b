"""Readable reports of a checkpoint's work: one session with every task's prediction, and a test
evaluation with the model's scores beside the non-neural baselines' in the paper's table layouts.

:class:`Evaluation` holds what ``mtdialog evaluate`` measured (scores, example counts, settings,
timings) and renders it as tables (:meth:`Evaluation.tables`) or JSON (:meth:`Evaluation.to_dict`);
:func:`baseline_scores` fits every baseline on the train sessions and scores it on exactly the
evaluated sessions; :func:`format_session` lays out one session and its predictions.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mtdialog.data.schema import EDU, Session, Turn
from mtdialog.data.tasks import TASKS, task_examples
from mtdialog.metrics.tables import TABLES, format_table
from mtdialog.pipeline import SessionPrediction, last_query
from mtdialog.training.score import HEADLINE, combined_score

#: Row name of the evaluated checkpoint in the tables and the JSON.
MODEL_ROW = "mtdialog"
#: The :class:`SessionPrediction` field holding each task's answer.
PREDICTION_FIELDS = {"response": "response", "rewritable": "rewrites", "rewrite": "rewrites",
                     "discourse": "discourse", "summary": "summary", "image_category": "images"}


def conventions(task: str) -> list[str]:
    """How ``task``'s metrics are computed, as ``mtdialog score`` states it."""
    from mtdialog.metrics import classification, discourse, text

    if task in ("response", "rewrite", "summary"):
        return text.conventions("char")
    if task == "rewritable":
        return [classification.BINARY_CONVENTION]
    if task == "discourse":
        return [discourse.CONVENTION]
    return [classification.CLASSIFICATION_CONVENTION]


# ------------------------------------------------------------------------------------- baselines
def baseline_scores(train: Sequence[Session], sessions: Sequence[Session], tasks: Sequence[str]
                    ) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, float], list[str]]:
    """Every baseline of ``tasks`` fitted on ``train`` and scored on ``sessions``:
    ``({task: {method: scores}}, {baseline name: seconds}, [why a baseline was left out])``."""
    from mtdialog.baselines import BASELINES, run_baseline

    scores: dict[str, dict[str, dict[str, float]]] = {}
    seconds: dict[str, float] = {}
    skipped = []
    for spec in BASELINES.values():
        if spec.task not in tasks:
            continue
        if next(iter(task_examples(spec.task, train)), None) is None:
            skipped.append(f"{spec.name}: no {spec.task} examples in the train split to fit on")
            continue
        start = time.perf_counter()
        run = run_baseline(spec, train, sessions)
        scores.setdefault(spec.task, {})[spec.method] = run.scores
        seconds[spec.name] = round(time.perf_counter() - start, 3)
    return scores, seconds, skipped


# ------------------------------------------------------------------------------------ evaluation
@dataclass
class Evaluation:
    """A checkpoint's test scores beside the baselines' (all in percent)."""

    checkpoint: str
    corpus: str
    split: str
    sessions: int
    examples: dict[str, int]  # task -> examples scored, in mtdialog.data.tasks order
    model: dict[str, dict[str, float]]  # task -> metric -> value
    baselines: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # task -> method -> ...
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, Any] = field(default_factory=dict)
    checkpoint_info: dict[str, Any] | None = None  # the checkpoint's checkpoint.json (step, score)

    def combined(self) -> dict[str, float]:
        """The combined score (mean headline metric, ``mtdialog.training.score``) of the model, and of
        the best baseline of each task over the tasks that have one."""
        out = {MODEL_ROW: combined_score(self.model)}
        best = {task: {HEADLINE[task]: max(s[HEADLINE[task]] for s in methods.values())}
                for task, methods in self.baselines.items() if task in self.model}
        if best:
            out["baselines (best per task)"] = combined_score(best)
        return out

    def tables(self) -> str:
        """One table per task (the paper's layout): the model's row, then each baseline's; then the
        combined scores and the metric conventions."""
        info = self.checkpoint_info or {}
        step = f", step {info['step']}" if "step" in info else ""
        header = (f"{self.checkpoint}{step} on {self.corpus} {self.split}: {self.sessions} sessions, "
                  f"num_beams {self.settings.get('num_beams')}, scores in %")
        lines = [header, ""]
        for task in TABLES:
            if task in self.model:
                rows = {MODEL_ROW: self.model[task], **self.baselines.get(task, {})}
                lines += [format_table(task, rows, note=f"{self.split}, {self.examples[task]} examples"), ""]
        evaluated = [t for t in TASKS if t in self.model]
        lines.append("combined score (mean of " + ", ".join(f"{t} {HEADLINE[t]}" for t in evaluated) + "):")
        lines += [f"  {name}: {value:.2f}" for name, value in self.combined().items()]
        lines += ["", "conventions:"]
        lines += [f"  {c}" for c in dict.fromkeys(c for t in evaluated for c in conventions(t))]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Everything as one JSON-ready object."""
        return {
            "checkpoint": self.checkpoint, "checkpoint_info": self.checkpoint_info,
            "corpus": self.corpus, "split": self.split, "sessions": self.sessions,
            "settings": self.settings, "examples": self.examples,
            "scores": {MODEL_ROW: self.model, "baselines": self.baselines},
            "combined_score": {"headline": {t: HEADLINE[t] for t in self.model}, **self.combined()},
            "conventions": {t: conventions(t) for t in self.model},
            "seconds": self.seconds,
        }


# --------------------------------------------------------------------------------------- sessions
def _turn_line(index: int, turn: Turn) -> str:
    parts = [turn.text] if turn.text else []
    parts += [f"[图片 {image}]" for image in turn.images]
    return f"  [{index}] {turn.speaker}: {' '.join(parts)}"


def _edu_text(edu: EDU, width: int = 16) -> str:
    if edu.image is not None:
        return f"[图片 {edu.image}]"
    return edu.text if len(edu.text) <= width else edu.text[:width] + "…"


def format_session(session: Session, prediction: SessionPrediction, tasks: Sequence[str] = TASKS) -> str:
    """``session``'s turns (images as ``[图片 id]``), then each predicted task of ``tasks``: the
    response, the rewrite of every customer turn, the discourse links (``EDU y -> EDU x (type)``,
    0-based as in the JSON), the summary and each image's category."""
    lines = [f"=== session {session.session_id} (shop {session.shop}, product {session.product_id}) ==="]
    lines += [_turn_line(i, t) for i, t in enumerate(session.turns)]
    if "response" in tasks:
        query = last_query(session)
        lines.append(f"response (to turn {query}): {prediction.response}" if query is not None
                     else "response: (no customer query to answer)")
    if {"rewritable", "rewrite"} & set(tasks):
        lines.append("rewrites:")
        for r in prediction.rewrites:
            verdict = "rewritable" if r.rewritable else "not rewritable"
            text = f": {r.text}" if r.rewritable and "rewrite" in tasks else ""
            lines.append(f"  [{r.turn}] {verdict} (p={r.probability:.2f}){text}")
    if "discourse" in tasks:
        edus = session.edus()
        lines.append(f"discourse ({len(edus)} EDUs; an EDU without a link attaches to the root):")
        links = [f"EDU {r.y} -> EDU {r.x} ({r.type})" for r in prediction.discourse]
        width = max(map(len, links), default=0)
        lines += [f"  {link.ljust(width)}   {_edu_text(edus[r.y])} -> {_edu_text(edus[r.x])}"
                  for link, r in zip(links, prediction.discourse)]
    if "summary" in tasks:
        lines.append(f"summary: {prediction.summary}")
    if "image_category" in tasks:
        lines.append("image categories:" if prediction.images else "image categories: (no images)")
        lines += [f"  [{p.turn}] {p.image}: {p.category}" for p in prediction.images]
    return "\n".join(lines)


def prediction_record(prediction: SessionPrediction, tasks: Sequence[str] = TASKS) -> dict[str, Any]:
    """The JSON record of one session's predictions, holding only the fields of ``tasks`` (rewrite
    texts only with ``rewrite``)."""
    keep = {"session_id", *(PREDICTION_FIELDS[task] for task in tasks)}
    record = {k: v for k, v in prediction.to_dict().items() if k in keep}
    if "rewrites" in record and "rewrite" not in tasks:
        record["rewrites"] = [{k: v for k, v in r.items() if k != "text"} for r in record["rewrites"]]
    return record
