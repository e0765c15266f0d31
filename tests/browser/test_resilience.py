"""The tab survives a server restart, and long histories page in on scroll."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.live import START_TIMEOUT

from .conftest import LiveServer
from .helpers import (
    ApiUser,
    composer,
    expect_message,
    message,
    open_channel,
    sign_up,
    wait_for_connection,
)

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]


def test_tab_survives_server_restart(new_page: NewPage, server: LiveServer) -> None:
    kevin = new_page()
    sign_up(kevin, "kevin")
    open_channel(kevin, "general")
    with server.client() as client:
        jason = ApiUser.sign_up(client, "jason")
        general = jason.conversation_id("general")
        jason.post(general, "before the restart")
        expect_message(kevin, "before the restart", author="jason")

        server.stop()
        banner = kevin.locator("#conn-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("Reconnecting…")
        # Sent while the server is down: shown at once, delivered once it is back.
        box = composer(kevin)
        box.fill("sent while offline")
        box.press("Enter")
        expect(message(kevin, "sent while offline")).to_have_class(re.compile(r"\bpending\b"))

        server.start()
        jason.post(general, "while coming back")
        # Reconnect backoff is capped at ~10 s (plus jitter) while the server was down.
        wait_for_connection(kevin, timeout=START_TIMEOUT * 1000)
        jason.post(general, "after the restart")

        expect_message(kevin, "while coming back", author="jason")
        expect_message(kevin, "after the restart", author="jason")
        expect(banner).to_be_hidden()
        expect_message(kevin, "before the restart")
        sent = expect_message(kevin, "sent while offline", author="kevin")
        expect(sent).not_to_have_class(re.compile(r"\bpending\b"))
        expect(kevin.locator("#message-list .msg")).to_have_count(4)
        # The retried POST reused its client_id: the server stored it once.
        history = client.get(f"/api/v1/conversations/{general}/messages").json()["messages"]
        assert sorted(m["text"] for m in history) == sorted(
            ["before the restart", "sent while offline", "while coming back", "after the restart"]
        )


def test_older_history_loads_on_scroll_up(new_page: NewPage, server: LiveServer) -> None:
    with server.client() as client:
        jason = ApiUser.sign_up(client, "jason")
        general = jason.conversation_id("general")
        for i in range(120):
            jason.post(general, f"seed message {i:03d}")

    kevin = new_page()
    older_pages: list[str] = []
    kevin.on("request", lambda r: older_pages.append(r.url) if "before=" in r.url else None)
    sign_up(kevin, "kevin")
    open_channel(kevin, "general")
    expect_message(kevin, "seed message 119")
    rows = kevin.locator("#message-list .msg")

    scroller = kevin.locator("#message-scroller")
    first = message(kevin, "seed message 000")
    for _ in range(10):
        if first.count():
            break
        before = rows.count()
        scroller.evaluate("el => { el.scrollTop = 0; }")
        expect(rows).not_to_have_count(before)
    expect_message(kevin, "seed message 000")
    expect(rows).to_have_count(120)
    assert len(older_pages) >= 2, "history arrives in pages of at most 50"
    expect(kevin.locator(".conv-intro")).to_contain_text("beginning of #general")


def test_phone_layout_has_drawer_and_composer(new_page: NewPage) -> None:
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    sign_up(page, "kevin")
    toggle = page.get_by_role("button", name="Open channel list")
    expect(toggle).to_be_visible()
    expect(page.locator("#sidebar")).to_be_hidden()
    box = page.get_by_role("textbox", name="Message #general")
    expect(box).to_be_visible()
    assert (bb := box.bounding_box()) is not None and bb["y"] + bb["height"] <= 844

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#sidebar")).to_be_visible()
    page.locator("#channel-list .channel", has_text="random").click()
    expect(page.locator("#sidebar")).to_be_hidden()
    expect(page.locator("#channel-title")).to_have_text("random")
    box = page.get_by_role("textbox", name="Message #random")
    box.fill("hello from a phone")
    page.get_by_role("button", name="Send message").click()
    expect_message(page, "hello from a phone")
