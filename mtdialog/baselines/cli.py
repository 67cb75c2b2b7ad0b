"""``mtdialog baseline``: run a non-neural baseline (or all of them), write and score predictions."""

from __future__ import annotations

import argparse
import json
import sys

from mtdialog.metrics.cli import add_convention_argument

_EPILOG = """\
baselines: NAME is TASK-METHOD (a method name that only one task has also works, e.g. lead):
{names}
  all  every baseline; prints one table per task (the paper's layouts)

Every baseline is fitted on the train split and predicts --split, one line per task example in the
order of the task's examples (text line breaks become spaces; discourse: session JSONL).
See docs/baselines.md for what each one does."""


def register(subparsers) -> None:
    from mtdialog.baselines.registry import baselines

    names = "\n".join(f"  {name}" for name in baselines())
    p = subparsers.add_parser(
        "baseline", help="run a non-neural baseline (or all) and write or score its predictions",
        description="Fit a non-neural baseline on the train split of a native corpus, predict a split, "
                    "write the predictions (and the matching references) in the format `mtdialog score` "
                    "reads, and optionally score them.",
        epilog=_EPILOG.format(names=names), formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", metavar="NAME", help="a baseline name (below) or 'all'")
    p.add_argument("--corpus", required=True, metavar="DIR", help="native corpus directory")
    p.add_argument("--split", default="test", help="split to predict (default: test)")
    p.add_argument("--output", metavar="PRED", help="predictions file (required unless NAME is 'all')")
    p.add_argument("--references", metavar="REF", help="also write the gold file of the same examples")
    p.add_argument("--score", action="store_true", help="print the scores in the paper's layout")
    p.add_argument("--json", action="store_true", help="print the scores as JSON (implies --score)")
    p.add_argument("--skip-invalid", action="store_true",
                   help="skip bad session records (reported on stderr) instead of stopping at the first")
    add_convention_argument(p)
    p.set_defaults(func=lambda args: baseline_command(args, p))


def _log(message: str) -> None:
    print(f"[baseline] {message}", file=sys.stderr, flush=True)


def baseline_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from mtdialog.baselines.registry import resolve
    from mtdialog.errors import ConfigError

    if args.name == "all":
        if args.output or args.references:
            parser.error("--output/--references need a single baseline, not 'all'")
        return _run_all(args)
    try:
        spec = resolve(args.name)
    except ConfigError as e:
        parser.error(str(e))
    if not args.output:
        parser.error("--output is required for a single baseline")
    return _run_one(args, spec)


def _run_one(args: argparse.Namespace, spec) -> int:
    from mtdialog.baselines.run import run_corpus_baselines

    task = spec.task
    (run,) = run_corpus_baselines(args.corpus, args.split, [spec.name], scored=args.score or args.json,
                                  skip_invalid=args.skip_invalid, options={"convention": args.convention}, log=_log)
    task.write_file(run.predictions, run.examples, args.output)
    _log(f"wrote {len(run.predictions)} {task.name} predictions to {args.output}")
    if args.references:
        task.write_references(run.examples, args.references)
        _log(f"wrote {len(run.examples)} {task.name} references to {args.references}")
    conventions = task.stated_conventions({"convention": args.convention})
    if args.json:
        print(json.dumps({"baseline": spec.name, "task": task.name, "split": args.split,
                          "examples": len(run.examples), "scores": run.scores, "conventions": conventions},
                         ensure_ascii=False, indent=2))
    elif args.score:
        print("\n".join([task.table({spec.method: run.scores}, note=f"{args.split}, {len(run.examples)} examples"),
                         *(f"  {c}" for c in conventions)]))
    return 0


def _run_all(args: argparse.Namespace) -> int:
    from mtdialog.baselines.run import run_corpus_baselines, scores_by_task
    from mtdialog.tasks import get_task

    runs = run_corpus_baselines(args.corpus, args.split, skip_missing=True, skip_invalid=args.skip_invalid,
                                options={"convention": args.convention}, log=_log)
    scores = scores_by_task(runs)
    examples = {r.spec.task.name: len(r.examples) for r in runs}
    conventions = {task: get_task(task).stated_conventions({"convention": args.convention}) for task in scores}
    if args.json:
        print(json.dumps({
            "split": args.split, "scores": scores, "examples": examples, "conventions": conventions,
            "seconds": {r.spec.name: {"fit": round(r.fit_seconds, 3), "predict": round(r.predict_seconds, 3)}
                        for r in runs},
        }, ensure_ascii=False, indent=2))
        return 0
    print("\n\n".join("\n".join([get_task(task).table(rows, note=f"{args.split}, {examples[task]} examples"),
                                  *(f"  {c}" for c in conventions[task])]) for task, rows in scores.items()))
    return 0
