"""HTML shells, probes, metrics, the API description and the CA certificate."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.web.helpers import API, assert_error

ATTRIBUTE_URL = re.compile(
    r"""\b(?:src|href|action)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I
)


def linked_urls(html: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in ATTRIBUTE_URL.finditer(html)]


def is_same_site(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("", "https") and parts.netloc in ("", "testserver"):
        return not url.startswith("//") or parts.netloc == "testserver"
    return False


async def test_root_redirects_to_login_when_signed_out(client):
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_root_redirects_when_the_session_has_ended(users, app):
    alice = await users("alice")
    cookie = alice.client.cookies["minimost_session"]
    assert (await alice.post(f"{API}/auth/logout")).status_code == 204
    alice.client.cookies.set("minimost_session", cookie, domain="testserver")
    response = await alice.client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_root_serves_the_app_when_signed_in(users):
    alice = await users("alice")
    response = await alice.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()


async def test_pages_have_no_inline_scripts_and_only_local_assets(users, client):
    alice = await users("alice")
    for page, viewer in (("/", alice.client), ("/login", client), ("/signup", client)):
        response = await viewer.get(page)
        assert response.status_code == 200, page
        assert response.headers["content-type"].startswith("text/html"), page
        html = response.text
        for script in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S | re.I):
            assert script.strip() == "", f"inline script in {page}"
        assert not re.search(r"\son[a-z]+\s*=", html, re.I), f"inline event handler in {page}"
        for url in linked_urls(html):
            assert is_same_site(url), (page, url)
            if url.startswith("/"):
                assert (await viewer.get(url)).status_code == 200, (page, url)


async def test_probes_and_metrics(client):
    health = await client.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = await client.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "minimost_ws_connections 0.0" in response.text
    assert "# TYPE minimost_ws_connections gauge" in response.text


CONTRACT_PATHS = {
    f"{API}/auth/signup": {"post"},
    f"{API}/auth/login": {"post"},
    f"{API}/auth/logout": {"post"},
    f"{API}/me": {"get"},
    f"{API}/tokens": {"post"},
    f"{API}/conversations": {"get"},
    f"{API}/conversations/{{conversation_id}}": {"get"},
    f"{API}/conversations/{{conversation_id}}/messages": {"get", "post"},
    f"{API}/conversations/{{conversation_id}}/members/{{user_id}}": {"put", "delete"},
    f"{API}/messages/{{message_id}}": {"get", "patch", "delete"},
}


async def test_openapi_lists_the_contract_paths(client):
    response = await client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "MiniMost"
    for path, methods in CONTRACT_PATHS.items():
        assert path in spec["paths"], path
        assert methods <= set(spec["paths"][path]), (path, set(spec["paths"][path]))
    # Errors are documented with their JSON shape.
    send = spec["paths"][f"{API}/conversations/{{conversation_id}}/messages"]["post"]
    assert {"201", "200", "401", "403", "404", "422", "429"} <= set(send["responses"])
    assert "ErrorResponse" in spec["components"]["schemas"]
    # Pages are not API.
    assert not {"/", "/login", "/healthz", "/metrics", "/ca.pem"} & set(spec["paths"])


async def test_api_docs_are_html_with_no_external_urls(client):
    response = await client.get(f"{API}/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    for path in CONTRACT_PATHS:
        assert path in html, path
    urls = linked_urls(html)
    assert f"{API}/openapi.json" in urls
    for url in urls:
        assert is_same_site(url), url
    assert "<script" not in html.lower()


async def test_api_docs_stylesheet_exists(client):
    # The offline reference page must find its stylesheet.
    html = (await client.get(f"{API}/docs")).text
    for url in linked_urls(html):
        if url.startswith("/static/"):
            assert (await client.get(url)).status_code == 200, url


async def test_ca_pem_is_served_only_once_the_local_ca_exists(settings, client):
    assert_error(await client.get("/ca.pem"), 404, "not_found")
    pem = b"-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n"
    tls_dir = settings.data_dir / "tls"
    tls_dir.mkdir(parents=True, exist_ok=True)
    (tls_dir / "ca.pem").write_bytes(pem)
    response = await client.get("/ca.pem")
    assert response.status_code == 200
    assert response.content == pem
    assert response.headers["content-type"].startswith("application/x-pem-file")
    assert "minimost-ca.pem" in response.headers.get("content-disposition", "")


@pytest.mark.settings(tls=False)
async def test_ca_pem_is_not_served_when_tls_is_terminated_elsewhere(settings, client):
    tls_dir = settings.data_dir / "tls"
    tls_dir.mkdir(parents=True, exist_ok=True)
    (tls_dir / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    assert_error(await client.get("/ca.pem"), 404, "not_found")


async def test_metrics_count_sends_and_events(users, client):
    alice = await users("alice")
    before = (await client.get("/metrics")).text
    assert "minimost_send_batches 0.0" in before
    await alice.send("general", "counted")
    after = (await client.get("/metrics")).text
    assert "minimost_send_batches 1.0" in after
    assert "minimost_ws_accepted 0.0" in after
