"""The realtime socket: ``GET /api/v1/ws?since=<event id>``.

Order of operations (Zulip's): register with the hub *before* reading the replay, so an
event committed while we replay is either in the replay or queued live, never neither; the
writer then skips queued frames the replay already sent (``Connection.floor``).

Close codes the client acts on: 1001 going away (server restarting: resume soon),
4401 not authenticated, 4403 bad origin, 4429 too many streams, 4408 too slow (resume).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from minimost.domain.access import readable_conversation_ids
from minimost.domain.errors import Unauthenticated
from minimost.domain.queries.events import replay
from minimost.domain.queries.users import presence_override
from minimost.realtime.hub import Connection
from minimost.web.deps import COOKIE, client_ip, resolve_actor
from minimost.web.state import AppState

log = logging.getLogger(__name__)
router = APIRouter()

PONG = '{"type":"pong"}'
MAX_QUEUE = 1000
# Each socket leaves a few long-lived objects behind. Freezing them periodically keeps
# full GC passes (which otherwise paused the loop for 0.5 s+ during connect storms of
# 10,000 sockets, measured in bench/) from rescanning them again and again.
FREEZE_EVERY = 256


def _origin_ok(websocket: WebSocket) -> bool:
    """Browsers always send Origin on WebSockets; it must be this host (blocks cross-site
    socket hijacking with the cookie). Scripts without an Origin authenticate explicitly."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


def _since(websocket: WebSocket) -> int | None:
    raw = websocket.query_params.get("since")
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        return -1
    return value if 0 <= value < 2**63 else -1


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
        await websocket.close(code, reason)


@router.websocket("/api/v1/ws")
async def events_socket(websocket: WebSocket) -> None:
    state: AppState = websocket.app.state.minimost
    await websocket.accept()
    if not _origin_ok(websocket):
        await _close(websocket, 4403, "origin not allowed")
        return
    since = _since(websocket)
    if since == -1:
        await _close(websocket, 4400, "since must be a non-negative integer")
        return
    try:
        actor, _ = await resolve_actor(
            state,
            authorization=websocket.headers.get("authorization"),
            session_token=websocket.cookies.get(COOKIE),
            ip=client_ip(websocket),
        )
    except Unauthenticated:
        await _close(websocket, 4401, "not authenticated")
        return
    hub = state.hub
    # rate_limit_enabled is the spec's master switch for the stream cap too.
    cap = state.settings.max_event_streams_per_user
    if state.settings.rate_limit_enabled and hub.streams_of(actor.id) >= cap:
        await _close(websocket, 4429, "too many open streams")
        return

    writer: asyncio.Task[None] | None = None
    closing: set[asyncio.Task[None]] = set()

    def closer(code: int, reason: str) -> None:
        # Called by the hub (slow client, shutdown); never closes inline (see hub.dispatch).
        if writer is not None:
            writer.cancel()
        task = asyncio.get_running_loop().create_task(_close(websocket, code, reason))
        closing.add(task)
        task.add_done_callback(closing.discard)

    conn = Connection(actor.id, closer, MAX_QUEUE, session_id=actor.session_id)
    hub.attach(conn)
    presence = state.presence
    presence_token = presence.connecting(conn)
    try:
        async with state.ctx.db.read() as db_conn:
            hub.subscribe(conn, await readable_conversation_ids(db_conn, actor.id))
            override = await presence_override(db_conn, actor.id)
        presence.connected(conn, override, presence_token)
        # No ``since``: live from now. The hub's position is the replay start, so anything
        # committed between attach and now is still delivered.
        result = await replay(state.ctx.db, actor.id, hub.last_id if since is None else since)
        hello = {
            "type": "hello",
            "data": {
                "last_event_id": result.last_event_id,
                "user_id": actor.id,
                # As of the last presence flush; the next flush reaches this socket too.
                "presence": orjson.Fragment(presence.visible_json()),
            },
        }
        await websocket.send_text(orjson.dumps(hello).decode())
        if result.resync:
            await websocket.send_text('{"type":"resync"}')
        for event in result.frames:
            await websocket.send_text(event.frame)
        conn.floor = result.last_event_id
        writer = asyncio.create_task(_write(websocket, conn))
        hub.accepted += 1
        if hub.accepted % FREEZE_EVERY == 0:
            gc.freeze()
        await _read(websocket, conn, state)
    except WebSocketDisconnect:
        pass
    finally:
        conn.closed = True
        presence.disconnected(conn)
        hub.detach(conn)
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer


async def _write(websocket: WebSocket, conn: Connection) -> None:
    queue = conn.queue
    try:
        while True:
            event_id, frame = await queue.get()
            if event_id and event_id <= conn.floor:
                continue
            await websocket.send_text(frame)
    except (WebSocketDisconnect, RuntimeError, OSError):
        conn.closed = True


async def _read(websocket: WebSocket, conn: Connection, state: AppState) -> None:
    while websocket.client_state is WebSocketState.CONNECTED:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            conn.offer(0, _error("bad_frame", "send JSON text frames"))
            continue
        try:
            frame = orjson.loads(text)
            kind = frame.get("type") if isinstance(frame, dict) else None
        except orjson.JSONDecodeError:
            kind = None
        if kind == "ping":
            conn.offer(0, PONG)
        elif kind == "typing" and _is_id(frame.get("conversation")):
            # Silently dropped unless this socket is subscribed to the conversation.
            await state.typing.typed(conn, frame["conversation"])
        elif kind == "presence" and frame.get("status") in ("active", "idle"):
            state.presence.set_idle(conn, frame["status"] == "idle")
        else:
            conn.offer(0, _error("bad_frame", "unknown or malformed frame"))


def _is_id(value: object) -> bool:
    return type(value) is int and 0 < value < 2**63


def _error(code: str, message: str) -> str:
    return orjson.dumps({"type": "error", "data": {"code": code, "message": message}}).decode()
