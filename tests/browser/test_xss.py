"""Every payload of the XSS corpus, posted through the real API and rendered by the real
front end in Chromium, stays inert: no dialog opens, ``window.__xss`` stays unset, and the
CSP never even has to block anything (the sanitizer already removed it)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.helpers import ApiUser, open_channel, sign_up
from tests.domain.xss_corpus import PAYLOADS

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]


def _rows_rendered(page: Page, ids: list[int]) -> None:
    for message_id in ids:
        row = page.locator(f'#message-list .msg[data-id="{message_id}"] .msg-body')
        expect(row).to_be_attached()


def test_no_payload_executes(
    new_page: NewPage, server: LiveServer, page_errors: dict[Page, list[str]]
) -> None:
    kevin = new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    kevin.on("dialog", on_dialog)
    sign_up(kevin, "kevin")
    open_channel(kevin, "general")
    # The listener works: a real alert is seen.
    kevin.evaluate("() => window.alert('control')")
    assert dialogs == ["control"]
    dialogs.clear()

    with server.client() as client:
        mallory = ApiUser.sign_up(client, "mallory")
        general = mallory.conversation_id("general")
        ids = [mallory.post(general, payload)["id"] for payload in PAYLOADS]

    _rows_rendered(kevin, ids)  # live, through the socket
    # Raw markup is shown as text, and a labelled fence is highlighted.
    shown = kevin.locator("#message-list .msg-body", has_text="<script>window.__xss=1</script>")
    expect(shown.first).to_be_visible()
    expect(kevin.locator("#message-list pre code.language-html span").first).to_be_attached()
    # Hover and focus every link the payloads produced (mouseover/focus handlers).
    links = kevin.locator("#message-list .msg-body a")
    for index in range(links.count()):
        # As the browser resolves it: "jav%09ascript:x" is a harmless relative path.
        protocol = links.nth(index).evaluate("a => a.protocol")
        assert protocol in ("http:", "https:", "mailto:"), links.nth(index).get_attribute("href")
        links.nth(index).hover()

    kevin.reload()  # and through a history page
    open_channel(kevin, "general")
    _rows_rendered(kevin, ids[-40:])

    assert kevin.evaluate("() => window.__xss") is None
    assert dialogs == []
    csp = [e for e in page_errors[kevin] if "CSP violation" in e]
    assert csp == [], csp
    assert page_errors[kevin] == []
