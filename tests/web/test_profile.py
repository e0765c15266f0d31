"""Profiles: display name, colour, avatar; everyone is told, everywhere shows it."""

from __future__ import annotations

import io

import pytest
from fastapi import FastAPI
from PIL import Image

from minimost.files.store import store_for
from tests.factories import UserFactory
from tests.media import image_bytes, jpeg_with_exif, png
from tests.web.helpers import API, EventLog, anonymous, assert_error

MIB = 1024 * 1024


async def test_change_display_name_and_colour(app: FastAPI, users: UserFactory) -> None:
    alice = await users("alice")
    log = await EventLog.begin(app)
    response = await alice.patch(
        f"{API}/me", json={"display_name": "  Alice \n Liddell  ", "color": "#1A2B3C"}
    )
    assert response.status_code == 200, response.text
    user = response.json()["user"]
    assert user == {
        "id": alice.id,
        "username": "alice",
        "display_name": "Alice Liddell",
        "color": "#1a2b3c",
        "avatar_url": None,
    }
    events = await log.new()
    assert [(e.type, e.conversation_id, e.user_id) for e in events] == [
        ("user.updated", None, None)
    ]
    assert events[0].data == {"user": user}
    me = (await alice.get(f"{API}/me")).json()["user"]
    assert (me["display_name"], me["color"]) == ("Alice Liddell", "#1a2b3c")
    # Only what is given changes; null colour is the default again; "" shows the username.
    user = (await alice.patch(f"{API}/me", json={"color": None})).json()["user"]
    assert (user["display_name"], user["color"]) == ("Alice Liddell", None)
    user = (await alice.patch(f"{API}/me", json={"display_name": ""})).json()["user"]
    assert user["display_name"] == ""


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"color": "red"}, "validation_error"),
        ({"color": "#12345"}, "validation_error"),
        ({"color": "#1234567"}, "validation_error"),
        ({"color": "#ggg000"}, "validation_error"),
        ({"display_name": "x" * 65}, "validation_error"),
        # Format characters are fine in text, but not in a display name.
        ({"display_name": "zero\u200bwidth"}, "validation_error"),
        # Control characters are refused in any text (tests/web/test_unstorable_text.py).
        ({"display_name": "bell\x07"}, "invalid_characters"),
        ({"surprise": 1}, "validation_error"),
    ],
)
async def test_invalid_profiles_are_422(
    users: UserFactory, body: dict[str, object], code: str
) -> None:
    alice = await users("alice")
    assert_error(await alice.patch(f"{API}/me", json=body), 422, code)


async def test_new_messages_and_lists_carry_the_profile(app: FastAPI, users: UserFactory) -> None:
    alice = await users("alice")
    bob = await users("bob")
    await alice.patch(f"{API}/me", json={"display_name": "Al", "color": "#aa0000"})
    response = await alice.put(f"{API}/me/avatar", files={"file": ("a.png", png((64, 64)))})
    avatar_url = response.json()["user"]["avatar_url"]
    assert avatar_url.startswith(f"{API}/users/{alice.id}/avatar?v=")
    expected = {
        "id": alice.id,
        "username": "alice",
        "display_name": "Al",
        "color": "#aa0000",
        "avatar_url": avatar_url,
    }
    # The sender's cached identity was refreshed: the author of a new message is current.
    message = await alice.send("general", "hi")
    assert message["author"] == expected
    assert (await bob.history("general"))["messages"][-1]["author"] == expected
    general = alice.channel("general")
    members = (await bob.get(f"{API}/conversations/{general}/members")).json()["members"]
    listed = next(m for m in members if m["id"] == alice.id)
    assert {k: listed[k] for k in expected} == expected
    found = (await bob.get(f"{API}/users", params={"q": "ali"})).json()["users"]
    assert {k: found[0][k] for k in expected} == expected
    dm = await bob.dm(alice)
    sidebar = await bob.listing()
    assert expected in sidebar[dm]["members"]


async def test_avatar_is_cropped_square_without_metadata(app: FastAPI, users: UserFactory) -> None:
    alice = await users("alice")
    bob = await users("bob")
    response = await alice.put(
        f"{API}/me/avatar", files={"file": ("me.jpg", jpeg_with_exif((600, 300)), "image/jpeg")}
    )
    assert response.status_code == 200, response.text
    url = response.json()["user"]["avatar_url"]
    got = await bob.get(url)  # anyone signed in
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/webp"
    assert got.headers["cache-control"] == "private, max-age=31536000, immutable"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert b"SecretCam" not in got.content
    image = Image.open(io.BytesIO(got.content))
    assert image.size == (256, 256)
    assert not image.getexif()
    async with anonymous(app) as client:
        assert_error(await client.get(url), 401, "not_authenticated")


