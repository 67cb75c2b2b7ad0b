"""Drawing primitives shared by the renderers: colour helpers, jitter, seven-segment glyphs, icons.

Everything draws flat shapes with ``PIL.ImageDraw`` (no fonts, so output is identical on every
machine, and PNG compresses it to a few KB).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from PIL import ImageDraw

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]

WHITE: RGB = (255, 255, 255)
INK: RGB = (45, 45, 50)
GREY_TEXT: RGB = (200, 200, 205)
JD_RED: RGB = (226, 35, 26)


def shade(c: RGB, f: float) -> RGB:
    """``c`` scaled by ``f`` (< 1 darker), clipped to 0..255."""
    return tuple(max(0, min(255, int(v * f))) for v in c)  # type: ignore[return-value]


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend: ``t=0`` gives ``a``, ``t=1`` gives ``b``."""
    return tuple(int(x + (y - x) * t) for x, y in zip(a, b))  # type: ignore[return-value]


def jitter(rng: random.Random, c: RGB, d: int = 12) -> RGB:
    """``c`` with each channel moved by up to ``d``."""
    return tuple(max(0, min(255, v + rng.randint(-d, d))) for v in c)  # type: ignore[return-value]


def luminance(c: RGB) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def contrast_ink(c: RGB) -> RGB:
    """A dark ink on light colours, a light one on dark colours."""
    return (235, 235, 230) if luminance(c) < 110 else (40, 38, 42)


