"""``mtdialog serve`` for real: a child process on loopback answering as ``mtdialog predict`` does, safe
under concurrent requests, and a clear 4xx for every kind of malformed request.

The checkpoint is the tiny real model (``tiny_model.save_checkpoint``) with its corpus's PNG images.
"""

from __future__ import annotations

import base64
import io
import json
import re
import socket
import threading
from urllib.parse import urlsplit

import pytest
from PIL import Image
from serving import get, multipart, post_json, request, serve
from tiny_model import save_checkpoint, session_record

from mtdialog.cli import main

LIMITS = ("--max-body-bytes", 300_000, "--max-turns", 12, "--max-images", 3, "--max-image-bytes", 20_000,
          "--max-image-pixels", 250_000, "--max-text-chars", 200)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return save_checkpoint(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def server(checkpoint):
    with serve(checkpoint, "--num-beams", 2, *LIMITS) as url:
        yield url


def image_bytes(checkpoint, image_id: str) -> bytes:
    return (checkpoint.parent / "corpus" / "images" / f"{image_id}.png").read_bytes()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def png(size, noise: bool = False) -> bytes:
    image = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, (20, 90, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def predicted_by_the_command(checkpoint, tmp_path, record, images: dict[str, bytes]) -> dict:
    """What ``mtdialog predict`` writes for ``record`` with ``images`` as files."""
    (tmp_path / "images").mkdir(exist_ok=True)
    for image_id, data in images.items():
        (tmp_path / "images" / f"{image_id}.png").write_bytes(data)
    (tmp_path / "in.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["predict", "--checkpoint", str(checkpoint), "--input", str(tmp_path / "in.jsonl"),
                 "--output", str(tmp_path / "out.jsonl"), "--num-beams", "2"]) == 0
    return json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------- answers
def test_predict_answers_a_session_with_images_exactly_as_mtdialog_predict(server, checkpoint, tmp_path):
    record = session_record(1, annotated=False)
    images = {i: image_bytes(checkpoint, i) for i in ("img1a", "img1b")}
    expected = predicted_by_the_command(checkpoint, tmp_path, record, images)
    assert set(expected) == {"session_id", "response", "rewrites", "discourse", "summary", "images"}

    inline = {"session": record, "images": {i: b64(data) for i, data in images.items()}}
    assert post_json(server + "/v1/predict", inline) == (200, expected)
    body, kind = multipart({"session": json.dumps(record, ensure_ascii=False)},
                           [("images", f"{i}.png", data) for i, data in images.items()])
    assert request(server + "/v1/predict", body, kind) == (200, expected)
    # some tasks only, as `predict --tasks` gives them
    status, some = post_json(server + "/v1/predict", {**inline, "tasks": ["summary", "image_category"]})
    assert status == 200 and some == {k: expected[k] for k in ("session_id", "summary", "images")}


def test_uploaded_images_are_kept_by_content_and_shown_by_id(server, checkpoint, tmp_path):
    ids = {}
    for image_id in ("img2a", "img2b"):
        body, kind = multipart({}, [("image", f"{image_id}.png", image_bytes(checkpoint, image_id))])
        status, reply = request(server + "/v1/images", body, kind)
        assert status == 200 and reply["width"] > 0
        ids[image_id] = reply["id"]
    body, kind = multipart({}, [("image", "again.png", image_bytes(checkpoint, "img2a"))])
    assert request(server + "/v1/images", body, kind)[1]["id"] == ids["img2a"]  # same bytes, same id

    record = session_record(2, annotated=False)
    for turn in record["turns"]:
        turn["images"] = [ids[i] for i in turn["images"]]
    expected = predicted_by_the_command(checkpoint, tmp_path, record,
                                        {ids[i]: image_bytes(checkpoint, i) for i in ids})
    assert post_json(server + "/v1/predict", record) == (200, expected)  # a bare session record
    assert [i["image"] for i in expected["images"]] == [ids["img2a"], ids["img2b"]]


def test_concurrent_requests_are_answered_as_one_at_a_time(server, checkpoint):
    inline = {"session": session_record(3, annotated=False),
              "images": {i: b64(image_bytes(checkpoint, i)) for i in ("img3a", "img3b")}}
    alone = post_json(server + "/v1/predict", inline)
    other = {"session": session_record(0, annotated=False),
             "images": {i: b64(image_bytes(checkpoint, i)) for i in ("img0a", "img0b")}}
    other_alone = post_json(server + "/v1/predict", other)
    replies: list = [None] * 8

    def ask(k: int) -> None:
        replies[k] = post_json(server + "/v1/predict", inline if k % 2 else other)

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert alone[0] == 200 and other_alone[0] == 200 and alone != other_alone
    assert replies == [alone if k % 2 else other_alone for k in range(8)]


def test_chat_answer_holds_the_prediction_the_edus_and_the_drawn_parse(server, checkpoint):
    inline = {"session": session_record(1, annotated=False),
              "images": {i: b64(image_bytes(checkpoint, i)) for i in ("img1a", "img1b")}}
    status, chat = post_json(server + "/v1/chat", inline)
    assert status == 200
    assert chat["prediction"] == post_json(server + "/v1/predict", inline)[1]
    assert chat["edus"][:2] == ["A: 您好，有什么可以帮您", "Q: 这件衣服有色差#E-s57 1号"]
    assert chat["edus"][2] == "Q: [图片 img1a]"
    drawn = [r for r in chat["prediction"]["discourse"] if r["x"] >= 0]
    assert chat["discourse_svg"].startswith('<svg class="arcs"')
    assert chat["discourse_svg"].count('<path class="arc ') == len(drawn) > 0


def test_health_openapi_and_chat_page(server):
    status, health = get(server + "/healthz")
    assert status == 200 and health["status"] == "ok" and health["limits"]["max_images"] == 3
    assert health["tasks"] == ["response", "rewritable", "rewrite", "discourse", "summary", "image_category"]
    status, spec = get(server + "/openapi.json")
    assert status == 200 and {"/v1/predict", "/v1/images", "/v1/chat", "/healthz"} <= set(spec["paths"])
    assert set(spec["paths"]["/v1/predict"]["post"]["requestBody"]["content"]) == {"application/json",
                                                                                   "multipart/form-data"}
    with __import__("urllib.request").request.urlopen(server + "/") as page:
        html = page.read().decode("utf-8")
    assert 'id="composer"' in html and "/v1/chat" in html and "http" not in html.split("<script>")[1]


# ------------------------------------------------------------------------------- malformed requests
def _with(change):
    record = session_record(1, annotated=False)
    change(record)
    return record


def _sent(record=None, **images):
    record = record or _with(lambda r: None)
    return {"session": record, "images": images}


def _setitem(path, value):
    def change(record):
        target = record
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


GOOD = {"img1a": b64(png((40, 30))), "img1b": b64(png((30, 40)))}
BAD_REQUESTS = {
    # name: (body bytes, content type, status, field, words in the message)
    "bad JSON": (b'{"session": ', "application/json", 400, "body", "invalid JSON"),
    "empty body": (b"", "application/json", 400, "body", "empty body"),
    "not UTF-8": ('{"session": "é"}'.encode("latin-1"), "application/json", 400, "body", "not UTF-8"),
    "not an object": (b"[1, 2]", "application/json", 422, "body", "expected a JSON object, got array"),
    "unknown field": (json.dumps({"session": {}, "extra": 1}).encode(), "application/json", 422, "extra",
                      "unknown field"),
    "session of the wrong type": (json.dumps({"session": "hello"}).encode(), "application/json", 422, "session",
                                  "must be a JSON object"),
    "turns of the wrong type": (json.dumps(_sent(_with(_setitem(["turns"], "hi")))).encode(), "application/json",
                                422, "session.turns", "expected array, got string"),
    "missing field": (json.dumps(_sent(_with(lambda r: r.pop("shop")))).encode(), "application/json", 422,
                      "session.shop", "missing required field"),
    "unknown speaker": (json.dumps(_sent(_with(_setitem(["turns", 0, "speaker"], "X")), **GOOD)).encode(),
                        "application/json", 422, "session.turns[0].speaker", "unknown speaker 'X'"),
    "empty session": (json.dumps(_sent(_with(_setitem(["turns"], [])))).encode(), "application/json", 422,
                      "session.turns", "empty session"),
    "too many turns": (json.dumps(_sent(_with(_setitem(["turns"], [{"speaker": "Q", "text": "在吗", "images": []}] * 13)))
                                  ).encode(), "application/json", 413, "session.turns", "13 turns, more than the 12"),
    "too long a turn": (json.dumps(_sent(_with(_setitem(["turns", 0, "text"], "长" * 201)), **GOOD)).encode(),
                        "application/json", 413, "session.turns[0].text", "201 characters, more than the 200"),
    "too many images": (json.dumps(_sent(_with(_setitem(["turns", 0, "images"], ["a", "b", "c"])))).encode(),
                        "application/json", 413, "session.turns", "5 images, more than the 3"),
    "path-like image id": (json.dumps(_sent(_with(_setitem(["turns", 1, "images"], ["../../etc/passwd"])),
                                            img1b=GOOD["img1b"])).encode(),
                           "application/json", 422, "session.turns[1].images[0]", "never a path"),
    "absolute image path": (json.dumps({"session": _with(lambda r: None), "images": {"/etc/passwd": GOOD["img1a"]}}
                                       ).encode(), "application/json", 422, "images./etc/passwd", "never a path"),
    "image neither sent nor uploaded": (json.dumps(_sent(img1a=GOOD["img1a"])).encode(), "application/json", 422,
                                        "session.turns[4].images[0]", "neither sent with the request"),
    "image sent but not shown": (json.dumps(_sent(**GOOD, extra=GOOD["img1a"])).encode(), "application/json", 422,
                                 "images.extra", "shown in no turn"),
    "image not base64": (json.dumps(_sent(img1a="%%%not base64%%%", img1b=GOOD["img1b"])).encode(),
                         "application/json", 422, "images.img1a", "not valid base64"),
    "non-image bytes": (json.dumps(_sent(img1a=b64(b"hello, I am text"), img1b=GOOD["img1b"])).encode(),
                        "application/json", 415, "images.img1a", "not an image file"),
    "image of too many pixels": (json.dumps(_sent(img1a=b64(png((600, 600))), img1b=GOOD["img1b"])).encode(),
                                 "application/json", 413, "images.img1a", "600 x 600 pixels, more than the 250,000"),
    "image file too large": (json.dumps(_sent(img1a=b64(png((150, 150), noise=True)), img1b=GOOD["img1b"])).encode(),
                             "application/json", 413, "images.img1a", "more than the 20,000 bytes an image may have"),
    "image format not accepted": (json.dumps(_sent(img1a=b64(b"BM" + bytes(60)), img1b=GOOD["img1b"])).encode(),
                                  "application/json", 415, "images.img1a", "cannot decode image"),
    "unknown task": (json.dumps({**_sent(**GOOD), "tasks": ["weather"]}).encode(), "application/json", 422, "tasks",
                     "does not answer 'weather'"),
    "wrong content type": (b"hello", "text/plain", 415, "content-type", "send application/json or multipart"),
    "multipart without a session": (*multipart({"tasks": "summary"}, []), 422, "session", "missing"),
    "multipart image too large": (*multipart({"session": json.dumps(session_record(1, annotated=False))},
                                             [("images", "img1a.png", png((150, 150), noise=True)),
                                              ("images", "img1b.png", png((30, 40)))]),
                                  413, "images.img1a", "bytes, more than the 20,000 bytes an image may have"),
    "multipart file without a usable name": (*multipart({"session": json.dumps(session_record(1, annotated=False))},
                                                        [("images", "../img1a.png", png((40, 30)))]),
                                             422, "images (file '../img1a.png')", "never a path"),
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_each_kind_of_malformed_request_gets_a_4xx_naming_the_field(server, name):
    body, kind, status, field, words = BAD_REQUESTS[name]
    got_status, reply = request(server + "/v1/predict", body, kind)
    assert (got_status, reply["field"]) == (status, field), reply
    assert words in reply["detail"] and reply["detail"].startswith(f"{field}: ")
    assert "Traceback" not in reply["detail"]
    assert get(server + "/healthz")[0] == 200  # and the service goes on


def test_a_bmp_image_is_refused_by_format(server):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="BMP")
    status, reply = post_json(server + "/v1/predict", _sent(img1a=b64(buffer.getvalue()), img1b=GOOD["img1b"]))
    assert status == 415 and "image format BMP is not accepted (accepted: JPEG, PNG, WEBP, GIF)" in reply["detail"]


def test_an_upload_that_is_not_an_image_is_refused(server):
    body, kind = multipart({}, [("image", "x.png", b"not an image")])
    status, reply = request(server + "/v1/images", body, kind)
    assert status == 415 and reply["field"] == "image" and "not an image file" in reply["detail"]
    status, reply = post_json(server + "/v1/images", {"image": "abc"})
    assert status == 415 and reply["field"] == "content-type"


def _raw(url: str, head: str, chunks: list[bytes] = ()) -> tuple[int, dict]:
    """Send ``head`` then ``chunks`` on a bare socket, and read the reply (no more is sent after it)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(head.encode())
        for chunk in chunks:
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        reply = b""
        while True:
            data = sock.recv(65536)
            reply += data
            head_part, _, body = reply.partition(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: *(\d+)", head_part)
            if not data or (length and len(body) >= int(length.group(1))):
                break
    head_part, body = reply.split(b"\r\n\r\n", 1)
    return int(head_part.split()[1]), json.loads(body)


def test_an_oversized_body_is_refused_before_it_is_read(server):
    head = ("POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n"
            "Expect: 100-continue\r\n\r\n")
    status, reply = _raw(server, head)
    assert status == 413 and reply["field"] == "body" and "larger than the 300,000 bytes" in reply["detail"]
    # without a length, it is refused once the bytes received pass the limit
    head = "POST /v1/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    status, reply = _raw(server, head, [b" " * 20_000] * 16)
    assert status == 413 and "larger than the 300,000 bytes" in reply["detail"]


def test_wrong_method_and_unknown_path_are_json_errors(server):
    assert request(server + "/v1/predict")[0] == 405
    status, reply = request(server + "/v2/anything")
    assert status == 404 and reply["detail"] == "Not Found"
