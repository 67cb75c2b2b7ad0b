"""Checkpoints: the resumable training state, and ``save_pretrained`` model directories.

A run's output directory holds

- ``last/``: ``Accelerator.save_state`` (model, optimizer, scheduler) plus ``rng_state_<rank>.json``
  (the RNG states of every process and the accelerator's micro-step, in JSON rather than accelerate's
  pickle) and ``trainer_state.json`` (step, task sampler, per-task stream positions, best score so
  far). ``--resume`` verifies and restores all of it, so a resumed run continues exactly.
- ``best/`` and ``final/``: ``save_pretrained`` directories (model + tokenizer) that the model class's
  ``from_pretrained`` loads. With LoRA they hold the PEFT adapter (``adapter_config.json``,
  ``adapter_model.safetensors``, including the fully trained ``modules_to_save``) plus the tokenizer,
  and the frozen base model is saved once in ``base/``; :func:`load_checkpoint` joins them.
- ``merged/``: with ``lora.merge``, the adapter merged into the base, a plain ``save_pretrained`` dir.

Every directory is written next to its final place, gets a ``checksums.json`` (the SHA-256 of each
file, written last) and is swapped in, so an interrupted save never leaves a half-written checkpoint
behind, and a damaged or edited file is found before it is loaded.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mtdialog.data import jsonio
from mtdialog.errors import ConfigError, DataError
from mtdialog.fileio import CHECKSUMS, library_writes, swap_dir, verify_checksums, write_checksums

TRAINER_STATE = "trainer_state.json"
#: Each process's RNG state (JSON, in place of accelerate's pickle).
RNG_STATE = "rng_state_{rank}.json"
ADAPTER_CONFIG = "adapter_config.json"
BASE_DIR = "base"
#: The classes DeepSpeed's checkpoint pickles name besides tensors and containers, all plain data (a
#: loss scaler's numbers, the ZeRO stage, a fragment's start and size). DeepSpeed opens its files with
#: ``weights_only=False``, so a pickle naming anything else (``os.system``...) is refused unopened.
DEEPSPEED_GLOBALS = frozenset({
    "deepspeed.runtime.fp16.loss_scaler.LossScaler",
    "deepspeed.runtime.fp16.loss_scaler.DynamicLossScaler",
    "deepspeed.runtime.zero.config.ZeroStageEnum",
    "deepspeed.utils.tensor_fragment.fragment_address",
})
_PICKLES = (".pt", ".bin", ".pkl", ".pth")


def _fresh(path: Path) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    return tmp


def save_training_state(accelerator, directory: str | Path, state: dict[str, Any]) -> None:
    """Save the accelerator's state, each process's RNG state (JSON, no pickle) and ``state`` (JSON)
    into ``directory``, then the checksums of it all; every process calls this."""
    directory = Path(directory)
    tmp = _fresh(directory) if accelerator.is_main_process else directory.with_name(directory.name + ".tmp")
    accelerator.wait_for_everyone()
    with library_writes(tmp):
        accelerator.save_state(str(tmp))
    rank = accelerator.process_index
    (tmp / RNG_STATE.format(rank=rank)).write_text(json.dumps(rng_state(accelerator)), encoding="utf-8")
    (tmp / f"random_states_{rank}.pkl").unlink(missing_ok=True)  # accelerate's pickle: ours replaces it
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (tmp / TRAINER_STATE).write_text(json.dumps(state, indent=1), encoding="utf-8")
        write_checksums(tmp)
        swap_dir(tmp, directory)
    accelerator.wait_for_everyone()


def find_training_state(path: str | Path) -> Path:
    """The training-state directory of ``path``: itself, or its ``last/`` when given a run directory.

    A save interrupted while it swapped the new ``last/`` in (``last.tmp/`` complete, ``last/`` moved
    to ``last.old/``) is recovered: the newest complete directory is used."""
    path = Path(path)
    for candidate in (path, path / "last"):
        for directory in (candidate.with_name(candidate.name + ".tmp"), candidate,
                          candidate.with_name(candidate.name + ".old")):
            if (directory / TRAINER_STATE).is_file() and (directory / CHECKSUMS).is_file():
                return directory
    raise ConfigError(f"no training state here (expected {TRAINER_STATE} and {CHECKSUMS} in it or in its "
                      "last/; a run saved by an older version cannot be resumed)", path=str(path))


def read_trainer_state(directory: str | Path) -> dict[str, Any]:
    """The trainer state saved in a training-state directory, after verifying every file's checksum."""
    directory = find_training_state(directory)
    verify_checksums(directory, exact=True)
    path = directory / TRAINER_STATE
    try:
        state = jsonio.load(path)
    except DataError as e:
        raise ConfigError(e.message, path=str(path), line=e.line, field=e.field) from None
    missing = [key for key in ("step", "sampler", "streams", "best", "world_size", "recipe") if key not in state] \
        if isinstance(state, dict) else ["an object"]
    if missing:
        raise ConfigError(f"not a trainer state (lacks {', '.join(missing)})", path=str(path))
    return state


