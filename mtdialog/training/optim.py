"""Parameter groups and learning-rate schedules: pretrained modules and new layers train differently.

As in BertSumAbs, the pretrained text encoder (and the visual backbone, when trainable) gets a small
learning rate and its own warmup, the freshly initialised layers (projections, heads, decoder) a
larger one with another warmup. Each of the two owners is split into a decayed group and a group
without weight decay (biases and normalisation weights: every tensor with fewer than 2 dimensions).
One ``LambdaLR`` holds one schedule per group.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

SCHEDULES = ("linear", "inverse_sqrt", "constant")


@dataclass
class GroupSpec:
    """Hyper-parameters of one owner of parameters (``encoder`` or ``new``)."""

    lr: float
    warmup: int


class Schedule:
    """Multiplier of a group's base lr at ``step``: linear warmup, then ``kind``'s decay.

    ``linear`` decays linearly to 0 at ``total``; ``inverse_sqrt`` is the Noam / BertSumAbs decay
    ``sqrt(warmup / step)``; ``constant`` stays at 1. A callable object (not a closure) so that
    ``LambdaLR.state_dict`` records its parameters.
    """

    def __init__(self, kind: str, warmup: int, total: int):
        if kind not in SCHEDULES:
            raise ValueError(f"unknown schedule {kind!r} (expected one of {', '.join(SCHEDULES)})")
        self.kind, self.warmup, self.total = kind, warmup, total

    def __call__(self, step: int) -> float:
        if self.warmup and step < self.warmup:
            return (step + 1) / (self.warmup + 1)
        if self.kind == "linear":
            return max(0.0, (self.total - step) / max(1, self.total - self.warmup))
        if self.kind == "inverse_sqrt":
            return math.sqrt(max(1, self.warmup) / max(1, step))
        return 1.0


def is_no_decay(param: torch.Tensor) -> bool:
    """Biases and normalisation weights (all tensors of rank < 2) get no weight decay."""
    return param.ndim < 2


def param_groups(named: Iterable[tuple[str, torch.nn.Parameter]], pretrained_prefixes: Sequence[str],
                 specs: dict[str, GroupSpec], weight_decay: float) -> list[dict]:
    """Optimizer groups of the trainable parameters, non-empty only, each named ``owner/decay``.

    A parameter belongs to owner ``encoder`` if its name starts with one of ``pretrained_prefixes``
    (PEFT's ``base_model.model.`` wrapper prefix is ignored; LoRA adapter weights are new layers),
    otherwise to ``new``. Each group carries ``name``, ``owner``, ``lr`` and ``weight_decay``.
    """
    buckets: dict[tuple[str, bool], list[torch.nn.Parameter]] = {}
    for name, param in named:
        if not param.requires_grad:
            continue
        bare = name.removeprefix("base_model.model.")
        pretrained = "lora_" not in bare and any(bare.startswith(p) for p in pretrained_prefixes)
        buckets.setdefault(("encoder" if pretrained else "new", is_no_decay(param)), []).append(param)
    groups = []
    for owner in ("encoder", "new"):
        for no_decay in (False, True):
            params = buckets.get((owner, no_decay))
            if params:
                groups.append({"params": params, "name": f"{owner}/{'no_decay' if no_decay else 'decay'}",
                               "owner": owner, "lr": specs[owner].lr,
                               "weight_decay": 0.0 if no_decay else weight_decay})
    if not groups:
        raise ValueError("the model has no trainable parameters")
    return groups


def build_optimizer(groups: list[dict], *, betas: tuple[float, float] = (0.9, 0.999),
                    eps: float = 1e-8) -> torch.optim.AdamW:
    """AdamW over ``groups`` (plain torch, so DeepSpeed needs no compiled optimizer op)."""
    return torch.optim.AdamW(groups, betas=betas, eps=eps)


def build_scheduler(optimizer: torch.optim.Optimizer, specs: dict[str, GroupSpec], kind: str,
                    total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """One ``LambdaLR`` with a :class:`Schedule` per group, chosen by the group's owner."""
    lambdas = [Schedule(kind, specs[g["owner"]].warmup, total_steps) for g in optimizer.param_groups]
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambdas)
