"""``mtdialog data``: generate, convert, validate and describe corpora.

Sub-commands: ``synth`` (the embedded corpus generator), ``convert`` (native <-> public formats,
``mtdialog.data.convert``), ``merge`` (corpora joined, ``mtdialog.data.merge``), ``validate`` (every record, image and count of a native corpus,
``mtdialog.data.validate``; exit 2 on any problem) and ``stats`` (the JDDC 2.1 paper's Tables 2, 3 and
12, ``mtdialog.data.stats``). This module parses arguments and prints; bad input prints
``path:line: field: message`` lines.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mtdialog.data.convert import FROM_FORMATS, TO_FORMATS
from mtdialog.data.native import SPLITS, Corpus
from mtdialog.data.schema import DataError, SkipReport, describe_relation_kinds

_ID_LIMIT = 20  # image ids listed per summary line


class _HelpFormatter(argparse.HelpFormatter):
    """Fills descriptions as usual but keeps indented lines (command examples) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = text.split("\n")
        return "\n".join(p if p.startswith("  ") else super(_HelpFormatter, self)._fill_text(p, width, indent)
                         for p in paragraphs)


def register(subparsers: Any) -> None:
    """Add ``data`` and its sub-commands to the ``mtdialog`` parser."""
    data = subparsers.add_parser(
        "data", help="generate, convert, validate and describe corpora",
        description="Corpus tools for the native format (see docs/data-format.md) and the public "
                    "JDDC 2.0 TSV, STAC/Molweni JSON and CSDS formats.")
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
    fmt = _HelpFormatter

    p = sub.add_parser("synth", formatter_class=fmt, help="generate the embedded JDDC 2.1-style corpus",
                       description="Generate the deterministic embedded corpus (both shops, a KB, rendered "
                                   "images of all 15 categories, every annotation) in the native format.")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="corpus directory to write")
    p.add_argument("--sessions", type=int, default=3000, metavar="N",
                   help="number of sessions over all splits (default: 3000)")
    p.add_argument("--annotated", type=int, default=None, metavar="N",
                   help="sessions carrying the task annotations (default: 600, or a fifth of --sessions "
                        "when that is smaller)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="random seed; the same seed gives the same corpus (default: 0)")
    p.add_argument("--workers", type=int, default=None, metavar="W",
                   help="worker processes (default: all cores)")
    p.set_defaults(func=_cmd_synth)

    p = sub.add_parser(
        "convert", formatter_class=fmt, help="convert between the native format and public formats",
        description="Convert sessions between formats. A file format read into the native format goes "
                    "into one split (--split, default train), with its images copied from --images. "
                    "native -> native copies every split (or --split), the KB, meta.json and images; "
                    "session files stay byte-for-byte identical. native -> a file format writes one "
                    "split (--split) or all splits in order.",
        epilog="examples:\n"
               "  mtdialog data convert train.tsv corpus --from jddc20-tsv --to native --images imgs/\n"
               "  mtdialog data convert corpus test.tsv --from native --to jddc20-tsv --split test\n"
               "  mtdialog data convert molweni/dev.json molweni-native --from stac --to native\n"
               "  mtdialog data convert molweni/test.json molweni-native --from stac --to native --split test\n"
               "  mtdialog data convert corpus copy --from native --to native")
    p.add_argument("input", metavar="IN", type=Path, help="input file, or native corpus directory")
    p.add_argument("output", metavar="OUT", type=Path,
                   help="output file, or native corpus directory: new or empty, or an existing corpus that "
                        "gets the converted sessions as a new split (--split)")
    p.add_argument("--from", dest="from_format", required=True, choices=FROM_FORMATS, help="input format")
    p.add_argument("--to", dest="to_format", required=True, choices=TO_FORMATS, help="output format")
    p.add_argument("--split", choices=("train", "valid", "test"), default=None,
                   help="split to write into (file input; default train) or to read (native input; "
                        "default all)")
    p.add_argument("--images", type=Path, default=None, metavar="DIR",
                   help="directory of the input's image files (<image_id>.<ext>), copied into a native "
                        "output; a referenced image missing there is an error")
    p.add_argument("--name", default=None,
                   help="corpus name in meta.json (default: the input corpus's name, or the file's stem)")
    p.add_argument("--skip-invalid", action="store_true",
                   help="skip bad records (reported with counts and reasons) instead of stopping")
    p.add_argument("--allow-missing-images", action="store_true",
                   help="keep sessions whose images have no file (counted and listed) instead of failing")
    p.add_argument("--roles", type=_roles, default=None, metavar="NAME=Q,NAME=A",
                   help="STAC input: the role of each speaker name (Q customer, A agent), for a customer-"
                        "service corpus. Without it the dialogue is of another kind: names are kept, roles "
                        "alternate by first appearance, and tasks about customers and agents (response, "
                        "rewritable, rewrite) leave it out")
    p.set_defaults(func=_cmd_convert)

    p = sub.add_parser(
        "merge", formatter_class=fmt, help="join native corpora into one",
        description="Write the splits of several native corpora into one new corpus: a split that several "
                    "have gets their sessions in the order given. Session ids must be unique across "
                    "them; a KB entry or image id in several corpora must be the same in each (kept "
                    "once); label sets are joined (JDDC's when they all fit it).",
        epilog="example:\n  mtdialog data merge a-corpus b-corpus joined")
    p.add_argument("inputs", metavar="IN", type=Path, nargs="+", help="native corpus directories (two or more)")
    p.add_argument("output", metavar="OUT", type=Path, help="new (or empty) corpus directory")
    p.add_argument("--name", default=None, help="corpus name in meta.json (default: the first input's)")
    p.add_argument("--skip-invalid", action="store_true",
                   help="skip bad records (reported with counts and reasons) instead of stopping")
    p.add_argument("--allow-missing-images", action="store_true",
                   help="keep sessions whose images have no file instead of failing")
    p.set_defaults(func=_cmd_merge)

    p = sub.add_parser(
        "validate", formatter_class=fmt, help="check every record, image and count of a native corpus",
        description="Read every split, decode every image, check kb.jsonl and the counts in meta.json. "
                    "Prints a report and one 'path:line: field: message' line per problem; exits 0 if "
                    "the corpus is clean, 2 otherwise.")
    p.add_argument("dir", type=Path, metavar="DIR", help="native corpus directory")
    p.add_argument("--skip-invalid", action="store_true",
                   help="go on past bad records and list them all (default: stop at the first)")
    p.add_argument("--workers", type=int, default=None, metavar="W",
                   help="image decoding threads (default: up to 8)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "stats", formatter_class=fmt, help="corpus statistics in the JDDC 2.1 paper's layout",
        description="Print Table 2 (dialogues, utterances, images and lengths per split and shop), "
                    "Table 3 (discourse annotations per split), Table 12 (relation-label distribution), "
                    "the rewrite ratio and the mean summary length. Utterance lengths are in characters "
                    "over turns with text.")
    p.add_argument("dir", type=Path, metavar="DIR", help="native corpus directory")
    p.add_argument("--json", action="store_true", help="print the statistics as JSON")
    p.add_argument("--skip-invalid", action="store_true", help="skip bad records (reported) instead of stopping")
    p.set_defaults(func=_cmd_stats)


# ------------------------------------------------------------------------------------------- helpers
def _roles(value: str) -> dict[str, str]:
    """``"客户=Q,客服=A"`` -> ``{"客户": "Q", "客服": "A"}``."""
    roles = {}
    for pair in value.split(","):
        name, _, role = pair.rpartition("=")
        if not name or role not in ("Q", "A") or name in roles:
            raise argparse.ArgumentTypeError(f"expected NAME=Q or NAME=A pairs, each name once, got {pair!r}")
        roles[name] = role
    return roles


def _table(header: list[str], rows: Iterable[list[Any]]) -> str:
    """A plain aligned text table: numeric columns right-aligned, the others left-aligned."""
    rows = list(rows)
    numeric = [all(isinstance(r[i], (int, float)) for r in rows) for i in range(len(header))]
    cells = [header] + [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(row, widths, numeric)).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]])


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:_ID_LIMIT])
    return shown + (f", ... and {len(ids) - _ID_LIMIT} more" if len(ids) > _ID_LIMIT else "")