async def test_replacing_and_removing_the_avatar_deletes_old_blobs(
    app: FastAPI, users: UserFactory
) -> None:
    alice = await users("alice")
    bob = await users("bob")
    store = store_for(app.state.minimost.settings.data_dir)
    first = (
        await alice.put(f"{API}/me/avatar", files={"file": ("1.png", png(color=(1, 2, 3)))})
    ).json()["user"]["avatar_url"]
    second = (
        await alice.put(f"{API}/me/avatar", files={"file": ("2.png", png(color=(9, 9, 9)))})
    ).json()["user"]["avatar_url"]
    assert first != second
    # A cached old URL must never show the new picture.
    assert_error(await bob.get(first), 404, "not_found")
    assert (await bob.get(second)).status_code == 200
    on_disk = [p for p in store.root.glob("??/*") if p.parent.name != "tmp"]
    assert len(on_disk) == 1

    log = await EventLog.begin(app)
    response = await alice.delete(f"{API}/me/avatar")
    assert response.status_code == 200
    assert response.json()["user"]["avatar_url"] is None
    assert [e.type for e in await log.new()] == ["user.updated"]
    assert_error(await bob.get(f"{API}/users/{alice.id}/avatar"), 404, "not_found")
    assert [p for p in store.root.glob("??/*") if p.parent.name != "tmp"] == []
    # Idempotent, and quiet when nothing changes.
    assert (await alice.delete(f"{API}/me/avatar")).status_code == 200
    assert [e.type for e in await log.new()] == ["user.updated"]


async def test_an_avatar_must_be_an_image(users: UserFactory) -> None:
    alice = await users("alice")
    response = await alice.put(f"{API}/me/avatar", files={"file": ("a.png", b"not a png")})
    assert_error(response, 422, "validation_error")
    response = await alice.put(f"{API}/me/avatar", json={"file": "x"})
    assert_error(response, 422, "validation_error")


@pytest.mark.settings(max_avatar_size_mb=1)
async def test_an_avatar_over_the_cap_is_413(app: FastAPI, users: UserFactory) -> None:
    alice = await users("alice")
    big = image_bytes("PNG", (8, 8)) + b"\0" * MIB  # trailing junk past the cap
    response = await alice.put(f"{API}/me/avatar", files={"file": ("big.png", big)})
    assert_error(response, 413, "file_too_large")


@pytest.mark.settings(rate_limits={"avatar": [2, 3600]})
async def test_avatar_uploads_are_rate_limited_per_user(users: UserFactory) -> None:
    alice = await users("alice")
    bob = await users("bob")
    for _ in range(2):
        response = await alice.put(f"{API}/me/avatar", files={"file": ("a.png", png())})
        assert response.status_code == 200
    response = await alice.put(f"{API}/me/avatar", files={"file": ("a.png", png())})
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) > 0
    response = await bob.put(f"{API}/me/avatar", files={"file": ("b.png", png())})
    assert response.status_code == 200  # per user, not global


async def test_me_tells_the_browser_the_upload_limits(users: UserFactory) -> None:
    alice = await users("alice")
    me = (await alice.get(f"{API}/me")).json()
    assert me["limits"] == {"max_upload_bytes": 25 * MIB, "max_avatar_bytes": 5 * MIB}


async def test_no_avatar_and_unknown_users_are_404(users: UserFactory) -> None:
    alice = await users("alice")
    assert_error(await alice.get(f"{API}/users/{alice.id}/avatar"), 404, "not_found")
    assert_error(await alice.get(f"{API}/users/999999/avatar"), 404, "not_found")


async def test_an_unversioned_avatar_url_is_revalidated_not_cached_for_good(
    users: UserFactory,
) -> None:
    """Only ``?v=`` URLs name fixed content; the bare URL changes with the next avatar."""
    alice = await users("alice")
    await alice.put(f"{API}/me/avatar", files={"file": ("1.png", png())})
    got = await alice.get(f"{API}/users/{alice.id}/avatar")
    assert got.status_code == 200
    assert got.headers["cache-control"] == "private, no-cache"
