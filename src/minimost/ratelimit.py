"""Rate limits under the spec's action names, backed by ``limits`` (memory or Redis).

With a Redis bus the counters live in Redis too, so limits hold across every worker and node
instead of multiplying by the process count (a weakness of the original).

Keys (the spec's contract): ``login``, ``signup`` and ``password_reset`` count per client
address, ``ip_key(client_ip(request))``; ``login`` ALSO counts per attempted username,
``"user:" + name.lower()``, so a password guesser gains nothing by rotating addresses. ``send``,
``avatar`` and ``create_channel`` count per signed-in user, ``user_key(actor.id)``. Over the
limit, ``hit`` raises ``RateLimited``: HTTP 429, code ``rate_limited``, ``Retry-After``.

Redis down: the counters fall back to this process's memory (one warning line), so logins and
sends go on being limited, per process, instead of failing; every ``retry_redis_every``
seconds a hit tries Redis again and, once it answers, counting returns there (the in-process
counts of the outage are dropped: a client may get at most one extra window's budget).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from typing import Literal

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from minimost.config import Settings, SettingsRef
from minimost.domain.errors import RateLimited

log = logging.getLogger(__name__)

Action = Literal["login", "signup", "password_reset", "send", "avatar", "create_channel"]


def ip_key(ip: str) -> str:
    """The bucket for a client address. IPv6 counts per /64: one host usually holds a
    whole /64, and per-address buckets would give it 2**64 fresh budgets."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "ip:" + ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 client a.b.c.d
            return f"ip:{address.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network((address, 64), strict=False)}"
    return f"ip:{address}"


def user_key(user_id: int) -> str:
    return f"user:{user_id}"


class RateLimiter:
    def __init__(
        self,
        settings: Settings | SettingsRef,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        retry_redis_every: float = 5.0,
    ) -> None:
        # A ref follows reloaded settings (``minimost.reload``): new limits apply from the
        # next hit. A plain ``Settings`` (the CLI) stays as it is.
        self._settings = settings if isinstance(settings, SettingsRef) else SettingsRef(settings)
        self._monotonic = monotonic
        self._retry_every = retry_redis_every
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        # The cluster-wide counters (Redis), or None: this process's memory is the store.
        self._shared: MovingWindowRateLimiter | None = None
        self._storages: list[Storage] = [self._memory.storage]
        bus_url = self._settings.current.bus_url
        if bus_url.startswith(("redis://", "rediss://")):
            from minimost.realtime.bus.redis import split_prefix

            url, prefix = split_prefix(bus_url)
            key_prefix = f"{prefix}:minimost-rl" if prefix else "minimost-rl"
            redis = RedisStorage(
                "async+" + url, implementation="redispy", key_prefix=key_prefix,
                wrap_exceptions=True,
            )  # fmt: skip
            self._shared = MovingWindowRateLimiter(redis)
            self._storages.append(redis)
        # While Redis is down: when it failed last (monotonic), else None.
        self._down_since: float | None = None

    async def hit(self, action: Action, key: str) -> None:
        """Count one request of ``action`` by ``key``; raise RateLimited when over the limit."""
        settings = self._settings.current
        if not settings.rate_limit_enabled:
            return
        amount, window = getattr(settings.rate_limits, action)
        item = RateLimitItemPerSecond(amount, window)
        limiter = self._choose()
        try:
            reset_at = await _count(limiter, item, action, key)
        except StorageError as exc:
            if limiter is self._memory:
                raise
            self._redis_failed(exc)
            reset_at = await _count(self._memory, item, action, key)
        else:
            if limiter is not self._memory and self._down_since is not None:
                self._down_since = None
                log.info("rate limits: back on Redis")
        if reset_at is None:
            return
        retry = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(f"too many {action} requests; retry in {retry}s", retry_after=retry)

    def _choose(self) -> MovingWindowRateLimiter:
        if self._shared is None:
            return self._memory
        if self._down_since is None or self._monotonic() - self._down_since >= self._retry_every:
            return self._shared
        return self._memory

    def _redis_failed(self, exc: StorageError) -> None:
        first = self._down_since is None
        self._down_since = self._monotonic()
        if first:  # one line per outage, however many hits it spans
            cause = exc.storage_error
            log.warning(
                "rate limits: Redis unavailable (%s: %s); counting in-process until it is back",
                type(cause).__name__, cause,
            )  # fmt: skip

    async def reset(self) -> None:
        for storage in self._storages:
            await storage.reset()


async def _count(
    limiter: MovingWindowRateLimiter, item: RateLimitItemPerSecond, action: str, key: str
) -> float | None:
    """One hit; None if allowed, else when the window frees a slot (epoch seconds)."""
    if await limiter.hit(item, action, key):
        return None
    stats = await limiter.get_window_stats(item, action, key)
    return float(stats.reset_time)
