"""Unreads and notifications: badges and the tab title, the "New messages" line,
marking read when the tab comes back, Ctrl+J/K, and desktop notifications."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from .conv_helpers import (
    RECORD_NOTIFICATIONS,
    expect_open,
    mention_badge,
    open_dm,
    open_item,
    read_answered,
    say,
    set_tab_visible,
    sidebar_item,
    unread_badge,
)
from .helpers import assert_no_console_errors, expect_message, message, sign_up

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]


def test_unread_badges_title_and_new_messages_line(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    kevin, jason = new_page(), new_page()
    sign_up(kevin, "kevin")
    sign_up(jason, "jason")
    open_item(jason, "random")
    say(jason, "already seen")
    with read_answered(kevin):
        open_item(kevin, "random")
    expect_message(kevin, "already seen")
    expect(unread_badge(kevin, "random")).to_be_hidden()
    open_item(kevin, "general")

    say(jason, "one")
    say(jason, "two")
    expect(unread_badge(kevin, "random")).to_have_text("2")
    expect(kevin).to_have_title("(2) #general · MiniMost")
    say(jason, "@kevin three")
    # A mention shows its own badge instead of the plain count.
    expect(mention_badge(kevin, "random")).to_have_text("1")
    expect(unread_badge(kevin, "random")).to_be_hidden()
    expect(sidebar_item(kevin, "random")).to_have_attribute(
        "aria-label", "random, 3 unread, 1 mention"
    )
    expect(kevin).to_have_title("(3) #general · MiniMost")

    # Opening it: the line sits above the first unread message; badges and title clear.
    open_item(kevin, "random")
    line = kevin.locator("#message-list #new-messages")
    expect(line).to_have_text("New messages")
    expect(kevin.locator("#new-messages + .msg .msg-body")).to_have_text("one")
    expect(mention_badge(kevin, "random")).to_be_hidden()
    expect(kevin).to_have_title("#random · MiniMost")

    # The read position reached the server: after a reload nothing is unread.
    kevin.reload()
    expect_message(kevin, "@kevin three")
    expect(kevin.locator("#new-messages")).to_have_count(0)
    expect(unread_badge(kevin, "random")).to_be_hidden()

    # In the background, the open conversation counts unread; back, it is read.
    set_tab_visible(kevin, False)
    say(jason, "while you were away")
    expect(unread_badge(kevin, "random")).to_have_text("1")
    expect(kevin).to_have_title("(1) #random · MiniMost")
    with read_answered(kevin):
        set_tab_visible(kevin, True)
    expect(unread_badge(kevin, "random")).to_be_hidden()
    expect(kevin).to_have_title("#random · MiniMost")
    expect(kevin.locator("#new-messages + .msg .msg-body")).to_have_text("while you were away")

    # Muted: the count shows (dimmed) but stays out of the title.
    kevin.get_by_role("button", name="Mute conversation").click()
    open_item(kevin, "general")
    say(jason, "quiet please")
    expect(unread_badge(kevin, "random")).to_have_text("1")
    expect(sidebar_item(kevin, "random")).to_have_attribute("aria-label", "random, 1 unread, muted")
    expect(kevin).to_have_title("#general · MiniMost")
    assert_no_console_errors(page_errors[kevin])


def test_ctrl_j_and_k_move_through_the_sidebar(new_page: NewPage) -> None:
    kevin, jason = new_page(), new_page()
    sign_up(kevin, "kevin")
    sign_up(jason, "jason")
    open_dm(jason, "kevin")
    say(jason, "psst")
    expect(sidebar_item(kevin, "Jason")).to_be_visible()
    open_item(kevin, "general")

    # Order: general, random, then DMs. Plain Ctrl+J/K step and wrap.
    kevin.keyboard.press("Control+j")
    expect(kevin.locator("#channel-title")).to_have_text("random")
    kevin.keyboard.press("Control+k")
    expect(kevin.locator("#channel-title")).to_have_text("general")
    with read_answered(kevin):
        kevin.keyboard.press("Control+k")
        expect(kevin.locator("#channel-title")).to_have_text("Jason")
    expect_message(kevin, "psst", author="jason")
    expect(unread_badge(kevin, "Jason")).to_be_hidden()  # read once on screen
    kevin.keyboard.press("Control+j")
    expect(kevin.locator("#channel-title")).to_have_text("general")

    # With Shift, only conversations with unreads: skips random, straight to the DM.
    open_item(kevin, "general")
    say(jason, "and here")
    expect(unread_badge(kevin, "Jason")).to_have_text("1")
    kevin.keyboard.press("Control+Shift+j")
    expect_open(kevin, "Jason")
    expect_message(kevin, "and here", author="jason")
    kevin.keyboard.press("Control+Shift+k")  # nothing else unread: stays
    expect(kevin.locator("#channel-title")).to_have_text("Jason")


def test_desktop_notification_for_a_dm_opens_it_on_click(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    kevin = new_page(permissions=["notifications"])
    kevin.add_init_script(RECORD_NOTIFICATIONS)
    jason = new_page()
    sign_up(kevin, "kevin")
    sign_up(jason, "jason")
    shown = "window.__notifications.map((n) => [n.title, n.body])"

    # Desktop notifications are off until switched on (never asked on load).
    kevin.get_by_role("button", name="Notification settings").click()
    desktop = kevin.get_by_label("Desktop notifications")
    expect(desktop).not_to_be_checked()
    desktop.check()
    expect(desktop).to_be_checked()
    kevin.get_by_role("button", name="Done").click()

    open_dm(jason, "kevin")
    say(jason, "are you free at 3?")
    kevin.wait_for_function("window.__notifications.length === 1")
    assert kevin.evaluate(shown) == [["Jason", "are you free at 3?"]]

    # Channel messages notify only when they mention you; your own never do.
    open_item(jason, "random")
    say(jason, "nothing for kevin here")
    say(jason, "@kevin can you look?")
    kevin.wait_for_function("window.__notifications.length === 2")
    assert kevin.evaluate(shown)[1] == ["Jason in #random", "@kevin can you look?"]
    open_item(kevin, "general")
    say(kevin, "my own words")

    # One click mutes everything.
    kevin.get_by_role("button", name="Mute all notifications").click()
    expect(kevin.get_by_role("button", name="Unmute all notifications")).to_have_attribute(
        "aria-pressed", "true"
    )
    open_dm(jason, "kevin")
    say(jason, "hello? (muted)")
    expect(sidebar_item(kevin, "Jason")).to_have_attribute(
        "aria-label", re.compile(r"^Jason, 2 unread")
    )
    assert kevin.evaluate("window.__notifications.length") == 2

    # Clicking the first notification opens the DM at that message.
    kevin.evaluate("window.__notifications[0].click()")
    expect_open(kevin, "Jason")
    expect(message(kevin, "are you free at 3?")).to_be_in_viewport()
    assert_no_console_errors(page_errors[kevin])
