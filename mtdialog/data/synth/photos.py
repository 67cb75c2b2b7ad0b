"""Renderers of the seven photo categories (176 x 176 px).

Each takes the hidden value and a :class:`Scene` (the session's shop, product kind and colour, and an
RNG) and returns the image plus secondary details. The value is drawn big: a colour filling most of
the frame, a quadrant holding the damage, seven-segment glyphs on a display, an empty slot in a box,
a screen pattern. Background, position, size and colours vary from image to image.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from mtdialog.data.synth.draw import (
    RGB,
    contrast_ink,
    fit_box,
    jitter,
    luminance,
    mix,
    seven_segment,
    shade,
    sub_box,
    unit_points,
)
from mtdialog.data.synth.hidden import DAMAGES, PLACES
from mtdialog.data.synth.silhouettes import ASPECT, draw_product
from mtdialog.data.synth.world import ACCESSORIES, COLOURS, KINDS_BY_SHOP

PHOTO_SIZE = (176, 176)
_WALLS: tuple[RGB, ...] = ((214, 206, 192), (186, 196, 206), (200, 214, 198), (176, 166, 156),
                           (206, 206, 210), (150, 160, 170), (222, 210, 200), (120, 130, 128))
_FLOORS: tuple[RGB, ...] = ((150, 112, 78), (118, 118, 124), (190, 186, 176), (96, 76, 60), (170, 150, 120))


@dataclass
class Scene:
    """What an image of the session can show besides its hidden value."""

    shop: str
    kind_key: str  # silhouette of the session's product
    colour: RGB  # the product's colour
    rng: random.Random
    given: dict = field(default_factory=dict)  # details the dialogue fixed (e.g. the damage's place)


def room(rng: random.Random, avoid: RGB | None = None) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A wall over a floor, with a small distractor; the wall keeps away from colour ``avoid``."""
    walls = [w for w in _WALLS if avoid is None or _distance(w, avoid) > 90] or list(_WALLS)
    img = Image.new("RGB", PHOTO_SIZE, jitter(rng, rng.choice(walls), 10))
    d = ImageDraw.Draw(img)
    horizon = rng.randint(110, 150)
    d.rectangle((0, horizon, PHOTO_SIZE[0], PHOTO_SIZE[1]), fill=jitter(rng, rng.choice(_FLOORS), 10))
    if rng.random() < 0.5:  # a picture frame or a socket on the wall
        x, y = rng.randint(4, 150), rng.randint(4, 30)
        d.rectangle((x, y, x + rng.randint(10, 22), y + rng.randint(8, 16)), outline=(90, 80, 70), width=2)
    return img, d


def _distance(a: RGB, b: RGB) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b)) ** 0.5


def _product_box(rng: random.Random, key: str, cx: float, cy: float, size: float):
    return fit_box(cx + rng.uniform(-8, 8), cy + rng.uniform(-8, 8), size * rng.uniform(0.88, 1.08), ASPECT[key])


