"""Render an image of any of the 15 categories and encode it as PNG bytes."""

from __future__ import annotations

import io

from PIL import Image

from mtdialog.data.synth import photos, screens
from mtdialog.data.synth.photos import Scene

RENDERERS = {**photos.RENDERERS, **screens.RENDERERS}


def render(category: str, value: str, scene: Scene) -> tuple[Image.Image, dict]:
    """The image of ``category`` showing hidden ``value``, and its secondary details."""
    return RENDERERS[category](value, scene)


def encode_png(image: Image.Image) -> bytes:
    """PNG bytes (deterministic for a given image and zlib)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()
