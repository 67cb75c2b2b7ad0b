"""What a checkpoint does with customer utterances alone: each one a session of one turn, no image, no product.

    python benchmarks/one_turn_sessions.py --checkpoint runs/tiny/best --corpus data/jddc21-synth -n 2000
    python benchmarks/one_turn_sessions.py --checkpoint runs/e5/best --utterances queries.txt

Real traffic often starts this way, and a model trained on whole sessions can answer it with what it
has memorised. The table gives, over the utterances: how many were judged rewritable, how many
distinct rewrites and responses were written and how often the most frequent one was, how many
rewrites only copied the query, how many summaries speak of an image (图/照片/截图) though no image was
sent, and the seconds per session.
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path

from mtdialog.data.native import Corpus
from mtdialog.data.schema import Session, Turn
from mtdialog.pipeline import DialoguePipeline

IMAGE_WORDS = re.compile("图|照片|截图")


def utterances(corpus: Path | None, split: str, path: Path | None, n: int) -> list[str]:
    """The first ``n`` distinct customer texts of ``split`` of ``corpus``, or the lines of ``path``."""
    if path is not None:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
        return list(dict.fromkeys(line for line in lines if line))[:n]
    texts = (t.text for s in Corpus(corpus, images="ignore").sessions(split) for t in s.turns
             if t.speaker == "Q" and t.text)
    return list(dict.fromkeys(texts))[:n]


def share(count: int, total: int) -> str:
    return f"{count} ({100 * count / total:.1f}%)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=Path("data/jddc21-synth"),
                        help="native corpus whose customer turns are the utterances")
    parser.add_argument("--split", default="test")
    parser.add_argument("--utterances", type=Path, help="a file of utterances, one per line (instead of --corpus)")
    parser.add_argument("-n", type=int, default=2000, help="how many utterances (default: 2000)")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    texts = utterances(args.corpus, args.split, args.utterances, args.n)
    if not texts:
        raise SystemExit(f"no utterances in {args.utterances or f'{args.corpus} {args.split}'}")
    sessions = [Session(f"u{i}", "other", None, [Turn("Q", text)]) for i, text in enumerate(texts)]
    pipe = DialoguePipeline.from_pretrained(args.checkpoint, num_beams=1, batch_size=args.batch_size)
    tasks = [t for t in ("response", "rewritable", "rewrite", "summary") if t in pipe.model.config.tasks]
    start = time.perf_counter()
    predictions = [p for k in range(0, len(sessions), args.batch_size)
                   for p in pipe(sessions[k:k + args.batch_size], tasks=tasks)]
    seconds = time.perf_counter() - start

    n = len(texts)
    rows = [("utterances", str(n)), ("seconds per session", f"{seconds / n:.3f}")]
    if "rewritable" in tasks:
        judged = [(p.rewrites[0], text) for p, text in zip(predictions, texts) if p.rewrites]
        rows.append(("judged rewritable", share(sum(r.rewritable for r, _ in judged), n)))
        written = [(r.text, text) for r, text in judged if r.rewritable and r.text is not None]
        if written:
            (top, top_n), = Counter(r for r, _ in written).most_common(1)
            rows += [("distinct rewrites", str(len({r for r, _ in written}))),
                     ("most frequent rewrite", f"{top_n}x {top[:30]}"),
                     ("rewrites equal to the query", share(sum(r == text for r, text in written), n))]
    for task, plural in (("response", "responses"), ("summary", "summaries")):
        if task in tasks:
            values = [getattr(p, task) or "" for p in predictions]
            (top, top_n), = Counter(values).most_common(1)
            rows += [(f"distinct {plural}", str(len(set(values)))), (f"most frequent {task}", f"{top_n}x {top[:30]}")]
    if "summary" in tasks:
        rows.append(("summaries speaking of an image", share(sum(bool(IMAGE_WORDS.search(p.summary or ""))
                                                                for p in predictions), n)))
    width = max(len(name) for name, _ in rows)
    print(f"{args.checkpoint}: {n} one-turn sessions ({args.utterances or f'{args.corpus} {args.split}'})")
    print("\n".join(f"{name.ljust(width)}  {value}" for name, value in rows))


if __name__ == "__main__":
    main()
