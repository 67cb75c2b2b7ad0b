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
from mtdialog.data.native import FORMAT_VERSION, SPLITS, Corpus, CorpusWriter, KBEntry
from mtdialog.data.schema import DataError
from mtdialog.fileio import PARTIAL, into_new_dir, replace_dir, sha256


def joined_labels(label_sets: Sequence[Sequence[str]], jddc: Sequence[str]) -> list[str]:
    """One label set for corpora with ``label_sets``: JDDC's (its order) when they all fit in it, else
    the first set in its order followed by the others' new labels, sorted (so a model trained on the
    first corpus keeps its label ids)."""
    union = set().union(*map(set, label_sets))
    if union <= set(jddc):
        return list(jddc)
    first = list(label_sets[0])
    return first + sorted(union - set(first))


def merge(sources: Sequence[Path], output: Path, *, name: str | None = None, skip_invalid: bool = False,
          allow_missing_images: bool = False):
    """Write the corpora ``sources`` as one native corpus at ``output`` (new or empty); returns the
    :class:`~mtdialog.data.convert.Conversion` (sessions per split, what was copied, skipped records)."""
    from mtdialog.data.convert import Conversion

    if len(sources) < 2:
        raise DataError("merge needs at least two corpora", path=str(sources[0]) if sources else None)
    corpora = [Corpus(s, images="placeholder" if allow_missing_images else "check") for s in sources]
    extras = [{k: v for k, v in c.meta.items() if k not in ("name", "version", "format", "counts", "labels")}
              for c in corpora]
    for corpus, extra in zip(corpora[1:], extras[1:]):
        clash = sorted(k for k in set(extra) & set(extras[0]) if extra[k] != extras[0][k])
        if clash:
            raise DataError(f"meta.json's {clash[0]!r} differs from the first corpus's ({corpora[0].root})",
                            path=str(corpus.root / "meta.json"), field=clash[0])
    result = Conversion()
    meta = {k: v for extra in reversed(extras) for k, v in extra.items()}
    into_new_dir(output, lambda out: _write(corpora, out, name or corpora[0].meta.get("name", corpora[0].root.name),
                                            skip_invalid, result, meta))
    result.unreadable_images = [i for c in corpora for i in c.image_problems]
    return result


def _write(corpora: list[Corpus], output: Path, name: str, skip_invalid: bool, result, meta: dict) -> None:
    first = {}  # session id -> where it was first seen
    kb: dict[str, tuple[KBEntry, str]] = {}
    images: dict[str, tuple[str, Path]] = {}  # image id -> (SHA-256, file)
    relations = joined_labels([c.relation_labels for c in corpora], JDDC21_RELATIONS)
    categories = joined_labels([c.image_categories for c in corpora], IMAGE_CATEGORIES)
    with CorpusWriter(output, name=name, version=corpora[0].meta.get("version", FORMAT_VERSION),
                      relation_labels=relations, image_categories=categories, extra_meta=meta) as writer:
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


def add_split(corpus_dir: Path, split: str, write_split: Callable[[Path], None], *, name: str | None = None,
              skip_invalid: bool = False, allow_missing_images: bool = False):
    """Add ``split``, written by ``write_split(directory)`` as a corpus of its own, to the corpus at
    ``corpus_dir``, which must not have that split yet; the corpus is replaced only once the joined
    one is complete (``name``: a new corpus name). Returns the merge's Conversion. When the joined
    corpus cannot be made, the converted split is kept (the error says where) to look at."""
    existing = Corpus(corpus_dir, images="ignore")
    if split in existing.splits:
        raise DataError(f"the corpus has a {split} split already (`mtdialog data merge` joins corpora whose "
                        "splits overlap)", path=str(existing.split_path(split)))
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r} (expected one of {', '.join(SPLITS)})", field="--split")
    added = corpus_dir.with_name(corpus_dir.name + f".{split}{PARTIAL}")
    joined = corpus_dir.with_name(corpus_dir.name + f".joined{PARTIAL}")
    shutil.rmtree(added, ignore_errors=True)  # kept by an earlier attempt that failed
    into_new_dir(added, write_split)
    try:
        result = merge([corpus_dir, added], joined, name=name or existing.meta.get("name"),
                       skip_invalid=skip_invalid, allow_missing_images=allow_missing_images)
        replace_dir(joined, corpus_dir)
    except DataError as e:
        e.add_note(f"the converted {split} split is kept in {added} to look at; delete it when done")
        shutil.rmtree(joined, ignore_errors=True)
        raise
    except BaseException:
        shutil.rmtree(added, ignore_errors=True)
        shutil.rmtree(joined, ignore_errors=True)
        raise
    shutil.rmtree(added)
    return result


__all__ = ["add_split", "joined_labels", "merge"]
