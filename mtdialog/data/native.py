"""The native corpus format: reader (:class:`Corpus`) and streaming writer (:class:`CorpusWriter`).

Layout of a corpus directory (documented field by field in ``docs/data-format.md``)::

    sessions.train.jsonl   one session record per line (see ``mtdialog.data.schema``)
    sessions.valid.jsonl
    sessions.test.jsonl
    images/<image_id>.<ext>
    kb.jsonl               {"product_id", "category", "triples": [[entity, attribute, value], ...]}
    meta.json              name, version, counts, label sets

Reading streams line by line; images stay on disk until asked for (``mtdialog.data.images``).
Every bad record is a :class:`DataError` naming file, line and field; with ``skip_invalid`` it goes to a
:class:`SkipReport` instead and reading goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator, MutableSequence, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from mtdialog.data import jsonio
from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS
from mtdialog.data.schema import DataError, Session, SkipReport, build_records, type_name

SPLITS = ("train", "valid", "test")
#: The one split of a corpus read from a single session file (:meth:`Corpus.from_file`).
INPUT_SPLIT = "input"
FORMAT_VERSION = "1.0"

#: How a reader treats image ids without a readable file: ``check`` makes them errors, ``placeholder``
#: records them (``Corpus.image_problems``) and loads a placeholder image, ``ignore`` does not look.
IMAGE_MODES = ("check", "placeholder", "ignore")


#: The most triples a product's KB entry may have: the encoder reads at most ``max_kb_tokens`` of it
#: (48 by default, a few dozen triples), and JDDC product entries have tens of attributes.
MAX_KB_TRIPLES = 1_000


@dataclass
class KBEntry:
    """Knowledge-base record of one product: (entity, attribute, value) triples."""

    product_id: str
    category: str
    triples: list[tuple[str, str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"product_id": self.product_id, "category": self.category,
                "triples": [list(t) for t in self.triples]}

    @classmethod
    def from_dict(cls, record: Any) -> KBEntry:
        """Validate a ``kb.jsonl`` record; raises :class:`DataError` naming the field."""
        if not isinstance(record, dict):
            raise DataError(f"a KB entry must be a JSON object, got {type_name(record)}")
        unknown = sorted(set(record) - {"product_id", "category", "triples"})
        if unknown:
            raise DataError("unknown field (allowed: category, product_id, triples)", field=unknown[0])
        for key, kind in (("product_id", str), ("category", str), ("triples", list)):
            if key not in record:
                raise DataError("missing required field", field=key)
            if not isinstance(record[key], kind):
                raise DataError(f"expected {type_name(kind())}, got {type_name(record[key])}", field=key)
        if not record["product_id"]:
            raise DataError("must not be empty", field="product_id")
        if len(record["triples"]) > MAX_KB_TRIPLES:
            raise DataError(f"{len(record['triples']):,} triples, more than the {MAX_KB_TRIPLES:,} an entry may have "
                            "(MAX_KB_TRIPLES; the encoder reads only its first few dozen)", field="triples")
        for i, t in enumerate(record["triples"]):
            if not (isinstance(t, list) and len(t) == 3 and all(isinstance(v, str) for v in t)):
                raise DataError("expected [entity, attribute, value] strings", field=f"triples[{i}]")
        return cls(record["product_id"], record["category"], [tuple(t) for t in record["triples"]])


def dump_line(record: dict[str, Any]) -> str:
    """One canonical JSONL line (UTF-8 text, no ASCII escaping, compact separators, newline)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


_BLANK = object()


def parse_line(raw: bytes, path: Path, number: int) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"invalid UTF-8 at byte {e.start}", path=str(path), line=number) from None
    if not text.strip():
        return _BLANK
    return jsonio.parse(text, path=path, line=number)


