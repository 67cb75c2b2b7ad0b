"""``mtdialog report RUN_DIR``: the run's HTML report (and its JSON), path printed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    """Add ``report`` to the ``mtdialog`` parser."""
    p = subparsers.add_parser(
        "report", help="an HTML report of a training run: tables, plots, a gallery with drawn discourse parses",
        description="Write one self-contained HTML file (images and plots embedded; it opens offline) of a "
                    "training run: its recipe, package versions and wall time, the test tables of "
                    "`mtdialog evaluate --json` beside the baselines, plots of the run log (training loss, "
                    "learning rates, validation scores), and a gallery of test sessions answered by the "
                    "run's best checkpoint with each discourse parse drawn, gold beside predicted. The same "
                    "data goes to a .json file beside it.")
    p.add_argument("run", type=Path, metavar="RUN_DIR", help="a training run directory (training.output_dir)")
    p.add_argument("--corpus", type=Path, metavar="DIR",
                   help="native corpus of the gallery's sessions (default: the recipe's data.corpus)")
    p.add_argument("--out", type=Path, metavar="FILE", help="the HTML file (default: RUN_DIR/report.html)")
    p.add_argument("--test-scores", type=Path, metavar="FILE",
                   help="`mtdialog evaluate --json` output (default: RUN_DIR/test_scores.json, if there)")
    p.add_argument("--split", default="test", help="split of the gallery's sessions (default: test)")
    p.add_argument("--sessions", type=int, default=6, metavar="N", help="sessions in the gallery; 0: none (default: 6)")
    p.add_argument("--num-beams", type=int, default=4, metavar="N", help="beam width of the gallery's answers (default: 4)")
    p.add_argument("--benchmark", type=Path, metavar="DIR",
                   help="a `mtdialog benchmark paper --out` directory: add its tables and bar charts with error bars")
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    from mtdialog.report import build_report

    if args.sessions < 0 or args.num_beams < 1:
        raise SystemExit("mtdialog report: error: --sessions must be >= 0 and --num-beams >= 1")
    html, data = build_report(args.run, corpus=args.corpus, out=args.out, test_scores=args.test_scores,
                              split=args.split, sessions=args.sessions, num_beams=args.num_beams,
                              benchmark=args.benchmark,
                              log=lambda message: print(f"mtdialog: {message}", file=sys.stderr, flush=True))
    print(f"mtdialog: wrote {data}", file=sys.stderr)
    print(f"report: {html.resolve()}")
    return 0
