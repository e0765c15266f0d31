"""Deleting your own account, in one of two modes (both need your password).

* ``soft``: your messages stay and show as "Deleted User" (they keep ``author_id``; the
  account row stays, renamed).
* ``hard``: additionally every message you posted is deleted for good (rows, their files,
  reactions, pins and mentions with them), along with your reactions and pins elsewhere.

Both: the account is renamed ``deleted-<id>`` with display name "Deleted User", so the
username is free to register again. Nothing follows the name: memberships, DMs and messages
refer to the numeric id, which is never reused, so a newcomer with the old name inherits
nothing. Every session and API token ends (open tabs go to the sign-in page), the account
leaves its channels (a private channel it was last in is archived; DMs keep it so the other
side still sees who the conversation was with), and every signed-in user gets
``user.updated`` so the name changes live.

The hard purge runs in chunks, each its own short transaction, so deleting 100,000 messages
never holds the single SQLite writer for long; other writes interleave between chunks.
``users.purge_requested_at`` is set in the transaction that marks the account deleted and
cleared in the one that finds no message left, so a purge cut short (a crash, a restart) is
still recorded; the retention janitor finishes it (``pending_purges`` + ``purge_messages``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, exists, func, select, update

from minimost.db.engine import Tx
from minimost.db.models import (
    Conversation,
    Membership,
    Message,
    Pin,
    Reaction,
    StoredFile,
    User,
)
from minimost.domain import audit
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import NotFound
from minimost.domain.events import (
    Event,
    EventType,
    event,
    member_event,
    message_deleted,
    publish_many_on_commit,
)
from minimost.domain.views import conversation_view, user_view
from minimost.wire.events import UserUpdated
from minimost.wire.models import UserOut

from .accounts import DELETED_PREFIX
from .credentials import verify_own_password
from .files import delete_if_unreferenced, detach_files
from .redaction import rewrite_message_events
from .sessions import end_every_credential

Mode = Literal["soft", "hard"]
DELETED_NAME = "Deleted User"
PURGE_CHUNK = 500


async def delete_own_account(ctx: Ctx, actor: Actor, password: str, mode: Mode) -> dict[str, Any]:
    """Check the password (a wrong one counts toward the lockout), then ``remove_account``."""
    await verify_own_password(ctx, actor, password, action="account_delete")
    return await remove_account(ctx, actor.id, mode, by=actor.username, ip=actor.ip)


async def remove_account(
    ctx: Ctx, user_id: int, mode: Mode, *, by: str, ip: str = ""
) -> dict[str, Any]:
    """Delete ``user_id`` (see the module doc). ``by`` names who did it, for the audit log.
    Returns ``{"username": <new name>, "purged_messages": n}``."""
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        row = (
            await tx.conn.execute(
                select(User.id, User.username, User.avatar_sha256).where(
                    User.id == user_id, User.deleted_at.is_(None), User.is_system.is_(False)
                )
            )
        ).one_or_none()
        if row is None:
            raise NotFound("account not found")
        new_name = await _free_name(tx, user_id)
        await tx.conn.execute(
            update(User)
            .where(User.id == user_id)
            .values(
                username=new_name,
                display_name=DELETED_NAME,
                deleted_at=now,
                password_hash="!",  # noqa: S106  # nosec B106  # never verifies
                avatar_sha256=None,
                color=None,
                presence_override=None,
                # Owed until purge_messages finishes; the janitor resumes it after a crash.
                purge_requested_at=now if mode == "hard" else None,
            )
        )
        signed_out = await end_every_credential(tx, user_id)
        view = user_view(user_id, new_name, DELETED_NAME)
        events = await _leave_channels(tx, user_id, view, now)
        events.append(signed_out)
        # The same shape as a profile change (actions.profile), plus ``deleted``.
        deleted = UserUpdated.model_construct(user=view, deleted=True)
        events.append(event(EventType.USER_UPDATED, deleted))
        await publish_many_on_commit(tx, ctx.publisher, events, now)
        await audit.record(
            tx, at=now, action="account_delete", outcome="success", actor_id=user_id,
            actor_name=by, ip=ip, target=f"user:{user_id}",
            detail=f"mode={mode}; {row.username} -> {new_name}",
        )  # fmt: skip
    if row.avatar_sha256 is not None:  # a personal picture goes with the account
        await delete_if_unreferenced(ctx, {row.avatar_sha256})
    purged = await purge_messages(ctx, user_id) if mode == "hard" else 0
    return {"username": new_name, "purged_messages": purged}


async def _free_name(tx: Tx, user_id: int) -> str:
    """``deleted-<id>`` (sign-up refuses that prefix), unless an account made before the
    prefix was reserved holds it: then a random suffix."""
    name = f"{DELETED_PREFIX}{user_id}"
    while await tx.conn.scalar(select(exists().where(User.username == name))):
        name = f"{DELETED_PREFIX}{user_id}-{secrets.token_hex(3)}"
    return name


async def _leave_channels(tx: Tx, user_id: int, view: UserOut, now: datetime) -> list[Event]:
    """Leave every channel (not DMs); archive private channels nobody is left in."""
    channels = (
        await tx.conn.execute(
            select(Conversation.id, Conversation.kind)
            .join(Membership, Membership.conversation_id == Conversation.id)
            .where(Membership.user_id == user_id, Conversation.kind != "dm")
        )
    ).all()
    if not channels:
        return []
    ids = [c.id for c in channels]
    await tx.conn.execute(
        delete(Membership).where(Membership.user_id == user_id, Membership.conversation_id.in_(ids))
    )
    events = [member_event(EventType.MEMBER_REMOVED, cid, view) for cid in ids]
    private = [c.id for c in channels if c.kind == "private"]
    if private:
        occupied = set(
            (
                await tx.conn.execute(
                    select(Membership.conversation_id)
                    .where(Membership.conversation_id.in_(private))
                    .group_by(Membership.conversation_id)
                    .having(func.count() > 0)
                )
            ).scalars()
        )
        empty = [cid for cid in private if cid not in occupied]
        if empty:
            await tx.conn.execute(
                update(Conversation)
                .where(Conversation.id.in_(empty), Conversation.archived_at.is_(None))
                .values(archived_at=now)
            )
            rows = (
                await tx.conn.execute(select(Conversation).where(Conversation.id.in_(empty)))
            ).all()
            events += [event(EventType.CONVERSATION_UPDATED, conversation_view(r)) for r in rows]
    return events


async def purge_messages(ctx: Ctx, user_id: int, chunk: int | None = None) -> int:
    """Delete everything ``user_id`` posted, ``chunk`` (default ``PURGE_CHUNK``) messages
    per transaction, with a ``message.deleted`` (``purged: true``) per message so open tabs
    drop them. Idempotent: running it again finishes an interrupted purge. Returns how many
    messages went."""
    chunk = chunk or PURGE_CHUNK  # read at call time, so tests can shrink it
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        # Their marks on other people's messages. No per-row events: a reaction or pin of
        # a deleted account is gone at the next load, and the account is gone already.
        await tx.conn.execute(delete(Reaction).where(Reaction.user_id == user_id))
        await tx.conn.execute(delete(Pin).where(Pin.pinned_by == user_id))
        unattached = (
            await tx.conn.execute(
                select(StoredFile.id, StoredFile.sha256, StoredFile.thumbnail_sha256).where(
                    StoredFile.uploader_id == user_id, StoredFile.message_id.is_(None)
                )
            )
        ).all()
        if unattached:
            await tx.conn.execute(
                delete(StoredFile).where(StoredFile.id.in_([r.id for r in unattached]))
            )
    blobs = {r.sha256 for r in unattached} | {
        r.thumbnail_sha256 for r in unattached if r.thumbnail_sha256
    }
    await delete_if_unreferenced(ctx, blobs)
    purged = 0
    while True:
        async with ctx.db.write() as tx:
            rows = (
                await tx.conn.execute(
                    select(Message.id, Message.conversation_id, Message.preview_image_sha256)
                    .where(Message.author_id == user_id)
                    .order_by(Message.id)
                    .limit(chunk)
                )
            ).all()
            if not rows:
                await tx.conn.execute(
                    update(User).where(User.id == user_id).values(purge_requested_at=None)
                )
                break
            ids = [r.id for r in rows]
            blobs = await detach_files(tx, ids)
            blobs |= {r.preview_image_sha256 for r in rows if r.preview_image_sha256}
            # Mentions, reactions and pins of these messages go with them (ON DELETE CASCADE).
            # RETURNING: a purge running twice at once (the janitor resuming while the
            # request still purges) announces each message once, by whoever deleted it.
            gone = set(
                (
                    await tx.conn.execute(
                        delete(Message).where(Message.id.in_(ids)).returning(Message.id)
                    )
                ).scalars()
            )
            # Nothing of them stays in the replay log either (nor in replies' quotes).
            await rewrite_message_events(tx, gone)
            events = [
                message_deleted(r.id, r.conversation_id, purged=True) for r in rows if r.id in gone
            ]
            if events:
                await publish_many_on_commit(tx, ctx.publisher, events, now)
        purged += len(gone)
        await delete_if_unreferenced(ctx, blobs)
    return purged


async def pending_purges(ctx: Ctx) -> list[int]:
    """Deleted accounts whose hard purge has not finished (oldest request first)."""
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            select(User.id)
            .where(User.purge_requested_at.is_not(None))
            .order_by(User.purge_requested_at, User.id)
        )
        return [int(uid) for uid in rows.scalars()]
