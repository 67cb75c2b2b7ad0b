"""The sessions of a split read from disk on access, so that a corpus of any size trains in bounded memory.

:class:`SessionIndex` validates a split file in one pass (as ``Corpus.sessions`` does: fields,
labels, unique ids, image files) and keeps only the byte offset and number of each session's line (16 bytes
per session); ``index[i]`` seeks, parses and builds session ``i`` again, the last few kept. ``visit`` sees
every session of the pass, for what a caller needs from all of them once (example positions, image ids).
Each process (DataLoader workers included) opens the file for itself.
"""

from __future__ import annotations

import os
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from mtdialog.data.native import Corpus, parse_line
from mtdialog.data.schema import DataError, Session

RECENT = 64  # sessions kept after reading: the examples of a session are often drawn together


class SessionIndex(Sequence[Session]):
    """The valid sessions of ``split`` in file order (``skip_invalid``: bad records reported to the
    corpus's ``skipped`` and left out), read again from disk on access."""

    def __init__(self, corpus: Corpus, split: str, *, skip_invalid: bool = False,
                 visit: Callable[[int, Session], Any] | None = None):
        self.corpus, self.path = corpus, corpus.split_path(split)
        lines: array = array("q")
        self._offsets, self._lines = array("q"), array("q")
        for number, session in corpus.numbered_sessions(split, skip_invalid=skip_invalid, offsets=lines):
            if visit is not None:
                visit(len(self._offsets), session)
            self._offsets.append(lines[number - 1])
            self._lines.append(number)
        self._file: Any = None
        self._pid = -1
        self._recent: OrderedDict[int, Session] = OrderedDict()

    def __len__(self) -> int:
        return len(self._offsets)

    def __getitem__(self, index: int) -> Session:  # type: ignore[override]
        if not -len(self) <= index < len(self):
            raise IndexError(f"session {index} of {len(self)}")
        index %= len(self)
        if index in self._recent:
            self._recent.move_to_end(index)
            return self._recent[index]
        if self._pid != os.getpid():  # a forked worker must not share the parent's file position
            self._file, self._pid = open(self.path, "rb"), os.getpid()  # noqa: SIM115 (kept open)
        self._file.seek(self._offsets[index])
        try:  # the file was checked when indexed; a file changed since is named, at its line
            session = self.corpus.session_from(parse_line(self._file.readline(), self.path, self._lines[index]))
        except DataError as e:
            raise e.located(path=str(self.path), line=self._lines[index]) from None
        self._recent[index] = session
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)
        return session

    def __getstate__(self) -> dict[str, Any]:  # for spawned workers: the file is opened again there
        return {**self.__dict__, "_file": None, "_pid": -1, "_recent": OrderedDict()}


__all__ = ["SessionIndex"]
