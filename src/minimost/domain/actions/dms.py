"""Direct messages: one conversation per set of people, and notices from the server.

A DM is keyed by its sorted member ids (``conversations.dm_key``, unique), so opening a DM
with the same people, in any order, from any node, lands in the same conversation; a race
between two creators ends in the unique index and the loser reads the winner's row.

The other people see a new DM once something is said in it: their membership starts
hidden and the first message unhides it (``messages.write_sends``).
"""

from __future__ import annotations

from sqlalchemy import exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from minimost.db.models import Conversation, Membership, User
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import Invalid
from minimost.domain.events import EventType, event, publish_on_commit
from minimost.domain.views import conversation_view, with_members
from minimost.wire.models import MessageOut

from .members import insert_members, real_users
from .messages import send_message

MAX_DM_OTHERS = 8
SYSTEM_USERNAME = "minimost"


def dm_key(user_ids: set[int]) -> str:
    return ",".join(str(uid) for uid in sorted(user_ids))


async def open_dm(ctx: Ctx, actor: Actor, member_ids: list[int]) -> tuple[int, bool]:
    """The DM of ``actor`` and ``member_ids``: ``(id, created)``. Reopening unhides it."""
    people = {*member_ids, actor.id}
    if len(people) - 1 > MAX_DM_OTHERS:
        raise Invalid(
            "too many people for a DM",
            fields={"members": f"at most {MAX_DM_OTHERS} others: make a private channel"},
        )
    return await _open(ctx, actor, people, system=False)


async def _open(ctx: Ctx, actor: Actor, people: set[int], *, system: bool) -> tuple[int, bool]:
    try:
        return await _get_or_create(ctx, actor, people, system=system)
    except IntegrityError:
        # Someone opened the same DM at the same moment: theirs is ours.
        return await _get_or_create(ctx, actor, people, system=system)


async def _get_or_create(
    ctx: Ctx, actor: Actor, people: set[int], *, system: bool
) -> tuple[int, bool]:
    key = dm_key(people)
    now = ctx.clock.now()
    async with ctx.db.write() as tx:
        existing = await tx.conn.scalar(select(Conversation.id).where(Conversation.dm_key == key))
        if existing is not None:
            await tx.conn.execute(
                update(Membership)
                .where(Membership.conversation_id == existing, Membership.user_id == actor.id)
                .values(hidden=False)
            )
            return int(existing), False
        users = await real_users(tx, people, allow_system=system)
        conversation_id = (
            await tx.conn.execute(
                insert(Conversation)
                .values(
                    kind="dm", name=None, topic="", created_by=actor.id, created_at=now, dm_key=key
                )
                .returning(Conversation.id)
            )
        ).scalar_one()
        conversation = (
            await tx.conn.execute(select(Conversation).where(Conversation.id == conversation_id))
        ).one()
        await insert_members(ctx, tx, conversation, users, now, hidden_for=people - {actor.id})
        await publish_on_commit(
            tx,
            ctx.publisher,
            event(
                EventType.CONVERSATION_CREATED,
                # A DM is named after its people: send them along.
                with_members(
                    conversation_view(conversation), sorted(users, key=lambda u: u.username)
                ),
            ),
            now,
        )
    return int(conversation_id), True


async def system_actor(ctx: Ctx) -> Actor:
    """The ``minimost`` account that signs server notices; created on first use. It has no
    usable password (the hash is not a hash) and is hidden from user lists."""
    async with ctx.db.write() as tx:
        row = (
            await tx.conn.execute(
                select(User.id, User.username, User.display_name).where(User.is_system)
            )
        ).first()
        if row is None:
            taken = await tx.conn.scalar(select(exists().where(User.username == SYSTEM_USERNAME)))
            username = SYSTEM_USERNAME if not taken else f"{SYSTEM_USERNAME}-system"
            user_id = (
                await tx.conn.execute(
                    insert(User)
                    .values(
                        username=username,
                        display_name="MiniMost",
                        password_hash="!",  # noqa: S106  # nosec B106  # never verifies: nobody logs in as it
                        is_admin=False,
                        is_system=True,
                        created_at=ctx.clock.now(),
                    )
                    .returning(User.id)
                )
            ).scalar_one()
            return Actor(int(user_id), username, "MiniMost", is_admin=False)
    return Actor(int(row.id), row.username, row.display_name, is_admin=False)


async def post_system_notice(ctx: Ctx, user_id: int, text: str) -> MessageOut:
    """Post ``text`` from the system account into its DM with ``user_id``."""
    system = await system_actor(ctx)
    conversation_id, _ = await _open(ctx, system, {system.id, user_id}, system=True)
    message, _ = await send_message(ctx, system, conversation_id, text, None)
    return message
