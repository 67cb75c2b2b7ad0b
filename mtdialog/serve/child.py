"""``mtdialog serve`` in a child process, for notebooks, tests and benchmarks: started, waited for, stopped."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def serve_in_child(checkpoint: str | Path, *args: object, threads: int | None = None,
                   timeout: float = 300) -> Iterator[str]:
    """Run ``mtdialog serve --checkpoint CHECKPOINT --port 0 *args`` on loopback (with ``threads`` torch
    threads, if given); yields its base URL (``http://127.0.0.1:PORT``) once it answers ``/healthz``,
    and stops it on exit."""
    env = {"HF_HUB_OFFLINE": "1", **os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    child = subprocess.Popen([sys.executable, "-m", "mtdialog", "serve", "--checkpoint", str(checkpoint),
                              "--host", "127.0.0.1", "--port", "0", *map(str, args)],
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline, lines, match = time.monotonic() + timeout, [], None
        while match is None:
            line = child.stderr.readline()
            if (not line and child.poll() is not None) or time.monotonic() > deadline:
                raise RuntimeError("mtdialog serve did not start:\n" + "".join(lines[-40:]))
            lines.append(line)
            match = re.search(r"at (http://127\.0\.0\.1:\d+)/", line)
        url = match.group(1)
        while True:  # the socket listens before uvicorn answers: wait for the first answer
            with contextlib.suppress(OSError), urllib.request.urlopen(url + "/healthz", timeout=5) as reply:
                if reply.status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"mtdialog serve at {url} does not answer /healthz")
            time.sleep(0.1)
        yield url
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        child.stderr.close()
