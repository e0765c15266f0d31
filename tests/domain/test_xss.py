"""Every hostile text of the corpus renders to HTML that holds only the allowed tags and
attributes, no handler, no style and no link that is not http(s), mailto or relative."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from minimost.domain.render import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown
from tests.domain.xss_corpus import PAYLOADS

SAFE_SCHEMES = {"", "http", "https", "mailto"}


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | {"class", "target", "rel"}
        for name, value in attrs:
            if name not in allowed or name.startswith("on") or name == "style":
                self.problems.append(f"attribute {name} on <{tag}>")
            if name == "href":
                # What the browser would see: entities decoded, control characters dropped.
                url = re.sub(r"[\x00-\x20]", "", value or "")
                if urlsplit(url).scheme.lower() not in SAFE_SCHEMES:
                    self.problems.append(f"href {value!r}")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_renders_inert(payload: str) -> None:
    html = render_markdown(payload)
    audit = _Audit()
    audit.feed(html)
    assert audit.problems == [], html
    lowered = html.lower()
    for needle in ("<script", "<svg", "<img", "<iframe", "<style", "<object", "<embed"):
        assert needle not in lowered, html
    bare_tags = re.sub(r'"[^"]*"', '""', lowered)  # quoted values are text, not attributes
    assert not re.search(r"<[^>]*\son\w+\s*=", bare_tags), html
    assert not re.search(r'<a\s[^>]*href="\s*(javascript|vbscript|data):', lowered), html


def test_corpus_is_not_trivially_empty() -> None:
    # Each payload still shows something: the text is escaped, not swallowed.
    assert all(render_markdown(p).strip() for p in PAYLOADS)
    assert "&lt;script&gt;" in render_markdown("<script>window.__xss=1</script>")
