"""Attachments and profiles in two browsers: an image through the paperclip (with its
progress bar) shows as a thumbnail for the other person and opens in the viewer; a new
display name and colour show up live in the other tab."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable

import pytest
from PIL import Image
from playwright.sync_api import Page, Route, expect

from .helpers import assert_no_console_errors, composer, people

pytestmark = pytest.mark.browser

NewPage = Callable[..., Page]


def noisy_png(size: tuple[int, int] = (900, 600)) -> bytes:
    """Incompressible (≈ 1.6 MB): a real photo's weight."""
    raw = os.urandom(size[0] * size[1] * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", size, raw).save(out, format="PNG")
    return out.getvalue()


def test_an_image_attachment_and_a_profile_change_reach_the_other_tab(
    new_page: NewPage, page_errors: dict[Page, list[str]]
) -> None:
    alice, bob = people(new_page, "alice", "bob", channel="general")
    image = noisy_png()
    # The upload is held at the network layer until its chip has been seen uploading: it
    # must not be over before we look, however fast or slow the machine is.
    held: list[Route] = []
    alice.route("**/api/v1/files", lambda route: held.append(route))

    # The paperclip's file input: a chip with a progress bar while it uploads.
    with alice.expect_request(lambda r: r.method == "POST" and r.url.endswith("/api/v1/files")):
        alice.locator("#attach-input").set_input_files(
            {"name": "photo.png", "mimeType": "image/png", "buffer": image}
        )
    chip = alice.locator("#attachments .attachment", has_text="photo.png")
    expect(chip.locator("progress")).to_be_visible()
    expect(alice.locator("#send-button")).to_be_disabled()  # not while it uploads
    assert len(held) == 1, "the upload reached the network layer once"
    held[0].continue_()
    alice.unroute("**/api/v1/files")
    expect(chip).to_have_class(re.compile(r"\bis-done\b"))
    expect(chip.locator("progress")).to_have_count(0)

    # No text needed: Enter sends the attachment alone.
    composer(alice).press("Enter")
    expect(alice.locator("#attachments")).to_be_hidden()

    # bob sees the thumbnail, its box reserved from the known size (900 × 600 → 360 × 240).
    thumb = bob.locator("#message-list .msg .file-image img")
    expect(thumb).to_be_visible()
    expect(thumb).to_have_attribute("width", "360")
    expect(thumb).to_have_attribute("height", "240")
    expect(thumb).to_have_attribute("src", re.compile(r"/api/v1/files/\d+/thumbnail$"))
    bob.wait_for_function(
        "() => { const i = document.querySelector('#message-list .file-image img');"
        " return i && i.complete && i.naturalWidth === 360; }"
    )

    # The viewer: opens on click (keyboard: it is a button), full size, Esc closes it.
    bob.locator("#message-list .file-image").focus()
    bob.keyboard.press("Enter")
    viewer = bob.locator("#image-viewer")
    expect(viewer).to_be_visible()
    expect(viewer.locator(".viewer-name")).to_have_text("photo.png")
    expect(viewer.locator("img")).to_have_attribute("src", re.compile(r"/api/v1/files/\d+$"))
    bob.wait_for_function("() => document.querySelector('#image-viewer img').naturalWidth === 900")
    bob.keyboard.press("Escape")
    expect(viewer).to_be_hidden()
    expect(bob.locator("#message-list .file-image")).to_be_focused()

    # alice renames herself and picks a colour; bob's tab follows live.
    alice.locator("#open-profile").click()
    dialog = alice.get_by_role("dialog", name="Profile")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Display name").fill("Alice Cooper")
    dialog.locator("label[title=Teal]").click()
    expect(dialog.locator(".profile-sample")).to_have_text("Alice Cooper")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(alice.locator("#me-name")).to_have_text("Alice Cooper")

    author = bob.locator("#message-list .msg[data-author=alice] .msg-author").first
    expect(author).to_have_text("Alice Cooper")
    expect(author).to_have_css("color", "rgb(95, 216, 200)")

    # The profile card from the author's name: name, @username, and a way to message her.
    author.click()
    card = bob.get_by_role("dialog", name="Profile of Alice Cooper")
    expect(card).to_be_visible()
    expect(card).to_contain_text("@alice")
    expect(card.get_by_role("button", name="Message")).to_be_focused()
    bob.keyboard.press("Escape")
    expect(card).to_be_hidden()

    for page in (alice, bob):
        assert_no_console_errors(page_errors[page])
