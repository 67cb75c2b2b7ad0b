"""Which task the next batch comes from, and which examples it holds: both deterministic and resumable.

- :class:`TaskSampler` draws a task per micro-batch with probabilities derived from the tasks' example
  counts (``proportional``: p ~ n; ``temperature``: p ~ n^(1/T); ``uniform``; ``weights``: given).
  Every process draws the same sequence (same seed), so all ranks run the same task in a step.
- :class:`TaskStream` is one task's infinite, epoch-reshuffled stream of example indices. Epoch ``e``
  is the permutation drawn from ``(seed, stream, e)`` (``stream``: the task's number), so the stream is a pure function of its position
  ``(epoch, offset)``. With ``world_size`` processes each step consumes ``batch_size * world_size``
  indices of the permutation and rank ``r`` takes the ``r``-th slice: the ranks see disjoint examples.

Both have ``state_dict()`` / ``load_state_dict()`` (plain JSON-able dicts) so that a resumed run
continues the exact sequence (a stream's position is global, so it also resumes on another world size).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

STRATEGIES = ("proportional", "temperature", "uniform", "weights")


def task_probabilities(counts: Mapping[str, int], strategy: str, *, temperature: float = 1.0,
                       weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Sampling probability of each task (same order as ``counts``) under ``strategy``."""
    tasks = list(counts)
    if not tasks:
        raise ValueError("no tasks to sample from")
    if strategy == "proportional":
        raw = np.array([counts[t] for t in tasks], dtype=float)
    elif strategy == "temperature":
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        raw = np.array([counts[t] for t in tasks], dtype=float) ** (1.0 / temperature)
    elif strategy == "uniform":
        raw = np.ones(len(tasks))
    elif strategy == "weights":
        missing = [t for t in tasks if weights is None or t not in weights]
        if missing:
            raise ValueError(f"no sampling weight for task(s): {', '.join(missing)}")
        raw = np.array([weights[t] for t in tasks], dtype=float)
    else:
        raise ValueError(f"unknown sampling strategy {strategy!r} (expected one of {', '.join(STRATEGIES)})")
    if (raw < 0).any() or raw.sum() <= 0:
        raise ValueError(f"sampling weights must be non-negative with a positive sum, got {raw.tolist()}")
    return dict(zip(tasks, (raw / raw.sum()).tolist()))


class TaskSampler:
    """Draws task names i.i.d. from fixed probabilities with its own seeded generator."""

    def __init__(self, probabilities: Mapping[str, float], seed: int):
        self.tasks = list(probabilities)
        self.p = np.array([probabilities[t] for t in self.tasks], dtype=float)
        self.rng = np.random.Generator(np.random.PCG64(seed))
        self.draws = 0

    def next(self) -> str:
        self.draws += 1
        return self.tasks[int(self.rng.choice(len(self.tasks), p=self.p))]

    def state_dict(self) -> dict[str, Any]:
        return {"tasks": self.tasks, "draws": self.draws, "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        if list(state["tasks"]) != self.tasks:
            raise ValueError(f"sampler state is for tasks {state['tasks']}, not {self.tasks}")
        self.draws = int(state["draws"])
        self.rng.bit_generator.state = state["rng"]


class TaskStream:
    """Infinite stream of index batches over ``size`` examples; this rank's slice of each global batch.

    A global batch that would cross an epoch boundary is completed from the next epoch's
    permutation, so every batch is full and no example is dropped or repeated within an epoch.
    """

    def __init__(self, size: int, batch_size: int, seed: int, *, stream: int = 0, rank: int = 0,
                 world_size: int = 1):
        if size <= 0:
            raise ValueError("a task stream needs at least one example")
        if batch_size <= 0:
            raise ValueError(f"batch size must be positive, got {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} outside world of size {world_size}")
        self.size, self.batch_size, self.seed, self.stream = size, batch_size, seed, stream
        self.rank, self.world_size = rank, world_size
        self.epoch, self.offset = 0, 0
        self._perm_epoch, self._perm = -1, np.empty(0, dtype=np.int64)

    def _permutation(self, epoch: int) -> np.ndarray:
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng([self.seed, self.stream, epoch]).permutation(self.size)
            self._perm_epoch = epoch
        return self._perm

    def next(self) -> list[int]:
        """The indices of this rank's next batch (``batch_size`` of them)."""
        need = self.batch_size * self.world_size
        taken: list[int] = []
        while len(taken) < need:
            perm = self._permutation(self.epoch)
            chunk = perm[self.offset: self.offset + need - len(taken)]
            taken.extend(chunk.tolist())
            self.offset += len(chunk)
            if self.offset == self.size:
                self.epoch, self.offset = self.epoch + 1, 0
        return taken[self.rank * self.batch_size: (self.rank + 1) * self.batch_size]

    def state_dict(self) -> dict[str, int]:
        return {"size": self.size, "epoch": self.epoch, "offset": self.offset}

    def load_state_dict(self, state: Mapping[str, int]) -> None:
        if int(state["size"]) != self.size:
            raise ValueError(f"stream state is over {state['size']} examples, this run has {self.size}")
        self.epoch, self.offset = int(state["epoch"]), int(state["offset"])
