"""Train and score every (row, seed) of the paper benchmark, resumably, several at a time.

Each seed of a row is a directory ``OUT/rows/ROW/seedS``: ``run/`` (the ``mtdialog train`` run), the
logs of both commands, and ``scores.json`` (the ``mtdialog evaluate --json`` output with the row,
seed, wall times and parameter count), written last: a seed with ``scores.json`` is done and never
run again, and a seed whose training stopped resumes from its last checkpoint (``--resume``). The
non-neural baselines are scored once (``OUT/baselines.json``).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from mtdialog.benchmark.rows import BUDGETS, Row
from mtdialog.errors import MTDialogError
from mtdialog.fileio import atomic_write
from mtdialog.report.run import CHECKPOINTS

SOURCE = Path(__file__).resolve().parents[2]  # where the rows' recipes are


@dataclass(frozen=True)
class Settings:
    """How a benchmark runs: the corpus, the output directory, the budget, seeds, parallel jobs."""

    corpus: Path
    out: Path
    budget: str = "cpu"
    seeds: tuple[int, ...] = (0, 1, 2)
    jobs: int = 1
    num_beams: int = 4
    max_sessions: int | None = None  # evaluate the first N test sessions only (the smoke budget's 4)


class BenchmarkError(MTDialogError):
    """A row's command failed: the message names the row, the seed and the log."""


def recipe_path(row: Row, budget: str) -> Path:
    path = Path(row.paper_recipe if budget == "paper" and row.paper_recipe else row.recipe)
    return path if path.is_absolute() else SOURCE / path


def train_overrides(row: Row, settings: Settings, seed: int, run_dir: Path, corpus: Path | None = None) -> list[str]:
    """Every override of one training run: the corpus (default: the benchmark's) and output, the budget's
    (its steps times the row's ``step_factor``), the row's, the seed."""
    budget = [f"training.steps={int(o.split('=', 1)[1]) * row.step_factor}" if o.startswith("training.steps=") else o
              for o in BUDGETS[settings.budget]]
    if row.step_factor != 1 and not any(o.startswith("training.steps=") for o in budget):  # the recipe's own steps
        import yaml

        steps = yaml.safe_load(recipe_path(row, settings.budget).read_text(encoding="utf-8"))["training"]["steps"]
        budget.append(f"training.steps={steps * row.step_factor}")
    return [f"data.corpus={corpus or settings.corpus}", f"training.output_dir={run_dir}", *budget, *row.overrides,
            f"training.seed={seed}"]


def seeds_of(row: Row, settings: Settings) -> tuple[int, ...]:
    """The seeds a row runs: one at the smoke budget, else the first ``row.seeds`` of ``settings.seeds``."""
    return settings.seeds[: 1 if settings.budget == "smoke" else row.seeds]


def parameters(checkpoint: Path) -> int:
    """The number of parameters saved in a checkpoint (from the safetensors headers, nothing loaded)."""
    from safetensors import safe_open

    total = 0
    for path in sorted(checkpoint.glob("*.safetensors")):
        with safe_open(path, "pt") as f:
            for name in f.keys():  # noqa: SIM118 (safe_open is not a mapping)
                shape = f.get_slice(name).get_shape()
                total += math.prod(shape)
    return total


def _run(command: list[str], log: Path, row: Row, seed: int, threads: int) -> float:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as f:
        done = subprocess.run(command, stdout=f, stderr=subprocess.STDOUT, env=env, check=False)
    if done.returncode:
        tail = "".join(log.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)[-15:])
        raise BenchmarkError(f"row {row.name}, seed {seed}: `{' '.join(command[1:4])} ...` failed (exit "
                             f"{done.returncode}); last lines of {log}:\n{tail}")
    return time.perf_counter() - start


def checkpoint_of(run_dir: Path) -> Path:
    """The checkpoint a unified run is scored with: its best, else its last."""
    return next(run_dir / name for name in CHECKPOINTS if (run_dir / name / "config.json").is_file())


