"""Any message in context, however far back: a search result 1,500 messages back opens in
a window around it (flashed), scrolling down loads newer messages, a message posted
meanwhile stays out of the old window, and "Jump to present" brings the newest back.
Also: an author name in the search results, and a name in the members list, open the
profile card."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import SETTINGS, LiveServer, free_port
from .conv_helpers import open_details
from .helpers import (
    ApiUser,
    NewPage,
    assert_no_console_errors,
    message,
    people,
    send_message,
    stop_time,
)

pytestmark = pytest.mark.browser

HISTORY = 1500
FLASH_MS = 2000  # features/messages/anchors.js: how long a shown message stays flashed


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """The usual live server, without rate limits (the test seeds 1,500 messages)."""
    live = LiveServer(tmp_path, free_port())
    live.settings.write_text(json.dumps({**SETTINGS, "rate_limit_enabled": False}))
    live.start()
    yield live
    live.stop()


def filler(n: int) -> str:
    return f"filler-{n:04d}-end"


def seed(server: LiveServer) -> tuple[ApiUser, httpx.Client, int, int]:
    """Jason writes the first message of #random and 1,499 more (bearer token, no CSRF)."""
    jason = ApiUser.sign_up(server.client(), "jason")
    random = jason.conversation_id("random")
    r = jason.client.post(
        "/api/v1/tokens", json={"name": "seed"}, headers={"X-CSRF-Token": jason.csrf}
    )
    assert r.status_code == 201, r.text
    bot = server.client()
    bot.headers["Authorization"] = f"Bearer {r.json()['token']}"
    first_id = 0
    for n in range(HISTORY):
        text = "the zebrafirst origin of it all" if n == 0 else filler(n)
        r = bot.post(
            f"/api/v1/conversations/{random}/messages",
            json={"text": text, "client_id": str(uuid.uuid4())},
        )
        assert r.status_code == 201, r.text
        if n == 0:
            first_id = r.json()["message"]["id"]
    return jason, bot, random, first_id


def scroll_to_bottom(page: Page) -> None:
    page.locator("#message-scroller").evaluate("(el) => { el.scrollTop = el.scrollHeight; }")


def test_search_result_far_back_opens_in_a_window_and_jumps_back_to_present(
    new_page: NewPage, server: LiveServer, page_errors: dict[Page, list[str]]
) -> None:
    _, bot, random, first_id = seed(server)
    (kevin,) = people(new_page, "kevin", channel="random", fake_clock=True)
    expect(message(kevin, filler(HISTORY - 1))).to_have_count(1)  # the newest page
    jump = kevin.locator("#jump-latest")

    box = kevin.locator("#search-input")
    box.fill("zebrafirst")
    result = kevin.locator("#search-results .search-result")
    expect(result).to_have_count(1)

    # Task B: the author's name in a result opens the profile card (not the message).
    result.locator(".search-result-author").click()
    card = kevin.locator(".profile-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("@jason")
    kevin.keyboard.press("Escape")
    expect(card).to_be_hidden()
    expect(kevin.locator("#channel-title")).to_have_text("random")

    # Open the result: a window around the first message, flashed, detached from now.
    # (Time stands still until the flash, FLASH_MS long, has been seen on a busy machine.)
    stop_time(kevin)
    result.click()
    first = message(kevin, "the zebrafirst origin")
    expect(first).to_have_attribute("data-id", str(first_id))
    expect(first).to_be_in_viewport()
    expect(first).to_have_class(re.compile(r"\bflash\b"))
    kevin.clock.run_for(FLASH_MS)
    expect(first).not_to_have_class(re.compile(r"\bflash\b"))
    kevin.clock.resume()
    expect(message(kevin, filler(HISTORY - 1))).to_have_count(0)  # the present is gone
    expect(kevin.locator("#message-list .conv-intro")).to_be_attached()  # the very beginning
    expect(jump).to_be_visible()
    expect(jump).to_contain_text("Jump to present")

    # Scrolling down loads newer messages (50 at a time), in order, below the window.
    expect(message(kevin, filler(25))).to_have_count(1)
    expect(message(kevin, filler(26))).to_have_count(0)
    scroll_to_bottom(kevin)
    expect(message(kevin, filler(75))).to_have_count(1)
    scroll_to_bottom(kevin)
    expect(message(kevin, filler(125))).to_have_count(1)
    ids = [
        int(i)
        for i in kevin.locator("#message-list .msg").evaluate_all(
            "(rows) => rows.map((r) => r.dataset.id)"
        )
    ]
    assert ids == sorted(ids) and len(ids) == len(set(ids)), "one continuous run, no repeats"
    expect(jump).to_contain_text("Jump to present")

    # Someone else posts while we read the past: not inside the window, but counted.
    r = bot.post(
        f"/api/v1/conversations/{random}/messages",
        json={"text": "posted while you were away", "client_id": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    expect(jump).to_contain_text("1 new")
    expect(message(kevin, "posted while you were away")).to_have_count(0)
    expect(message(kevin, filler(125))).to_have_count(1)

    # Back to the present: the newest page, the new message at the bottom, attached again.
    jump.click()
    latest = message(kevin, "posted while you were away")
    expect(latest).to_be_in_viewport()
    expect(message(kevin, filler(HISTORY - 1))).to_have_count(1)
    expect(first).to_have_count(0)
    expect(jump).to_be_hidden()
    # Live again: the next message appends at once.
    r = bot.post(
        f"/api/v1/conversations/{random}/messages",
        json={"text": "and one more", "client_id": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    expect(message(kevin, "and one more")).to_be_in_viewport()

    # Back into the past, then send: the message goes out and the list returns to now.
    box.fill("zebrafirst")
    expect(result).to_have_count(1)
    result.click()
    expect(first).to_be_in_viewport()
    expect(jump).to_contain_text("Jump to present")
    send_message(kevin, "written from the past")
    expect(message(kevin, "written from the past")).to_be_in_viewport()
    expect(first).to_have_count(0)
    expect(message(kevin, "and one more")).to_have_count(1)
    # End leaves a window too.
    box.fill("zebrafirst")
    expect(result).to_have_count(1)
    result.click()
    expect(first).to_be_in_viewport()
    kevin.locator("#message-list").click(position={"x": 5, "y": 5})
    kevin.keyboard.press("End")
    expect(message(kevin, "written from the past")).to_be_in_viewport()
    expect(jump).to_be_hidden()
    assert_no_console_errors(page_errors[kevin])


def test_members_list_name_opens_the_profile_card_above_the_dialog(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    kevin, _ = people(new_page, "kevin", "jason", channel="general")
    dialog = open_details(kevin)
    dialog.locator(".member", has_text="@jason").get_by_role(
        "button", name=re.compile("Jason")
    ).click()
    card = kevin.locator(".profile-card")
    expect(card).to_be_visible()
    expect(card).to_contain_text("@jason")
    # Clickable above the modal dialog: "Message" opens the DM and closes the dialog.
    card.get_by_role("button", name="Message").click()
    expect(dialog).to_be_hidden()
    expect(kevin.locator("#channel-title")).to_have_text("Jason")
    assert_no_console_errors(page_errors[kevin])
