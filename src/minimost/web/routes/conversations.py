"""Conversations, their history, and posting into them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from minimost.domain.actions import conversations as conversation_actions, messages as actions
from minimost.domain.queries import conversations, messages
from minimost.web.deps import ActorDep, CtxDep, StateDep
from minimost.web.responses import json_response
from minimost.web.schemas.common import ERRORS, MAX_ID, IdPath
from minimost.web.schemas.messages import (
    ConversationEnvelope,
    ConversationList,
    MessageEnvelope,
    MessagePage,
    SendIn,
)

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"], responses=ERRORS)

Cursor = Annotated[int | None, Query(ge=0, le=MAX_ID)]


@router.get("")
async def list_conversations(actor: ActorDep, ctx: CtxDep) -> ConversationList:
    """Conversations you are a member of."""
    return ConversationList.model_validate(
        {"conversations": await conversations.list_for(ctx.db, actor)}
    )


@router.get("/{conversation_id}")
async def get_conversation(
    conversation_id: IdPath, actor: ActorDep, ctx: CtxDep
) -> ConversationEnvelope:
    return ConversationEnvelope.model_validate(
        {"conversation": await conversations.get(ctx.db, actor, conversation_id)}
    )


@router.get("/{conversation_id}/messages")
async def history(
    conversation_id: IdPath,
    actor: ActorDep,
    ctx: CtxDep,
    before: Cursor = None,
    after: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MessagePage:
    """A page of messages, oldest first. No cursor: the newest page; ``before``: older;
    ``after``: newer. ``has_more`` says whether the page could go further."""
    page, has_more = await messages.history(
        ctx.db, actor, conversation_id, before=before, after=after, limit=limit
    )
    return MessagePage.model_validate({"messages": page, "has_more": has_more})


@router.post(
    "/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageEnvelope,
    responses={200: {"model": MessageEnvelope, "description": "Retry of a known client_id"}},
)
async def send(conversation_id: IdPath, body: SendIn, actor: ActorDep, state: StateDep) -> Response:
    """Post a message. Retrying with the same ``client_id`` returns the original (200)."""
    await state.limiter.hit("send", f"user:{actor.id}")
    message, created = await actions.send_message(
        state.ctx, actor, conversation_id, body.text, body.client_id
    )
    return json_response({"message": message}, 201 if created else 200)


@router.put("/{conversation_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def add_member(
    conversation_id: IdPath, user_id: IdPath, actor: ActorDep, ctx: CtxDep
) -> Response:
    """Join a public channel (``user_id`` = your own id)."""
    await conversation_actions.join(ctx, actor, conversation_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{conversation_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    conversation_id: IdPath, user_id: IdPath, actor: ActorDep, ctx: CtxDep
) -> Response:
    """Leave a conversation (``user_id`` = your own id)."""
    await conversation_actions.leave(ctx, actor, conversation_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
