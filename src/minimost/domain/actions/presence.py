"""The manual presence override: "appear away", "do not disturb", or back to automatic.

Presence itself is ephemeral (realtime/presence.py); only the override is stored, so it
survives reconnects and applies on every node. The change is announced through ``notify``
(the presence tracker) after the commit, never before and never after a rollback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import update

from minimost.db.models import User
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import Invalid

# (user id, new override or None) -> tells every node; called once the change committed.
OverrideNotifier = Callable[[int, str | None], Awaitable[None]]

STATUSES: dict[str, str | None] = {"auto": None, "away": "away", "dnd": "dnd"}


async def set_presence_override(
    ctx: Ctx, actor: Actor, status: str, notify: OverrideNotifier
) -> str | None:
    """Store ``status`` (``auto`` clears the override); returns the stored override."""
    if status not in STATUSES:
        raise Invalid("invalid status", fields={"status": "one of auto, away, dnd"})
    override = STATUSES[status]

    async def announce() -> None:
        await notify(actor.id, override)

    async with ctx.db.write() as tx:
        await tx.conn.execute(
            update(User).where(User.id == actor.id).values(presence_override=override)
        )
        tx.after_commit(announce)
    return override
