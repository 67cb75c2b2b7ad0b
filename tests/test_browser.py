"""The report and the chat page in a real headless Chromium (Debian's, driven by Playwright).

The plots, the drawn parses and the images must render with a size; a turn with a photo sent on the
chat page must come back answered. Every request the browser makes is checked: anything but
``file:``, ``data:``, ``blob:`` and the loopback service is refused and fails the test. Screenshots
are saved in each test's temporary directory.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from browser import launch
from PIL import Image
from serving import serve

from mtdialog.cli import main


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page whose every request off this machine is refused and recorded in ``page.outside``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        local = url.split(":", 1)[0] in ("file", "data", "blob") or urlsplit(url).hostname in ("127.0.0.1", "localhost")
        if local:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert outside == [], f"the page tried to reach {outside}"
    assert errors == [], f"script errors: {errors}"


def sized(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["width"] > 0 and box["height"] > 0


def test_the_report_renders_its_plots_images_and_discourse_arcs(page, trained_run, tmp_path):
    assert main(["report", str(trained_run), "--sessions", "2", "--num-beams", "1",
                 "--out", str(tmp_path / "report.html")]) == 0
    page.goto((tmp_path / "report.html").as_uri())
    plots = page.locator("figure.plot svg")
    assert plots.count() == 4 and all(sized(plots.nth(i)) for i in range(4))
    assert plots.nth(1).locator("path").count() > 5  # the loss curves are drawn
    arcs = page.locator("svg.arcs path.arc")
    assert arcs.count() > 0 and sized(arcs.first)
    assert page.locator("svg.arcs").count() == 2 and sized(page.locator("svg.arcs").last)
    thumbs = page.locator("img.thumb")
    assert thumbs.count() > 0
    assert all(w > 0 for w in thumbs.evaluate_all("images => images.map(i => i.naturalWidth)"))
    page.screenshot(path=tmp_path / "report.png", full_page=True)
    assert Image.open(tmp_path / "report.png").size[0] == 1280


def test_the_chat_page_answers_a_turn_with_a_photo(page, trained_run, synth_corpus, tmp_path):
    photo = next((synth_corpus / "images").iterdir())
    with serve(trained_run / "best", "--num-beams", "1") as url:
        page.goto(url + "/")
        page.fill("#message", "这件衣服有色差，看下图片")
        page.set_input_files("#photo", str(photo))
        with page.expect_response(lambda r: r.url.endswith("/v1/chat")) as reply:
            page.click("#send")
        answer = reply.value.json()
        assert reply.value.status == 200, answer
        page.wait_for_selector(".turn.agent")
        assert page.text_content("#error") == ""
        customer = page.locator(".turn.customer")
        assert customer.count() == 1 and "这件衣服有色差" in customer.text_content()
        assert customer.locator("img").evaluate("i => i.naturalWidth") > 0
        shown = answer["prediction"]["response"] or "(the model answered with an empty text)"
        assert shown in page.locator(".turn.agent").last.text_content()
        rewrite = answer["prediction"]["rewrites"][-1]
        assert page.text_content("#rewrite").startswith(rewrite["text"] if rewrite["rewritable"] else "not rewritable")
        assert [i["turn"] for i in answer["prediction"]["images"]] == [0]
        assert page.text_content("#images").startswith("turn 0: ")
        assert sized(page.locator("#arcs svg.arcs"))
        assert page.locator("#arcs svg.arcs text.edu").count() == len(answer["edus"]) == 2

        page.fill("#message", "能换吗")  # a second turn: the dialogue goes on
        with page.expect_response(lambda r: r.url.endswith("/v1/chat")) as second:
            page.click("#send")
        assert second.value.status == 200
        page.wait_for_function("document.querySelectorAll('.turn.customer').length == 2")
        page.wait_for_function("!document.getElementById('send').disabled")
        assert page.locator("#arcs svg.arcs text.edu").count() == len(second.value.json()["edus"]) >= 3
        page.screenshot(path=tmp_path / "chat.png", full_page=True)
        assert (tmp_path / "chat.png").stat().st_size > 0


def test_the_chat_page_shows_a_refused_request_and_forgets_its_turn(page, trained_run, tmp_path):
    bad = tmp_path / "not-an-image.png"
    bad.write_bytes(b"this is text, not a picture")
    with serve(trained_run / "best", "--num-beams", "1") as url:
        page.goto(url + "/")
        page.fill("#message", "看图")
        page.set_input_files("#photo", str(bad))
        page.click("#send")
        page.wait_for_function("document.getElementById('error').textContent.length > 0")
        assert page.text_content("#error") == "image: cannot decode image: not an image file of a format Pillow reads"
        assert page.locator(".turn").count() == 0
