"""Preview images: the thumbnail we make of a page's image, and its blob's life. The blob
is referenced by ``messages.preview_image_sha256``; replacing the preview, editing the link
away, deleting the message, retention and an account purge each reap it once nothing else
uses it (SQLite and PostgreSQL, through the ``app`` fixture)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image
from sqlalchemy import select

from minimost.db.models import Message
from minimost.domain.actions import account_deletion, retention
from minimost.domain.actions.files import blob_store, delete_if_unreferenced
from minimost.domain.actions.previews import set_preview
from minimost.domain.context import Ctx
from minimost.files.images import PREVIEW_SIZE, NotAnImage, make_preview_image
from minimost.linkpreview.parse import image_url, metadata
from tests.factories import UserFactory
from tests.media import image_bytes, jpeg_with_exif, png


def test_the_thumbnail_is_small_webp_without_metadata() -> None:
    big = Image.open(io.BytesIO(make_preview_image(png((1200, 300)))))
    assert (big.format, big.size) == ("WEBP", (PREVIEW_SIZE, 100))
    tiny = make_preview_image(png((8, 6)))
    assert Image.open(io.BytesIO(tiny)).size == (8, 6)  # never enlarged, still re-encoded
    photo = make_preview_image(jpeg_with_exif((40, 20), orientation=6))
    shown = Image.open(io.BytesIO(photo))
    assert shown.size == (20, 40)  # orientation applied
    assert b"SecretCam" not in photo and b"private comment" not in photo
    assert not shown.getexif() and "xmp" not in shown.info


def test_an_animation_becomes_its_first_frame() -> None:
    frames = [Image.new("RGB", (50, 40), c) for c in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    still = Image.open(io.BytesIO(make_preview_image(out.getvalue())))
    assert not getattr(still, "is_animated", False)
    red, _, blue = still.convert("RGB").getpixel((10, 10))  # type: ignore[misc]
    assert red > 200 and blue < 50


@pytest.mark.parametrize(
    "data", [b"", b"<html></html>", png()[:40], image_bytes("BMP"), image_bytes("TIFF")]
)
def test_not_an_image_we_show(data: bytes) -> None:
    with pytest.raises(NotAnImage):
        make_preview_image(data)


def test_image_urls_resolve_against_the_final_page() -> None:
    page = "https://www.a.example/blog/post?x=1"
    assert image_url(page, "/i.png") == "https://www.a.example/i.png"
    assert image_url(page, "pics/i.png") == "https://www.a.example/blog/pics/i.png"
    assert image_url(page, "//cdn.example/i.png") == "https://cdn.example/i.png"
    assert image_url(page, " http://b.example/i.png ") == "http://b.example/i.png"
    for bad in (None, "", "javascript:alert(1)", "data:image/png;base64,AAAA", "file:///etc/x",
                "ftp://a.example/i.png", "http:///nohost", "https://[::1", "x" * 3000):  # fmt: skip
        assert image_url(page, bad) is None, bad
    twitter = metadata('<meta name="twitter:image" content="/t.png"><title>t</title>')
    assert twitter.image == "/t.png"
    both = '<meta name="twitter:image" content="/t.png"><meta property="og:image" content="/o.png">'
    assert metadata(both).image == "/o.png"  # Open Graph first, wherever it stands


# --- the blob's life ------------------------------------------------------------------------


def webp(color: tuple[int, int, int]) -> bytes:
    return make_preview_image(png((30, 20), color))


async def preview_with(ctx: Ctx, message: dict[str, Any], image: bytes | None) -> str | None:
    card = {"url": message["text"], "title": "T", "description": None, "site_name": "a.example"}
    assert await set_preview(ctx, message["id"], card, image=image)
    return await sha_of(ctx, message["id"])


async def sha_of(ctx: Ctx, message_id: int) -> str | None:
    async with ctx.db.read() as conn:
        return await conn.scalar(
            select(Message.preview_image_sha256).where(Message.id == message_id)
        )


async def test_replacing_or_dropping_a_preview_reaps_its_image(
    app: FastAPI, users: UserFactory
) -> None:
    ctx: Ctx = app.state.minimost.ctx
    store = blob_store(ctx)
    alice = await users("alice")
    message = await alice.send("general", "https://a.example/")
    first = await preview_with(ctx, message, webp((255, 0, 0)))
    assert first is not None and store.exists(first)
    # The stored JSON holds the digest; the wire shows our URL instead.
    got = (await alice.get(f"/api/v1/messages/{message['id']}")).json()["message"]["preview"]
    assert got["image_url"] == f"/api/v1/messages/{message['id']}/preview-image?v={first[:16]}"
    assert "image_sha256" not in got
    second = await preview_with(ctx, message, webp((0, 255, 0)))
    assert second is not None and second != first and store.exists(second)
    assert not store.exists(first)
    assert await preview_with(ctx, message, None) is None
    assert not store.exists(second)
    # Nothing stored for a message whose link changed meanwhile, not even the image.
    card = {"url": "https://gone.example/", "title": "T"}
    blob = webp((1, 2, 3))
    assert not await set_preview(ctx, message["id"], card, image=blob)
    assert [path for path in store.root.rglob("*") if path.is_file()] == []  # tmp/ too


async def test_a_shared_image_lives_until_its_last_message_goes(
    app: FastAPI, users: UserFactory
) -> None:
    ctx: Ctx = app.state.minimost.ctx
    store = blob_store(ctx)
    alice = await users("alice")
    bob = await users("bob")
    same = webp((9, 9, 200))
    kept = await alice.send("general", "https://a.example/")
    swept = await alice.send("general", "https://a.example/")
    purged = await bob.send("general", "https://a.example/")
    shas = {await preview_with(ctx, m, same) for m in (kept, swept, purged)}
    assert len(shas) == 1
    sha = shas.pop()
    assert sha is not None and store.exists(sha)

    report = retention.Report()
    assert await retention.delete_messages(ctx, [swept["id"]], report, delete_if_unreferenced)
    assert store.exists(sha) and report.blobs_removed == 0  # still on two messages
    await account_deletion.purge_messages(ctx, bob.id)
    assert store.exists(sha)  # still on alice's
    deleted = await alice.delete(f"/api/v1/messages/{kept['id']}")
    assert deleted.status_code == 204, deleted.text
    assert not store.exists(sha)
    assert await sha_of(ctx, kept["id"]) is None


async def test_retention_and_purge_reap_preview_images(app: FastAPI, users: UserFactory) -> None:
    ctx: Ctx = app.state.minimost.ctx
    store = blob_store(ctx)
    alice = await users("alice")
    bob = await users("bob")
    old = await preview_with(
        ctx, await alice.send("general", "https://a.example/"), webp((1, 0, 0))
    )
    mine = await bob.send("general", "https://b.example/")
    purged = await preview_with(ctx, mine, webp((0, 1, 0)))
    assert old is not None and purged is not None
    report = retention.Report()
    ids = [m["id"] for m in (await alice.history("general"))["messages"] if m["id"] != mine["id"]]
    await retention.delete_messages(ctx, ids, report, delete_if_unreferenced)
    assert not store.exists(old) and report.blobs_removed == 1
    assert store.exists(purged)
    assert await account_deletion.purge_messages(ctx, bob.id) == 1
    assert not store.exists(purged)
