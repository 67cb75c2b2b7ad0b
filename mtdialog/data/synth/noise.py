"""The surface noise of real JD customer-service logs, applied to generated messages.

- emoji codes such as ``#E-s57`` (the chat client's sticker codes),
- ``***`` masking of names, phone numbers and addresses,
- ``<url>`` for links,
- order cards ``[订单编号:***，订单金额:***，下单时间:***]``,
- ``用户发起转人工`` when a customer leaves the bot for a human agent,
- ``|||`` joining consecutive messages of one speaker (done by :meth:`Script.join`),
- order numbers typed with their middle masked (``3012***8841``).

How each speaker types (particles, punctuation, typos) is :mod:`mtdialog.data.synth.voice`.

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


def order_card(rng: random.Random, price: int | None = None) -> str:
    """An order card as the chat client shows it; the amount and time are masked or, given the
    ``price``, shown (``订单金额:1299.00元``)."""
    if price is None or rng.random() < 0.4:
        return rng.choice(_ORDER_CARDS)
    amount = price * rng.choice((1, 1, 1, 2))
    when = f"{rng.randint(2020, 2023)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
    return rng.choice((f"[订单编号:***，订单金额:{amount}.00元，下单时间:{when}]", f"[订单编号:***，订单金额:{amount}.00元]",
                       f"[订单编号:***，订单金额:{amount}.00元，下单时间:{when}，商品名称:***]"))


def order_number(rng: random.Random) -> str:
    """A customer-typed order number with its middle masked (``3012***8841``)."""
    return f"{rng.randrange(10, 10000)}{MASK}{rng.randrange(1000, 10000)}"
