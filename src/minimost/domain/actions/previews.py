"""Attach a link preview to a message (the background fetch's only way to write).

The fetch happens after the send committed and takes up to seconds, so by the time the
preview is ready the message may be deleted, or edited to another link: then the preview is
dropped rather than shown under text it does not describe.

A preview may come with an image: our own WebP thumbnail of the page's ``og:image``
(``linkpreview.service``). Its blob is put in place under the blob lock in the transaction
that names it in ``messages.preview_image_sha256`` (the column the blob reaper checks), and
the image it replaces, if any, is reaped after the commit. The wire never sees the digest:
``views.preview_view`` turns it into ``/api/v1/messages/{id}/preview-image?v=…``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from sqlalchemy import select, update

from minimost.db.models import Message
from minimost.domain.actions.files import blob_store, delete_if_unreferenced, lock_blobs
from minimost.domain.context import Ctx
from minimost.domain.events import message_updated, publish_on_commit
from minimost.domain.queries.enrich import current_views
from minimost.domain.views import message_select
from minimost.files.store import Staged
from minimost.linkpreview.parse import first_link

# What ``messages.preview`` holds (JSON). ``image_sha256`` duplicates the indexed column so
# a row read alone renders its card; the wire shape is ``views.PREVIEW_WIRE_KEYS``.
STORED_KEYS = ("url", "title", "description", "site_name")


async def set_preview(
    ctx: Ctx, message_id: int, preview: dict[str, Any], *, image: bytes | None = None
) -> bool:
    """Store ``preview`` (and ``image``, our thumbnail of the page's image) on the message
    and emit ``message.updated``; False when the message is gone or no longer links to
    ``preview["url"]`` (nothing is stored then, not even the image)."""
    stored: dict[str, Any] = {key: preview.get(key) for key in STORED_KEYS}
    now = ctx.clock.now()
    store = blob_store(ctx)
    staged: Staged | None = None
    if image is not None:
        staged = await asyncio.to_thread(store.stage_bytes, image)
    sha: str | None = None
    old: str | None = None
    try:
        async with ctx.db.write() as tx:
            row = (await tx.conn.execute(message_select().where(Message.id == message_id))).first()
            if (
                row is None
                or row.deleted_at is not None
                or first_link(row.body_html) != stored["url"]
            ):
                return False
            old = await tx.conn.scalar(
                select(Message.preview_image_sha256).where(Message.id == message_id)
            )
            if staged is not None:
                await lock_blobs(tx)
                sha = store.commit(staged)
                staged = None
            stored["image_sha256"] = sha
            await tx.conn.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(preview=orjson.dumps(stored).decode(), preview_image_sha256=sha)
            )
            view = (await current_views(tx.conn, [message_id]))[0]
            await publish_on_commit(tx, ctx.publisher, message_updated(view), now)
    except Exception:
        if sha is not None:  # placed, but the row naming it never committed
            await delete_if_unreferenced(ctx, sha)
        raise
    finally:
        if staged is not None:
            staged.discard()
    if old is not None and old != sha:
        await delete_if_unreferenced(ctx, old)
    return True
