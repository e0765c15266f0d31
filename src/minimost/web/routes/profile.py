"""Your profile (display name, colour, avatar) and everyone's avatar images."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from minimost.domain.actions import files, profile
from minimost.domain.queries.files import avatar_of
from minimost.ratelimit import user_key
from minimost.web.deps import ActorDep, StateDep
from minimost.web.routes.files import MIB, serve_versioned_image
from minimost.web.schemas.common import ERRORS, IdPath, Text, UserOut
from minimost.web.schemas.files import ProfileIn, ProfileOut, multipart_body
from minimost.web.state import AppState
from minimost.web.uploads import read_upload

router = APIRouter(prefix="/api/v1", tags=["profile"], responses=ERRORS)

# The URL carries the content hash (``?v=``): a new avatar is a new URL, so cache for good.


def _changed(state: AppState, user: UserOut) -> ProfileOut:
    # Cached actors carry name, colour and avatar into new messages: drop this process's
    # copies now (other processes refresh within the cache's few seconds).
    state.actors.clear()
    return ProfileOut(user=user)


@router.patch("/me")
async def update_me(body: ProfileIn, actor: ActorDep, state: StateDep) -> ProfileOut:
    """Change your ``display_name`` (0–64 characters after trimming; empty shows your
    username) and/or ``color`` (``#rrggbb``; null for the default). Everyone is told
    (``user.updated``)."""
    changes: dict[str, Any] = {}
    if "display_name" in body.model_fields_set:
        changes["display_name"] = body.display_name or ""
    if "color" in body.model_fields_set:
        changes["color"] = body.color
    user = await profile.update_profile(state.ctx, actor, **changes)
    return _changed(state, user)


@router.put(
    "/me/avatar",
    openapi_extra=multipart_body("An image in the `file` part, up to `max_avatar_size_mb`."),
)
async def put_avatar(request: Request, actor: ActorDep, state: StateDep) -> ProfileOut:
    """Upload a new avatar (PNG, JPEG, GIF or WebP): centre-cropped to a square, 256 px,
    re-encoded without metadata. Rate limit ``avatar``."""
    await state.limiter.hit("avatar", user_key(actor.id))
    store = files.blob_store(state.ctx)
    received = await read_upload(request, store, state.settings.max_avatar_size_mb * MIB)
    user = await profile.set_avatar(state.ctx, actor, received.staged)
    return _changed(state, user)


@router.delete("/me/avatar")
async def delete_avatar(actor: ActorDep, state: StateDep) -> ProfileOut:
    """Back to initials (idempotent)."""
    user = await profile.clear_avatar(state.ctx, actor)
    return _changed(state, user)


@router.get("/users/{user_id}/avatar", response_class=Response, responses={200: {"content": {}}})
async def get_avatar(
    user_id: IdPath,
    request: Request,
    actor: ActorDep,
    state: StateDep,
    v: Annotated[Text | None, Query(min_length=1, max_length=64)] = None,
) -> Response:
    """Any signed-in user may see anyone's avatar; 404 when they have none, or when ``v``
    names an older one (what is cached under a versioned URL must never change)."""
    sha = await avatar_of(state.ctx.db, user_id)
    return serve_versioned_image(request, state, sha, v, what="avatar")
