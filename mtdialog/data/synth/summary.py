"""Summaries of 30-50 characters built from the scenes' problem and outcome phrases.

The main scene (the one whose image carries the session's key fact) always leads, so the summary
names what the picture showed; a further scene or a closing clause fills a summary that is short.
"""

from __future__ import annotations

import random

from mtdialog.data.synth.scenes.common import SummaryPart

MIN_CHARS, MAX_CHARS = 30, 50
_CODAS = ("，用户表示满意", "，用户表示认可", "，用户表示知晓", "，用户表示会耐心等待")


def compose(parts: list[SummaryPart], rng: random.Random) -> str:
    """A summary within ``[MIN_CHARS, MAX_CHARS]`` characters when any combination fits, else the closest."""
    main = parts[0]
    bodies = [f"{p}，{o}" for p in main.problems for o in main.outcomes]
    tails = [""] + list(_CODAS)
    for extra in parts[1:2]:
        tails += [f"；{p.replace('用户', '用户还', 1)}" for p in extra.problems]
    candidates = [body + tail + "。" for body in bodies for tail in tails]
    plain = [c for c in candidates[:: len(tails)] if MIN_CHARS <= len(c) <= MAX_CHARS]
    if plain and rng.random() < 0.3:
        return rng.choice(plain)
    fitting = [c for c in candidates if MIN_CHARS <= len(c) <= MAX_CHARS]
    if fitting:
        return rng.choice(fitting)
    return min(candidates, key=lambda c: max(MIN_CHARS - len(c), len(c) - MAX_CHARS))
