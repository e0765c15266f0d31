"""Helpers for the account tests (password, reset, sessions, deletion)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from minimost.db.models import AuditRecord
from tests.factories import PASSWORD, TestUser
from tests.web.helpers import API, anonymous

NEW_PASSWORD = "Brand-new-pass-7"


async def sign_in(app: FastAPI, username: str, password: str = PASSWORD, **kw: Any) -> TestUser:
    """Another session of an existing account (its own cookie jar), or fail."""
    client = anonymous(app, **kw)
    response = await client.post(
        f"{API}/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return TestUser(client, body["user"]["id"], body["user"]["username"], body["csrf_token"])


async def login_status(app: FastAPI, username: str, password: str) -> tuple[int, str | None]:
    async with anonymous(app) as client:
        response = await client.post(
            f"{API}/auth/login", json={"username": username, "password": password}
        )
    code = response.json().get("error", {}).get("code") if response.status_code != 200 else None
    return response.status_code, code


async def signed_in(user: TestUser) -> bool:
    response = await user.get(f"{API}/me")
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def audit_rows(app: FastAPI, action: str) -> list[Any]:
    async with app.state.minimost.ctx.db.read() as conn:
        return list(
            (
                await conn.execute(
                    select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
                )
            ).all()
        )


async def all_audit_text(app: FastAPI) -> str:
    async with app.state.minimost.ctx.db.read() as conn:
        rows = (await conn.execute(select(AuditRecord))).all()
    return "\n".join(f"{r.actor_name} {r.target} {r.detail}" for r in rows)


def error_code(response: httpx.Response) -> str | None:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None
