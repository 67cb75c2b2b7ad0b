"""Product silhouettes: one flat drawing per product kind, recognisable by outline and layout.

``draw_product(d, key, box, colour)`` fills ``box`` (whose aspect should be ``ASPECT[key]``) with the
product in ``colour``; details (doors, screens, seams) are drawn in shades of it.
"""

from __future__ import annotations

from PIL import ImageDraw

from mtdialog.data.synth.draw import RGB, Box, mix, shade, sub_box, unit_points

#: width / height of each kind's drawing
ASPECT = {
    "washer": 0.85, "fridge": 0.5, "aircon": 3.2, "tv": 1.6, "heater": 2.2, "hood": 1.25, "microwave": 1.6,
    "robot": 1.0, "coat": 0.72, "dress": 0.72, "sneaker": 2.0, "jeans": 0.62, "tshirt": 1.05,
    "hoodie": 0.9, "skirt": 1.1, "backpack": 0.75,
}
_DARK: RGB = (40, 42, 48)


def draw_product(d: ImageDraw.ImageDraw, key: str, box: Box, colour: RGB) -> None:
    """Draw the product ``key`` filling ``box`` in ``colour``."""
    edge = shade(colour, 0.55) if sum(colour) > 150 else mix(colour, (255, 255, 255), 0.35)
    detail = shade(colour, 0.75) if sum(colour) > 150 else mix(colour, (255, 255, 255), 0.25)
    w = max(1, int((box[2] - box[0]) / 40) + 1)
    _DRAWERS[key](d, box, colour, edge, detail, w)


def _washer(d, box, c, edge, detail, w):
    d.rounded_rectangle(box, radius=w * 2, fill=c, outline=edge, width=w)
    d.rectangle(sub_box(box, 0.0, 0.0, 1.0, 0.17), fill=detail)
    d.ellipse(sub_box(box, 0.12, 0.28, 0.88, 0.92), fill=(90, 92, 100), outline=edge, width=w)
    d.ellipse(sub_box(box, 0.24, 0.38, 0.76, 0.82), fill=(60, 75, 100))


def _fridge(d, box, c, edge, detail, w):
    d.rounded_rectangle(box, radius=w * 2, fill=c, outline=edge, width=w)
    d.line(unit_points(box, [(0.0, 0.36), (1.0, 0.36)]), fill=edge, width=w + 1)
    d.rectangle(sub_box(box, 0.1, 0.1, 0.18, 0.3), fill=edge)
    d.rectangle(sub_box(box, 0.1, 0.42, 0.18, 0.62), fill=edge)


def _aircon(d, box, c, edge, detail, w):
    d.rounded_rectangle(box, radius=w * 3, fill=c, outline=edge, width=w)
    d.rectangle(sub_box(box, 0.04, 0.68, 0.96, 0.86), fill=_DARK)
    d.line(unit_points(box, [(0.06, 0.77), (0.94, 0.77)]), fill=detail, width=w)
    d.ellipse(sub_box(box, 0.86, 0.2, 0.9, 0.34), fill=(60, 200, 120))


def _tv(d, box, c, edge, detail, w):
    d.rectangle(sub_box(box, 0.0, 0.0, 1.0, 0.86), fill=c, outline=edge, width=w)
    d.rectangle(sub_box(box, 0.05, 0.07, 0.95, 0.79), fill=(22, 24, 30))
    d.polygon(unit_points(box, [(0.42, 0.86), (0.58, 0.86), (0.66, 1.0), (0.34, 1.0)]), fill=edge)


def _heater(d, box, c, edge, detail, w):
    r = (box[3] - box[1]) / 2
    d.rounded_rectangle(sub_box(box, 0.0, 0.0, 1.0, 0.82), radius=r * 0.8, fill=c, outline=edge, width=w)
    d.ellipse(sub_box(box, 0.66, 0.2, 0.84, 0.62), fill=detail, outline=edge, width=w)
    d.rectangle(sub_box(box, 0.3, 0.82, 0.36, 1.0), fill=(150, 150, 155))
    d.rectangle(sub_box(box, 0.64, 0.82, 0.7, 1.0), fill=(150, 150, 155))


def _hood(d, box, c, edge, detail, w):
    d.rectangle(sub_box(box, 0.36, 0.0, 0.64, 0.48), fill=c, outline=edge, width=w)
    d.polygon(unit_points(box, [(0.18, 0.45), (0.82, 0.45), (1.0, 0.88), (0.0, 0.88)]), fill=c, outline=edge)
    d.rectangle(sub_box(box, 0.0, 0.86, 1.0, 1.0), fill=_DARK)


def _microwave(d, box, c, edge, detail, w):
    d.rounded_rectangle(box, radius=w * 2, fill=c, outline=edge, width=w)
    d.rectangle(sub_box(box, 0.06, 0.12, 0.68, 0.88), fill=(35, 38, 45))
    for v in (0.25, 0.45, 0.65):
        d.ellipse(sub_box(box, 0.78, v, 0.88, v + 0.13), fill=edge)


def _robot(d, box, c, edge, detail, w):
    d.ellipse(box, fill=c, outline=edge, width=w)
    d.ellipse(sub_box(box, 0.12, 0.12, 0.88, 0.88), outline=detail, width=w)
    d.ellipse(sub_box(box, 0.38, 0.18, 0.62, 0.42), fill=_DARK)
    d.arc(sub_box(box, 0.03, 0.03, 0.97, 0.97), 200, 340, fill=_DARK, width=w * 2)


