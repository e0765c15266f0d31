"""In-conversation awareness across browsers: mention autocomplete and highlights, the
Mentions panel, read receipts, typing indicators and presence."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from .conv_helpers import set_tab_visible
from .helpers import (
    NewPage,
    assert_no_console_errors,
    composer,
    expect_message,
    message,
    open_channel,
    people,
    send_message,
    stop_time,
)

pytestmark = pytest.mark.browser

TYPING_TTL_MS = 6000  # features/typing/data.js: a name shows this long after its last frame


def options(page: Page) -> Locator:
    return page.locator("#mention-list [role=option]")


def typing_line(page: Page) -> Locator:
    return page.locator("#typing-indicator")


def author_dot(page: Page, author: str) -> Locator:
    return page.locator(
        f'#message-list .msg[data-author="{author}"] .msg-gutter .presence-dot'
    ).first


def test_mention_autocomplete_picks_with_keyboard_and_highlights_for_the_mentioned(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    # Alice's member list is fetched before the others exist: it must follow member events.
    alice, bob, bella = people(new_page, "alice", "bob", "bella", channel="general")
    box = composer(alice)
    box.fill("Hi @b")
    listbox = alice.get_by_role("listbox", name="People to mention")
    expect(listbox).to_be_visible()
    expect(options(alice)).to_have_count(2)
    expect(options(alice).nth(0)).to_have_attribute("data-value", "bella")
    expect(options(alice).nth(1)).to_have_attribute("data-value", "bob")
    expect(options(alice).nth(0)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(options(alice).nth(1).locator(".presence-dot")).to_have_attribute(
        "data-presence", "online"
    )

    box.press("ArrowDown")
    expect(options(alice).nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "mention-opt-1")
    box.press("Enter")  # accepts: must not send
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("Hi @bob ")
    expect(alice.locator("#message-list .msg")).to_have_count(0)

    # Esc closes the list and keeps the text; @everyone is offered in a channel.
    box.press_sequentially("and @ev")
    expect(options(alice)).to_have_count(1)
    expect(options(alice).first).to_have_attribute("data-value", "everyone")
    box.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_be_focused()
    box.fill("Hi @bob ")
    box.press_sequentially("look at this")
    box.press("Enter")
    expect(box).to_have_value("")

    text = "Hi @bob look at this"
    for page in (alice, bob, bella):
        expect_message(page, text, author="alice")
    mention = bob.locator('#message-list .msg-body .mention[data-username="bob"]')
    expect(mention).to_have_text("@bob")
    expect(mention).to_have_class(re.compile(r"\bmention-me\b"))
    expect(message(bob, text)).to_have_class(re.compile(r"\bmentions-me\b"))
    for page in (alice, bella):
        expect(page.locator(".msg-body .mention[data-username=bob]")).not_to_have_class(
            re.compile(r"\bmention-me\b")
        )
        expect(message(page, text)).not_to_have_class(re.compile(r"\bmentions-me\b"))

    # Bob's Mentions panel lists it; a click goes back to #general from elsewhere.
    open_channel(bob, "random")
    bob.keyboard.press("Control+Shift+M")
    panel = bob.locator("#mentions-panel")
    expect(panel).to_be_visible()
    item = panel.locator(".mention-item")
    expect(item).to_have_count(1)
    expect(item.locator(".mention-item-open")).to_have_text("#general")
    expect(item.locator(".mention-item-author")).to_have_text("Alice")
    expect(item.locator(".mention-item-body")).to_contain_text("look at this")
    item.locator(".mention-item-open").click()
    expect(panel).to_be_hidden()
    expect(bob.locator("#channel-title")).to_have_text("general")
    expect_message(bob, text)
    expect(message(bob, text)).to_be_in_viewport()

    for page in (alice, bob, bella):
        assert_no_console_errors(page_errors[page])


def test_read_receipt_appears_when_the_other_person_opens_the_conversation(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    alice, bob = people(new_page, "alice", "bob", channel="general")
    open_channel(bob, "random")
    send_message(alice, "Did you see this?")
    own = message(alice, "Did you see this?")
    # Nobody has read it yet: no receipt line.
    expect(alice.locator("#message-list .msg-receipt")).to_have_count(0)

    open_channel(bob, "general")
    expect_message(bob, "Did you see this?")
    receipt = own.locator(".msg-receipt")
    expect(receipt).to_have_text("Seen by Bob")
    expect(receipt).to_have_attribute("data-seen-by", "bob")

    # A newer message of mine moves the line; it waits again until Bob has read that one.
    open_channel(bob, "random")
    send_message(alice, "And this?")
    expect(alice.locator("#message-list .msg-receipt")).to_have_count(0)
    open_channel(bob, "general")
    expect(message(alice, "And this?").locator(".msg-receipt")).to_have_text("Seen by Bob")
    expect(alice.locator("#message-list .msg-receipt")).to_have_count(1)

    for page in (alice, bob):
        assert_no_console_errors(page_errors[page])


def test_typing_indicator_shows_names_and_clears(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    alice, bob, carol = people(
        new_page, "alice", "bob", "carol", channel="general", fake_clock=True
    )
    # Time stands still in the three tabs: a name shown must not expire (TYPING_TTL_MS after
    # its frame) between two checks on a busy machine, and each typist sends exactly one
    # frame (the client's throttle runs on the same clock). The server's 0.5 s batching
    # only delays frames; every check below waits for what it expects.
    for page in (alice, bob, carol):
        stop_time(page)
    line = typing_line(alice)
    expect(line).to_have_text("")
    height = line.bounding_box()
    assert height is not None and height["height"] > 0, "the line's space is reserved"

    composer(bob).press_sequentially("Hello the")
    expect(line).to_have_text("Bob is typing…")
    expect(typing_line(bob)).to_have_text("")  # never myself
    composer(carol).press_sequentially("Me t")
    expect(line).to_have_text("Bob and Carol are typing…")
    expect(typing_line(bob)).to_have_text("Carol is typing…")

    # Bob's message arriving removes him at once; Carol expires on her own.
    composer(bob).press_sequentially("re")
    composer(bob).press("Enter")
    expect_message(alice, "Hello there", author="bob")
    expect(line).to_have_text("Carol is typing…")
    alice.clock.run_for(TYPING_TTL_MS - 1000)
    expect(line).to_have_text("Carol is typing…")  # frozen: nothing else can change it
    alice.clock.run_for(2000)
    expect(line).to_have_text("")

    for page in (alice, bob, carol):
        assert_no_console_errors(page_errors[page])


def test_presence_follows_status_menu_and_closing_the_tab(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    alice, bob = people(new_page, "alice", "bob", channel="general")
    send_message(bob, "Bob was here")
    expect_message(alice, "Bob was here")
    expect(author_dot(alice, "bob")).to_have_attribute("data-presence", "online")
    expect(bob.locator("#me-presence")).to_have_attribute("data-presence", "online")

    # Bob's tab goes to the background (Playwright cannot hide a page; the app only
    # reads visibilityState and its event): he is away, and back when it returns.
    set_tab_visible(bob, False)
    expect(author_dot(alice, "bob")).to_have_attribute("data-presence", "away")
    set_tab_visible(bob, True)
    expect(author_dot(alice, "bob")).to_have_attribute("data-presence", "online")

    # Bob picks "Do not disturb" from his card's menu, with the keyboard.
    menu_button = bob.locator("#presence-button")
    menu_button.click()
    menu = bob.get_by_role("menu", name="Your status")
    expect(menu).to_be_visible()
    bob.keyboard.press("ArrowDown")
    bob.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitemradio", name=re.compile("Do not disturb"))).to_be_focused()
    bob.keyboard.press("Enter")
    expect(menu).to_be_hidden()
    expect(bob.locator("#me-presence")).to_have_attribute("data-presence", "dnd")
    expect(author_dot(alice, "bob")).to_have_attribute("data-presence", "dnd")

    menu_button.click()
    menu.get_by_role("menuitemradio", name=re.compile("Automatic")).click()
    expect(author_dot(alice, "bob")).to_have_attribute("data-presence", "online")

    bob.context.close()
    expect(author_dot(alice, "bob")).to_have_attribute("data-presence", "offline")
    assert_no_console_errors(page_errors[alice])
