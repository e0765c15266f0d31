"""An error walk over every /api/v1 route: wrong input never yields a 500 or a non-JSON body.

Data-driven: the routes come from ``app.routes``; ``CONTRACTS`` says how to call each one.
A new route that is not classified here fails ``test_every_api_route_is_classified``, so it
gets walked as soon as it exists.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import fastapi.routing
import httpx
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import WebSocketRoute

from minimost.app import create_app
from minimost.domain.actions import accounts
from tests.conftest import make_settings
from tests.factories import PASSWORD, TestUser, UserFactory
from tests.media import png
from tests.web.helpers import API, anonymous, assert_error, bearer_client

# FastAPI >= 0.16x includes routers lazily; this flattens them (older: already flat).
_flatten = getattr(fastapi.routing, "iter_route_contexts", None)

_names = itertools.count()
Body = Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class Contract:
    """How to call an operation validly, and what a valid call returns."""

    auth: bool = True
    body: Body | None = None  # a valid JSON body (fresh per call); None: reads no body
    ok: int = 200
    # Multipart routes (read from the stream, so no JSON body): httpx ``files=`` for a
    # valid call. Their size limit is their own (tests/web/test_files.py, test_profile.py).
    upload: Body | None = None
    # What an unknown id gives, when not what UNKNOWN_ID says for the parameter.
    unknown: tuple[int, str] | None = None


def signup_body() -> dict[str, Any]:
    return {"username": f"walker{next(_names)}", "password": PASSWORD}


CONTRACTS: dict[tuple[str, str], Contract] = {
    ("GET", f"{API}/openapi.json"): Contract(auth=False),
    ("GET", f"{API}/docs"): Contract(auth=False),
    ("POST", f"{API}/auth/signup"): Contract(auth=False, body=signup_body, ok=201),
    ("POST", f"{API}/auth/login"): Contract(
        auth=False, body=lambda: {"username": "alice", "password": PASSWORD}
    ),
    ("POST", f"{API}/auth/logout"): Contract(ok=204),
    ("GET", f"{API}/me"): Contract(),
    ("POST", f"{API}/tokens"): Contract(body=lambda: {"name": "walk"}, ok=201),
    ("GET", f"{API}/conversations"): Contract(),
    ("POST", f"{API}/conversations"): Contract(
        body=lambda: {"kind": "private", "name": "walk"}, ok=201
    ),
    ("GET", f"{API}/channels"): Contract(),
    ("PATCH", f"{API}/conversations/{{conversation_id}}"): Contract(body=lambda: {"muted": False}),
    # The walk's first message (id 1) is in general, like every valid conversation_id.
    ("POST", f"{API}/conversations/{{conversation_id}}/read"): Contract(
        body=lambda: {"message_id": 1}
    ),
    ("GET", f"{API}/conversations/{{conversation_id}}/members"): Contract(),
    ("GET", f"{API}/mentions"): Contract(),
    ("GET", f"{API}/search"): Contract(),
    ("GET", f"{API}/users"): Contract(),
    ("POST", f"{API}/files"): Contract(
        upload=lambda: {"file": ("walk.txt", b"walk", "text/plain")}, ok=201
    ),
    ("GET", f"{API}/files/{{file_id}}"): Contract(),
    ("GET", f"{API}/files/{{file_id}}/thumbnail"): Contract(),
    ("PATCH", f"{API}/me"): Contract(body=lambda: {"display_name": "Walker"}),
    ("PUT", f"{API}/me/avatar"): Contract(upload=lambda: {"file": ("face.png", png())}),
    ("DELETE", f"{API}/me/avatar"): Contract(),
    # Anyone's avatar: an unknown user simply has none.
    ("GET", f"{API}/users/{{user_id}}/avatar"): Contract(unknown=(404, "not_found")),
    ("PUT", f"{API}/me/presence"): Contract(body=lambda: {"status": "auto"}),
    ("GET", f"{API}/conversations/{{conversation_id}}"): Contract(),
    ("GET", f"{API}/conversations/{{conversation_id}}/messages"): Contract(),
    ("POST", f"{API}/conversations/{{conversation_id}}/messages"): Contract(
        body=lambda: {"text": "walk", "client_id": uuid.uuid4().hex}, ok=201
    ),
    ("PUT", f"{API}/conversations/{{conversation_id}}/members/{{user_id}}"): Contract(ok=204),
    ("DELETE", f"{API}/conversations/{{conversation_id}}/members/{{user_id}}"): Contract(ok=204),
    ("GET", f"{API}/messages/{{message_id}}"): Contract(),
    # The walk's messages have no link preview, so no image: 404 (the 200: tests/linkpreview).
    ("GET", f"{API}/messages/{{message_id}}/preview-image"): Contract(ok=404),
    ("PATCH", f"{API}/messages/{{message_id}}"): Contract(body=lambda: {"text": "edited"}),
    ("DELETE", f"{API}/messages/{{message_id}}"): Contract(ok=204),
    ("PUT", f"{API}/messages/{{message_id}}/reactions/{{emoji}}"): Contract(),
    ("DELETE", f"{API}/messages/{{message_id}}/reactions/{{emoji}}"): Contract(),
    ("PUT", f"{API}/messages/{{message_id}}/pin"): Contract(),
    ("DELETE", f"{API}/messages/{{message_id}}/pin"): Contract(),
    ("GET", f"{API}/conversations/{{conversation_id}}/pins"): Contract(),
    # Account (routes/account.py). A valid password change or deletion would end the walk's
    # own credentials, so the valid call here is one with a wrong password: 403.
    ("POST", f"{API}/me/password"): Contract(
        body=lambda: {"current_password": "Wrong-pass-1!", "new_password": "Walk-new-pass-1"},
        ok=403,
    ),
    ("DELETE", f"{API}/me"): Contract(
        body=lambda: {"password": "Wrong-pass-1!", "mode": "soft"}, ok=403
    ),
    ("POST", f"{API}/auth/reset-password"): Contract(
        auth=False, body=lambda: {"token": "walk-token", "new_password": "Walk-new-pass-1"}, ok=400
    ),
    ("GET", f"{API}/me/sessions"): Contract(),
    ("DELETE", f"{API}/me/sessions/{{session_id}}"): Contract(ok=204),
    ("GET", f"{API}/me/tokens"): Contract(),
    ("DELETE", f"{API}/me/tokens/{{token_id}}"): Contract(ok=204),
}

# What an unknown id (999999) in each path parameter gives.
UNKNOWN_ID = {
    "conversation_id": (404, "not_found"),
    "message_id": (404, "not_found"),
    "file_id": (404, "not_found"),
    # Only your own id is allowed here: anyone else's, existing or not, is forbidden.
    "user_id": (403, "forbidden"),
    # Not an id: "999999" (like every bad value) is simply not an emoji.
    "emoji": (422, "invalid_emoji"),
    # Only your own; anyone else's answers like a missing one.
    "session_id": (404, "not_found"),
    "token_id": (404, "not_found"),
}
BAD_IDS = ["abc", "99999999999999999999", str(2**63), "0", "-1", "1.5", "1e3", "%20"]
# Spellings a lax int parser reads as 1: an id has exactly one spelling, or a cache, a log
# or an access check keyed on the URL would see two names for one thing.
ALIASES_OF_1 = ["1.0", "+1", "01", "%201", "1%20", "1_0"]
MALFORMED_JSON = [b"{", b'{"text": ', b'{"text": "x",}', b"nul", b"{'text': 'x'}", b'{"a" 1}']
OVER_1_MIB = b'{"text": "' + b"x" * (1024 * 1024) + b'"}'
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    route: Any

    @property
    def contract(self) -> Contract:
        return CONTRACTS[(self.method, self.path)]

    @property
    def params(self) -> list[str]:
        dependant = getattr(self.route, "dependant", None)
        return [p.name for p in dependant.path_params] if dependant else []

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def api_operations(app: FastAPI) -> list[Operation]:
    routes = _flatten(app.routes) if _flatten else app.routes
    operations = []
    for route in routes:
        original = getattr(route, "original_route", route)
        path = getattr(route, "path", None)
        if (
            not path
            or not path.startswith(API)
            or isinstance(original, APIWebSocketRoute | WebSocketRoute)
        ):
            continue
        for method in sorted((getattr(route, "methods", None) or set()) - {"HEAD"}):
            operations.append(Operation(method, path, original))
    return operations


@dataclass
class Walk:
    """A signed-in admin (alice) with a cookie and a bearer token, plus failure collection."""

    app: FastAPI
    alice: TestUser
    token: str
    failures: list[str] = field(default_factory=list)
    file_id: int | None = None

    async def valid_params(self) -> dict[str, Any]:
        """Fresh valid path values: alice is in general, and owns a live message."""
        general = self.alice.channel("general")
        rejoin = await self.alice.put(f"{API}/conversations/{general}/members/{self.alice.id}")
        assert rejoin.status_code == 204, rejoin.text
        message = await self.alice.send("general", "walk target")
        # An image of hers (unsent: hers alone), and an avatar (DELETE /me/avatar drops it).
        if self.file_id is None:
            self.file_id = (await self.alice.upload("walk.png", png((400, 400))))["id"]
        if (await self.alice.get(f"{API}/users/{self.alice.id}/avatar")).status_code == 404:
            face = await self.alice.put(f"{API}/me/avatar", files={"file": ("a.png", png())})
            assert face.status_code == 200, face.text
        return {
            "conversation_id": general,
            "message_id": message["id"],
            "user_id": self.alice.id,
            "file_id": self.file_id,
            "emoji": "👍",
        }

    async def url(self, op: Operation, **replace: str) -> str:
        values: dict[str, Any] = await self.valid_params() if op.params else {}
        # Fresh ones to end, never the walk's own session or token.
        if "session_id" in op.params:
            await accounts.login(
                self.app.state.minimost.ctx, username="alice", password=PASSWORD, ip="",
                user_agent="walk",
            )  # fmt: skip
            sessions = (await self.alice.get(f"{API}/me/sessions")).json()["sessions"]
            values["session_id"] = sessions[0]["id"]
        if "token_id" in op.params:
            await self.alice.token("spare")
            tokens = (await self.alice.get(f"{API}/me/tokens")).json()["tokens"]
            values["token_id"] = tokens[0]["id"]
        values.update(replace)
        return op.path.format(**values)

    def client(self, op: Operation, *, authenticated: bool = True) -> _Caller:
        return _Caller(self, op, authenticated)

    def expect(
        self, op: Operation, case: str, response: httpx.Response, status: int, code: str | None
    ) -> None:
        """Record (not raise) a mismatch so one run reports every broken route."""
        problem = None
        if response.status_code >= 500:
            problem = "server error"
        elif response.status_code != status:
            problem = f"expected {status}"
        elif status >= 400:
            if not response.headers.get("content-type", "").startswith("application/json"):
                problem = "error is not JSON"
            else:
                try:
                    error = response.json()["error"]
                    if not isinstance(error.get("code"), str) or not isinstance(
                        error.get("message"), str
                    ):
                        problem = "error lacks code/message"
                    elif code is not None and error["code"] != code:
                        problem = f"expected code {code}"
                except (ValueError, KeyError, TypeError):
                    problem = "error body is not {'error': {...}}"
        if problem:
            self.failures.append(
                f"{op} [{case}]: {problem}; got {response.status_code} {response.text[:160]!r}"
            )

    def report(self) -> None:
        assert not self.failures, "\n".join(["", *self.failures])


class _Caller:
    def __init__(self, walk: Walk, op: Operation, authenticated: bool) -> None:
        self.walk, self.op, self.authenticated = walk, op, authenticated

    async def __call__(self, url: str, **kwargs: Any) -> httpx.Response:
        if self.authenticated and self.op.contract.auth:
            return await self.walk.alice.request(self.op.method, url, **kwargs)
        async with anonymous(self.walk.app) as client:
            return await client.request(self.op.method, url, **kwargs)


async def make_walk(app: FastAPI) -> Walk:
    users = UserFactory(app)
    alice = await users("alice")  # the first account: an admin
    return Walk(app, alice, await alice.token("walk"))


def body_operations(app: FastAPI) -> list[Operation]:
    return [op for op in api_operations(app) if op.contract.body is not None]


# --- the classification ---------------------------------------------------------------------


def test_every_api_route_is_classified(tmp_path):
    # Only the route table matters: build the app without starting it (no database).
    operations = api_operations(create_app(make_settings(tmp_path)))
    found = {(op.method, op.path) for op in operations}
    unclassified = sorted(found - set(CONTRACTS))
    stale = sorted(set(CONTRACTS) - found)
    assert not unclassified, f"add these to CONTRACTS in {__name__}: {unclassified}"
    assert not stale, f"CONTRACTS lists routes that no longer exist: {stale}"
    for op in operations:
        unknown_params = set(op.params) - set(UNKNOWN_ID)
        assert not unknown_params, f"{op}: classify path parameters {unknown_params} in UNKNOWN_ID"
        if isinstance(op.route, APIRoute):
            reads_body = op.route.body_field is not None
            assert reads_body == (op.contract.body is not None), f"{op}: body contract mismatch"


# --- the walk -------------------------------------------------------------------------------


async def test_every_route_works_with_a_bearer_token_and_no_csrf(app):
    walk = await make_walk(app)
    for op in api_operations(app):
        url = await walk.url(op)
        body = op.contract.body() if op.contract.body else None
        if op.contract.upload is not None:
            async with bearer_client(app, walk.token) as bot:
                response = await bot.request(op.method, url, files=op.contract.upload())
        elif op.contract.auth:
            async with bearer_client(app, walk.token) as bot:
                response = await bot.request(op.method, url, json=body)
        else:
            async with anonymous(app) as client:
                response = await client.request(op.method, url, json=body)
        walk.expect(op, "valid call", response, op.contract.ok, None)
    walk.report()


async def test_missing_auth_is_401_not_authenticated(app):
    walk = await make_walk(app)
    for op in api_operations(app):
        if not op.contract.auth:
            continue
        url = await walk.url(op)
        body = op.contract.body() if op.contract.body else None
        response = await walk.client(op, authenticated=False)(url, json=body)
        walk.expect(op, "no credentials", response, 401, "not_authenticated")
    walk.report()


async def test_malformed_json_is_400_invalid_json(app):
    walk = await make_walk(app)
    for op in body_operations(app):
        for raw in MALFORMED_JSON:
            url = await walk.url(op)
            response = await walk.client(op)(
                url, content=raw, headers={"Content-Type": "application/json"}
            )
            walk.expect(op, f"body {raw!r}", response, 400, "invalid_json")
    walk.report()


async def test_undecodable_or_absurd_json_is_a_4xx_not_a_crash(app):
    walk = await make_walk(app)
    for op in body_operations(app):
        for case, raw in (
            ("invalid UTF-8", b'{"text": "\xff\xfe"}'),
            ("deep nesting", b"[" * 100_000 + b"]" * 100_000),
            ("huge number", b'{"text": ' + b"9" * 5000 + b"}"),
        ):
            url = await walk.url(op)
            response = await walk.client(op)(
                url, content=raw, headers={"Content-Type": "application/json"}
            )
            expected = 422 if response.status_code == 422 else 400
            walk.expect(op, case, response, expected, None)
    walk.report()


async def test_invalid_utf8_body_is_400_invalid_json(app):
    # A body that is not UTF-8 is malformed JSON too (RFC 8259 §8.1).
    walk = await make_walk(app)
    for op in body_operations(app):
        url = await walk.url(op)
        response = await walk.client(op)(
            url, content=b'{"text": "\xff\xfe"}', headers={"Content-Type": "application/json"}
        )
        walk.expect(op, "invalid UTF-8", response, 400, "invalid_json")
    walk.report()


async def test_wrong_json_types_are_422_validation_error(app):
    walk = await make_walk(app)
    for op in body_operations(app):
        valid = op.contract.body()  # type: ignore[misc]
        cases: list[tuple[str, Any]] = [
            ("array body", []),
            ("string body", "text"),
            ("number body", 5),
            ("null body", None),
            ("empty object", {}),
            ("unknown field", {**valid, "surprise": 1}),
        ]
        for name, value in valid.items():
            wrong = [5, {"nested": True}, ["list"]] if isinstance(value, str) else ["text", {}]
            cases += [(f"{name}={w!r}", {**valid, name: w}) for w in wrong]
        for case, body in cases:
            url = await walk.url(op)
            response = await walk.client(op)(
                url,
                content=httpx.Request("POST", "/", json=body).content,
                headers={"Content-Type": "application/json"},
            )
            walk.expect(op, case, response, 422, "validation_error")
    walk.report()


async def test_bad_id_path_parameters_are_422(app):
    walk = await make_walk(app)
    for op in api_operations(app):
        for param in op.params:
            # Valid values for the other parameters once per parameter (each set sends a
            # message: once per bad value would run into the send rate limit).
            template = await walk.url(op, **{param: "__BAD__"})
            for bad in BAD_IDS if param == "emoji" else [*BAD_IDS, *ALIASES_OF_1]:
                url = template.replace("__BAD__", bad)
                body = op.contract.body() if op.contract.body else None
                response = await walk.client(op)(url, json=body)
                code = "invalid_emoji" if param == "emoji" else "validation_error"
                walk.expect(op, f"{param}={bad}", response, 422, code)
    walk.report()


async def test_unknown_ids_are_404_or_forbidden(app):
    walk = await make_walk(app)
    for op in api_operations(app):
        for param in op.params:
            url = await walk.url(op, **{param: "999999"})
            body = op.contract.body() if op.contract.body else None
            response = await walk.client(op)(url, json=body)
            status, code = op.contract.unknown or UNKNOWN_ID[param]
            walk.expect(op, f"{param}=999999", response, status, code)
    walk.report()


async def _chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_bodies_over_1_mib_are_413_on_every_route(app):
    walk = await make_walk(app)
    for op in api_operations(app):
        if op.contract.upload is not None:
            continue  # a file's worth is allowed there (test_body_limits, test_files)
        url = await walk.url(op)
        headers = {"Content-Type": "application/json"}
        for who in ("signed in", "anonymous"):
            response = await walk.client(op, authenticated=who == "signed in")(
                url, content=OVER_1_MIB, headers=headers
            )
            walk.expect(op, f"1 MiB body, {who}", response, 413, "payload_too_large")
        if op.contract.body is not None:
            # Without Content-Length (chunked): caught while streaming.
            response = await walk.client(op)(url, content=_chunks(OVER_1_MIB), headers=headers)
            walk.expect(op, "1 MiB streamed body", response, 413, "payload_too_large")
    walk.report()


async def test_unknown_urls_are_404_json(client):
    for url in (f"{API}/nope", f"{API}/conversations/1/nope", f"{API}/messages", "/nope"):
        assert_error(await client.get(url), 404, "not_found")
        assert_error(await client.post(url, json={}), 404, "not_found")
    assert_error(await client.get("/static/nope.js"), 404, "not_found")


async def test_wrong_methods_are_405_json(app):
    walk = await make_walk(app)
    allowed: dict[str, set[str]] = {}
    served: dict[str, set[str]] = {}  # with HEAD where a route serves it (openapi.json)
    for op in api_operations(app):
        allowed.setdefault(op.path, set()).add(op.method)
        served.setdefault(op.path, set()).update(getattr(op.route, "methods", None) or ())
    for path, methods in allowed.items():
        url = path.format(
            conversation_id=1,
            message_id=1,
            user_id=1,
            file_id=1,
            emoji="%F0%9F%91%8D",
            session_id=1,
            token_id=1,
        )
        for method in sorted(set(METHODS) - methods):
            op = Operation(method, path, None)
            async with anonymous(app) as client:
                response = await client.request(method, url)
            walk.expect(op, "wrong method", response, 405, "method_not_allowed")
            # RFC 9110 §15.5.6: Allow lists every method the path serves (``/messages/{id}``:
            # GET, PATCH, DELETE), not only the first matching route's.
            offered = {m.strip() for m in response.headers.get("allow", "").split(",")}
            if offered != served[path]:
                walk.failures.append(f"{op}: Allow header {offered} vs served {served[path]}")
    walk.report()
