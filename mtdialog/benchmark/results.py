"""The benchmark's tables, effects and plots, from the seeds' records.

Each row's scores are the mean and standard deviation over its seeds (sample sd; 0 for one seed). The
tables follow the paper's layout (``Task.columns``), one per task, the benchmark's rows beside the
non-neural baselines; the summary gives each row's headline scores, combined score, wall time and
parameter count. An *effect* compares a row with the unified model on each headline metric: the
difference of the means in points and in pooled standard deviations.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mtdialog.benchmark.rows import ROWS
from mtdialog.evaluation import combined_score
from mtdialog.fileio import atomic_write
from mtdialog.tasks import BUILTIN_TASKS, get_task

REFERENCE = "unified"

#: What the JDDC 2.1 paper reports on the real corpus (Zhao et al., EMNLP 2022) for its strongest system of
#: each table: shown under our rows, labelled, never averaged with them.
REPORTED: dict[str, dict[str, float]] = {
    "response": {"bleu": 10.21, "rougeL": 22.14},  # multimodal GPT
    "rewritable": {"f1": 89.64},
    "rewrite": {"bleu": 5.45, "rougeL": 26.45},
    "discourse": {"link_f1": 78.12, "link_rel_f1": 57.77},
    "summary": {"rouge1": 50.31, "rouge2": 29.76, "rougeL": 44.71},
}


def mean_sd(values: Sequence[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def aggregate(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per row: ``seeds``, ``scores`` ({task: {metric: [mean, sd]}}), ``headline`` ({task: the headline
    metric per seed}), ``combined`` [mean, sd] (over the row's tasks), mean ``train_s``/``evaluate_s``,
    ``parameters``."""
    by_row: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for record in records:
        by_row[record["row"]].append(record)
    out = {}
    for name, seeds in by_row.items():
        values: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for record in seeds:
            for task, metrics in record["evaluation"]["scores"]["mtdialog"].items():
                for metric, value in metrics.items():
                    values[task][metric].append(value)
        out[name] = {
            "seeds": [r["seed"] for r in seeds],
            "scores": {t: {m: list(mean_sd(v)) for m, v in ms.items()} for t, ms in values.items()},
            "combined": list(mean_sd([combined_score(r["evaluation"]["scores"]["mtdialog"]) for r in seeds])),
            "headline": {t: values[t][get_task(t).headline] for t in values},  # per seed
            "train_s": statistics.fmean(r["train_s"] for r in seeds),
            "evaluate_s": statistics.fmean(r["evaluate_s"] for r in seeds),
            "parameters": seeds[0]["parameters"],
        }
    return out


