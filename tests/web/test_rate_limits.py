"""Rate limits under the spec's action names (the limiter keeps real time, so no waiting)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import redis

from minimost.app import create_app
from minimost.config import Settings
from tests import pg
from tests.conftest import make_settings
from tests.factories import PASSWORD
from tests.live import LiveUsers, hello, serve_app
from tests.web.helpers import API, EventLog, anonymous, assert_error, message_count

SIGNUP = f"{API}/auth/signup"
LOGIN = f"{API}/auth/login"


def signup_body(username: str) -> dict[str, str]:
    return {"username": username, "password": PASSWORD}


def assert_rate_limited(response, window: int) -> None:
    assert_error(response, 429, "rate_limited")
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= window


@pytest.mark.settings(rate_limits={"signup": [2, 3600]})
async def test_signup_is_limited_per_ip(app):
    async with anonymous(app, "198.51.100.1") as first, anonymous(app, "198.51.100.2") as other:
        assert (await first.post(SIGNUP, json=signup_body("one"))).status_code == 201
        assert (await first.post(SIGNUP, json=signup_body("two"))).status_code == 201
        assert_rate_limited(await first.post(SIGNUP, json=signup_body("three")), 3600)
        # Another address is not affected.
        assert (await other.post(SIGNUP, json=signup_body("three"))).status_code == 201


@pytest.mark.settings(rate_limits={"send": [3, 60]})
async def test_send_is_limited_per_user(users, app):
    alice = await users("alice")
    bob = await users("bob")  # same IP as alice: the limit is per user
    for i in range(3):
        await alice.send("general", f"message {i}")
    log = await EventLog.begin(app)
    before = await message_count(app)
    response = await alice.post(
        f"{API}/conversations/{alice.channel('general')}/messages", json={"text": "one too many"}
    )
    assert_rate_limited(response, 60)
    assert await message_count(app) == before
    assert await log.new() == []
    await bob.send("general", "bob is fine")


@pytest.mark.settings(rate_limits={"login": [3, 60]})
async def test_login_is_limited_per_ip(users, app):
    for name in ("alice", "bob", "carol", "dave"):
        await users(name)
    async with anonymous(app, "198.51.100.9") as client:
        for name in ("alice", "bob", "carol"):
            body = {"username": name, "password": PASSWORD}
            assert (await client.post(LOGIN, json=body)).status_code == 200
        body = {"username": "dave", "password": PASSWORD}
        assert_rate_limited(await client.post(LOGIN, json=body), 60)
    async with anonymous(app, "198.51.100.10") as elsewhere:
        assert (await elsewhere.post(LOGIN, json=body)).status_code == 200


@pytest.mark.settings(rate_limits={"login": [3, 60]})
async def test_login_is_limited_per_username_across_ips(users, app):
    await users("alice")
    await users("bob")
    for i in range(3):
        async with anonymous(app, f"198.51.100.{20 + i}") as client:
            body = {"username": "alice", "password": "Wrong-password-1"}
            assert_error(await client.post(LOGIN, json=body), 401, "invalid_credentials")
    async with anonymous(app, "198.51.100.30") as client:
        # The right password from a fresh address is still refused: the name is hot.
        body = {"username": "ALICE", "password": PASSWORD}
        assert_rate_limited(await client.post(LOGIN, json=body), 60)
        bob = {"username": "bob", "password": PASSWORD}
        assert (await client.post(LOGIN, json=bob)).status_code == 200


@pytest.mark.settings(rate_limit_enabled=False, rate_limits={"signup": [1, 3600], "send": [1, 60]})
async def test_rate_limit_enabled_false_disables_every_limit(users, client):
    for name in ("one", "two", "three"):
        assert (await client.post(SIGNUP, json=signup_body(name))).status_code == 201
    alice = await users("alice")
    for i in range(3):
        await alice.send("general", f"message {i}")


@pytest.mark.settings(rate_limits={"create_channel": [2, 3600]})
async def test_create_channel_is_limited_per_user(users, app):
    alice = await users("alice")
    bob = await users("bob")
    url = f"{API}/conversations"
    for name in ("one", "two"):
        response = await alice.post(url, json={"kind": "private", "name": name})
        assert response.status_code == 201, response.text
    log = await EventLog.begin(app)
    assert_rate_limited(await alice.post(url, json={"kind": "private", "name": "three"}), 3600)
    assert await log.new() == []  # nothing was created
    response = await bob.post(url, json={"kind": "private", "name": "bobs"})
    assert response.status_code == 201, response.text


@pytest.mark.settings(rate_limits={"signup": [2, 3600]})
async def test_an_ipv6_client_is_counted_per_64_prefix(app):
    # Addresses inside one /64 belong to one host: rotating through them buys nothing.
    for n, ip in enumerate(("2001:db8:1:2::1", "2001:db8:1:2::ffff")):
        async with anonymous(app, ip) as client:
            assert (await client.post(SIGNUP, json=signup_body(f"v6-{n}"))).status_code == 201
    async with anonymous(app, "2001:db8:1:2:aaaa::9") as same_prefix:
        assert_rate_limited(await same_prefix.post(SIGNUP, json=signup_body("v6-x")), 3600)
    async with anonymous(app, "2001:db8:1:3::1") as next_prefix:
        assert (await next_prefix.post(SIGNUP, json=signup_body("v6-y"))).status_code == 201


async def test_rate_limit_enabled_false_also_lifts_the_stream_cap(
    settings_factory: Callable[..., Settings],
) -> None:
    # The spec: rate_limit_enabled is the master switch for the limits AND the stream cap.
    settings = settings_factory(max_event_streams_per_user=1, rate_limit_enabled=False)
    async with serve_app(settings) as server:
        people = LiveUsers(server.url)
        try:
            alice = await people("alice")
            async with alice.connect() as one, alice.connect() as two:
                await hello(one)
                await hello(two)  # a second stream although the cap is 1
                assert server.hub.streams_of(alice.id) == 2
        finally:
            await people.aclose()


@pytest.mark.scaleout
async def test_redis_shares_the_counters_between_two_app_instances(tmp_path, pg_template):
    """Two nodes (two apps, one PostgreSQL, one Redis): the limit is per cluster, so a
    client cannot multiply its budget by spreading requests over the nodes."""
    database = await pg.create_database(pg_template)
    prefix = f"mmtest-rl-{uuid.uuid4().hex}"
    common = {
        "database_url": pg.sqlalchemy_url(database),
        "bus_url": f"{pg.REDIS_URL}?prefix={prefix}",
        "rate_limits": {"signup": [3, 3600], "login": [60, 60]},
    }
    # The template is migrated already; bootstrap publishes and the bus is not up yet then.
    apps = [
        create_app(make_settings(tmp_path / name, **common), run_bootstrap=False)
        for name in ("n1", "n2")
    ]
    try:
        async with (
            apps[0].router.lifespan_context(apps[0]),
            apps[1].router.lifespan_context(apps[1]),
            anonymous(apps[0], "198.51.100.77") as one,
            anonymous(apps[1], "198.51.100.77") as two,
        ):
            assert (await one.post(SIGNUP, json=signup_body("n1-a"))).status_code == 201
            assert (await two.post(SIGNUP, json=signup_body("n2-a"))).status_code == 201
            assert (await one.post(SIGNUP, json=signup_body("n1-b"))).status_code == 201
            # Each node has seen at most two sign-ups, the cluster three: both refuse.
            assert_rate_limited(await two.post(SIGNUP, json=signup_body("n2-b")), 3600)
            assert_rate_limited(await one.post(SIGNUP, json=signup_body("n1-c")), 3600)
            # The counters really live in Redis under the bus prefix.
            client = redis.Redis.from_url(pg.REDIS_URL)
            try:
                assert list(client.scan_iter(f"{prefix}:minimost-rl*"))
            finally:
                client.close()
    finally:
        client = redis.Redis.from_url(pg.REDIS_URL)
        try:
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
        await pg.drop_database(database)
