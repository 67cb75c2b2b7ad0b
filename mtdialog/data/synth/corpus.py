"""The corpus writer driver: generate sessions in parallel chunks and write a native corpus.

Sessions are split by index (``index % 10``: 0-7 train, 8 valid, 9 test) and the first
``annotated`` sessions carry every annotation, so both the whole corpus and its annotated part are
split 80/10/10. Each session draws from its own seeded RNG and the driver writes chunks in index
order, so the output is byte-identical for a seed whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from tqdm import tqdm

from mtdialog.data.native import Corpus, CorpusWriter
from mtdialog.data.schema import DataError
from mtdialog.data.synth.dialogue import Generated, build_session
from mtdialog.data.synth.hidden import ATTRIBUTES
from mtdialog.data.synth.world import Product, build_catalogue, products_by_shop
from mtdialog.fileio import into_new_dir

CORPUS_NAME = "jddc21-synth"
GENERATOR_VERSION = "2"
CHUNK = 64  # sessions per work item

_products: dict[str, list[Product]] = {}  # per worker process: the catalogue by shop


def split_of(index: int) -> str:
    """The split of session ``index``: 80% train, 10% valid, 10% test, interleaved."""
    r = index % 10
    return "train" if r < 8 else "valid" if r == 8 else "test"


def _init(seed: int) -> None:
    _products.clear()
    _products.update(products_by_shop(build_catalogue(seed)))


def _chunk(job: tuple[int, int, int, int]) -> list[Generated]:
    start, stop, seed, annotated = job
    return [build_session(i, seed, _products, i < annotated) for i in range(start, stop)]


def generator_settings(*, sessions: int, annotated: int, seed: int) -> dict:
    """What ``meta.json`` records under ``"generator"`` for a corpus generated with these settings."""
    return {"name": "mtdialog.data.synth", "version": GENERATOR_VERSION, "seed": seed,
            "sessions": sessions, "annotated": annotated}


def check_generated(corpus: Corpus, *, sessions: int, annotated: int, seed: int) -> None:
    """Refuse a corpus that this generator wrote with other settings or in an earlier version.

    A directory that was generated once is reused as it is; after an upgrade of the generator or a
    change of the settings it would silently stand in for the corpus asked for. Corpora not written
    by this generator are not checked.
    """
    found = corpus.meta.get("generator")
    if not isinstance(found, dict) or found.get("name") != "mtdialog.data.synth":
        return
    wanted = generator_settings(sessions=sessions, annotated=annotated, seed=seed)
    differing = [f"{key} {found.get(key)!r} (wanted {value!r})" for key, value in wanted.items()
                 if str(found.get(key)) != str(value)]
    if differing:
        raise DataError(f"this corpus was generated with generator {', '.join(differing)}; delete the "
                        "directory to generate it again, or point data.corpus elsewhere",
                        path=str(corpus.root / "meta.json"), field="generator")


def generate_corpus(out_dir: str | Path, *, sessions: int = 3000, annotated: int = 600, seed: int = 0,
                    workers: int | None = None, progress: bool = True) -> Path:
    """Write the embedded JDDC-2.1-style corpus to ``out_dir`` (which must be empty or absent; it is
    written as ``<out_dir>.partial`` and renamed when complete).

    ``sessions``: how many sessions (at least 10, so that every split has one); ``annotated``: how
    many of them carry rewrites, discourse relations, a summary and image categories; ``workers``:
    processes (default: all CPUs; 1 runs in this process). Returns the corpus directory.
    """
    if sessions < 10:
        raise ValueError(f"sessions must be at least 10 (one per split), got {sessions}")
    if not 0 <= annotated <= sessions:
        raise ValueError(f"annotated must be between 0 and sessions ({sessions}), got {annotated}")
    catalogue = build_catalogue(seed)
    jobs = [(start, min(start + CHUNK, sessions), seed, annotated) for start in range(0, sessions, CHUNK)]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    extra = {"generator": generator_settings(sessions=sessions, annotated=annotated, seed=seed),
             "hidden_attributes": {cat: {"attribute": a.name, "values": list(a.all_values())}
                                   for cat, a in ATTRIBUTES.items()}}

    def generate(root: Path) -> None:
        with CorpusWriter(root, name=CORPUS_NAME, extra_meta=extra) as writer, \
                tqdm(total=sessions, unit="session", desc="synth", disable=not progress) as bar:
            for product in catalogue:
                writer.add_kb(product.kb_entry())
            if workers == 1:
                _init(seed)
                _write(writer, map(_chunk, jobs), bar)
            else:
                with multiprocessing.get_context().Pool(workers, initializer=_init, initargs=(seed,)) as pool:
                    _write(writer, pool.imap(_chunk, jobs), bar)

    return into_new_dir(out_dir, generate)  # a run stopped half-way leaves no corpus that looks whole


def _write(writer: CorpusWriter, chunks, bar: tqdm) -> None:
    for chunk in chunks:
        for generated in chunk:
            writer.add_session(split_of(generated.index), generated.session)
            for image_id, data in generated.images:
                writer.add_image(image_id, data, "png")
        bar.update(len(chunk))
