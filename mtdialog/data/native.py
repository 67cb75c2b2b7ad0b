"""The native corpus format: reader (:class:`Corpus`) and streaming writer (:class:`CorpusWriter`).

Layout of a corpus directory::

    sessions.train.jsonl   one session record per line (see ``mtdialog.data.schema``)
    sessions.valid.jsonl
    sessions.test.jsonl
    images/<image_id>.<ext>
    kb.jsonl               {"product_id", "category", "triples": [[entity, attribute, value], ...]}
    meta.json              name, version, counts, label sets

Reading streams line by line; images stay on disk until asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS
from mtdialog.data.schema import DataError, Session

SPLITS = ("train", "valid", "test")
FORMAT_VERSION = "1.0"


@dataclass
class KBEntry:
    """Knowledge-base record of one product: (entity, attribute, value) triples."""

    product_id: str
    category: str
    triples: list[tuple[str, str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"product_id": self.product_id, "category": self.category,
                "triples": [list(t) for t in self.triples]}


def dump_line(record: dict[str, Any]) -> str:
    """One canonical JSONL line (UTF-8 text, no ASCII escaping, compact separators, newline)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield ``(line_number, parsed_object)`` for each non-blank line; errors name file and line."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise DataError(f"invalid UTF-8 at byte {e.start}", path=str(path), line=number) from None
            if not text.strip():
                continue
            try:
                yield number, json.loads(text)
            except json.JSONDecodeError as e:
                raise DataError(f"malformed JSON: {e.msg} (column {e.colno})", path=str(path),
                                line=number) from None


class Corpus:
    """A native corpus directory, read lazily.

    ``meta`` is ``meta.json``; ``relation_labels`` and ``image_categories`` are the corpus's label
    sets (defaults: JDDC 2.1). ``sessions(split)`` streams validated sessions.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise DataError("corpus directory does not exist", path=str(self.root))
        meta_path = self.root / "meta.json"
        self.meta: dict[str, Any] = {}
        if meta_path.exists():
            try:
                self.meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise DataError(f"unreadable meta.json: {e}", path=str(meta_path)) from None
        labels = self.meta.get("labels", {})
        self.relation_labels: tuple[str, ...] = tuple(labels.get("relations", JDDC21_RELATIONS))
        self.image_categories: tuple[str, ...] = tuple(labels.get("image_categories", IMAGE_CATEGORIES))

    @property
    def splits(self) -> list[str]:
        """The splits present on disk, in train/valid/test order."""
        return [s for s in SPLITS if self.split_path(s).exists()]

    def split_path(self, split: str) -> Path:
        return self.root / f"sessions.{split}.jsonl"

    @property
    def images_dir(self) -> Path:
        return self.root / "images"

    def sessions(self, split: str) -> Iterator[Session]:
        """Stream the sessions of ``split``; raises :class:`DataError` on the first bad record."""
        path = self.split_path(split)
        if not path.exists():
            raise DataError(f"split {split!r} not found (have: {', '.join(self.splits) or 'none'})",
                            path=str(path))
        for number, record in read_jsonl(path):
            try:
                yield Session.from_dict(record, relation_labels=self.relation_labels,
                                        image_categories=self.image_categories)
            except DataError as e:
                raise e.located(path=str(path), line=number) from None

    def kb(self) -> dict[str, KBEntry]:
        """The knowledge base by product id (empty if the corpus has none)."""
        path = self.root / "kb.jsonl"
        out: dict[str, KBEntry] = {}
        if not path.exists():
            return out
        for number, r in read_jsonl(path):
            try:
                entry = KBEntry(r["product_id"], r["category"], [tuple(t) for t in r["triples"]])
            except (KeyError, TypeError) as e:
                raise DataError(f"bad KB record ({e!r})", path=str(path), line=number) from None
            out[entry.product_id] = entry
        return out

    def image_path(self, image_id: str) -> Path | None:
        """The file of ``image_id`` under ``images/`` (any extension), or ``None`` if missing."""
        matches = sorted(self.images_dir.glob(f"{image_id}.*"))
        return matches[0] if matches else None


class CorpusWriter:
    """Streams a native corpus to disk; writes ``meta.json`` (with counts) on close.

    Use as a context manager::

        with CorpusWriter(out_dir, name="my-corpus") as w:
            w.add_session("train", session)
            w.add_image("abc123", pil_image)      # or a path, or encoded bytes with ext=
            w.add_kb(KBEntry(...))
    """

    def __init__(self, root: str | Path, *, name: str, version: str = FORMAT_VERSION,
                 relation_labels: tuple[str, ...] = JDDC21_RELATIONS,
                 image_categories: tuple[str, ...] = IMAGE_CATEGORIES, extra_meta: dict | None = None):
        self.root = Path(root)
        (self.root / "images").mkdir(parents=True, exist_ok=True)
        self.meta = {"name": name, "version": version, "format": f"mtdialog-native/{FORMAT_VERSION}",
                     "counts": {}, "labels": {"relations": list(relation_labels),
                                              "image_categories": list(image_categories)}}
        self.meta.update(extra_meta or {})
        self._files: dict[str, Any] = {}
        self._counts: dict[str, dict[str, int]] = {}
        self._kb = None
        self._n_images = 0

    def add_session(self, split: str, session: Session) -> None:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r} (expected one of {SPLITS})")
        if split not in self._files:
            self._files[split] = open(self.root / f"sessions.{split}.jsonl", "w", encoding="utf-8")
            self._counts[split] = {"sessions": 0, "turns": 0, "images": 0}
        self._files[split].write(dump_line(session.to_dict()))
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
            self._kb = open(self.root / "kb.jsonl", "w", encoding="utf-8")
        self._kb.write(dump_line(entry.to_dict()))

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        if self._kb is not None:
            self._kb.close()
        self.meta["counts"] = {s: self._counts[s] for s in SPLITS if s in self._counts}
        self.meta["counts"]["image_files"] = self._n_images
        (self.root / "meta.json").write_text(json.dumps(self.meta, ensure_ascii=False, indent=2) + "\n",
                                             encoding="utf-8")

    def __enter__(self) -> "CorpusWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
