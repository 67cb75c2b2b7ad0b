"""The report's gallery: test sessions answered by a checkpoint, every task's answer beside its gold.

Each task's annotated examples of a session (``Task.examples``) are predicted as ``mtdialog evaluate``
predicts them; an answer about a turn (a response, a rewrite, an image's category) is shown under
that turn, an answer about the whole session (a summary) after the dialogue, and a discourse parse
is drawn, gold beside predicted, by :func:`mtdialog.report.arcs.arcs_svg`.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

from mtdialog.data.images import ImageLoader
from mtdialog.data.schema import DataError, Session
from mtdialog.report.arcs import arcs_svg
from mtdialog.tasks import get_tasks

THUMBNAIL = 160  # px, the longer side of an image in the gallery


def edu_labels(session: Session) -> list[str]:
    """One label per EDU of ``session``: its speaker, then its text or ``[图片 id]``."""
    return [f"{e.speaker}: {e.text if e.image is None else f'[图片 {e.image}]'}" for e in session.edus()]


def pick_sessions(sessions: Sequence[Session], count: int) -> list[Session]:
    """The first ``count`` sessions, preferring those with a discourse annotation and images, in file order."""
    def rank(session: Session) -> tuple[bool, bool]:
        annotated = session.annotations is not None and session.annotations.discourse is not None
        return not annotated, not session.image_ids()

    return sorted(sessions, key=rank)[:count]


def thumbnail(load: ImageLoader, image_id: str) -> str | None:
    """``image_id`` as a ``data:image/jpeg`` URI at most :data:`THUMBNAIL` px wide or high (``None``
    when it cannot be loaded: the gallery then shows its id)."""
    try:
        image = load(image_id).copy()
    except DataError:
        return None
    image.thumbnail((THUMBNAIL, THUMBNAIL))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def gallery(pipe, sessions: Sequence[Session], tasks: Sequence[str], load: ImageLoader | None) -> list[dict[str, Any]]:
    """One entry per session: its turns (images as thumbnails), each task's rows (``turn``, ``image``,
    ``gold``, ``predicted``, ``correct``) and the discourse parse (EDUs, relations and SVGs)."""
    entries = []
    for session in sessions:
        entry: dict[str, Any] = {
            "session_id": session.session_id, "shop": session.shop, "product_id": session.product_id,
            "turns": [{"speaker": t.speaker, "text": t.text,
                       "images": [{"id": i, "src": thumbnail(load, i) if load else None} for i in t.images]}
                      for t in session.turns],
            "rows": [], "discourse": None}
        for task in get_tasks(tasks):
            examples = list(task.examples(session)) if task.applies_to(session) else []
            if not examples:
                continue
            predictions = pipe.predict_examples(task, examples)
            for example, predicted in zip(examples, predictions):
                gold = task.gold(example)
                if hasattr(example, "edus"):  # a parse: drawn, not listed
                    labels = edu_labels(session)
                    entry["discourse"] = {
                        "edus": labels, "gold": [vars(r) for r in gold], "predicted": [vars(r) for r in predicted],
                        "svg_gold": arcs_svg(labels, gold, title="gold"),
                        "svg_predicted": arcs_svg(labels, predicted, gold=gold, title="predicted")}
                    continue
                entry["rows"].append({"task": task.name, "title": task.title, "turn": getattr(example, "turn", None),
                                      "image": getattr(example, "image", None), "gold": _shown(gold),
                                      "predicted": _shown(predicted), "correct": predicted == gold})
        entries.append(entry)
    return entries
