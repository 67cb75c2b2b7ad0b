"""The package's cache directory, shared by every run: ``$MTDIALOG_CACHE`` (default ``~/.cache/mtdialog``).

It holds what is costly to make and the same for every run that asks: imported text encoders
(``text-encoders/``) and frozen-backbone image features (``features/``). Processes that fill the same
entry take turns through an advisory file lock (:func:`exclusive`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """``$MTDIALOG_CACHE/<kind>`` (default ``~/.cache/mtdialog/<kind>``), not created."""
    return Path(os.environ.get("MTDIALOG_CACHE") or Path.home() / ".cache" / "mtdialog").expanduser() / kind


@contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold ``lock`` (an advisory file lock; its directory is created): processes started together
    fill a cache entry one at a time, and the later ones find it filled."""
    import fcntl  # POSIX: imported where it is needed, so that the module loads elsewhere

    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["cache_dir", "exclusive"]