def effects(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """Each row against the unified model, per task it scores: ``{row: {task: {"difference", "sd_units"}}}``
    on the task's headline metric (positive: the row is better; ``sd_units`` is the difference over the
    pooled standard deviation, absent when both rows have one seed)."""
    if REFERENCE not in rows:
        return {}
    reference = rows[REFERENCE]["headline"]
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, row in rows.items():
        if name == REFERENCE:
            continue
        for task, values in row["headline"].items():
            if task not in reference:
                continue
            base = reference[task]
            difference = statistics.fmean(values) - statistics.fmean(base)
            entry = {"difference": difference}
            if len(values) > 1 and len(base) > 1:
                pooled = ((statistics.variance(values) + statistics.variance(base)) / 2) ** 0.5
                if pooled > 0:
                    entry["sd_units"] = difference / pooled
            out.setdefault(name, {})[task] = entry
    return out


def _cell(pair: Sequence[float] | None, seeds: int) -> str:
    if pair is None:
        return "-"
    return f"{pair[0]:.2f} ± {pair[1]:.2f}" if seeds > 1 else f"{pair[0]:.2f}"


def tables(rows: Mapping[str, Mapping[str, Any]], baselines: Mapping[str, Any], *, budget: str) -> str:
    """Markdown: one table per task in the paper's layout (rows, then baselines), then the summary and
    the effects against the unified model."""
    lines = [f"# Paper benchmark ({budget} budget)", "",
             "Scores in %, mean ± sd over seeds (test split); baselines are deterministic (one run).", ""]
    for task_name in BUILTIN_TASKS:
        task = get_task(task_name)
        scored = {n: r for n, r in rows.items() if task_name in r["scores"]}
        if not scored:
            continue
        lines += [f"## {task.title}", "", "| system | " + " | ".join(h for h, _ in task.columns) + " |",
                  "|---|" + "---|" * len(task.columns)]
        for name, row in scored.items():
            seeds = len(row["seeds"])
            cells = [_cell(row["scores"][task_name].get(key), seeds) for _, key in task.columns]
            lines.append(f"| {ROWS[name].title if name in ROWS else name} ({seeds} seed{'s' * (seeds > 1)}) | "
                         + " | ".join(cells) + " |")
        for method, scores in baselines.get("scores", {}).get(task_name, {}).items():
            lines.append(f"| baseline: {method} | " + " | ".join(
                f"{scores[key]:.2f}" if key in scores else "-" for _, key in task.columns) + " |")
        if task_name in REPORTED:
            lines.append("| *reported by the JDDC 2.1 paper on the real corpus (its best system; not our data)* | "
                         + " | ".join(f"*{REPORTED[task_name][key]:.2f}*" if key in REPORTED[task_name] else "-"
                                      for _, key in task.columns) + " |")
        lines.append("")
    lines += ["## Summary", "", "| row | " + " | ".join(f"{t} {get_task(t).headline}" for t in BUILTIN_TASKS)
              + " | combined | train s | evaluate s | parameters |", "|---|" + "---|" * (len(BUILTIN_TASKS) + 4)]
    for name, row in rows.items():
        seeds = len(row["seeds"])
        cells = [_cell(mean_sd(row["headline"][t]) if t in row["headline"] else None, seeds) for t in BUILTIN_TASKS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {_cell(row['combined'], seeds)} | "
                     f"{row['train_s']:.0f} | {row['evaluate_s']:.0f} | {row['parameters']:,} |")
    found = effects(rows)
    if found:
        lines += ["", f"## Effects against `{REFERENCE}` (headline metric: difference in points, and in pooled sd)", "",
                  "| row | " + " | ".join(BUILTIN_TASKS) + " |", "|---|" + "---|" * len(BUILTIN_TASKS)]
        for name, by_task in found.items():
            cells = []
            for t in BUILTIN_TASKS:
                e = by_task.get(t)
                cells.append("-" if e is None else f"{e['difference']:+.2f}" + (
                    f" ({e['sd_units']:+.1f} sd)" if "sd_units" in e else ""))
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plots(rows: Mapping[str, Mapping[str, Any]], out: Path, logs: Mapping[str, Path]) -> list[Path]:
    """Per task, a bar chart of each row's headline score with its sd as error bars; and the training
    loss curves of each row (its first seed's run log). SVG and PNG; returns the files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    written = []

    def save(figure, stem: str) -> None:
        for suffix in ("svg", "png"):
            figure.savefig(out / f"{stem}.{suffix}", bbox_inches="tight", dpi=120)
            written.append(out / f"{stem}.{suffix}")
        plt.close(figure)

    for task in BUILTIN_TASKS:
        scored = [(n, mean_sd(r["headline"][task])) for n, r in rows.items() if task in r["headline"]]
        if not scored:
            continue
        figure, axes = plt.subplots(figsize=(max(4.0, 0.6 * len(scored) + 1.5), 3.2))
        names = [n for n, _ in scored]
        axes.bar(range(len(scored)), [m for _, (m, _) in scored], yerr=[s for _, (_, s) in scored], capsize=3,
                 color=["#3b6ea5" if n == REFERENCE else "#9bb7d4" for n in names])
        axes.set_xticks(range(len(scored)), names, rotation=35, ha="right", fontsize=7)
        axes.set(title=f"{task}: {get_task(task).headline} (mean ± sd over seeds)", ylabel="score (%)")
        save(figure, f"bars-{task}")
    figure, axes = plt.subplots(figsize=(6.4, 3.4))
    for name, path in logs.items():
        steps, losses = [], []
        for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
            record = json.loads(line)
            if record.get("loss"):
                steps.append(record["step"])
                losses.append(statistics.fmean(record["loss"].values()))
        if steps:
            axes.plot(steps, losses, label=name, linewidth=1.2)
    axes.set(title="training loss (mean over the row's tasks, first seed)", xlabel="step", ylabel="loss",
             yscale="log")
    axes.legend(fontsize=6, ncol=2, frameon=False)
    save(figure, "training-curves")
    return written


def write_results(records: Sequence[Mapping[str, Any]], baselines: Mapping[str, Any], out: Path, *,
                  budget: str) -> tuple[Path, Path]:
    """``results.json`` (records aggregated, effects, baselines) and ``tables.md`` under ``out``."""
    rows = aggregate(records)
    data = {"budget": budget, "rows": rows, "effects": effects(rows), "baselines": baselines,
            "reported_on_jddc21": REPORTED,
            "titles": {n: ROWS[n].title for n in rows if n in ROWS}}
    with atomic_write(out / "results.json") as f:
        f.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    with atomic_write(out / "tables.md") as f:
        f.write(tables(rows, baselines, budget=budget))
    return out / "results.json", out / "tables.md"
