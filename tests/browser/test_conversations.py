"""Conversations in three browsers: private channels, DMs and group DMs, hiding a DM,
the channel browser, members and leaving."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conv_helpers import (
    api_get,
    conversation_by_label,
    create_private,
    expect_open,
    open_details,
    open_dm,
    open_item,
    say,
    section,
    sidebar_item,
    unread_badge,
)
from .helpers import NewPage, assert_no_console_errors, expect_message, people

pytestmark = pytest.mark.browser


def test_private_channel_is_seen_by_its_members_only(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    kevin, jason, david = people(new_page, "kevin", "jason", "david")

    create_private(kevin, "plans", invite=["jason"], topic="Q3 offsite")
    expect(section(kevin, "private-list")).to_have_text(["plans"])
    expect(kevin.locator("#channel-topic")).to_have_text("Q3 offsite")
    expect(sidebar_item(kevin, "plans")).to_have_attribute("aria-label", "plans, private channel")

    # Jason was invited: it shows up live, and he can talk in it.
    expect(section(jason, "private-list")).to_have_text(["plans"])
    open_item(jason, "plans")
    say(jason, "count me in")
    expect_message(kevin, "count me in", author="jason")

    # David never sees it: not in his sidebar, not in the browser, 404 from the API.
    plans = conversation_by_label(kevin, "private", "plans")
    expect(section(david, "private-list")).to_have_count(0)
    david.get_by_role("button", name="Browse channels").click()
    browser = david.locator(".browser-dialog")
    expect(browser.locator(".browser-row")).to_have_count(2)  # general, random
    expect(browser.locator(".browser-name", has_text="plans")).to_have_count(0)
    browser.get_by_role("button", name="Close").click()
    for path in (
        f"/api/v1/conversations/{plans['id']}",
        f"/api/v1/conversations/{plans['id']}/messages",
        f"/api/v1/conversations/{plans['id']}/members",
    ):
        status, body = api_get(david, path)
        assert status == 404, (path, body)
        assert body["error"]["code"] == "not_found"
    david.reload()
    expect(sidebar_item(david, "general")).to_be_visible()
    expect(section(david, "private-list")).to_have_count(0)

    # The creator sees both members and removes Jason, who is moved away at once.
    dialog = open_details(kevin)
    expect(dialog.locator(".member-name")).to_have_text(["Jason", "Kevin (you)"])
    dialog.get_by_role("button", name="Remove Jason").click()
    kevin.locator("#confirm-dialog").get_by_role("button", name="Remove").click()
    expect(section(jason, "private-list")).to_have_count(0)
    expect(jason.locator("#channel-title")).to_have_text("general")
    status, _ = api_get(jason, f"/api/v1/conversations/{plans['id']}")
    assert status == 404
    for page in (kevin, jason, david):
        assert_no_console_errors(page_errors[page])


def test_dm_and_group_dm_round_trip(new_page: NewPage, page_errors: dict[Page, list[str]]) -> None:
    kevin, jason, david = people(new_page, "kevin", "jason", "david")

    open_dm(kevin, "jason")
    expect_open(kevin, "Jason")
    expect(kevin.locator("#composer-input")).to_have_attribute("placeholder", "Message @Jason")
    say(kevin, "hi Jason, got a minute?")

    # Jason gets the DM in his sidebar with an unread badge, opens it, replies.
    expect(section(jason, "dm-list")).to_have_text(["Kevin"])
    expect(unread_badge(jason, "Kevin")).to_have_text("1")
    open_item(jason, "Kevin")
    expect(unread_badge(jason, "Kevin")).to_be_hidden()
    expect_message(jason, "hi Jason, got a minute?", author="kevin")
    say(jason, "sure, what's up?")
    expect_message(kevin, "sure, what's up?", author="jason")

    # Picking the same person again opens the same conversation: no second entry.
    open_item(kevin, "general")
    open_dm(kevin, "jason")
    expect_open(kevin, "Jason")
    expect(section(kevin, "dm-list")).to_have_text(["Jason"])

    # A group DM: all three see it, labelled with the other two, newest activity first.
    open_dm(kevin, "jason", "david")
    expect_open(kevin, "David, Jason")
    say(kevin, "lunch, all of us?")
    expect(section(kevin, "dm-list")).to_have_text(["David, Jason", "Jason"])
    expect(section(jason, "dm-list")).to_have_text(["David, Kevin", "Kevin"])
    expect(section(david, "dm-list")).to_have_text(["Jason, Kevin"])
    open_item(david, "Jason, Kevin")
    expect_message(david, "lunch, all of us?", author="kevin")
    say(david, "yes!")
    expect_message(kevin, "yes!", author="david")
    expect(unread_badge(jason, "David, Kevin")).to_have_text("2")

    # A note to self.
    open_dm(kevin, "kevin")
    expect_open(kevin, "you (note to self)")
    say(kevin, "buy milk")
    for page in (kevin, jason, david):
        assert_no_console_errors(page_errors[page])


def test_hidden_dm_comes_back_with_a_new_message(new_page: NewPage) -> None:
    kevin, jason = people(new_page, "kevin", "jason")
    open_dm(kevin, "jason")
    say(kevin, "ping")
    expect(section(jason, "dm-list")).to_have_text(["Kevin"])
    expect(unread_badge(jason, "Kevin")).to_have_text("1")

    open_item(jason, "Kevin")
    expect_message(jason, "ping", author="kevin")
    # The badge clears when the server has recorded the read (its answer): hiding and
    # reloading before that, on a busy machine, would lose the mark and count "ping" again.
    expect(unread_badge(jason, "Kevin")).to_be_hidden()
    dialog = open_details(jason)
    dialog.get_by_role("button", name="Hide conversation").click()
    expect(section(jason, "dm-list")).to_have_count(0)
    expect(jason.locator("#channel-title")).to_have_text("general")
    jason.reload()
    expect(sidebar_item(jason, "general")).to_be_visible()
    expect(section(jason, "dm-list")).to_have_count(0)

    say(kevin, "are you there?")
    expect(section(jason, "dm-list")).to_have_text(["Kevin"])
    expect(unread_badge(jason, "Kevin")).to_have_text("1")
    open_item(jason, "Kevin")
    expect_message(jason, "are you there?", author="kevin")


def test_browse_join_mute_and_leave(new_page: NewPage) -> None:
    (kevin,) = people(new_page, "kevin")
    open_item(kevin, "random")
    dialog = open_details(kevin)
    dialog.get_by_role("button", name="Leave channel").click()
    kevin.locator("#confirm-dialog").get_by_role("button", name="Leave").click()
    expect(section(kevin, "public-list")).to_have_text(["general"])
    expect(kevin.locator("#channel-title")).to_have_text("general")

    # The browser lists it again to join, keyboard only.
    kevin.get_by_role("button", name="Browse channels").click()
    search = kevin.get_by_role("searchbox", name="Search channels")
    expect(search).to_be_focused()
    search.fill("ran")
    expect(kevin.locator(".browser-dialog .browser-row")).to_have_count(1)
    expect(kevin.get_by_role("button", name="Join random")).to_be_visible()
    search.press("Enter")  # the only match
    expect_open(kevin, "random")
    expect(section(kevin, "public-list")).to_have_text(["general", "random"])

    mute = kevin.get_by_role("button", name="Mute conversation")
    mute.click()
    expect(kevin.get_by_role("button", name="Unmute conversation")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(sidebar_item(kevin, "random")).to_have_class(re.compile(r"\bmuted\b"))
    expect(sidebar_item(kevin, "random")).to_have_attribute("aria-label", "random, muted")
    kevin.reload()
    expect(sidebar_item(kevin, "random")).to_have_attribute("aria-label", "random, muted")
    kevin.get_by_role("button", name="Unmute conversation").click()
    expect(sidebar_item(kevin, "random")).to_have_attribute("aria-label", "random")
