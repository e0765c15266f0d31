"""Your account: change the password, sessions and tokens, deletion; the reset-link page.

Rate limits use the spec's ``password_reset`` action: per user for a change, per client
address for using a reset link (whoever holds a link is not signed in).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import FileResponse

from minimost.domain.actions import account_deletion, credentials, sessions
from minimost.domain.queries.sessions import list_sessions, list_tokens
from minimost.ratelimit import ip_key, user_key
from minimost.web.deps import COOKIE, ActorDep, StateDep, client_ip
from minimost.web.schemas.account import (
    ChangePasswordIn,
    ChangePasswordOut,
    DeleteAccountIn,
    DeleteAccountOut,
    ResetPasswordIn,
    ResetPasswordOut,
    SessionList,
    TokenList,
)
from minimost.web.schemas.common import ERRORS, IdPath

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
router = APIRouter(tags=["account"], responses=ERRORS)
API = "/api/v1"


@router.post(f"{API}/me/password")
async def change_password(
    body: ChangePasswordIn, actor: ActorDep, state: StateDep
) -> ChangePasswordOut:
    """Change your password (the current one is required; a wrong one counts toward the
    lockout, ``403 wrong_password``). Every other session ends; this one stays."""
    await state.limiter.hit("password_reset", user_key(actor.id))
    ended = await credentials.change_password(
        state.ctx, actor, body.current_password, body.new_password
    )
    state.actors.forget_user(actor.id)
    return ChangePasswordOut(ended_sessions=ended)


@router.post(f"{API}/auth/reset-password")
async def reset_password(
    body: ResetPasswordIn, request: Request, state: StateDep
) -> ResetPasswordOut:
    """Set a new password with a link from ``minimost reset-password``. The link works once
    and until it expires; unknown, used and expired links all answer ``400
    reset_link_invalid``. Every session of the account ends and a lockout is cleared."""
    ip = client_ip(request)
    await state.limiter.hit("password_reset", ip_key(ip))
    done = await credentials.reset_password(state.ctx, body.token, body.new_password, ip=ip)
    state.actors.forget_user(done["user_id"])
    return ResetPasswordOut(username=done["username"])


@router.delete(f"{API}/me")
async def delete_account(
    body: DeleteAccountIn, actor: ActorDep, state: StateDep, response: Response
) -> DeleteAccountOut:
    """Delete your account (password required; a wrong one is ``403 wrong_password`` and
    counts toward the lockout). ``soft`` keeps your messages as "Deleted User"; ``hard``
    deletes them. Either way your username is freed and every session and token ends."""
    result = await account_deletion.delete_own_account(state.ctx, actor, body.password, body.mode)
    state.actors.forget_user(actor.id)
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return DeleteAccountOut.model_validate(result)


@router.get(f"{API}/me/sessions")
async def my_sessions(actor: ActorDep, state: StateDep) -> SessionList:
    """Your signed-in browsers, newest first; ``current`` is the one asking."""
    return SessionList.model_validate({"sessions": await list_sessions(state.ctx.db, actor)})


@router.delete(f"{API}/me/sessions/{{session_id}}", status_code=status.HTTP_204_NO_CONTENT)
async def end_session(session_id: IdPath, actor: ActorDep, state: StateDep) -> Response:
    """Sign one of your sessions out (its open tabs go to the sign-in page at once)."""
    await sessions.revoke_session(state.ctx, actor, session_id)
    state.actors.forget_user(actor.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(f"{API}/me/tokens")
async def my_tokens(actor: ActorDep, state: StateDep) -> TokenList:
    """Your personal access tokens (names only; create with ``POST /api/v1/tokens``)."""
    return TokenList.model_validate({"tokens": await list_tokens(state.ctx.db, actor)})


@router.delete(f"{API}/me/tokens/{{token_id}}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_token(token_id: IdPath, actor: ActorDep, state: StateDep) -> Response:
    """Revoke one of your personal access tokens."""
    await sessions.revoke_token(state.ctx, actor, token_id)
    state.actors.forget_user(actor.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _private_page(name: str) -> FileResponse:
    # no-store: the reset page's URL is a secret; keep it out of every cache.
    return FileResponse(
        TEMPLATES / name, media_type="text/html", headers={"Cache-Control": "no-store"}
    )


@router.get("/reset-password/{token}", include_in_schema=False)
async def reset_password_page(token: str) -> FileResponse:
    """The form; its script reads the token from the address and posts it."""
    return _private_page("reset-password.html")


@router.get("/forgot-password", include_in_schema=False)
async def forgot_password_page() -> FileResponse:
    return _private_page("forgot-password.html")
