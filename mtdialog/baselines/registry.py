"""The baselines by name, ``TASK-METHOD`` (e.g. ``summary-lexrank``), gathered from the task registry."""

from __future__ import annotations

from dataclasses import dataclass

from mtdialog.errors import ConfigError
from mtdialog.tasks import Task, canonical_name, get_tasks
from mtdialog.tasks.base import BaselineFit


@dataclass(frozen=True)
class BaselineSpec:
    """A baseline: its task, its method name, and ``fit(task, train_sessions) -> predictor``."""

    task: Task
    method: str
    fit: BaselineFit

    @property
    def name(self) -> str:
        return f"{self.task.name}-{self.method}"


def baselines() -> dict[str, BaselineSpec]:
    """Every baseline of every registered task by its full name, in task order."""
    specs = (BaselineSpec(task, method, fit) for task in get_tasks() for method, fit in task.baselines.items())
    return {spec.name: spec for spec in specs}


def resolve(name: str) -> BaselineSpec:
    """The baseline called ``name``: a full name (task spelled with ``_`` or ``-``), or a method name
    that only one task has."""
    known = baselines()
    for task in get_tasks():
        for spelling in (task.name, task.name.replace("_", "-")):
            if name.startswith(spelling + "-") and f"{task.name}{name[len(spelling):]}" in known:
                return known[f"{task.name}{name[len(spelling):]}"]
    matches = [spec for spec in known.values() if spec.method == name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigError(f"baseline {name!r} is ambiguous: say {' or '.join(s.name for s in matches)}")
    raise ConfigError(f"unknown baseline {canonical_name(name)!r} (known: {', '.join(known)})")


__all__ = ["BaselineSpec", "baselines", "resolve"]
