"""Two people chatting in two browsers: signup, live messages, edit, delete."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from .helpers import (
    assert_no_console_errors,
    channel_button,
    composer,
    expect_message,
    expect_no_message,
    log_in,
    message,
    open_channel,
    send_message,
    sign_up,
)

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]


def test_signup_shows_rules_live_and_messages_arrive_live(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    kevin = new_page()
    kevin.goto("/signup")
    rules = kevin.locator("#password-rules .rule")
    expect(rules).to_have_count(4)
    password = kevin.get_by_label("Password", exact=True)

    password.fill("abc")
    expect(kevin.locator('.rule[data-rule="length"]')).to_have_attribute("data-state", "unmet")
    expect(kevin.locator('.rule[data-rule="upper"]')).to_have_attribute("data-state", "unmet")
    password.fill("Abcdefg1")
    expect(kevin.locator('.rule[data-state="met"]')).to_have_count(3)
    expect(kevin.locator('.rule[data-rule="special"]')).to_have_attribute("data-state", "unmet")

    kevin.get_by_label("Username").fill("kevin")
    kevin.get_by_role("button", name="Create account").click()
    expect(kevin.locator("#password-error")).to_contain_text("doesn't meet")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(kevin).to_have_url(re.compile(r"/signup$"))

    password.fill("Abcdefg1!")
    expect(kevin.locator('.rule[data-state="met"]')).to_have_count(4)
    sign_up(kevin, "kevin")

    jason = new_page()
    sign_up(jason, "jason")
    open_channel(kevin, "general")
    open_channel(jason, "general")

    send_message(kevin, "Hello from Kevin")
    row = expect_message(jason, "Hello from Kevin", author="kevin")
    expect(row.locator(".msg-author")).to_have_text("Kevin")
    expect(row.locator("time")).to_be_visible()

    jason.reload()
    expect_message(jason, "Hello from Kevin", author="kevin")
    expect_message(kevin, "Hello from Kevin")
    assert_no_console_errors(page_errors[kevin])
    assert_no_console_errors(page_errors[jason])


def test_edit_and_delete_propagate_live(new_page: NewPage) -> None:
    kevin, jason = new_page(), new_page()
    sign_up(kevin, "kevin")
    sign_up(jason, "jason")
    open_channel(kevin, "random")
    open_channel(jason, "random")

    send_message(kevin, "first draft")
    expect_message(jason, "first draft")

    # ArrowUp in the empty composer edits the last own message; Esc cancels.
    composer(kevin).press("ArrowUp")
    editor = kevin.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("first draft")
    editor.press("Escape")
    expect(editor).to_have_count(0)
    expect(composer(kevin)).to_be_focused()

    composer(kevin).press("ArrowUp")
    editor.fill("second thoughts")
    editor.press("Enter")
    expect(editor).to_have_count(0)
    edited = expect_message(jason, "second thoughts")
    expect(edited.locator(".msg-edited")).to_have_text("(edited)")
    expect_no_message(jason, "first draft")
    expect(expect_message(kevin, "second thoughts").locator(".msg-edited")).to_be_visible()

    row = message(kevin, "second thoughts")
    row.hover()
    row.get_by_role("button", name="Delete message").click()
    dialog = kevin.get_by_role("dialog")
    expect(dialog).to_contain_text("Delete message?")
    dialog.get_by_role("button", name="Delete").click()

    for page in (kevin, jason):
        tombstone = page.locator("#message-list .msg.deleted .msg-tombstone")
        expect(tombstone).to_have_text("message deleted")
        expect(tombstone.locator("em")).to_have_count(1)
        expect_no_message(page, "second thoughts")

    jason.reload()
    expect(jason.locator("#message-list .msg-tombstone")).to_have_text("message deleted")


def test_no_console_errors_or_csp_violations(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    page = new_page()
    sign_up(page, "kevin")
    open_channel(page, "general")
    send_message(page, "line one")
    box = composer(page)
    box.fill("two")
    box.press("Shift+Enter")
    box.type("lines")
    expect(box).to_have_value("two\nlines")
    box.press("Enter")
    expect(message(page, "lines").and_(page.locator(".msg:not(.pending)"))).to_have_count(1)
    composer(page).press("ArrowUp")
    editor = page.get_by_role("textbox", name="Edit message")
    expect(editor).to_have_value("two\nlines")
    editor.fill("two\nlines, edited")
    editor.press("Enter")
    expect(message(page, "lines, edited").locator(".msg-edited")).to_be_visible()
    open_channel(page, "random")
    open_channel(page, "general")
    page.reload()
    expect_message(page, "line one")

    # Keyboard: `i` focuses the composer when nothing is focused; Esc leaves it.
    box.press("Escape")
    expect(box).not_to_be_focused()
    page.keyboard.press("i")
    expect(box).to_be_focused()
    expect(box).to_have_value("")

    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#auth-notice")).to_be_visible()
    log_in(page, "kevin")
    expect_message(page, "line one")
    assert_no_console_errors(page_errors[page])


def test_unread_badge_for_other_channels(new_page: NewPage) -> None:
    kevin, jason = new_page(), new_page()
    sign_up(kevin, "kevin")
    sign_up(jason, "jason")
    open_channel(kevin, "general")
    open_channel(jason, "random")
    send_message(jason, "psst, over here")
    send_message(jason, "and again")

    badge = channel_button(kevin, "random").locator(".badge")
    expect(badge).to_have_text("2")
    expect(kevin).to_have_title("(2) #general · MiniMost")
    open_channel(kevin, "random")
    expect(badge).to_be_hidden()
    expect(kevin).to_have_title("#random · MiniMost")
    expect_message(kevin, "and again", author="jason")
