"""The model behind ``mtdialog serve``: loaded once, answering one request at a time.

:class:`PredictionService` answers a checked request exactly as ``mtdialog predict`` answers the
same session in a file (the same pipeline, the same record). Requests are answered one after the
other on one thread of their own (a request that waits longer than the service's timeout gets a
503), so no two share the model's or the pipeline's state. Uploaded images live in an :class:`ImageStore`, named by their content.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from PIL import Image

from mtdialog.data.images import open_image
from mtdialog.data.native import read_kb
from mtdialog.report.arcs import arcs_svg
from mtdialog.report.gallery import edu_labels
from mtdialog.serve.requests import IMAGE_ID, Limits, PredictRequest, RequestError, check_image_id


class ImageStore:
    """Uploaded images: ``<sha256 prefix>.<format>`` files in one directory, found through an index of
    that directory (an id never becomes a path by itself)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._files = {p.stem: p.name for p in self.root.iterdir() if p.is_file() and IMAGE_ID.match(p.stem)}
        self._lock = threading.Lock()

    def add(self, data: bytes, image: Image.Image) -> str:
        """Store ``data`` (already decoded as ``image``); returns its id, the same for the same bytes."""
        image_id = "u" + hashlib.sha256(data).hexdigest()[:31]
        with self._lock:
            if image_id not in self._files:
                name = f"{image_id}.{(image.format or 'img').lower()}"
                (self.root / name).write_bytes(data)
                self._files[image_id] = name
        return image_id

    def path(self, image_id: str) -> Path | None:
        """The file of an uploaded image, ``None`` when no upload has that id."""
        name = self._files.get(image_id)
        return None if name is None else self.root / name

    def __len__(self) -> int:
        return len(self._files)


class PredictionService:
    """A checkpoint answering requests: ``predict`` gives ``mtdialog predict``'s record of a session."""

    def __init__(self, checkpoint: str | Path, *, storage: str | Path | None = None, kb: str | Path | None = None,
                 num_beams: int = 4, batch_size: int = 16, dtype: str = "float32", limits: Limits | None = None):
        from mtdialog.inference_cli import load_model
        from mtdialog.pipeline import DialoguePipeline

        self.checkpoint, self.limits = str(checkpoint), limits or Limits()
        model, tokenizer = load_model(Path(checkpoint), dtype)
        self.tasks: list[str] = list(model.config.tasks)
        self.text_only = bool(model.text_only)
        self._storage = tempfile.TemporaryDirectory(prefix="mtdialog-serve-") if storage is None else None
        self.store = ImageStore(storage if storage is not None else self._storage.name)
        self._images: dict[str, Image.Image] = {}  # the images of the request being answered
        self.pipe = DialoguePipeline(model, tokenizer, None if self.text_only else self._image, num_beams=num_beams,
                                     batch_size=batch_size, kb=read_kb(kb) if kb is not None else {})
        # one thread runs the model: requests are answered one at a time, and torch's thread pool is made
        # once (each thread that calls torch gets a pool of its own, which then competes for the cores)
        self._model_thread = ThreadPoolExecutor(1, thread_name_prefix="mtdialog-model")

    def _image(self, image_id: str) -> Image.Image:
        return self._images[image_id].copy()

    def upload(self, data: bytes, image: Image.Image) -> str:
        return self.store.add(data, image)

    def resolve_images(self, request: PredictRequest) -> dict[str, Image.Image]:
        """Every image the session shows, from the request or from the uploads (422 naming the turn when
        neither has it); images sent but not shown are an error too, not dropped in silence."""
        shown = set()
        images = dict(request.images)
        for i, turn in enumerate(request.session.turns):
            for j, image_id in enumerate(turn.images):
                field = f"session.turns[{i}].images[{j}]"
                check_image_id(image_id, field)
                shown.add(image_id)
                if image_id in images or self.text_only:
                    continue
                path = self.store.path(image_id)
                if path is None:
                    raise RequestError(422, f"image {image_id!r} was neither sent with the request (images) nor "
                                            "uploaded (POST /v1/images)", field)
                images[image_id] = open_image(path)
        for image_id in request.images:
            if image_id not in shown:
                raise RequestError(422, "image sent but shown in no turn", f"images.{image_id}")
        return images

    def predict(self, request: PredictRequest) -> dict[str, Any]:
        """The prediction record of the request's session (``mtdialog predict``'s line for it), answered on
        the model's thread; a 503 when the answer does not come within the timeout."""
        answer = self._model_thread.submit(self._answer, request, self.resolve_images(request))
        try:
            return answer.result(timeout=self.limits.timeout_s)
        except FutureTimeout:
            answer.cancel()  # still queued: never run
            raise RequestError(503, f"the model is busy: no answer within {self.limits.timeout_s:g} s, "
                                    "try again") from None

    def _answer(self, request: PredictRequest, images: dict[str, Image.Image]) -> dict[str, Any]:
        self._images = images
        try:
            return self.pipe([request.session], tasks=request.tasks or self.tasks)[0].to_dict()
        finally:
            self._images = {}

    def chat(self, request: PredictRequest) -> dict[str, Any]:
        """The chat page's answer: the prediction record, the session's EDUs and its parse drawn."""
        record = self.predict(request)
        labels = edu_labels(request.session)
        svg = None
        if "discourse" in record:
            from mtdialog.data.schema import Relation

            svg = arcs_svg(labels, [Relation(**r) for r in record["discourse"]], title="discourse (predicted)")
        return {"prediction": record, "edus": labels, "discourse_svg": svg}
