"""Search in the browser: `/` and `f` focus the box, results come as you type with the match
in <mark> (and message markup shown as text), Enter opens the conversation at the message
(older pages loaded until it is there) and flashes it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from .conftest import LiveServer
from .helpers import (
    ApiUser,
    assert_no_console_errors,
    message,
    open_channel,
    sign_up,
    stop_time,
)

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]
FLASH_MS = 2000  # features/messages/anchors.js: how long a shown message stays flashed


def test_search_as_you_type_and_jump_to_the_message(
    new_page: NewPage, server: LiveServer, page_errors: dict[Page, list[str]]
) -> None:
    kevin = new_page()
    kevin.clock.install()  # runs like the real one until stop_time()
    sign_up(kevin, "kevin")
    with server.client() as client:
        jason = ApiUser.sign_up(client, "jason")
        random = jason.conversation_id("random")
        needle = jason.post(random, "the needle <script>alert(1)</script> in the haystack")
        # Far enough back that it is not on the first history page (50 messages).
        for i in range(120):
            jason.post(random, f"filler {i}")
    open_channel(kevin, "general")
    box = kevin.locator("#search-input")

    # `f` from anywhere that is not a text field; Esc closes and leaves the box.
    kevin.locator("#message-list").click()
    kevin.keyboard.press("f")
    expect(box).to_be_focused()
    expect(kevin.locator("#search-panel .search-hints")).to_be_visible()  # operator help
    kevin.keyboard.press("Escape")
    expect(box).not_to_be_focused()
    expect(kevin.locator("#search-panel")).to_be_hidden()

    kevin.locator("#message-list").click()
    kevin.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("")  # the key focused the box, it was not typed into it
    box.press_sequentially("needl hay")
    result = kevin.locator("#search-results .search-result")
    expect(result).to_have_count(1)
    expect(result.locator("mark")).to_have_text(["needle", "haystack"])
    expect(result.locator(".search-snippet")).to_contain_text("<script>alert(1)</script>")
    expect(kevin.locator("#search-panel script")).to_have_count(0)
    expect(result.locator(".search-result-place")).to_have_text("#random")
    expect(result).to_have_attribute("aria-selected", "true")

    # The flash lasts FLASH_MS: time stands still until it has been seen, however busy
    # the machine is, then moves on by exactly that much.
    stop_time(kevin)
    box.press("Enter")
    expect(kevin.locator("#channel-title")).to_have_text("random")
    row = message(kevin, "the needle")
    expect(row).to_have_attribute("data-id", str(needle["id"]))
    expect(row).to_be_in_viewport()
    expect(row).to_have_class(re.compile(r"\bflash\b"))
    kevin.clock.run_for(FLASH_MS)
    expect(row).not_to_have_class(re.compile(r"\bflash\b"))
    kevin.clock.resume()
    expect(kevin.locator("#search-panel")).to_be_hidden()

    # No match: a clear line instead of results.
    kevin.locator("#message-list").click()
    kevin.keyboard.press("/")
    box.fill("zzzunfindable")
    expect(kevin.locator("#search-panel .search-status")).to_contain_text("No messages match")
    assert_no_console_errors(page_errors[kevin])
