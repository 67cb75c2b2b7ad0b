"""The run log: one JSON object per line in ``log.jsonl``, mirrored to TensorBoard.

Training records: ``{"step", "loss": {task: mean}, "batches": {task: n}, "lr": {group: lr},
"grad_norm", "examples_per_s", "elapsed_s"}``; evaluation records: ``{"step", "eval": {task:
{metric: value}}, "score"}``. Only the main process writes. TensorBoard receives the numbers under
slash-joined names (``loss/response``, ``lr/encoder/decay``, ``eval/summary/rouge_l``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch


def flatten(record: dict[str, Any], prefix: str = "", *, text: bool = False) -> dict[str, Any]:
    """Numeric leaves of ``record`` under slash-joined keys; with ``text`` also booleans, strings and
    lists (as strings), as TensorBoard hyper-parameters want them."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "/", text=text))
        elif isinstance(value, (int, float)) and not isinstance(value, bool) or text and isinstance(value, (bool, str)):
            out[name] = value
        elif text and isinstance(value, list):
            out[name] = str(value)
    return out


class RunLog:
    """Appends records to ``path`` and logs them to the accelerator's trackers (main process only)."""

    def __init__(self, accelerator, path: str | Path):
        self.accelerator, self.path = accelerator, Path(path)

    def truncate_after(self, step: int) -> None:
        """Drop records past ``step`` (left by an interrupted run that is now resumed from ``step``)."""
        if not self.accelerator.is_main_process or not self.path.exists():
            return
        lines = self.path.read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if line.strip() and json.loads(line).get("step", 0) <= step]
        self.path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        if not self.accelerator.is_main_process:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        step = record.get("step")
        self.accelerator.log(flatten({k: v for k, v in record.items() if k != "step"}), step=step)


class LossMeter:
    """Per-task loss sums and batch counts since the last report (kept on the device, so adding a
    loss does not wait for it), averaged over all processes when reported."""

    def __init__(self, tasks: Iterable[str], device: torch.device | str = "cpu"):
        self.tasks, self.device = list(tasks), device
        self.reset()

    def reset(self) -> None:
        self.totals = torch.zeros(2 * len(self.tasks) + 1, device=self.device)  # sums, counts, examples

    def add(self, task: str, loss: torch.Tensor, examples: int) -> None:
        i = self.tasks.index(task)
        self.totals[i] += loss.detach().float()
        self.totals[len(self.tasks) + i] += 1
        self.totals[-1] += examples

    def report(self, accelerator) -> tuple[dict[str, float], dict[str, int], int]:
        """(mean loss per task, batches per process per task, examples over all processes); resets."""
        totals = accelerator.reduce(self.totals, reduction="sum").cpu()
        n, world = len(self.tasks), accelerator.num_processes
        loss = {t: float(totals[i] / totals[n + i]) for i, t in enumerate(self.tasks) if totals[n + i] > 0}
        batches = {t: int(totals[n + i]) // world for i, t in enumerate(self.tasks) if totals[n + i] > 0}
        examples = int(totals[-1])
        self.reset()
        return loss, batches, examples
