"""Every response, whatever it is, carries the security headers."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import UserFactory
from tests.web.helpers import API, anonymous


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


async def sample_responses(app: FastAPI, users: UserFactory) -> dict[str, httpx.Response]:
    """One response of each kind: pages, API success and errors, static files, probes."""
    alice = await users("alice")
    stranger = anonymous(app)
    responses = {
        "app page": await alice.get("/"),
        "login page": await alice.client.get("/login"),
        "redirect": await stranger.get("/"),
        "api 200": await alice.get(f"{API}/conversations"),
        "api 201": await alice.post(f"{API}/tokens", json={"name": "t"}),
        "api 204": await alice.put(
            f"{API}/conversations/{alice.channel('general')}/members/{alice.id}"
        ),
        "api 401": await stranger.get(f"{API}/me"),
        "api 403": await alice.client.post(f"{API}/tokens", json={"name": "t"}),
        "api 404": await alice.get(f"{API}/conversations/999999"),
        "api 405": await alice.client.put(f"{API}/me"),
        "api 413": await alice.post(f"{API}/tokens", content=b"x" * (1024 * 1024 + 1)),
        "api 422": await alice.post(f"{API}/tokens", json={"name": ""}),
        "unknown url": await alice.get("/no/such/page"),
        "static": await alice.get("/static/css/base.css"),
        "healthz": await alice.get("/healthz"),
        "metrics": await alice.get("/metrics"),
        "openapi": await alice.get(f"{API}/openapi.json"),
        "docs": await alice.get(f"{API}/docs"),
    }
    await stranger.aclose()
    expected = {"redirect": 303, "api 201": 201, "api 204": 204, "api 401": 401, "api 403": 403,
                "api 404": 404, "api 405": 405, "api 413": 413, "api 422": 422,
                "unknown url": 404}  # fmt: skip
    for name, response in responses.items():
        assert response.status_code == expected.get(name, 200), (name, response.text[:200])
    return responses


async def test_every_response_carries_the_security_headers(settings, app, users):
    assert settings.tls is True  # the default: HSTS expected too
    for name, response in (await sample_responses(app, users)).items():
        headers = response.headers
        hsts = headers.get("strict-transport-security", "")
        assert hsts.startswith("max-age="), name
        assert int(hsts.split("=", 1)[1].split(";")[0]) >= 180 * 86400, (name, hsts)
        assert headers.get("x-content-type-options") == "nosniff", name
        assert headers.get("x-frame-options") == "DENY", name
        assert headers.get("referrer-policy") in ("no-referrer", "same-origin", "strict-origin"), (
            name
        )
        permissions = {p.strip() for p in headers.get("permissions-policy", "").split(",")}
        assert {"camera=(self)", "microphone=(self)"} <= permissions, (name, permissions)
        csp = headers.get("content-security-policy", "")
        assert "'unsafe-inline'" not in csp, name
        assert "'unsafe-eval'" not in csp, name
        directives = csp_directives(csp)
        assert directives.get("script-src") == ["'self'"], (name, csp)
        assert directives.get("object-src") == ["'none'"], (name, csp)
        assert directives.get("frame-ancestors") == ["'none'"], (name, csp)
        assert "*" not in csp.split(), (name, csp)


@pytest.mark.settings(tls=False)
async def test_no_hsts_without_tls(client):
    for url in ("/login", f"{API}/me", "/healthz"):
        response = await client.get(url)
        assert "strict-transport-security" not in response.headers, url
        assert response.headers["x-frame-options"] == "DENY", url


LOOPBACK_HOSTS = ["localhost", "localhost:5000", "LOCALHOST.", "app.localhost:5000",
                  "127.0.0.1", "127.8.9.10:5000", "[::1]:5000", "[::1]"]  # fmt: skip
OTHER_HOSTS = ["testserver", "chat.example.lan:6767", "192.168.1.5:5000", "[2001:db8::1]:443",
               "localhost.example.com", "127.0.0.1.nip.io"]  # fmt: skip


async def test_no_hsts_for_loopback_hosts(client):
    """HSTS is remembered per host name for every port: sent for ``localhost`` it would make
    the browser refuse plain HTTP to every other development server on this machine."""
    for host in LOOPBACK_HOSTS:
        response = await client.get("/healthz", headers={"host": host})
        assert "strict-transport-security" not in response.headers, host
        assert response.headers["x-frame-options"] == "DENY", host
    for host in OTHER_HOSTS:
        response = await client.get("/healthz", headers={"host": host})
        assert response.headers["strict-transport-security"].startswith("max-age="), host


async def test_csp_and_permissions_allow_what_the_app_needs_and_nothing_more(client):
    headers = (await client.get("/login")).headers
    csp = csp_directives(headers["content-security-policy"])
    # Avatars and thumbnails may be data:/blob: URLs, call previews blob: media.
    assert set(csp["img-src"]) == {"'self'", "data:", "blob:"}
    assert set(csp["media-src"]) == {"'self'", "blob:"}
    # The socket is same-origin wss://, which 'self' matches; nothing else may be reached.
    assert csp["connect-src"] == ["'self'"]
    for directive in ("default-src", "script-src", "style-src", "form-action"):
        assert csp[directive] == ["'self'"], directive
    assert csp["base-uri"] == ["'none'"]
    permissions = {p.strip() for p in headers["permissions-policy"].split(",")}
    assert {"camera=(self)", "microphone=(self)", "display-capture=(self)"} <= permissions
    assert "geolocation=()" in permissions
    assert not any("*" in p for p in permissions), permissions
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cross-origin-opener-policy"] == "same-origin"
