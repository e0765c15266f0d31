"""Characters that chat has no use for (NUL and the other C0 controls but tab, newline and
carriage return; DEL; C1 controls; lone surrogates) are refused at the door with
``422 invalid_characters`` on every string input, on SQLite and PostgreSQL alike, and nothing
is stored. Before: a NUL gave a 500 on PostgreSQL (it cannot store one) on a dozen routes,
login included, and a lone surrogate a 500 on both databases (it cannot even be encoded).
"""

from __future__ import annotations

import json
import typing
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import select

from minimost.db.models.base import Base
from minimost.web.schemas.common import storable
from tests.factories import PASSWORD, TestUser, UserFactory
from tests.web.helpers import API, anonymous, assert_error
from tests.web.test_errors import api_operations

# Each bad character inside otherwise valid text. A lone surrogate can only arrive as a JSON
# escape (a URL or a multipart header is bytes, decoded with replacement characters).
NUL, ESC, DEL, CSI, SURROGATE = "\x00", "\x1b", "\x7f", "\x9b", "\ud800"
BAD_JSON = [NUL, SURROGATE, ESC, DEL, CSI]
BAD_BYTES = [NUL, ESC, CSI]


def bad(char: str) -> str:
    return f"ok{char}ok"


@dataclass(frozen=True)
class Case:
    """One string input of one route: the request to make with ``value`` in it."""

    method: str
    path: str  # {general}, {private}, {message}: filled from the fixture world
    field: str  # the name the error's ``fields`` gives
    json: Callable[[str], dict[str, Any]] | None = None
    query: str | None = None  # the query parameter carrying the value
    in_path: bool = False  # the value is the ``{value}`` path segment
    upload: bool = False  # the value is the multipart file name
    auth: bool = True

    @property
    def chars(self) -> list[str]:
        return BAD_JSON if self.json is not None else BAD_BYTES


def _new_password(value: str) -> dict[str, Any]:
    return {"current_password": PASSWORD, "new_password": value}


CASES: dict[str, Case] = {
    "signup username": Case(
        "POST", "/auth/signup", "username", json=lambda v: {"username": v, "password": PASSWORD},
        auth=False,
    ),
    "signup password": Case(
        "POST", "/auth/signup", "password", json=lambda v: {"username": "newbie", "password": v},
        auth=False,
    ),
    "signup display name": Case(
        "POST", "/auth/signup", "display_name", auth=False,
        json=lambda v: {"username": "newbie", "password": PASSWORD, "display_name": v},
    ),
    "login username": Case(
        "POST", "/auth/login", "username", json=lambda v: {"username": v, "password": PASSWORD},
        auth=False,
    ),
    "login password": Case(
        "POST", "/auth/login", "password", json=lambda v: {"username": "alice", "password": v},
        auth=False,
    ),
    "reset token": Case(
        "POST", "/auth/reset-password", "token", auth=False,
        json=lambda v: {"token": v, "new_password": "Brand-new-pass-7"},
    ),
    "reset new password": Case(
        "POST", "/auth/reset-password", "new_password", auth=False,
        json=lambda v: {"token": "x" * 40, "new_password": v},
    ),
    "token name": Case("POST", "/tokens", "name", json=lambda v: {"name": v}),
    "send text": Case(
        "POST", "/conversations/{general}/messages", "text",
        json=lambda v: {"text": v, "client_id": uuid.uuid4().hex},
    ),
    "send client id": Case(
        "POST", "/conversations/{general}/messages", "client_id",
        json=lambda v: {"text": "hello", "client_id": v},
    ),
    "edit text": Case("PATCH", "/messages/{message}", "text", json=lambda v: {"text": v}),
    "create channel name": Case(
        "POST", "/conversations", "name", json=lambda v: {"kind": "private", "name": v}
    ),
    "create channel topic": Case(
        "POST", "/conversations", "topic",
        json=lambda v: {"kind": "private", "name": "new", "topic": v},
    ),
    "rename channel": Case("PATCH", "/conversations/{private}", "name", json=lambda v: {"name": v}),
    "channel topic": Case("PATCH", "/conversations/{general}", "topic", json=lambda v: {"topic": v}),
    "display name": Case("PATCH", "/me", "display_name", json=lambda v: {"display_name": v}),
    "password change current": Case(
        "POST", "/me/password", "current_password",
        json=lambda v: {"current_password": v, "new_password": "Brand-new-pass-7"},
    ),
    "password change new": Case("POST", "/me/password", "new_password", json=_new_password),
    "account deletion password": Case(
        "DELETE", "/me", "password", json=lambda v: {"password": v, "mode": "hard"}
    ),
    "search query": Case("GET", "/search", "q", query="q"),
    "search cursor": Case("GET", "/search", "cursor", query="cursor"),
    "user directory": Case("GET", "/users", "q", query="q"),
    "channel browser": Case("GET", "/channels", "q", query="q"),
    "avatar version": Case("GET", "/users/{alice}/avatar", "v", query="v"),
    "preview image version": Case("GET", "/messages/{message}/preview-image", "v", query="v"),
    "add reaction": Case("PUT", "/messages/{message}/reactions/{value}", "emoji", in_path=True),
    "remove reaction": Case(
        "DELETE", "/messages/{message}/reactions/{value}", "emoji", in_path=True
    ),
    "upload file name": Case("POST", "/files", "file", upload=True),
}  # fmt: skip


