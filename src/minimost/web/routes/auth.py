"""Sign-up, log-in, log-out, the current user, personal access tokens."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from minimost.domain.actions import accounts
from minimost.domain.actions.accounts import normalize_username
from minimost.domain.queries.events import last_event_id
from minimost.domain.queries.users import presence_override_of
from minimost.domain.views import avatar_url
from minimost.ratelimit import ip_key
from minimost.web import device_cookie
from minimost.web.deps import COOKIE, ActorDep, CtxDep, StateDep, client_ip
from minimost.web.schemas.auth import AuthOut, LoginIn, MeOut, SignupIn, TokenIn, TokenOut
from minimost.web.schemas.common import ERRORS
from minimost.web.state import AppState

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=ERRORS)


def _remember_device(response: Response, state: AppState, username: str) -> None:
    """A successful sign-in makes this browser a known device for ``username``."""
    lifetime = timedelta(days=state.settings.session_days)
    value = device_cookie.issue(state.secret, username, state.ctx.clock.now())
    device_cookie.set_cookie(response, value, lifetime)


def _known_device(request: Request, state: AppState, username: str) -> str | None:
    return device_cookie.device_id(
        state.secret,
        request.cookies.get(device_cookie.NAME),
        normalize_username(username),
        state.ctx.clock.now(),
        timedelta(days=state.settings.session_days),
    )


def _set_cookie(response: Response, token: str, max_age_days: int) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age_days * 86400,
        httponly=True,
        secure=True,
        samesite="lax",
        path="/",
    )


@router.post("/auth/signup", status_code=status.HTTP_201_CREATED)
async def signup(body: SignupIn, request: Request, response: Response, state: StateDep) -> AuthOut:
    """Create an account and sign in. The first account on a server becomes an admin."""
    ip = client_ip(request)
    await state.limiter.hit("signup", ip_key(ip))
    user, token = await accounts.signup(
        state.ctx,
        username=body.username,
        password=body.password,
        display_name=body.display_name,
        ip=ip,
        user_agent=request.headers.get("user-agent", ""),
    )
    _set_cookie(response, token, state.settings.session_days)
    _remember_device(response, state, user["username"])
    return AuthOut.model_validate({"user": user, "csrf_token": state.csrf_for(token)})


@router.post("/auth/login")
async def login(body: LoginIn, request: Request, response: Response, state: StateDep) -> AuthOut:
    """Sign in. After ``max_login_attempts`` wrong passwords for a name (whether or not an
    account has it), ``403 account_locked`` with ``Retry-After`` for browsers that never
    signed in as it; a browser that did (its device cookie) keeps its own budget."""
    ip = client_ip(request)
    device = _known_device(request, state, body.username)
    # Per address AND per attempted name: rotating addresses does not buy more guesses. A
    # known device counts on its own instead of the name's, or strangers flooding the name
    # would rate-limit its owner out (the weapon the device cookie takes away).
    await state.limiter.hit("login", ip_key(ip))
    name = normalize_username(body.username)
    await state.limiter.hit("login", f"device:{device}" if device else "user:" + name)
    user, token = await accounts.login(
        state.ctx,
        username=body.username,
        password=body.password,
        ip=ip,
        user_agent=request.headers.get("user-agent", ""),
        device=device,
    )
    _set_cookie(response, token, state.settings.session_days)
    _remember_device(response, state, user["username"])
    return AuthOut.model_validate({"user": user, "csrf_token": state.csrf_for(token)})


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, actor: ActorDep, state: StateDep) -> Response:
    session_token = getattr(request.state, "session_token", None)
    await accounts.logout(state.ctx, actor, session_token)
    if session_token:
        state.actors.forget(session_token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.get("/me")
async def me(request: Request, actor: ActorDep, state: StateDep) -> MeOut:
    """The signed-in user, a CSRF token for this session and the newest event id (open the
    socket with ``since=last_event_id`` after loading state, and nothing is missed)."""
    session_token = getattr(request.state, "session_token", None)
    return MeOut.model_validate(
        {
            "user": {
                "id": actor.id,
                "username": actor.username,
                "display_name": actor.display_name,
                "is_admin": actor.is_admin,
                "color": actor.color,
                "avatar_url": avatar_url(actor.id, actor.avatar_sha256),
            },
            "limits": {
                "max_upload_bytes": state.settings.max_upload_size_mb * 1024 * 1024,
                "max_avatar_bytes": state.settings.max_avatar_size_mb * 1024 * 1024,
            },
            "csrf_token": state.csrf_for(session_token) if session_token else "",
            "last_event_id": await last_event_id(state.ctx.db),
            "presence_override": await presence_override_of(state.ctx.db, actor.id),
        }
    )


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
async def create_token(body: TokenIn, actor: ActorDep, ctx: CtxDep) -> TokenOut:
    """A personal access token for scripts: ``Authorization: Bearer <token>``, no CSRF."""
    return TokenOut.model_validate(await accounts.create_api_token(ctx, actor, body.name))