def read_jsonl(path: Path, *, on_error: Callable[[DataError], None] | None = None,
               offsets: MutableSequence[int] | None = None) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, parsed_object)`` for each non-blank line; errors name file and line.

    A line that is not UTF-8 or not JSON raises :class:`DataError`, or, when ``on_error`` is given,
    is handed to it and skipped. ``offsets`` gets the byte offset of every line read (line ``n`` at
    ``offsets[n - 1]``), before its record is yielded.
    """
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below; opening is what may fail)
    except IsADirectoryError:
        raise DataError("is a directory, not a file", path=str(path)) from None
    except OSError as e:
        raise DataError(f"cannot read file: {e.strerror or e}", path=str(path)) from None
    with f:
        position = 0
        for number, raw in enumerate(f, start=1):
            if offsets is not None:
                offsets.append(position)
                position += len(raw)
            try:
                record = parse_line(raw, path, number)
            except DataError as e:
                if on_error is None:
                    raise
                on_error(e)
                continue
            if record is not _BLANK:
                yield number, record


def scan_images(directory: Path) -> tuple[dict[str, str], list[str]]:
    """Index an image directory with one listing: ``({image_id: file_name}, [duplicate file names])``.

    The id is the file name without its last extension (``abc.png`` -> ``abc``); hidden files and
    names without an extension are not images. When one id has several files, the first name in
    sorted order wins and the others are returned as duplicates.
    """
    index: dict[str, str] = {}
    duplicates: list[str] = []
    if not directory.is_dir():
        return index, duplicates
    with os.scandir(directory) as entries:
        names = sorted(e.name for e in entries if not e.name.startswith(".") and e.is_file())
    for name in names:
        image_id, _, ext = name.rpartition(".")
        if not image_id or not ext:
            continue
        if image_id in index:
            duplicates.append(name)
        else:
            index[image_id] = name
    return index, duplicates


def read_meta(path: Path) -> dict[str, Any]:
    """``meta.json``, its known fields type-checked (each wrong one named): ``name``/``version``
    strings, ``labels.relations``/``labels.image_categories`` lists of distinct strings, ``counts`` a
    mapping of split -> mapping of counts (and ``image_files``), all counts non-negative integers."""
    meta = jsonio.load(path)

    def fail(field: str, message: str) -> DataError:
        return DataError(message, path=str(path), field=field)

    if not isinstance(meta, dict):
        raise DataError(f"meta.json must be a JSON object, got {type_name(meta)}", path=str(path))
    for key in ("name", "version", "format"):
        if key in meta and not isinstance(meta[key], str):
            raise fail(key, f"expected a string, got {type_name(meta[key])}")
    labels = meta.get("labels", {})
    if not isinstance(labels, dict):
        raise fail("labels", f"expected an object, got {type_name(labels)}")
    for key in ("relations", "image_categories"):
        if key in labels:
            values = labels[key]
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                raise fail(f"labels.{key}", f"expected a list of non-empty strings, got {type_name(values)}")
            if len(set(values)) != len(values):
                raise fail(f"labels.{key}", "a label is listed twice")
    counts = meta.get("counts", {})
    if not isinstance(counts, dict):
        raise fail("counts", f"expected an object, got {type_name(counts)}")
    for split, value in counts.items():
        items = value.items() if isinstance(value, dict) else [("", value)] if split == "image_files" else None
        if items is None:
            raise fail(f"counts.{split}", f"expected an object of counts, got {type_name(value)}")
        for key, n in items:
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise fail(f"counts.{split}{'.' + key if key else ''}", f"expected a count, got {n!r}")
    return meta


def kb_entries(path: Path, *, skip_invalid: bool = False, report: SkipReport | None = None) -> Iterator[KBEntry]:
    """Stream the entries of a knowledge-base file (``kb.jsonl`` lines) in file order; a bad line or a
    repeated product id is a :class:`DataError` naming it (with ``skip_invalid``, added to ``report``)."""
    report = SkipReport() if report is None else report
    seen: dict[str, int] = {}
    def build(record: Any, number: int) -> KBEntry:
        entry = KBEntry.from_dict(record)
        if entry.product_id in seen:
            raise DataError(f"duplicate product id {entry.product_id!r} (first at "
                            f"{path}:{seen[entry.product_id]})", field="product_id")
        seen[entry.product_id] = number
        return entry

    yield from build_records(read_jsonl(path, on_error=report.add if skip_invalid else None), build,
                             path=str(path), skip_invalid=skip_invalid, report=report)


def read_kb(path: str | Path) -> dict[str, KBEntry]:
    """A knowledge-base file by product id (``mtdialog serve --kb``)."""
    path = Path(path)
    if not path.is_file():
        raise DataError("knowledge-base file does not exist", path=str(path))
    return {entry.product_id: entry for entry in kb_entries(path)}


class Corpus:
    """A native corpus directory, read lazily.

    ``meta`` is ``meta.json``; ``relation_labels`` and ``image_categories`` are the corpus's label
    sets (defaults: JDDC 2.1). ``sessions(split)`` streams validated sessions.

    ``images`` (one of :data:`IMAGE_MODES`) says what a referenced image without a readable file is:
    an error (``check``, the default), a recorded problem with a placeholder in its place
    (``placeholder``: see ``image_problems`` and ``missing_images``), or not looked at (``ignore``).
    Records skipped under ``skip_invalid`` go to the caller's report, or to ``skipped``.
    """

    def __init__(self, root: str | Path, *, images: str = "check"):
        if images not in IMAGE_MODES:
            raise ValueError(f"images must be one of {IMAGE_MODES}, got {images!r}")
        self.root = Path(root)
        self.images = images
        if not self.root.is_dir():
            raise DataError("corpus directory does not exist", path=str(self.root))
        meta_path = self.root / "meta.json"
        self.meta: dict[str, Any] = read_meta(meta_path) if meta_path.exists() else {}
        labels = self.meta.get("labels", {})
        self.relation_labels: tuple[str, ...] = tuple(labels.get("relations", JDDC21_RELATIONS))
        self.image_categories: tuple[str, ...] = tuple(labels.get("image_categories", IMAGE_CATEGORIES))
        self.skipped = SkipReport()
        #: Image files known not to decode, by id (filled by ``images.check_images`` and ``load_image``).
        self.unreadable_images: dict[str, DataError] = {}
        #: In ``placeholder`` mode: the first reference to each missing or unreadable image, by id.
        self.image_problems: dict[str, DataError] = {}
        self._index: dict[str, str] | None = None
        self._duplicate_files: list[str] = []
        self._seen: dict[str, dict[str, int]] = {}
        self._split_files: dict[str, Path] | None = None
        self._images_dir = self.root / "images"
        self._kb_path = self.root / "kb.jsonl"
        self._check_labels = True

    @classmethod
    def from_file(cls, path: str | Path, *, images_dir: str | Path | None = None, kb: str | Path | None = None,
                  images: str = "check") -> Corpus:
        """One native session JSONL file read as a corpus with the single split ``"input"``, with the same
        checks as a corpus split: images from ``images_dir`` (default: ``images/`` beside the file), the
        knowledge base from ``kb`` (default: ``kb.jsonl`` beside the file, if there is one). Labels are
        checked only against a ``meta.json`` beside the file."""
        path = Path(path)
        if not path.is_file():
            raise DataError("input file does not exist", path=str(path))
        if kb is not None and not Path(kb).is_file():
            raise DataError("knowledge-base file does not exist", path=str(kb))
        corpus = cls(path.parent, images=images)
        corpus._split_files = {INPUT_SPLIT: path}
        corpus._images_dir = Path(images_dir) if images_dir is not None else path.parent / "images"
        corpus._kb_path = Path(kb) if kb is not None else path.parent / "kb.jsonl"
        corpus._check_labels = (path.parent / "meta.json").exists()
        return corpus

    @classmethod
    def images_in(cls, directory: str | Path, *, images: str = "check") -> Corpus:
        """A directory of ``<image id>.<ext>`` files (and no sessions) as a corpus, to load its images."""
        directory = Path(directory)
        if not directory.is_dir():
            raise DataError("image directory does not exist", path=str(directory))
        corpus = cls(directory.parent, images=images)
        corpus._split_files, corpus._images_dir = {}, directory
        return corpus

    @property
    def splits(self) -> list[str]:
        """The splits present on disk, in train/valid/test order."""
        if self._split_files is not None:
            return list(self._split_files)
        return [s for s in SPLITS if self.split_path(s).exists()]

    def split_path(self, split: str) -> Path:
        if self._split_files is not None and split in self._split_files:
            return self._split_files[split]
        return self.root / f"sessions.{split}.jsonl"

    @property
    def images_dir(self) -> Path:
        return self._images_dir

    @property
    def kb_path(self) -> Path:
        return self._kb_path

    # ------------------------------------------------------------------------------------- sessions
    def sessions(self, split: str, *, skip_invalid: bool = False,
                 report: SkipReport | None = None) -> Iterator[Session]:
        """Stream the validated sessions of ``split``.

        A bad record raises :class:`DataError` (file, line, field) or, with ``skip_invalid``, is added
        to ``report`` (default: ``self.skipped``) and skipped. A session id seen before, in this split
        or in a split this corpus object has read, is an error naming both places.
        """
        return (session for _, session in self.numbered_sessions(split, skip_invalid=skip_invalid, report=report))

    def numbered_sessions(self, split: str, *, skip_invalid: bool = False, report: SkipReport | None = None,
                          offsets: MutableSequence[int] | None = None) -> Iterator[tuple[int, Session]]:
        """:meth:`sessions` with each session's line number; ``offsets`` gets every line's byte offset
        (see :func:`read_jsonl`)."""
        path = self.split_path(split)
        if not path.exists():
            raise DataError(f"split {split!r} not found (have: {', '.join(self.splits) or 'none'})",
                            path=str(path))
        report = self.skipped if report is None else report
        seen: dict[str, int] = {}
        self._seen[split] = seen
        def build(record: Any, number: int) -> tuple[int, Session]:
            session = self.session_from(record)
            self._check_unique(session.session_id, split, seen)
            if self.images != "ignore":
                self.check_images(session, path, line=number)
            seen[session.session_id] = number
            return number, session

        records = read_jsonl(path, on_error=report.add if skip_invalid else None, offsets=offsets)
        yield from build_records(records, build, path=str(path), skip_invalid=skip_invalid, report=report)

    def session_from(self, record: Any) -> Session:
        """A session record of this corpus as a :class:`Session`, its labels checked against the corpus's."""
        return Session.from_dict(record, relation_labels=self.relation_labels if self._check_labels else None,
                                 image_categories=self.image_categories if self._check_labels else None)

    def _check_unique(self, session_id: str, split: str, seen: dict[str, int]) -> None:
        for other, ids in self._seen.items():
            ids = seen if other == split else ids
            if session_id in ids:
                raise DataError(f"duplicate session id {session_id!r} (first at "
                                f"{self.split_path(other)}:{ids[session_id]})", field="session_id")

    def check_images(self, session: Session, path: str | Path, *, line: int | None = None,
                     record: int | None = None) -> None:
        """Every image of ``session`` (read from ``path`` at ``line`` or ``record``) must have a readable
        file: a :class:`DataError` naming the turn and image, or in ``placeholder`` mode a recorded problem."""
        index = self.image_index
        for i, turn in enumerate(session.turns):
            for j, image_id in enumerate(turn.images):
                if image_id in index and image_id not in self.unreadable_images:
                    continue
                if image_id in index:
                    problem = f"image {image_id!r} cannot be decoded ({self.unreadable_images[image_id]})"
                else:
                    problem = f"image {image_id!r} has no file in {self.images_dir}"
                error = DataError(problem, path=str(path), line=line, record=record, field=f"turns[{i}].images[{j}]")
                if self.images == "check":
                    raise error
                self.image_problems.setdefault(image_id, error)

    # ------------------------------------------------------------------------------------------- kb
    def kb_entries(self, *, skip_invalid: bool = False,
                   report: SkipReport | None = None) -> Iterator[KBEntry]:
        """Stream ``kb.jsonl`` in file order (nothing if absent); a repeated product id is an error."""
        if self.kb_path.exists():
            yield from kb_entries(self.kb_path, skip_invalid=skip_invalid,
                                  report=self.skipped if report is None else report)

    def kb(self) -> dict[str, KBEntry]:
        """The knowledge base by product id (empty if the corpus has none)."""
        return {entry.product_id: entry for entry in self.kb_entries()}

    # --------------------------------------------------------------------------------------- images
    @property
    def image_index(self) -> dict[str, str]:
        """``{image_id: file name}`` under ``images/``, from one directory listing made on first use."""
        if self._index is None:
            self._index, self._duplicate_files = scan_images(self.images_dir)
        return self._index

    @property
    def duplicate_image_files(self) -> list[str]:
        """Files under ``images/`` whose id already has another file (the index ignores them)."""
        return list(self._duplicate_files) if self.image_index is not None else []

    def image_path(self, image_id: str) -> Path | None:
        """The file of ``image_id`` under ``images/`` (any extension), or ``None`` if missing."""
        name = self.image_index.get(image_id)
        return None if name is None else self.images_dir / name

    def image_fingerprint(self) -> str:
        """A short digest of the image files (names, sizes, modification times): it changes whenever
        an image is added, removed or rewritten, e.g. when the corpus is generated again in place.
        Caches keyed by image id use it, since an id names a file, not its content."""
        digest = hashlib.sha1(str(self.images_dir.resolve()).encode())
        for name in sorted(self.image_index.values()):
            stat = (self.images_dir / name).stat()
            digest.update(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:12]

    @property
    def missing_images(self) -> list[str]:
        """Ids of referenced images with no file, found so far in ``placeholder`` mode."""
        index = self.image_index
        return [i for i in self.image_problems if i not in index]


