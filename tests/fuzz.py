"""A seeded mutation generator for the fuzz tests: hostile variants of valid inputs.

``mutations(data, rng, n)`` yields ``(description, bytes)`` variants of a file's bytes: byte flips,
truncation, invalid UTF-8, BOM and CRLF, duplicated lines and, for JSON, structural changes at a random
place (a field deleted, a value swapped for another type, a huge number, NaN, deep nesting, a lone
surrogate, odd Unicode, a huge string). The same seed gives the same inputs.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

ODD_UNICODE = "\u202e\u200b\u0301" + "\u0301" * 50 + "\U0001f600\ufeff"
REPLACEMENTS: list[tuple[str, Any]] = [
    ("null", None), ("zero", 0), ("negative", -1), ("float", 1.5), ("true", True), ("string", "x"),
    ("empty list", []), ("empty object", {}), ("5,000-digit integer", "HUGE_INTEGER"),
    ("NaN", float("nan")), ("infinity", float("inf")), ("lone surrogate", "\ud800"),
    ("odd Unicode", ODD_UNICODE), ("huge string", "长" * 200_000),
    ("nested 200 levels", "NESTED"), ("list of 20,000", list(range(20_000))),
]


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


def _structural(value: Any, rng: random.Random) -> tuple[str, Any]:
    """One structural change of a JSON value, at a random place (a deep copy is changed)."""
    value = json.loads(json.dumps(value))
    paths = [p for p in _paths(value) if p]
    if not paths:
        return "replaced whole", None
    path = rng.choice(paths)
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    if rng.random() < 0.25:
        if isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
        return f"deleted {'.'.join(map(str, path))}", value
    name, replacement = rng.choice(REPLACEMENTS)
    parent[path[-1]] = _nested(200) if replacement == "NESTED" else replacement
    return f"{'.'.join(map(str, path))} = {name}", value


def _dump(value: Any, lines: bool) -> bytes:
    if lines and isinstance(value, list):
        return "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in value).encode("utf-8", "surrogatepass")
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def mutations(data: bytes, rng: random.Random, n: int, *, json_records: list | dict | None = None,
              json_lines: bool = False) -> Iterator[tuple[str, bytes]]:
    """``n`` variants of ``data``; with ``json_records`` (the parsed content), structural ones too."""
    for _ in range(n):
        kind = rng.randrange(9 if json_records is not None else 7)
        if kind == 0 and data:
            i = rng.randrange(len(data))
            yield f"byte {i} flipped", data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]
        elif kind == 1:
            cut = rng.randrange(len(data) + 1)
            yield f"truncated at {cut}", data[:cut]
        elif kind == 2:
            i = rng.randrange(len(data) + 1)
            yield f"invalid UTF-8 at {i}", data[:i] + b"\xff\xfe" + data[i:]
        elif kind == 3:
            yield "BOM and CRLF", b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
        elif kind == 4:
            lines = data.splitlines(keepends=True)
            if lines:
                i = rng.randrange(len(lines))
                lines.insert(i, lines[i])
            yield "a line twice", b"".join(lines)
        elif kind == 5:
            yield "empty", b""
        elif kind == 6:
            i = rng.randrange(len(data) + 1)
            yield f"odd Unicode at {i}", data[:i] + ODD_UNICODE.encode() + data[i:]
        else:
            description, value = _structural(json_records, rng)
            # the JSON escape of a lone surrogate is what a file can hold; Python cannot even build the integer
            yield description, (_dump(value, json_lines).replace("\ud800".encode("utf-8", "surrogatepass"),
                                                                 b"\\ud800")
                                .replace(b'"HUGE_INTEGER"', b"9" * 5000))
