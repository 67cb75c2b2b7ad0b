"""Readers and writers for the public neighbours of the JDDC 2.1 format, all producing ``Session``.

``READERS[name](path, *, skip_invalid=False, report=None)`` streams sessions from a file;
``WRITERS[name](sessions, path)`` writes them back. Formats (see docs/formats.md for the exact
mapping onto ``Session``):

- ``jddc20-tsv``: JDDC 2.0 / JDMDC 2020 training TSV (one message per row); its test questions and
  answers are read and written by :func:`~mtdialog.data.formats.jddc20.read_questions` and
  :func:`~mtdialog.data.formats.jddc20.write_answers`.
- ``stac``: STAC / Molweni discourse JSON (EDUs + relations, with the corpus's own labels).
- ``csds``: CSDS summarization JSON (read only).

Bad input raises :class:`~mtdialog.data.schema.DataError` naming the file, the line (TSV) or the
0-based record index (JSON arrays) and the field; with ``skip_invalid`` each bad session is left out
and its error added to ``report``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from mtdialog.data import jsonio
from mtdialog.data.schema import DataError, Session, SkipReport, build_records, type_name

#: ``Session.shop`` of sessions from sources that name no JD shop (STAC, Molweni, CSDS).
OTHER_SHOP = "other"


def load_json_array(path: str | Path) -> list[Any]:
    """Parse a whole JSON file that holds an array; errors name the file and line."""
    data = jsonio.load(path)
    if not isinstance(data, list):
        raise DataError(f"expected a JSON array of records, got {type_name(data)}", path=str(path))
    return data


def iter_records(path: str | Path, records: list[Any], build: Callable[[Any, int], Session], *,
                 skip_invalid: bool, report: SkipReport | None) -> Iterator[Session]:
    """``build(record, index)`` for each record of a JSON array, errors located at the record index."""
    return build_records(enumerate(records), build, path=str(path), by="record",
                         skip_invalid=skip_invalid, report=report)


# The format modules use the helpers above, so they are imported after them.
from mtdialog.data.formats import csds, jddc20, stac
from mtdialog.data.formats.stac import labels_of

READERS: dict[str, Callable[..., Iterator[Session]]] = {
    "jddc20-tsv": jddc20.read,
    "stac": stac.read,
    "csds": csds.read,
}

WRITERS: dict[str, Callable[[Iterable[Session], str | Path], None]] = {
    "jddc20-tsv": jddc20.write,
    "stac": stac.write,
}

__all__ = ["OTHER_SHOP", "READERS", "WRITERS", "csds", "jddc20", "labels_of", "stac"]
