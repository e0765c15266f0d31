"""Emoji data: reaction validation and ``:shortcode:`` rendering (never inside code)."""

from __future__ import annotations

import pytest

from minimost.domain.emoji import InvalidEmoji, canonical_emoji, data
from minimost.domain.errors import Invalid
from minimost.domain.render import _PLAIN, render_markdown


@pytest.mark.parametrize(
    ("source", "html"),
    [
        (":+1: nice :smile:", "<p>👍 nice 😄</p>"),
        (":tada::tada:", "<p>🎉🎉</p>"),
        (":heart:", "<p>❤️</p>"),
        ("**:fire:**", "<p><strong>🔥</strong></p>"),
        (":nope: and :smile", "<p>:nope: and :smile</p>"),  # unknown or unclosed: text
        ("10:30:45", "<p>10:30:45</p>"),  # digits only between colons: no emoji named "30"
        ("`:smile:`", "<p><code>:smile:</code></p>"),
        ("```\n:smile:\n```", "<pre><code>:smile:\n</code></pre>"),
        ("see https://example.com/:smile:", None),  # inside a link: the URL stays as typed
    ],
)
def test_shortcodes_become_emoji_outside_code(source, html):
    rendered = render_markdown(source)
    if html is None:
        assert "https://example.com/:smile:" in rendered and "😄" not in rendered
    else:
        assert rendered == html


def test_the_plain_fast_path_never_sees_a_colon():
    assert _PLAIN.fullmatch("hello there") is not None
    assert _PLAIN.fullmatch("hello :smile:") is None


def test_canonical_form_adds_or_drops_the_variation_selector():
    assert canonical_emoji("👍") == "👍"
    assert canonical_emoji("👍\ufe0f") == "👍"  # emoji presentation already: no FE0F
    assert canonical_emoji("❤") == "❤️"  # text presentation by default: FE0F needed
    assert canonical_emoji("🏳️‍🌈") == "🏳️‍🌈"  # a ZWJ sequence


@pytest.mark.parametrize("bad", ["", "a", "👍👍", " 👍", ":+1:", "\u200d", "🏻", "x" * 100])
def test_anything_else_is_invalid_emoji(bad):
    with pytest.raises(InvalidEmoji) as raised:
        canonical_emoji(bad)
    # An ``Invalid``: the web answers 422 (tests/web/test_error_statuses.py).
    assert isinstance(raised.value, Invalid)
    assert raised.value.code == "invalid_emoji"


def test_shortcodes_are_unique_and_the_data_is_loaded_once():
    assert data() is data()
    assert data().shortcodes["+1"] == "👍"
    assert data().shortcodes["thumbsup"] == "👍"
