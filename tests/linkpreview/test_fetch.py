"""The guarded fetch against a real HTTP server on 127.0.0.1: loopback is refused unless the
test-only override is on; redirects, content types, sizes, time and DNS rebinding."""

from __future__ import annotations

import asyncio

import pytest

from minimost.linkpreview.fetch import GuardedFetcher, Policy, Refused
from minimost.linkpreview.parse import decode, metadata
from tests.linkpreview.server import PAGE, LocalServer, local_server, response
from tests.live import TIMEOUT

HTML = {"Content-Type": "text/html; charset=utf-8"}


def trusting(server: LocalServer, **policy: object) -> GuardedFetcher:
    """The test-only override: loopback and the server's port allowed."""
    return GuardedFetcher(
        Policy(unsafe_allow_loopback=True, ports=frozenset({server.port}), **policy)  # type: ignore[arg-type]
    )


async def test_loopback_is_refused_by_default_and_never_contacted() -> None:
    async with local_server({"/": response("200 OK", HTML, PAGE)}) as server:
        fetcher = GuardedFetcher(Policy(ports=frozenset({server.port})))
        for url in (f"{server.base}/", f"http://localhost:{server.port}/",
                    f"http://[::ffff:127.0.0.1]:{server.port}/", f"http://2130706433:{server.port}/"):  # fmt: skip
            with pytest.raises(Refused, match="loopback"):
                await fetcher.fetch(url)
        # Even with private addresses allowed, loopback stays refused.
        fetcher = GuardedFetcher(Policy(allow_private=True, ports=frozenset({server.port})))
        with pytest.raises(Refused, match="loopback"):
            await fetcher.fetch(f"{server.base}/")
        assert server.requests == []


async def test_the_override_fetches_and_parses_a_real_page() -> None:
    async with local_server({"/page": response("200 OK", HTML, PAGE)}) as server:
        page = await trusting(server).fetch(f"{server.base}/page#frag")
    assert server.requests == [(f"127.0.0.1:{server.port}", "/page")]
    assert page.content_type == "text/html" and page.charset == "utf-8"
    data = metadata(decode(page.body, page.charset))
    assert data.title == "The & Title"
    assert data.description == "What the page is about."
    assert data.site_name == "Example Site"


