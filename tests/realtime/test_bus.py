"""One publish/subscribe contract, two backends: the in-process MemoryBus and RedisBus on
the real Redis (each test on its own key prefix so runs never cross-talk). Plus the codec
that carries a committed event over the bus."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from minimost.domain.events import Published, encode_frame
from minimost.realtime.bus.base import EVENTS_CHANNEL, Bus, bus_from_url
from minimost.realtime.bus.memory import MemoryBus
from minimost.realtime.bus.redis import RedisBus, split_prefix
from minimost.realtime.codec import decode, encode
from tests.live import TIMEOUT
from tests.pg import REDIS_URL

WAIT = TIMEOUT  # a hang guard (tests/live.py)
PROBE = b"probe:"


def redis_url(prefix: str) -> str:
    return f"{REDIS_URL}?prefix={prefix}"


class Subscriber:
    """Consumes ``bus.subscribe(channel)`` in a task. ``start()`` returns once the
    subscription demonstrably works (a probe published after it came back), whatever the
    backend needs to get there; probes are kept out of ``received``."""

    def __init__(self, bus: Bus, channel: str = EVENTS_CHANNEL) -> None:
        self.bus = bus
        self.channel = channel
        self.received: asyncio.Queue[bytes] = asyncio.Queue()
        self.probes: set[bytes] = set()
        self._probe_seen = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        async with self.bus.subscribe(self.channel) as messages:
            async for message in messages:
                if message.startswith(PROBE):
                    self.probes.add(message)
                    self._probe_seen.set()
                else:
                    self.received.put_nowait(message)

    async def start(self) -> Subscriber:
        self.task = asyncio.create_task(self._run())
        probe = PROBE + uuid.uuid4().hex.encode()

        async def until_probe() -> None:
            while probe not in self.probes:
                self._probe_seen.clear()
                await self.bus.publish(self.channel, probe)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._probe_seen.wait(), 0.05)

        await asyncio.wait_for(until_probe(), WAIT)
        return self

    async def get(self, timeout: float = WAIT) -> bytes:
        return await asyncio.wait_for(self.received.get(), timeout)

    async def take(self, count: int, timeout: float = WAIT) -> list[bytes]:
        return [await self.get(timeout) for _ in range(count)]

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


BusFactory = Callable[[], Bus]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.scaleout)])
async def make_bus(request: pytest.FixtureRequest) -> AsyncIterator[BusFactory]:
    """Buses of one backend that share a medium: several RedisBus on one prefix are several
    nodes; for memory there is only the one process-local bus."""
    prefix = f"mmtest-{uuid.uuid4().hex}"
    made: list[Bus] = []
    shared_memory = MemoryBus()

    def factory() -> Bus:
        bus = shared_memory if request.param == "memory" else bus_from_url(redis_url(prefix))
        if bus not in made:
            made.append(bus)
        return bus

    factory.kind = request.param  # type: ignore[attr-defined]
    yield factory
    for bus in made:
        await bus.disconnect()


@pytest.fixture
async def bus(make_bus: BusFactory) -> Bus:
    b = make_bus()
    await b.connect()
    return b


@pytest.fixture
async def subscribers() -> AsyncIterator[list[Subscriber]]:
    made: list[Subscriber] = []
    yield made
    for sub in made:
        await sub.stop()


async def subscribe(
    subscribers: list[Subscriber], bus: Bus, channel: str = EVENTS_CHANNEL
) -> Subscriber:
    sub = Subscriber(bus, channel)
    subscribers.append(sub)
    return await sub.start()


def test_bus_from_url_picks_the_backend() -> None:
    assert isinstance(bus_from_url("memory://"), MemoryBus)
    assert isinstance(bus_from_url("redis://127.0.0.1:6379/0"), RedisBus)
    with pytest.raises(ValueError, match="unsupported"):
        bus_from_url("kafka://x")


def test_redis_prefix_is_split_off_the_url() -> None:
    url, prefix = split_prefix("redis://127.0.0.1:6379/0?prefix=team1&socket_timeout=5")
    assert prefix == "team1"
    assert url == "redis://127.0.0.1:6379/0?socket_timeout=5"
    assert split_prefix("redis://h/1") == ("redis://h/1", "")


async def test_every_subscriber_gets_every_message_in_order(
    bus: Bus, subscribers: list[Subscriber]
) -> None:
    first = await subscribe(subscribers, bus)
    second = await subscribe(subscribers, bus)
    messages = [f"message {i}".encode() for i in range(200)]
    for message in messages:
        await bus.publish(EVENTS_CHANNEL, message)
    assert await first.take(200) == messages
    assert await second.take(200) == messages


async def test_channels_are_separate(bus: Bus, subscribers: list[Subscriber]) -> None:
    events = await subscribe(subscribers, bus, "minimost:events")
    other = await subscribe(subscribers, bus, "minimost:other")
    await bus.publish("minimost:other", b"not for events")
    await bus.publish("minimost:events", b"for events")
    await bus.publish("minimost:other", b"marker")
    assert await events.get() == b"for events"
    assert await other.take(2) == [b"not for events", b"marker"]
    # Had "not for events" leaked into the events channel it would be queued before this.
    await bus.publish("minimost:events", b"marker")
    assert await events.get() == b"marker"


async def test_payloads_are_bytes_exactly(bus: Bus, subscribers: list[Subscriber]) -> None:
    sub = await subscribe(subscribers, bus)
    payloads = [
        b"",
        b"12 message.created 5 -\n" + '{"text":"h\u00e9llo \U0001f600\\n"}'.encode(),
        bytes(range(256)),
        b"x" * 200_000,
    ]
    for payload in payloads:
        await bus.publish(EVENTS_CHANNEL, payload)
    assert await sub.take(len(payloads)) == payloads


async def test_publish_without_subscribers_is_harmless(
    bus: Bus, subscribers: list[Subscriber]
) -> None:
    await bus.publish(EVENTS_CHANNEL, b"into the void")
    sub = await subscribe(subscribers, bus)
    await bus.publish(EVENTS_CHANNEL, b"after")
    assert await sub.get() == b"after"  # the earlier one was not kept for late subscribers


async def test_a_stopped_subscriber_does_not_disturb_the_others(
    bus: Bus, subscribers: list[Subscriber]
) -> None:
    leaving = await subscribe(subscribers, bus)
    staying = await subscribe(subscribers, bus)
    await leaving.stop()
    await bus.publish(EVENTS_CHANNEL, b"one")
    await bus.publish(EVENTS_CHANNEL, b"two")
    assert await staying.take(2) == [b"one", b"two"]
    assert leaving.received.empty()


async def test_several_buses_on_one_medium_see_each_other(
    make_bus: BusFactory, subscribers: list[Subscriber]
) -> None:
    # Two nodes (RedisBus on one prefix) or, in memory, one process's bus.
    node1, node2 = make_bus(), make_bus()
    await node1.connect()
    await node2.connect()
    on_1 = await subscribe(subscribers, node1)
    on_2 = await subscribe(subscribers, node2)
    await node1.publish(EVENTS_CHANNEL, b"from 1")
    await node2.publish(EVENTS_CHANNEL, b"from 2")
    assert await on_1.take(2) == [b"from 1", b"from 2"]
    assert await on_2.take(2) == [b"from 1", b"from 2"]


async def test_separate_memory_buses_are_separate(subscribers: list[Subscriber]) -> None:
    a, b = MemoryBus(), MemoryBus()
    sub_a = await subscribe(subscribers, a)
    sub_b = await subscribe(subscribers, b)
    await a.publish(EVENTS_CHANNEL, b"on a")
    await b.publish(EVENTS_CHANNEL, b"on b")
    assert await sub_a.get() == b"on a"
    assert await sub_b.get() == b"on b"


@pytest.mark.scaleout
async def test_redis_prefixes_keep_installations_apart(subscribers: list[Subscriber]) -> None:
    team1 = bus_from_url(redis_url(f"mmtest-{uuid.uuid4().hex}"))
    team2 = bus_from_url(redis_url(f"mmtest-{uuid.uuid4().hex}"))
    await team1.connect()
    await team2.connect()
    try:
        sub1 = await subscribe(subscribers, team1)
        sub2 = await subscribe(subscribers, team2)
        await team1.publish(EVENTS_CHANNEL, b"team1 only")
        await team2.publish(EVENTS_CHANNEL, b"team2 marker")
        assert await sub1.get() == b"team1 only"
        assert await sub2.get() == b"team2 marker"  # not "team1 only" first
        await team1.publish(EVENTS_CHANNEL, b"team1 marker")
        assert await sub1.get() == b"team1 marker"
    finally:
        for sub in subscribers:
            await sub.stop()
        await team1.disconnect()
        await team2.disconnect()


@pytest.mark.scaleout
async def test_redis_bus_needs_connect() -> None:
    bus = RedisBus(redis_url("unused"))
    with pytest.raises(RuntimeError, match="connect"):
        await bus.publish(EVENTS_CHANNEL, b"x")


# --- codec -----------------------------------------------------------------------------


def published(
    event_id: int, type_: str, conv: int | None, user: int | None, payload: str
) -> Published:
    return Published(event_id, type_, conv, user, encode_frame(event_id, type_, conv, payload))


CODEC_CASES = [
    published(1, "message.created", 5, None, '{"text":"hi"}'),
    published(2, "member.added", 5, 7, '{"conversation_id":5,"user":{"id":7}}'),
    published(3, "user.updated", None, 7, '{"id":7}'),
    published(4, "server.notice", None, None, "{}"),
    published(
        2**53, "message.updated", 2**40, 2**40 + 1, '{"text":"a\\nb \\"q\\" \u00e9 \U0001f600"}'
    ),
]


@pytest.mark.parametrize("event", CODEC_CASES, ids=lambda e: f"{e.type}-{e.id}")
def test_codec_round_trip(event: Published) -> None:
    assert decode(encode(event)) == event


async def test_codec_round_trip_over_the_bus(bus: Bus, subscribers: list[Subscriber]) -> None:
    sub = await subscribe(subscribers, bus)
    for event in CODEC_CASES:
        await bus.publish(EVENTS_CHANNEL, encode(event))
    assert [decode(m) for m in await sub.take(len(CODEC_CASES))] == CODEC_CASES


async def test_a_subscription_is_live_once_subscribe_returns(bus: Bus) -> None:
    """What the hub's start-up relies on: ``async with bus.subscribe(ch)`` returns only once
    the subscription is in place, so nothing published after that point is missed.

    Regression: RedisBus.subscribe now waits for the SUBSCRIBE confirmation.
    """
    async with bus.subscribe(EVENTS_CHANNEL) as messages:
        await bus.publish(EVENTS_CHANNEL, b"published right after subscribing")
        first = await asyncio.wait_for(anext(messages), WAIT)
        assert first == b"published right after subscribing"
