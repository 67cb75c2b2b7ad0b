"""``mtdialog score TASK --predictions P --references R [--json]``: the JDDC 2.1 metrics of a file of
predictions, printed in the layout of the paper's table for that task (or as one JSON object).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from mtdialog.metrics import tables
from mtdialog.metrics.files import TASKS, Scored
from mtdialog.metrics.text import BLEU_TOKENIZE


def register(subparsers: Any) -> None:
    """Add ``score`` to the ``mtdialog`` parser."""
    p = subparsers.add_parser(
        "score", help="score predictions against references with the JDDC 2.1 metrics",
        description="Score a file of predictions against a file of references. Text tasks: one example "
                    "per line (UTF-8); rewritable: 0/1/true/false per line; image-category: one label "
                    "per line; discourse: native session JSONL or STAC JSON. Scores are in percent, "
                    "character-level for text (see docs/metrics.md).")
    p.add_argument("task", choices=TASKS, help="which task's metrics")
    p.add_argument("--predictions", "-p", required=True, type=Path, metavar="FILE")
    p.add_argument("--references", "-r", required=True, type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--bleu-tokenize", choices=BLEU_TOKENIZE, default="char",
                   help="char: NLTK corpus BLEU over characters (default); zh: sacrebleu's zh tokeniser; "
                        "sentence: mean smoothed sentence BLEU")
    p.add_argument("--corpus", type=Path, metavar="DIR",
                   help="native corpus whose meta.json gives the relation labels and image categories "
                        "(default: JDDC 2.1's)")
    p.set_defaults(func=run)


def format_table(task: str, scored: Scored) -> str:
    """The task's table in the paper's layout (one row), then the conventions used."""
    table = tables.format_table(task.replace("-", "_"), {"predictions": scored.scores},
                                note=f"{scored.examples} examples, scores in %")
    return "\n".join([table, *(f"  {c}" for c in scored.conventions)])


def run(args: argparse.Namespace) -> int:
    import sys

    from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS
    from mtdialog.metrics.files import score_files

    relations, categories = JDDC21_RELATIONS, IMAGE_CATEGORIES
    if args.corpus is not None:
        from mtdialog.data.native import Corpus

        corpus = Corpus(args.corpus)
        relations, categories = corpus.relation_labels, corpus.image_categories
    scored = score_files(args.task, args.predictions, args.references, bleu_tokenize=args.bleu_tokenize,
                         relation_labels=relations, image_categories=categories)
    for note in scored.notes:
        print(f"mtdialog: note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps({"task": args.task, "examples": scored.examples, **scored.scores,
                          "conventions": "; ".join(scored.conventions)}, ensure_ascii=False))
    else:
        print(format_table(args.task, scored))
    return 0
