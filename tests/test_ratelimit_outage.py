"""The rate limiter during a real Redis outage: it falls back to in-process counters (still
limiting) instead of failing every login and send, and returns to Redis once it is back."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from minimost.domain.errors import RateLimited
from minimost.ratelimit import RateLimiter
from tests.conftest import make_settings
from tests.redis_server import KillableRedis, killable_redis

pytestmark = [pytest.mark.scaleout]


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[KillableRedis]:
    with killable_redis(tmp_path) as server:
        yield server


def limiter_on(
    server: KillableRedis, tmp_path: Path, clock: FakeMonotonic | None = None
) -> RateLimiter:
    settings = make_settings(
        tmp_path / "data", bus_url=server.url + "?prefix=rl", rate_limits={"login": [3, 60]}
    )
    if clock is None:
        return RateLimiter(settings)
    return RateLimiter(settings, monotonic=clock, retry_redis_every=5.0)


async def test_hits_fall_back_to_memory_while_redis_is_down(
    own_redis: KillableRedis, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = limiter_on(own_redis, tmp_path)
    await limiter.hit("login", "ip:192.0.2.1")
    assert own_redis.keys("rl:*"), "the counter lives in Redis while it is up"

    own_redis.kill()
    with caplog.at_level(logging.INFO, logger="minimost.ratelimit"):
        # Not an error for the caller: counted in this process instead, and still limited.
        for _ in range(3):
            await limiter.hit("login", "ip:192.0.2.2")
        with pytest.raises(RateLimited):
            await limiter.hit("login", "ip:192.0.2.2")
        await limiter.hit("login", "ip:192.0.2.3")  # another key has its own budget
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # one line per outage
    assert warnings[0].exc_info is None  # and no traceback
    assert "in-process" in warnings[0].getMessage()


async def test_limits_return_to_redis_once_it_is_back(
    own_redis: KillableRedis, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeMonotonic()
    limiter = limiter_on(own_redis, tmp_path, clock)
    own_redis.kill()
    await limiter.hit("login", "ip:192.0.2.9")  # counted in memory

    own_redis.start()  # empty, on the same port
    clock.now += 1.0  # too soon to look at Redis again: still in memory
    await limiter.hit("login", "ip:192.0.2.10")
    assert own_redis.keys("rl:*") == []

    clock.now += 5.0
    with caplog.at_level(logging.INFO, logger="minimost.ratelimit"):
        await limiter.hit("login", "ip:192.0.2.11")
    assert own_redis.keys("rl:*"), "counting in Redis again"
    assert any("back on Redis" in r.getMessage() for r in caplog.records)
    # From now on the counters are shared again: three hits in all, whoever counted them.
    await limiter.hit("login", "ip:192.0.2.11")
    await limiter.hit("login", "ip:192.0.2.11")
    with pytest.raises(RateLimited):
        await limiter.hit("login", "ip:192.0.2.11")
