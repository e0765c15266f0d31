"""Metadata from a page's head, the first link of a rendered message, and the service's
per-user limit and cache."""

from __future__ import annotations

from minimost.config import Settings
from minimost.domain.render import render_markdown
from minimost.linkpreview import service
from minimost.linkpreview.fetch import Page, Refused
from minimost.linkpreview.parse import MAX_TITLE, decode, first_link, metadata, preview_of


def test_first_link_skips_code_and_mentions() -> None:
    html = render_markdown(
        "`https://code.example` @bob see <https://a.example/?x=1&y=2> https://b.example"
    )
    assert first_link(html) == "https://a.example/?x=1&y=2"
    assert first_link(render_markdown("```\nhttps://in.code.example\n```")) is None
    assert first_link(render_markdown("[mail](mailto:a@b.example)")) is None


def test_fallbacks_and_bounds() -> None:
    data = metadata(
        "<html><head><title> Only\n a   title </title>"
        '<meta name="description" content="desc"></head><body><title>not this</title>'
    )
    assert (data.title, data.description, data.site_name) == ("Only a title", "desc", None)
    long = metadata(f"<title>{'x' * 1000}</title>")
    assert long.title is not None and len(long.title) == MAX_TITLE and long.title.endswith("…")
    assert (
        preview_of("https://a.example/", "https://www.a.example/", metadata("<p>nothing</p>"))
        is None
    )
    card = preview_of("https://a.example/", "https://www.a.example/", data)
    assert card == {"url": "https://a.example/", "title": "Only a title", "description": "desc",
                    "site_name": "www.a.example"}  # fmt: skip


def test_charsets() -> None:
    assert decode("<title>café</title>".encode("latin-1"), "iso-8859-1") == "<title>café</title>"
    meta = b'<meta charset="windows-1252"><title>caf\xe9</title>'
    assert "café" in decode(meta, None)
    assert "caf" in decode(b"<title>caf\xe9</title>", "no-such-charset")


class _Counting:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def fetch(self, url: str) -> Page:
        self.calls.append(url)
        if "bad" in url:
            raise Refused("nope")
        return Page(url, "text/html", "utf-8", b"<title>t</title>", False)


async def test_cache_and_refusals() -> None:
    previewer = service.LinkPreviewer(Settings())
    counting = _Counting()
    previewer.fetcher = counting  # type: ignore[assignment]
    card = await previewer.preview("https://a.example/")
    assert card is not None and card.fields["title"] == "t" and card.image is None
    await previewer.preview("https://a.example/")
    assert counting.calls == ["https://a.example/"]
    assert await previewer.preview("https://bad.example/") is None


async def test_per_user_limit() -> None:
    previewer = service.LinkPreviewer(Settings())
    hits = [
        await previewer._limiter.hit(previewer._limit, "link_preview", "7")
        for _ in range(service.PER_USER + 1)
    ]
    assert hits.count(True) == service.PER_USER and hits[-1] is False
    assert await previewer._limiter.hit(previewer._limit, "link_preview", "8")
