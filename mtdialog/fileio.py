"""Writing outputs safely: to a temporary name, renamed into place when complete.

A run stopped half-way (a full disk, a kill, an error) never leaves a file that looks complete: an
output is written as ``<name>.partial`` and renamed when done. On an error the partial file is kept
under that name, so that what was done (predictions streamed so far) is not lost, and the error says
where it is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from mtdialog.errors import ConfigError

PARTIAL = ".partial"


def check_output(path: str | Path) -> Path:
    """``path`` as an output file: refused at once (before any work) when it names a directory."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError("is a directory; give a file name for the output", path=str(path))
    return path


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", *, newline: str | None = "\n") -> Iterator[IO]:
    """An open file that becomes ``path`` when the block ends without error (text: UTF-8, ``newline``)."""
    path = check_output(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + PARTIAL)
    text = "b" not in mode
    with open(partial, mode, encoding="utf-8" if text else None, newline=newline if text else None) as f:
        try:
            yield f
        except BaseException as e:
            f.flush()
            e.add_note(f"what was written so far is in {partial}")
            raise
    os.replace(partial, path)


__all__ = ["PARTIAL", "atomic_write", "check_output"]
