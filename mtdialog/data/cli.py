"""``mtdialog data``: generate, convert, validate and describe corpora.

Sub-commands: ``synth`` (the embedded corpus generator), ``convert`` (native <-> public formats),
``validate`` (every record, image and count of a native corpus; exit 2 on any problem) and ``stats``
(the JDDC 2.1 paper's Tables 2, 3 and 12). Bad input prints ``path:line: field: message`` lines.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS
from mtdialog.data.native import FORMAT_VERSION, SPLITS, Corpus, CorpusWriter, scan_images
from mtdialog.data.schema import DataError, Session, SkipReport

FROM_FORMATS = ("native", "jddc20-tsv", "stac", "csds")
TO_FORMATS = ("native", "jddc20-tsv", "stac")
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
               "  mtdialog data convert corpus copy --from native --to native")
    p.add_argument("input", metavar="IN", type=Path, help="input file, or native corpus directory")
    p.add_argument("output", metavar="OUT", type=Path,
                   help="output file, or native corpus directory (must be new or empty)")
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
    p.set_defaults(func=_cmd_convert)

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
    if args.input.resolve() == args.output.resolve():
        raise DataError("input and output are the same", path=str(args.output))
    if args.images is not None and (args.from_format == "native" or args.to_format != "native"):
        raise DataError("--images is for reading a file format into a native corpus", path=str(args.images))
    report = SkipReport()
    counts: Counter[str] = Counter()
    corpus = None
    if args.from_format == "native":
        mode = "placeholder" if args.allow_missing_images else "check" if args.to_format == "native" else "ignore"
        corpus = Corpus(args.input, images=mode)
        splits = [args.split] if args.split else corpus.splits
        if args.to_format == "native":
            copied = _with_new_dir(args.output, lambda: _native_to_native(corpus, args, splits, counts, report))
        else:
            pairs = ((s, x) for s in splits for x in corpus.sessions(s, skip_invalid=args.skip_invalid,
                                                                      report=report))
            _write_format(args.to_format, pairs, args.output, counts)
            copied = {}
    else:
        reader = _format_function("READERS", args.from_format)
        sessions = reader(args.input, skip_invalid=args.skip_invalid, report=report)
        split = args.split or "train"
        if args.to_format == "native":
            copied = _with_new_dir(args.output, lambda: _file_to_native(sessions, split, args, counts, report))
        else:
            _write_format(args.to_format, ((split, s) for s in sessions), args.output, counts)
            copied = {}
    total = sum(counts.values())
    print(f"converted {total} sessions ({', '.join(f'{s} {n}' for s, n in counts.items()) or 'none'}): "
          f"{args.input} ({args.from_format}) -> {args.output} ({args.to_format})")
    if copied:
        print("copied: " + ", ".join(f"{what} {n}" for what, n in copied.items()))
    if corpus is not None and corpus.image_problems:
        ids = list(corpus.image_problems)
        print(f"images without a readable file: {len(ids)} ({_ids(ids)})")
    _print_skipped(report)
    return 0


def _with_new_dir(out: Path, write: Any) -> dict[str, int]:
    """Run ``write()`` into ``out``, which must be new or empty; remove what it wrote if it fails."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError("output exists and is not an empty directory", path=str(out))
    try:
        return write()
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise


def _format_function(table: str, name: str) -> Any:
    from mtdialog.data import formats

    functions = getattr(formats, table)
    if name not in functions:
        raise DataError(f"no {table[:-1].lower()} for format {name!r} (have: {', '.join(sorted(functions))})")
    return functions[name]


def _write_format(name: str, pairs: Iterator[tuple[str, Session]], out: Path, counts: Counter) -> None:
    def counted() -> Iterator[Session]:
        for split, session in pairs:
            counts[split] += 1
            yield session

    _format_function("WRITERS", name)(counted(), out)


def _native_to_native(corpus: Corpus, args: argparse.Namespace, splits: list[str], counts: Counter,
                      report: SkipReport) -> dict[str, int]:
    meta = corpus.meta
    extra = {k: v for k, v in meta.items() if k not in ("name", "version", "format", "counts", "labels")}
    n_kb = 0
    with CorpusWriter(args.output, name=args.name or meta.get("name", corpus.root.name),
                      version=meta.get("version", FORMAT_VERSION), relation_labels=corpus.relation_labels,
                      image_categories=corpus.image_categories, extra_meta=extra) as writer:
        for split in splits:
            for session in corpus.sessions(split, skip_invalid=args.skip_invalid, report=report):
                writer.add_session(split, session)
                counts[split] += 1
        for entry in corpus.kb_entries(skip_invalid=args.skip_invalid, report=report):
            writer.add_kb(entry)
            n_kb += 1
        for image_id, name in corpus.image_index.items():
            writer.add_image(image_id, corpus.images_dir / name)
    return {"image files": len(corpus.image_index), "KB entries": n_kb}


