"""Inference cost of a checkpoint: every task in one call vs one call per task, where the time goes,
beams 1 vs 4, bf16 vs float32, and (``--against``) this build vs another source tree.

    python benchmarks/bench_inference.py --checkpoint runs/tiny/best --sessions 40
    python benchmarks/bench_inference.py --checkpoint runs/tiny/best --against /tmp/old-src

The first ``--sessions`` test sessions of the corpus, without their annotations, are answered by
``DialoguePipeline`` in chunks of 16 sessions (as ``mtdialog predict`` does), on one thread, in CPU
seconds. Compared runs are interleaved (A, B, B, A) and reported as ratios, since the machine's
speed drifts. Encoder-side work counts text-encoder tokens (padding excluded) and images through the
visual backbone. Stages are timed by wrapping the model's own methods: image loading
(``processor.pixel_values``), the visual backbone (``VisualEncoder.features``), the text encoder
(``DialogueEncoder.forward`` without the backbone inside it), generation (``generate``) and the rest
(tokenisation, heads, batching). ``--against DIR`` runs the beams-1 and beams-4 latency in two
processes per source tree (``PYTHONPATH=DIR``), in the order this, other, other, this.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

from mtdialog.data.images import image_loader
from mtdialog.data.native import Corpus
from mtdialog.models import MTDialogModel
from mtdialog.models.tokenization import load_checkpoint_tokenizer
from mtdialog.pipeline import DialoguePipeline, SessionPrediction
from mtdialog.tasks import get_task

CHUNK = 16  # sessions per pipeline call, as `mtdialog predict` batches them
STAGES = ("image loading", "visual backbone", "text encoder", "generation", "rest")


class Stages:
    """CPU seconds per stage and generated tokens, by wrapping a pipeline's model methods."""

    def __init__(self, pipe: DialoguePipeline):
        self.seconds: dict[str, float] = defaultdict(float)
        self.tasks: dict[str, float] = defaultdict(float)  # CPU seconds of each task's batches
        self.generated = 0
        model = pipe.model
        run = pipe._run

        def per_task(task, examples, **kwargs):
            before = time.process_time()
            out = run(task, examples, **kwargs)
            self.tasks[task.name] += time.process_time() - before
            return out

        pipe._run = per_task
        loading = "pixel_values" if hasattr(pipe.processor, "pixel_values") else "image_inputs"  # other builds
        self._wrap(pipe.processor, loading, "image loading")
        if model.encoder.vision is not None:
            self._wrap(model.encoder.vision, "features", "visual backbone")
        self._wrap(model.encoder, "forward", "text encoder", minus="visual backbone")
        self._wrap(model, "generate", "generation", count=pipe.tokenizer.pad_token_id)

    def _wrap(self, owner, name: str, stage: str, *, minus: str | None = None, count: int | None = None) -> None:
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            before, nested = time.process_time(), self.seconds[minus] if minus else 0.0
            out = inner(*args, **kwargs)
            self.seconds[stage] += time.process_time() - before - ((self.seconds[minus] - nested) if minus else 0.0)
            if count is not None:
                self.generated += int((out[:, 1:] != count).sum())
            return out

        setattr(owner, name, timed)


def load(checkpoint: Path, corpus: Corpus, num_beams: int, dtype: torch.dtype = torch.float32) -> DialoguePipeline:
    model = MTDialogModel.from_pretrained(checkpoint).to(dtype).eval()
    return DialoguePipeline(model, load_checkpoint_tokenizer(checkpoint, model), image_loader(corpus),
                            kb=corpus.kb(), num_beams=num_beams, batch_size=16)


def run(pipe: DialoguePipeline, sessions: list, tasks: list[str] | None) -> tuple[float, list, dict]:
    """CPU seconds, predictions and encoder work of answering ``sessions`` (``tasks``: all)."""
    work = {"tokens": 0, "images": 0, "requested": 0}
    out: list = []
    start = time.process_time()
    for i in range(0, len(sessions), CHUNK):
        out += pipe(sessions[i:i + CHUNK], tasks=tasks)
        encoding = getattr(pipe, "encoding", None)  # builds without shared encoding have no counters
        for key in work:
            work[key] += getattr(encoding, key, 0)
    return time.process_time() - start, out, work