def _progress() -> bool:
    return sys.stderr.isatty()


def _print_skipped(report: SkipReport) -> None:
    if len(report):
        print(report.summary(), file=sys.stderr)


# --------------------------------------------------------------------------------------------- synth
def _cmd_synth(args: argparse.Namespace) -> int:
    from mtdialog.data.synth import generate_corpus

    annotated = min(600, args.sessions // 5) if args.annotated is None else args.annotated
    start = time.perf_counter()
    try:
        path = generate_corpus(args.out, sessions=args.sessions, annotated=annotated, seed=args.seed,
                               workers=args.workers, progress=_progress())
    except ValueError as e:  # out-of-range sizes
        raise DataError(str(e), field="--sessions/--annotated") from None
    elapsed = time.perf_counter() - start
    counts = Corpus(path).meta.get("counts", {})
    per_split = {s: counts[s]["sessions"] for s in SPLITS if s in counts}
    total = sum(per_split.values())
    print(f"wrote {total} sessions ({', '.join(f'{s} {n}' for s, n in per_split.items())}) and "
          f"{counts.get('image_files', 0)} image files to {path}")
    print(f"{elapsed:.1f} s, {total / elapsed:.1f} sessions/s")
    return 0


# ------------------------------------------------------------------------------------------- convert
def _cmd_convert(args: argparse.Namespace) -> int:
    from mtdialog.data.convert import convert

    result = convert(args.input, args.output, args.from_format, args.to_format, split=args.split,
                     images=args.images, name=args.name, skip_invalid=args.skip_invalid,
                     allow_missing_images=args.allow_missing_images, roles=args.roles)
    _report(result, f"converted {{}}: {args.input} ({args.from_format}) -> {args.output} ({args.to_format})",
            args.images)
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    from mtdialog.data.merge import merge

    result = merge(args.inputs, args.output, name=args.name, skip_invalid=args.skip_invalid,
                   allow_missing_images=args.allow_missing_images)
    _report(result, f"merged {{}} from {len(args.inputs)} corpora into {args.output}", None)
    return 0


def _report(result, headline: str, images: Path | None) -> None:
    """What a conversion or merge did: ``headline`` (with ``{}`` for the counts), copies, notes, images."""
    total = sum(result.counts.values())
    print(headline.format(f"{total} sessions ({', '.join(f'{s} {n}' for s, n in result.counts.items()) or 'none'})"))
    if result.relation_kinds:
        print(f"discourse relations: {describe_relation_kinds(result.relation_kinds)}")
    if result.copied:
        print("copied: " + ", ".join(f"{what} {n}" for what, n in result.copied.items()))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if result.missing_images:
        print(f"images not found in {images}: {len(result.missing_images)} ({_ids(result.missing_images)})")
    if result.unreadable_images:
        print(f"images without a readable file: {len(result.unreadable_images)} "
              f"({_ids(result.unreadable_images)})")
    _print_skipped(result.skipped)


# ------------------------------------------------------------------------------------------ validate
def _cmd_validate(args: argparse.Namespace) -> int:
    from mtdialog.data.validate import validate

    v = validate(args.dir, skip_invalid=args.skip_invalid, workers=args.workers, progress=_progress())
    corpus = v.corpus
    print(f"corpus {corpus.root}: {corpus.meta.get('name', '?')} {corpus.meta.get('version', '')}".rstrip())
    print(_table(["split", "sessions", "turns", "images"],
                 [[s, c["sessions"], c["turns"], c["images"]] for s, c in v.counts.items()]))
    if corpus.kb_path.exists():
        print(f"kb: {v.kb_products} products; {v.sessions_without_kb} sessions name a product without a KB entry")
    else:
        print("kb: none (no kb.jsonl)")
    missing = corpus.missing_images
    print(f"image files: {v.image_files}; missing images: {len(missing)}"
          + (f" ({_ids(missing)})" if missing else "")
          + f"; corrupt images: {len(v.unreadable)}" + (f" ({_ids(v.unreadable)})" if v.unreadable else ""))
    if v.relation_kinds:
        print(f"discourse relations: {describe_relation_kinds(v.relation_kinds)}")
    for e in v.errors:
        print(e)
    if v.errors:
        if len(v.skipped):
            print(v.skipped.summary(limit=0))
        print(f"INVALID: {len(v.errors)} problem(s)")
        return 2
    print("OK")
    return 0


# --------------------------------------------------------------------------------------------- stats
def _cmd_stats(args: argparse.Namespace) -> int:
    from mtdialog.data.schema import OTHER_KINDS
    from mtdialog.data.stats import DiscourseStats, corpus_stats

    report = SkipReport()
    stats = corpus_stats(Corpus(args.dir, images="ignore"), skip_invalid=args.skip_invalid, report=report)
    if args.json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
        _print_skipped(report)
        return 0
    cells = [(f"{split}/{shop}", stats.dialogues[split][shop]) for split in stats.dialogues
             for shop in stats.shops(split)]
    measures = [("dialogues", "dialogues"), ("utterances", "utterances"),
                ("avg utterances / dialogue", "avg_utterances"), ("images", "images"),
                ("avg images / dialogue", "avg_images"), ("avg utterance length (chars)", "avg_utterance_length")]
    print(f"corpus {stats.name} ({args.dir})\n")
    print("Table 2: dialogues per split and shop")
    print(_table(["statistic"] + [name for name, _ in cells],
                 [[label] + [getattr(c, attr) for _, c in cells] for label, attr in measures]))

    print("\nTable 3: discourse annotations per split")
    discourse = [(s, stats.discourse.get(s, DiscourseStats())) for s in stats.dialogues]
    kinds = [k for k in OTHER_KINDS if any(getattr(d, k) for _, d in discourse)]  # columns only when present
    columns = ["dialogues", "turns", "edus", "relations", *kinds]
    rows = [[s, *(getattr(d, c) for c in columns)] for s, d in discourse]
    rows.append(["total"] + [sum(r[i] for r in rows) for i in range(1, len(columns) + 1)])
    print(_table(["split", "dialogues", "turns", "EDUs", "relations", *(f"of which {k}" for k in kinds)], rows))

    print("\nTable 12: relation labels")
    total = ["total", sum(stats.relations.values()), 100.0 if stats.relations else 0.0]
    if stats.leveled:
        rows, previous = [], ("", "")
        for l1, l2, l3, n, pct in stats.relation_rows():
            rows.append([l1 if l1 != previous[0] else "", l2 if (l1, l2) != previous else "", l3, n, pct])
            previous = (l1, l2)
        print(_table(["level1", "level2", "level3", "count", "percent"], [*rows, [total[0], "", "", *total[1:]]]))
    else:
        print(_table(["label", "count", "percent"], [*map(list, stats.relation_rows()), total]))

    n_rewrites = stats.rewritable + stats.not_rewritable
    print(f"\nquery rewriting: {n_rewrites} annotated customer turns, {stats.rewritable} rewritable "
          f"({100 * stats.rewrite_ratio:.2f}%), {stats.not_rewritable} not rewritable")
    print(f"summaries: {stats.summaries}, mean length {stats.summary_length:.2f} chars")
    _print_skipped(report)
    return 0
