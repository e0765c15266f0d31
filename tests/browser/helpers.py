"""A small DSL for the browser tests, in the Campfire style: sign_up, open_channel,
send_message, expect_message. Everything waits through Playwright's `expect`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from playwright.sync_api import Error as PlaywrightError, Locator, Page, expect

PASSWORD = "Sup3r-secret!"


def display(name: str) -> str:
    return name.capitalize()


def sign_up(page: Page, name: str, password: str = PASSWORD) -> None:
    """Create the account through the signup page and wait for the live connection."""
    page.goto("/signup")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Display name").fill(display(name))
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/(#.*)?$"))
    wait_for_connection(page)


NewPage = Callable[..., Page]


def people(
    new_page: NewPage, *names: str, channel: str | None = None, fake_clock: bool = False
) -> list[Page]:
    """Sign everyone up, each in their own browser context (and open ``channel``).

    ``fake_clock``: install Playwright's clock before the app loads, so ``stop_time`` can
    freeze it later (it runs like the real one until then)."""
    pages = []
    for name in names:
        page = new_page()
        if fake_clock:
            page.clock.install()
        sign_up(page, name)
        if channel is not None:
            open_channel(page, channel)
        pages.append(page)
    return pages


def stop_time(page: Page) -> None:
    """Freeze the page's clock (installed with ``page.clock.install()`` before it loaded).

    From then on the app's timers only fire through ``page.clock.run_for``, so a busy
    machine cannot make a timed state (a typing name, a flash) end between two checks.
    ``pause_at`` must aim at a moment the page has not reached yet: a second ahead, and
    again if the machine was so slow that the moment passed on the way."""
    for _ in range(10):
        now_ms = page.evaluate("Date.now()")
        try:
            page.clock.pause_at(now_ms / 1000 + 1)  # a number here is in seconds
            return
        except PlaywrightError as exc:
            if "past" not in exc.message:
                raise
    raise AssertionError("could not pause the page's clock")


def log_in(page: Page, name: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/(#.*)?$"))
    wait_for_connection(page)


def wait_for_connection(page: Page, timeout: float | None = None) -> None:
    """Wait until the live socket is up (the server said hello)."""
    expect(page.locator("body[data-connection=online]")).to_be_attached(timeout=timeout)


def channel_button(page: Page, name: str) -> Locator:
    return page.locator("#channel-list button.channel").filter(
        has=page.locator(".channel-name", has_text=re.compile(rf"^{re.escape(name)}$"))
    )


def open_channel(page: Page, name: str) -> None:
    channel_button(page, name).click()
    expect(page.locator("#channel-title")).to_have_text(name)
    expect(channel_button(page, name)).to_have_attribute("aria-current", "page")
    expect(
        page.locator("#message-list .conv-intro, #message-list .older-row").first
    ).to_be_attached()


def composer(page: Page) -> Locator:
    return page.get_by_role("textbox", name=re.compile(r"^Message #"))


def send_message(page: Page, text: str) -> None:
    """Type into the composer, press Enter, and wait until the server confirmed it."""
    box = composer(page)
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")
    expect(message(page, text).and_(page.locator(".msg:not(.pending)"))).to_have_count(1)


def message(page: Page, text: str) -> Locator:
    """Message rows whose body contains `text`."""
    return page.locator("#message-list .msg").filter(has=page.locator(".msg-body", has_text=text))


def expect_message(page: Page, text: str, *, author: str | None = None, count: int = 1) -> Locator:
    """Wait until exactly `count` messages show `text` (and, if given, by `author`)."""
    row = message(page, text)
    expect(row).to_have_count(count)
    if count:
        expect(row.first).to_be_visible()
    if author is not None:
        expect(row.first).to_have_attribute("data-author", author)
    return row


def expect_no_message(page: Page, text: str) -> None:
    expect(message(page, text)).to_have_count(0)


def assert_no_console_errors(errors: list[str]) -> None:
    assert errors == [], "console errors:\n" + "\n".join(errors)


# ---- the API, for seeding and for a second user without a browser ------------------


class ApiUser:
    """A user driving the JSON API with the session cookie and the CSRF header."""

    def __init__(self, client: httpx.Client, csrf_token: str, user: dict[str, Any]) -> None:
        self.client = client
        self.csrf = csrf_token
        self.user = user

    @classmethod
    def sign_up(cls, client: httpx.Client, name: str, password: str = PASSWORD) -> ApiUser:
        r = client.post(
            "/api/v1/auth/signup",
            json={"username": name, "password": password, "display_name": display(name)},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        return cls(client, body["csrf_token"], body["user"])

    def conversation_id(self, name: str) -> int:
        r = self.client.get("/api/v1/conversations")
        assert r.status_code == 200, r.text
        for conv in r.json()["conversations"]:
            if conv["name"] == name:
                return int(conv["id"])
        raise AssertionError(f"no conversation {name!r}")

    def post(self, conversation_id: int, text: str, client_id: str | None = None) -> dict[str, Any]:
        r = self.client.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"text": text, "client_id": client_id or str(uuid.uuid4())},
            headers={"X-CSRF-Token": self.csrf},
        )
        assert r.status_code in (200, 201), r.text
        message: dict[str, Any] = r.json()["message"]
        return message
