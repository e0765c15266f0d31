"""Redis pub/sub bus for several processes or nodes.

Pub/sub is fire-and-forget: a node that loses its Redis connection misses what was published
meanwhile. That is safe here because the events table is the source of truth: the hub notices
the gap in event ids when the next event arrives and loads the missing ones from the database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout

log = logging.getLogger(__name__)


def split_prefix(url: str) -> tuple[str, str]:
    """``redis://host/0?prefix=team1`` keeps several installations (or test runs) apart on
    one Redis: channel and rate-limit keys get the prefix. Returns (url without it, prefix)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "prefix"]
    prefix = dict(parse_qsl(parts.query)).get("prefix", "")
    return urlunsplit(parts._replace(query=urlencode(query))), prefix


class RedisBus:
    def __init__(self, url: str) -> None:
        self._url, self.prefix = split_prefix(url)
        self._client: Redis | None = None

    def _channel(self, channel: str) -> str:
        return f"{self.prefix}:{channel}" if self.prefix else channel

    async def connect(self) -> None:
        self._client = Redis.from_url(self._url, health_check_interval=30)
        await self._client.ping()

    async def disconnect(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> Redis:
        if self._client is None:
            raise RuntimeError("RedisBus.connect() was not called")
        return self._client

    async def publish(self, channel: str, message: bytes) -> None:
        await self.client.publish(self._channel(channel), message)

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """Returns once Redis has confirmed the subscription, so nothing published after
        this point is missed (the hub reads its starting event id only then)."""
        name = self._channel(channel)
        pubsub = self.client.pubsub()
        await self._subscribe(pubsub, name)

        async def messages() -> AsyncIterator[bytes]:
            delay = 0.2
            while True:
                try:
                    async for item in pubsub.listen():
                        if item.get("type") == "message":
                            delay = 0.2
                            yield item["data"]
                except (RedisConnectionError, RedisTimeout, OSError) as exc:
                    # Whatever was published meanwhile is lost here; the hub notices the
                    # gap at the next event and loads it from the database.
                    log.warning("redis bus: %s; resubscribing in %.1fs", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    try:
                        await self._subscribe(pubsub, name)
                    except (RedisConnectionError, RedisTimeout, OSError):
                        continue
                    log.info("redis bus: subscribed to %s again", name)

        try:
            yield messages()
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    @staticmethod
    async def _subscribe(pubsub: PubSub, name: str) -> None:
        await pubsub.subscribe(name)
        # The confirmation is the first reply on the pub/sub connection.
        while True:
            reply = await pubsub.get_message(timeout=5.0)
            if reply is None:
                raise RedisTimeout(f"no confirmation for SUBSCRIBE {name}")
            if reply.get("type") == "subscribe":
                return
