"""The cross-task row: responses conditioned on the model's own rewrite of the customer's queries.

The JDDC 2.1 paper leaves it as future work: a query that leans on a photo ("这个怎么办?" under a
picture of a broken part) is hard to answer, and its text rewrite says what is asked. Here a trained
unified model judges every customer turn of every split and rewrites those it finds rewritable; each
such turn's text gets the rewrite appended (``REWRITE_MARK``), and a response model is trained and
scored on that corpus. The gold responses are untouched, so its scores compare with a response model
trained on the corpus as it is. Train sessions get the model's rewrites too (never the gold ones), so
that training reads what testing reads.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from tqdm.auto import tqdm

from mtdialog.data.native import Corpus, CorpusWriter, read_meta
from mtdialog.data.schema import Session

#: How a rewrite follows the turn's own text.
REWRITE_MARK = "（改写：{}）"


def with_rewrites(session: Session, rewrites: dict[int, str]) -> Session:
    """``session`` with the text of each turn in ``rewrites`` followed by its rewrite."""
    turns = [dataclasses.replace(t, text=t.text + REWRITE_MARK.format(rewrites[i])) if rewrites.get(i) else t
             for i, t in enumerate(session.turns)]
    return dataclasses.replace(session, turns=turns)


def rewrite_corpus(checkpoint: Path, corpus_dir: Path, out: Path, *, batch_size: int = 32, chunk: int = 64) -> Path:
    """Write ``out``: ``corpus_dir`` with every customer turn the model at ``checkpoint`` judges rewritable
    followed by its rewrite (greedy decoding). The images are the corpus's own (a link), so cached
    image features are shared. Returns ``out``; an ``out`` already complete is kept."""
    from mtdialog.cache import cache_dir
    from mtdialog.pipeline import DialoguePipeline

    if (out / "meta.json").is_file():
        return out
    corpus = Corpus(corpus_dir)
    pipe = DialoguePipeline.from_pretrained(checkpoint, corpus, num_beams=1, batch_size=batch_size)
    pipe.processor.feature_cache = pipe.model.feature_cache(cache_dir("features") / corpus.image_fingerprint(),
                                                            corpus.image_index)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    meta = read_meta(corpus.root / "meta.json")
    with CorpusWriter(partial, name=f"{meta.get('name', corpus.root.name)}+own-rewrites",
                      relation_labels=meta["labels"].get("relations"),
                      image_categories=meta["labels"].get("image_categories")) as writer:
        for split in corpus.splits:
            sessions = list(corpus.sessions(split))
            for start in tqdm(range(0, len(sessions), chunk), desc=f"rewrite {split}", unit="chunk", mininterval=5):
                part = sessions[start:start + chunk]
                for session, prediction in zip(part, pipe(part, tasks=["rewrite"])):
                    rewrites = {r.turn: r.text for r in prediction["rewrites"] if r.rewritable and r.text}
                    writer.add_session(split, with_rewrites(session, rewrites))
        if (corpus.root / "kb.jsonl").is_file():
            shutil.copyfile(corpus.root / "kb.jsonl", partial / "kb.jsonl")
    (partial / "images").rmdir()
    (partial / "images").symlink_to(corpus.images_dir.resolve(), target_is_directory=True)
    partial.rename(out)
    return out


__all__ = ["REWRITE_MARK", "rewrite_corpus", "with_rewrites"]
