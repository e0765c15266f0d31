"""End to end: a message with a link gets its preview in the background, delivered as a
``message.updated`` event and kept in history (real uvicorn, real sockets, SQLite and
PostgreSQL). The page comes from a local server through the test-only loopback override."""

from __future__ import annotations

import asyncio
import io
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from minimost.config import Settings
from minimost.db.models import Message
from minimost.domain.actions.files import blob_store
from minimost.domain.actions.previews import set_preview
from minimost.domain.clock import FakeClock
from minimost.domain.context import Ctx
from minimost.linkpreview.fetch import HTML as HTML_WANT, GuardedFetcher, Page, Policy, Want
from minimost.linkpreview.service import LinkPreviewer
from tests.linkpreview.server import PAGE, local_server, response
from tests.live import InProcessServer, LiveUsers, hello, recv, serve_app

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
async def live(settings_factory: Callable[..., Settings]) -> AsyncIterator[InProcessServer]:
    async with serve_app(settings_factory(link_previews=True)) as server:
        yield server


def previewer(live: InProcessServer) -> LinkPreviewer:
    found = live.app.state.minimost.ctx.previews
    assert isinstance(found, LinkPreviewer)
    return found


async def test_a_link_gets_a_preview_by_message_updated(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    async with local_server({"/page": response("200 OK", HTML, PAGE)}) as site:
        previews = previewer(live)
        previews.fetcher = GuardedFetcher(
            Policy(unsafe_allow_loopback=True, ports=frozenset({site.port}))
        )
        url = f"{site.base}/page"
        async with bob.connect() as bob_ws:
            await hello(bob_ws)
            message = await alice.send("general", f"look at {url} and `http://not.this/`")
            assert message["preview"] is None  # the send does not wait for the fetch
            created = await recv(bob_ws)
            assert created["type"] == "message.created"
            updated = await recv(bob_ws)
    assert updated["type"] == "message.updated"
    assert updated["data"]["id"] == message["id"]
    assert updated["data"]["edited_at"] is None  # a preview is not an edit
    assert updated["data"]["preview"] == {
        "url": url,
        "title": "The & Title",
        "description": "What the page is about.",
        "image_url": None,
        "site_name": "Example Site",
    }
    assert site.requests == [(f"127.0.0.1:{site.port}", "/page")]
    page = await bob.history("general")
    assert page["messages"][-1]["preview"] == updated["data"]["preview"]


async def test_loopback_links_get_no_preview_without_the_override(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    async with local_server({"/": response("200 OK", HTML, PAGE)}) as site:
        previews = previewer(live)
        previews.fetcher = GuardedFetcher(Policy(ports=frozenset({site.port})))
        message = await alice.send("general", f"{site.base}/")
        await previews.drain()
        assert site.requests == []
    page = await alice.history("general")
    assert page["messages"][-1]["id"] == message["id"]
    assert page["messages"][-1]["preview"] is None


async def test_a_deleted_or_edited_message_keeps_no_stale_preview(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    ctx = live.app.state.minimost.ctx
    first = await alice.send("general", "https://a.example/")
    edited = await alice.send("general", "https://b.example/")
    response_ = await alice.patch(
        f"/api/v1/messages/{edited['id']}", json={"text": "https://c.example/"}
    )
    assert response_.status_code == 200, response_.text
    deleted = await alice.delete(f"/api/v1/messages/{first['id']}")
    assert deleted.status_code in (200, 204), deleted.text
    card = {"title": "T", "description": None, "image_url": None, "site_name": "x"}
    assert not await set_preview(ctx, first["id"], {**card, "url": "https://a.example/"})
    assert not await set_preview(ctx, edited["id"], {**card, "url": "https://b.example/"})
    assert await set_preview(ctx, edited["id"], {**card, "url": "https://c.example/"})


def test_the_setting_turns_previews_off(settings_factory: Callable[..., Settings]) -> None:
    from minimost.app import create_app

    app = create_app(settings_factory(link_previews=False))
    assert not isinstance(app.state.minimost.ctx.previews, LinkPreviewer)
    # The test suite turns it off (tests/conftest.py); the product default is on.
    assert Settings.model_fields["link_previews"].default is True
    assert Settings.model_fields["link_preview_allow_private"].default is False


async def test_an_edit_keeps_the_preview_of_the_same_link_and_refetches_a_new_one(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    other = PAGE.replace(b"The &amp; Title", b"Another page")
    assert other != PAGE
    async with local_server(
        {"/page": response("200 OK", HTML, PAGE), "/other": response("200 OK", HTML, other)}
    ) as site:
        previews = previewer(live)
        previews.fetcher = GuardedFetcher(
            Policy(unsafe_allow_loopback=True, ports=frozenset({site.port}))
        )
        async with alice.connect() as ws:
            await hello(ws)
            message = await alice.send("general", f"see {site.base}/page")
            assert (await recv(ws))["type"] == "message.created"
            first = (await recv(ws))["data"]["preview"]
            assert first["title"] == "The & Title"

            url = f"/api/v1/messages/{message['id']}"
            same = await alice.patch(url, json={"text": f"see {site.base}/page (really)"})
            assert same.json()["message"]["preview"] == first  # same link: kept, no fetch
            assert (await recv(ws))["data"]["preview"] == first

            moved = await alice.patch(url, json={"text": f"no, {site.base}/other"})
            assert moved.json()["message"]["preview"] is None  # the old card is gone at once
            assert (await recv(ws))["data"]["preview"] is None
            refetched = await recv(ws)
    assert refetched["type"] == "message.updated"
    assert refetched["data"]["preview"]["title"] == "Another page"
    assert site.requests == [
        (f"127.0.0.1:{site.port}", "/page"),
        (f"127.0.0.1:{site.port}", "/other"),
    ]


# --- images -------------------------------------------------------------------------------

IMAGE_PAGE = (
    b"<!doctype html><html><head><title>Pictured</title>"
    b'<meta property="og:description" content="A page with a picture.">'
    b'<meta property="og:image" content="/static/pic.png">'  # relative: resolved on the page
    b"</head><body></body></html>"
)


def picture(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 220)).save(out, format="PNG")
    return out.getvalue()


def image_sha(ctx: Ctx, message_id: int) -> Awaitable[str | None]:
    async def read() -> str | None:
        async with ctx.db.read() as conn:
            return await conn.scalar(
                select(Message.preview_image_sha256).where(Message.id == message_id)
            )

    return read()


async def test_a_page_image_is_fetched_stored_and_served_to_readers_only(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    bob = await people("bob")
    oscar = await people("oscar")
    ctx = live.app.state.minimost.ctx
    store = blob_store(ctx)
    routes = {
        "/page": response("200 OK", HTML, IMAGE_PAGE),
        "/static/pic.png": response("200 OK", {"Content-Type": "image/png"}, picture()),
    }
    async with local_server(routes) as site:  # type: ignore[arg-type]
        previewer(live).fetcher = GuardedFetcher(
            Policy(unsafe_allow_loopback=True, ports=frozenset({site.port}))
        )
        secret = await alice.create_private("pictures", bob)
        async with bob.connect() as bob_ws:
            await hello(bob_ws)
            message = await alice.post_to(secret, f"see {site.base}/page")
            assert (await recv(bob_ws))["type"] == "message.created"
            updated = await recv(bob_ws)
        assert site.requests == [
            (f"127.0.0.1:{site.port}", "/page"),
            (f"127.0.0.1:{site.port}", "/static/pic.png"),
        ]
    preview = updated["data"]["preview"]
    sha = await image_sha(ctx, message["id"])
    assert sha is not None and store.exists(sha)
    url = f"/api/v1/messages/{message['id']}/preview-image?v={sha[:16]}"
    assert preview == {
        "url": f"{site.base}/page",
        "title": "Pictured",
        "description": "A page with a picture.",
        "image_url": url,
        "site_name": "127.0.0.1",
    }
    assert "image_sha256" not in updated["data"]["preview"]  # the digest stays home
    history = await bob.get(f"/api/v1/conversations/{secret}/messages")
    assert history.json()["messages"][-1]["preview"] == preview

    got = await bob.get(url)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "image/webp"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert got.headers["cache-control"] == "private, max-age=31536000, immutable"
    shown = Image.open(io.BytesIO(got.content))
    assert (shown.format, shown.size) == ("WEBP", (400, 300))  # our thumbnail, not theirs
    assert got.content == store.path(sha).read_bytes()
    unversioned = await alice.get(f"/api/v1/messages/{message['id']}/preview-image")
    assert unversioned.status_code == 200 and unversioned.headers["cache-control"] == (
        "private, no-cache"
    )

    # Not a member: exactly like a message that does not exist. An old version: gone.
    outsider = await oscar.get(url)
    missing = await oscar.get(f"/api/v1/messages/999999/preview-image?v={sha[:16]}")
    assert outsider.status_code == missing.status_code == 404
    assert outsider.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"
    stale = await bob.get(f"/api/v1/messages/{message['id']}/preview-image?v=0123456789abcdef")
    assert stale.status_code == 404 and stale.json()["error"]["code"] == "not_found"

    deleted = await alice.delete(f"/api/v1/messages/{message['id']}")
    assert deleted.status_code == 204, deleted.text
    assert not store.exists(sha)
    assert await image_sha(ctx, message["id"]) is None
    assert (await bob.get(url)).status_code == 404


async def test_an_edit_to_another_link_reaps_the_old_image(
    live: InProcessServer, people: LiveUsers
) -> None:
    alice = await people("alice")
    ctx = live.app.state.minimost.ctx
    routes = {
        "/page": response("200 OK", HTML, IMAGE_PAGE),
        "/static/pic.png": response("200 OK", {"Content-Type": "image/png"}, picture()),
    }
    async with local_server(routes) as site:  # type: ignore[arg-type]
        previews = previewer(live)
        previews.fetcher = GuardedFetcher(
            Policy(unsafe_allow_loopback=True, ports=frozenset({site.port}))
        )
        message = await alice.send("general", f"{site.base}/page")
        await previews.drain()
        sha = await image_sha(ctx, message["id"])
        assert sha is not None and blob_store(ctx).exists(sha)
        edited = await alice.patch(
            f"/api/v1/messages/{message['id']}", json={"text": "https://elsewhere.example/"}
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["message"]["preview"] is None
        assert not blob_store(ctx).exists(sha)
        assert await image_sha(ctx, message["id"]) is None
        await previews.drain()


def noise() -> bytes:
    out = io.BytesIO()
    Image.frombytes("RGB", (100, 100), os.urandom(30_000)).save(out, format="PNG")
    return out.getvalue()  # incompressible: about 30 KB


BAD_IMAGES: dict[str, bytes] = {
    "/html": response("200 OK", HTML, b"<html><img src=x></html>"),
    "/garbage": response("200 OK", {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\nnot really"),
    "/svg": response("200 OK", {"Content-Type": "image/svg+xml"}, b"<svg></svg>"),
    "/big": response("200 OK", {"Content-Type": "image/png"}, noise()),
    # No Content-Length: the cap must hold while streaming, not only from the header.
    "/stream": b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n"
    + b"\x00" * 300_000,
    "/redirect": b"",  # filled in per test: a redirect to an internal address
}


def _bomb() -> bytes:
    out = io.BytesIO()
    # 64 MP in a few KB: over our 50 MP bound, under Pillow's own (89 MP) warning.
    Image.new("1", (8_000, 8_000)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("image", "why"),
    [
        ("/html", "'text/html' is not an image we show"),
        ("/garbage", "Truncated File Read"),  # Pillow's words for it
        ("/svg", "'image/svg+xml' is not an image we show"),
        ("/big", "image of 30168 bytes is over the 1000 byte cap"),
        ("/stream", "image over the 262144 byte cap"),
        ("/bomb", "image dimensions out of range"),
        ("/missing", "status 404"),
        ("internal", "10.1.2.3: private"),
        ("metadata", "169.254.169.254: link-local"),
        ("/redirect", "169.254.169.254: link-local"),
        ("javascript:alert(1)", None),  # not http(s): never fetched at all
        ("data:image/png;base64,iVBORw0KGgo=", None),
    ],
)
async def test_a_bad_image_leaves_the_card_without_one(
    image: str, why: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    routes: dict[str, bytes] = {
        **BAD_IMAGES,
        "/bomb": response("200 OK", {"Content-Type": "image/png"}, _bomb()),
    }
    async with local_server(routes) as site:  # type: ignore[arg-type]
        target = {
            "internal": f"http://10.1.2.3:{site.port}/pic.png",
            "metadata": f"http://169.254.169.254:{site.port}/latest/meta-data/",
        }.get(image, image)
        routes["/redirect"] = response(
            "302 Found", {"Location": f"http://169.254.169.254:{site.port}/pic.png"}
        )
        routes["/page"] = response(
            "200 OK", HTML, IMAGE_PAGE.replace(b"/static/pic.png", target.encode())
        )
        previews = LinkPreviewer(Settings(link_previews=True))
        # 256 KiB (so /stream is over it); /big (30 KB) meets a 1000 byte cap.
        cap = 1000 if image == "/big" else 256 * 1024
        previews.fetcher = GuardedFetcher(
            Policy(unsafe_allow_loopback=True, ports=frozenset({site.port}), max_image_bytes=cap)
        )
        with caplog.at_level(logging.DEBUG, logger="minimost.linkpreview.service"):
            card = await previews.preview(f"{site.base}/page")
        requested = [path for _, path in site.requests]
    assert card is not None
    assert card.fields["title"] == "Pictured" and card.image is None
    reasons = [r.getMessage() for r in caplog.records if "no preview image" in r.getMessage()]
    if why is None:
        assert reasons == [] and requested == ["/page"]
    else:
        assert len(reasons) == 1 and reasons[0].endswith(why), reasons
    if image in ("internal", "metadata"):
        assert requested == ["/page"]  # refused before any connection
    elif image == "/redirect":
        assert requested == ["/page", "/redirect"]  # the hop was checked, and refused


async def test_the_image_shares_the_page_time_budget(caplog: pytest.LogCaptureFixture) -> None:
    """One budget for page and image: the image gets what the page left of it, not a fresh
    one. The previewer's clock is a fake the page handler advances, so no wall-clock bound
    is asserted (the image's own timeout still runs on the loop's clock, as in production)."""
    clock = FakeClock()

    async def slow_page(path: str, writer: asyncio.StreamWriter) -> None:
        clock.advance(9.7)  # by the previewer's clock, the page took 9.7 s of the 10 s
        writer.write(response("200 OK", HTML, IMAGE_PAGE))

    async def stuck_image(path: str, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(60)  # never in time: the 0.3 s left run out first

    budgets: list[float | None] = []

    class Recording(GuardedFetcher):
        async def fetch(
            self, url: str, want: Want = HTML_WANT, *, budget: float | None = None
        ) -> Page:
            budgets.append(budget)
            return await super().fetch(url, want, budget=budget)

    routes: dict[str, Any] = {"/page": slow_page, "/static/pic.png": stuck_image}
    async with local_server(routes) as site:
        previews = LinkPreviewer(Settings(link_previews=True), clock=clock)
        previews.fetcher = Recording(
            Policy(unsafe_allow_loopback=True, ports=frozenset({site.port}), timeout=10.0)
        )
        with caplog.at_level(logging.DEBUG, logger="minimost.linkpreview.service"):
            card = await previews.preview(f"{site.base}/page")
    assert card is not None and card.image is None and card.fields["title"] == "Pictured"
    assert budgets == [None, pytest.approx(0.3)]
    reasons = [r.getMessage() for r in caplog.records if "no preview image" in r.getMessage()]
    assert len(reasons) == 1 and reasons[0].endswith("timed out after 0.3s"), reasons