def row_corpus(row: Row, settings: Settings) -> Path:
    """The corpus a row trains and is scored on: the benchmark's, or for a row that reads another row's
    rewrites, that corpus rewritten by the other row's first seed (made once, shared by the row's seeds)."""
    if not row.rewrites_from:
        return settings.corpus
    from mtdialog.benchmark.crosstask import rewrite_corpus

    source = settings.out / "rows" / row.rewrites_from / f"seed{settings.seeds[0]}" / "run"
    return rewrite_corpus(checkpoint_of(source), settings.corpus, settings.out / "rows" / row.name / "corpus")


def system_commands(row: Row, settings: Settings, seed: int, run_dir: Path, evaluation: Path
                    ) -> tuple[list[str], list[str]]:
    """``mtdialog system train`` and ``evaluate`` of a paper system's row: its recipe at the budget (the
    recipe's own sizes at ``paper``), the row's overrides, the seed."""
    cli = [sys.executable, "-m", "mtdialog", "system"]
    train = [*cli, "train", "--config", str(recipe_path(row, settings.budget)), "--budget", settings.budget,
             "--corpus", str(settings.corpus), "--out", str(run_dir), *row.overrides, f"training.seed={seed}"]
    evaluate = [*cli, "evaluate", "--checkpoint", str(run_dir), "--corpus", str(settings.corpus), "--split", "test",
                "--num-beams", str(settings.num_beams), "--json", str(evaluation)]
    if settings.max_sessions:
        evaluate += ["--max-sessions", str(settings.max_sessions)]
    return train, evaluate


def check_row(row: Row, settings: Settings) -> Path:
    """Resolve a row's recipe at the settings' budget (a :class:`ConfigError` if it is not valid); its path."""
    path = recipe_path(row, settings.budget)
    if row.system:
        from mtdialog.systems.recipe import load_system_recipe

        load_system_recipe(path, [f"corpus={settings.corpus}", *row.overrides],
                           budget=None if settings.budget == "paper" else settings.budget)
    else:
        from mtdialog.training.recipe import load_recipe

        load_recipe(path, train_overrides(row, settings, 0, settings.out / "check"))
    return path


def run_seed(row: Row, seed: int, settings: Settings, threads: int = 1) -> dict[str, Any]:
    """Train and score one seed of ``row`` (or read it back when done); returns its ``scores.json``.
    A paper system whose training stopped part-way trains again from the start."""
    where = settings.out / "rows" / row.name / f"seed{seed}"
    done = where / "scores.json"
    if done.is_file():
        return json.loads(done.read_text(encoding="utf-8"))
    where.mkdir(parents=True, exist_ok=True)
    run_dir = where / "run"
    evaluation = where / "evaluate.json"
    if row.system:
        shutil.rmtree(run_dir, ignore_errors=True)
        train, evaluate = system_commands(row, settings, seed, run_dir, evaluation)
        train_s = _run(train, where / "train.log", row, seed, threads)
        evaluate_s = _run(evaluate, where / "evaluate.log", row, seed, threads)
        return _record(row, seed, settings, train_s, evaluate_s, run_dir, evaluation, done)
    corpus = row_corpus(row, settings)
    train = [sys.executable, "-m", "mtdialog.train"]
    if (run_dir / "last").is_dir() and not (run_dir / "train_summary.json").is_file():
        train += ["--resume", str(run_dir)]  # stopped part-way: continue from its last checkpoint
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
        train += ["--config", str(recipe_path(row, settings.budget)),
                  *train_overrides(row, settings, seed, run_dir, corpus)]
    train_s = _run(train, where / "train.log", row, seed, threads)
    checkpoint = checkpoint_of(run_dir)
    evaluate = [sys.executable, "-m", "mtdialog", "evaluate", "--checkpoint", str(checkpoint), "--corpus",
                str(corpus), "--split", "test", "--tasks", *row.tasks, "--no-baselines",
                "--num-beams", str(settings.num_beams), "--json", str(evaluation)]
    if settings.max_sessions:
        evaluate += ["--max-sessions", str(settings.max_sessions)]
    evaluate_s = _run(evaluate, where / "evaluate.log", row, seed, threads)
    return _record(row, seed, settings, train_s, evaluate_s, checkpoint, evaluation, done)


