"""Images of a native corpus: loading as RGB, explicit placeholders, and a full-decode check.

:func:`image_loader` is the one way to load images by id, for training, evaluation and prediction
alike: from a corpus (or a session file read as one, ``Corpus.from_file``) or an image directory,
through one directory listing. A corpus opened with ``images="placeholder"`` keeps going when an
image is missing or cannot be decoded: :func:`load_image` then returns :func:`placeholder_image`
(mid-grey with a red cross, marked in ``Image.info``) and records the problem on the corpus, so
nothing is replaced silently.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageDraw, UnidentifiedImageError
from tqdm import tqdm

from mtdialog.data.native import Corpus
from mtdialog.data.schema import DataError

#: ``load(image_id) -> PIL RGB image``.
ImageLoader = Callable[[str], Image.Image]
PLACEHOLDER_SIZE = (224, 224)
PLACEHOLDER_KEY = "mtdialog_placeholder"
_BATCH = 512  # images in flight at once
#: The most pixels an image may have, checked from its header before it is decoded (a small file can
#: declare a huge image: a decompression bomb). 50 million is a 7,000 x 7,000 photo; the vision
#: encoder sees 224 x 224.
MAX_IMAGE_PIXELS = 50_000_000
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


def placeholder_image(image_id: str = "", size: tuple[int, int] = PLACEHOLDER_SIZE) -> Image.Image:
    """A recognisable stand-in for an image that is not there: grey, red border and cross.

    ``image.info[PLACEHOLDER_KEY]`` holds the id it stands for; see :func:`is_placeholder`.
    """
    image = Image.new("RGB", size, (128, 128, 128))
    draw = ImageDraw.Draw(image)
    w, h = size
    red = (220, 0, 0)
    draw.rectangle((0, 0, w - 1, h - 1), outline=red, width=max(1, min(w, h) // 32))
    draw.line((0, 0, w - 1, h - 1), fill=red, width=max(1, min(w, h) // 32))
    draw.line((0, h - 1, w - 1, 0), fill=red, width=max(1, min(w, h) // 32))
    image.info[PLACEHOLDER_KEY] = image_id
    return image


def is_placeholder(image: Image.Image) -> bool:
    """Whether ``image`` came from :func:`placeholder_image` (kept by ``copy()``, not by transforms)."""
    return PLACEHOLDER_KEY in image.info


def open_image(source: str | Path | BinaryIO, *, max_pixels: int = MAX_IMAGE_PIXELS,
               formats: Collection[str] | None = None) -> Image.Image:
    """Fully decode the image file at ``source`` (a path, or an open binary file) as RGB; an unreadable
    file, one of more than ``max_pixels`` pixels (checked before decoding) or, when ``formats`` are given
    (Pillow's names: ``JPEG``, ``PNG``, ...), one in another format is a :class:`DataError`."""
    path = str(source) if isinstance(source, (str, Path)) else None
    try:
        with Image.open(source) as image:
            if formats is not None and image.format not in formats:
                raise DataError(f"image format {image.format} is not accepted (accepted: {', '.join(formats)})",
                                path=path, field="image")
            width, height = image.size
            if width * height > max_pixels:
                setting = " (MAX_IMAGE_PIXELS)" if max_pixels == MAX_IMAGE_PIXELS else ""
                raise DataError(f"image of {width:,} x {height:,} pixels, more than the {max_pixels:,} "
                                f"accepted{setting}", path=path, field="image")
            image.load()
            return image.convert("RGB")
    except DataError:
        raise
    except UnidentifiedImageError:
        raise DataError("cannot decode image: not an image file of a format Pillow reads", path=path,
                        field="image") from None
    except _DECODE_ERRORS as e:
        raise DataError(f"cannot decode image: {e}", path=path, field="image") from None


def load_image(corpus: Corpus, image_id: str) -> Image.Image:
    """The image ``image_id`` of ``corpus`` as a PIL RGB image.

    A missing or undecodable file raises :class:`DataError`, except in the corpus's ``placeholder``
    mode, where the problem is recorded (``corpus.image_problems``) and a placeholder is returned.
    """
    path = corpus.image_path(image_id)
    try:
        if path is None:
            raise DataError(f"image {image_id!r} has no file", path=str(corpus.images_dir), field="image")
        return open_image(path)
    except DataError as e:
        if path is not None:
            corpus.unreadable_images.setdefault(image_id, e)
        if corpus.images != "placeholder":
            raise
        corpus.image_problems.setdefault(image_id, e)
        return placeholder_image(image_id)


def image_loader(source: Corpus | str | Path) -> ImageLoader:
    """Images by id from a corpus (its placeholder mode applies) or from a directory of
    ``<image id>.<ext>`` files; a missing or undecodable image is a :class:`DataError`."""
    corpus = source if isinstance(source, Corpus) else Corpus.images_in(source)
    return lambda image_id: load_image(corpus, image_id)


def _decode(path: Path) -> DataError | None:
    try:
        open_image(path)
    except DataError as e:
        return e
    return None


def check_images(corpus: Corpus, *, workers: int | None = None, progress: bool = False) -> dict[str, DataError]:
    """Decode every file under ``images/``; returns (and records in ``corpus.unreadable_images``) the
    files that fail, by image id. Decoding runs in ``workers`` threads (Pillow releases the GIL)."""
    index = corpus.image_index
    errors: dict[str, DataError] = {}
    ids = list(index)
    with ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 1)) as pool, \
            tqdm(total=len(ids), desc="decoding images", unit="img", disable=not progress) as bar:
        for start in range(0, len(ids), _BATCH):
            batch = ids[start:start + _BATCH]
            for image_id, error in zip(batch, pool.map(_decode, [corpus.images_dir / index[i] for i in batch])):
                if error is not None:
                    errors[image_id] = error
            bar.update(len(batch))
    corpus.unreadable_images.update(errors)
    return errors
