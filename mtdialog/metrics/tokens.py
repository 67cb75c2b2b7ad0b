"""Character tokenisation shared by every text metric (the Chinese convention of DESIGN §4).

A text becomes the string of its non-whitespace characters: each character is one token, ASCII
included (``"USB-C 接口"`` -> ``"USB-C接口"``, 7 tokens). No case folding or width normalisation.
Sentences (for ROUGE-Lsum) end at a run of ``。！？``; the terminators stay with their sentence.
"""

from __future__ import annotations

import re

#: Characters that end a sentence for summary-level ROUGE-L.
SENTENCE_END = "。！？"

_SENTENCE_SPLIT = re.compile(f"(?<=[{SENTENCE_END}])(?![{SENTENCE_END}])")


def char_tokens(text: str) -> str:
    """``text`` without whitespace: a string whose characters are the tokens."""
    return "".join(text.split())


def split_sentences(tokens: str) -> list[str]:
    """The sentences of a whitespace-free string, split after each run of ``。！？`` (no empty ones)."""
    return [s for s in _SENTENCE_SPLIT.split(tokens) if s]
