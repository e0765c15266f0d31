"""Runs link previews in the background after a send commits.

``LinkPreviewer.message_sent`` is called by the send action with the committed message. It
picks the message's first http(s) link, applies the per-user limit, and starts a task that
fetches the page (``fetch.GuardedFetcher``), reads its metadata and stores the preview
through ``actions.previews.set_preview`` (which emits ``message.updated``). Nothing here
delays or fails the send: every problem is logged at debug level and the message simply
gets no preview.

The page's image (``og:image``/``twitter:image``) is fetched the same guarded way, in what
is left of the same time budget, accepting only PNG/JPEG/GIF/WebP up to
``Policy.max_image_bytes``; Pillow verifies it and makes a small WebP without metadata
(``files.images.make_preview_image``), which ``set_preview`` stores in the blob store. The
browser only ever loads that copy, from us. An image that fails in any way just leaves the
card without one.

Bounds: at most ``PER_USER`` previews per user per ``WINDOW_S`` (an internal limit, not one
of the spec's ``rate_limits`` names), at most ``CONCURRENCY`` fetches at once per process,
and a small cache so a link pasted in several channels is fetched once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from minimost.config import Settings
from minimost.domain.clock import Clock, SystemClock
from minimost.files.images import NotAnImage, make_preview_image
from minimost.wire.models import MessageOut

from .fetch import IMAGE, GuardedFetcher, Policy, Refused
from .parse import decode, first_link, image_url, metadata, preview_of

if TYPE_CHECKING:
    from minimost.domain.context import Actor, Ctx

log = logging.getLogger(__name__)

PER_USER = 20
WINDOW_S = 60
CONCURRENCY = 4
CACHE_SIZE = 256
CACHE_TTL_S = 600.0

Preview = dict[str, str | None]


@dataclass(frozen=True, slots=True)
class Card:
    """A preview ready to store: its text fields, and our WebP of the page's image."""

    fields: Preview  # url, title, description, site_name
    image: bytes | None = None


class LinkPreviewer:
    def __init__(
        self,
        settings: Settings,
        fetcher: GuardedFetcher | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.enabled = settings.link_previews
        self.clock = clock or SystemClock()  # the cache's age and the page+image time budget
        # Replaceable by tests (the test-only loopback override lives in ``Policy``).
        self.fetcher = fetcher or GuardedFetcher(
            Policy(allow_private=settings.link_preview_allow_private)
        )
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limit = RateLimitItemPerSecond(PER_USER, WINDOW_S)
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._tasks: set[asyncio.Task[None]] = set()
        self._cache: OrderedDict[str, tuple[float, Card | None]] = OrderedDict()

    def message_sent(self, ctx: Ctx, actor: Actor, message: MessageOut) -> None:
        """Schedule the preview of a just-committed message (returns at once)."""
        if not self.enabled:
            return
        url = first_link(message.html)
        if url is None:
            return
        task = asyncio.create_task(
            self._run(ctx, actor.id, message.id, url), name="minimost-link-preview"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the previews in flight (tests, and a graceful stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, ctx: Ctx, user_id: int, message_id: int, url: str) -> None:
        from minimost.domain.actions.previews import set_preview  # actions import us back

        try:
            if not await self._limiter.hit(self._limit, "link_preview", str(user_id)):
                log.debug("link preview skipped: user %s over the limit", user_id)
                return
            card = await self.preview(url)
            if card is not None:
                await set_preview(ctx, message_id, card.fields, image=card.image)
        except Exception:
            log.exception("link preview for message %s failed", message_id)

    async def preview(self, url: str) -> Card | None:
        """The preview of ``url`` (cached), or None when it cannot or should not have one."""
        now = self.clock.monotonic()
        hit = self._cache.get(url)
        if hit is not None and now - hit[0] < CACHE_TTL_S:
            self._cache.move_to_end(url)
            return hit[1]
        async with self._slots:
            started = self.clock.monotonic()
            try:
                page = await self.fetcher.fetch(url)
            except Refused as exc:
                log.debug("no link preview for %s: %s", url, exc)
                result = None
            else:
                data = metadata(decode(page.body, page.charset))
                fields = preview_of(url, page.url, data)
                result = None
                if fields is not None:
                    image = await self._image(image_url(page.url, data.image), started)
                    result = Card(fields, image)
        self._cache[url] = (self.clock.monotonic(), result)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return result

    async def _image(self, url: str | None, started: float) -> bytes | None:
        """Our thumbnail of the page's image, or None (never an error: the card stays)."""
        if url is None:
            return None
        # One time budget for the page and its image together.
        time_left = self.fetcher.policy.timeout - (self.clock.monotonic() - started)
        try:
            found = await self.fetcher.fetch(url, IMAGE, budget=time_left)
            return await asyncio.to_thread(make_preview_image, found.body)
        except (Refused, NotAnImage) as exc:
            log.debug("no preview image from %s: %s", url, exc)
        except Exception:  # a Pillow surprise must not cost the card its text
            log.exception("preview image from %s failed", url)
        return None
