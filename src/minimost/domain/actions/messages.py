"""Send, edit and delete messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, tuple_, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from minimost.db.models import Membership, Mention, Message, Pin, Reaction, StoredFile
from minimost.domain import mentions
from minimost.domain.access import access_conversations, access_message
from minimost.domain.actions.files import delete_if_unreferenced, detach_files
from minimost.domain.actions.redaction import rewrite_message_events
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from minimost.domain.events import (
    message_created,
    message_deleted,
    message_updated,
    publish_many_on_commit,
    publish_on_commit,
)
from minimost.domain.queries.enrich import current_views, enrich
from minimost.domain.render import Rendered, render_markdown, render_message
from minimost.domain.text import InvalidCharacters, check as check_characters, forbidden_character
from minimost.domain.views import message_payload, message_select, message_view, user_view
from minimost.linkpreview.parse import first_link
from minimost.wire.models import MessageOut

MAX_TEXT = 10_000
MAX_FILES = 10


def clean_text(text: str, *, allow_empty: bool = False) -> str:
    text = check_characters("text", text.rstrip())
    if not text.strip() and not allow_empty:
        raise Invalid("message is empty", fields={"text": "must not be empty"})
    if len(text) > MAX_TEXT:
        raise Invalid("message too long", fields={"text": f"at most {MAX_TEXT} characters"})
    return text


@dataclass(frozen=True, slots=True)
class PendingSend:
    actor: Actor
    conversation_id: int
    text: str
    rendered: Rendered
    client_id: str | None
    reply_to_id: int | None = None
    file_ids: tuple[int, ...] = ()


SendResult = tuple[MessageOut, bool]


async def send_message(
    ctx: Ctx,
    actor: Actor,
    conversation_id: int,
    text: str,
    client_id: str | None,
    *,
    reply_to_id: int | None = None,
    file_ids: Sequence[int] = (),
) -> SendResult:
    """Post a message. Idempotent by ``client_id``: a retry returns ``(original, False)``.

    ``reply_to_id`` quotes a live message of the same conversation; ``file_ids`` attach the
    sender's own uploads that are not attached yet (then the text may be empty).

    Concurrent sends are group-committed (``domain.group_commit``): one transaction, one
    INSERT for the messages and one for their events, results handed back one by one.
    """
    files = tuple(dict.fromkeys(file_ids))  # order kept, duplicates dropped
    if len(files) > MAX_FILES:
        raise Invalid(
            "too many attachments", fields={"file_ids": f"at most {MAX_FILES} per message"}
        )
    text = clean_text(text, allow_empty=bool(files))
    rendered = render_message(text) if text else Rendered("")  # CPU work outside the tx
    result: SendResult = await ctx.sends.submit(
        PendingSend(actor, conversation_id, text, rendered, client_id, reply_to_id, files)
    )
    if result[1]:  # committed and new (not a retry): a link preview may follow
        ctx.previews.message_sent(ctx, actor, result[0])
    return result


async def write_sends(ctx: Ctx, batch: list[PendingSend]) -> list[SendResult | BaseException]:
    """The group-commit writer: validate each send, insert the valid ones together.

    One bad row must never fail another user's send. When the batch's transaction fails
    (rolled back: nothing of it is stored), it is run again one send at a time, so only the
    culprit fails: a concurrent retry of a ``client_id`` on another node (IntegrityError),
    a text the database refuses (PostgreSQL and NUL; any driver and a lone surrogate), or
    whatever else one row can cause. Only a lost connection fails the batch as a whole.
    """
    try:
        return await _write_sends(ctx, batch)
    except Exception as exc:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            raise  # the database went away: one by one would only wait longer to fail
        if len(batch) > 1:
            results: list[SendResult | BaseException] = []
            for item in batch:
                try:
                    results.extend(await write_sends(ctx, [item]))
                except Exception as alone:  # committed neighbours keep their results
                    results.append(alone)
            return results
        return [await _failed_alone(ctx, batch[0], exc)]


async def _failed_alone(ctx: Ctx, item: PendingSend, exc: Exception) -> SendResult | DomainError:
    """What the send that failed on its own gets: a domain error when the failure is its
    own input, the original message when it lost a ``client_id`` race; else ``exc``."""
    for field, value in (("text", item.text), ("client_id", item.client_id or "")):
        if (char := forbidden_character(value)) is not None:
            return InvalidCharacters(field, char)  # past validation: refused all the same
    if not isinstance(exc, IntegrityError) or item.client_id is None:
        raise exc
    # Lost a race with a retry of the same client_id on another process: return it.
    async with ctx.db.read() as conn:
        existing = await _existing(conn, {(item.actor.id, item.client_id)})
        row = existing.get((item.actor.id, item.client_id))
        if row is None:
            raise exc
        try:
            view = _replayed(row, item.conversation_id)
        except Conflict as conflict:
            return conflict
        await enrich(conn, [view])
    return (view, False)


_BY_CLIENT_IDS = message_select().where(
    tuple_(Message.author_id, Message.client_id).in_(bindparam("keys", expanding=True))
)
_INSERT_MESSAGES = insert(Message).returning(Message.id, sort_by_parameter_order=True)


async def _existing(conn: Any, keys: set[tuple[int, str]]) -> dict[tuple[int, str], Any]:
    if not keys:
        return {}
    rows = (await conn.execute(_BY_CLIENT_IDS, {"keys": list(keys)})).all()
    return {(row.author_id, row.client_id): row for row in rows}


async def _write_sends(ctx: Ctx, batch: list[PendingSend]) -> list[SendResult | BaseException]:
    results: list[SendResult | BaseException | None] = [None] * len(batch)
    first_of: dict[tuple[int, str], int] = {}  # same client_id twice in one batch
    accepted: list[int] = []
    async with ctx.db.write() as tx:
        readable = await access_conversations(
            tx.conn, {(p.actor.id, p.conversation_id) for p in batch}
        )
        existing = await _existing(
            tx.conn, {(p.actor.id, p.client_id) for p in batch if p.client_id is not None}
        )
        originals = await _originals(tx.conn, {p.reply_to_id for p in batch if p.reply_to_id})
        uploads = await _uploads(tx.conn, {f for p in batch for f in p.file_ids})
        for index, item in enumerate(batch):
            conversation = readable.get((item.actor.id, item.conversation_id))
            key = None if item.client_id is None else (item.actor.id, item.client_id)
            if conversation is None:
                results[index] = NotFound("conversation not found")
            elif key is not None and key in existing:
                try:
                    results[index] = (_replayed(existing[key], item.conversation_id), False)
                except Conflict as exc:
                    results[index] = exc
            elif not conversation.is_member:
                results[index] = Forbidden("join this channel to post in it", code="not_a_member")
            elif conversation.archived_at is not None:
                results[index] = Forbidden("this conversation is archived", code="archived")
            elif key is not None and key in first_of:
                continue  # resolved below from the first one
            elif (problem := _bad_reference(item, originals, uploads)) is not None:
                results[index] = problem
            else:
                for file_id in item.file_ids:
                    uploads.pop(file_id)  # one message per upload, even within a batch
                if key is not None:
                    first_of[key] = index
                accepted.append(index)
        if accepted:
            now = ctx.clock.now()
            mentioned = await mentions.resolve(
                tx,
                ctx.presence,
                [
                    (batch[i].actor.id, batch[i].conversation_id, batch[i].rendered)
                    for i in accepted
                ],
            )
            await tx.ordered()  # message ids in commit order, like event ids
            ids = (
                (
                    await tx.conn.execute(
                        _INSERT_MESSAGES,
                        [
                            {
                                "conversation_id": batch[i].conversation_id,
                                "author_id": batch[i].actor.id,
                                "client_id": batch[i].client_id,
                                "body_md": batch[i].text,
                                "body_html": batch[i].rendered.html,
                                "mention_ids": mentioned[n].ids_json,
                                "mention_all": batch[i].rendered.broadcast,
                                "reply_to_id": batch[i].reply_to_id,
                                "created_at": now,
                            }
                            for n, i in enumerate(accepted)
                        ],
                    )
                )
                .scalars()
                .all()
            )
            views = [
                _new_view(batch[i], int(mid), now, mentioned[n].named)
                for n, (i, mid) in enumerate(zip(accepted, ids, strict=True))
            ]
            await _record_mentions(tx, ids, mentioned)
            attached = [
                {"f": file_id, "m": int(mid)}
                for i, mid in zip(accepted, ids, strict=True)
                for file_id in batch[i].file_ids
            ]
            if attached:
                await tx.conn.execute(_ATTACH, attached)
            if any(batch[i].reply_to_id or batch[i].file_ids for i in accepted):
                await enrich(tx.conn, views, fresh=True)
            await _after_posting(
                tx,
                [
                    (batch[i].actor.id, batch[i].conversation_id, int(mid))
                    for i, mid in zip(accepted, ids, strict=True)
                ],
                {
                    batch[i].conversation_id
                    for i in accepted
                    if readable[(batch[i].actor.id, batch[i].conversation_id)].kind == "dm"
                },
            )
            await publish_many_on_commit(
                tx,
                ctx.publisher,
                [message_created(view) for view in views],
                now,
            )
            for i, view in zip(accepted, views, strict=True):
                results[i] = (view, True)
        replays = [r[0] for r in results if isinstance(r, tuple) and not r[1]]
        if replays:
            await enrich(tx.conn, replays)
    for index, item in enumerate(batch):
        if results[index] is None and item.client_id is not None:
            first = results[first_of[(item.actor.id, item.client_id)]]
            if isinstance(first, tuple) and first[0].conversation_id == item.conversation_id:
                results[index] = (first[0], False)
            elif isinstance(first, tuple):
                results[index] = Conflict(
                    "client_id was already used for another message", code="client_id_reused"
                )
            else:
                results[index] = first
    return [r for r in results if r is not None]


def _new_view(item: PendingSend, message_id: int, now: datetime, named: list[int]) -> MessageOut:
    return message_payload(
        message_id=message_id,
        conversation_id=item.conversation_id,
        author=user_view(
            item.actor.id,
            item.actor.username,
            item.actor.display_name,
            item.actor.color,
            item.actor.avatar_sha256,
        ),
        text=item.text,
        html=item.rendered.html,
        created_at=now,
        client_id=item.client_id,
        mentions=named,
        mention_all=item.rendered.broadcast,
        reply_to_id=item.reply_to_id,
    )


_ATTACH = (
    update(StoredFile)
    .where(StoredFile.id == bindparam("f"), StoredFile.message_id.is_(None))
    .values(message_id=bindparam("m"))
)


async def _originals(conn: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(Message.id, Message.conversation_id, Message.deleted_at).where(Message.id.in_(ids))
    )
    return {row.id: row for row in rows}


async def _uploads(conn: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    rows = await conn.execute(
        select(StoredFile.id, StoredFile.uploader_id, StoredFile.message_id).where(
            StoredFile.id.in_(ids)
        )
    )
    return {row.id: row for row in rows}


def _bad_reference(
    item: PendingSend, originals: dict[int, Any], uploads: dict[int, Any]
) -> DomainError | None:
    """What is wrong with the reply target or the attachments, if anything. Another
    conversation's message or another person's upload reads as missing (never revealed)."""
    if item.reply_to_id is not None:
        original = originals.get(item.reply_to_id)
        if (
            original is None
            or original.conversation_id != item.conversation_id
            or original.deleted_at is not None
        ):
            return NotFound("the message you reply to is gone", code="reply_not_found")
    for file_id in item.file_ids:
        upload = uploads.get(file_id)
        if upload is None or upload.uploader_id != item.actor.id or upload.message_id is not None:
            return NotFound("an attachment is missing or already sent", code="file_not_found")
    return None


async def _record_mentions(
    tx: Any, message_ids: Sequence[int], resolved: list[mentions.Resolved]
) -> None:
    rows = [
        {"message_id": message_id, "user_id": user_id, "conversation_id": item.conversation_id}
        for message_id, item in zip(message_ids, resolved, strict=True)
        for user_id in item.notify
    ]
    if rows:
        await tx.conn.execute(insert(Mention), rows)


_READ_OWN = (
    update(Membership)
    .where(
        Membership.conversation_id == bindparam("c"),
        Membership.user_id == bindparam("u"),
    )
    .values(last_read_message_id=bindparam("m"))
)


async def _after_posting(tx: Any, posted: list[tuple[int, int, int]], dms: set[int]) -> None:
    """Posting means you have read up to your own message; and a DM someone hid comes
    back when something new is said in it."""
    latest: dict[tuple[int, int], int] = {}
    for author, conversation, message_id in posted:
        latest[(author, conversation)] = message_id
    await tx.conn.execute(_READ_OWN, [{"u": u, "c": c, "m": m} for (u, c), m in latest.items()])
    if dms:
        await tx.conn.execute(
            update(Membership)
            .where(Membership.conversation_id.in_(dms), Membership.hidden.is_(True))
            .values(hidden=False)
        )


def _replayed(row: Any, conversation_id: int) -> MessageOut:
    if row.conversation_id != conversation_id:
        raise Conflict("client_id was already used for another message", code="client_id_reused")
    return message_view(row)


async def _own_live_message(tx: Any, actor: Actor, message_id: int) -> Any:
    row = await access_message(tx.conn, actor, message_id)
    if row.deleted_at is not None:
        raise NotFound("message not found")
    if row.author_id != actor.id:
        raise Forbidden("you can only change your own messages")
    return row


async def edit_message(ctx: Ctx, actor: Actor, message_id: int, text: str) -> MessageOut:
    text = clean_text(text)
    html = render_markdown(text)  # mentions count when a message is posted, not on edits
    now = ctx.clock.now()
    link = first_link(html)
    async with ctx.db.write() as tx:
        await _own_live_message(tx, actor, message_id)  # NotFound / Forbidden unless mine and live
        old_html, old_image = (
            await tx.conn.execute(
                select(Message.body_html, Message.preview_image_sha256).where(
                    Message.id == message_id
                )
            )
        ).one()
        relinked = first_link(old_html or "") != link
        values: dict[str, Any] = {"body_md": text, "body_html": html, "edited_at": now}
        if relinked:
            values["preview"] = None  # it described the old link; a new one may follow
            values["preview_image_sha256"] = None
        else:
            old_image = None  # the card, and its image, stay
        await tx.conn.execute(update(Message).where(Message.id == message_id).values(**values))
        # The old text (and preview, and replies' quotes of it) leaves the replay log too.
        await rewrite_message_events(tx, [message_id])
        view = (await current_views(tx.conn, [message_id]))[0]
        await publish_on_commit(tx, ctx.publisher, message_updated(view), now)
    if old_image is not None:
        await delete_if_unreferenced(ctx, old_image)
    if relinked:
        ctx.previews.message_sent(ctx, actor, view)
    return view


async def delete_message(ctx: Ctx, actor: Actor, message_id: int) -> None:
    """Tombstone: the row stays (ids and order stay stable) but the text is gone for good."""
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        row = await access_message(tx.conn, actor, message_id)
        if row.deleted_at is not None:
            raise NotFound("message not found")
        if row.author_id != actor.id and not actor.is_admin:
            raise Forbidden("you can only delete your own messages")
        preview_image = await tx.conn.scalar(
            select(Message.preview_image_sha256).where(Message.id == message_id)
        )
        await tx.conn.execute(
            update(Message)
            .where(Message.id == message_id)
            .values(
                body_md="", body_html="", deleted_at=now, preview=None, preview_image_sha256=None
            )
        )
        # A tombstone keeps neither a pin nor reactions (clients drop both on the event).
        await tx.conn.execute(delete(Pin).where(Pin.message_id == message_id))
        await tx.conn.execute(delete(Reaction).where(Reaction.message_id == message_id))
        # Attachments go with the text: rows now, unused blobs once this has committed.
        blobs = await detach_files(tx, [message_id])
        if preview_image is not None:  # and so does the link preview's image
            blobs.add(preview_image)
        # And the replay log: its stored views become the tombstone (quotes: "deleted").
        await rewrite_message_events(tx, [message_id])
        await publish_on_commit(
            tx, ctx.publisher, message_deleted(message_id, row.conversation_id), now
        )
    await delete_if_unreferenced(ctx, blobs)
