"""The pictures of the docs: a run's report and the chat page of its best checkpoint, in headless Chromium.

    .venv/bin/python tools/screenshots.py runs/tiny --corpus data/jddc21-synth   # docs/report.png, docs/chat.png

The report is cropped to its first screens (tables, plots, the first gallery session); the chat page
shows two customer turns, the first with a test photo of the corpus.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser import launch  # the tests' own helper


def main() -> None:
    from playwright.sync_api import sync_playwright

    from mtdialog.data.native import Corpus
    from mtdialog.serve.child import serve_in_child

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "jddc21-synth")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    photo = next(Corpus(args.corpus).image_path(i) for s in Corpus(args.corpus).sessions("test") for i in s.image_ids())
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        report = Path(tmp) / "report.html"
        subprocess.run([sys.executable, "-m", "mtdialog", "report", str(args.run), "--corpus", str(args.corpus),
                        "--sessions", "2", "--out", str(report)], check=True)
        page.goto(report.as_uri())
        page.screenshot(path=args.out / "report.png", clip={"x": 0, "y": 0, "width": 1280, "height": 2600},
                        full_page=True)
        with serve_in_child(args.run / "best", "--num-beams", 4) as url:
            page.goto(url + "/")
            for text, image in (("你好，我买的这个有问题，你看下图片", photo), ("能换一个吗？", None)):
                page.fill("#message", text)
                if image is not None:
                    page.set_input_files("#photo", str(image))
                with page.expect_response(lambda r: r.url.endswith("/v1/chat")):
                    page.click("#send")
                page.wait_for_function("!document.getElementById('send').disabled")
            page.screenshot(path=args.out / "chat.png")
        browser.close()
    print(f"wrote {args.out / 'report.png'} and {args.out / 'chat.png'}")


if __name__ == "__main__":
    main()
