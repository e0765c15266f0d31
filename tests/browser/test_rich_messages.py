"""Replies, reactions and pins across two browsers: a reply's quote jumps to its original
(loading older pages when it is not shown yet), a reaction in one tab shows live in the
other and counts both people, and a pin shows in the other person's open pins panel."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import LiveServer
from .helpers import (
    ApiUser,
    NewPage,
    assert_no_console_errors,
    composer,
    expect_message,
    message,
    people,
    send_message,
    stop_time,
)

pytestmark = pytest.mark.browser

FILLERS = 160  # three pages and more: the original is not loaded at first
FLASH_MS = 2000  # features/messages/anchors.js: how long a shown message stays flashed


def row_action(page: Page, text: str, name: str) -> Locator:
    row = message(page, text).first
    row.hover()
    return row.get_by_role("button", name=name, exact=True)


def chip(page: Page, text: str, emoji: str) -> Locator:
    return message(page, text).locator(".reaction-chip", has_text=emoji)


def test_reply_react_and_pin_live_across_two_browsers(
    new_page: NewPage, server: LiveServer, page_errors: dict[Page, list[str]]
) -> None:
    # History first (carol, by API), so the browsers open general on its newest page.
    carol = ApiUser.sign_up(server.client(), "carol")
    general = carol.conversation_id("general")
    original = carol.post(general, "the ancient original\nwith a second line")
    for n in range(FILLERS):
        carol.post(general, f"filler {n}")
    answer = carol.client.post(
        f"/api/v1/conversations/{general}/messages",
        json={"text": "late answer", "reply_to_id": original["id"], "client_id": str(uuid.uuid4())},
        headers={"X-CSRF-Token": carol.csrf},
    )
    assert answer.status_code == 201, answer.text

    alice, bob = people(new_page, "alice", "bob", channel="general", fake_clock=True)

    # --- replies: the quote of a reply whose original is not loaded yet -------------------
    expect_message(alice, "late answer")
    expect(message(alice, "the ancient original")).to_have_count(0)
    quote = message(alice, "late answer").locator(".reply-quote")
    expect(quote).to_contain_text("Carol")
    expect(quote).to_contain_text("the ancient original")
    expect(quote).not_to_contain_text("second line")  # the first line only
    # Time stands still in alice's tab until the flash (FLASH_MS) has been seen.
    stop_time(alice)
    quote.click()
    original_row = message(alice, "the ancient original")
    expect(original_row).to_be_in_viewport()
    expect(original_row).to_have_class(re.compile(r"\bflash\b"))
    alice.clock.run_for(FLASH_MS)
    expect(original_row).not_to_have_class(re.compile(r"\bflash\b"))
    alice.clock.resume()

    # Reply from the message's actions; Esc cancels, × too; the quote goes out with it.
    box = composer(alice)
    row_action(alice, "filler 159", "Reply").click()
    bar = alice.locator("#reply-bar")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("Replying to Carol: filler 159")
    expect(box).to_be_focused()
    box.press("Escape")
    expect(bar).to_be_hidden()
    expect(box).to_be_focused()
    row_action(alice, "filler 159", "Reply").click()
    expect(bar).to_contain_text("filler 159")
    send_message(alice, "my answer")
    expect(bar).to_be_hidden()
    for page in (alice, bob):
        expect_message(page, "my answer")
        mine = message(page, "my answer").locator(".reply-quote")
        expect(mine).to_contain_text("Carol")
        expect(mine).to_contain_text("filler 159")

    # --- reactions: the picker (search + keyboard) in A, live in B, B joins in --------------
    row_action(alice, "my answer", "Add reaction").click()
    picker = alice.get_by_role("dialog", name="Choose an emoji")
    expect(picker).to_be_visible()
    search = picker.get_by_role("combobox", name="Search emoji")
    expect(search).to_be_focused()
    search.fill("tada")
    expect(picker.locator(".emoji-option").first).to_have_attribute("aria-selected", "true")
    search.press("Enter")
    expect(picker).to_be_hidden()
    expect(chip(alice, "my answer", "🎉")).to_have_text("🎉1")
    expect(chip(alice, "my answer", "🎉")).to_have_attribute("aria-pressed", "true")
    expect(chip(bob, "my answer", "🎉")).to_have_text("🎉1")  # live, by the socket
    expect(chip(bob, "my answer", "🎉")).to_have_attribute("aria-pressed", "false")
    expect(chip(bob, "my answer", "🎉")).to_have_attribute(
        "title", re.compile(r"^Alice reacted with :tada:$|^Alice reacted with 🎉$")
    )
    chip(bob, "my answer", "🎉").click()
    for page in (alice, bob):
        expect(chip(page, "my answer", "🎉")).to_have_text("🎉2")
    expect(chip(bob, "my answer", "🎉")).to_have_attribute("aria-pressed", "true")
    # What A picked comes first next time; Esc closes and gives focus back.
    trigger = row_action(alice, "filler 158", "Add reaction")
    trigger.click()
    expect(picker.locator(".emoji-section").first).to_contain_text("Recently used")
    expect(picker.locator(".emoji-option").first).to_have_text("🎉")
    search.press("ArrowRight")
    expect(picker.locator(".emoji-option").nth(1)).to_have_attribute("aria-selected", "true")
    search.press("Escape")
    expect(picker).to_be_hidden()
    expect(trigger).to_be_focused()
    # Taking it back: B's click toggles off, both tabs show 1.
    chip(bob, "my answer", "🎉").click()
    for page in (alice, bob):
        expect(chip(page, "my answer", "🎉")).to_have_text("🎉1")

    # --- pins: B's panel is open, A pins, it shows there live and jumps ------------------
    bob.get_by_role("button", name="Pinned messages").click()
    panel = bob.locator("#pins-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Nothing is pinned here yet")
    row_action(alice, "the ancient original", "Pin message").click()
    item = panel.locator(".pin-item", has_text="the ancient original")
    expect(item).to_be_visible()
    expect(item).to_contain_text("Pinned by Alice")
    expect(message(alice, "the ancient original").locator(".pin-badge")).to_be_visible()
    item.click()  # bob never loaded it: older pages come in until it is shown
    expect(message(bob, "the ancient original")).to_be_in_viewport()
    expect(message(bob, "the ancient original").locator(".pin-badge")).to_be_visible()
    item.get_by_role("button", name="Unpin").click()
    expect(panel.locator(".pin-item")).to_have_count(0)
    expect(message(alice, "the ancient original").locator(".pin-badge")).to_have_count(0)

    send_message(bob, "all done")
    for page in (alice, bob):
        assert_no_console_errors(page_errors[page])
