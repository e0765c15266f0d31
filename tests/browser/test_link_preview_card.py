"""A link preview reaches the browser: the card (site, title, description) and its image,
served by MiniMost itself, appear under the message in another person's tab.

The server runs in this process (in a thread with its own event loop) so the test can point
the preview fetcher at a local page through the test-only loopback override; the page and
its image come from a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from minimost.linkpreview.fetch import GuardedFetcher, Policy
from minimost.linkpreview.service import LinkPreviewer
from tests.browser.helpers import message, open_channel, send_message, sign_up
from tests.conftest import make_settings
from tests.linkpreview.server import local_server, response
from tests.live import START_TIMEOUT, TIMEOUT

pytestmark = pytest.mark.browser


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 320), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Running:
    url: str
    site: str


@pytest.fixture
def preview_server(tmp_path: Path) -> Iterator[Running]:
    """MiniMost with previews on, plus a local site with a page and its og:image."""
    started: Future[Running] = Future()
    stop = threading.Event()

    async def main() -> None:
        from tests.live import serve_app

        image = _png()
        html = {"Content-Type": "text/html; charset=utf-8"}
        routes: dict[str, Any] = {
            "/img.png": response("200 OK", {"Content-Type": "image/png"}, image)
        }
        async with local_server(routes) as site:
            routes["/page"] = response(
                "200 OK",
                html,
                (
                    "<!doctype html><html><head><title>Release notes</title>"
                    '<meta property="og:title" content="MiniMost 1.0 is out">'
                    '<meta property="og:description" content="Search, files and more.">'
                    '<meta property="og:site_name" content="Example News">'
                    f'<meta property="og:image" content="{site.base}/img.png">'
                    "</head><body></body></html>"
                ).encode(),
            )
            site.routes.update(routes)
            settings = make_settings(tmp_path / "data", link_previews=True)
            async with serve_app(settings) as live:
                previewer = live.app.state.minimost.ctx.previews
                assert isinstance(previewer, LinkPreviewer)
                # The page and its image share one time budget (5 s by default): on a busy
                # machine the hang guard instead, or the card could lose its picture.
                previewer.fetcher = GuardedFetcher(
                    Policy(
                        unsafe_allow_loopback=True, ports=frozenset({site.port}), timeout=TIMEOUT
                    )
                )
                started.set_result(Running(live.url, site.base))
                while not stop.is_set():
                    await asyncio.sleep(0.05)

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
            raise

    thread = threading.Thread(target=run, name="preview-server", daemon=True)
    thread.start()
    try:
        yield started.result(timeout=START_TIMEOUT)
    finally:
        stop.set()
        thread.join(timeout=30)


def test_the_preview_card_and_its_image_appear_in_the_other_tab(
    browser: Browser, preview_server: Running
) -> None:
    contexts = []
    try:
        pages = []
        for name in ("alice", "bob"):
            context = browser.new_context(base_url=preview_server.url)
            contexts.append(context)
            page = context.new_page()
            sign_up(page, name)
            open_channel(page, "general")
            pages.append(page)
        alice, bob = pages

        send_message(alice, f"have a look: {preview_server.site}/page")
        row = message(bob, "have a look")
        card = row.locator(".link-preview")
        expect(card).to_be_visible()
        expect(card.locator(".link-preview-title")).to_have_text("MiniMost 1.0 is out")
        expect(card).to_contain_text("Search, files and more.")
        expect(card).to_contain_text("Example News")
        image = card.locator("img")
        # The picture is MiniMost's own copy (the browser never contacts the page's host),
        # and it really decodes.
        expect(image).to_have_attribute(
            "src", re.compile(r"^/api/v1/messages/\d+/preview-image\?v=")
        )
        image.scroll_into_view_if_needed()
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") > 0
    finally:
        for context in contexts:
            context.close()
