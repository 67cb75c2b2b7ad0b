"""``mtdialog baseline``: run a non-neural baseline (or all of them), write and score predictions."""

from __future__ import annotations

import argparse
import json
import sys

_EPILOG = """\
baselines (NAME; a method name that only one task has also works, e.g. lead):
  response-retrieval        most frequent train response of the nearest train query
  rewritable-majority       majority rewritability of the train split
  rewrite-copy-query        the query text itself
  rewrite-retrieval         most frequent train rewrite of the nearest rewritable train query
  discourse-previous-edu    each EDU links to the previous one, most frequent train relation
  summary-lead              first N characters of the dialogue (N = mean train summary length)
  summary-lexrank           most central utterances (LexRank) up to N characters
  image-category-majority   majority image category of the train split
  all                       every baseline; prints one table per task (the paper's layouts)

Every baseline is fitted on the train split and predicts --split, one line per task example in the
order of the task's examples (text line breaks become spaces; discourse: session JSONL)."""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "baseline", help="run a non-neural baseline (or all) and write or score its predictions",
        description="Fit a non-neural baseline on the train split of a native corpus, predict a split, "
                    "write the predictions (and the matching references) in the format `mtdialog score` "
                    "reads, and optionally score them.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", metavar="NAME", help="a baseline name (below) or 'all'")
    p.add_argument("--corpus", required=True, metavar="DIR", help="native corpus directory")
    p.add_argument("--split", default="test", help="split to predict (default: test)")
    p.add_argument("--output", metavar="PRED", help="predictions file (required unless NAME is 'all')")
    p.add_argument("--references", metavar="REF", help="also write the gold file of the same examples")
    p.add_argument("--score", action="store_true", help="print the scores in the paper's layout")
    p.add_argument("--json", action="store_true", help="print the scores as JSON (implies --score)")
    p.add_argument("--skip-invalid", action="store_true",
                   help="skip bad session records (reported on stderr) instead of stopping at the first")
    p.set_defaults(func=lambda args: baseline_command(args, p))


def _log(message: str) -> None:
    print(f"[baseline] {message}", file=sys.stderr, flush=True)


def baseline_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from mtdialog.baselines.registry import resolve

    if args.name == "all":
        if args.output or args.references:
            parser.error("--output/--references need a single baseline, not 'all'")
        return _run_all(args)
    try:
        spec = resolve(args.name)
    except ValueError as e:
        parser.error(str(e))
    if not args.output:
        parser.error("--output is required for a single baseline")
    return _run_one(args, spec)


def _run_one(args: argparse.Namespace, spec) -> int:
    from mtdialog.baselines.files import write_references, write_task_file
    from mtdialog.baselines.run import run_baselines, score
    from mtdialog.metrics.tables import format_table

    (run,) = run_baselines(args.corpus, args.split, [spec.name], scored=False,
                            skip_invalid=args.skip_invalid, log=_log)
    write_task_file(spec.task, run.predictions, run.examples, args.output)
    _log(f"wrote {len(run.predictions)} {spec.task} predictions to {args.output}")
    if args.references:
        write_references(spec.task, run.examples, args.references)
        _log(f"wrote {len(run.examples)} {spec.task} references to {args.references}")
    if args.score or args.json:
        scores = score(spec.task, run.predictions, run.examples)
        if args.json:
            print(json.dumps({"baseline": spec.name, "task": spec.task, "split": args.split,
                              "examples": len(run.examples), "scores": scores}, ensure_ascii=False, indent=2))
        else:
            print(format_table(spec.task, {spec.method: scores},
                               note=f"{args.split}, {len(run.examples)} examples"))
    return 0


def _run_all(args: argparse.Namespace) -> int:
    from mtdialog.baselines.run import run_baselines
    from mtdialog.metrics.tables import TABLES, format_table

    runs = run_baselines(args.corpus, args.split, skip_missing=True, skip_invalid=args.skip_invalid, log=_log)
    if args.json:
        print(json.dumps({
            "split": args.split,
            "scores": {task: {r.spec.method: r.scores for r in runs if r.spec.task == task}
                       for task in TABLES if any(r.spec.task == task for r in runs)},
            "examples": {r.spec.task: len(r.examples) for r in runs},
            "seconds": {r.spec.name: {"fit": round(r.fit_seconds, 3), "predict": round(r.predict_seconds, 3)}
                        for r in runs},
        }, ensure_ascii=False, indent=2))
        return 0
    tables = []
    for task in TABLES:
        task_runs = [r for r in runs if r.spec.task == task]
        if task_runs:
            tables.append(format_table(task, {r.spec.method: r.scores for r in task_runs},
                                       note=f"{args.split}, {len(task_runs[0].examples)} examples"))
    print("\n\n".join(tables))
    return 0

