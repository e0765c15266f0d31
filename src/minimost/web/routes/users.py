"""The user directory (mention autocomplete, DM picker) and your presence override."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from minimost.domain.actions.presence import set_presence_override
from minimost.domain.queries import users
from minimost.web.deps import ActorDep, StateDep
from minimost.web.schemas.common import ERRORS, Text
from minimost.web.schemas.users import PresenceIn, PresenceOut, UserList

router = APIRouter(prefix="/api/v1", tags=["users"], responses=ERRORS)


@router.get("/users")
async def list_users(
    actor: ActorDep,
    state: StateDep,
    q: Annotated[Text, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> UserList:
    """Users whose username or display name starts with ``q`` (case-insensitive), by
    username, with their current presence. Deleted and system accounts are not listed."""
    found = await users.directory(state.ctx.db, q, limit)
    status = state.presence.status
    return UserList.model_validate(
        {"users": [{**dict(user), "presence": status(user.id)} for user in found]}
    )


@router.put("/me/presence")
async def set_presence(body: PresenceIn, actor: ActorDep, state: StateDep) -> PresenceOut:
    """Your manual presence: ``away`` (appear away), ``dnd`` (do not disturb) or ``auto``.
    It applies while you are connected; the answer is the status others now see
    (``offline`` while you have no socket open)."""
    override = await set_presence_override(
        state.ctx, actor, body.status, state.presence.publish_override
    )
    return PresenceOut.model_validate({"presence": state.presence.status_with(actor.id, override)})
