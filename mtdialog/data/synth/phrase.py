"""Phrase templates: one compact string stands for many paraphrases of a dialogue move.

Syntax: ``(a|b|c)`` picks one alternative (``a|b`` at the top level too), ``[x]`` keeps ``x`` half of
the time (``[a|b]``: half of the time one of ``a``, ``b``), ``{name}`` is a slot filled after the choice (slot values are plain text). Groups nest: ``(麻烦|请)[您](拍|发)一下(照片|图片)``
has 2 x 2 x 2 x 2 = 16 surface forms. Templates are parsed once and cached; a template with few
surface forms is expanded in full, so picking one costs a single RNG draw.
"""

from __future__ import annotations

import random
from functools import lru_cache

_MAX_LISTED = 1024  # templates with at most this many surface forms are listed in full

# A parsed template: a sequence of parts; a part is literal text, ("alt", [sequence, ...]) or
# ("opt", sequence).
Part = str | tuple
Seq = tuple[Part, ...]


class TemplateError(ValueError):
    """A template with unbalanced brackets."""


def _parse(template: str) -> Seq:
    """The parse of ``template``; ``a|b`` at the top level means ``(a|b)``."""
    options, pos = [], -1
    while pos < len(template):
        option, pos = _seq(template, pos + 1, "|")
        options.append(option)
    return options[0] if len(options) == 1 else (("alt", tuple(options)),)


def _seq(t: str, pos: int, stop: str) -> tuple[Seq, int]:
    """Parse from ``pos`` up to (not including) a character of ``stop`` at this nesting level."""
    parts: list[Part] = []
    text: list[str] = []
    while pos < len(t) and t[pos] not in stop:
        c = t[pos]
        if c in "([":
            if text:
                parts.append("".join(text))
                text = []
            close = ")" if c == "(" else "]"
            options = []
            while True:
                option, pos = _seq(t, pos + 1, "|" + close)
                options.append(option)
                if pos >= len(t):
                    raise TemplateError(f"unclosed {c!r} in {t!r}")
                if t[pos] == close:
                    break
            alt = ("alt", tuple(options))
            if c == "(":
                parts.append(alt)
            else:
                parts.append(("opt", options[0] if len(options) == 1 else (alt,)))
            pos += 1
        elif c in ")]|":
            raise TemplateError(f"unbalanced {c!r} at {pos} in {t!r}")
        else:
            text.append(c)
            pos += 1
    if text:
        parts.append("".join(text))
    return tuple(parts), pos


def _count(seq: Seq) -> int:
    n = 1
    for part in seq:
        if isinstance(part, tuple):
            n *= sum(map(_count, part[1])) if part[0] == "alt" else _count(part[1]) + 1
    return n


def _all(seq: Seq) -> list[str]:
    out = [""]
    for part in seq:
        if isinstance(part, str):
            out = [o + part for o in out]
        else:
            options = [s for option in part[1] for s in _all(option)] if part[0] == "alt" \
                else _all(part[1]) + [""]
            out = [o + s for o in out for s in options]
    return out


@lru_cache(maxsize=8192)
def _compiled(template: str) -> tuple[tuple[str, ...] | None, Seq]:
    """``(every surface form, or None when there are too many to list; the parse)``."""
    seq = _parse(template)
    return (tuple(_all(seq)) if _count(seq) <= _MAX_LISTED else None), seq


def _walk(seq: Seq, rng: random.Random, out: list[str]) -> None:
    for part in seq:
        if isinstance(part, str):
            out.append(part)
        elif part[0] == "alt":
            options = part[1]
            _walk(options[int(rng.random() * len(options))], rng, out)
        elif rng.random() < 0.5:
            _walk(part[1], rng, out)


def expand(rng: random.Random, template: str, slots: dict[str, str] | None = None) -> str:
    """One surface form of ``template`` with its ``{slots}`` filled."""
    listed, seq = _compiled(template)
    if listed is not None:
        text = listed[int(rng.random() * len(listed))]
    else:
        out: list[str] = []
        _walk(seq, rng, out)
        text = "".join(out)
    return text.format_map(slots) if slots and "{" in text else text


def forms(template: str) -> list[str]:
    """Every surface form of ``template`` (slots unfilled), for tests and docs."""
    return _all(_parse(template))
