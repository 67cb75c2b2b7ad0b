"""Joining native corpora: ``mtdialog data merge``, and ``data convert`` into an existing corpus.

:func:`merge` writes the splits of several corpora into one: a split that several of them have gets
their sessions in the order the corpora are given. Session ids must stay unique across the result,
a product's KB entry and an image id must mean the same in every corpus that has them (an identical
copy is kept once), and the label sets are joined (:func:`joined_labels`). The result is written as
``OUT.partial`` and renamed; :func:`add_split` uses it to add one converted split to a corpus in place.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS
from mtdialog.data.native import SPLITS, Corpus, CorpusWriter, KBEntry
from mtdialog.data.schema import DataError
from mtdialog.fileio import PARTIAL, into_new_dir, sha256, swap_dir


def joined_labels(label_sets: Sequence[Sequence[str]], jddc: Sequence[str]) -> list[str]:
    """One label set for corpora with ``label_sets``: JDDC's (its order) when they all fit in it, the
    common list when they are all the same, else every label sorted."""
    union = set().union(*map(set, label_sets))
    if union <= set(jddc):
        return list(jddc)
    if all(list(s) == list(label_sets[0]) for s in label_sets):
        return list(label_sets[0])
    return sorted(union)


def merge(sources: Sequence[Path], output: Path, *, name: str | None = None, skip_invalid: bool = False,
          allow_missing_images: bool = False):
    """Write the corpora ``sources`` as one native corpus at ``output`` (new or empty); returns the
    :class:`~mtdialog.data.convert.Conversion` (sessions per split, what was copied, skipped records)."""
    from mtdialog.data.convert import Conversion

    if len(sources) < 2:
        raise DataError("merge needs at least two corpora", path=str(sources[0]) if sources else None)
    corpora = [Corpus(s, images="placeholder" if allow_missing_images else "check") for s in sources]
    result = Conversion()
    into_new_dir(output, lambda out: _write(corpora, out, name or corpora[0].meta.get("name", corpora[0].root.name),
                                            skip_invalid, result))
    result.unreadable_images = [i for c in corpora for i in c.image_problems]
    return result


def _write(corpora: list[Corpus], output: Path, name: str, skip_invalid: bool, result) -> None:
    first = {}  # session id -> where it was first seen
    kb: dict[str, tuple[KBEntry, str]] = {}
    images: dict[str, tuple[str, Path]] = {}  # image id -> (SHA-256, file)
    relations = joined_labels([c.relation_labels for c in corpora], JDDC21_RELATIONS)
    categories = joined_labels([c.image_categories for c in corpora], IMAGE_CATEGORIES)
    with CorpusWriter(output, name=name, relation_labels=relations, image_categories=categories) as writer:
        for split in SPLITS:
            for corpus in corpora:
                if split not in corpus.splits:
                    continue
                where = str(corpus.split_path(split))
                for session in corpus.sessions(split, skip_invalid=skip_invalid, report=result.skipped):
                    if session.session_id in first:
                        raise DataError(f"session id {session.session_id!r} is also in {first[session.session_id]}",
                                        path=where, field="session_id")
                    first[session.session_id] = where
                    writer.add_session(split, session)
                    result.count(split, session)
        for corpus in corpora:
            for entry in corpus.kb_entries(skip_invalid=skip_invalid, report=result.skipped):
                if entry.product_id in kb:
                    if kb[entry.product_id][0] != entry:
                        raise DataError(f"product {entry.product_id!r} has another KB entry in {kb[entry.product_id][1]}",
                                        path=str(corpus.kb_path), field="product_id")
                    continue
                kb[entry.product_id] = (entry, str(corpus.kb_path))
                writer.add_kb(entry)
            for image_id, file_name in corpus.image_index.items():
                path = corpus.images_dir / file_name
                digest = sha256(path)
                if image_id in images:
                    if images[image_id][0] != digest:
                        raise DataError(f"image {image_id!r} differs from the file of that id in "
                                        f"{images[image_id][1]}", path=str(path), field="image")
                    continue
                images[image_id] = (digest, path)
                writer.add_image(image_id, path)
    result.copied = {"image files": len(images), "KB entries": len(kb)}


def add_split(corpus_dir: Path, split: str, write_split: Callable[[Path], None]):
    """Add ``split``, written by ``write_split(directory)`` as a corpus of its own, to the corpus at
    ``corpus_dir``, which must not have that split yet; the corpus is replaced only once the joined
    one is complete. Returns the merge's Conversion."""
    existing = Corpus(corpus_dir, images="ignore")
    if split in existing.splits:
        raise DataError(f"the corpus has a {split} split already (`mtdialog data merge` joins corpora whose "
                        "splits overlap)", path=str(existing.split_path(split)))
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r} (expected one of {', '.join(SPLITS)})", field="--split")
    added = corpus_dir.with_name(corpus_dir.name + f".{split}{PARTIAL}")
    joined = corpus_dir.with_name(corpus_dir.name + f".joined{PARTIAL}")
    try:
        into_new_dir(added, write_split)
        result = merge([corpus_dir, added], joined, name=existing.meta.get("name"))
        swap_dir(joined, corpus_dir)
    finally:
        shutil.rmtree(added, ignore_errors=True)
        shutil.rmtree(joined, ignore_errors=True)
    return result


__all__ = ["add_split", "joined_labels", "merge"]
