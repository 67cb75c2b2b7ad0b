"""Fuzzing every reader and the recipe loader with seeded mutations of valid inputs (``tests/fuzz.py``).

Each variant must end in exit status 0 (still-valid input, accepted) or 2 with one located line,
never a traceback, a hang (each run has 30 seconds) or a crash; and ``data validate`` must reject
every corpus that ``data convert`` or ``predict`` choke on. ``MTDIALOG_FUZZ`` sets the number of
variants per input (default 10, a minute or so in the suite); a larger number makes a campaign:

    MTDIALOG_FUZZ=200 .venv/bin/python -m pytest tests/test_fuzz.py -s
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import signal
from collections import Counter
from pathlib import Path

import pytest
import yaml
from fuzz import mutations
from native_corpus import write_corpus
from tiny_model import save_checkpoint

from mtdialog.cli import main
from mtdialog.data.formats import stac
from mtdialog.data.native import Corpus
from mtdialog.errors import ConfigError
from mtdialog.training.recipe import load_recipe

N = int(os.environ.get("MTDIALOG_FUZZ", "10"))
OUTCOMES: Counter = Counter()


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so that no ``except Exception`` in the code can turn a hang
    into what looks like a clean error."""


def _alarm(signum, frame):
    raise Hang


def run(argv: list[str]) -> tuple[int, str]:
    """``mtdialog ARGV`` in this process: ``(exit status, what it printed)``; a traceback or a hang
    fails the test (with the input that caused it)."""
    out = io.StringIO()
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(30)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                status = main(argv)
            except SystemExit as e:  # argparse
                status = e.code
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return status, out.getvalue()


def judge(label: str, status: int, printed: str, place: Path) -> None:
    """Accepted, or refused with a located line; count the outcome."""
    assert status in (0, 2), f"{label}: exit {status}\n{printed[-3000:]}"
    assert "Traceback" not in printed, f"{label}\n{printed[-3000:]}"
    if status == 2:
        lines = printed.splitlines()
        located = [line for line in lines if line.startswith("mtdialog: error:")]
        if located:
            assert len(located) == 1, f"{label}: {len(located)} error lines\n{printed[-2000:]}"
        else:  # data validate: a report of located problems that ends INVALID
            located = [line for line in lines if line.startswith(str(place))]
            assert located and "INVALID" in printed, f"{label}: no located error\n{printed[-2000:]}"
        assert str(place) in located[0], f"{label}: the error does not name {place}\n{printed[-2000:]}"
    OUTCOMES["clean errors" if status == 2 else "acceptances"] += 1


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_checkpoint(tmp_path_factory.mktemp("fuzz-model"))


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print(f"\nfuzz outcomes ({N} variants per input): " + ", ".join(f"{k} {v}" for k, v in sorted(OUTCOMES.items())))


@pytest.mark.slow
@pytest.mark.parametrize("target", ["sessions.train.jsonl", "kb.jsonl", "meta.json", "images/img2.png"])
def test_a_corpus_with_one_mutated_file(target, checkpoint, tmp_path):
    """validate, stats, convert and predict on each variant; validate rejects what the others choke on."""
    seed = write_corpus(tmp_path / "seed")
    data = (seed / target).read_bytes()
    parsed = None
    if target.endswith(".jsonl"):
        parsed = [json.loads(line) for line in data.decode().splitlines()]
    elif target.endswith(".json"):
        parsed = json.loads(data)
    rng = random.Random(f"corpus/{target}")
    for k, (what, variant) in enumerate(mutations(data, rng, N, json_records=parsed,
                                                  json_lines=target.endswith(".jsonl"))):
        corpus = tmp_path / f"c{k}"
        shutil.copytree(seed, corpus)
        (corpus / target).write_bytes(variant)
        label = f"{target}: {what}"
        validate, printed = run(["data", "validate", str(corpus)])
        judge(label, validate, printed, corpus)
        judge(label, *run(["data", "stats", str(corpus)])[:2], corpus)
        convert, printed = run(["data", "convert", str(corpus), str(tmp_path / f"o{k}"), "--from", "native",
                                "--to", "native"])
        judge(label, convert, printed, corpus)
        predicted, printed = run(["predict", "--checkpoint", str(checkpoint), "--input",
                                  str(corpus / "sessions.train.jsonl"), "--output", str(tmp_path / f"p{k}.jsonl"),
                                  "--tasks", "discourse", "rewritable", "--num-beams", "1"])
        judge(label, predicted, printed, corpus)
        assert validate == 2 or (convert == 0 and predicted == 0), f"{label}: validate passed what others refused"


