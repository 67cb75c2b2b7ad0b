"""JSON from users' files, parsed within bounds: every reader of the package goes through here.

Python's ``json`` accepts what later steps cannot handle, or handles too slowly: strings with lone
surrogates (``"\\ud800"`` escapes, which no UTF-8 file can hold and every writer and tokenizer
refuses), nesting deep enough to exhaust the recursion limit, integers of thousands of digits, and
``NaN`` / ``Infinity``. :func:`parse` turns each of them into a :class:`DataError` naming the file,
the line and the field, so that validation rejects exactly what conversion, training and prediction
would choke on. The checks cost one regular-expression search per text unless something is suspect.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from mtdialog.errors import DataError

#: Deepest nesting of arrays and objects accepted (a session record needs 5).
MAX_DEPTH = 64
#: Longest integer accepted, in digits (128-bit RNG states in a trainer state need 39; ids, indices and
#: counts far fewer).
MAX_INT_DIGITS = 40
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise DataError(f"integer of {len(text.lstrip('-'))} digits (at most {MAX_INT_DIGITS} are accepted)")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise DataError(f"number {text} is out of range")
    return value


def _constant(name: str) -> float:
    raise DataError(f"{name} is not a JSON number")


def parse(text: str, *, path: str | Path, line: int | None = None) -> Any:
    """The JSON value of ``text`` (read from ``path``, at ``line``), checked as the module says."""
    where = {"path": str(path), "line": line}
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except json.JSONDecodeError as e:
        raise DataError(f"malformed JSON: {e.msg} (column {e.colno})", path=str(path),
                        line=line if line is not None else e.lineno) from None
    except RecursionError:
        raise DataError(f"JSON nested deeper than {MAX_DEPTH} levels", **where) from None
    except DataError as e:
        raise e.located(**where) from None
    if _SURROGATE_ESCAPE.search(text) or text.count("[") + text.count("{") > MAX_DEPTH:
        _check(value, where)
    return value


def _check(value: Any, where: dict[str, Any]) -> None:
    """Depth and lone surrogates of a parsed value, the first problem named by its field."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, field, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DataError(f"JSON nested deeper than {MAX_DEPTH} levels", field=field or None, **where)
        if isinstance(node, str):
            found = _SURROGATE.search(node)
            if found:
                raise DataError(f"invalid Unicode: lone surrogate U+{ord(found.group()):04X} (a \\u escape that "
                                "encodes no character)", field=field or None, **where)
        elif isinstance(node, dict):
            for key, item in node.items():
                stack.append((key, field, depth + 1))
                stack.append((item, f"{field}.{key}" if field else str(key), depth + 1))
        elif isinstance(node, list):
            stack.extend((item, f"{field}[{i}]", depth + 1) for i, item in enumerate(node))


def read_text(path: str | Path) -> str:
    """A UTF-8 text file (a BOM allowed); a file that cannot be read or decoded is a :class:`DataError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise DataError("is a directory, not a file", path=str(path)) from None
    except OSError as e:
        raise DataError(f"cannot read file: {e.strerror or e}", path=str(path)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"invalid UTF-8 at byte {e.start}", path=str(path),
                        line=raw[:e.start].count(b"\n") + 1) from None


def load(path: str | Path) -> Any:
    """The JSON value of a whole file, checked as :func:`parse` checks it."""
    return parse(read_text(path), path=path)


__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "load", "parse", "read_text"]
