"""Readers of prediction and reference files, for ``mtdialog score`` (each task picks its format).

Text: UTF-8, one example per line (a line may be empty: an empty prediction scores 0). Booleans: one
``0``/``1``/``true``/``false`` per line. Labels: one label of a known set per line. Discourse: native
session JSONL (each session's ``annotations.discourse`` holds its relations; sessions are matched by
``session_id``) or STAC / Molweni JSON (a JSON array of dialogues, matched by position); the format
is recognised from the first character (``[`` or ``{``). Every problem raises
:class:`~mtdialog.errors.DataError` naming the file, the line (or record) and the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mtdialog.data.native import read_jsonl
from mtdialog.data.schema import Relation, Session
from mtdialog.errors import DataError

_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}


@dataclass
class Scored:
    """Scores of one task (percent), the number of examples, how they were computed, and notes."""

    scores: dict[str, float]
    examples: int
    conventions: list[str]
    notes: list[str] = field(default_factory=list)


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read file: {e.strerror or e}", path=str(path)) from None
    if not raw:
        raise DataError("empty file", path=str(path))
    return raw


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file (``\\n`` or ``\\r\\n``; a final newline ends the last line)."""
    lines = []
    for number, raw in enumerate(_read_bytes(path).removesuffix(b"\n").split(b"\n"), start=1):
        try:
            lines.append(raw.removesuffix(b"\r").decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError as e:
            raise DataError(f"invalid UTF-8 at byte {e.start}", path=str(path), line=number) from None
    return lines


def read_booleans(path: Path) -> list[bool]:
    """One ``0``/``1``/``true``/``false`` (any case, surrounding spaces allowed) per line."""
    out = []
    for number, line in enumerate(read_lines(path), start=1):
        value = _BOOLEANS.get(line.strip().lower())
        if value is None:
            raise DataError(f"expected 0, 1, true or false, got {line!r}", path=str(path), line=number,
                            field="rewritable")
        out.append(value)
    return out


def read_labels(path: Path, allowed: Sequence[str]) -> list[str]:
    """One label per line (surrounding spaces ignored), each in ``allowed``."""
    known = set(allowed)
    out = []
    for number, line in enumerate(read_lines(path), start=1):
        label = line.strip()
        if label not in known:
            raise DataError(f"unknown label {label!r} (expected one of the {len(known)} labels of the "
                            "corpus)", path=str(path), line=number, field="label")
        out.append(label)
    return out


@dataclass
class DiscourseSession:
    """The relations of one session, its EDU count, and where it was read (line or record)."""

    key: str
    n_edus: int
    relations: list[Relation]
    path: str
    line: int | None = None
    record: int | None = None

    def error(self, message: str, field: str) -> DataError:
        return DataError(message, path=self.path, line=self.line, record=self.record, field=field)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else f"{self.path}: record {self.record}"


def _native_discourse(path: Path, labels: Sequence[str]) -> list[DiscourseSession]:
    out, seen = [], {}
    for number, record in read_jsonl(path):
        try:
            session = Session.from_dict(record, relation_labels=labels)
        except DataError as e:
            raise e.located(path=str(path), line=number) from None
        if session.annotations is None or session.annotations.discourse is None:
            raise DataError("session has no discourse relations", path=str(path), line=number,
                            field="annotations.discourse")
        if session.session_id in seen:
            raise DataError(f"session id {session.session_id!r} also on line {seen[session.session_id]}",
                            path=str(path), line=number, field="session_id")
        seen[session.session_id] = number
        out.append(DiscourseSession(session.session_id, len(session.edus()), session.annotations.discourse,
                                    str(path), line=number))
    return out


def _stac_discourse(path: Path) -> list[DiscourseSession]:
    from mtdialog.data.formats import stac

    out = []
    for index, session in enumerate(stac.read(path)):
        out.append(DiscourseSession(str(index), len(session.edus()), session.annotations.discourse or [],
                                    str(path), record=index))
    return out


def read_discourse(path: Path, labels: Sequence[str]) -> tuple[str, list[DiscourseSession]]:
    """``("native" | "stac", sessions)``; native relation labels must be in ``labels``."""
    head = _read_bytes(path).lstrip()[:1]
    if not head:
        raise DataError("empty file", path=str(path))
    if head == b"[":
        return "stac", _stac_discourse(path)
    if head == b"{":
        return "native", _native_discourse(path, labels)
    raise DataError("expected native session JSONL (lines of {...}) or a STAC JSON array ([...])",
                    path=str(path), line=1)