def separately(pipe: DialoguePipeline, sessions: list) -> tuple[float, list, dict]:
    """One call per task (rewrite brings rewritable), answers merged per session."""
    seconds, merged, work = 0.0, [{} for _ in sessions], {"tokens": 0, "images": 0, "requested": 0}
    for task in pipe.model.config.tasks:
        if task in {r for t in pipe.model.config.tasks for r in get_task(t).requires}:
            continue
        s, out, w = run(pipe, sessions, [task])
        seconds += s
        for record, prediction in zip(merged, out):
            record.update(prediction)
        work = {k: work[k] + w[k] for k in work}
    return seconds, [SessionPrediction(s.session_id, r) for s, r in zip(sessions, merged)], work


def records(predictions) -> list:
    """JSON records, probabilities to 4 decimals."""
    out = [p.to_dict() for p in predictions]
    for record in out:
        for r in record.get("rewrites", []):
            r["probability"] = round(r["probability"], 4)
    return [json.dumps(r, ensure_ascii=False, sort_keys=True, default=str) for r in out]


def agreement(a: list, b: list) -> float:
    """Share of (session, answer field) pairs with equal answers."""
    same = total = 0
    for x, y in zip(a, b):
        x, y = json.loads(x), json.loads(y)
        for key in x:
            same, total = same + (x[key] == y.get(key)), total + 1
    return same / max(total, 1)


