"""Validation of a whole native corpus (``mtdialog data validate``): every record, image and count.

Every split and ``kb.jsonl`` are read, every image file is decoded, and the counts in ``meta.json``
are compared with what is on disk; each problem is one located :class:`DataError`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from mtdialog.data.images import check_images
from mtdialog.data.native import SPLITS, Corpus
from mtdialog.data.schema import DataError, SkipReport, relation_kinds


@dataclass
class Validation:
    """What a validation found: per-split counts, the KB, the images, and every problem."""

    corpus: Corpus
    counts: dict[str, dict[str, int]]  # split -> sessions, turns, images
    kb_products: int
    sessions_without_kb: int
    image_files: int
    unreadable: list[str]  # image ids whose file does not decode
    relation_kinds: Counter = field(default_factory=Counter)  # discourse relations beyond a parse's links
    skipped: SkipReport = field(default_factory=SkipReport)
    problems: list[DataError] = field(default_factory=list)

    @property
    def errors(self) -> list[DataError]:
        """Every problem: skipped records first, then the corpus-level ones."""
        return self.skipped.errors + self.problems


def validate(root: str | Path, *, skip_invalid: bool = False, workers: int | None = None,
             progress: bool = False) -> Validation:
    """Check the corpus at ``root``; without ``skip_invalid`` the first bad record raises."""
    corpus = Corpus(root, images="placeholder")
    skipped = SkipReport()
    unreadable = check_images(corpus, workers=workers, progress=progress)
    kb_ids = {e.product_id for e in corpus.kb_entries(skip_invalid=skip_invalid, report=skipped)}
    counts: dict[str, dict[str, int]] = {}
    clean_splits = set()
    without_kb = 0
    kinds: Counter = Counter()
    for split in corpus.splits:
        c = counts[split] = {"sessions": 0, "turns": 0, "images": 0}
        skipped_before = len(skipped)
        for s in corpus.sessions(split, skip_invalid=skip_invalid, report=skipped):
            c["sessions"] += 1
            c["turns"] += len(s.turns)
            c["images"] += len(s.image_ids())
            without_kb += s.product_id is not None and s.product_id not in kb_ids
            if s.annotations is not None and s.annotations.discourse:
                kinds += relation_kinds(s.annotations.discourse)
        if len(skipped) == skipped_before:
            clean_splits.add(split)
    n_files = len(corpus.image_index) + len(corpus.duplicate_image_files)
    problems = _count_problems(corpus, counts, clean_splits, n_files)
    problems += [DataError("another file has the same image id", path=str(corpus.images_dir / name), field="image")
                 for name in corpus.duplicate_image_files]
    problems += list(corpus.image_problems.values())
    problems += [e for i, e in unreadable.items() if i not in corpus.image_problems]
    return Validation(corpus, counts, len(kb_ids), without_kb, n_files, list(unreadable), kinds, skipped, problems)


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


__all__ = ["Validation", "validate"]
