"""Small native corpora written record by record, with real PNG files, for the data and CLI tests."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from mtdialog.data.labels import IMAGE_CATEGORIES, JDDC21_RELATIONS
from mtdialog.data.native import CorpusWriter, KBEntry
from mtdialog.data.schema import Session

COLOURS = {"img1": (200, 30, 30), "img2": (30, 200, 30), "img3": (30, 30, 200), "img4": (240, 240, 0)}


def session_record(session_id: str, *, shop: str = "xjd", images: tuple[str, ...] = ("img1",),
                   annotated: bool = True) -> dict:
    """A valid native record: 3 turns, EDUs [Q text, image..., A text, Q text]."""
    record = {
        "session_id": session_id, "shop": shop, "product_id": "p1",
        "turns": [
            {"speaker": "Q", "text": "洗衣机显示这个是什么意思", "images": list(images)},
            {"speaker": "A", "text": "您好，这是进水故障", "images": []},
            {"speaker": "Q", "text": "好的谢谢", "images": []},
        ],
    }
    if annotated:
        n = len(images)
        record["annotations"] = {
            "rewrites": [{"turn": 0, "rewritable": True, "text": "洗衣机显示E3是什么意思"},
                         {"turn": 2, "rewritable": False, "text": ""}],
            "discourse": {"relations": [{"x": 0, "y": n + 1, "type": JDDC21_RELATIONS[0]},
                                        {"x": n + 1, "y": n + 2, "type": "Communication/Social/Social"}]},
            "summary": "用户询问洗衣机报错，客服答复进水故障。",
            "image_categories": {images[0]: IMAGE_CATEGORIES[10]} if images else {},
        }
    return record


def write_corpus(root: Path, splits: dict[str, list[dict]] | None = None, *,
                 images: dict[str, tuple[int, int, int]] | None = None) -> Path:
    """A small corpus with real PNG files; default: train 3 sessions, valid 1, test 1."""
    splits = splits if splits is not None else {
        "train": [session_record("t1"), session_record("t2", shop="fx", images=("img2", "img3")),
                  session_record("t3", images=(), annotated=False)],
        "valid": [session_record("v1", images=("img4",))],
        "test": [session_record("e1", shop="fx", images=("img1",), annotated=False)],
    }
    with CorpusWriter(root, name="tiny", extra_meta={"source": "tests"}) as w:
        for split, records in splits.items():
            for r in records:
                w.add_session(split, Session.from_dict(r))
        for image_id, colour in (COLOURS if images is None else images).items():
            w.add_image(image_id, Image.new("RGB", (16, 12), colour))
        w.add_kb(KBEntry("p1", "洗衣机", [("洗衣机", "容量", "10kg"), ("洗衣机", "颜色", "白色")]))
        w.add_kb(KBEntry("p2", "T恤", [("T恤", "材质", "棉")]))
    return root


def set_line(root: Path, split: str, line: int, content: bytes | dict) -> Path:
    """Replace line ``line`` (1-based) of a split file with raw bytes or a JSON record."""
    path = root / f"sessions.{split}.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    raw = content if isinstance(content, bytes) else json.dumps(content, ensure_ascii=False).encode()
    lines[line - 1] = raw.rstrip(b"\n") + b"\n"
    path.write_bytes(b"".join(lines))
    return path
