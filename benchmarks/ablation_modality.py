"""Text-only vs multimodal: the same recipe trained twice, both scored on the test split.

    python benchmarks/ablation_modality.py [--config recipes/tiny.yaml] [--corpus DIR] [--out runs/ablation]
        [--steps N] [KEY=VALUE ...]

The multimodal run uses the recipe as it is; the text-only run adds ``model.text_only=true`` (no
visual encoder: every image is a bare learned ``[IMG]`` token, the paper's text-only ablation).
Each run is ``accelerate launch -m mtdialog.train`` followed by ``mtdialog evaluate --json`` on
``--split`` (default ``test``); the script then prints every task's metrics for both models beside
the best non-neural baseline, and the combined score. Extra ``KEY=VALUE`` overrides go to both runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from mtdialog.training.score import HEADLINE

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


def train_and_evaluate(name: str, args: argparse.Namespace, overrides: list[str]) -> dict:
    """Train one variant into ``args.out/name`` and return its ``mtdialog evaluate`` JSON."""
    run_dir = args.out / name
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    settings = [f"training.output_dir={run_dir}", *overrides]
    if args.corpus is not None:
        settings.append(f"data.corpus={args.corpus}")
    if args.steps is not None:
        settings.append(f"training.steps={args.steps}")
    start = time.perf_counter()
    subprocess.run([str(bin_dir / "accelerate"), "launch", "--config_file", args.accelerate_config,
                    "-m", "mtdialog.train", "--config", str(args.config), *settings], check=True, env=env)
    trained = time.perf_counter()
    corpus = args.corpus if args.corpus is not None else _recipe_corpus(run_dir)
    scores_file = run_dir / f"{args.split}_scores.json"
    subprocess.run([str(bin_dir / "mtdialog"), "evaluate", "--checkpoint", str(run_dir / "best"), "--corpus",
                    str(corpus), "--split", args.split, "--json", str(scores_file)], check=True, env=env)
    result = json.loads(scores_file.read_text(encoding="utf-8"))
    result["timing"] = {"train_s": trained - start, "evaluate_s": time.perf_counter() - trained}
    return result


def _recipe_corpus(run_dir: Path) -> str:
    """The corpus the run trained on, from the recipe it saved."""
    import yaml

    return yaml.safe_load((run_dir / "recipe.yaml").read_text(encoding="utf-8"))["data"]["corpus"]


def print_tables(results: dict[str, dict]) -> None:
    """One table per task: both variants and the best baseline (by the task's headline metric)."""
    first = next(iter(results.values()))
    for task, metrics in SHOWN.items():
        if task not in first["scores"]["mtdialog"]:
            continue
        rows = [(name, r["scores"]["mtdialog"][task]) for name, r in results.items()]
        baselines = first["scores"]["baselines"].get(task, {})
        if baselines:
            method = max(baselines, key=lambda m: baselines[m].get(HEADLINE[task], float("-inf")))
            rows.append((method, baselines[method]))
        print(f"\n{task} ({first['examples'][task]} {first['split']} examples)")
        print(f"{'model':<14}" + "".join(f"{m:>13}" for m in metrics))
        for name, values in rows:
            print(f"{name:<14}" + "".join(f"{values[m]:>13.2f}" if m in values else f"{'-':>13}" for m in metrics))
    print("\ncombined score (mean of the headline metrics)")
    for name, r in results.items():
        print(f"{name:<14}{r['combined_score']['mtdialog']:>13.2f}   train {r['timing']['train_s']:.0f} s, "
              f"evaluate {r['timing']['evaluate_s']:.0f} s")
    print(f"{'baselines':<14}{first['combined_score']['baselines (best per task)']:>13.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("recipes/tiny.yaml"))
    parser.add_argument("--corpus", type=Path, help="native corpus (default: the recipe's)")
    parser.add_argument("--out", type=Path, default=Path("runs/ablation_modality"))
    parser.add_argument("--split", default="test")
    parser.add_argument("--steps", type=int, help="training steps of both runs (default: the recipe's)")
    parser.add_argument("--accelerate-config", default="recipes/accelerate/cpu.yaml")
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="recipe overrides for both runs")
    args = parser.parse_args(argv)
    results = {name: train_and_evaluate(name, args, [*args.overrides, *extra]) for name, extra in VARIANTS.items()}
    (args.out / "ablation_modality.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print_tables(results)


if __name__ == "__main__":
    main()
