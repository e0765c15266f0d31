"""Attach a link preview to a message (the background fetch's only way to write).

The fetch happens after the send committed and takes up to seconds, so by the time the
preview is ready the message may be deleted, or edited to another link: then the preview is
dropped rather than shown under text it does not describe.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import update

from minimost.db.models import Message
from minimost.domain.context import Ctx
from minimost.domain.events import Event, EventType, publish_on_commit
from minimost.domain.queries.enrich import current_views
from minimost.domain.views import message_select
from minimost.linkpreview.parse import first_link

PREVIEW_KEYS = ("url", "title", "description", "image_url", "site_name")


async def set_preview(ctx: Ctx, message_id: int, preview: dict[str, Any]) -> bool:
    """Store ``preview`` on the message and emit ``message.updated``; False when the
    message is gone or no longer links to ``preview["url"]``."""
    stored = {key: preview.get(key) for key in PREVIEW_KEYS}
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        row = (await tx.conn.execute(message_select().where(Message.id == message_id))).first()
        if row is None or row.deleted_at is not None or first_link(row.body_html) != stored["url"]:
            return False
        await tx.conn.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(preview=orjson.dumps(stored).decode())
        )
        view = (await current_views(tx.conn, [message_id]))[0]
        await publish_on_commit(
            tx,
            ctx.publisher,
            Event(EventType.MESSAGE_UPDATED, view, conversation_id=row.conversation_id),
            now,
        )
    return True
