"""What a run directory holds, read for the report: recipe, summary, packages, log and test scores."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mtdialog.data.native import read_jsonl
from mtdialog.environment import KEY_PACKAGES, PACKAGES_FILE, read_pins
from mtdialog.errors import ConfigError, DataError

#: Checkpoints of a run, in the order the gallery prefers them.
CHECKPOINTS = ("best", "final", "last")


@dataclass
class Run:
    """The files of a training run directory (``mtdialog train``'s ``training.output_dir``)."""

    root: Path
    recipe: str = ""  # recipe.yaml as written by the run
    summary: dict[str, Any] = field(default_factory=dict)  # train_summary.json
    packages: dict[str, str] = field(default_factory=dict)  # packages.txt pins
    environment: str = ""  # packages.txt's first comment line (mtdialog, Python, platform, date)
    log: list[dict[str, Any]] = field(default_factory=list)  # log.jsonl records
    test: dict[str, Any] | None = None  # test_scores.json (mtdialog evaluate --json)

    @property
    def checkpoint(self) -> Path | None:
        """The run's best checkpoint, else its final or last one (``None`` when it has none)."""
        return next((self.root / name for name in CHECKPOINTS if (self.root / name / "config.json").is_file()), None)

    @property
    def key_packages(self) -> dict[str, str]:
        """The versions of the libraries a result depends on (``mtdialog env``'s list)."""
        return {name: self.packages[name] for name in KEY_PACKAGES if name in self.packages}

    def corpus(self) -> str | None:
        """The corpus directory the recipe trained on (``data.corpus``), if it names one."""
        import yaml

        data = (yaml.safe_load(self.recipe) or {}).get("data") if self.recipe else None
        return data.get("corpus") if isinstance(data, dict) else None


def read_run(root: str | Path, *, test_scores: str | Path | None = None) -> Run:
    """Read the run directory ``root``; a directory without ``log.jsonl`` nor ``recipe.yaml`` is a
    :class:`ConfigError`, a bad line in the log a :class:`DataError` naming it."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError("run directory does not exist", path=str(root))
    if not (root / "log.jsonl").is_file() and not (root / "recipe.yaml").is_file():
        raise ConfigError("not a run directory (no log.jsonl or recipe.yaml)", path=str(root))
    run = Run(root)
    if (root / "recipe.yaml").is_file():
        run.recipe = (root / "recipe.yaml").read_text(encoding="utf-8")
    run.summary = _json(root / "train_summary.json") or {}
    if (root / PACKAGES_FILE).is_file():
        run.packages = read_pins(root / PACKAGES_FILE)
        run.environment = (root / PACKAGES_FILE).read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
    run.log = _jsonl(root / "log.jsonl")
    run.test = _json(Path(test_scores) if test_scores is not None else root / "test_scores.json",
                     required=test_scores is not None)
    return run


def _json(path: Path, *, required: bool = False) -> Any:
    if not path.is_file():
        if required:
            raise DataError("file does not exist", path=str(path))
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataError(f"invalid JSON: {e.msg}", path=str(path), line=e.lineno) from None


def _jsonl(path: Path) -> list[dict[str, Any]]:
    """The log's records (none when there is no log); every one must have an integer ``step``."""
    if not path.is_file():
        return []
    records = []
    for number, record in read_jsonl(path):
        if not isinstance(record, dict) or not isinstance(record.get("step"), int):
            raise DataError("expected a record with an integer step", path=str(path), line=number, field="step")
        records.append(record)
    return records
