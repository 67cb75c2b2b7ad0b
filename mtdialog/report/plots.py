"""The report's plots, drawn with matplotlib as inline SVG: the run log's curves and the test bars."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no window
import matplotlib.pyplot as plt

from mtdialog.tasks import get_task, task_names

STYLE = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
         "axes.grid": True, "grid.alpha": 0.3}


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline: no XML prolog or doctype


def _series(log: Sequence[Mapping[str, Any]], key: str) -> dict[str, tuple[list[int], list[float]]]:
    """``{name: (steps, values)}`` of the records holding ``key`` (a mapping of name -> number)."""
    out: dict[str, tuple[list[int], list[float]]] = {}
    for record in log:
        for name, value in (record.get(key) or {}).items():
            if isinstance(value, (int, float)):
                steps, values = out.setdefault(name, ([], []))
                steps.append(record["step"])
                values.append(value)
    return out


def _lines(series: Mapping[str, tuple[list[int], list[float]]], title: str, ylabel: str, *, log_y: bool = False) -> str:
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(5.2, 3.0))
        for name, (steps, values) in series.items():
            axes.plot(steps, values, marker="o" if len(steps) < 12 else None, markersize=3, label=name)
        axes.set(title=title, xlabel="step", ylabel=ylabel)
        if log_y:
            axes.set_yscale("log")
        axes.legend(fontsize=7, frameon=False)
        return _svg(figure)


def headline(task: str) -> str | None:
    """The task's headline metric, ``None`` for a task this installation does not know."""
    return get_task(task).headline if task in task_names() else None


def training_plots(log: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``{title: svg}``: training loss per task, learning rates, and validation headline scores per task
    with the combined score (the curves the log has)."""
    plots = {}
    if loss := _series(log, "loss"):
        plots["Training loss per task"] = _lines(loss, "training loss per task", "loss", log_y=True)
    if lr := _series(log, "lr"):
        plots["Learning rates"] = _lines(lr, "learning rate per parameter group", "learning rate")
    evals = [r for r in log if isinstance(r.get("eval"), dict)]
    validation: dict[str, tuple[list[int], list[float]]] = {}
    for record in evals:
        for task, scores in record["eval"].items():
            metric = headline(task)
            if metric in scores:
                steps, values = validation.setdefault(f"{task} {metric}", ([], []))
                steps.append(record["step"])
                values.append(scores[metric])
    if evals and all(isinstance(r.get("score"), (int, float)) for r in evals):
        validation["combined"] = ([r["step"] for r in evals], [r["score"] for r in evals])
    if validation:
        plots["Validation scores"] = _lines(validation, "validation headline score per task (%)", "score (%)")
    return plots


def test_bars(test: Mapping[str, Any]) -> str | None:
    """Grouped bars of each task's headline test score: the model, and the best baseline of each task."""
    model = test.get("scores", {}).get("mtdialog", {})
    baselines = test.get("scores", {}).get("baselines", {})
    tasks = [t for t in model if headline(t) in model[t]]
    if not tasks:
        return None
    ours = [model[t][headline(t)] for t in tasks]
    best = [max((s.get(headline(t), 0.0) for s in baselines.get(t, {}).values()), default=0.0) for t in tasks]
    with plt.rc_context(STYLE):
        figure, axes = plt.subplots(figsize=(6.4, 3.0))
        x = range(len(tasks))
        axes.bar([i - 0.2 for i in x], ours, width=0.4, label="mtdialog", color="#3b6ea5")
        axes.bar([i + 0.2 for i in x], best, width=0.4, label="best baseline", color="#b8b8b8")
        for i, (a, b) in enumerate(zip(ours, best)):
            axes.text(i - 0.2, a + 1, f"{a:.1f}", ha="center", fontsize=7)
            axes.text(i + 0.2, b + 1, f"{b:.1f}", ha="center", fontsize=7)
        axes.set_xticks(list(x), [f"{t}\n{headline(t)}" for t in tasks], fontsize=7)
        axes.set(title=f"test headline scores ({test.get('split', 'test')})", ylabel="score (%)",
                 ylim=(0, max(100, *ours, *best) + 8))
        axes.legend(fontsize=7, frameon=False)
        return _svg(figure)
