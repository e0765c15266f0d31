"""End to end: a message with a link gets its preview in the background, delivered as a
``message.updated`` event and kept in history (real uvicorn, real sockets, SQLite and
PostgreSQL). The page comes from a local server through the test-only loopback override."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from minimost.config import Settings
from minimost.domain.actions.previews import set_preview
from minimost.linkpreview.fetch import GuardedFetcher, Policy
from minimost.linkpreview.service import LinkPreviewer
from tests.linkpreview.server import PAGE, local_server, response
from tests.live import InProcessServer, LiveUsers, hello, recv, serve_app

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
async def live(settings_factory: Callable[..., Settings]) -> AsyncIterator[InProcessServer]:
    async with serve_app(settings_factory(link_previews=True)) as server:
        yield server


@pytest.fixture
async def people(live: InProcessServer) -> AsyncIterator[LiveUsers]:
    made = LiveUsers(live.url)
    yield made
    await made.aclose()


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
