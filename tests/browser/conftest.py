"""Browser tests: a real `minimost serve` subprocess driven through Chromium.

Every test gets its own server (fresh data directory, free port). The browser is
shared by the session; each user gets a fresh context, like a separate person on a
separate machine. Playwright's browsers cannot be downloaded here, so we launch the
system Chromium (override with MINIMOST_CHROMIUM).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.live import START_TIMEOUT, TIMEOUT

CHROMIUM = os.environ.get("MINIMOST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Link previews off: a posted link must never make a test server fetch from the network.
SETTINGS = {"channels": ["general", "random"], "link_previews": False}
START_TIMEOUT_S = START_TIMEOUT  # one hang guard for every test server (tests/live.py)

# A hang guard too: an expectation returns as soon as it holds, however long this is.
expect.set_options(timeout=TIMEOUT * 1000)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    """`python -m minimost serve` on a fixed port and data dir; can be stopped and restarted."""

    def __init__(self, root: Path, port: int) -> None:
        self.port = port
        self.data_dir = root / "data"
        self.settings = root / "settings.json"
        self.log_path = root / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.write_text(json.dumps(SETTINGS))

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "minimost",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--settings",
            str(self.settings),
        ]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                # Per attempt, a hang guard too: a slow answer on a busy machine still counts.
                health = httpx.get(f"{self.url}/healthz", verify=self._verify(), timeout=TIMEOUT)
                if health.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling a subprocess, not waiting on the page
        self.stop()
        raise RuntimeError(f"server not healthy after {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _verify(self) -> ssl.SSLContext | bool:
        ca = self.data_dir / "tls" / "ca.pem"
        return ssl.create_default_context(cafile=str(ca)) if ca.exists() else False

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, verify=self._verify(), timeout=TIMEOUT)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path, free_port())
    live.start()
    yield live
    live.stop()


@pytest.fixture
def restart_server(server: LiveServer) -> Callable[[], None]:
    """Stop the server and start it again on the same port and data directory."""
    return server.restart


@pytest.fixture
def page_errors() -> dict[Page, list[str]]:
    """Console errors, uncaught exceptions and CSP violations, per page."""
    return {}


CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report on the test item (for screenshots on failure)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    server: LiveServer,
    page_errors: dict[Page, list[str]],
    tmp_path: Path,
) -> Iterator[Callable[..., Page]]:
    """`new_page()` opens a fresh browser context (a new person) on the server."""
    contexts: list[BrowserContext] = []

    def make(**context_options: Any) -> Page:
        context = browser.new_context(
            ignore_https_errors=True, base_url=server.url, **context_options
        )
        context.set_default_timeout(TIMEOUT * 1000)  # actions and navigations: a hang guard
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page_errors[page] = errors

        def on_console(msg: ConsoleMessage) -> None:
            if msg.type == "error":
                errors.append(f"console: {msg.text} @ {msg.location.get('url', '')}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        page.add_init_script(CSP_LISTENER)
        return page

    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        # Leave evidence next to the server log: a screenshot per page.
        for n, page in enumerate(p for c in contexts for p in c.pages):
            shot = tmp_path / f"page-{n}.png"
            page.screenshot(path=str(shot))
            print(f"screenshot {shot} ({page.url}); errors: {page_errors.get(page)}")
        print(f"server log {server.log_path}")
    for context in contexts:
        context.close()
