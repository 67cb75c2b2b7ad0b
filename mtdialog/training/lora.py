"""LoRA through PEFT: low-rank adapters on attention projections, task heads fully trainable.

``apply_lora`` wraps the model in a ``PeftModel``: the modules named by ``target_modules`` (encoder and
decoder attention projections) get adapters, the modules in ``modules_to_save`` (the task heads) stay
trainable and are saved with the adapter, everything else is frozen. For export, PEFT's
``merge_and_unload`` folds the adapters into the weights and gives back a plain model.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from mtdialog.errors import ConfigError
from mtdialog.training.recipe import LoraSection


def apply_lora(model: torch.nn.Module, cfg: LoraSection, modules_to_save: Sequence[str]):
    """``model`` wrapped with LoRA adapters as ``cfg`` says; ``cfg.modules_to_save`` wins over the
    given default ``modules_to_save``."""
    from peft import LoraConfig, get_peft_model

    names = [name for name, _ in model.named_modules()]
    for target in cfg.target_modules:
        if not any(n == target or n.endswith("." + target) for n in names):
            raise ConfigError(f"no module named {target!r} in the model", field="lora.target_modules")
    config = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                        target_modules=list(cfg.target_modules),
                        modules_to_save=list(cfg.modules_to_save if cfg.modules_to_save is not None
                                             else modules_to_save))
    return get_peft_model(model, config)

