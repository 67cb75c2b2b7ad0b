"""Text-only vs multimodal: the same recipe trained twice, both scored on the test split.

    python benchmarks/ablation_modality.py [--config recipes/tiny.yaml] [--corpus DIR] [--out runs/ablation]
        [--steps N] [--seeds 0 1 2] [--jobs 2] [KEY=VALUE ...]

The multimodal run uses the recipe as it is; the text-only run adds ``model.text_only=true`` (no
visual encoder: every image is a bare learned ``[IMG]`` token, the paper's text-only ablation).
Each run is ``accelerate launch -m mtdialog.train`` followed by ``mtdialog evaluate --json`` on
``--split`` (default ``test``), once per ``--seeds`` value (``training.seed``), ``--jobs`` runs at a
time (one CPU thread each). The script then prints every task's metrics for both models (mean and
standard deviation over the seeds) beside the best non-neural baseline, and the combined score.
Extra ``KEY=VALUE`` overrides go to every run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mtdialog.tasks import get_task

#: Metrics shown per task (names as ``mtdialog.metrics`` gives them).
SHOWN = {
    "response": ("bleu", "rougeL", "distinct1", "distinct2"),
    "rewritable": ("precision", "recall", "f1"),
    "rewrite": ("bleu", "rougeL"),
    "discourse": ("link_f1", "link_rel_f1"),
    "summary": ("rouge1", "rouge2", "rougeL"),
    "image_category": ("accuracy", "macro_f1"),
}
VARIANTS = {"multimodal": [], "text-only": ["model.text_only=true"]}


def train_and_evaluate(run_dir: Path, args: argparse.Namespace, overrides: list[str]) -> dict:
    """Train one run into ``run_dir`` and return its ``mtdialog evaluate`` JSON (plus timings)."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    settings = [f"training.output_dir={run_dir}", *overrides]
    if args.corpus is not None:
        settings.append(f"data.corpus={args.corpus}")
    if args.steps is not None:
        settings.append(f"training.steps={args.steps}")
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / "ablation.log", "w", encoding="utf-8") as log:
        start = time.perf_counter()
        subprocess.run([str(bin_dir / "accelerate"), "launch", "--config_file", args.accelerate_config,
                        "-m", "mtdialog.train", "--config", str(args.config), *settings],
                       check=True, env=env, stdout=log, stderr=subprocess.STDOUT)
        trained = time.perf_counter()
        corpus = args.corpus if args.corpus is not None else _recipe_corpus(run_dir)
        scores_file = run_dir / f"{args.split}_scores.json"
        subprocess.run([str(bin_dir / "mtdialog"), "evaluate", "--checkpoint", str(run_dir / "best"), "--corpus",
                        str(corpus), "--split", args.split, "--json", str(scores_file)],
                       check=True, env=env, stdout=log, stderr=subprocess.STDOUT)
    result = json.loads(scores_file.read_text(encoding="utf-8"))
    result["timing"] = {"train_s": trained - start, "evaluate_s": time.perf_counter() - trained}
    return result


def _recipe_corpus(run_dir: Path) -> str:
    """The corpus the run trained on, from the recipe it saved."""
    import yaml

    return yaml.safe_load((run_dir / "recipe.yaml").read_text(encoding="utf-8"))["data"]["corpus"]


def _cell(values: list[float]) -> str:
    """``mean`` or ``mean±sd`` (sample standard deviation) of one metric over the seeds."""
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f}±{statistics.stdev(values):.2f}"


def print_tables(results: dict[str, list[dict]]) -> None:
    """One table per task: both variants (over their seeds) and the best baseline (by the headline metric)."""
    first = next(iter(results.values()))[0]
    seeds = len(next(iter(results.values())))
    print(f"mean{'±sd' if seeds > 1 else ''} over {seeds} seed(s)")
    for task, metrics in SHOWN.items():
        if task not in first["scores"]["mtdialog"]:
            continue
        rows = [(name, [_cell([r["scores"]["mtdialog"][task][m] for r in runs])
                        if m in runs[0]["scores"]["mtdialog"][task] else "-" for m in metrics])
                for name, runs in results.items()]
        baselines = first["scores"]["baselines"].get(task, {})
        if baselines:
            method = max(baselines, key=lambda m: baselines[m].get(get_task(task).headline, float("-inf")))
            rows.append((method, [f"{baselines[method][m]:.2f}" if m in baselines[method] else "-" for m in metrics]))
        print(f"\n{task} ({first['examples'][task]} {first['split']} examples)")
        print(f"{'model':<14}" + "".join(f"{m:>14}" for m in metrics))
        for name, cells in rows:
            print(f"{name:<14}" + "".join(f"{c:>14}" for c in cells))
    print("\ncombined score (mean of the headline metrics)")
    for name, runs in results.items():
        train = statistics.mean(r["timing"]["train_s"] for r in runs)
        evaluate = statistics.mean(r["timing"]["evaluate_s"] for r in runs)
        print(f"{name:<14}{_cell([r['combined_score']['mtdialog'] for r in runs]):>14}   "
              f"per run: train {train:.0f} s, evaluate {evaluate:.0f} s")
    print(f"{'baselines':<14}{first['combined_score']['baselines (best per task)']:>14.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("recipes/tiny.yaml"))
    parser.add_argument("--corpus", type=Path, help="native corpus (default: the recipe's)")
    parser.add_argument("--out", type=Path, default=Path("runs/ablation_modality"))
    parser.add_argument("--split", default="test")
    parser.add_argument("--steps", type=int, help="training steps of every run (default: the recipe's)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="training.seed of the runs (default: 0)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (default: 1)")
    parser.add_argument("--accelerate-config", default="recipes/accelerate/cpu.yaml")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="recipe overrides for every run")
    args = parser.parse_args(argv)
    runs = [(name, seed) for name in VARIANTS for seed in args.seeds]
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {(name, seed): pool.submit(train_and_evaluate, args.out / name / f"seed{seed}", args,
                                             [*args.overrides, *VARIANTS[name], f"training.seed={seed}"])
                   for name, seed in runs}
    results = {name: [futures[name, seed].result() for seed in args.seeds] for name in VARIANTS}
    (args.out / "ablation_modality.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print_tables(results)


if __name__ == "__main__":
    main()