class CorpusWriter:
    """Streams a native corpus to disk; writes ``meta.json`` (with counts) on close.

    The label sets are the data's own unless given: the JDDC 2.1 sets (in their order) when every
    relation label and image category written is one of theirs, else the sorted labels written.

    Use as a context manager::

        with CorpusWriter(out_dir, name="my-corpus") as w:
            w.add_session("train", session)
            w.add_image("abc123", pil_image)      # or a path, or encoded bytes with ext=
            w.add_kb(KBEntry(...))
    """

    def __init__(self, root: str | Path, *, name: str, version: str = FORMAT_VERSION,
                 relation_labels: Sequence[str] | None = None, image_categories: Sequence[str] | None = None,
                 extra_meta: dict | None = None):
        self.root = Path(root)
        (self.root / "images").mkdir(parents=True, exist_ok=True)
        self.meta = {"name": name, "version": version, "format": f"mtdialog-native/{FORMAT_VERSION}",
                     "counts": {}, "labels": {}}
        self.meta.update(extra_meta or {})
        self._labels = {"relations": relation_labels, "image_categories": image_categories}
        self._seen: dict[str, set[str]] = {"relations": set(), "image_categories": set()}
        self._files: dict[str, Any] = {}
        self._counts: dict[str, dict[str, int]] = {}
        self._kb = None
        self._n_images = 0

    def add_session(self, split: str, session: Session) -> None:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r} (expected one of {SPLITS})")
        if split not in self._files:
            self._files[split] = open(  # noqa: SIM115 (open until close())
                self.root / f"sessions.{split}.jsonl", "w", encoding="utf-8")
            self._counts[split] = {"sessions": 0, "turns": 0, "images": 0}
        self._files[split].write(dump_line(session.to_dict()))
        if session.annotations is not None:
            self._seen["relations"].update(r.type for r in session.annotations.discourse or ())
            self._seen["image_categories"].update((session.annotations.image_categories or {}).values())
        c = self._counts[split]
        c["sessions"] += 1
        c["turns"] += len(session.turns)
        c["images"] += len(session.image_ids())

    def add_image(self, image_id: str, image: Any, ext: str = "png") -> Path:
        """Store an image: a PIL image (saved as ``ext``), a path to copy, or encoded bytes."""
        if isinstance(image, (str, Path)):
            ext = Path(image).suffix.lstrip(".") or ext
            data = Path(image).read_bytes()
            path = self.images_dir / f"{image_id}.{ext}"
            path.write_bytes(data)
        elif isinstance(image, bytes):
            path = self.images_dir / f"{image_id}.{ext}"
            path.write_bytes(image)
        else:
            path = self.images_dir / f"{image_id}.{ext}"
            image.save(path)
        self._n_images += 1
        return path

    @property
    def images_dir(self) -> Path:
        return self.root / "images"

    def add_kb(self, entry: KBEntry) -> None:
        if self._kb is None:
            self._kb = open(self.root / "kb.jsonl", "w", encoding="utf-8")  # noqa: SIM115 (until close())
        self._kb.write(dump_line(entry.to_dict()))

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        if self._kb is not None:
            self._kb.close()
        self.meta["counts"] = {s: self._counts[s] for s in SPLITS if s in self._counts}
        self.meta["counts"]["image_files"] = self._n_images
        for kind, jddc in (("relations", JDDC21_RELATIONS), ("image_categories", IMAGE_CATEGORIES)):
            given, seen = self._labels[kind], self._seen[kind]
            self.meta["labels"][kind] = list(given if given is not None else jddc if seen <= set(jddc) else sorted(seen))
        (self.root / "meta.json").write_text(json.dumps(self.meta, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
