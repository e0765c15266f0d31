"""A page's preview metadata from its HTML head, and the first link of a rendered message.

Open Graph first (``og:title``, ``og:description``, ``og:site_name``, ``og:image``), then
Twitter cards, ``<title>`` and ``<meta name="description">``. The values are plain text: the front end
shows them with ``textContent``, so nothing here needs to be HTML-safe, only bounded.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

MAX_TITLE = 200
MAX_DESCRIPTION = 400
MAX_SITE = 80
MAX_IMAGE_URL = 2048

# The sanitized html of a message: links are ``<a href="...">`` with the URL escaped.
# Links in code are not links (markdown-it does not linkify inside code).
_HREF = re.compile(r'<a href="(https?://[^"]+)"', re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.I)
_SPACE = re.compile(r"\s+")


def first_link(html: str) -> str | None:
    match = _HREF.search(html)
    return unescape(match.group(1)) if match else None


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            return
        if tag == "title":
            self._in_title = True
        elif tag == "meta":
            values = {k.lower(): (v or "") for k, v in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values and key not in self.meta:
                self.meta[key] = values["content"]
        elif tag == "body":
            self._done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "head":
            self._done = True

    def handle_data(self, data: str) -> None:
        if self._in_title and not self._done and len(self.title) < 4 * MAX_TITLE:
            self.title += data


def _clean(value: str | None, limit: int) -> str | None:
    if not value:
        return None
    text = _SPACE.sub(" ", value).strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def decode(body: bytes, charset: str | None) -> str:
    """The page's text: the header's charset, else a ``<meta charset>``, else UTF-8."""
    for candidate in (charset, _meta_charset(body), "utf-8"):
        if not candidate:
            continue
        try:
            codecs.lookup(candidate)
        except LookupError:
            continue
        return body.decode(candidate, errors="replace")
    return body.decode("utf-8", errors="replace")  # pragma: no cover - utf-8 always exists


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii") if match else None


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str | None
    description: str | None
    site_name: str | None
    image: str | None  # as the page states it, maybe relative (see ``image_url``)


def metadata(html: str) -> Metadata:
    collector = _Collector()
    collector.feed(html)
    meta = collector.meta
    return Metadata(
        title=_clean(
            meta.get("og:title") or meta.get("twitter:title") or collector.title, MAX_TITLE
        ),
        description=_clean(
            meta.get("og:description")
            or meta.get("twitter:description")
            or meta.get("description"),
            MAX_DESCRIPTION,
        ),
        site_name=_clean(meta.get("og:site_name"), MAX_SITE),
        image=(
            meta.get("og:image")
            or meta.get("og:image:url")
            or meta.get("twitter:image")
            or meta.get("twitter:image:src")
            or None
        ),
    )


def image_url(final_url: str, image: str | None) -> str | None:
    """The page's image as an absolute http(s) URL (relative ones resolved against the page
    after redirects), or None. Fetched by the server only, never shown to browsers."""
    if not image:
        return None
    image = image.strip()
    if not image or len(image) > MAX_IMAGE_URL:
        return None
    try:
        absolute = urljoin(final_url, image)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return absolute


def preview_of(url: str, final_url: str, data: Metadata) -> dict[str, str | None] | None:
    """The stored preview, or None when the page says nothing worth a card."""
    if not data.title and not data.description:
        return None
    return {
        "url": url,
        "title": data.title,
        "description": data.description,
        # No image here: the service fetches it through the guard and stores a thumbnail;
        # the wire's ``image_url`` points at our copy (``views.preview_view``).
        "site_name": data.site_name or urlsplit(final_url).hostname,
    }