def _file_to_native(sessions: Iterable[Session], split: str, args: argparse.Namespace, counts: Counter,
                    report: SkipReport) -> dict[str, int]:
    if args.images is not None and not args.images.is_dir():
        raise DataError("image directory does not exist", path=str(args.images))
    index = scan_images(args.images)[0] if args.images is not None else None
    relations: set[str] = set()
    categories: set[str] = set()
    copied: set[str] = set()
    references = 0
    missing: list[str] = []
    with CorpusWriter(args.output, name=args.name or args.input.stem) as writer:
        for session in sessions:
            files = {}
            if index is not None:
                try:
                    files = _image_files(session, index, args)
                except DataError as e:
                    if not args.skip_invalid:
                        raise
                    report.add(e)
                    continue
            writer.add_session(split, session)
            counts[split] += 1
            references += len(session.image_ids())
            for image_id, name in files.items():
                if name is None:
                    missing.append(image_id)
                elif image_id not in copied:
                    writer.add_image(image_id, args.images / name)
                    copied.add(image_id)
            a = session.annotations
            if a is not None:
                relations.update(r.type for r in a.discourse or ())
                categories.update((a.image_categories or {}).values())
        # Labels are data: keep the JDDC 2.1 sets when the input fits them, else record the input's own.
        if not relations <= set(JDDC21_RELATIONS):
            writer.meta["labels"]["relations"] = sorted(relations)
        if not categories <= set(IMAGE_CATEGORIES):
            writer.meta["labels"]["image_categories"] = sorted(categories)
    if index is None and references:
        print(f"note: {references} image references and no --images directory: no image files copied",
              file=sys.stderr)
    if missing:
        print(f"images not found in {args.images}: {len(set(missing))} ({_ids(sorted(set(missing)))})")
    return {"image files": len(copied)}


def _image_files(session: Session, index: dict[str, str], args: argparse.Namespace) -> dict[str, str | None]:
    """``{image_id: file name in --images}`` of a session; a missing file is an error naming the turn,
    or, with ``--allow-missing-images``, maps to ``None``."""
    files: dict[str, str | None] = {}
    for i, turn in enumerate(session.turns):
        for j, image_id in enumerate(turn.images):
            name = index.get(image_id) or (image_id if (args.images / image_id).is_file() else None)
            if name is None and not args.allow_missing_images:
                raise DataError(f"image {image_id!r} of session {session.session_id!r} not found in "
                                f"{args.images}", path=str(args.input), field=f"turns[{i}].images[{j}]")
            files[image_id] = name
    return files


# ------------------------------------------------------------------------------------------ validate
def _cmd_validate(args: argparse.Namespace) -> int:
    from mtdialog.data.images import check_images

    corpus = Corpus(args.dir, images="placeholder")
    report = SkipReport()
    unreadable = check_images(corpus, workers=args.workers, progress=_progress())

    kb_ids = {e.product_id for e in corpus.kb_entries(skip_invalid=args.skip_invalid, report=report)}
    actual: dict[str, dict[str, int]] = {}
    clean_splits = set()
    no_kb = 0
    for split in corpus.splits:
        c = actual[split] = {"sessions": 0, "turns": 0, "images": 0}
        skipped_before = len(report)
        for s in corpus.sessions(split, skip_invalid=args.skip_invalid, report=report):
            c["sessions"] += 1
            c["turns"] += len(s.turns)
            c["images"] += len(s.image_ids())
            no_kb += s.product_id is not None and s.product_id not in kb_ids
        if len(report) == skipped_before:
            clean_splits.add(split)

    n_files = len(corpus.image_index) + len(corpus.duplicate_image_files)
    problems = _count_problems(corpus, actual, clean_splits, n_files)
    problems += [DataError("another file has the same image id", path=str(corpus.images_dir / name),
                           field="image") for name in corpus.duplicate_image_files]
    problems += list(corpus.image_problems.values())
    problems += [e for i, e in unreadable.items() if i not in corpus.image_problems]

    print(f"corpus {corpus.root}: {corpus.meta.get('name', '?')} {corpus.meta.get('version', '')}".rstrip())
    print(_table(["split", "sessions", "turns", "images"],
                 [[s, c["sessions"], c["turns"], c["images"]] for s, c in actual.items()]))
    if (corpus.root / "kb.jsonl").exists():
        print(f"kb: {len(kb_ids)} products; {no_kb} sessions name a product without a KB entry")
    else:
        print("kb: none (no kb.jsonl)")
    missing, corrupt = corpus.missing_images, list(unreadable)
    print(f"image files: {n_files}; missing images: {len(missing)}"
          + (f" ({_ids(missing)})" if missing else "")
          + f"; corrupt images: {len(corrupt)}" + (f" ({_ids(corrupt)})" if corrupt else ""))
    errors = report.errors + problems
    for e in errors:
        print(e)
    if errors:
        if len(report):
            print(report.summary(limit=0))
        print(f"INVALID: {len(errors)} problem(s)")
        return 2
    print("OK")
    return 0


