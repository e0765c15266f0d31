"""Stored events never outlive what history shows.

The event log is what a socket replays (``queries.events.replay``, ``?since=``) for
``event_retention_days``. A ``message.created`` or ``message.updated`` stores the whole
message view: its text, rendered HTML, file names, link preview, and the excerpt of the
message it replies to. So whatever changes that view for good — an edit, a delete (author
or admin), a hard account purge, retention or size-cap eviction, an attachment expiring —
calls ``rewrite_message_events`` in its own transaction, after the change:

* every stored view of those messages, and of the replies quoting them, becomes the
  message as it is now (``queries.enrich.current_views``: exactly what history shows, a
  tombstone for a deleted message);
* a message whose row is gone (purged, expired, evicted) has its stored views replaced
  by its ``message.deleted`` (``{id, conversation_id}``), as history shows nothing.

Rows are rewritten in place, never deleted: event ids keep no new gaps, so neither the
hub's sequencer nor the "since older than the retained log" rule sees anything new, and a
client resuming anywhere in between ends exactly where history is (it replays the current
view, then the later events, which all apply idempotently).

Events are found by ``events.message_id`` (set at insert on the two view-carrying types,
indexed) and replies by ``messages.reply_to_id`` (a partial index), so the cost is a few
indexed lookups per change and nothing on the send path beyond one column value.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, select, update

from minimost.db.engine import Tx
from minimost.db.models import Event, Message
from minimost.domain.events import EventType, message_deleted
from minimost.domain.queries.enrich import current_views
from minimost.wire.models import encode

# Bound parameters per IN list: well inside SQLite's and asyncpg's limits.
CHUNK = 500

_TO_VIEW = update(Event).where(Event.message_id == bindparam("m")).values(payload=bindparam("view"))
_TO_DELETED = (
    update(Event)
    .where(Event.message_id == bindparam("m"))
    .values(type=EventType.MESSAGE_DELETED.value, payload=bindparam("gone"))
)


async def rewrite_message_events(
    tx: Tx, message_ids: Collection[int], *, replies: bool = True
) -> None:
    """Make every stored view of ``message_ids`` (and, with ``replies``, of the messages
    quoting them) match what history shows now. Call inside the changing transaction,
    after the change. ``replies=False`` when nothing a quote shows changed (a lost
    attachment)."""
    wanted = set(message_ids)
    if replies and wanted:
        wanted |= await _replies_to(tx, wanted)
    ordered = sorted(wanted)
    for start in range(0, len(ordered), CHUNK):
        await _rewrite(tx, ordered[start : start + CHUNK])


async def _replies_to(tx: Tx, message_ids: set[int]) -> set[int]:
    found: set[int] = set()
    ordered = sorted(message_ids)
    for start in range(0, len(ordered), CHUNK):
        rows = await tx.conn.execute(
            select(Message.id).where(Message.reply_to_id.in_(ordered[start : start + CHUNK]))
        )
        found.update(int(mid) for mid in rows.scalars())
    return found


async def _rewrite(tx: Tx, message_ids: list[int]) -> None:
    stored = (
        await tx.conn.execute(
            select(Event.message_id, Event.conversation_id)
            .where(Event.message_id.in_(message_ids))
            .distinct()
        )
    ).all()
    if not stored:
        return  # nothing retained for these (pruned, or never stored): nothing to do
    conversation_of = {int(row.message_id): row.conversation_id for row in stored}
    views = {v.id: v for v in await current_views(tx.conn, sorted(conversation_of))}
    present = [{"m": mid, "view": encode(view)} for mid, view in views.items()]
    gone = [
        {"m": mid, "gone": encode(message_deleted(mid, conversation_id).data)}
        for mid, conversation_id in conversation_of.items()
        if mid not in views
    ]
    if present:
        await tx.conn.execute(_TO_VIEW, present)
    if gone:
        await tx.conn.execute(_TO_DELETED, gone)
