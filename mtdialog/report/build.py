"""Build the report of a run: collect what it holds, answer the gallery's sessions, render HTML + JSON."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mtdialog import __version__
from mtdialog.errors import DataError
from mtdialog.fileio import atomic_write
from mtdialog.report.gallery import gallery, pick_sessions
from mtdialog.report.plots import test_bars, training_plots
from mtdialog.report.run import Run, read_run
from mtdialog.tasks import get_task, task_names

TEMPLATE = "report.html.j2"


def score_tables(test: dict[str, Any]) -> list[dict[str, Any]]:
    """The test tables of ``mtdialog evaluate --json`` in each task's layout: the model's row first,
    then the baselines'; the best value of each column is marked."""
    model = test.get("scores", {}).get("mtdialog", {})
    baselines = test.get("scores", {}).get("baselines", {})
    tables = []
    for name in model:
        if name not in task_names():
            continue
        task = get_task(name)
        rows = {"mtdialog": model[name], **baselines.get(name, {})}
        best = {key: max((r[key] for r in rows.values() if key in r), default=None) for _, key in task.columns}
        tables.append({
            "title": task.title, "examples": test.get("examples", {}).get(name),
            "columns": [header for header, _ in task.columns],
            "rows": [{"name": row, "model": row == "mtdialog",
                      "cells": [{"value": f"{scores[key]:.2f}" if key in scores else "-",
                                 "best": key in scores and scores[key] == best[key]} for _, key in task.columns]}
                     for row, scores in rows.items()]})
    return tables


def _gallery(run: Run, corpus_dir: Path | None, split: str, count: int, num_beams: int,
             log: Callable[[str], None]) -> tuple[list[dict[str, Any]], str]:
    """The gallery's entries and a note on what it shows (or why it is empty)."""
    from mtdialog.data.images import image_loader
    from mtdialog.data.native import Corpus
    from mtdialog.inference_cli import load_model
    from mtdialog.pipeline import DialoguePipeline

    checkpoint = run.checkpoint
    if checkpoint is None:
        return [], "no gallery: the run has no checkpoint (best/, final/ or last/)"
    if corpus_dir is None:
        return [], "no gallery: give the corpus (--corpus DIR); the recipe names none"
    if not corpus_dir.is_dir():
        return [], f"no gallery: the corpus {corpus_dir} is not here (--corpus DIR)"
    corpus = Corpus(corpus_dir, images="placeholder")
    if split not in corpus.splits:
        return [], f"no gallery: {corpus_dir} has no {split} split"
    sessions = pick_sessions(list(corpus.sessions(split)), count)
    model, tokenizer = load_model(checkpoint)
    load = None if model.text_only else image_loader(corpus)
    pipe = DialoguePipeline(model, tokenizer, load, kb=corpus.kb(), num_beams=num_beams)
    start = time.perf_counter()
    entries = gallery(pipe, sessions, model.config.tasks, image_loader(corpus))
    log(f"gallery: {len(entries)} {split} sessions answered in {time.perf_counter() - start:.1f}s")
    return entries, (f"{len(entries)} sessions of {corpus_dir} {split} (those with a discourse annotation and "
                     f"images first), answered by {checkpoint} with {num_beams} beams")


def benchmark_section(directory: Path) -> dict[str, Any]:
    """What a ``mtdialog benchmark paper`` output directory adds: its results, its tables (markdown) and
    its bar charts with error bars (inline SVG, by task)."""
    results = directory / "results.json"
    if not results.is_file():
        raise DataError("not a benchmark directory (no results.json): run `mtdialog benchmark paper` first",
                        path=str(directory))
    bars = {}
    for path in sorted(directory.glob("plots/bars-*.svg")):
        text = path.read_text(encoding="utf-8")
        bars[path.stem.removeprefix("bars-")] = text[text.index("<svg"):]
    return {"results": json.loads(results.read_text(encoding="utf-8")), "bars": bars,
            "tables": (directory / "tables.md").read_text(encoding="utf-8") if (directory / "tables.md").is_file() else ""}


def build_report(run_dir: str | Path, *, corpus: str | Path | None = None, out: str | Path | None = None,
                 test_scores: str | Path | None = None, split: str = "test", sessions: int = 6, num_beams: int = 4,
                 benchmark: str | Path | None = None, log: Callable[[str], None] = lambda message: None
                 ) -> tuple[Path, Path]:
    """Write the report of ``run_dir`` to ``out`` (default ``RUN_DIR/report.html``) and its data to the
    ``.json`` beside it (``benchmark``: a ``mtdialog benchmark paper`` directory whose tables and bar
    charts are added); returns both paths."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    run = read_run(run_dir, test_scores=test_scores)
    out = Path(out) if out is not None else run.root / "report.html"
    if out.suffix != ".html":
        raise DataError("the report is an .html file", path=str(out))
    bench = benchmark_section(Path(benchmark)) if benchmark is not None else None
    corpus_dir = Path(corpus) if corpus is not None else (Path(c) if (c := run.corpus()) else None)
    entries, gallery_note = _gallery(run, corpus_dir, split, sessions, num_beams, log) if sessions else ([], "")
    data = {
        "run": str(run.root), "generated": time.strftime("%Y-%m-%d %H:%M:%S"), "mtdialog": __version__,
        "environment": run.environment, "packages": run.key_packages, "summary": run.summary,
        "recipe": run.recipe, "test": run.test, "log": run.log, "gallery_note": gallery_note, "gallery": entries}
    plots = training_plots(run.log)
    if run.test and (bars := test_bars(run.test)):
        plots = {"Test scores": bars, **plots}
    if bench is not None:
        data["benchmark"] = bench["results"]
        plots.update({f"Benchmark: {task} (mean ± sd over seeds)": svg for task, svg in bench["bars"].items()})
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    html = environment.get_template(TEMPLATE).render(
        **data, tables=score_tables(run.test) if run.test else [], plots=plots,
        wall=_duration(run.summary.get("elapsed_s")), benchmark_tables=bench["tables"] if bench else "")
    with atomic_write(out) as f:
        f.write(html)
    json_path = out.with_suffix(".json")
    with atomic_write(json_path) as f:
        f.write(json.dumps(_without_svg(data), ensure_ascii=False, indent=1) + "\n")
    return out, json_path


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _without_svg(data: dict[str, Any]) -> dict[str, Any]:
    """The report's data for the JSON file: the drawings and thumbnails left out (the HTML has them)."""
    gallery_data = []
    for entry in data["gallery"]:
        entry = {**entry, "turns": [{**t, "images": [i["id"] for i in t["images"]]} for t in entry["turns"]]}
        if entry["discourse"]:
            entry["discourse"] = {k: v for k, v in entry["discourse"].items() if not k.startswith("svg")}
        gallery_data.append(entry)
    return {**data, "gallery": gallery_data}
