"""What ``mtdialog serve`` accepts: a request's session and images, checked against the service's limits.

Every problem is a :class:`RequestError`: an HTTP status (4xx) and a message naming the field
(``session.turns[2].speaker``, ``images.photo1``), never a traceback. Image ids are names, never
paths: letters, digits, ``_``, ``-`` and ``.``, not starting with ``.``
(:data:`IMAGE_ID`), so no id can reach outside the service's image storage.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image

from mtdialog.data.images import open_image
from mtdialog.data.schema import DataError, Session, type_name

IMAGE_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")
#: Image formats a request may carry (Pillow's names).
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
#: Top-level fields of a JSON request (``session`` may also be the body itself).
FIELDS = ("session", "images", "tasks")


@dataclass(frozen=True)
class Limits:
    """What one request may hold, and how long it may wait for the model."""

    max_body_bytes: int = 16 * 2**20
    max_turns: int = 100
    max_images: int = 10
    max_image_bytes: int = 8 * 2**20
    max_image_pixels: int = 25_000_000
    max_text_chars: int = 2_000
    timeout_s: float = 120.0


class RequestError(Exception):
    """A request the service cannot answer: ``status`` (4xx, or 503 when busy), a message, the field."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(f"{field}: {message}" if field else message)
        self.status, self.message, self.field = status, message, field

    def to_dict(self) -> dict[str, Any]:
        return {"detail": str(self), "field": self.field}


@dataclass
class PredictRequest:
    """A checked request: the session, its images decoded (by id, those sent with it) and the tasks asked."""

    session: Session
    images: dict[str, Image.Image]
    tasks: list[str] | None


def check_image_id(image_id: Any, field: str) -> str:
    """``image_id`` if it is a plain name (:data:`IMAGE_ID`), else a 422 naming ``field``."""
    if not isinstance(image_id, str) or not IMAGE_ID.match(image_id):
        raise RequestError(422, f"image id {image_id!r} is not allowed: up to 128 letters, digits, '_', '-' "
                                "or '.', not starting with '.' (an id names an image, never a path)", field)
    return image_id


def decode_image(data: bytes, field: str, limits: Limits) -> Image.Image:
    """The image in ``data``: 413 when over ``max_image_bytes`` or ``max_image_pixels``, 415 when it is not
    an image of an accepted format."""
    if len(data) > limits.max_image_bytes:
        raise RequestError(413, f"{len(data):,} bytes, more than the {limits.max_image_bytes:,} bytes an image may have",
                           field)
    if not data:
        raise RequestError(415, "empty image", field)
    try:
        return open_image(io.BytesIO(data), max_pixels=limits.max_image_pixels, formats=IMAGE_FORMATS)
    except DataError as e:
        raise RequestError(413 if "pixels" in e.message else 415, e.message, field) from None


def parse_json(body: bytes) -> Any:
    """The JSON value of a request body (400 when it is not JSON in UTF-8)."""
    if not body.strip():
        raise RequestError(400, "empty body: expected a JSON object", "body")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise RequestError(400, "the body is not UTF-8 text", "body") from None
    except json.JSONDecodeError as e:
        raise RequestError(400, f"invalid JSON: {e.msg} (line {e.lineno}, column {e.colno})", "body") from None


def json_request(value: Any, limits: Limits) -> tuple[Any, dict[str, bytes], Any]:
    """``(session record, {image id: bytes}, tasks)`` of a JSON body: ``{"session", "images", "tasks"}``
    (``images``: base64 by id), or a bare session record."""
    if not isinstance(value, dict):
        raise RequestError(422, f"expected a JSON object, got {type_name(value)}", "body")
    if "session" not in value:
        return value, {}, None  # a bare session record
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise RequestError(422, f"unknown field (allowed: {', '.join(FIELDS)})", unknown[0])
    images = value.get("images", {})
    if not isinstance(images, dict):
        raise RequestError(422, f"expected an object of base64 images by id, got {type_name(images)}", "images")
    if len(images) > limits.max_images:
        raise RequestError(413, f"{len(images)} images, more than the {limits.max_images} a request may have",
                           "images")
    decoded = {}
    for image_id, text in images.items():
        field = f"images.{image_id}"
        check_image_id(image_id, field)
        if not isinstance(text, str):
            raise RequestError(422, f"expected a base64 string, got {type_name(text)}", field)
        if len(text) > limits.max_image_bytes * 4 // 3 + 4:
            raise RequestError(413, f"more than the {limits.max_image_bytes:,} bytes an image may have", field)
        try:
            decoded[image_id] = base64.b64decode(text.split(",", 1)[-1] if text.startswith("data:") else text,
                                                 validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(422, "not valid base64", field) from None
    return value["session"], decoded, value.get("tasks")


def parse_session(record: Any, limits: Limits) -> Session:
    """The session of ``record`` (native shape, as ``mtdialog predict`` reads it), within the limits."""
    if not isinstance(record, dict):
        raise RequestError(422, f"a session must be a JSON object, got {type_name(record)}", "session")
    turns = record.get("turns")
    if isinstance(turns, list) and len(turns) > limits.max_turns:
        raise RequestError(413, f"{len(turns)} turns, more than the {limits.max_turns} a request may have",
                           "session.turns")
    try:
        session = Session.from_dict(record)
    except DataError as e:
        raise RequestError(422, e.message, f"session.{e.field}" if e.field else "session") from None
    for i, turn in enumerate(session.turns):
        if len(turn.text) > limits.max_text_chars:
            raise RequestError(413, f"{len(turn.text):,} characters, more than the {limits.max_text_chars:,} a "
                                    "turn may have", f"session.turns[{i}].text")
    if len(session.image_ids()) > limits.max_images:
        raise RequestError(413, f"{len(session.image_ids())} images, more than the {limits.max_images} a session "
                                "may have", "session.turns")
    for i, turn in enumerate(session.turns):
        for j, image_id in enumerate(turn.images):
            check_image_id(image_id, f"session.turns[{i}].images[{j}]")
    return session


def parse_tasks(value: Any, known: list[str]) -> list[str] | None:
    """The tasks asked for (``None``: every task of the model), each one the model answers."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(t, str) for t in value):
        raise RequestError(422, "expected a non-empty list of task names", "tasks")
    unknown = [t for t in value if t not in known]
    if unknown:
        raise RequestError(422, f"the model does not answer {', '.join(map(repr, unknown))} (its tasks: "
                                f"{', '.join(known)})", "tasks")
    return [t for t in known if t in value]