def load_training_state(accelerator, directory: str | Path) -> dict[str, Any]:
    """Restore the accelerator's state and this process's RNG state from ``directory`` (verified first);
    returns the trainer state saved with it. A file that cannot be restored is an error, never a skip."""
    directory = find_training_state(directory)
    state = read_trainer_state(directory)
    if state["world_size"] != accelerator.num_processes:
        raise ConfigError(f"saved by {state['world_size']} process(es), resumed with {accelerator.num_processes}: "
                          "launch as many processes as the run had", path=str(directory))
    check_pickles(directory)
    rng_path = directory / RNG_STATE.format(rank=accelerator.process_index)
    try:
        accelerator.load_state(str(directory))
        restore_rng(accelerator, jsonio.load(rng_path))
    except (OSError, RuntimeError, ValueError, KeyError, TypeError, DataError) as e:
        reason = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        raise ConfigError(f"cannot restore the training state: {reason}", path=str(directory)) from None
    return state


def check_pickles(directory: Path) -> None:
    """Refuse a training state holding a pickle that names anything but tensors, containers and
    :data:`DEEPSPEED_GLOBALS`: read without unpickling (``torch.serialization``'s scan), since loading
    is what would run it."""
    for path in sorted(directory.rglob("*")):
        if not (path.suffix in _PICKLES and path.is_file()):
            continue
        try:
            names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        except (ValueError, RuntimeError, OSError) as e:
            raise ConfigError(f"not a file torch.save wrote ({str(e).splitlines()[0][:200]})", path=str(path)) from None
        unsafe = sorted(set(names) - DEEPSPEED_GLOBALS)
        if unsafe:
            raise ConfigError(f"a pickle naming {', '.join(unsafe[:3])}: loading it could run code, so it is not "
                              "loaded (resume only run directories you trust; see docs/training.md)", path=str(path))


# -------------------------------------------------------------------------------------- RNG states
def rng_state(accelerator) -> dict[str, Any]:
    """Every RNG this process uses (python, numpy, torch, CUDA) and the accelerator's micro-step, as JSON."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = {"step": accelerator.step, "python": [version, list(internal), gauss],
             "numpy": [name, keys.tolist(), int(pos), int(has_gauss), float(cached)],
             "torch": _encode(torch.get_rng_state())}
    if torch.cuda.is_available():
        state["cuda"] = [_encode(s) for s in torch.cuda.get_rng_state_all()]
    return state


def restore_rng(accelerator, state: Any) -> None:
    """Set the RNGs and the micro-step saved by :func:`rng_state`; a malformed state is a ValueError."""
    try:
        version, internal, gauss = state["python"]
        random.setstate((version, tuple(internal), gauss))
        name, keys, pos, has_gauss, cached = state["numpy"]
        np.random.set_state((name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
        torch.set_rng_state(_decode(state["torch"]))
        if torch.cuda.is_available() and "cuda" in state:
            torch.cuda.set_rng_state_all([_decode(s) for s in state["cuda"]])
        accelerator.step = int(state["step"])
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise ValueError(f"malformed RNG state ({type(e).__name__}: {e})") from None


def _encode(tensor: torch.Tensor) -> str:
    return base64.b64encode(tensor.cpu().numpy().tobytes()).decode("ascii")


def _decode(text: str) -> torch.Tensor:
    return torch.frombuffer(bytearray(base64.b64decode(text, validate=True)), dtype=torch.uint8)


def save_pretrained_dir(accelerator, model, tokenizer, directory: str | Path,
                        info: dict[str, Any] | None = None) -> None:
    """``save_pretrained`` of the (unwrapped) model and the tokenizer, plus ``info`` as
    ``checkpoint.json`` and the checksums of every file; every process calls this (ZeRO-3 gathers the
    weights collectively)."""
    directory = Path(directory)
    state_dict = accelerator.get_state_dict(model)
    unwrapped = accelerator.unwrap_model(model)
    if accelerator.is_main_process:
        tmp = _fresh(directory)
        with library_writes(tmp):
            unwrapped.save_pretrained(str(tmp), state_dict=state_dict, safe_serialization=True)
            tokenizer.save_pretrained(str(tmp))
        if info is not None:
            (tmp / "checkpoint.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
        write_checksums(tmp)
        swap_dir(tmp, directory)
    accelerator.wait_for_everyone()


def is_adapter_dir(path: str | Path) -> bool:
    return (Path(path) / ADAPTER_CONFIG).is_file()


def load_checkpoint(path: str | Path, from_pretrained: Callable[[str], Any], *, merge: bool = False):
    """Load a ``best/``, ``final/`` or ``merged/`` directory with ``from_pretrained`` (the model class's).

    A LoRA adapter directory is applied to the base model saved in ``../base`` of the run; with
    ``merge`` the adapter is merged into the weights and a plain model is returned.
    """
    from peft import PeftModel

    path = Path(path)
    if not is_adapter_dir(path):
        return from_pretrained(str(path))
    base = path.parent / BASE_DIR
    if not base.is_dir():
        raise ConfigError(f"LoRA adapter without its base model (expected {base})", path=str(path))
    verify_checksums(path)
    model = PeftModel.from_pretrained(from_pretrained(str(base)), str(path))
    return model.merge_and_unload() if merge else model