def _record(row: Row, seed: int, settings: Settings, train_s: float, evaluate_s: float, checkpoint: Path,
            evaluation: Path, done: Path) -> dict[str, Any]:
    """Write ``scores.json`` (last: a seed with it is done) and return it."""
    record = {"row": row.name, "seed": seed, "budget": settings.budget, "train_s": round(train_s, 1),
              "evaluate_s": round(evaluate_s, 1), "parameters": parameters(checkpoint),
              "evaluation": json.loads(evaluation.read_text(encoding="utf-8"))}
    with atomic_write(done) as f:
        f.write(json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    return record


def run_baselines(settings: Settings) -> dict[str, Any]:
    """Every non-neural baseline's test scores (``mtdialog baseline all --json``), computed once."""
    path = settings.out / "baselines.json"
    if not path.is_file():
        command = [sys.executable, "-m", "mtdialog", "baseline", "all", "--corpus", str(settings.corpus),
                   "--split", "test", "--json"]
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              env={**os.environ, "HF_HUB_OFFLINE": "1"})
        if done.returncode:
            raise BenchmarkError(f"the baselines failed: {done.stderr.strip()[-2000:]}")
        with atomic_write(path) as f:
            f.write(done.stdout)
    return json.loads(path.read_text(encoding="utf-8"))


def run_rows(rows: list[Row], settings: Settings, *, log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Every seed of every row, ``settings.jobs`` at a time; returns their records (failures raised
    after the others finish, all named)."""
    from mtdialog.benchmark.rows import ROWS

    needed = [ROWS[row.rewrites_from] for row in rows if row.rewrites_from]
    rows = [*[r for r in needed if r not in rows], *rows]
    jobs = [(row, seed) for row in rows for seed in seeds_of(row, settings)]
    threads = max(1, (os.cpu_count() or 1) // settings.jobs)
    records, failures = [], []
    with ThreadPoolExecutor(settings.jobs) as pool, tqdm(total=len(jobs), desc="benchmark", unit="run") as bar:
        # rows that read another row's model run once every other row is done (none failed) and their
        # corpus is made
        for phase in ([j for j in jobs if not j[0].rewrites_from], [j for j in jobs if j[0].rewrites_from]):
            if failures:
                break
            for row in dict.fromkeys(row for row, _ in phase if row.rewrites_from):
                log(f"{row.name}: the corpus rewritten by {row.rewrites_from} seed {settings.seeds[0]} is "
                    f"{row_corpus(row, settings)}")
            futures = {pool.submit(run_seed, row, seed, settings, threads): (row, seed) for row, seed in phase}
            for future in as_completed(futures):
                row, seed = futures[future]
                try:
                    record = future.result()
                    records.append(record)
                    log(f"{row.name} seed {seed}: trained in {record['train_s']:.0f} s, "
                        f"scored in {record['evaluate_s']:.0f} s")
                except BenchmarkError as e:
                    failures.append(str(e))
                bar.update()
    if failures:
        raise BenchmarkError("\n\n".join(failures))
    order = {(row.name, seed): i for i, (row, seed) in enumerate(jobs)}
    return sorted(records, key=lambda r: order[(r["row"], r["seed"])])


def finished(out: Path) -> list[dict[str, Any]]:
    """The records of every finished seed under ``out`` of a registered row, in table order: what the
    tables show, whichever rows this invocation ran."""
    from mtdialog.benchmark.rows import ROWS

    records = []
    for name in ROWS:
        for path in sorted((out / "rows" / name).glob("seed*/scores.json"), key=lambda p: int(p.parent.name[4:])):
            records.append(json.loads(path.read_text(encoding="utf-8")))
    return records
