"""Attachments: upload limits, image verification and cleaning, serving headers, access,
dedup and blob deletion."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image

from minimost.domain.actions import files as files_actions
from minimost.domain.clock import FakeClock
from minimost.files.store import store_for
from minimost.web.uploads import clean_filename
from tests.factories import TestUser, UserFactory
from tests.media import image_bytes, jpeg_with_exif, png
from tests.web.helpers import API, anonymous, assert_error

MIB = 1024 * 1024


def blobs(app: FastAPI) -> set[str]:
    """Every blob on disk, as its SHA-256."""
    root = store_for(app.state.minimost.settings.data_dir).root
    return {
        p.parent.name + p.name for p in root.glob("??/*") if p.is_file() and p.parent.name != "tmp"
    }


def temp_files(app: FastAPI) -> list[Path]:
    tmp = store_for(app.state.minimost.settings.data_dir).tmp
    return list(tmp.iterdir()) if tmp.is_dir() else []


def compact(view: dict[str, Any]) -> dict[str, Any]:
    """Without null fields (some responses omit them, some send null)."""
    return {key: value for key, value in view.items() if value is not None}


async def fetch(user: TestUser, url: str) -> tuple[int, bytes, dict[str, str]]:
    response = await user.get(url)
    return response.status_code, response.content, dict(response.headers)


# --- upload and limits ------------------------------------------------------------------------


async def test_upload_a_plain_file_and_send_it_without_text(users: UserFactory) -> None:
    alice = await users("alice")
    bob = await users("bob")
    uploaded = await alice.upload("notes.txt", b"hello world\n", "text/html")
    assert uploaded["name"] == "notes.txt"
    assert uploaded["size"] == 12
    # The client's claimed type is ignored: the name decides, through an allow-list.
    assert uploaded["content_type"] == "text/plain"
    assert uploaded["is_image"] is False
    assert uploaded["thumbnail_url"] is None
    assert uploaded["url"] == f"{API}/files/{uploaded['id']}"
    message = await alice.send_files(alice.channel("general"), [uploaded["id"]])
    assert message["text"] == ""
    assert [compact(f) for f in message["files"]] == [compact(uploaded)]
    history = await bob.history("general")
    assert [compact(f) for f in history["messages"][-1]["files"]] == [compact(uploaded)]
    status, body, _ = await fetch(bob, uploaded["url"])
    assert (status, body) == (200, b"hello world\n")


async def test_a_message_with_no_text_and_no_files_is_still_refused(users: UserFactory) -> None:
    alice = await users("alice")
    response = await alice.post(
        f"{API}/conversations/{alice.channel('general')}/messages",
        json={"text": " ", "client_id": "x" * 8, "file_ids": []},
    )
    assert_error(response, 422, "validation_error")


@pytest.mark.settings(max_upload_size_mb=1)
async def test_a_file_at_the_cap_fits_and_one_byte_more_is_413(
    app: FastAPI, users: UserFactory
) -> None:
    alice = await users("alice")
    fits = await alice.upload("exact.bin", b"a" * MIB)
    assert fits["size"] == MIB
    response = await alice.post(
        f"{API}/files", files={"file": ("big.bin", b"b" * (MIB + 1), "application/octet-stream")}
    )
    error = assert_error(response, 413, "file_too_large")
    assert "1 MB" in error["message"]
    assert temp_files(app) == []  # the partial upload is gone


@pytest.mark.settings(max_upload_size_mb=1)
async def test_the_cap_holds_while_streaming_without_content_length(
    app: FastAPI, users: UserFactory
) -> None:
    alice = await users("alice")
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
        for _ in range(40):  # 40 × 64 KiB = 2.5 MiB, if nobody stops us
            sent += 64 * 1024
            yield b"z" * (64 * 1024)
        yield b"\r\n--xyz--\r\n"

    response = await alice.post(
        f"{API}/files",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert_error(response, 413, "file_too_large")
    assert sent <= MIB + 128 * 1024, "read far past the cap"
    assert temp_files(app) == []
    async with app.state.minimost.ctx.db.read() as conn:
        from sqlalchemy import func, select

        from minimost.db.models import StoredFile

        assert await conn.scalar(select(func.count()).select_from(StoredFile)) == 0


async def test_uploads_need_a_file_part(users: UserFactory) -> None:
    alice = await users("alice")
    assert_error(await alice.post(f"{API}/files", json={"file": "x"}), 422, "validation_error")
    response = await alice.post(f"{API}/files", data={"other": "field"}, files={"x": ("a", b"1")})
    assert_error(response, 422, "validation_error")


async def test_file_names_are_cleaned(users: UserFactory) -> None:
    alice = await users("alice")
    uploaded = await alice.upload("../../etc/pass\u202ewd.txt", b"x")
    assert uploaded["name"] == "passwd.txt"
    assert clean_filename("a\x00b\x1f.txt") == "ab.txt"
    assert clean_filename("...") == "file"
    long = clean_filename("x" * 300 + ".jpeg")
    assert len(long) == 255 and long.endswith(".jpeg")
    uploaded = await alice.upload("C:\\Users\\me\\résumé 2024.pdf", b"%PDF-1.4")
    assert uploaded["name"] == "résumé 2024.pdf"
    assert uploaded["content_type"] == "application/pdf"


# --- images -----------------------------------------------------------------------------------


async def test_an_image_gets_dimensions_and_a_thumbnail(users: UserFactory) -> None:
    alice = await users("alice")
    uploaded = await alice.upload("big.png", png((1200, 800)), "image/png")
    assert uploaded["is_image"] is True
    assert uploaded["content_type"] == "image/png"
    assert (uploaded["width"], uploaded["height"]) == (1200, 800)
    assert uploaded["thumbnail_url"] == f"{API}/files/{uploaded['id']}/thumbnail"
    status, body, headers = await fetch(alice, uploaded["thumbnail_url"])
    assert status == 200
    assert headers["content-type"] == "image/webp"
    thumb = Image.open(io.BytesIO(body))
    assert thumb.format == "WEBP"
    assert max(thumb.size) == 360 and thumb.size == (360, 240)
    status, body, headers = await fetch(alice, uploaded["url"])
    assert Image.open(io.BytesIO(body)).size == (1200, 800)
    assert headers["content-disposition"].startswith("inline")


async def test_a_small_image_is_its_own_thumbnail(users: UserFactory) -> None:
    alice = await users("alice")
    uploaded = await alice.upload("dot.gif", image_bytes("GIF", (10, 10)))
    assert uploaded["content_type"] == "image/gif"
    assert uploaded["thumbnail_url"] is None
    status, _, headers = await fetch(alice, f"{API}/files/{uploaded['id']}/thumbnail")
    assert status == 200 and headers["content-type"] == "image/gif"


async def test_exif_and_comments_are_stripped_and_orientation_applied(
    users: UserFactory,
) -> None:
    alice = await users("alice")
    original = jpeg_with_exif((40, 20), orientation=6)
    assert b"SecretCam" in original and b"private comment" in original  # the test is real
    uploaded = await alice.upload("photo.jpg", original, "image/jpeg")
    # Orientation 6 means "rotate to display": stored upright, so 20 × 40.
    assert (uploaded["width"], uploaded["height"]) == (20, 40)
    status, body, _ = await fetch(alice, uploaded["url"])
    assert status == 200
    assert b"SecretCam" not in body and b"private comment" not in body
    assert b"Exif" not in body
    image = Image.open(io.BytesIO(body))
    assert image.format == "JPEG" and image.size == (20, 40)
    assert not image.getexif()
    assert uploaded["size"] == len(body)


async def test_a_png_that_is_not_an_image_is_kept_as_a_plain_download(
    users: UserFactory,
) -> None:
    alice = await users("alice")
    fake = b"\x89PNG\r\n\x1a\n<script>alert(1)</script>"
    uploaded = await alice.upload("evil.png", fake, "image/png")
    assert uploaded["is_image"] is False
    assert uploaded["content_type"] == "application/octet-stream"
    status, body, headers = await fetch(alice, uploaded["url"])
    assert body == fake
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith("attachment")
    status, _, _ = await fetch(alice, f"{API}/files/{uploaded['id']}/thumbnail")
    assert status == 404


async def test_a_decompression_bomb_is_not_decoded(users: UserFactory) -> None:
    # 10 000 × 10 000 pixels of one colour compress to almost nothing.
    alice = await users("alice")
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")
    uploaded = await alice.upload("bomb.png", out.getvalue())
    assert uploaded["is_image"] is False  # refused as an image; kept as bytes
    assert uploaded["width"] is None


# --- serving ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "served_as"),
    [
        ("page.html", b"<html><script>alert(1)</script></html>", "application/octet-stream"),
        ("pic.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', None),
        ("feed.xml", b"<?xml version='1.0'?><x/>", None),
        ("app.js", b"alert(1)", None),
        ("doc.pdf", b"%PDF-1.4", "application/pdf"),
    ],
)
async def test_active_content_is_always_a_sandboxed_download(
    users: UserFactory, name: str, data: bytes, served_as: str | None
) -> None:
    alice = await users("alice")
    uploaded = await alice.upload(name, data, "text/html")
    status, body, headers = await fetch(alice, uploaded["url"])
    assert status == 200 and body == data
    assert headers["content-type"].split(";")[0] == (served_as or "application/octet-stream")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert headers["content-disposition"] == f"attachment; filename*=UTF-8''{name}"
    assert headers["cache-control"].startswith("private")


async def test_downloads_support_etag_and_ranges(users: UserFactory) -> None:
    alice = await users("alice")
    uploaded = await alice.upload("digits.txt", b"0123456789")
    response = await alice.get(uploaded["url"], headers={"Range": "bytes=2-5"})
    assert response.status_code == 206 and response.content == b"2345"
    etag = (await alice.get(uploaded["url"])).headers["etag"]
    again = await alice.get(uploaded["url"], headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


async def test_non_ascii_names_are_encoded_in_the_disposition(users: UserFactory) -> None:
    alice = await users("alice")
    uploaded = await alice.upload('naïve "quote";.txt', b"x")
    _, _, headers = await fetch(alice, uploaded["url"])
    assert headers["content-disposition"] == (
        "attachment; filename*=UTF-8''na%C3%AFve%20%22quote%22%3B.txt"
    )


# --- access -----------------------------------------------------------------------------------


async def test_files_of_a_private_conversation_are_404_to_outsiders(
    app: FastAPI, users: UserFactory
) -> None:
    alice = await users("alice")  # an admin, and still an outsider here
    bob = await users("bob")
    carol = await users("carol")
    private = await bob.create_private("hush", carol)
    uploaded = await bob.upload("secret.png", png((500, 500)))
    await bob.send_files(private, [uploaded["id"]], "look")
    for url in (uploaded["url"], uploaded["thumbnail_url"]):
        assert (await carol.get(url)).status_code == 200
        missing = url.replace(f"/{uploaded['id']}", "/999999")
        for outsider in (alice,):
            response = await outsider.get(url)
            assert_error(response, 404, "not_found")
            assert response.json() == (await outsider.get(missing)).json()
        async with anonymous(app) as client:
            assert_error(await client.get(url), 401, "not_authenticated")


async def test_an_unsent_upload_is_visible_to_its_uploader_only(users: UserFactory) -> None:
    alice = await users("alice")
    bob = await users("bob")
    uploaded = await alice.upload("draft.txt", b"not yet")
    assert (await alice.get(uploaded["url"])).status_code == 200
    assert_error(await bob.get(uploaded["url"]), 404, "not_found")


async def test_someone_elses_upload_cannot_be_attached(users: UserFactory) -> None:
    alice = await users("alice")
    bob = await users("bob")
    uploaded = await alice.upload("mine.txt", b"alice's")
    response = await bob.post(
        f"{API}/conversations/{bob.channel('general')}/messages",
        json={"text": "stolen", "client_id": "c" * 16, "file_ids": [uploaded["id"]]},
    )
    assert_error(response, 404, "file_not_found")
    # Nor can one upload go out twice.
    await alice.send_files(alice.channel("general"), [uploaded["id"]])
    response = await alice.post(
        f"{API}/conversations/{alice.channel('general')}/messages",
        json={"text": "again", "client_id": "d" * 16, "file_ids": [uploaded["id"]]},
    )
    assert_error(response, 404, "file_not_found")


# --- dedup and deletion -----------------------------------------------------------------------


async def test_same_bytes_are_stored_once_and_deleted_with_the_last_reference(
    app: FastAPI, users: UserFactory
) -> None:
    alice = await users("alice")
    bob = await users("bob")
    general = alice.channel("general")
    picture = png((800, 600))
    first = await alice.upload("a.png", picture)
    second = await bob.upload("b.png", picture)
    assert len(blobs(app)) == 2  # one image + one thumbnail, shared by both rows
    one = await alice.send_files(general, [first["id"]])
    two = await bob.send_files(general, [second["id"]])

    assert (await alice.delete(f"{API}/messages/{one['id']}")).status_code == 204
    assert len(blobs(app)) == 2  # bob's message still uses them
    assert_error(await bob.get(first["url"]), 404, "not_found")
    assert (await bob.get(second["url"])).status_code == 200

    assert (await bob.delete(f"{API}/messages/{two['id']}")).status_code == 204
    assert blobs(app) == set()
    assert_error(await alice.get(second["url"]), 404, "not_found")


async def test_a_blob_also_used_as_an_avatar_survives_the_file(
    app: FastAPI, users: UserFactory
) -> None:
    alice = await users("alice")
    await alice.put(f"{API}/me/avatar", files={"file": ("me.png", png((300, 300)))})
    avatar_blobs = blobs(app)
    assert len(avatar_blobs) == 1
    (avatar,) = avatar_blobs
    store = store_for(app.state.minimost.settings.data_dir)
    # Upload the avatar's own bytes as an attachment, send, delete: the avatar stays.
    same = store.path(avatar).read_bytes()
    uploaded = await alice.upload("again.webp", same)
    message = await alice.send_files(alice.channel("general"), [uploaded["id"]])
    await alice.delete(f"{API}/messages/{message['id']}")
    assert avatar in blobs(app)


async def test_unsent_uploads_are_swept_after_a_day(
    app: FastAPI, users: UserFactory, clock: FakeClock
) -> None:
    alice = await users("alice")
    kept = await alice.upload("sent.txt", b"sent")
    await alice.send_files(alice.channel("general"), [kept["id"]])
    fresh = await alice.upload("fresh.txt", b"fresh")
    clock.advance(timedelta(hours=23).total_seconds())
    ctx = app.state.minimost.ctx
    assert await files_actions.sweep_unattached(ctx) == 0
    old = await alice.upload("old.txt", b"old")
    clock.advance(timedelta(hours=2).total_seconds())
    assert await files_actions.sweep_unattached(ctx) == 1  # fresh: now 25 h old
    assert_error(await alice.get(fresh["url"]), 404, "not_found")
    assert (await alice.get(old["url"])).status_code == 200
    assert (await alice.get(kept["url"])).status_code == 200
    assert len(blobs(app)) == 2


async def test_blobs_are_private_on_disk(app: FastAPI, users: UserFactory) -> None:
    alice = await users("alice")
    await alice.upload("x.txt", b"private bytes")
    store = store_for(app.state.minimost.settings.data_dir)
    (sha,) = blobs(app)
    path = store.path(sha)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert store.root.stat().st_mode & 0o777 == 0o700
    assert store.blob_size(sha) == len(b"private bytes")
