"""Writing outputs safely, and checking saved directories: temporary names, renames, checksums.

A run stopped half-way (a full disk, a kill, an error) never leaves a file that looks complete: an
output is written as ``<name>.partial`` and renamed when done. On an error the partial file is kept
under that name, so that what was done (predictions streamed so far) is not lost, and the error says
where it is. Checkpoint and training-state directories carry a ``checksums.json`` (the SHA-256 of
every file, written last), verified before anything in them is loaded.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from mtdialog.errors import ConfigError

PARTIAL = ".partial"
#: The errors of a write that failed (full disk, file too large, quota, I/O, read-only file system).
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO, errno.EROFS})


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
    f = open(partial, mode, encoding="utf-8" if text else None, newline=newline if text else None)  # noqa: SIM115
    try:
        yield f
        f.close()  # a flush that fails (a full disk) fails here, inside the try
    except BaseException as e:
        with suppress(OSError):  # the disk is full: what could be written is there
            f.close()
        if isinstance(e, OSError) and e.filename is None and e.errno in _WRITE_ERRNOS:  # a failed write names no file
            e.filename = str(partial)
        e.add_note(f"what was written so far is in {partial}")
        raise
    os.replace(partial, path)


_TORCH_WRITER = re.compile(r"PytorchStreamWriter|inline_container|iostream error|file write failed")


@contextmanager
def library_writes(directory: str | Path) -> Iterator[None]:
    """Writes into ``directory`` by libraries that report a failed write in their own error type
    (safetensors' ``SafetensorError``, torch's ``RuntimeError``): raised as the ``OSError`` it is,
    naming ``directory``, so that a full disk is one line like any other."""
    try:
        yield
    except OSError as e:
        if e.filename is None:
            e.filename = str(directory)
        raise
    except Exception as e:
        code = re.search(r"os error (\d+)", str(e))
        if code:
            number = int(code.group(1))
            raise OSError(number, os.strerror(number), str(directory)) from e
        if _TORCH_WRITER.search(str(e)):  # torch's zip writer, which gives no reason
            raise OSError(errno.EIO, "a file write failed (is the disk full?)", str(directory)) from e
        raise


def swap_dir(new: str | Path, final: str | Path) -> None:
    """Replace the directory ``final`` by the finished directory ``new`` (``final`` moves to
    ``<final>.old`` meanwhile, so that one of the two is complete at every moment: checkpoints are
    recovered by these names, see ``find_training_state``; other directories use :func:`replace_dir`)."""
    new, final = Path(new), Path(final)
    old = final.with_name(final.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        final.rename(old)
    new.rename(final)
    if old.exists():
        shutil.rmtree(old)


def replace_dir(new: str | Path, final: str | Path) -> None:
    """Replace the directory ``final`` by the finished directory ``new``, touching nothing else:
    ``final`` waits under a fresh hidden name while ``new`` is renamed, and is put back if that fails."""
    new, final = Path(new), Path(final)
    aside = Path(tempfile.mkdtemp(prefix=f".{final.name}.replaced-", dir=final.parent))
    aside.rmdir()
    final.rename(aside)
    try:
        new.rename(final)
    except BaseException:
        aside.rename(final)
        raise
    shutil.rmtree(aside)


def into_new_dir(out: str | Path, write: Callable[[Path], None]) -> Path:
    """Run ``write(directory)`` into ``<out>.partial`` and rename it to ``out``, which must be new or
    empty; what was written is removed if it fails, so ``out`` is either complete or absent."""
    from mtdialog.errors import DataError

    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DataError("output exists and is not empty (write into a new or empty directory)", path=str(out))
    partial = out.with_name(out.name + PARTIAL)
    shutil.rmtree(partial, ignore_errors=True)
    try:
        write(partial)
        if out.exists():
            out.rmdir()
        partial.rename(out)
    except BaseException as e:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(e, OSError) and e.filename is None:  # a failed write names no file
            e.filename = str(out)
        raise
    return out




# ------------------------------------------------------------------------------------------ checksums
CHECKSUMS = "checksums.json"
_CHUNK = 1 << 20


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_checksums(directory: str | Path) -> Path:
    """Record the SHA-256 of every file under ``directory`` in its ``checksums.json`` (written last)."""
    directory = Path(directory)
    digests = {p.relative_to(directory).as_posix(): sha256(p) for p in sorted(directory.rglob("*"))
               if p.is_file() and p.name != CHECKSUMS}
    path = directory / CHECKSUMS
    path.write_text(json.dumps(digests, indent=1) + "\n", encoding="utf-8")
    return path


def verify_checksums(directory: str | Path, *, exact: bool = False) -> bool:
    """Check every file ``checksums.json`` lists: a missing or changed file (truncated, flipped,
    edited) is a :class:`ConfigError` naming it; with ``exact``, so is a file it does not list (one
    added since the save). Returns ``False`` when the directory has no ``checksums.json`` (saved by
    another tool, or by an older version), ``True`` when all match."""
    from mtdialog.data import jsonio
    from mtdialog.errors import DataError

    directory = Path(directory)
    path = directory / CHECKSUMS
    if not path.is_file():
        return False
    try:
        digests = jsonio.load(path)
    except DataError as e:
        raise ConfigError(f"unreadable checksums: {e.message}", path=str(path)) from None
    if not isinstance(digests, dict) or not all(isinstance(v, str) for v in digests.values()):
        raise ConfigError("expected an object of file -> SHA-256", path=str(path))
    for name, expected in digests.items():
        file = directory / name
        if not file.resolve().is_relative_to(directory.resolve()):
            raise ConfigError("names a file outside its directory", path=str(path), field=name)
        if not file.is_file():
            raise ConfigError("missing (listed in checksums.json): the directory is incomplete", path=str(file))
        if sha256(file) != expected:
            raise ConfigError("changed since it was saved (its SHA-256 differs from checksums.json): the file is "
                              "damaged or was edited", path=str(file))
    if exact:
        for file in sorted(directory.rglob("*")):
            if file.is_file() and file != path and file.relative_to(directory).as_posix() not in digests:
                raise ConfigError("not part of the saved state (not in checksums.json): added since the save; "
                                  "remove it to resume", path=str(file))
    return True


__all__ = ["CHECKSUMS", "PARTIAL", "atomic_write", "check_output", "into_new_dir", "library_writes", "replace_dir", "sha256",
           "swap_dir", "verify_checksums", "write_checksums"]
