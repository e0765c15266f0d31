"""Markdown rendering: sanitised output, and the plain-text fast path equals the parser."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from minimost.domain.render import render_full, render_markdown

PLAIN_ALPHABET = "abcXYZ019,;'?! "


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=PLAIN_ALPHABET, min_size=1, max_size=40))
def test_fast_path_matches_the_parser(text: str) -> None:
    text = text.rstrip()  # what clean_text hands over
    if text:
        assert render_markdown(text) == render_full(text)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=60))
def test_any_text_renders_like_the_parser(text: str) -> None:
    assert render_markdown(text) == render_full(text)


def test_formatting_and_sanitising() -> None:
    assert render_markdown("hi **b** __u__ ~~s~~ *i*") == (
        "<p>hi <strong>b</strong> <u>u</u> <s>s</s> <em>i</em></p>"
    )
    assert "<script" not in render_markdown("<script>alert(1)</script>")
    assert "href" not in render_markdown("[x](javascript:alert(1))")
    link = render_markdown("see https://example.com")
    assert 'rel="noopener noreferrer"' in link
    assert 'target="_blank"' in link
    assert render_markdown("1) not a list?") == render_full("1) not a list?")
    assert render_markdown("    indented") == render_full("    indented")
