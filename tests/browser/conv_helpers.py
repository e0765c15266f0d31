"""Browser-test DSL for conversations: the sidebar, the DM picker, private channels,
the details dialog, unread badges. Builds on helpers.py; everything waits via `expect`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Locator, Page, expect

from .helpers import channel_button, message

# Records every desktop notification the app shows, on top of the real API (the
# context is granted the permission, so `Notification.permission` is "granted").
RECORD_NOTIFICATIONS = """
(() => {
  const shown = [];
  window.__notifications = shown;
  const Real = window.Notification;
  if (!Real) return;
  class Recorded extends Real {
    constructor(title, options = {}) {
      const entry = { title, body: options.body, tag: options.tag, click: null };
      shown.push(entry); // recorded even if the real constructor throws
      super(title, options);
      entry.click = () => this.onclick && this.onclick();
    }
  }
  window.Notification = Recorded;
})();
"""


def sidebar_item(page: Page, label: str) -> Locator:
    """The sidebar button of a conversation, by its exact label."""
    return channel_button(page, label)


def section(page: Page, list_id: str) -> Locator:
    """Labels shown in one sidebar section: public-list, private-list or dm-list."""
    return page.locator(f"#{list_id} button.channel .channel-name")


def box(page: Page) -> Locator:
    return page.locator("#composer-input")


def say(page: Page, text: str) -> None:
    """Send a message in the open conversation and wait until the server confirmed it."""
    box(page).fill(text)
    box(page).press("Enter")
    expect(box(page)).to_have_value("")
    expect(message(page, text).and_(page.locator(".msg:not(.pending)"))).to_have_count(1)


def expect_open(page: Page, label: str) -> None:
    expect(page.locator("#channel-title")).to_have_text(label)
    expect(sidebar_item(page, label)).to_have_attribute("aria-current", "page")
    expect(
        page.locator("#message-list .conv-intro, #message-list .older-row").first
    ).to_be_attached()


def open_item(page: Page, label: str) -> None:
    sidebar_item(page, label).click()
    expect_open(page, label)


def open_dm(page: Page, *names: str) -> None:
    """`o` opens the picker; type each name, Enter picks it; Enter on the empty box opens."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("o")
    search = page.get_by_role("combobox", name="Find people")
    expect(search).to_be_focused()
    for name in names:
        search.fill(name)
        expect(page.locator(".dm-dialog [role=option].highlighted .option-username")).to_have_text(
            re.compile(rf"^@{re.escape(name)}")
        )
        search.press("Enter")
        expect(page.locator(".dm-dialog .chip", has_text=name.capitalize())).to_be_visible()
    search.press("Enter")
    expect(page.locator(".dm-dialog")).to_be_hidden()


def create_private(page: Page, name: str, invite: list[str], topic: str = "") -> None:
    page.get_by_role("button", name="Create private channel").first.click()
    dialog = page.locator(".create-dialog")
    dialog.get_by_label("Name").fill(name)
    if topic:
        dialog.get_by_label("Topic (optional)").fill(topic)
    picker = dialog.get_by_role("combobox", name="Invite people")
    for person in invite:
        picker.fill(person)
        expect(dialog.locator("[role=option].highlighted .option-username")).to_have_text(
            re.compile(rf"^@{re.escape(person)}")
        )
        picker.press("Enter")
        expect(dialog.locator(".chip", has_text=person.capitalize())).to_be_visible()
    dialog.get_by_role("button", name="Create").click()
    expect(dialog).to_be_hidden()
    expect_open(page, name)


def open_details(page: Page) -> Locator:
    page.get_by_role("button", name="Conversation details").click()
    dialog = page.locator(".details-dialog")
    expect(dialog).to_be_visible()
    return dialog


def unread_badge(page: Page, label: str) -> Locator:
    return sidebar_item(page, label).locator(".badge")


def mention_badge(page: Page, label: str) -> Locator:
    return sidebar_item(page, label).locator(".mention-count")


@contextmanager
def read_answered(page: Page) -> Iterator[None]:
    """Around what makes the page mark a conversation read: wait for the server's answer.

    The badge can clear on the ``read.updated`` event before the answer is back, and the
    answer carries the counts from when it was written: if it landed after the next
    message, it would take that message's unread back (the client cannot tell)."""
    with page.expect_event(
        "requestfinished", lambda r: r.method == "POST" and r.url.endswith("/read")
    ):
        yield


def set_tab_visible(page: Page, visible: bool) -> None:
    """Pretend the tab went to the background (or came back): what switching tabs does."""
    page.evaluate(
        """(visible) => {
            Object.defineProperty(document, "visibilityState", {
                configurable: true, get: () => (visible ? "visible" : "hidden"),
            });
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        visible,
    )


def api_get(page: Page, path: str) -> tuple[int, Any]:
    """GET with the page's session cookie (same browser context)."""
    response = page.request.get(path)
    try:
        body = response.json()
    except Exception:  # a non-JSON body is still a status to assert on
        body = None
    return response.status, body


def conversation_by_label(page: Page, kind: str, name: str | None = None) -> dict[str, Any]:
    status, body = api_get(page, "/api/v1/conversations")
    assert status == 200, body
    for conv in body["conversations"]:
        if conv["kind"] == kind and (name is None or conv["name"] == name):
            return dict(conv)
    raise AssertionError(f"no {kind} conversation {name!r}")
