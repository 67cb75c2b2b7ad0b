"""``mtdialog serve`` started for real in a child process on a free loopback port, and a small client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from mtdialog.serve.child import serve_in_child


def serve(checkpoint, *args):
    """``mtdialog serve`` on a free loopback port in a child process (one torch thread); yields its URL."""
    return serve_in_child(checkpoint, *args, threads=1)


def request(url: str, data: bytes | None = None, content_type: str | None = None, method: str | None = None
            ) -> tuple[int, dict]:
    """``(status, JSON body)`` of one request."""
    headers = {"Content-Type": content_type} if content_type else {}
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=120) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def get(url: str) -> tuple[int, dict]:
    return request(url)


def post_json(url: str, value) -> tuple[int, dict]:
    return request(url, json.dumps(value, ensure_ascii=False).encode("utf-8"), "application/json")


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body of text ``fields`` and ``files`` ``(field, filename, bytes)``, and its
    content type."""
    boundary = "mtdialog-test-boundary"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: application/octet-stream\r\n\r\n'.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