def _coat(d, box, c, edge, detail, w):
    body = [(0.3, 0.0), (0.7, 0.0), (0.88, 0.08), (1.0, 0.78), (0.87, 0.8), (0.8, 0.35), (0.82, 1.0),
            (0.18, 1.0), (0.2, 0.35), (0.13, 0.8), (0.0, 0.78), (0.12, 0.08)]
    d.polygon(unit_points(box, body), fill=c, outline=edge)
    d.polygon(unit_points(box, [(0.38, 0.0), (0.5, 0.22), (0.62, 0.0)]), fill=detail)
    d.line(unit_points(box, [(0.5, 0.22), (0.5, 1.0)]), fill=edge, width=w)
    d.rectangle(sub_box(box, 0.19, 0.5, 0.81, 0.55), fill=edge)


def _dress(d, box, c, edge, detail, w):
    d.line(unit_points(box, [(0.36, 0.0), (0.38, 0.12)]), fill=edge, width=w)
    d.line(unit_points(box, [(0.64, 0.0), (0.62, 0.12)]), fill=edge, width=w)
    d.polygon(unit_points(box, [(0.33, 0.1), (0.67, 0.1), (0.64, 0.4), (1.0, 1.0), (0.0, 1.0), (0.36, 0.4)]),
              fill=c, outline=edge)
    d.rectangle(sub_box(box, 0.35, 0.38, 0.65, 0.44), fill=detail)


def _sneaker(d, box, c, edge, detail, w):
    d.polygon(unit_points(box, [(0.0, 0.45), (0.15, 0.1), (0.4, 0.0), (0.55, 0.3), (0.85, 0.45),
                                (1.0, 0.65), (1.0, 0.82), (0.0, 0.82)]), fill=c, outline=edge)
    d.rectangle(sub_box(box, 0.0, 0.8, 1.0, 1.0), fill=(240, 240, 236), outline=edge)
    for u in (0.3, 0.4, 0.5):
        d.line(unit_points(box, [(u, 0.18 + (u - 0.3)), (u + 0.08, 0.3 + (u - 0.3))]), fill=edge, width=w)


def _jeans(d, box, c, edge, detail, w):
    d.rectangle(sub_box(box, 0.0, 0.0, 1.0, 0.1), fill=detail, outline=edge)
    d.polygon(unit_points(box, [(0.0, 0.1), (0.5, 0.1), (0.5, 0.3), (0.46, 1.0), (0.06, 1.0)]), fill=c,
              outline=edge)
    d.polygon(unit_points(box, [(0.5, 0.1), (1.0, 0.1), (0.94, 1.0), (0.54, 1.0), (0.5, 0.3)]), fill=c,
              outline=edge)


def _tshirt(d, box, c, edge, detail, w):
    pts = [(0.32, 0.0), (0.68, 0.0), (1.0, 0.18), (0.88, 0.38), (0.76, 0.3), (0.76, 1.0), (0.24, 1.0),
           (0.24, 0.3), (0.12, 0.38), (0.0, 0.18)]
    d.polygon(unit_points(box, pts), fill=c, outline=edge)
    d.arc(sub_box(box, 0.38, -0.12, 0.62, 0.12), 0, 180, fill=edge, width=w)


def _hoodie(d, box, c, edge, detail, w):
    pts = [(0.28, 0.12), (0.72, 0.12), (0.95, 0.25), (1.0, 0.92), (0.86, 0.92), (0.8, 0.42), (0.8, 1.0),
           (0.2, 1.0), (0.2, 0.42), (0.14, 0.92), (0.0, 0.92), (0.05, 0.25)]
    d.polygon(unit_points(box, pts), fill=c, outline=edge)
    d.ellipse(sub_box(box, 0.26, -0.02, 0.74, 0.34), fill=edge)  # the hood, its inside in shadow
    d.ellipse(sub_box(box, 0.34, 0.04, 0.66, 0.3), fill=shade(edge, 0.6))
    for u in (0.44, 0.56):  # drawstrings
        d.line(unit_points(box, [(u, 0.3), (u, 0.46)]), fill=edge, width=w)
    d.rectangle(sub_box(box, 0.28, 0.6, 0.72, 0.84), fill=edge)


def _skirt(d, box, c, edge, detail, w):
    d.rectangle(sub_box(box, 0.26, 0.0, 0.74, 0.12), fill=detail, outline=edge)
    d.polygon(unit_points(box, [(0.26, 0.12), (0.74, 0.12), (1.0, 1.0), (0.0, 1.0)]), fill=c, outline=edge)
    for u in (0.35, 0.5, 0.65):
        d.line(unit_points(box, [(u, 0.14), (0.5 + (u - 0.5) * 2.2, 0.98)]), fill=detail, width=w)


def _backpack(d, box, c, edge, detail, w):
    d.arc(sub_box(box, 0.3, -0.05, 0.7, 0.2), 180, 360, fill=edge, width=w + 1)
    d.rounded_rectangle(sub_box(box, 0.0, 0.08, 1.0, 1.0), radius=(box[2] - box[0]) * 0.25, fill=c,
                        outline=edge, width=w)
    d.rounded_rectangle(sub_box(box, 0.18, 0.55, 0.82, 0.92), radius=w * 3, fill=detail, outline=edge)
    d.line(unit_points(box, [(0.2, 0.55), (0.8, 0.55)]), fill=edge, width=w)


_DRAWERS = {
    "washer": _washer, "fridge": _fridge, "aircon": _aircon, "tv": _tv, "heater": _heater, "hood": _hood,
    "microwave": _microwave, "robot": _robot, "coat": _coat, "dress": _dress, "sneaker": _sneaker,
    "jeans": _jeans, "tshirt": _tshirt, "hoodie": _hoodie, "skirt": _skirt, "backpack": _backpack,
}
