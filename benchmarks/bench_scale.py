"""Training cost as the corpus grows, and per step: launch-to-first-step time and peak memory for
generated corpora of several sizes, the image-feature cache's build rate, and the Trainer's steps/s
against a bare loop and in bf16.

    python benchmarks/bench_scale.py --sizes 3000 50000 250000 --corpora /tmp/scale

**Launch to first step.** For each size a corpus is generated once under ``--corpora`` (``mtdialog
data synth``; 250K sessions take about 4 minutes and 1.6 GB of disk), then ``mtdialog train --config
recipes/tiny.yaml`` runs one step on it in its own process: text-only, so that the rows measure the
data path (reading, validating and indexing sessions, finding examples, building the vocabulary), not
the image cache. Seconds from launch to the first step's log record, and the process's peak resident
memory (``ru_maxrss`` from ``wait4``). **Image features**: the multimodal recipe on the smallest
corpus (or the ``--images-at`` size), first with an empty ``$MTDIALOG_CACHE`` (the features are computed: the run reports how many
and how fast), then again with the cache the first run filled.

**Steps per second** (``--steps`` after 5 warm-up steps, ``--recipe`` (tiny) on the smallest corpus, one
process per measurement, in the order A B C C B A): the Trainer (``Trainer.train_step``: task
sampling, batching, accelerate, clipping, scheduling, loss bookkeeping), a bare loop over the same
model, batches and optimizer (sample, collate, forward, backward, clip, step), and the Trainer in bf16
autocast.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "recipes" / "tiny.yaml"


def corpus(root: Path, sessions: int) -> Path:
    """The generated corpus of ``sessions`` sessions under ``root`` (made once)."""
    path = root / f"synth-{sessions}"
    if not (path / "meta.json").exists():
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mtdialog", "data", "synth", "--out", str(path), "--sessions",
                        str(sessions), "--annotated", str(min(600, sessions // 5)), "--seed", "0"], check=True)
        print(f"generated {path} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return path


def peak_mb(data: Path, cache: Path, *overrides: str) -> tuple[float, float, str]:
    """(seconds to first step, peak MB, stderr) of one launch, memory measured by /usr/bin/time."""
    with tempfile.TemporaryDirectory() as out:
        cmd = ["/usr/bin/time", "-f", "MAXRSS_KB %M", sys.executable, "-m", "mtdialog", "train", "--config",
               str(RECIPE), f"data.corpus={data}", "data.synth=null", f"training.output_dir={out}", "training.steps=1",
               "training.log_every=1", "training.eval_every=0", "training.save_every=0", *overrides]
        env = {**os.environ, "MTDIALOG_CACHE": str(cache), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "2"}
        log, first = Path(out) / "log.jsonl", None
        start = time.perf_counter()
        with open(Path(out) / "stderr.txt", "w") as err:
            child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
            while child.poll() is None:
                if first is None and log.exists() and log.stat().st_size:
                    first = time.perf_counter() - start
                time.sleep(0.05)
        stderr = (Path(out) / "stderr.txt").read_text(encoding="utf-8", errors="replace")
        if child.returncode:
            raise SystemExit(f"train failed on {data}:\n{stderr[-3000:]}")
        kb = int(re.findall(r"MAXRSS_KB (\d+)", stderr)[-1])
        return (first if first is not None else time.perf_counter() - start), kb / 1024, stderr


def steps_per_second(data: Path, mode: str, steps: int, recipe: Path) -> float:
    """Measured in a child process: ``mode`` is ``trainer``, ``bare`` or ``bf16``."""
    out = subprocess.run([sys.executable, __file__, "--measure", mode, "--corpus", str(data), "--steps", str(steps),
                          "--recipe", str(recipe)],
                         check=True, capture_output=True, text=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "2"})
    return float(out.stdout.strip().splitlines()[-1])


def measure(mode: str, data: Path, steps: int, recipe: Path) -> None:
    """Print the steps/s of ``mode`` (the child-process side of :func:`steps_per_second`)."""
    import torch

    from mtdialog.train import build_trainer

    with tempfile.TemporaryDirectory() as out:
        overrides = [f"data.corpus={data}", "data.synth=null", f"training.output_dir={out}", "training.eval_every=0",
                     "training.save_every=0", "training.log_every=0"]
        if mode == "bf16":
            overrides.append("training.mixed_precision=bf16")
        trainer = build_trainer(recipe, overrides)
        if mode == "bare":
            model, optimizer = trainer.accelerator.unwrap_model(trainer.model), trainer.optimizer.optimizer
            scheduler, clip = trainer.scheduler.scheduler, trainer.recipe.training.max_grad_norm
            model.train()

            def step() -> None:
                task = trainer.sampler.next()
                indices = trainer.streams[task].next()
                batch = trainer.collate([trainer.datasets[task][i] for i in indices])
                (model(**batch).loss * trainer.recipe.tasks[task].weight).backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                optimizer.step()
                optimizer.zero_grad()
                scheduler.step()
        else:
            step = trainer.train_step
        for _ in range(5):
            step()
        start = time.perf_counter()
        for _ in range(steps):
            step()
        print(steps / (time.perf_counter() - start))


def table(title: str, header: list[str], rows: list[list]) -> str:
    lines = [f"\n{title}", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 50000, 250000], help="corpus sizes (sessions)")
    parser.add_argument("--corpora", type=Path, default=Path(tempfile.gettempdir()) / "mtdialog-scale",
                        help="where the generated corpora are kept (outside the repository)")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per steps/s measurement")
    parser.add_argument("--tables", nargs="+", choices=("launch", "steps"), default=["launch", "steps"],
                        help="what to measure (default: both)")
    parser.add_argument("--recipe", type=Path, default=RECIPE, help="the recipe whose steps are timed (default: tiny)")
    parser.add_argument("--images-at", type=int, metavar="SESSIONS",
                        help="corpus size of the multimodal (image-feature) rows (default: the smallest size)")
    parser.add_argument("--measure", choices=("trainer", "bare", "bf16"), help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        return measure(args.measure, args.corpus, args.steps, args.recipe)
    sizes = sorted(set(args.sizes))
    images_at = args.images_at or sizes[0]
    corpora = {n: corpus(args.corpora, n) for n in sorted({*sizes, images_at})}

    if "launch" in args.tables:
        launches(sizes, corpora, images_at)
    if "steps" in args.tables:
        steps(corpora[sizes[0]], sizes[0], args.steps, args.recipe)


def launches(sizes: list[int], corpora: dict[int, Path], images_at: int) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for n in sizes:
            seconds, mb, _ = peak_mb(corpora[n], Path(cache), "model.text_only=true")
            rows.append([f"{n:,}", f"{seconds:.1f}", f"{mb:,.0f}"])
    print(table("launch to first step, text-only (the data path)", ["sessions", "seconds", "peak MB"], rows))

    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for kind in ("empty cache", "warm cache"):
            seconds, mb, stderr = peak_mb(corpora[images_at], Path(cache))
            found = re.findall(r"image features: .*", stderr)
            rows.append([kind, f"{seconds:.1f}", f"{mb:,.0f}", found[-1] if found else ""])
    print(table(f"launch to first step, multimodal, {images_at:,} sessions", ["", "seconds", "peak MB", "the run says"],
                rows))


def steps(data: Path, size: int, count: int, recipe: Path) -> None:
    runs: dict[str, list[float]] = {"trainer": [], "bare": [], "bf16": []}
    for mode in ("trainer", "bare", "bf16", "bf16", "bare", "trainer"):
        runs[mode].append(steps_per_second(data, mode, count, recipe))
    mean = {mode: sum(v) / len(v) for mode, v in runs.items()}
    print(table(f"steps/s, {recipe.name}, {size:,} sessions, 2 threads (runs A B C C B A)",
                ["", "steps/s (both runs)", "vs bare loop"], [
                    [mode, " / ".join(f"{v:.2f}" for v in runs[mode]), f"{mean[mode] / mean['bare']:.3f}"]
                    for mode in ("bare", "trainer", "bf16")]))
    print(f"\nTrainer overhead over the bare loop: {100 * (mean['bare'] / mean['trainer'] - 1):.1f}%; "
          f"bf16 / float32 Trainer steps/s: {mean['bf16'] / mean['trainer']:.2f}x")
    print(json.dumps({"steps_per_s": runs}), file=sys.stderr)


if __name__ == "__main__":
    main()
