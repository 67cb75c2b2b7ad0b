"""The package's error types: every problem a user can fix, located where it is.

:class:`MTDialogError` is the root (``path:line: field: message``; the command line prints it as one
line and exits 2). :class:`DataError` is bad input data (a corpus, a session file, a prediction or
reference file); :class:`ConfigError` is a bad recipe, model setting, command-line value or checkpoint.
"""

from __future__ import annotations

from typing import Self


class MTDialogError(ValueError):
    """A problem the user can fix, located: ``path:line: field: message`` (``line`` may be a record number)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None, record: int | None = None):
        super().__init__(message)
        self.message, self.path, self.line, self.field, self.record = message, path, line, field, record

    def located(self, *, path: str | None = None, line: int | None = None, record: int | None = None) -> Self:
        """This error with a location filled in where it had none."""
        return type(self)(self.message, path=self.path or path, line=self.line or line, field=self.field,
                          record=self.record if self.record is not None else record)

    def __str__(self) -> str:
        where = self.path or ""
        if self.line is not None:
            where += f":{self.line}"
        if self.record is not None:
            where += f": record {self.record}"
        parts = [p for p in (where.lstrip(":").strip(), self.field, self.message) if p]
        return ": ".join(parts)


class DataError(MTDialogError):
    """Bad input data: a corpus, a session or knowledge-base file, an image, a prediction file."""


class ConfigError(MTDialogError):
    """A bad recipe, model setting, command-line value or checkpoint directory."""


def os_error(error: OSError) -> str:
    """An operating-system error as one line: ``path: reason`` (and the second path, for a rename)."""
    paths = [p for p in (error.filename, error.filename2) if p is not None]
    reason = error.strerror or str(error)
    return ": ".join([*(str(p) for p in paths[:1]), reason + (f" ({paths[1]})" if len(paths) > 1 else "")])


def one_line(error: MTDialogError | OSError) -> str:
    """What the command line prints for ``error``: its located message, then its notes in brackets
    (such as where the output written so far was kept)."""
    text = os_error(error) if isinstance(error, OSError) else str(error)
    return text + "".join(f" ({note})" for note in getattr(error, "__notes__", ()))


__all__ = ["ConfigError", "DataError", "MTDialogError", "one_line", "os_error"]
