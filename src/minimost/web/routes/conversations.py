"""Conversations, their history, and posting into them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from minimost.domain.actions import (
    conversations as conversation_actions,
    dms,
    members,
    messages as actions,
    reads,
)
from minimost.domain.errors import Invalid
from minimost.domain.queries import conversations, messages
from minimost.web.deps import ActorDep, CtxDep, StateDep
from minimost.web.responses import json_response
from minimost.web.schemas.common import ERRORS, MAX_ID, IdPath
from minimost.web.schemas.conversations import (
    CreateConversationIn,
    MemberList,
    ReadIn,
    ReadOut,
    UpdateConversationIn,
)
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
        state.ctx,
        actor,
        conversation_id,
        body.text,
        body.client_id,
        reply_to_id=body.reply_to_id,
        file_ids=body.file_ids,
    )
    return json_response({"message": message}, 201 if created else 200)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ConversationEnvelope,
    responses={200: {"model": ConversationEnvelope, "description": "The existing DM"}},
)
async def create_conversation(
    body: CreateConversationIn, actor: ActorDep, state: StateDep
) -> Response:
    """Create a private channel, or open the DM of you and ``members``."""
    ctx = state.ctx
    if body.kind == "dm":
        conversation_id, created = await dms.open_dm(ctx, actor, body.members)
    else:
        if body.name is None:
            raise Invalid("a private channel needs a name", fields={"name": "required"})
        await state.limiter.hit("create_channel", f"user:{actor.id}")
        conversation_id = await conversation_actions.create_private(
            ctx, actor, name=body.name, topic=body.topic, member_ids=body.members
        )
        created = True
    view = await conversations.get(ctx.db, actor, conversation_id)
    return json_response({"conversation": view}, 201 if created else 200)


@router.patch("/{conversation_id}")
async def update_conversation(
    conversation_id: IdPath, body: UpdateConversationIn, actor: ActorDep, ctx: CtxDep
) -> ConversationEnvelope:
    """Rename or set the topic (creator/admin); hide a DM or mute, for yourself. All the
    fields given change together, or none does."""
    await conversation_actions.update_conversation(
        ctx,
        actor,
        conversation_id,
        name=body.name,
        topic=body.topic,
        hidden=body.hidden,
        muted=body.muted,
    )
    return ConversationEnvelope.model_validate(
        {"conversation": await conversations.get(ctx.db, actor, conversation_id)}
    )


@router.post("/{conversation_id}/read")
async def mark_read(conversation_id: IdPath, body: ReadIn, actor: ActorDep, ctx: CtxDep) -> ReadOut:
    """Move your read position forward to ``message_id`` (never back)."""
    return ReadOut.model_validate(
        await reads.mark_read(ctx, actor, conversation_id, body.message_id)
    )


@router.get("/{conversation_id}/members")
async def list_members(conversation_id: IdPath, actor: ActorDep, state: StateDep) -> MemberList:
    """Members with their role, read position (read receipts) and presence."""
    found = await conversations.members(state.ctx.db, actor, conversation_id)
    status = state.presence.status
    return MemberList.model_validate(
        {"members": [{**member, "presence": status(member["id"])} for member in found]}
    )


@router.put("/{conversation_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def add_member(
    conversation_id: IdPath, user_id: IdPath, actor: ActorDep, ctx: CtxDep
) -> Response:
    """Join a public channel (your own id) or add someone to a private channel."""
    await members.add_member(ctx, actor, conversation_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{conversation_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    conversation_id: IdPath, user_id: IdPath, actor: ActorDep, ctx: CtxDep
) -> Response:
    """Leave (your own id), or remove someone from a private channel (creator/admin)."""
    await members.remove_member(ctx, actor, conversation_id, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
