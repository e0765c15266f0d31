"""Cookie sessions need the CSRF header on unsafe methods; bearer tokens never do."""

from __future__ import annotations

from tests.web.helpers import API, EventLog, anonymous, assert_error, bearer_client


async def test_cookie_post_without_the_right_csrf_header_is_refused(users, app):
    alice = await users("alice")
    log = await EventLog.begin(app)
    for headers in ({}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "0" * 64}, {"X-CSRF-Token": "no"}):
        # Call the raw client: TestUser would add the right header.
        response = await alice.client.post(
            f"{API}/conversations/{alice.channel('general')}/messages",
            json={"text": "forged"},
            headers=headers,
        )
        assert_error(response, 403, "csrf_failed")
    assert await log.new() == []
    assert (await alice.history("general"))["messages"] == []


async def test_cookie_patch_and_delete_need_the_csrf_header(users):
    alice = await users("alice")
    message = await alice.send("general", "original")
    url = f"{API}/messages/{message['id']}"
    assert_error(await alice.client.patch(url, json={"text": "forged"}), 403, "csrf_failed")
    assert_error(await alice.client.delete(url), 403, "csrf_failed")
    general = alice.channel("general")
    members = f"{API}/conversations/{general}/members/{alice.id}"
    assert_error(await alice.client.delete(members), 403, "csrf_failed")
    assert_error(await alice.client.put(members), 403, "csrf_failed")
    assert_error(await alice.client.post(f"{API}/auth/logout"), 403, "csrf_failed")
    assert_error(await alice.client.post(f"{API}/tokens", json={"name": "x"}), 403, "csrf_failed")
    # Nothing changed.
    assert (await alice.get(url)).json()["message"]["text"] == "original"
    assert (await alice.get(f"{API}/me")).status_code == 200


async def test_safe_methods_need_no_csrf_header(users):
    alice = await users("alice")
    message = await alice.send("general", "hi")
    for url in (
        f"{API}/me",
        f"{API}/conversations",
        f"{API}/conversations/{alice.channel('general')}",
        f"{API}/conversations/{alice.channel('general')}/messages",
        f"{API}/messages/{message['id']}",
    ):
        assert (await alice.client.get(url)).status_code == 200, url


async def test_csrf_token_is_bound_to_its_session(users, app):
    alice = await users("alice")
    assert (await alice.get(f"{API}/me")).json()["csrf_token"] == alice.csrf
    async with anonymous(app) as laptop:
        login = await laptop.post(
            f"{API}/auth/login", json={"username": "alice", "password": "Correct-horse-9"}
        )
        assert login.json()["csrf_token"] != alice.csrf
        response = await laptop.post(
            f"{API}/conversations/{alice.channel('general')}/messages",
            json={"text": "with the other session's token"},
            headers={"X-CSRF-Token": alice.csrf},
        )
    assert_error(response, 403, "csrf_failed")


async def test_bearer_token_works_without_csrf_or_cookie(users, app):
    alice = await users("alice")
    created = await alice.post(f"{API}/tokens", json={"name": "deploy bot"})
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "deploy bot"
    assert isinstance(body["id"], int)
    token = body["token"]
    general = alice.channel("general")
    async with bearer_client(app, token) as bot:
        assert (await bot.get(f"{API}/me")).json()["user"]["username"] == "alice"
        sent = await bot.post(f"{API}/conversations/{general}/messages", json={"text": "beep"})
        assert sent.status_code == 201, sent.text
        assert sent.json()["message"]["author"]["id"] == alice.id
        message_url = f"{API}/messages/{sent.json()['message']['id']}"
        assert (await bot.patch(message_url, json={"text": "boop"})).status_code == 200
        assert (await bot.delete(message_url)).status_code == 204
        members = f"{API}/conversations/{general}/members/{alice.id}"
        assert (await bot.delete(members)).status_code == 204
        assert (await bot.put(members)).status_code == 204
        assert (await bot.post(f"{API}/tokens", json={"name": "child"})).status_code == 201


async def test_bearer_token_survives_logout_of_the_session_that_made_it(users, app):
    alice = await users("alice")
    token = await alice.token()
    assert (await alice.post(f"{API}/auth/logout")).status_code == 204
    async with bearer_client(app, token) as bot:
        assert (await bot.get(f"{API}/me")).status_code == 200


async def test_bogus_bearer_token_is_401(users, app):
    await users("alice")
    async with anonymous(app) as client:
        for authorization in (
            "Bearer mm_bogus",
            "Bearer ",
            "bearer " + "x" * 43,
            "Bearer mm_" + "A" * 500,
        ):
            response = await client.get(f"{API}/me", headers={"Authorization": authorization})
            assert_error(response, 401, "not_authenticated")


async def test_a_bogus_bearer_token_is_not_rescued_by_a_valid_cookie(users):
    alice = await users("alice")
    response = await alice.get(f"{API}/me", headers={"Authorization": "Bearer mm_bogus"})
    assert_error(response, 401, "not_authenticated")


async def test_token_name_is_validated(users):
    alice = await users("alice")
    assert_error(await alice.post(f"{API}/tokens", json={"name": ""}), 422, "validation_error")
    assert_error(await alice.post(f"{API}/tokens", json={"name": "   "}), 422, "validation_error")
    assert_error(
        await alice.post(f"{API}/tokens", json={"name": "x" * 65}), 422, "validation_error"
    )
