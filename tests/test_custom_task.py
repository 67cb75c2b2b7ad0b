"""A task of your own, end to end: ``docs/examples/custom_task.py`` run as a user runs it, then its
checkpoint answered by ``mtdialog predict`` with and without the task's module imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "custom_task.py"
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


def run(*argv, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *map(str, argv)], capture_output=True, text=True, env=ENV, cwd=ROOT,
                          timeout=timeout, check=False)


@pytest.mark.slow
def test_the_custom_task_example_trains_saves_reloads_and_predicts(tmp_path):
    done = run(EXAMPLE, "--out", tmp_path, "--steps", 12, "--sessions", 60)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "trained 12 steps" in out
    assert "Scene classification (test, " in out and "Product colour from images (test, " in out
    assert "\nmajority " in out and "\nmtdialog " in out  # the model's row beside its baseline's

    checkpoint = tmp_path / "run" / "final"
    config = json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))
    assert config["tasks"][-2:] == ["scene", "colour"] and set(config["task_labels"]) == {"scene", "colour"}
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    trained = {task for record in log if "loss" in record for task in record["loss"]}
    assert {"scene", "colour"} <= trained
    assert {"scene", "colour"} <= set(next(r for r in log if "eval" in r)["eval"])

    sessions = tmp_path / "corpus" / "sessions.test.jsonl"
    predictions = tmp_path / "p.jsonl"
    done = run("-m", "mtdialog", "--import", EXAMPLE, "predict", "--checkpoint", checkpoint, "--input", sessions,
               "--output", predictions, "--max-sessions", 2, "--num-beams", 1, "--tasks", "scene", "colour",
               "summary")
    assert done.returncode == 0, done.stderr[-3000:]
    records = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    labels = config["task_labels"]
    assert [set(r) for r in records] == [{"session_id", "scene", "colour", "summary"}] * 2
    assert all(r["scene"] in labels["scene"] for r in records)
    assert all(r.get("colour") is None or r["colour"] in labels["colour"] for r in records)

    done = run("-m", "mtdialog", "predict", "--checkpoint", checkpoint, "--input", sessions, "--output",
               tmp_path / "q.jsonl", "--max-sessions", 1)
    assert done.returncode == 2
    assert "unknown task 'scene'" in done.stderr and "--import" in done.stderr