async def snapshot(app: FastAPI) -> dict[str, list[Any]]:
    """Every row of every table, to compare before and after."""
    tables: dict[str, list[Any]] = {}
    async with app.state.minimost.ctx.db.read() as conn:
        for table in Base.metadata.sorted_tables:
            rows = (await conn.execute(select(table))).all()
            tables[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return tables


@dataclass
class World:
    alice: TestUser
    values: dict[str, Any]

    async def call(self, app: FastAPI, case: Case, value: str) -> httpx.Response:
        segment = quote(value, safe="") if case.in_path else ""
        url = API + case.path.format(**self.values, value=segment)
        kwargs: dict[str, Any] = {}
        if case.json is not None:
            # json.dumps escapes non-ASCII, so a lone surrogate travels as "\ud800".
            kwargs["content"] = json.dumps(case.json(value))
            kwargs["headers"] = {"Content-Type": "application/json"}
        if case.query is not None:
            url += f"?{case.query}={quote(value, safe='')}"
        if case.upload:
            # A raw multipart body: httpx would escape the name itself.
            boundary = "b0undary"
            kwargs["content"] = (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{value}.txt"\r\n'
                "Content-Type: text/plain\r\n\r\nhello\r\n"
                f"--{boundary}--\r\n"
            ).encode()
            kwargs["headers"] = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        if case.auth:
            return await self.alice.request(case.method, url, **kwargs)
        async with anonymous(app) as client:
            return await client.request(case.method, url, **kwargs)


@pytest.fixture
async def world(users: UserFactory) -> World:
    alice = await users("alice")
    private = await alice.create_private("secret")
    message = await alice.send("general", "hello")
    return World(
        alice,
        {
            "general": alice.channel("general"),
            "private": private,
            "message": message["id"],
            "alice": alice.id,
        },
    )


@pytest.mark.parametrize("name", list(CASES))
async def test_unstorable_characters_are_refused_and_nothing_is_stored(
    app: FastAPI, world: World, name: str
) -> None:
    case = CASES[name]
    before = await snapshot(app)
    for char in case.chars:
        response = await world.call(app, case, bad(char))
        error = assert_error(response, 422, "invalid_characters")
        assert case.field in error.get("fields", {}), (repr(char), error)
    assert await snapshot(app) == before


async def test_the_same_inputs_accept_tab_newline_and_the_rest_of_unicode(
    app: FastAPI, world: World
) -> None:
    # Text that looks odd but is text: emoji with joiners, bidi marks, private use,
    # unassigned code points, noncharacters; tab and newlines where they may appear.
    text = "a\tb\r\nc 👩‍👩‍👧 \u200f\u202e x \ue000 \U000e0001 \ufffe \U0010ffff"
    sent = await world.alice.post(
        f"{API}/conversations/{world.values['general']}/messages",
        content=json.dumps({"text": text, "client_id": uuid.uuid4().hex}),
        headers={"Content-Type": "application/json"},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["message"]["text"] == text
    topic = await world.alice.patch(
        f"{API}/conversations/{world.values['general']}", json={"topic": "tab\there ✓"}
    )
    assert topic.status_code == 200, topic.text
    found = await world.alice.get(f"{API}/search", params={"q": "\u200fhello\t"})
    assert found.status_code == 200, found.text
    # A file name keeps being cleaned, not refused, of what is merely odd (bidi overrides).
    uploaded = await world.alice.upload("pass\u202ewd.txt", b"x")
    assert uploaded["name"] == "passwd.txt"


def _has_check(metadata: Any) -> bool:
    return any(getattr(m, "func", None) is storable for m in metadata)


def _unchecked(label: str, annotation: Any, checked: bool) -> list[str]:
    """Where text can enter through ``annotation`` without passing ``storable``."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        return _unchecked(label, base, checked or _has_check(metadata))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [
            problem
            for name, info in annotation.model_fields.items()
            for problem in _unchecked(f"{label}.{name}", info.annotation, _has_check(info.metadata))
        ]
    if annotation is str:
        return [] if checked else [label]
    if typing.get_origin(annotation) is typing.Literal:
        return []  # a closed set of values: nothing else gets through
    return [p for arg in typing.get_args(annotation) for p in _unchecked(label, arg, checked)]


def test_every_string_input_of_every_route_is_checked(app: FastAPI) -> None:
    """A new route or field that takes text without the shared check fails here."""
    problems: list[str] = []
    seen = 0
    for op in api_operations(app):
        dependant = getattr(op.route, "dependant", None)
        if dependant is None:
            continue
        stack = [dependant]
        while stack:
            dep = stack.pop()
            stack.extend(dep.dependencies)
            for param in (
                *dep.path_params,
                *dep.query_params,
                *dep.header_params,
                *dep.cookie_params,
                *dep.body_params,
            ):
                seen += 1
                info = param.field_info
                label = f"{op} {param.name}"
                problems += _unchecked(label, info.annotation, _has_check(info.metadata))
    assert seen > 30
    assert problems == []
