"""Formatting shortcuts in the composer and the message editor, and rendered markdown."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import composer, message, open_channel, sign_up

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]


def test_shortcuts_format_and_the_message_renders(new_page: NewPage) -> None:
    kevin = new_page()
    sign_up(kevin, "kevin")
    open_channel(kevin, "general")
    box = composer(kevin)
    box.fill("loud")
    box.press("ControlOrMeta+a")
    box.press("Control+b")
    expect(box).to_have_value("**loud**")
    box.press("End")
    box.type(" and ")
    box.press("Control+u")
    box.type("under")
    expect(box).to_have_value("**loud** and __under__")
    box.press("Control+u")  # steps out of the pair
    box.type(" ok")
    box.press("Control+s")
    expect(box).to_have_value("**loud** and __under__ ok~~~~")
    box.press("Control+s")  # the empty pair goes away again
    expect(box).to_have_value("**loud** and __under__ ok")
    box.press("Enter")
    row = message(kevin, "loud")
    expect(row.locator(".msg-body strong")).to_have_text("loud")
    expect(row.locator(".msg-body u")).to_have_text("under")

    box.fill("```python\ndef f():\n    return 1\n```")
    box.press("Enter")
    code = kevin.locator("#message-list pre code.language-python")
    expect(code.locator("span.k").first).to_have_text("def")
    colour = code.locator("span.k").first.evaluate("n => getComputedStyle(n).color")
    assert colour == "rgb(255, 123, 114)"  # code.css (github-dark keyword)

    # The editor has the same keys.
    box.press("ArrowUp")
    editor = kevin.get_by_role("textbox", name="Edit message")
    expect(editor).to_be_focused()
    editor.fill("plain")
    editor.press("ControlOrMeta+a")
    editor.press("Control+i")
    expect(editor).to_have_value("*plain*")
