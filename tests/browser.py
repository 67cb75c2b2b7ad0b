"""Debian's Chromium, headless, driven by Playwright: how the browser tests (and tools/screenshots.py) start it."""

from __future__ import annotations

import shutil

#: No sandbox (the tests may run as root), no GPU, and none of Chromium's own background traffic.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch(playwright):
    """The installed Chromium, launched; a RuntimeError saying how to install it when there is none."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        raise RuntimeError("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
