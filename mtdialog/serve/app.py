"""The HTTP service of ``mtdialog serve`` (FastAPI): predictions, image uploads, health, and a chat page.

Endpoints:

* ``POST /v1/predict``: a session in the native JSON shape, as JSON (the session record itself, or
  ``{"session", "images": {id: base64}, "tasks"}``) or as multipart form data (a ``session`` field
  holding the JSON, image files named ``<image id>.<ext>``, an optional ``tasks`` field of names
  separated by spaces); returns exactly the record ``mtdialog predict`` writes for the session.
* ``POST /v1/images``: upload one image (multipart field ``image``); returns its ``id``, which later
  sessions may show without sending it again.
* ``POST /v1/chat``: as ``/v1/predict``, plus the session's EDUs and its predicted parse drawn as SVG
  (what the chat page shows).
* ``GET /healthz``, ``GET /`` (the chat page), ``GET /docs`` and ``GET /openapi.json``.

Every error is JSON ``{"detail", "field"}`` with a 4xx status (503 when the model stays busy past the
timeout); a body over ``max_body_bytes`` is refused while it arrives (413).
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from mtdialog import __version__
from mtdialog.serve.requests import (
    IMAGE_ID,
    PredictRequest,
    RequestError,
    check_image_id,
    decode_image,
    json_request,
    parse_json,
    parse_session,
    parse_tasks,
)
from mtdialog.serve.service import PredictionService

log = logging.getLogger("mtdialog.serve")

_SESSION_SCHEMA = {"type": "object", "description": "a session record in the native shape (docs/data-format.md)",
                   "required": ["session_id", "shop", "product_id", "turns"]}
_PREDICT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"oneOf": [_SESSION_SCHEMA, {
        "type": "object", "required": ["session"], "properties": {
            "session": _SESSION_SCHEMA,
            "images": {"type": "object", "additionalProperties": {"type": "string", "format": "byte"},
                       "description": "base64 image files by image id"},
            "tasks": {"type": "array", "items": {"type": "string"}}}}]}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["session"], "properties": {
        "session": {"type": "string", "description": "the session record as JSON"},
        "tasks": {"type": "string", "description": "task names separated by spaces"},
        "images": {"type": "array", "items": {"type": "string", "format": "binary"},
                   "description": "image files named <image id>.<ext>"}}}}}}}
_IMAGE_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["image"], "properties": {"image": {"type": "string", "format": "binary"}}}}}}}


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is refused with 413, by its Content-Length
    before it is read, or as soon as the bytes received pass the limit."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await self._refuse(send)
        received, started = 0, False

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send) -> None:
        error = RequestError(413, f"the body is larger than the {self.limit:,} bytes a request may have", "body")
        await JSONResponse(error.to_dict(), status_code=413)({"type": "http"}, None, send)


class _TooLarge(Exception):
    """Raised inside the application when the bytes received pass the body limit."""


def create_app(service: PredictionService) -> FastAPI:
    """The FastAPI application answering with ``service``."""
    limits = service.limits
    app = FastAPI(title="mtdialog", version=__version__,
                  description="Every JDDC 2.1 task's answer for a customer-service session, from one model: "
                              f"{service.checkpoint} ({', '.join(service.tasks)}).")

    @app.exception_handler(RequestError)
    async def request_error(request: Request, error: RequestError) -> JSONResponse:
        return JSONResponse(error.to_dict(), status_code=error.status)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> JSONResponse:
        log.exception("error answering %s %s", request.method, request.url.path)
        return JSONResponse({"detail": f"internal error ({type(error).__name__}); the service log has the details",
                             "field": None}, status_code=500)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse({"detail": error.detail, "field": None}, status_code=error.status_code)

    async def read_request(request: Request) -> PredictRequest:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            record, sent, tasks = json_request(parse_json(await request.body()), limits)
        elif kind == "multipart/form-data":
            record, sent, tasks = await _multipart(request)
        else:
            raise RequestError(415, f"content type {kind or 'none'!r}: send application/json or multipart/form-data",
                               "content-type")
        session = parse_session(record, limits)
        images = {image_id: decode_image(data, f"images.{image_id}", limits) for image_id, data in sent.items()}
        return PredictRequest(session, images, parse_tasks(tasks, service.tasks))

    async def _multipart(request: Request) -> tuple[Any, dict[str, bytes], Any]:
        form = await _form(request)
        if "session" not in form or not isinstance(form["session"], str):
            raise RequestError(422, "missing: the session record as JSON text", "session")
        sent: dict[str, bytes] = {}
        for key, value in form.multi_items():
            if key in ("session", "tasks"):
                continue
            if not isinstance(value, UploadFile):
                raise RequestError(422, "unknown form field (allowed: session, tasks, and image files)", key)
            name = value.filename or ""
            image_id = check_image_id(name.rsplit(".", 1)[0] if "." in name else name, f"{key} (file {name!r})")
            sent[image_id] = await value.read()
        tasks = form.get("tasks")
        return parse_json(form["session"].encode("utf-8")), sent, tasks.split() if isinstance(tasks, str) else None

    async def _form(request: Request):
        try:
            return await request.form(max_files=limits.max_images, max_fields=limits.max_images + 4,
                                      max_part_size=limits.max_body_bytes)
        except HTTPException as e:  # python-multipart's limits and malformed bodies
            raise RequestError(413 if "Too many" in str(e.detail) else 400, str(e.detail), "body") from None

    @app.post("/v1/predict", openapi_extra=_PREDICT_BODY,
              summary="every task's answer for a session (mtdialog predict's record)")
    async def predict(request: Request) -> JSONResponse:
        checked = await read_request(request)
        return JSONResponse(await run_in_threadpool(service.predict, checked))

    @app.post("/v1/chat", openapi_extra=_PREDICT_BODY,
              summary="as /v1/predict, plus the EDUs and the predicted parse drawn (the chat page's call)")
    async def chat(request: Request) -> JSONResponse:
        checked = await read_request(request)
        return JSONResponse(await run_in_threadpool(service.chat, checked))

    @app.post("/v1/images", openapi_extra=_IMAGE_BODY, summary="upload an image; returns its id")
    async def upload(request: Request) -> JSONResponse:
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != "multipart/form-data":
            raise RequestError(415, "send the image as multipart/form-data (field 'image')", "content-type")
        form = await _form(request)
        image = form.get("image")
        if not isinstance(image, UploadFile):
            raise RequestError(422, "missing: an image file", "image")
        data = await image.read()
        decoded = decode_image(data, "image", limits)
        image_id = await run_in_threadpool(service.upload, data, decoded)
        return JSONResponse({"id": image_id, "width": decoded.width, "height": decoded.height})

    @app.get("/healthz", summary="whether the model is loaded, and what it answers")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "checkpoint": service.checkpoint, "tasks": service.tasks,
                "text_only": service.text_only, "uploaded_images": len(service.store),
                "limits": vars(limits), "image_id": IMAGE_ID.pattern}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def chat_page() -> HTMLResponse:
        return HTMLResponse(resources.files("mtdialog.serve").joinpath("chat.html").read_text(encoding="utf-8"))

    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    return app
