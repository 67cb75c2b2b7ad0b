"""Hostile sizes at prediction: nothing hangs, crashes or refuses valid input; limits are named.

Runs that could hang or crash run as subprocesses with a timeout, so that a regression fails the
test instead of stalling the suite.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest
from PIL import Image
from tiny_model import save_checkpoint, session_record

from mtdialog.cli import main
from mtdialog.data.native import KBEntry
from mtdialog.pipeline import DialoguePipeline


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_checkpoint(tmp_path_factory.mktemp("hostile"))


def write_input(directory, records, kb=None):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "images").mkdir(exist_ok=True)
    for record in records:
        for turn in record["turns"]:
            for image in turn["images"]:
                if not (directory / "images" / f"{image}.png").exists():
                    Image.new("RGB", (8, 8), (90, 20, 200)).save(directory / "images" / f"{image}.png")
    path = directory / "in.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    if kb is not None:
        (directory / "kb.jsonl").write_text(json.dumps(kb.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def predict(checkpoint, path, out, *extra) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "mtdialog", "predict", "--checkpoint", str(checkpoint), "--input",
                           str(path), "--output", str(out), "--num-beams", "1", *map(str, extra)],
                          capture_output=True, text=True, env=env, timeout=180, check=False)


def test_a_huge_knowledge_base_entry_is_cut_before_it_is_read(checkpoint, tmp_path):
    kb = KBEntry("p1", "外套", [("外套", f"属性{i}", "很长的值" * 2560) for i in range(1_000)])  # about 30 MB
    path = write_input(tmp_path, [session_record(0, annotated=False)], kb)
    done = predict(checkpoint, path, tmp_path / "o.jsonl", "--tasks", "summary")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8"))["summary"] is not None


def test_a_knowledge_base_entry_beyond_the_limit_is_refused_with_its_line(checkpoint, tmp_path):
    kb = KBEntry("p1", "外套", [("外套", f"属性{i}", "红") for i in range(1_001)])
    path = write_input(tmp_path, [session_record(0, annotated=False)], kb)
    done = predict(checkpoint, path, tmp_path / "o.jsonl", "--tasks", "summary")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"mtdialog: error: {tmp_path / 'kb.jsonl'}:1: triples: 1,001 triples, more than the 1,000 an entry may "
        "have (MAX_KB_TRIPLES; the encoder reads only its first few dozen)")


def test_a_decompression_bomb_is_refused_from_its_header(checkpoint, tmp_path):
    path = write_input(tmp_path, [session_record(0, annotated=False)])
    bomb = tmp_path / "images" / "img0a.png"
    Image.new("1", (10_000, 6_000)).save(bomb)  # 60 million pixels in a file of a few kilobytes
    assert bomb.stat().st_size < 100_000
    done = predict(checkpoint, path, tmp_path / "o.jsonl", "--tasks", "summary")
    assert done.returncode == 2
    assert (f"{bomb}: image: image of 10,000 x 6,000 pixels, more than the 50,000,000 accepted "
            "(MAX_IMAGE_PIXELS)") in done.stderr


def test_a_session_beyond_the_limits_is_refused_at_once(checkpoint, tmp_path):
    long = {"session_id": "long", "shop": "fx", "product_id": None,
            "turns": [{"speaker": "QA"[i % 2], "text": f"第{i}句", "images": []} for i in range(5000)]}
    done = predict(checkpoint, write_input(tmp_path / "a", [long]), tmp_path / "a.jsonl")
    assert done.returncode == 2
    assert f"{tmp_path / 'a' / 'in.jsonl'}:1: turns: 5,000 turns, more than the 500 a session may have" in done.stderr
    images = {"session_id": "pics", "shop": "fx", "product_id": None,
              "turns": [{"speaker": "Q", "text": "看", "images": [f"i{k}" for k in range(10_000)]}]}
    done = predict(checkpoint, write_input(tmp_path / "b", [images]), tmp_path / "b.jsonl", "--tasks", "summary",
                   "--missing-images", "placeholder")
    assert done.returncode == 2 and f"{tmp_path / 'b' / 'in.jsonl'}:1: images: 10,000 images, more than the 200" \
        in done.stderr


def test_long_and_odd_turns_are_answered_with_a_note(checkpoint, tmp_path):
    huge = session_record(1, annotated=False)
    huge["turns"][1]["text"] = "这件衣服有色差" * 75_000  # 525 KB
    accents = session_record(2, annotated=False)
    accents["turns"][3]["text"] = "a" + "\u0301" * 200  # one letter with 200 combining accents
    path = write_input(tmp_path, [huge, accents], KBEntry("p1", "外套", [("外套", "颜色", "红色")]))
    out = tmp_path / "o.jsonl"
    done = predict(checkpoint, path, out, "--tasks", "discourse", "summary", "rewritable")
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    assert "turn text(s) were cut to fit the model" in done.stderr


def test_an_output_directory_is_refused_before_any_work(checkpoint, tmp_path, capsys):
    path = write_input(tmp_path, [session_record(0, annotated=False)])
    assert main(["predict", "--checkpoint", str(checkpoint), "--input", str(path), "--output", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (f"mtdialog: error: {tmp_path}: is a directory; give a file name "
                                               "for the output")


def test_a_failure_half_way_keeps_the_predictions_made(checkpoint, tmp_path, capsys, monkeypatch):
    path = write_input(tmp_path, [session_record(i, annotated=False) for i in range(4)])
    out = tmp_path / "o.jsonl"
    answer, calls = DialoguePipeline.__call__, []

    def full_disk_on_the_second_batch(self, sessions, tasks=None):
        calls.append(len(sessions))
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(out) + ".partial")
        return answer(self, sessions, tasks)

    monkeypatch.setattr(DialoguePipeline, "__call__", full_disk_on_the_second_batch)
    assert main(["predict", "--checkpoint", str(checkpoint), "--input", str(path), "--output", str(out),
                 "--batch-size", "2", "--num-beams", "1", "--tasks", "summary"]) == 2
    assert capsys.readouterr().err.strip().endswith(f"{out}.partial: No space left on device (what was written so "
                                                    f"far is in {out}.partial)")
    assert not out.exists()
    kept = [json.loads(line) for line in (tmp_path / "o.jsonl.partial").read_text().splitlines()]
    assert [r["session_id"] for r in kept] == ["s0", "s1"]
