"""``mtdialog serve`` started for real in a child process on a free loopback port, and a small client."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator


@contextlib.contextmanager
def serve(checkpoint, *args, timeout: float = 120) -> Iterator[str]:
    """Run ``mtdialog serve --checkpoint checkpoint --port 0 *args``; yields its base URL, stops it after."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    child = subprocess.Popen([sys.executable, "-m", "mtdialog", "serve", "--checkpoint", str(checkpoint), "--port", "0",
                              *map(str, args)], stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline, lines = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            line = child.stderr.readline()
            if not line and child.poll() is not None:
                raise RuntimeError("mtdialog serve exited:\n" + "".join(lines))
            lines.append(line)
            if match := re.search(r"at (http://127\.0\.0\.1:\d+)/", line):
                break
        else:
            raise RuntimeError("mtdialog serve did not start:\n" + "".join(lines))
        url = match.group(1)
        while True:  # listening as soon as the line is printed; the first answer proves it
            with contextlib.suppress(OSError):
                if get(url + "/healthz")[0] == 200:
                    break
            time.sleep(0.1)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=30)
        child.stderr.close()


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
