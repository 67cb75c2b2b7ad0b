"""Cost of `mtdialog predict` as sessions grow: seconds and peak memory per session length.

    python benchmarks/bench_session_length.py --checkpoint runs/tiny/final --turns 20 100 250 500

One session of each length is made from the turns of a corpus's test sessions (text, images and the
product's KB entry, repeated in order) and predicted for every task by `mtdialog predict` in its own
process; the lengths run twice, in the order A, B, ..., ..., B, A, since the machine's speed drifts.
The table gives the seconds of both runs, their mean as a multiple of the shortest session's, and
the larger peak resident memory of the two processes (their own ``ru_maxrss``, from ``wait4``). A session longer than ``MAX_SESSION_TURNS`` (500) is refused when read.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mtdialog.data.native import Corpus


def long_session(corpus: Corpus, turns: int) -> dict:
    """A native record of ``turns`` turns: the corpus's test turns, in order, repeated as needed."""
    sessions = list(corpus.sessions("test"))
    pool = [turn for s in sessions for turn in s.turns]
    record = sessions[0].to_dict()
    record.pop("annotations", None)
    record.update(session_id=f"long-{turns}", turns=[
        {"speaker": "QA"[i % 2], "text": pool[i % len(pool)].text or "好的", "images": list(pool[i % len(pool)].images)}
        for i in range(turns)])
    return record


def predict(checkpoint: Path, corpus: Corpus, path: Path) -> tuple[float, float]:
    """(seconds, peak MB) of one `mtdialog predict` process on the sessions in ``path``."""
    log = path.with_suffix(".log")
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        child = subprocess.Popen([sys.executable, "-m", "mtdialog", "predict", "--checkpoint", str(checkpoint),
                                  "--input", str(path), "--output", str(path.with_suffix(".pred.jsonl")),
                                  "--images", str(corpus.images_dir), "--kb", str(corpus.kb_path),
                                  "--num-beams", "1"], stdout=out, stderr=out, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak memory
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"predict failed on {path}:\n{log.read_text(encoding='utf-8')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, required=True, help="a save_pretrained directory (runs/tiny/final)")
    parser.add_argument("--corpus", type=Path, default=Path("data/jddc21-synth"), help="where the turns come from")
    parser.add_argument("--turns", type=int, nargs="+", default=[20, 100, 250, 500])
    args = parser.parse_args(argv)
    args.turns = sorted(set(args.turns))
    corpus = Corpus(args.corpus)
    runs: dict[int, list[tuple[float, float]]] = {n: [] for n in args.turns}
    with tempfile.TemporaryDirectory(prefix="bench-length-") as tmp:
        paths = {}
        for n in args.turns:
            paths[n] = Path(tmp) / f"s{n}.jsonl"
            paths[n].write_text(json.dumps(long_session(corpus, n), ensure_ascii=False) + "\n", encoding="utf-8")
        for n in sorted(args.turns) + sorted(args.turns, reverse=True):
            runs[n].append(predict(args.checkpoint, corpus, paths[n]))
            print(f"  {n} turns: {runs[n][-1][0]:.1f} s", file=sys.stderr)
    base = min(args.turns)
    base_s = sum(s for s, _ in runs[base]) / 2
    print(f"{'turns':>6} {'s (A)':>7} {'s (B)':>7} {'mean s':>7} {'x shortest':>10} {'peak MB':>8}")
    for n in sorted(args.turns):
        (a, ma), (b, mb) = runs[n]
        print(f"{n:>6} {a:7.1f} {b:7.1f} {(a + b) / 2:7.1f} {(a + b) / 2 / base_s:10.2f} {max(ma, mb):8.0f}")


if __name__ == "__main__":
    main()
