"""Checkpoints: the resumable training state, and ``save_pretrained`` model directories.

A run's output directory holds

- ``last/``: ``Accelerator.save_state`` (model, optimizer, scheduler, RNG states of every process, the
  accelerator's micro-step) plus ``trainer_state.json`` (step, task sampler, per-task stream
  positions, best score so far). ``--resume`` restores all of it, so a resumed run continues exactly.
- ``best/`` and ``final/``: ``save_pretrained`` directories (model + tokenizer) that the model class's
  ``from_pretrained`` loads. With LoRA they hold the PEFT adapter (``adapter_config.json``,
  ``adapter_model.safetensors``, including the fully trained ``modules_to_save``) plus the tokenizer,
  and the frozen base model is saved once in ``base/``; :func:`load_checkpoint` joins them.
- ``merged/``: with ``lora.merge``, the adapter merged into the base, a plain ``save_pretrained`` dir.

Every directory is written next to its final place and swapped in, so an interrupted save never
leaves a half-written checkpoint behind.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mtdialog.errors import ConfigError

TRAINER_STATE = "trainer_state.json"
ADAPTER_CONFIG = "adapter_config.json"
BASE_DIR = "base"


def _swap_in(tmp: Path, final: Path) -> None:
    """Replace ``final`` by the finished directory ``tmp``."""
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    if old.exists():
        shutil.rmtree(old)


def _fresh(path: Path) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    return tmp


def save_training_state(accelerator, directory: str | Path, state: dict[str, Any]) -> None:
    """Save the accelerator's state and ``state`` (JSON) into ``directory``; every process calls this."""
    directory = Path(directory)
    tmp = _fresh(directory) if accelerator.is_main_process else directory.with_name(directory.name + ".tmp")
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        (tmp / TRAINER_STATE).write_text(json.dumps(state, indent=1), encoding="utf-8")
        _swap_in(tmp, directory)
    accelerator.wait_for_everyone()


def find_training_state(path: str | Path) -> Path:
    """The checkpoint directory of ``path``: itself, or its ``last/`` when given a run directory."""
    path = Path(path)
    for candidate in (path, path / "last"):
        if (candidate / TRAINER_STATE).is_file():
            return candidate
    raise ConfigError(f"no training state here (expected {TRAINER_STATE} in it or in its last/)",
                    path=str(path))


def load_training_state(accelerator, directory: str | Path) -> dict[str, Any]:
    """Restore the accelerator's state from ``directory``; returns the trainer state saved with it."""
    directory = find_training_state(directory)
    accelerator.load_state(str(directory))
    return json.loads((directory / TRAINER_STATE).read_text(encoding="utf-8"))


def save_pretrained_dir(accelerator, model, tokenizer, directory: str | Path,
                        info: dict[str, Any] | None = None) -> None:
    """``save_pretrained`` of the (unwrapped) model and the tokenizer, plus ``info`` as
    ``checkpoint.json``; every process calls this (ZeRO-3 gathers the weights collectively)."""
    directory = Path(directory)
    state_dict = accelerator.get_state_dict(model)
    unwrapped = accelerator.unwrap_model(model)
    if accelerator.is_main_process:
        tmp = _fresh(directory)
        unwrapped.save_pretrained(str(tmp), state_dict=state_dict, safe_serialization=True)
        tokenizer.save_pretrained(str(tmp))
        if info is not None:
            (tmp / "checkpoint.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
        _swap_in(tmp, directory)
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
    model = PeftModel.from_pretrained(from_pretrained(str(base)), str(path))
    return model.merge_and_unload() if merge else model