async def test_only_allowed_ports_schemes_and_no_credentials() -> None:
    fetcher = GuardedFetcher()
    for url, why in [
        ("http://example.com:8080/", "port 8080"),
        ("http://example.com:22/", "port 22"),
        ("ftp://example.com/", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("http://user:pw@example.com/", "credentials"),
        ("http:///nohost", "no host"),
    ]:
        with pytest.raises(Refused, match=why):
            await fetcher.fetch(url)


async def test_redirect_to_an_internal_address_is_refused() -> None:
    routes: dict[str, object] = {
        "/to-meta": response("302 Found", {"Location": "http://169.254.169.254/latest/"}),
        "/to-private": response("301 Moved", {"Location": "http://10.0.0.1/admin"}),
        "/to-v6": response("307 Temporary", {"Location": "http://[::ffff:a9fe:a9fe]/"}),
        "/to-port": response("308 Permanent", {"Location": "http://8.8.8.8:6379/"}),
        "/to-file": response("302 Found", {"Location": "file:///etc/passwd"}),
    }
    async with local_server(routes) as server:  # type: ignore[arg-type]
        # Port 80 allowed too, so each refusal below is the address check's (and nothing
        # is ever sent to those addresses: the check comes before the connection).
        fetcher = GuardedFetcher(
            Policy(unsafe_allow_loopback=True, ports=frozenset({server.port, 80}))
        )
        for path, why in [("/to-meta", "169.254.169.254: link-local"),
                          ("/to-private", "10.0.0.1: private"),
                          ("/to-v6", "link-local"), ("/to-port", "port 6379"),
                          ("/to-file", "scheme")]:  # fmt: skip
            with pytest.raises(Refused, match=why):
                await fetcher.fetch(f"{server.base}{path}")


async def test_redirect_from_a_public_name_to_loopback_is_refused() -> None:
    """Default policy (no override): a public site redirecting to 127.0.0.1 is refused."""
    connected: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    async with local_server(
        {"/": response("302 Found", {"Location": "http://127.0.0.1/admin"})}
    ) as server:

        async def opener(ip: str, port: int, tls: object, name: str | None):
            connected.append(ip)
            return await asyncio.open_connection("127.0.0.1", server.port)

        fetcher = GuardedFetcher(resolver=resolver, opener=opener)
        with pytest.raises(Refused, match=r"127\.0\.0\.1: loopback"):
            await fetcher.fetch("http://public.example/")
    assert connected == ["93.184.216.34"]


async def test_redirects_are_followed_at_most_three_times() -> None:
    async with local_server({}) as server:
        hop = {f"/r{i}": response("302 Found", {"Location": f"/r{i + 1}"}) for i in range(5)}
        server.routes.update(hop)
        server.routes["/r3"] = response("200 OK", HTML, PAGE)
        page = await trusting(server).fetch(f"{server.base}/r0")
        assert page.url == f"{server.base}/r3"
        server.routes["/r3"] = response("302 Found", {"Location": "/r4"})
        server.routes["/r4"] = response("200 OK", HTML, PAGE)
        with pytest.raises(Refused, match="too many redirects"):
            await trusting(server).fetch(f"{server.base}/r0")


async def test_non_html_is_refused() -> None:
    routes = {
        "/json": response("200 OK", {"Content-Type": "application/json"}, b"{}"),
        "/img": response("200 OK", {"Content-Type": "image/png"}, b"\x89PNG"),
        "/none": response("200 OK", {}, PAGE),
        "/gzip": response("200 OK", {**HTML, "Content-Encoding": "gzip"}, b"\x1f\x8b"),
        "/500": response("500 Oops", HTML, PAGE),
    }
    async with local_server(routes) as server:  # type: ignore[arg-type]
        fetcher = trusting(server)
        for path, why in [("/json", "not HTML"), ("/img", "not HTML"), ("/none", "missing"),
                          ("/gzip", "compressed"), ("/500", "status 500")]:  # fmt: skip
            with pytest.raises(Refused, match=why):
                await fetcher.fetch(f"{server.base}{path}")


async def test_oversize_body_is_truncated() -> None:
    big = b"<html><head><title>big</title>" + b"x" * (2 * 1024 * 1024)
    async with local_server({"/big": response("200 OK", HTML, big)}) as server:
        page = await trusting(server, max_bytes=64 * 1024).fetch(f"{server.base}/big")
    assert page.truncated and len(page.body) == 64 * 1024
    assert metadata(decode(page.body, None)).title == "big"


async def test_reading_stops_after_the_head() -> None:
    body = PAGE + b"y" * 100_000

    async def slow_tail(path: str, writer: asyncio.StreamWriter) -> None:
        writer.write(response("200 OK", {**HTML, "Content-Length": str(len(body))}, b""))
        writer.write(body[: len(PAGE)])
        await writer.drain()
        await asyncio.sleep(300)  # the rest never comes: we must not wait for it

    async with local_server({"/p": slow_tail}) as server:
        page = await trusting(server, timeout=TIMEOUT).fetch(f"{server.base}/p")
    assert b"</head>" in page.body and not page.truncated


async def test_a_slow_server_times_out() -> None:
    answered = asyncio.Event()

    async def stall(path: str, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(300)
        answered.set()

    async with local_server({"/slow": stall}) as server:
        with pytest.raises(Refused, match=r"timed out after 0\.3s"):
            await trusting(server, timeout=0.3).fetch(f"{server.base}/slow")
        # Our own timeout ended it, not the server (which is still stalling).
        assert not answered.is_set()


async def test_dns_rebinding_connects_to_the_checked_address() -> None:
    """The resolver answers a public address first and 127.0.0.1 on any later lookup; the
    fetch must resolve once and connect to the address it checked. The recording opener
    stands in for the network (it carries the connection to the local server), so no
    traffic leaves the machine."""
    public = "93.184.216.34"
    answers = [[public], ["127.0.0.1"]]
    lookups: list[str] = []
    connected: list[tuple[str, int, str | None]] = []

    async def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return answers[min(len(lookups), len(answers)) - 1]

    async with local_server({"/": response("200 OK", HTML, PAGE)}) as server:

        async def opener(ip: str, port: int, tls: object, server_hostname: str | None):
            connected.append((ip, port, server_hostname))
            return await asyncio.open_connection("127.0.0.1", server.port)

        fetcher = GuardedFetcher(Policy(ports=frozenset({80})), resolver=rebinding, opener=opener)
        page = await fetcher.fetch("http://rebind.example/")
    assert lookups == ["rebind.example"]
    assert connected == [(public, 80, "rebind.example")]
    assert server.requests == [("rebind.example", "/")]  # Host header: the name, not the IP
    assert metadata(decode(page.body, page.charset)).title == "The & Title"


async def test_one_bad_address_refuses_the_whole_name() -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]

    async def never(*args: object) -> object:
        raise AssertionError("must not connect")

    fetcher = GuardedFetcher(resolver=mixed, opener=never)  # type: ignore[arg-type]
    with pytest.raises(Refused, match=r"127\.0\.0\.1: loopback"):
        await fetcher.fetch("http://mixed.example/")


async def test_https_uses_the_host_name_for_sni_and_verification() -> None:
    seen: list[tuple[str, object, str | None]] = []

    async def resolver(host: str, port: int) -> list[str]:
        return ["2606:4700::1"]

    async def opener(ip: str, port: int, tls: object, server_hostname: str | None):
        seen.append((ip, tls, server_hostname))
        raise ConnectionRefusedError("offline test")

    fetcher = GuardedFetcher(resolver=resolver, opener=opener)
    with pytest.raises(Refused, match="could not connect"):
        await fetcher.fetch("https://bücher.example/x")
    ip, tls, name = seen[0]
    assert ip == "2606:4700::1" and name == "xn--bcher-kva.example"
    assert tls is fetcher.tls and fetcher.tls.check_hostname
