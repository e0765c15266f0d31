"""Your profile: display name, name colour, avatar. Every change is told to every signed-in
user (``user.updated``, no conversation, no user: everyone may know a display name)."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from typing import Any

from sqlalchemy import select, update

from minimost.db.engine import Tx
from minimost.db.models import User
from minimost.domain.actions.files import blob_store, delete_if_unreferenced, lock_blobs
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import Invalid, NotFound
from minimost.domain.events import EventType, event, publish_on_commit
from minimost.domain.views import user_view
from minimost.files.images import NotAnImage, make_avatar
from minimost.files.store import Staged
from minimost.wire.events import UserUpdated
from minimost.wire.models import UserOut

MAX_DISPLAY_NAME = 64
COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_UNSET: Any = object()

_PROFILE = select(User.id, User.username, User.display_name, User.color, User.avatar_sha256).where(
    User.deleted_at.is_(None)
)


def clean_display_name(value: str) -> str:
    name = " ".join(value.split())  # trimmed, inner runs of whitespace (and newlines) → one
    if any(unicodedata.category(ch)[0] == "C" for ch in name):
        raise Invalid("invalid display name", fields={"display_name": "no control characters"})
    if len(name) > MAX_DISPLAY_NAME:
        raise Invalid(
            "display name too long",
            fields={"display_name": f"at most {MAX_DISPLAY_NAME} characters"},
        )
    return name


def clean_color(value: str | None) -> str | None:
    if value is None:
        return None
    if not COLOR.fullmatch(value):
        raise Invalid("invalid colour", fields={"color": 'a colour like "#1a2b3c"'})
    return value.lower()


async def _publish(ctx: Ctx, tx: Tx, user_id: int) -> UserOut:
    row = (await tx.conn.execute(_PROFILE.where(User.id == user_id))).one_or_none()
    if row is None:
        raise NotFound("user not found")
    view = user_view(row.id, row.username, row.display_name, row.color, row.avatar_sha256)
    await publish_on_commit(
        tx,
        ctx.publisher,
        event(EventType.USER_UPDATED, UserUpdated.model_construct(user=view)),
        ctx.clock.now(),
    )
    return view


async def update_profile(
    ctx: Ctx, actor: Actor, *, display_name: Any = _UNSET, color: Any = _UNSET
) -> UserOut:
    """Change the display name (0–64 characters, trimmed; empty shows the username) and/or
    the name colour (``#rrggbb``, or None for the default)."""
    values: dict[str, Any] = {}
    if display_name is not _UNSET:
        values["display_name"] = clean_display_name(str(display_name))
    if color is not _UNSET:
        values["color"] = clean_color(color)
    async with ctx.db.write() as tx:
        if values:
            await tx.conn.execute(update(User).where(User.id == actor.id).values(**values))
        return await _publish(ctx, tx, actor.id)


async def set_avatar(ctx: Ctx, actor: Actor, staged: Staged) -> UserOut:
    """Make ``staged`` (an uploaded image) the avatar: centre-cropped square, re-encoded."""
    store = blob_store(ctx)
    avatar: Staged | None = None
    try:
        await asyncio.to_thread(staged.finish)
        try:
            data = await asyncio.to_thread(make_avatar, staged.path)
        except NotAnImage:
            raise Invalid(
                "that is not an image we can use (PNG, JPEG, GIF or WebP)",
                fields={"file": "not a supported image"},
            ) from None
        avatar = await asyncio.to_thread(store.stage_bytes, data)
        async with ctx.db.write() as tx:
            await lock_blobs(tx)
            old = await tx.conn.scalar(select(User.avatar_sha256).where(User.id == actor.id))
            sha = store.commit(avatar)
            await tx.conn.execute(update(User).where(User.id == actor.id).values(avatar_sha256=sha))
            view = await _publish(ctx, tx, actor.id)
    finally:
        staged.discard()
        if avatar is not None:
            avatar.discard()
    if old and old != sha:
        await delete_if_unreferenced(ctx, [old])
    return view


async def clear_avatar(ctx: Ctx, actor: Actor) -> UserOut:
    """Back to initials. Idempotent (no avatar: nothing changes, and no event)."""
    async with ctx.db.write() as tx:
        old = await tx.conn.scalar(select(User.avatar_sha256).where(User.id == actor.id))
        if old is None:
            row = (await tx.conn.execute(_PROFILE.where(User.id == actor.id))).one()
            return user_view(row.id, row.username, row.display_name, row.color, None)
        await tx.conn.execute(update(User).where(User.id == actor.id).values(avatar_sha256=None))
        view = await _publish(ctx, tx, actor.id)
    await delete_if_unreferenced(ctx, [old])
    return view