def table(title: str, header: list[str], rows: list[list]) -> str:
    lines = [f"\n{title}", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def latency_only(args) -> None:
    """Per-session CPU seconds of one call for every task at beams 1 and 4, and of one call per task
    at beams 4 (for ``--against``)."""
    corpus = Corpus(args.corpus)
    sessions = test_sessions(corpus, args.sessions)
    out = {}
    for beams in (1, 4):
        pipe = load(args.checkpoint, corpus, beams)
        run(pipe, sessions[:2], None)  # warm-up
        out[f"every task, beams {beams}"] = run(pipe, sessions, None)[0] / len(sessions)
    out["one call per task, beams 4"] = separately(pipe, sessions)[0] / len(sessions)
    print(json.dumps(out))


def test_sessions(corpus: Corpus, n: int) -> list:
    from mtdialog.data.schema import Session

    sessions = list(corpus.sessions("test"))[:n]
    return [Session.from_dict({k: v for k, v in s.to_dict().items() if k != "annotations"}) for s in sessions]


def against(args) -> str:
    """This build vs ``args.against``: beams-1 and beams-4 per-session latency, this, other, other, this."""
    here = str(Path(__file__).resolve().parents[1])
    results: dict[str, list] = {"this build": [], "other": []}
    for name in ("this build", "other", "other", "this build"):
        env = {**os.environ, "PYTHONPATH": here if name == "this build" else str(args.against),
               "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
        cmd = [sys.executable, __file__, "--checkpoint", str(args.checkpoint), "--corpus", str(args.corpus),
               "--sessions", str(args.sessions), "--latency-only"]
        line = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        results[name].append(json.loads(line))
    rows = []
    for kind in results["this build"][0]:
        this, other = ([r[kind] for r in results[n]] for n in ("this build", "other"))
        rows.append([kind, " / ".join(f"{v:.3f}" for v in this), " / ".join(f"{v:.3f}" for v in other),
                     f"{(sum(other) / sum(this)):.2f}x"])
    joint = sum(r["every task, beams 4"] for r in results["this build"])
    separate = sum(r["one call per task, beams 4"] for r in results["other"])
    return (table(f"this build vs {args.against} (CPU s per session, runs in the order A B B A)",
                  ["", "this build", "other", "speed-up"], rows)
            + f"\n\nevery task in one call here / one call per task there (beams 4): {joint / separate:.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, required=True, help="a checkpoint directory (runs/tiny/best)")
    parser.add_argument("--corpus", type=Path, default=Path("data/jddc21-synth"), help="its test sessions are answered")
    parser.add_argument("--sessions", type=int, default=40, help="test sessions to answer (default: 40)")
    parser.add_argument("--against", type=Path, metavar="SRC", help="also compare with the package in this source tree")
    parser.add_argument("--latency-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.latency_only:
        return latency_only(args)
    corpus = Corpus(args.corpus)
    sessions = test_sessions(corpus, args.sessions)
    n = len(sessions)

    pipe = load(args.checkpoint, corpus, 4)
    run(pipe, sessions[:2], None)  # warm-up
    joint, sep = [], []
    for kind in ("joint", "separate", "separate", "joint"):
        seconds, out, work = run(pipe, sessions, None) if kind == "joint" else separately(pipe, sessions)
        (joint if kind == "joint" else sep).append((seconds, records(out), work))
    same = all(j[1] == s[1] for j in joint for s in sep)
    jt, st = sum(j[0] for j in joint) / 2, sum(s[0] for s in sep) / 2
    jw, sw = joint[0][2], sep[0][2]
    print(f"{n} test sessions of {args.corpus}, checkpoint {args.checkpoint}, beams 4, 1 thread")
    print(table("every task in one call vs one call per task", ["", "one call", "one call per task", "ratio"], [
        ["CPU s per session (runs A B B A)", " / ".join(f"{j[0] / n:.3f}" for j in joint),
         " / ".join(f"{s[0] / n:.3f}" for s in sep), f"{jt / st:.2f}"],
        ["text-encoder tokens", jw["tokens"], sw["tokens"], f"{jw['tokens'] / max(sw['tokens'], 1):.2f}"],
        ["tokens of the tasks' batches, each encoded for itself (before sharing)", jw["requested"], sw["requested"],
         f"{jw['tokens'] / max(sw['requested'], 1):.2f}"],
        ["images through the backbone", jw["images"], sw["images"], f"{jw['images'] / max(sw['images'], 1):.2f}"],
        ["same predictions", "", "", "yes" if same else "NO"]]))

    rows, by_beams = [], {}
    for beams in (1, 4, 4, 1):
        pipe = load(args.checkpoint, corpus, beams)
        stages = Stages(pipe)
        seconds, out, _ = run(pipe, sessions, None)
        by_beams.setdefault(beams, []).append((seconds, stages))
    for beams in (1, 4):
        seconds = sum(s for s, _ in by_beams[beams]) / 2
        stage = {k: sum(st.seconds[k] for _, st in by_beams[beams]) / 2 for k in STAGES[:-1]}
        stage["rest"] = seconds - sum(stage.values())
        generated = sum(st.generated for _, st in by_beams[beams]) / 2
        rows.append([beams, f"{seconds / n:.3f}"] + [f"{stage[k] / n:.3f}" for k in STAGES]
                    + [f"{generated / max(stage['generation'], 1e-9):.0f}"])
    print(table("where the time goes (CPU s per session, mean of 2 runs; generated tokens per generation second)",
                ["beams", "total"] + list(STAGES) + ["tokens/s"], rows))
    names = list(by_beams[1][0][1].tasks)
    print(table("latency per task (CPU ms per session, mean of 2 runs; a task's time includes the encoding it "
                "is the first to ask for)", ["beams"] + names,
                [[beams] + [f"{1000 * sum(st.tasks[t] for _, st in by_beams[beams]) / 2 / n:.1f}" for t in names]
                 for beams in (1, 4)]))

    full, half, answers = [], [], {}
    for dtype in (torch.float32, torch.bfloat16, torch.bfloat16, torch.float32):
        pipe = load(args.checkpoint, corpus, 4, dtype)
        seconds, out, _ = run(pipe, sessions, None)
        (full if dtype == torch.float32 else half).append(seconds)
        answers[dtype] = records(out)
    print(table("bf16 vs float32 weights (every task, beams 4)", ["", "float32", "bfloat16", "speed-up"], [
        ["CPU s per session (A B B A)", " / ".join(f"{s / n:.3f}" for s in full),
         " / ".join(f"{s / n:.3f}" for s in half), f"{sum(full) / sum(half):.2f}x"],
        ["answers equal to float32's", "", f"{agreement(answers[torch.float32], answers[torch.bfloat16]):.1%}", ""]]))
    if args.against:
        print(against(args))


if __name__ == "__main__":
    main()
