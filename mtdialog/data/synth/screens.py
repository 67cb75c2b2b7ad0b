"""Renderers of the eight screenshot categories (phone screens, 128 x 224 px).

A shared phone frame (status bar, app header, grey bars for text) holds the part that carries the
hidden value: the product picture, an order-state banner, a logistics progress bar, an after-sales
timeline, an SMS emblem, a row of stars, an error dialog or a price-drop coupon.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from mtdialog.data.synth.draw import (
    GREY_TEXT,
    INK,
    JD_RED,
    RGB,
    WHITE,
    cross,
    fit_box,
    icon,
    jitter,
    mix,
    seven_segment,
    star,
    text_lines,
)
from mtdialog.data.synth.hidden import (
    LOGISTICS_STEPS,
    SERVICE_STEPS,
)
from mtdialog.data.synth.photos import Scene
from mtdialog.data.synth.silhouettes import ASPECT, draw_product
from mtdialog.data.synth.world import COLOURS, KINDS_BY_SHOP

SCREEN_SIZE = (128, 224)
W, H = SCREEN_SIZE
_GREEN: RGB = (46, 176, 90)
_ORANGE: RGB = (255, 140, 20)
_FAIL: RGB = (222, 44, 44)


def phone(rng: random.Random, *, header: RGB | None = None) -> tuple[Image.Image, ImageDraw.ImageDraw, int]:
    """A blank app screen; returns the image, its drawer and the y where content starts."""
    bg = jitter(rng, (244, 244, 246), 6)
    img = Image.new("RGB", SCREEN_SIZE, bg)
    d = ImageDraw.Draw(img)
    dark = rng.random() < 0.5
    d.rectangle((0, 0, W, 8), fill=(20, 20, 20) if dark else bg)
    d.rectangle((W - 18, 2, W - 6, 6), fill=(200, 200, 200) if dark else (60, 60, 60))
    head = header if header is not None else (JD_RED if rng.random() < 0.6 else WHITE)
    d.rectangle((0, 8, W, 28), fill=head)
    d.rectangle((44, 15, 84, 20), fill=WHITE if head != WHITE else INK)
    d.line((6, 18, 12, 12), fill=WHITE if head != WHITE else INK, width=2)
    d.line((6, 18, 12, 24), fill=WHITE if head != WHITE else INK, width=2)
    return img, d, 32


def _kind_key(shop: str, name: str) -> str:
    return next(k.key for k in KINDS_BY_SHOP[shop] if k.name == name)


def product(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """A product page: the picture shows a product of kind ``value`` (in a random catalogue colour)."""
    rng = sc.rng
    img, d, y = phone(rng)
    colour_name = rng.choice(list(COLOURS))
    card = (200, 204, 210) if colour_name == "白色" else (250, 250, 250)
    d.rectangle((0, y - 4, W, y + 124), fill=card)
    key = _kind_key(sc.shop, value)
    size = 118 if ASPECT[key] >= 1 else 116
    box = fit_box(64 + rng.uniform(-3, 3), y + 60 + rng.uniform(-3, 3), size * rng.uniform(0.95, 1.02), ASPECT[key])
    draw_product(d, key, box, jitter(rng, COLOURS[colour_name], 8))
    y += 128
    seven_segment(d, str(rng.randrange(59, 9999)), (8, y, 8 + rng.uniform(30, 48), y + 12), JD_RED)
    text_lines(d, rng, 8, y + 20, 112, rng.randint(3, 5))
    d.rectangle((64, H - 20, 95, H - 4), fill=_ORANGE)
    d.rectangle((96, H - 20, W - 2, H - 4), fill=JD_RED)
    return img, {"colour": colour_name}


_ORDER_STYLE = {  # state -> (banner colour, icon)
    "待付款": ((255, 128, 0), "clock"), "待发货": ((40, 120, 230), "box"), "已发货": ((0, 160, 160), "truck"),
    "已完成": (_GREEN, "check"), "已取消": ((150, 150, 156), "cross"),
}


def product_order(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """An order-detail page whose banner (colour + pictogram) shows order state ``value``."""
    rng = sc.rng
    img, d, y = phone(rng)
    colour, name = _ORDER_STYLE[value]
    colour = jitter(rng, colour, 12)
    bh = rng.randint(44, 56)
    d.rectangle((0, y - 4, W, y - 4 + bh), fill=colour)
    s = rng.uniform(26, 34)
    ix = rng.uniform(8, 20)
    icon(d, name, (ix, y + bh / 2 - s / 2 - 4, ix + s, y + bh / 2 + s / 2 - 4), WHITE, colour)
    text_lines(d, rng, ix + s + 8, y + 8, 60, 2, colour=mix(colour, WHITE, 0.6))
    y += bh + 6
    d.rectangle((4, y, W - 4, y + 50), fill=WHITE)
    draw_product(d, sc.kind_key, fit_box(28, y + 25, 40, ASPECT[sc.kind_key]), jitter(rng, sc.colour, 8))
    text_lines(d, rng, 54, y + 8, 66, 4)
    y += 58
    d.rectangle((4, y, W - 4, y + 70), fill=WHITE)
    text_lines(d, rng, 10, y + 8, 100, rng.randint(5, 8))
    return img, {}


def logistics_order(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """A parcel-tracking page: the five-step progress bar is lit up to the state (red on exception)."""
    rng = sc.rng
    img, d, y = phone(rng)
    d.rectangle((0, y - 4, W, y + 66), fill=jitter(rng, (222, 236, 222), 8))  # the map
    pts = [(rng.uniform(10, 40), rng.uniform(y + 10, y + 60)) for _ in range(2)]
    pts += [(rng.uniform(80, 120), rng.uniform(y + 10, y + 60)) for _ in range(2)]
    d.line(pts, fill=(120, 170, 230), width=3)
    y += 74 + rng.randint(-4, 6)
    failed = value == "配送异常"
    step = rng.randrange(1, 4) if failed else LOGISTICS_STEPS.index(value)
    lit = _FAIL if failed else _GREEN
    xs = [14 + k * 25 for k in range(5)]
    d.rectangle((xs[0], y - 2, xs[-1], y + 2), fill=(210, 210, 214))
    d.rectangle((xs[0], y - 2, xs[step], y + 2), fill=lit)
    for k, x in enumerate(xs):
        r = 8 if k == step else 5
        d.ellipse((x - r, y - r, x + r, y + r), fill=lit if k <= step else (210, 210, 214))
    if failed:
        d.rectangle((xs[step] - 1.5, y - 5, xs[step] + 1.5, y + 2), fill=WHITE)
        d.rectangle((4, y + 14, W - 4, y + 30), fill=mix(_FAIL, WHITE, 0.75))
    y += 36
    d.rectangle((4, y, W - 4, H - 6), fill=WHITE)
    for k in range(5):
        d.ellipse((10, y + 8 + k * 20, 16, y + 14 + k * 20), fill=lit if k == 0 else (200, 200, 204))
        text_lines(d, rng, 22, y + 8 + k * 20, 94, 2, colour=INK if k == 0 else GREY_TEXT, step=6)
    return img, {"step": step}


def after_sales_order(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """A service-order page: a vertical five-node timeline with the current node lit (red X if refused)."""
    rng = sc.rng
    img, d, y = phone(rng)
    refused = value == "审核未通过"
    step = 0 if refused else SERVICE_STEPS.index(value)
    if refused:
        d.rectangle((0, y - 4, W, y + 18), fill=_FAIL)
    y += 24 + rng.randint(-3, 6)
    d.rectangle((4, y, W - 4, y + 150), fill=WHITE)
    x = 18 + rng.uniform(-3, 3)
    d.line((x, y + 14, x, y + 14 + 4 * 30), fill=(214, 214, 218), width=3)
    for k in range(5):
        cy = y + 14 + k * 30
        if k == step:
            d.ellipse((x - 9, cy - 9, x + 9, cy + 9), fill=_FAIL if refused else _ORANGE)
            if refused:
                cross(d, (x - 4, cy - 4, x + 4, cy + 4), WHITE, 2)
        else:
            d.ellipse((x - 5, cy - 5, x + 5, cy + 5), fill=(170, 170, 176) if k < step else (226, 226, 230))
        text_lines(d, rng, x + 16, cy - 5, 80, 2, colour=INK if k == step else GREY_TEXT, step=6)
    draw_product(d, sc.kind_key, fit_box(24, H - 26, 28, ASPECT[sc.kind_key]), jitter(rng, sc.colour, 8))
    return img, {}


_SMS_STYLE = {"取件通知": ("box", _ORANGE), "退款到账": ("coin", _GREEN), "安装预约": ("calendar", (40, 110, 220)),
              "物流延误": ("warning", _FAIL)}


def text_message(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """An SMS thread; the newest message carries the emblem of message kind ``value``."""
    rng = sc.rng
    img, d, y = phone(rng, header=(236, 236, 240))
    h = rng.randint(16, 24)  # an older message
    d.rounded_rectangle((6, y, rng.randint(70, 110), y + h), radius=6, fill=(226, 226, 230))
    y = 62 + rng.randint(-4, 4)
    h = rng.randint(92, 104)
    d.rounded_rectangle((6, y, W - 14, y + h), radius=8, fill=WHITE, outline=(220, 220, 224))
    name, colour = _SMS_STYLE[value]
    s = rng.uniform(44, 50)
    ix = rng.uniform(14, 22)
    icon(d, name, (ix, y + 8, ix + s, y + 8 + s), jitter(rng, colour, 10), WHITE)
    text_lines(d, rng, 12, y + s + 14, 90, 3)
    text_lines(d, rng, 12, H - 18, 80, 1)
    return img, {}


def user_comment(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """A product review: ``value`` of the five big stars are filled."""
    rng = sc.rng
    img, d, y = phone(rng)
    y += rng.randint(0, 6)
    d.rectangle((4, y, W - 4, y + 120), fill=WHITE)
    d.ellipse((10, y + 6, 26, y + 22), fill=jitter(rng, (150, 170, 200), 30))
    text_lines(d, rng, 32, y + 10, 50, 1, colour=INK)
    filled = int(value[0])
    for k in range(5):
        star(d, 18 + k * 22, y + 40, 10, (255, 150, 0) if k < filled else (220, 220, 224))
    y = text_lines(d, rng, 10, y + 60, 108, rng.randint(3, 5))
    if rng.random() < 0.6:
        for k in range(rng.randint(1, 3)):
            d.rectangle((10 + k * 36, y + 4, 42 + k * 36, y + 36), fill=jitter(rng, sc.colour, 20))
    return img, {}


_APP_ICONS = {"网络异常": ("wifi_off", (120, 124, 132)), "支付失败": ("card_fail", (40, 110, 220)),
              "登录失败": ("lock", _ORANGE), "优惠券不可用": ("ticket", (230, 60, 60)),
              "设备离线": ("plug_off", _GREEN)}


def system_software(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """An app screen dimmed behind an error dialog whose pictogram shows error ``value``."""
    rng = sc.rng
    img, d, y = phone(rng)
    text_lines(d, rng, 8, y + 4, 112, 14, step=12, height=5)
    img = Image.blend(img, Image.new("RGB", SCREEN_SIZE, (0, 0, 0)), 0.45)
    d = ImageDraw.Draw(img)
    top = rng.uniform(62, 72)
    d.rounded_rectangle((12, top, W - 12, top + 104), radius=8, fill=WHITE)
    name, colour = _APP_ICONS[value]
    s = rng.uniform(40, 48)
    icon(d, name, (64 - s / 2, top + 10, 64 + s / 2, top + 10 + s), colour, WHITE)
    text_lines(d, rng, 26, top + s + 18, 76, 2)
    d.rectangle((24, top + 86, W - 24, top + 98), fill=jitter(rng, JD_RED, 10))
    return img, {}


def other_scene(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """A price-drop page: a big red strip shows the amount ``value`` (seven-segment digits)."""
    rng = sc.rng
    img, d, y = phone(rng)
    draw_product(d, sc.kind_key, fit_box(64, y + 36, 60, ASPECT[sc.kind_key]), jitter(rng, sc.colour, 8))
    y += 76 + rng.randint(-2, 2)
    strip = jitter(rng, (232, 40, 40), 10)
    d.rectangle((4, y, W - 4, y + 50), fill=strip)
    digits = value.removesuffix("元")
    width = 22 * len(digits)
    x = 24 + rng.uniform(0, 3)
    d.polygon([(8, y + 14), (18, y + 14), (13, y + 34)], fill=WHITE)  # the down arrow
    seven_segment(d, digits, (x, y + 9, x + width, y + 41), WHITE)
    y += 58
    text_lines(d, rng, 8, y, 112, rng.randint(5, 8))
    return img, {}


RENDERERS = {
    "screenshot_product": product,
    "screenshot_product_order": product_order,
    "screenshot_logistics_order": logistics_order,
    "screenshot_after_sales_order": after_sales_order,
    "screenshot_text_message": text_message,
    "screenshot_user_comment": user_comment,
    "screenshot_system_software": system_software,
    "screenshot_other_scene": other_scene,
}