def sub_box(box: Box, u0: float, v0: float, u1: float, v1: float) -> Box:
    """The part of ``box`` between unit coordinates ``(u0, v0)`` and ``(u1, v1)``."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    return (x0 + u0 * w, y0 + v0 * h, x0 + u1 * w, y0 + v1 * h)


def unit_points(box: Box, pts: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = box
    return [(x0 + u * (x1 - x0), y0 + v * (y1 - y0)) for u, v in pts]


def fit_box(cx: float, cy: float, size: float, aspect: float) -> Box:
    """A box of the given aspect (w / h) centred at ``(cx, cy)`` whose longer side is ``size``."""
    w, h = (size, size / aspect) if aspect >= 1 else (size * aspect, size)
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def text_lines(d: ImageDraw.ImageDraw, rng: random.Random, x: float, y: float, width: float, n: int,
               *, step: float = 7, height: float = 3, colour: RGB = GREY_TEXT) -> float:
    """``n`` grey bars standing in for lines of text; returns the y below them."""
    for _ in range(n):
        d.rectangle((x, y, x + width * rng.uniform(0.45, 1.0), y + height), fill=colour)
        y += step
    return y


# ----------------------------------------------------------------------------- seven-segment glyphs
_SEGMENTS = {
    "0": "abcdef", "1": "bc", "2": "abged", "3": "abgcd", "4": "fgbc", "5": "afgcd", "6": "afgedc",
    "7": "abc", "8": "abcdefg", "9": "abcdfg", "E": "afged", "F": "afge", "H": "fbgec", "P": "abfge",
    "-": "g",
}


def seven_segment(d: ImageDraw.ImageDraw, text: str, box: Box, colour: RGB, *, off: RGB | None = None,
                  gap: float = 0.25, thickness: float = 0.2) -> None:
    """Draw ``text`` as seven-segment glyphs filling ``box``; ``off`` draws unlit segments faintly."""
    x0, y0, x1, y1 = box
    n = len(text)
    cw = (x1 - x0) / (n + gap * (n - 1))
    t = max(2.0, min(cw, y1 - y0) * thickness)
    for i, ch in enumerate(text):
        gx = x0 + i * cw * (1 + gap)
        segs = {
            "a": (gx, y0, gx + cw, y0 + t),
            "g": (gx, (y0 + y1) / 2 - t / 2, gx + cw, (y0 + y1) / 2 + t / 2),
            "d": (gx, y1 - t, gx + cw, y1),
            "f": (gx, y0, gx + t, (y0 + y1) / 2),
            "b": (gx + cw - t, y0, gx + cw, (y0 + y1) / 2),
            "e": (gx, (y0 + y1) / 2, gx + t, y1),
            "c": (gx + cw - t, (y0 + y1) / 2, gx + cw, y1),
        }
        lit = _SEGMENTS[ch]
        for name, rect in segs.items():
            if name in lit:
                d.rectangle(rect, fill=colour)
            elif off is not None:
                d.rectangle(rect, fill=off)


# ----------------------------------------------------------------------------------------- icons
def star(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, fill: RGB) -> None:
    pts = []
    for k in range(10):
        rad = r if k % 2 == 0 else r * 0.45
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    d.polygon(pts, fill=fill)


def cross(d: ImageDraw.ImageDraw, box: Box, colour: RGB, width: int) -> None:
    x0, y0, x1, y1 = box
    d.line((x0, y0, x1, y1), fill=colour, width=width)
    d.line((x0, y1, x1, y0), fill=colour, width=width)


def check(d: ImageDraw.ImageDraw, box: Box, colour: RGB, width: int) -> None:
    d.line(unit_points(box, [(0.1, 0.55), (0.4, 0.85), (0.9, 0.2)]), fill=colour, width=width, joint="curve")


def icon(d: ImageDraw.ImageDraw, name: str, box: Box, colour: RGB, bg: RGB) -> None:
    """A flat pictogram filling ``box``: clock, box, truck, check, cross, wifi_off, card_fail, lock,
    ticket, plug_off, coin, calendar, warning, wrench."""
    x0, y0, x1, y1 = box
    w = max(2, int((x1 - x0) / 9))
    if name == "clock":
        d.ellipse(box, outline=colour, width=w)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        d.line((cx, cy, cx, y0 + (y1 - y0) * 0.22), fill=colour, width=w)
        d.line((cx, cy, x0 + (x1 - x0) * 0.75, cy), fill=colour, width=w)
    elif name == "box":
        d.polygon(unit_points(box, [(0.1, 0.3), (0.5, 0.1), (0.9, 0.3), (0.9, 0.8), (0.5, 1.0), (0.1, 0.8)]),
                  fill=colour)
        d.line(unit_points(box, [(0.1, 0.3), (0.5, 0.5), (0.9, 0.3)]), fill=bg, width=w)
        d.line(unit_points(box, [(0.5, 0.5), (0.5, 1.0)]), fill=bg, width=w)
    elif name == "truck":
        d.rectangle(sub_box(box, 0.0, 0.25, 0.62, 0.75), fill=colour)
        d.polygon(unit_points(box, [(0.64, 0.4), (0.85, 0.4), (1.0, 0.58), (1.0, 0.75), (0.64, 0.75)]),
                  fill=colour)
        for u in (0.2, 0.8):
            d.ellipse(sub_box(box, u - 0.11, 0.68, u + 0.11, 0.9), fill=colour, outline=bg, width=w // 2 + 1)
    elif name == "check":
        d.ellipse(box, fill=colour)
        check(d, sub_box(box, 0.2, 0.2, 0.8, 0.8), bg, w)
    elif name == "cross":
        d.ellipse(box, fill=colour)
        cross(d, sub_box(box, 0.3, 0.3, 0.7, 0.7), bg, w)
    elif name == "wifi_off":
        for k, r in enumerate((0.5, 0.34, 0.18)):
            d.arc(sub_box(box, 0.5 - r, 0.75 - r, 0.5 + r, 0.75 + r), 220, 320, fill=colour, width=w)
        d.ellipse(sub_box(box, 0.44, 0.7, 0.56, 0.82), fill=colour)
        d.line(unit_points(box, [(0.1, 0.1), (0.9, 0.95)]), fill=(220, 40, 40), width=w)
    elif name == "card_fail":
        d.rounded_rectangle(sub_box(box, 0.0, 0.2, 0.85, 0.75), radius=w, fill=colour)
        d.rectangle(sub_box(box, 0.0, 0.32, 0.85, 0.42), fill=bg)
        d.ellipse(sub_box(box, 0.55, 0.55, 1.0, 1.0), fill=(220, 40, 40))
        cross(d, sub_box(box, 0.68, 0.68, 0.87, 0.87), WHITE, max(1, w // 2))
    elif name == "lock":
        d.arc(sub_box(box, 0.25, 0.0, 0.75, 0.6), 180, 360, fill=colour, width=w + 1)
        d.line(unit_points(box, [(0.25 + 0.02, 0.3), (0.25 + 0.02, 0.45)]), fill=colour, width=w + 1)
        d.line(unit_points(box, [(0.75 - 0.02, 0.3), (0.75 - 0.02, 0.45)]), fill=colour, width=w + 1)
        d.rounded_rectangle(sub_box(box, 0.1, 0.42, 0.9, 1.0), radius=w, fill=colour)
        d.ellipse(sub_box(box, 0.43, 0.6, 0.57, 0.78), fill=bg)
    elif name == "ticket":
        d.rectangle(sub_box(box, 0.0, 0.22, 1.0, 0.78), fill=colour)
        d.ellipse(sub_box(box, -0.1, 0.4, 0.1, 0.6), fill=bg)
        d.ellipse(sub_box(box, 0.9, 0.4, 1.1, 0.6), fill=bg)
        d.line(unit_points(box, [(0.65, 0.25), (0.65, 0.75)]), fill=bg, width=max(1, w // 2))
    elif name == "plug_off":
        d.rounded_rectangle(sub_box(box, 0.2, 0.25, 0.8, 0.7), radius=w, fill=colour)
        d.rectangle(sub_box(box, 0.32, 0.0, 0.4, 0.25), fill=colour)
        d.rectangle(sub_box(box, 0.6, 0.0, 0.68, 0.25), fill=colour)
        d.line(unit_points(box, [(0.5, 0.7), (0.5, 1.0)]), fill=colour, width=w)
        d.line(unit_points(box, [(0.05, 0.95), (0.95, 0.05)]), fill=(220, 40, 40), width=w)
    elif name == "coin":
        d.ellipse(box, fill=colour)
        d.line(unit_points(box, [(0.3, 0.22), (0.5, 0.48), (0.7, 0.22)]), fill=bg, width=w)
        d.line(unit_points(box, [(0.5, 0.48), (0.5, 0.82)]), fill=bg, width=w)
        d.line(unit_points(box, [(0.32, 0.52), (0.68, 0.52)]), fill=bg, width=w)
        d.line(unit_points(box, [(0.32, 0.66), (0.68, 0.66)]), fill=bg, width=w)
    elif name == "calendar":
        d.rectangle(sub_box(box, 0.05, 0.15, 0.95, 1.0), fill=colour)
        d.rectangle(sub_box(box, 0.12, 0.35, 0.88, 0.93), fill=bg)
        for i in range(3):
            for j in range(3):
                u, v = 0.18 + i * 0.24, 0.42 + j * 0.17
                d.rectangle(sub_box(box, u, v, u + 0.14, v + 0.1), fill=colour)
    elif name == "warning":
        d.polygon(unit_points(box, [(0.5, 0.0), (1.0, 0.95), (0.0, 0.95)]), fill=colour)
        d.rectangle(sub_box(box, 0.45, 0.3, 0.55, 0.65), fill=bg)
        d.rectangle(sub_box(box, 0.45, 0.74, 0.55, 0.84), fill=bg)
    else:
        raise ValueError(f"unknown icon {name!r}")