def _count_problems(corpus: Corpus, actual: dict[str, dict[str, int]], clean_splits: set[str],
                    n_files: int) -> list[DataError]:
    """Disagreements between ``meta.json``'s counts and what is on disk (splits whose records were
    all read: ``clean_splits``)."""
    meta_path = str(corpus.root / "meta.json")
    problems = [] if (corpus.root / "meta.json").exists() else [DataError("missing", path=meta_path)]
    meta_counts = corpus.meta.get("counts", {})
    for split in SPLITS:
        if split in actual and split not in meta_counts:
            problems.append(DataError("split is on disk but not counted", path=meta_path, field=f"counts.{split}"))
        elif split in meta_counts and split not in actual:
            problems.append(DataError(f"counted, but {corpus.split_path(split).name} does not exist",
                                      path=meta_path, field=f"counts.{split}"))
        elif split in clean_splits:
            for key, n in actual[split].items():
                if meta_counts[split].get(key) != n:
                    problems.append(DataError(f"says {meta_counts[split].get(key)}, found {n}", path=meta_path,
                                              field=f"counts.{split}.{key}"))
    if "image_files" in meta_counts and meta_counts["image_files"] != n_files:
        problems.append(DataError(f"says {meta_counts['image_files']}, found {n_files}", path=meta_path,
                                  field="counts.image_files"))
    return problems


# --------------------------------------------------------------------------------------------- stats
def _cmd_stats(args: argparse.Namespace) -> int:
    from mtdialog.data.stats import TABLE2_SHOPS, DiscourseStats, corpus_stats

    report = SkipReport()
    stats = corpus_stats(Corpus(args.dir, images="ignore"), skip_invalid=args.skip_invalid, report=report)
    if args.json:
        print(json.dumps(stats.to_dict(), ensure_ascii=False, indent=2))
        _print_skipped(report)
        return 0
    cells = [(f"{split}/{shop}", c) for split, shops in stats.dialogues.items()
             for shop, c in shops.items() if shop in TABLE2_SHOPS]
    measures = [("dialogues", "dialogues"), ("utterances", "utterances"),
                ("avg utterances / dialogue", "avg_utterances"), ("images", "images"),
                ("avg images / dialogue", "avg_images"), ("avg utterance length (chars)", "avg_utterance_length")]
    print(f"corpus {stats.name} ({args.dir})\n")
    print("Table 2: dialogues per split and shop")
    print(_table(["statistic"] + [name for name, _ in cells],
                 [[label] + [getattr(c, attr) for _, c in cells] for label, attr in measures]))

    print("\nTable 3: discourse annotations per split")
    discourse = [(s, stats.discourse.get(s, DiscourseStats())) for s in stats.dialogues]
    rows = [[s, d.dialogues, d.turns, d.edus, d.relations] for s, d in discourse]
    rows.append(["total"] + [sum(r[i] for r in rows) for i in range(1, 5)])
    print(_table(["split", "dialogues", "turns", "EDUs", "relations"], rows))

    print("\nTable 12: relation labels")
    rows, previous = [], ("", "")
    for l1, l2, l3, n, pct in stats.relation_rows():
        rows.append([l1 if l1 != previous[0] else "", l2 if (l1, l2) != previous else "", l3, n, pct])
        previous = (l1, l2)
    rows.append(["total", "", "", sum(stats.relations.values()), 100.0 if stats.relations else 0.0])
    print(_table(["level1", "level2", "level3", "count", "percent"], rows))

    n_rewrites = stats.rewritable + stats.not_rewritable
    print(f"\nquery rewriting: {n_rewrites} annotated customer turns, {stats.rewritable} rewritable "
          f"({100 * stats.rewrite_ratio:.2f}%), {stats.not_rewritable} not rewritable")
    print(f"summaries: {stats.summaries}, mean length {stats.summary_length:.2f} chars")
    _print_skipped(report)
    return 0
