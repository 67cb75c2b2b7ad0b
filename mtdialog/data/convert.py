"""Conversion between the native corpus format and the public formats (``mtdialog data convert``).

``native -> native`` copies every split (or one), the KB, ``meta.json`` and the images, session files
byte for byte; a file format read into the native format goes into one split, its images copied from
an image directory; ``native -> file format`` writes one split or all splits in order. Every session
is validated on the way; with ``skip_invalid`` bad records are skipped into the report instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtdialog.data.native import FORMAT_VERSION, Corpus, CorpusWriter, scan_images
from mtdialog.data.schema import DataError, Session, SkipReport, relation_kinds
from mtdialog.fileio import into_new_dir

FROM_FORMATS = ("native", "jddc20-tsv", "stac", "csds")
TO_FORMATS = ("native", "jddc20-tsv", "stac")


@dataclass
class Conversion:
    """What a conversion did: sessions per split, files copied, images not found, records skipped."""

    counts: Counter = field(default_factory=Counter)
    copied: dict[str, int] = field(default_factory=dict)
    missing_images: list[str] = field(default_factory=list)  # referenced, with no file (kept as references)
    unreadable_images: list[str] = field(default_factory=list)  # native input: no readable file
    notes: list[str] = field(default_factory=list)
    skipped: SkipReport = field(default_factory=SkipReport)
    relation_kinds: Counter = field(default_factory=Counter)  # discourse relations beyond a parse's links

    def count(self, split: str, session: Session) -> None:
        """One converted session of ``split``."""
        self.counts[split] += 1
        if session.annotations is not None and session.annotations.discourse:
            self.relation_kinds += relation_kinds(session.annotations.discourse)


#: The file formats whose speakers have names, which ``roles`` maps to ``Q`` and ``A``.
NAMED_SPEAKERS = ("stac",)


def convert(source: Path, output: Path, from_format: str, to_format: str, *, split: str | None = None,
            images: Path | None = None, name: str | None = None, skip_invalid: bool = False,
            allow_missing_images: bool = False, roles: dict[str, str] | None = None) -> Conversion:
    """Convert ``source`` (a file, or a native corpus directory) in ``from_format`` into ``output``.

    A native ``output`` that is a corpus already gets the converted sessions as a new split (``split``;
    a file's default ``train``), joined with :func:`mtdialog.data.merge.add_split`."""
    if source.resolve() == output.resolve():
        raise DataError("input and output are the same", path=str(output))
    if roles is not None and from_format not in NAMED_SPEAKERS:
        raise DataError(f"--roles maps the speaker names of {', '.join(NAMED_SPEAKERS)} input; {from_format} "
                        "gives each turn's role itself", field="--roles")
    if to_format == "native" and (output / "meta.json").is_file():
        return _into_existing(source, output, from_format, split=split, images=images, name=name,
                              skip_invalid=skip_invalid, allow_missing_images=allow_missing_images, roles=roles)
    if images is not None and (from_format == "native" or to_format != "native"):
        raise DataError("--images is for reading a file format into a native corpus", path=str(images))
    result = Conversion()
    if from_format == "native":
        mode = "placeholder" if allow_missing_images else "check" if to_format == "native" else "ignore"
        corpus = Corpus(source, images=mode)
        splits = [split] if split else corpus.splits
        if to_format == "native":
            into_new_dir(output, lambda out: _native_to_native(corpus, out, splits, name or corpus.meta.get(
                "name", corpus.root.name), skip_invalid, result))
        else:
            pairs = ((s, x) for s in splits for x in corpus.sessions(s, skip_invalid=skip_invalid,
                                                                      report=result.skipped))
            _write_format(to_format, pairs, output, result)
        result.unreadable_images = list(corpus.image_problems)
        return result
    sessions = _format_function("READERS", from_format)(source, skip_invalid=skip_invalid, report=result.skipped,
                                                          **({"roles": roles} if roles is not None else {}))
    if to_format == "native":
        into_new_dir(output, lambda out: _file_to_native(sessions, source, out, split or "train", images,
                                                          name or source.stem, skip_invalid, allow_missing_images,
                                                          result))
    else:
        _write_format(to_format, ((split or "train", s) for s in sessions), output, result)
    return result


def _into_existing(source: Path, corpus_dir: Path, from_format: str, *, split: str | None, name: str | None,
                   **options) -> Conversion:
    """Convert ``source`` into a new ``split`` of the corpus at ``corpus_dir``."""
    from mtdialog.data.merge import add_split

    if split is None and from_format == "native":
        raise DataError("give --split: the one split of the input corpus to add to this corpus", path=str(corpus_dir))
    split = split or "train"
    result = Conversion()

    def write(directory: Path) -> None:
        nonlocal result
        result = convert(source, directory, from_format, "native", split=split, **options)

    joined = add_split(corpus_dir, split, write, name=name, skip_invalid=options["skip_invalid"],
                       allow_missing_images=options["allow_missing_images"])
    counts = ", ".join(f"{s} {n}" for s, n in joined.counts.items())
    result.notes.append(f"added the {split} split to the existing corpus {corpus_dir} (now {counts})")
    return result


def _format_function(table: str, name: str) -> Any:
    from mtdialog.data import formats

    functions = getattr(formats, table)
    if name not in functions:
        raise DataError(f"no {table[:-1].lower()} for format {name!r} (have: {', '.join(sorted(functions))})")
    return functions[name]


def _write_format(name: str, pairs: Iterator[tuple[str, Session]], out: Path, result: Conversion) -> None:
    def counted() -> Iterator[Session]:
        for split, session in pairs:
            result.count(split, session)
            yield session

    _format_function("WRITERS", name)(counted(), out)


def _native_to_native(corpus: Corpus, output: Path, splits: list[str], name: str | None, skip_invalid: bool,
                      result: Conversion) -> None:
    meta = corpus.meta
    extra = {k: v for k, v in meta.items() if k not in ("name", "version", "format", "counts", "labels")}
    n_kb = 0
    with CorpusWriter(output, name=name,
                      version=meta.get("version", FORMAT_VERSION), relation_labels=corpus.relation_labels,
                      image_categories=corpus.image_categories, extra_meta=extra) as writer:
        for split in splits:
            for session in corpus.sessions(split, skip_invalid=skip_invalid, report=result.skipped):
                writer.add_session(split, session)
                result.count(split, session)
        for entry in corpus.kb_entries(skip_invalid=skip_invalid, report=result.skipped):
            writer.add_kb(entry)
            n_kb += 1
        for image_id, file_name in corpus.image_index.items():
            writer.add_image(image_id, corpus.images_dir / file_name)
    result.copied = {"image files": len(corpus.image_index), "KB entries": n_kb}


def _file_to_native(sessions: Iterable[Session], source: Path, output: Path, split: str, images: Path | None,
                    name: str | None, skip_invalid: bool, allow_missing_images: bool, result: Conversion) -> None:
    if images is not None and not images.is_dir():
        raise DataError("image directory does not exist", path=str(images))
    index = scan_images(images)[0] if images is not None else None
    copied: set[str] = set()
    references = 0
    with CorpusWriter(output, name=name) as writer:  # label sets: the data's own (see CorpusWriter)
        for session in sessions:
            try:
                _check_size(session, source)
                files = _image_files(session, index, images, source, allow_missing_images) if index is not None else {}
            except DataError as e:
                if not skip_invalid:
                    raise
                result.skipped.add(e)
                continue
            writer.add_session(split, session)
            result.count(split, session)
            references += len(session.image_ids())
            for image_id, file_name in files.items():
                if file_name is None:
                    result.missing_images.append(image_id)
                elif image_id not in copied:
                    writer.add_image(image_id, images / file_name)
                    copied.add(image_id)
    if index is None and references:
        result.notes.append(f"{references} image references and no --images directory: no image files copied")
    result.missing_images = sorted(set(result.missing_images))
    result.copied = {"image files": len(copied)}


def _check_size(session: Session, source: Path) -> None:
    """The session limits of the native format, checked as it is converted (the native reader would refuse it)."""
    try:
        session.check_size()
    except DataError as e:
        raise DataError(e.message, path=str(source), field=f"session {session.session_id!r}: {e.field}") from None


def _image_files(session: Session, index: dict[str, str], images: Path, source: Path,
                 allow_missing: bool) -> dict[str, str | None]:
    """``{image_id: file name in images}`` of a session; a missing file is an error naming the turn,
    or, with ``allow_missing``, maps to ``None``."""
    files: dict[str, str | None] = {}
    for i, turn in enumerate(session.turns):
        for j, image_id in enumerate(turn.images):
            file_name = index.get(image_id) or (image_id if (images / image_id).is_file() else None)
            if file_name is None and not allow_missing:
                raise DataError(f"image {image_id!r} of session {session.session_id!r} not found in "
                                f"{images}", path=str(source), field=f"turns[{i}].images[{j}]")
            files[image_id] = file_name
    return files


__all__ = ["FROM_FORMATS", "TO_FORMATS", "Conversion", "convert"]
