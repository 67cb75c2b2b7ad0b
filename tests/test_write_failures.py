"""Writes that fail half-way end in one line naming the file, exit status 2, and lose nothing done.

A full disk is simulated with a file-size limit (``RLIMIT_FSIZE``, with ``SIGXFSZ`` ignored): a write
beyond it fails with ``EFBIG`` where a full disk fails with ``ENOSPC``, through the same code. The
commands run as processes, as users start them.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys

import pytest
from tiny_model import save_checkpoint, session_record, write_corpus

from mtdialog.data.native import Corpus

pytestmark = pytest.mark.slow


def python_m(args: list, max_file_bytes: int) -> subprocess.CompletedProcess:
    """``python -m ARGS`` with files limited to ``max_file_bytes``."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", *map(str, args)], preexec_fn=limit, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def one_line_error(done: subprocess.CompletedProcess) -> str:
    """The one error line of a command that exited with status 2 and no traceback."""
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1, done.stderr[-3000:]
    return lines[0]


def test_synth_and_convert_leave_no_corpus_that_looks_whole(tmp_path):
    out = tmp_path / "synth"
    synth = python_m(["mtdialog", "data", "synth", "--out", out, "--sessions", "40", "--workers", "1"], 20_000)
    assert one_line_error(synth) == f"mtdialog: error: {out}: File too large"
    assert not out.exists() and not (tmp_path / "synth.partial").exists()
    corpus = write_corpus(tmp_path / "corpus", n=40)
    converted = tmp_path / "converted"
    convert = python_m(["mtdialog", "data", "convert", corpus.root, converted, "--from", "native", "--to", "native"],
                       5_000)
    assert one_line_error(convert) == f"mtdialog: error: {converted}: File too large"
    assert not converted.exists() and not (tmp_path / "converted.partial").exists()


def test_predict_keeps_the_predictions_written_before_the_disk_filled(tmp_path):
    save_checkpoint(tmp_path)
    corpus = Corpus(tmp_path / "corpus")
    sessions = tmp_path / "in.jsonl"
    sessions.write_text("".join(json.dumps({**session_record(k % 4, annotated=False), "session_id": f"s{k}"},
                                           ensure_ascii=False) + "\n" for k in range(40)), encoding="utf-8")
    out = tmp_path / "o.jsonl"
    done = python_m(["mtdialog", "predict", "--checkpoint", tmp_path / "ckpt", "--input", sessions, "--output", out,
                     "--images", corpus.images_dir, "--tasks", "summary", "rewritable", "--num-beams", "1"], 3_000)
    assert one_line_error(done) == (f"mtdialog: error: {out}.partial: File too large (what was written so far is "
                                    f"in {out}.partial)")
    kept = (tmp_path / "o.jsonl.partial").read_text(encoding="utf-8").splitlines()
    assert not out.exists() and len(kept) >= 1  # the last line may be cut where the disk filled
    assert [json.loads(k)["session_id"] for k in kept[:-1]] == [f"s{k}" for k in range(len(kept) - 1)]


def test_training_stops_with_one_line_when_a_checkpoint_cannot_be_written(tmp_path):
    from tiny_model import write_real_recipe

    corpus = tmp_path / "synth"
    assert python_m(["mtdialog", "data", "synth", "--out", corpus, "--sessions", "40", "--workers", "1"], 10**9).returncode == 0
    recipe = write_real_recipe(tmp_path / "r.yaml", corpus, tmp_path / "run")
    done = python_m(["mtdialog.train", "--config", recipe], 1_000_000)  # less than the first checkpoint
    assert one_line_error(done) == f"mtdialog.train: error: {tmp_path / 'run' / 'best.tmp'}: File too large"
    assert not (tmp_path / "run" / "best").exists()  # only the .tmp directory, never a checkpoint that looks whole


@pytest.mark.parametrize("writer", ["safetensors", "torch"])
def test_library_write_errors_become_os_errors_naming_the_directory(tmp_path, writer):
    import torch
    from safetensors.torch import save_file

    from mtdialog.fileio import library_writes

    tensors = {"w": torch.zeros(100_000)}
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, hard))
    try:
        with pytest.raises(OSError) as e, library_writes(tmp_path):
            if writer == "safetensors":
                save_file(tensors, tmp_path / "w.safetensors")
            else:
                torch.save(tensors, tmp_path / "w.bin")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert e.value.filename == str(tmp_path)
