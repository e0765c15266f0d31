"""A link preview's image: our own WebP thumbnail of the page's ``og:image``, fetched and
re-encoded by the server (docs/link-previews.md), served like attachment thumbnails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from minimost.domain.queries.previews import readable_preview_image
from minimost.web.deps import ActorDep, StateDep
from minimost.web.routes.files import serve_versioned_image
from minimost.web.schemas.common import ERRORS, IdPath, Text

router = APIRouter(prefix="/api/v1", tags=["messages"], responses=ERRORS)


@router.get(
    "/messages/{message_id}/preview-image",
    response_class=Response,
    responses={200: {"content": {"image/webp": {}}}},
)
async def preview_image(
    message_id: IdPath,
    request: Request,
    actor: ActorDep,
    state: StateDep,
    v: Annotated[Text | None, Query(min_length=1, max_length=64)] = None,
) -> Response:
    """The image of the message's link preview (WebP), for readers of its conversation.
    404 when it has none, or when ``v`` names an image it no longer has."""
    sha = await readable_preview_image(state.ctx.db, actor, message_id)
    return serve_versioned_image(request, state, sha, v, what="preview image")
