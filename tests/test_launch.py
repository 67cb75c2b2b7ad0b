"""Real ``accelerate launch`` runs of ``mtdialog.train`` on the CPU, as users start them.

- two CPU processes (DDP over gloo, ``ACCELERATE_USE_CPU=1`` with the multi-GPU launch config):
  both ranks run the same task each micro-step on disjoint examples, and end with identical weights,
  which only the all-reduce of their different gradients can give;
- DeepSpeed ZeRO-2 and ZeRO-3 with two processes from ``recipes/accelerate/deepspeed_zero{2,3}.yaml``,
  which must train the same weights as DDP on the same batches (the recipe's
  torch AdamW as client optimizer: no DeepSpeed optimizer op is compiled; DeepSpeed's CPU
  communication op is compiled once on first use and cached under ``TORCH_EXTENSIONS_DIR``): ZeRO
  needs both ranks to run the same modules and produce the same gradients in the same order, also
  when one rank's batch has images and the other's has none;
- 3 steps + ``--resume`` + 3 steps under DDP and ZeRO-2 give the 6-step model.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from planted import Planted
from tiny_model import write_real_recipe

from mtdialog.fileio import write_checksums

ROOT = Path(__file__).resolve().parents[1]
ACCELERATE = shutil.which("accelerate", path=str(Path(sys.executable).parent)) or "accelerate"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(launch_args: list[str], train_args: list[str], log: Path, env: dict | None = None,
           status: int = 0) -> str:
    """Run ``accelerate launch <launch_args> -m mtdialog.train <train_args>``, which must end with ``status``;
    its output goes to ``log``, its stderr is returned."""
    command = [ACCELERATE, "launch", "--main_process_port", str(free_port()), *launch_args,
               "-m", "mtdialog.train", *train_args]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                   "OMP_NUM_THREADS": "1", **(env or {})}
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300,
                          check=False)
    with open(log, "a", encoding="utf-8") as f:
        f.write(done.stdout + done.stderr)
    assert done.returncode == status, f"see {log}\n" + done.stderr[-6000:]
    return done.stderr


def read_trace(out: Path, rank: int) -> list[dict]:
    return [json.loads(line) for line in (out / "trace" / f"rank{rank}.jsonl").read_text().splitlines()]


def load_final(out: Path):
    from mtdialog.models import MTDialogModel

    return MTDialogModel.from_pretrained(str(out / "final"))


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory, synth_corpus):
    """6 optimizer steps of DDP over two CPU processes: ``(recipe, output directory)``.

    Response and rewrite train the same parameters, so every step gives every parameter of the two
    tasks a gradient; without weight decay the parameters of the other heads stay as they are (under
    DeepSpeed too, whose optimizer steps every parameter, with zero gradients for the unused ones).
    """
    root = tmp_path_factory.mktemp("ddp")
    recipe = write_real_recipe(root / "r.yaml", synth_corpus, root / "out", steps=6, eval_every=6, save_every=3,
                               trace_data=True, weight_decay=0.0, schedule="constant")
    settings = yaml.safe_load(Path(recipe).read_text(encoding="utf-8"))
    settings["tasks"] = {task: settings["tasks"][task] for task in ("response", "rewrite")}
    Path(recipe).write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    launch(["--config_file", "recipes/accelerate/multi_gpu.yaml", "--num_processes", "2"], ["--config", recipe],
           root / "launch.log", env={"ACCELERATE_USE_CPU": "1"})
    return recipe, root / "out"


def test_two_cpu_processes_train_one_model(ddp_run):
    _, out = ddp_run
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["world_size"] == 2 and summary["distributed_type"] == "DistributedType.MULTI_CPU"
    first, second = summary["param_checksums"]
    assert first == second  # replicas agree after 6 optimizer steps ...
    ranks = [read_trace(out, r) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == 6
    for a, b in zip(*ranks):  # ... though each saw other examples of the same task
        assert a["step"] == b["step"] and a["task"] == b["task"]
        assert not set(a["examples"]) & set(b["examples"])
    state = json.loads((out / "last" / "trainer_state.json").read_text())
    assert state["world_size"] == 2 and state["step"] == 6
    assert (out / "last" / "rng_state_1.json").exists()  # every process's RNG is saved, in JSON
    assert not list((out / "last").glob("*.pkl"))  # and no pickle
    assert (out / "best" / "model.safetensors").exists()


def images_per_rank(out: Path, corpus: Path) -> list[tuple[int, int]]:
    """For each micro-batch of the trace: how many images rank 0's and rank 1's examples hold."""
    from transformers import AutoTokenizer

    from mtdialog.data.images import image_loader
    from mtdialog.data.native import Corpus
    from mtdialog.models import MTDialogProcessor, TaskDataset

    model, tokenizer = load_final(out), AutoTokenizer.from_pretrained(str(out / "final"))
    data = Corpus(corpus)
    processor = MTDialogProcessor(tokenizer, model.config, kb=data.kb(), image_loader=image_loader(data))
    sessions, datasets = list(data.sessions("train")), {}
    counts = []
    for a, b in zip(read_trace(out, 0), read_trace(out, 1)):
        dataset = datasets.setdefault(a["task"], TaskDataset(a["task"], processor, sessions=sessions))
        counts.append(tuple(sum(len(dataset[i].get("pixel_values", ())) for i in batch["examples"])
                            for batch in (a, b)))
    return counts


@pytest.mark.parametrize("stage", [2, 3])
def test_deepspeed_zero_on_cpu_trains_the_same_model_as_ddp(stage, tmp_path, ddp_run, synth_corpus):
    recipe, ddp_out = ddp_run
    out = tmp_path / f"zero{stage}"
    launch(["--config_file", f"recipes/accelerate/deepspeed_zero{stage}.yaml", "--num_processes", "2"],
           ["--config", recipe, f"training.output_dir={out}"], tmp_path / "launch.log")
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["world_size"] == 2 and summary["distributed_type"] == "DistributedType.DEEPSPEED"
    assert (out / "last" / "pytorch_model").is_dir()  # DeepSpeed's own sharded checkpoint
    # the same batches as DDP, including micro-batches where only one rank has images ...
    assert read_trace(out, 0) == read_trace(ddp_out, 0) and read_trace(out, 1) == read_trace(ddp_out, 1)
    assert any((a == 0) != (b == 0) for a, b in images_per_rank(out, synth_corpus))
    # ... and the same weights: ZeRO summed each gradient with its own counterpart on the other rank
    # (replicas agreeing would prove nothing: ZeRO all-gathers every shard from its owner)
    zero, ddp = load_final(out), load_final(ddp_out)
    if stage == 2:
        from mtdialog.training.loop import checksum

        assert checksum(zero) == summary["param_checksums"][0]
    assert_same_parameters(zero, ddp)


def assert_same_parameters(model, reference) -> None:
    expected = dict(reference.named_parameters())
    for name, p in model.named_parameters():
        if name.endswith("key.bias"):  # attention is invariant to a key bias: its gradient is rounding
            continue  # noise, which Adam turns into full-size steps in either run
        torch.testing.assert_close(p, expected[name], rtol=1e-4, atol=1e-5, msg=name)  # a step is 1e-3


@pytest.mark.parametrize("launcher", ["multi_gpu", "deepspeed_zero2"])
def test_resume_continues_exactly(launcher, tmp_path, ddp_run):
    """3 steps, then ``--resume`` to 6 (optimizer state, DeepSpeed's sharded one too, the scheduler, every
    rank's RNG and stream position restored): the 6-step model of DDP, bit for bit under DDP itself."""
    recipe, ddp_out = ddp_run
    out = tmp_path / "run"
    args = ["--config_file", f"recipes/accelerate/{launcher}.yaml", "--num_processes", "2"]
    env = {"ACCELERATE_USE_CPU": "1"} if launcher == "multi_gpu" else None
    launch(args, ["--config", recipe, f"training.output_dir={out}", "training.steps=3"], tmp_path / "launch.log", env)
    launch(args, ["--resume", str(out), "training.steps=6"], tmp_path / "launch.log", env)
    summary = json.loads((out / "train_summary.json").read_text())
    assert summary["steps"] == 6 and summary["steps_this_run"] == 3
    assert read_trace(out, 0) == read_trace(ddp_out, 0) and read_trace(out, 1) == read_trace(ddp_out, 1)
    resumed, straight = load_final(out), load_final(ddp_out)
    if launcher == "multi_gpu":
        from mtdialog.training.loop import checksum

        assert checksum(resumed) == checksum(straight)
    else:
        assert_same_parameters(resumed, straight)
        # DeepSpeed opens its files with weights_only=False: a planted pickle is refused before that
        model_states, marker = out / "last" / "pytorch_model" / "mp_rank_00_model_states.pt", tmp_path / "it-ran"
        torch.save({"module": Planted(str(marker))}, model_states)
        write_checksums(out / "last")
        err = launch(args, ["--resume", str(out), "training.steps=9"], tmp_path / "launch.log", env, status=1)
        assert f"{model_states}: a pickle naming io.open: loading it could run code" in err
        assert not marker.exists()