def purchase_consultation(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """The product photographed in colour ``value`` (the colour fills most of the frame)."""
    colour = jitter(sc.rng, COLOURS[value], 10)
    img, d = room(sc.rng, avoid=colour)
    key = sc.kind_key if sc.kind_key != "tv" else "fridge"
    size = max(160.0, 110 * ASPECT[key])  # close up: wide products fill the frame's height, cropped at the sides
    box = fit_box(88 + sc.rng.uniform(-5, 5), 88 + sc.rng.uniform(-5, 5), size * sc.rng.uniform(0.95, 1.02), ASPECT[key])
    draw_product(d, key, box, colour)
    return img, {"kind_key": key}


def recommendation_comparison(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """Two products of kind ``value`` on two cards side by side (different colours), a red "VS" badge."""
    rng = sc.rng
    key = next(k.key for k in KINDS_BY_SHOP[sc.shop] if k.name == value)
    img, d = room(rng)
    names = rng.sample(list(COLOURS), 2)
    for x0, name in zip((2, 90), names):
        card = (200, 204, 210) if name == "白色" else jitter(rng, (248, 248, 246), 4)
        d.rectangle((x0, 8, x0 + 84, 168), fill=card)
        size = 80 if ASPECT[key] >= 1 else 150
        box = fit_box(x0 + 42 + rng.uniform(-3, 3), 88 + rng.uniform(-6, 6), size * rng.uniform(0.92, 1.0),
                      ASPECT[key])
        draw_product(d, key, box, jitter(rng, COLOURS[name], 8))
    r, cy = rng.uniform(9, 12), rng.uniform(20, 156)
    d.ellipse((88 - r, cy - r, 88 + r, cy + r), fill=(220, 40, 40))
    return img, {"colours": names}


def damaged_appearance(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """A close-up centred on damage ``value``; the product's corner in the frame shows where it is.

    The product surface fills the frame except two background strips along the edges of the corner
    that was photographed (``details["place"]``: 左上角 shows the background at the top and left).
    """
    rng = sc.rng
    surface = jitter(rng, sc.colour, 8)
    img = Image.new("RGB", PHOTO_SIZE, surface)
    d = ImageDraw.Draw(img)
    if sc.shop == "fx":  # fabric weave
        seam = shade(surface, 0.85) if luminance(surface) > 60 else mix(surface, (255, 255, 255), 0.15)
        for y in range(rng.randint(0, 8), 176, 9):
            d.line((0, y, 176, y), fill=seam, width=1)
    else:  # a glossy panel reflects a broad band of light
        o = rng.uniform(-20, 20)
        d.polygon([(100 + o, 0), (150 + o, 0), (50 + o, 176), (o, 176)], fill=mix(surface, (255, 255, 255), 0.3))
    place = sc.given.get("place") or rng.choice(PLACES)
    left, top = PLACES.index(place) % 2 == 0, PLACES.index(place) < 2
    walls = [w for w in _WALLS if _distance(w, surface) > 90] or list(_WALLS)
    wall = jitter(rng, rng.choice(walls), 10)
    sx, sy = rng.uniform(26, 38), rng.uniform(26, 38)
    d.rectangle((0, 0, sx, 176) if left else (176 - sx, 0, 176, 176), fill=wall)
    d.rectangle((0, 0, 176, sy) if top else (0, 176 - sy, 176, 176), fill=wall)
    cx, cy = 88 + rng.uniform(-8, 8), 88 + rng.uniform(-8, 8)
    r = rng.uniform(32, 38)
    _DAMAGE_DRAWERS[value](d, rng, cx, cy, r, surface)
    if rng.random() < 0.5:  # customers often circle the damage
        m = r * 1.3
        d.ellipse((cx - m, cy - m, cx + m, cy + m), outline=(235, 30, 30), width=3)
    return img, {"place": place}


def _scratch(d, rng, cx, cy, r, surface):
    ink = contrast_ink(surface)
    for k in range(rng.randint(4, 5)):
        o = (k - 2) * r * 0.3
        d.line((cx - r * 1.1 + o, cy + r, cx + r + o, cy - r * 1.1), fill=ink, width=4)


def _dent(d, rng, cx, cy, r, surface):
    d.ellipse((cx - r, cy - r * 0.7, cx + r, cy + r * 0.7), fill=shade(surface, 0.55) if luminance(surface) > 60
              else mix(surface, (255, 255, 255), 0.35))
    d.ellipse((cx - r * 0.7, cy - r * 0.45, cx + r * 0.85, cy + r * 0.6), fill=mix(surface, (255, 255, 255), 0.4))


def _crack(d, rng, cx, cy, r, surface):
    ink = contrast_ink(surface)
    x0, k = cx - r * 1.6, 8
    pts = [(x0 + i * r * 3.2 / k, cy + (r / 2.2 if i % 2 else -r / 2.2) + rng.uniform(-3, 3)) for i in range(k + 1)]
    d.line(pts, fill=ink, width=6, joint="curve")
    d.line((pts[4], (pts[4][0] + r / 3, pts[4][1] + r)), fill=ink, width=4)


def _chipped_paint(d, rng, cx, cy, r, surface):
    primer = (175, 176, 170) if luminance(surface) < 150 else (90, 92, 96)
    for _ in range(3):
        x, y, s = cx + rng.uniform(-r / 2, r / 2), cy + rng.uniform(-r / 2, r / 2), rng.uniform(r / 2.5, r / 1.6)
        d.polygon([(x - s, y), (x - s / 3, y - s), (x + s, y - s / 2), (x + s / 2, y + s), (x - s / 2, y + s / 1.5)],
                  fill=primer)


def _hole(d, rng, cx, cy, r, surface):
    d.ellipse((cx - r * 0.8, cy - r * 0.7, cx + r * 0.8, cy + r * 0.7), fill=(30, 24, 24) if luminance(surface) > 70
              else (226, 200, 176), outline=contrast_ink(surface), width=3)


def _seam(d, rng, cx, cy, r, surface):
    ink = contrast_ink(surface)
    d.ellipse((cx - r * 1.3, cy - r * 0.22, cx + r * 1.3, cy + r * 0.22), fill=shade(surface, 0.35)
              if luminance(surface) > 60 else (200, 196, 190))
    for k in range(9):
        x = cx - r * 1.4 + k * r * 0.35
        for y in (cy - r * 0.42, cy + r * 0.42):
            d.line((x, y, x + r * 0.18, y), fill=ink, width=4)
    d.arc((cx - r * 0.2, cy, cx + r * 0.6, cy + r * 1.0), 0, 270, fill=ink, width=3)


def _stain(d, rng, cx, cy, r, surface):
    stain = (120, 82, 40) if luminance(surface) > 90 else (214, 190, 120)
    for _ in range(4):
        x, y = cx + rng.uniform(-r / 3, r / 3), cy + rng.uniform(-r / 3, r / 3)
        s = rng.uniform(r / 2, r * 0.8)
        d.ellipse((x - s, y - s * 0.7, x + s, y + s * 0.7), fill=stain)


def _pilling(d, rng, cx, cy, r, surface):
    ink = mix(contrast_ink(surface), surface, 0.2)
    for _ in range(40):
        x, y = cx + rng.uniform(-r * 1.1, r * 1.1), cy + rng.uniform(-r * 1.1, r * 1.1)
        d.ellipse((x - 4, y - 4, x + 4, y + 4), fill=ink)


_DAMAGE_DRAWERS = dict(zip(DAMAGES["xjd"] + DAMAGES["fx"], (_scratch, _dent, _crack, _chipped_paint, _hole,
                                                             _seam, _stain, _pilling)))


def malfunction(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """The appliance's control panel: a dark display showing error code ``value`` in big glyphs."""
    rng = sc.rng
    panel = jitter(rng, sc.colour, 8)
    img = Image.new("RGB", PHOTO_SIZE, panel)
    d = ImageDraw.Draw(img)
    cx, cy = 88 + rng.uniform(-4, 4), 74 + rng.uniform(-4, 4)
    w, h = rng.uniform(148, 154), rng.uniform(90, 96)
    d.rounded_rectangle((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), radius=6, fill=(18, 20, 24),
                        outline=shade(panel, 0.6), width=2)
    lit = jitter(rng, (250, 72, 50), 12)  # red digital tubes
    seven_segment(d, value, (cx - w * 0.4, cy - h * 0.4, cx + w * 0.4, cy + h * 0.4), lit,
                  off=(30, 32, 36), gap=0.3, thickness=0.26)
    by = cy + h / 2 + rng.uniform(12, 22)
    for k in range(rng.randint(3, 5)):
        x = 26 + k * 32 + rng.uniform(-3, 3)
        d.ellipse((x - 7, by - 7, x + 7, by + 7), fill=shade(panel, 0.7), outline=shade(panel, 0.5))
    return img, {}


_BOX_COLOURS = {"xjd": (192, 152, 104), "fx": (238, 226, 230)}


def missing_items(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """An opened box with six compartments; the one for accessory ``value`` is empty (slot = item).

    Appliances come in a kraft carton, clothes in a light gift box, with the shop's own accessories.
    """
    rng = sc.rng
    items = ACCESSORIES[sc.shop]
    paper = jitter(rng, _BOX_COLOURS[sc.shop], 12)
    img = Image.new("RGB", PHOTO_SIZE, shade(paper, 0.8))
    d = ImageDraw.Draw(img)
    x0, y0 = rng.uniform(4, 12), rng.uniform(16, 30)
    cw, ch = rng.uniform(51, 54), rng.uniform(56, 60)
    for i, item in enumerate(items):
        col, row = i % 3, i // 3
        box = (x0 + col * cw, y0 + row * ch, x0 + (col + 1) * cw - 4, y0 + (row + 1) * ch - 4)
        d.rectangle(box, fill=paper, outline=shade(paper, 0.6), width=2)
        if item == value:
            d.rectangle(sub_box(box, 0.06, 0.06, 0.94, 0.94), fill=shade(paper, 0.42))
        else:
            _ACCESSORY_DRAWERS[item](d, sub_box(box, 0.15, 0.15, 0.85, 0.85), rng)
    return img, {}


def _remote(d, box, rng):
    d.rounded_rectangle(sub_box(box, 0.25, 0.0, 0.75, 1.0), radius=4, fill=(40, 40, 45))
    for v in (0.2, 0.45, 0.7):
        d.ellipse(sub_box(box, 0.42, v, 0.58, v + 0.12), fill=(200, 60, 60))


def _manual(d, box, rng):
    d.rectangle(sub_box(box, 0.05, 0.05, 0.95, 0.95), fill=(245, 245, 240), outline=(160, 160, 160))
    for v in (0.25, 0.45, 0.65):
        d.line(unit_points(box, [(0.2, v), (0.8, v)]), fill=(150, 150, 150), width=2)


def _inlet_hose(d, box, rng):
    d.ellipse(box, outline=(150, 155, 160), width=6)


def _drain_hose(d, box, rng):
    d.line(unit_points(box, [(0.0, 0.2), (0.5, 0.2), (0.5, 0.8), (1.0, 0.8)]), fill=(120, 125, 130), width=7)


def _screws(d, box, rng):
    d.rectangle(sub_box(box, 0.1, 0.2, 0.9, 0.9), fill=(220, 228, 232))
    for _ in range(6):
        x, y = rng.uniform(0.2, 0.8), rng.uniform(0.3, 0.8)
        d.ellipse(sub_box(box, x - 0.06, y - 0.06, x + 0.06, y + 0.06), fill=(110, 110, 115))


def _power_cord(d, box, rng):
    d.arc(box, 0, 330, fill=(25, 25, 28), width=5)
    d.line(unit_points(box, [(0.5, 0.5), (1.0, 1.0)]), fill=(25, 25, 28), width=4)


def _belt(d, box, rng):
    d.rectangle(sub_box(box, 0.0, 0.38, 1.0, 0.62), fill=(110, 70, 40))
    d.rectangle(sub_box(box, 0.62, 0.28, 0.8, 0.72), outline=(210, 180, 60), width=3)


def _tag(d, box, rng):
    d.polygon(unit_points(box, [(0.25, 0.2), (0.5, 0.0), (0.75, 0.2), (0.75, 1.0), (0.25, 1.0)]), fill=WHITE_TAG,
              outline=(120, 120, 120))
    d.ellipse(sub_box(box, 0.44, 0.12, 0.56, 0.24), fill=(60, 60, 60))
    d.line(unit_points(box, [(0.3, 0.6), (0.7, 0.6)]), fill=(200, 40, 40), width=3)


def _buttons(d, box, rng):
    for u, v in ((0.25, 0.3), (0.75, 0.3), (0.25, 0.75), (0.75, 0.75)):
        d.ellipse(sub_box(box, u - 0.18, v - 0.18, u + 0.18, v + 0.18), fill=(60, 60, 70))


def _laces(d, box, rng):
    for v in (0.3, 0.55, 0.8):
        d.line(unit_points(box, [(0.0, v), (0.3, v - 0.15), (0.6, v + 0.1), (1.0, v - 0.1)]), fill=(250, 250, 250),
               width=4, joint="curve")


def _dust_bag(d, box, rng):
    d.rectangle(sub_box(box, 0.1, 0.15, 0.9, 1.0), fill=(214, 196, 160))
    d.line(unit_points(box, [(0.1, 0.3), (0.9, 0.3)]), fill=(120, 90, 60), width=3)


def _socks(d, box, rng):
    d.polygon(unit_points(box, [(0.3, 0.0), (0.6, 0.0), (0.6, 0.65), (0.95, 0.75), (0.95, 1.0), (0.3, 1.0)]),
              fill=(90, 140, 210))


WHITE_TAG = (252, 252, 250)
_ACCESSORY_DRAWERS = dict(zip(ACCESSORIES["xjd"] + ACCESSORIES["fx"], (
    _remote, _manual, _inlet_hose, _drain_hose, _screws, _power_cord,
    _belt, _tag, _buttons, _laces, _dust_bag, _socks)))


def installation(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """The installed appliance: leaking, a broken wall beside it, loose pipes below it, or all fine."""
    rng = sc.rng
    img, d = room(rng, avoid=sc.colour)
    key = sc.kind_key
    size = 116 if ASPECT[key] >= 1 else 92
    box = _product_box(rng, key, 88, 58 if ASPECT[key] >= 1.5 else 74, size)
    if value == "墙面破损":  # plaster knocked out around the drill holes
        side = rng.choice((0, 1))
        for _ in range(3):
            x = rng.uniform(14, 44) if side == 0 else rng.uniform(132, 162)
            y, s = rng.uniform(20, 96), rng.uniform(16, 22)
            d.polygon([(x - s, y), (x - s / 3, y - s), (x + s, y - s / 2), (x + s / 2, y + s), (x - s / 2, y + s / 1.4)],
                      fill=(150, 84, 64), outline=(60, 50, 44))
            d.line([(x, y), (x + rng.uniform(-24, 24), y + 26), (x + rng.uniform(-30, 30), y + 44)], fill=(60, 50, 44),
                   width=3)
    draw_product(d, key, box, jitter(rng, sc.colour, 8))
    bottom = box[3]
    if value == "漏水":
        blue = jitter(rng, (60, 130, 230), 10)
        for _ in range(5):
            x, y = rng.uniform(box[0] + 10, box[2] - 10), rng.uniform(bottom + 4, 150)
            d.ellipse((x - 5, y - 7, x + 5, y + 7), fill=blue)
        d.ellipse((40, 148, 136, 174), fill=blue)
    elif value == "管线外露":
        for k in range(3):
            x = box[0] + (box[2] - box[0]) * (0.25 + 0.25 * k)
            d.line([(x, bottom), (x + rng.uniform(-20, 20), bottom + 30), (x + rng.uniform(-25, 25), 174)],
                   fill=rng.choice(((30, 30, 30), (80, 84, 92))), width=7, joint="curve")
    return img, {}


def user_screen(value: str, sc: Scene) -> tuple[Image.Image, dict]:
    """A photo of the television's screen showing fault ``value``."""
    rng = sc.rng
    img, d = room(rng)
    box = _product_box(rng, "tv", 88, 80, 156)
    draw_product(d, "tv", box, (30, 30, 34))
    screen = sub_box(box, 0.05, 0.07, 0.95, 0.79)
    x0, y0, x1, y1 = (int(v) for v in screen)
    if value == "黑屏":
        d.rectangle(screen, fill=(8, 8, 10))
        d.polygon([(x0 + 10, y0), (x0 + 30, y0), (x0 + 14, y1), (x0 - 6 + 10, y1)], fill=(40, 40, 46))
    elif value == "花屏":
        for y in range(y0, y1, 8):
            for x in range(x0, x1, 8):
                d.rectangle((x, y, min(x + 7, x1), min(y + 7, y1)), fill=(rng.randrange(256), rng.randrange(256),
                                                                          rng.randrange(256)))
    elif value == "无信号":
        d.rectangle(screen, fill=jitter(rng, (25, 70, 200), 10))
        d.rectangle(sub_box(screen, 0.3, 0.38, 0.7, 0.62), fill=(235, 235, 240))
    else:
        sky, ground = (110, 175, 235), (80, 170, 80)
        if value == "偏色":
            tint = rng.choice(((200, 40, 200), (40, 220, 60)))
            sky, ground = mix(sky, tint, 0.75), mix(ground, tint, 0.75)
        d.rectangle(screen, fill=sky)
        d.rectangle((x0, (y0 + y1) // 2 + 6, x1, y1), fill=ground)
        d.ellipse((x1 - 34, y0 + 6, x1 - 18, y0 + 22), fill=(250, 220, 80))
        if value == "竖线":
            for _ in range(rng.randint(5, 8)):
                x = rng.randint(x0 + 2, x1 - 4)
                d.rectangle((x, y0, x + 3, y1), fill=rng.choice(((250, 0, 250), (0, 250, 80), (255, 255, 255))))
    return img, {}


RENDERERS = {
    "photo_purchase_consultation": purchase_consultation,
    "photo_damaged_appearance": damaged_appearance,
    "photo_malfunction": malfunction,
    "photo_missing_items": missing_items,
    "photo_recommendation_comparison": recommendation_comparison,
    "photo_installation": installation,
    "photo_user_screen": user_screen,
}
