"""``mtdialog score TASK --predictions P --references R [--json]``: the JDDC 2.1 metrics of a file of
predictions, printed in the layout of the paper's table for that task (or as one JSON object).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mtdialog.metrics.text import BLEU_TOKENIZE


def register(subparsers: Any) -> None:
    """Add ``score`` to the ``mtdialog`` parser."""
    from mtdialog.tasks import task_names

    p = subparsers.add_parser(
        "score", help="score predictions against references with the JDDC 2.1 metrics",
        description="Score a file of predictions against a file of references. Text tasks: one example "
                    "per line (UTF-8); rewritable: 0/1/true/false per line; image_category: one label "
                    "per line; discourse: native session JSONL or STAC JSON. Scores are in percent, "
                    "character-level for text (see docs/metrics.md).")
    p.add_argument("task", type=_task_name, choices=task_names(), metavar="TASK",
                   help=f"which task's metrics: {', '.join(task_names())}")
    p.add_argument("--predictions", "-p", required=True, type=Path, metavar="FILE")
    p.add_argument("--references", "-r", required=True, type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--bleu-tokenize", choices=BLEU_TOKENIZE, default="char",
                   help="char: NLTK corpus BLEU over characters (default); zh: sacrebleu's zh tokeniser; "
                        "sentence: mean smoothed sentence BLEU")
    p.add_argument("--corpus", type=Path, metavar="DIR",
                   help="native corpus whose meta.json gives the relation labels and image categories "
                        "(default: JDDC 2.1's)")
    add_convention_argument(p)
    p.set_defaults(func=run)


def add_convention_argument(parser: argparse.ArgumentParser) -> None:
    """``--convention``: how discourse parsing is scored (``mtdialog.metrics.discourse``)."""
    from mtdialog.metrics.discourse import CONVENTIONS

    parser.add_argument("--convention", choices=list(CONVENTIONS), default="strict",
                        help="discourse scoring: strict (every EDU as annotated; default) or lenient (only EDUs whose "
                        "gold head is an earlier EDU, as the discourse papers' scripts score); docs/metrics.md")


def _task_name(value: str) -> str:
    from mtdialog.tasks import canonical_name

    return canonical_name(value)


def run(args: argparse.Namespace) -> int:
    from mtdialog.data.native import Corpus
    from mtdialog.tasks import get_task

    task = get_task(args.task)
    corpus = Corpus(args.corpus, images="ignore") if args.corpus is not None else None
    scored = task.score_files(args.predictions, args.references, corpus=corpus, bleu_tokenize=args.bleu_tokenize,
                              convention=args.convention)
    for note in scored.notes:
        print(f"mtdialog: note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps({"task": task.name, "examples": scored.examples, **scored.scores,
                          "conventions": "; ".join(scored.conventions)}, ensure_ascii=False))
    else:
        table = task.table({"predictions": scored.scores}, note=f"{scored.examples} examples, scores in %")
        print("\n".join([table, *(f"  {c}" for c in scored.conventions)]))
    return 0