def _file_targets(tmp_path: Path):
    """(name, seed bytes, parsed JSON or None, argv(path) -> command line) of each single-file reader."""
    corpus = Corpus(write_corpus(tmp_path / "corpus"), images="ignore")
    sessions = list(corpus.sessions("train"))
    (tmp_path / "seed.tsv").write_text("s1\txjd\tnull\t洗衣机显示E3是什么意思\t0\n"
                                       f"s1\txjd\tnull\t{'ab' * 16}.jpg\t0\n"
                                       "s1\txjd\tnull\t您好，这是进水故障|||请检查水龙头\t1\n"
                                       "s2\tfx\t9c1e2f60a7b84d3e8f11aa0b2c3d4e5f\t有色差\t0\n", encoding="utf-8")
    stac.write([s for s in sessions if s.annotations and s.annotations.discourse], tmp_path / "seed.stac.json")
    csds = [{"DialogueID": "1", "Dialogue": [{"speaker": "Q", "turn": 0, "utterance": "快递 没 到"},
                                             {"speaker": "A", "turn": 1, "utterance": "已 催促"}],
             "FinalSumm": ["用户问快递。"], "UserSumm": [], "AgentSumm": [], "QA": []}]
    questions = [{"Id": 1, "SessionId": "q1", "Shop": "fx", "ProductId": "null",
                  "Context": ["A:您好", "Q:衣服有色差"], "Question": "怎么办"}]
    out = tmp_path / "out"
    return [
        ("jddc20-tsv", (tmp_path / "seed.tsv").read_bytes(), None,
         lambda p, k: ["data", "convert", str(p), str(out / f"t{k}"), "--from", "jddc20-tsv", "--to", "native"]),
        ("stac", (tmp_path / "seed.stac.json").read_bytes(), json.loads((tmp_path / "seed.stac.json").read_text()),
         lambda p, k: ["data", "convert", str(p), str(out / f"s{k}"), "--from", "stac", "--to", "native"]),
        ("stac score", (tmp_path / "seed.stac.json").read_bytes(),
         json.loads((tmp_path / "seed.stac.json").read_text()),
         lambda p, k: ["score", "discourse", "-p", str(p), "-r", str(tmp_path / "seed.stac.json")]),
        ("csds", json.dumps(csds, ensure_ascii=False).encode(), csds,
         lambda p, k: ["data", "convert", str(p), str(out / f"c{k}"), "--from", "csds", "--to", "native"]),
        ("questions", json.dumps(questions, ensure_ascii=False).encode(), questions, "predict"),
        ("predictions", "好的\n您好\n".encode(), None,
         lambda p, k: ["score", "response", "-p", str(p), "-r", str(tmp_path / "ref.txt")]),
    ]


@pytest.mark.slow
def test_every_file_reader(checkpoint, tmp_path):
    (tmp_path / "ref.txt").write_text("好的\n您好\n", encoding="utf-8")
    for name, data, parsed, command in _file_targets(tmp_path):
        rng = random.Random(f"file/{name}")
        for k, (what, variant) in enumerate(mutations(data, rng, N, json_records=parsed)):
            path = tmp_path / f"{name.replace(' ', '_')}-{k}.in"
            path.write_bytes(variant)
            if command == "predict":
                argv = ["predict", "--checkpoint", str(checkpoint), "--input", str(path), "--output",
                        str(tmp_path / f"a{k}.json"), "--num-beams", "1", "--format", "jddc20-questions"]
            else:
                argv = command(path, k)
            judge(f"{name}: {what}", *run(argv), path)


@pytest.mark.slow
def test_recipes(tmp_path):
    seed = yaml.safe_dump({"model": {"text_encoder": {"model_type": "bert", "hidden_size": 32}, "decoder": {"layers": 1}},
                           "data": {"corpus": str(tmp_path)}, "tasks": {"response": {"weight": 1.0}},
                           "training": {"steps": 5, "lr_new": 0.001}}).encode()
    parsed = yaml.safe_load(seed)
    rng = random.Random("recipe")
    for k, (what, variant) in enumerate(mutations(seed, rng, 3 * N, json_records=parsed)):
        path = tmp_path / f"r{k}.yaml"
        path.write_bytes(variant)
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(30)
        try:
            load_recipe(path)
            OUTCOMES["acceptances"] += 1
        except ConfigError as e:
            assert str(path) in str(e), f"recipe {what}: {e}"
            OUTCOMES["clean errors"] += 1
        finally:
            signal.alarm(0)
