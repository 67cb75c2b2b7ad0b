"""``mtdialog benchmark paper``: every row of the paper benchmark trained, scored, tabulated and plotted."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    """Add ``benchmark`` to the ``mtdialog`` parser."""
    from mtdialog.benchmark.rows import BUDGETS, ROWS

    p = subparsers.add_parser(
        "benchmark", help="the paper's experiments: every row trained and scored, tables and plots",
        description="Train and score every row of the paper benchmark (the paper's own systems, the unified model "
                    "and its ablations; docs/paper.md) on a native corpus with `mtdialog system` or `mtdialog "
                    "train` and `mtdialog evaluate`, several seeds each, and write the tables in the JDDC 2.1 paper's layout (mean ± sd over seeds) "
                    "as tables.md and results.json, with each row's wall time and parameter count, the "
                    "effects against the unified model, and plots (bars with error bars per task, training "
                    "curves). Resumable: a finished seed is never run again, an interrupted one continues.",
        epilog="rows:\n" + "\n".join(f"  {name:<26} {row.title}" for name, row in ROWS.items()),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suite", choices=("paper",), help="the benchmark to run (paper: the JDDC 2.1 paper's tables)")
    p.add_argument("--corpus", required=True, type=Path, metavar="DIR", help="native corpus directory")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="where rows, tables and plots go")
    p.add_argument("--budget", choices=tuple(BUDGETS), default="cpu",
                   help="smoke: seconds per row (tests); cpu: the reported tables on a CPU; paper: the original "
                        "sizes (GPU; --check validates its recipes) (default: cpu)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                   help="training seeds; a row runs as many as it asks for (ablations 3), the smoke budget one")
    p.add_argument("--jobs", type=int, default=1, help="runs at a time (each gets cores / jobs threads)")
    p.add_argument("--rows", nargs="+", metavar="ROW", help="run these rows only (default: every row)")
    p.add_argument("--num-beams", type=int, default=None, help="beam width when scoring (default: 4; smoke: 1)")
    p.add_argument("--check", action="store_true",
                   help="only resolve every row's recipe at the budget (no training), and say whether each is valid")
    p.set_defaults(func=_command)


def _log(message: str) -> None:
    print(f"mtdialog benchmark: {message}", file=sys.stderr, flush=True)


def _command(args: argparse.Namespace) -> int:
    from mtdialog.benchmark.results import aggregate, plots, write_results
    from mtdialog.benchmark.rows import select
    from mtdialog.benchmark.runner import (
        Settings,
        check_row,
        finished,
        run_baselines,
        run_rows,
    )

    if args.jobs < 1 or (args.num_beams is not None and args.num_beams < 1):
        raise SystemExit("mtdialog benchmark: error: --jobs and --num-beams must be at least 1")
    rows = select(args.rows)
    smoke = args.budget == "smoke"
    settings = Settings(corpus=args.corpus.resolve(), out=args.out.resolve(), budget=args.budget,
                        seeds=tuple(args.seeds), jobs=args.jobs,
                        num_beams=args.num_beams or (1 if smoke else 4), max_sessions=4 if smoke else None)
    if args.check:
        for row in rows:
            print(f"{row.name}: {check_row(row, settings).name} at the {args.budget} budget is valid")
        return 0
    if not settings.corpus.is_dir():
        from mtdialog.errors import DataError

        raise DataError("corpus directory does not exist", path=str(args.corpus))
    baselines = run_baselines(settings)
    run_rows(rows, settings, log=_log)
    records = finished(settings.out)  # the tables hold every finished row, not only those run now
    results, tables = write_results(records, baselines, settings.out, budget=args.budget)
    first_logs = {name: settings.out / "rows" / name / f"seed{settings.seeds[0]}" / "run" / "log.jsonl"
                  for name in dict.fromkeys(r["row"] for r in records)}
    written = plots(aggregate(records), settings.out / "plots", first_logs)
    _log(f"wrote {tables}, {results} and {len(written)} plots in {settings.out / 'plots'}")
    print(tables.read_text(encoding="utf-8"))
    return 0
