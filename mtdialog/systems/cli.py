"""``mtdialog system``: the JDDC 2.1 paper's own systems, each trained and scored on one task."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

BUDGETS = ("smoke", "cpu", "paper")


def register(subparsers) -> None:
    """Add ``system`` to the ``mtdialog`` parser."""
    p = subparsers.add_parser(
        "system", help="the paper's own systems (retrieval, GPT, classifiers, Deep Sequential, PG, BertSumAbs)",
        description="Train and score the systems the JDDC 2.1 paper reports (Tables 5-9), one task each, from "
                    "a recipe under recipes/paper/ (the original sizes; --budget cpu or smoke shrinks them). "
                    "Scores come from the task's own scorer, the one `mtdialog evaluate` uses.")
    sub = p.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="every registered system, its tasks and the architecture it follows"
                   ).set_defaults(func=_list)
    for name, help_text in (("train", "train a system from a recipe and save it"),
                            ("run", "train a system, then score it on a split (default: test)")):
        t = sub.add_parser(name, help=help_text, description=help_text + ".")
        t.add_argument("--config", required=True, type=Path, metavar="YAML", help="a recipe under recipes/paper/")
        t.add_argument("--corpus", type=Path, metavar="DIR", help="native corpus (default: the recipe's corpus)")
        t.add_argument("--out", type=Path, metavar="DIR", help="where the system is saved (default: the recipe's "
                                                               "output_dir)")
        t.add_argument("--budget", choices=BUDGETS, default="paper",
                       help="the recipe's own sizes (paper, the default) or its cpu / smoke overrides")
        t.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="recipe overrides, e.g. training.steps=200")
        if name == "run":
            _scoring_arguments(t)
        t.set_defaults(func=_train if name == "train" else _run)
    e = sub.add_parser("evaluate", help="score a trained system on a split",
                       description="Score a trained system on a split of a corpus with its task's scorer.")
    e.add_argument("--checkpoint", required=True, type=Path, metavar="DIR", help="a directory `system train` wrote")
    e.add_argument("--corpus", required=True, type=Path, metavar="DIR", help="native corpus directory")
    _scoring_arguments(e)
    e.set_defaults(func=_evaluate)


def _scoring_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--split", default="test", help="split to score (default: test)")
    p.add_argument("--num-beams", type=int, default=4, help="beam width of generated answers (default: 4)")
    p.add_argument("--max-sessions", type=int, metavar="N", help="score the first N sessions only")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the scores as JSON (the layout of "
                                                            "`mtdialog evaluate --json`)")


def _log(message: str) -> None:
    print(f"mtdialog system: {message}", file=sys.stderr, flush=True)


def _list(args: argparse.Namespace) -> int:
    from mtdialog.systems.registry import systems

    for name, cls in systems().items():
        print(f"{name:<24} {', '.join(cls.tasks):<20} {cls.paper}")
    return 0


def _trained(args: argparse.Namespace):
    from mtdialog.systems.run import recipe_for, train

    recipe = recipe_for(args.config, args.overrides, budget=None if args.budget == "paper" else args.budget,
                        corpus=args.corpus, out=args.out)
    if recipe.output_dir is None:
        raise SystemExit("mtdialog system: error: give --out (the recipe has no output_dir)")
    summary = train(recipe, Path(recipe.output_dir), log=_log)
    _log(f"trained in {summary['train_s']:.0f} s; saved in {recipe.output_dir}")
    return recipe


def _train(args: argparse.Namespace) -> int:
    _trained(args)
    return 0


def _score(args: argparse.Namespace, checkpoint: Path, corpus: Path) -> int:
    from mtdialog.fileio import atomic_write
    from mtdialog.systems.run import evaluate
    from mtdialog.tasks import get_task

    if args.num_beams < 1:
        raise SystemExit("mtdialog system: error: --num-beams must be at least 1")
    result = evaluate(checkpoint, corpus, split=args.split, num_beams=args.num_beams,
                      max_sessions=args.max_sessions, predictions=checkpoint)
    task = get_task(result["task"])
    print(task.table({f"{result['system']} ({'multimodal' if result['multimodal'] else 'text-only'})":
                      result["scores"]["mtdialog"][task.name]}))
    if args.json is not None:
        with atomic_write(args.json) as f:
            f.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
        _log(f"wrote {args.json}")
    return 0


def _run(args: argparse.Namespace) -> int:
    recipe = _trained(args)
    return _score(args, Path(recipe.output_dir), Path(recipe.corpus))


def _evaluate(args: argparse.Namespace) -> int:
    return _score(args, args.checkpoint, args.corpus)
