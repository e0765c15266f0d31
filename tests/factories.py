"""Readable test users built through the real API (so invariants and events hold)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

PASSWORD = "Correct-horse-9"
# Cheap argon2id in tests: the parameters change cost, not behaviour.
FAST_HASH = {"password_hash_memory_kib": 64, "password_hash_time_cost": 1}


@dataclass
class TestUser:
    """A signed-in user with their own cookie jar; unsafe requests carry the CSRF header."""

    __test__ = False

    client: httpx.AsyncClient
    id: int
    username: str
    csrf: str
    conversations: dict[str, int] = field(default_factory=dict)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if method.upper() not in ("GET", "HEAD", "OPTIONS"):
            headers.setdefault("X-CSRF-Token", self.csrf)
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    def channel(self, name: str) -> int:
        return self.conversations[name]

    async def send(self, channel: str, text: str, client_id: str | None = None) -> dict[str, Any]:
        response = await self.post(
            f"/api/v1/conversations/{self.channel(channel)}/messages",
            json={"text": text, "client_id": client_id or uuid.uuid4().hex},
        )
        assert response.status_code == 201, response.text
        message: dict[str, Any] = response.json()["message"]
        return message

    async def post_to(self, conversation_id: int, text: str) -> dict[str, Any]:
        response = await self.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"text": text, "client_id": uuid.uuid4().hex},
        )
        assert response.status_code == 201, response.text
        message: dict[str, Any] = response.json()["message"]
        return message

    async def upload(
        self, name: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> dict[str, Any]:
        """Upload one file (POST /api/v1/files); returns its ``file`` view."""
        response = await self.post("/api/v1/files", files={"file": (name, data, content_type)})
        assert response.status_code == 201, response.text
        uploaded: dict[str, Any] = response.json()["file"]
        return uploaded

    async def send_files(
        self, conversation_id: int, file_ids: list[int], text: str = ""
    ) -> dict[str, Any]:
        """Send a message with these uploads attached (the text may be empty)."""
        response = await self.post(
            f"/api/v1/conversations/{conversation_id}/messages",
            json={"text": text, "client_id": uuid.uuid4().hex, "file_ids": file_ids},
        )
        assert response.status_code == 201, response.text
        message: dict[str, Any] = response.json()["message"]
        return message

    async def create_private(self, name: str, *members: TestUser, topic: str = "") -> int:
        response = await self.post(
            "/api/v1/conversations",
            json={
                "kind": "private",
                "name": name,
                "topic": topic,
                "members": [m.id for m in members],
            },
        )
        assert response.status_code == 201, response.text
        conversation_id: int = response.json()["conversation"]["id"]
        self.conversations[name] = conversation_id
        return conversation_id

    async def dm(self, *others: TestUser) -> int:
        response = await self.post(
            "/api/v1/conversations", json={"kind": "dm", "members": [o.id for o in others]}
        )
        assert response.status_code in (200, 201), response.text
        conversation_id: int = response.json()["conversation"]["id"]
        return conversation_id

    async def listing(self) -> dict[int, dict[str, Any]]:
        """My sidebar: conversation id -> conversation."""
        response = await self.get("/api/v1/conversations")
        assert response.status_code == 200, response.text
        return {c["id"]: c for c in response.json()["conversations"]}

    async def history(self, channel: str, **params: Any) -> dict[str, Any]:
        response = await self.get(
            f"/api/v1/conversations/{self.channel(channel)}/messages", params=params
        )
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        return page

    async def token(self, name: str = "script") -> str:
        response = await self.post("/api/v1/tokens", json={"name": name})
        assert response.status_code == 201, response.text
        token: str = response.json()["token"]
        return token

    async def aclose(self) -> None:
        await self.client.aclose()


class UserFactory:
    def __init__(
        self, app: FastAPI | None = None, base_url: str = "https://testserver", **client_kwargs: Any
    ) -> None:
        self.app = app
        self.base_url = base_url
        self.client_kwargs = client_kwargs
        self.created: list[TestUser] = []

    def _client(self) -> httpx.AsyncClient:
        if self.app is not None:
            transport = httpx.ASGITransport(app=self.app, client=("203.0.113.7", 50000))
            return httpx.AsyncClient(transport=transport, base_url=self.base_url)
        return httpx.AsyncClient(base_url=self.base_url, **self.client_kwargs)

    async def __call__(self, username: str, *, display_name: str = "") -> TestUser:
        client = self._client()
        response = await client.post(
            "/api/v1/auth/signup",
            json={"username": username, "password": PASSWORD, "display_name": display_name},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        user = TestUser(client, body["user"]["id"], body["user"]["username"], body["csrf_token"])
        listing = (await client.get("/api/v1/conversations")).json()["conversations"]
        user.conversations = {c["name"]: c["id"] for c in listing}
        self.created.append(user)
        return user


async def give_preview(app: FastAPI, message: dict[str, Any], image: bytes, title: str) -> None:
    """Store the link preview the background fetch would (``actions.previews.set_preview``)
    for ``message``'s first link, with ``image`` (any image Pillow reads) as its picture."""
    from minimost.domain.actions.previews import set_preview
    from minimost.files.images import make_preview_image
    from minimost.linkpreview.parse import first_link

    url = first_link(message["html"])
    card = {"url": url, "title": title, "description": None, "site_name": "example"}
    stored = await set_preview(
        app.state.minimost.ctx, message["id"], card, image=make_preview_image(image)
    )
    assert stored, message
