"""Annotated dependencies: app state, the authenticated actor, CSRF."""

from __future__ import annotations

import hmac
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie
from starlette.requests import HTTPConnection

from minimost.domain.actions.sessions import needs_touch, touch_session
from minimost.domain.context import Actor, Ctx
from minimost.domain.errors import Forbidden, Unauthenticated
from minimost.domain.queries.auth import actor_for_api_token, session_actor

from .state import AppState

COOKIE = "minimost_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in a
# thread pool, a thread hop per request that showed up as 13% of a send's CPU.
async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.minimost
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_ctx(state: StateDep) -> Ctx:
    return state.ctx


CtxDep = Annotated[Ctx, Depends(get_ctx)]


def client_ip(request: HTTPConnection) -> str:
    # uvicorn's proxy-headers middleware has already applied X-Forwarded-For from trusted
    # proxies only (``forwarded_allow_ips``), so this is never a spoofed header.
    return request.client.host if request.client else ""


def bearer_token(authorization: str | None) -> str | None:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return None


async def resolve_actor(
    state: AppState,
    *,
    authorization: str | None,
    session_token: str | None,
    ip: str,
) -> tuple[Actor, str | None]:
    """The actor for a bearer token or a session cookie, and the session token if cookie."""
    token = bearer_token(authorization)
    if token is None and not session_token:
        raise Unauthenticated("sign in first")
    secret = token or session_token or ""
    now = state.ctx.clock.monotonic()
    cached = state.actors.get(secret, now)
    if cached is None:
        if token is not None:
            cached = await actor_for_api_token(state.ctx.db, token)
        else:
            cached = await _session_actor(state, secret)
        if cached is None:
            raise Unauthenticated(
                "invalid or revoked token" if token else "your session has ended; sign in again"
            )
        state.actors.put(secret, cached, now)
    return replace(cached, ip=ip), None if token is not None else session_token


async def _session_actor(state: AppState, token: str) -> Actor | None:
    """The session's actor; refreshes ``last_seen_at`` when it is a few minutes old. This
    runs on auth-cache misses only, and writes once per session per ``SEEN_EVERY``."""
    now = state.ctx.clock.now()
    found = await session_actor(state.ctx.db, token, now)
    if found is None:
        return None
    actor, last_seen_at = found
    if actor.session_id is not None and needs_touch(last_seen_at, now):
        await touch_session(state.ctx, actor.session_id)
    return actor


# Declares the session cookie in OpenAPI for every route that needs a signed-in actor
# (web/apidocs.py adds the CSRF header and bearer tokens); the cookie is read below.
SESSION_SCHEME = APIKeyCookie(
    name=COOKIE,
    scheme_name="session",
    auto_error=False,
    description="The session cookie set by POST /api/v1/auth/login or /auth/signup.",
)


async def current_actor(
    request: Request,
    state: StateDep,
    _documented: Annotated[str | None, Security(SESSION_SCHEME)] = None,
) -> Actor:
    actor, session_token = await resolve_actor(
        state,
        authorization=request.headers.get("authorization"),
        session_token=request.cookies.get(COOKIE),
        ip=client_ip(request),
    )
    if session_token is not None:
        request.state.session_token = session_token
        # Cookies ride along on cross-site requests; the header proves same-origin JS.
        if request.method not in SAFE_METHODS:
            sent = request.headers.get("x-csrf-token", "")
            if not hmac.compare_digest(sent, state.csrf_for(session_token)):
                raise Forbidden("missing or wrong X-CSRF-Token header", code="csrf_failed")
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]
