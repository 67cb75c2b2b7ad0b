"""The surface noise of real JD customer-service logs, applied to generated messages.

- emoji codes such as ``#E-s57`` (the chat client's sticker codes),
- ``***`` masking of names, phone numbers and addresses,
- ``<url>`` for links,
- order cards ``[订单编号:***，订单金额:***，下单时间:***]``,
- ``用户发起转人工`` when a customer leaves the bot for a human agent,
- ``|||`` joining consecutive messages of one speaker (done by :meth:`Script.join`).

Rewrites and summaries stay clean: noise only touches what the speakers type.
"""

from __future__ import annotations

import random

TRANSFER = "用户发起转人工"
URL = "<url>"
MASK = "***"

_EMOJI_CODES = ("#E-s57", "#E-s12", "#E-s08", "#E-s21", "#E-s02", "#E-s44", "#E-s30", "#E-s65", "#E-b03",
                "#E-b11", "#E-s19", "#E-s05")
_ORDER_CARDS = (
    "[订单编号:***，订单金额:***]",
    "[订单编号:***，订单金额:***，下单时间:***]",
    "[订单编号:***，订单金额:***，下单时间:***，商品名称:***]",
)


def emoji(rng: random.Random) -> str:
    """One sticker code; agents favour the smiling ones."""
    return rng.choice(_EMOJI_CODES)


def order_card(rng: random.Random) -> str:
    return rng.choice(_ORDER_CARDS)


def decorate(text: str, rng: random.Random, speaker: str) -> str:
    """``text`` with speaker-typical noise: trailing stickers, doubled punctuation, dropped commas."""
    r = rng.random()
    if speaker == "A":
        if r < 0.16 and not text.endswith(("？", "?")):
            return text + emoji(rng)
        return text
    if r < 0.07:
        return text + emoji(rng)
    if r < 0.12 and text.endswith("？"):
        return text + "？"
    if r < 0.18 and "，" in text:
        return text.replace("，", " ", 1)
    if r < 0.22 and text[-1:] in "。！":
        return text[:-1]
    return text
