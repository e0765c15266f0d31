"""``minimost serve``: prepare the data directory, TLS and schema once, then run uvicorn.

Start-up work that must happen exactly once (migrations, settings channels, certificates)
runs here in the parent process, before any worker exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import resource
import socket
import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import uvicorn
from uvicorn.supervisors import multiprocess
from uvicorn.supervisors.multiprocess import Process

from minimost import __version__
from minimost.cli.connection_guard import ConnectionLimits, GuardedConfig, protocol_class
from minimost.config import Settings
from minimost.datadir import prepare_data_dir, record_server_address

from . import exits, preflight

if TYPE_CHECKING:
    from fastapi import FastAPI

    from minimost.web.state import AppState

log = logging.getLogger("minimost")
WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104  # nosec B104  # recognising, not binding
SETTINGS_ENV = "MINIMOST__RESOLVED_SETTINGS"  # how workers receive the parent's settings
SETTINGS_PATH_ENV = "MINIMOST__SETTINGS_PATH"  # the settings.json workers watch for reloads


def raise_open_file_limit() -> int:
    """Every socket is a file: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def _bootstrap(settings: Settings) -> list[str]:
    from minimost.app import bootstrap, build_ctx
    from minimost.db.engine import Database
    from minimost.domain.events import Published

    class _Discard:
        # Nobody is connected yet; the events are in the log for later replay.
        async def publish(self, event: Published) -> None:
            return None

    async def run() -> list[str]:
        db = Database(settings.db_url)
        try:
            return await bootstrap(build_ctx(settings, db, _Discard()))
        finally:
            await db.dispose()

    return asyncio.run(run())


def configure_logging() -> None:
    """Our log format for the parent and, being spawned, every ``--workers`` child."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


def worker_app() -> FastAPI:
    """uvicorn factory for ``--workers N`` (each worker process builds its own app)."""
    from minimost.app import create_app

    configure_logging()
    settings = Settings.model_validate_json(os.environ[SETTINGS_ENV])
    path = os.environ.get(SETTINGS_PATH_ENV)
    return create_app(settings, run_bootstrap=False, settings_path=Path(path) if path else None)


# After asking every connection to close, how long shutdown lets a closing connection finish
# on its own before dropping it. Browsers answer our close frame but then wait for us to end
# the TCP connection, and over TLS they never answer our close_notify: without a bound such a
# connection stays "closing" until asyncio's 30 s TLS shutdown timeout, past uvicorn's
# graceful timeout. A connection with nothing left to send is dropped sooner (FLUSHED_GRACE):
# the kernel still delivers what it holds; only the peer's answer to our close is ignored.
CLOSE_LINGER = 1.0
FLUSHED_GRACE = 0.2
GRACEFUL_TIMEOUT = 10  # seconds for in-flight HTTP requests to finish after SIGTERM


class MiniMostServer(uvicorn.Server):
    """uvicorn's server with our shutdown: sockets get 1001 "going away" (clients resume
    with ``since`` at once), in-flight requests finish, and connections that only wait for
    the peer to finish closing are dropped after ``CLOSE_LINGER``; the process exits 0.

    A background service that fails the process (``minimost.supervisor``) shuts the server
    down the same graceful way, and ``run`` then exits with ``exits.SERVICE``."""

    def _state(self) -> AppState | None:
        app = self.config.loaded_app
        while app is not None and not hasattr(getattr(app, "state", None), "minimost"):
            app = getattr(app, "app", None)
        return None if app is None else cast("AppState", app.state.minimost)

    @property
    def failed_service(self) -> str | None:
        """The background service that failed the process, if one did."""
        state = self._state()
        supervisor = state.supervisor if state is not None else None
        failed = supervisor.failed if supervisor is not None else None
        return failed.service if failed is not None else None

    async def on_tick(self, counter: int) -> bool:
        # uvicorn's main loop asks ten times a second whether to exit.
        return await super().on_tick(counter) or self.failed_service is not None

    def run(self, sockets: list[socket.socket] | None = None) -> None:
        super().run(sockets)
        if self.failed_service is not None:
            # The supervisor's one ERROR line named the service and said it fails the
            # process; a service manager sees the exit code (and restarts us).
            sys.exit(exits.SERVICE)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        state = self._state()
        if state is not None:
            hub = state.hub
            if hub.close_all():
                # Let the close handshakes complete: each handler detaches when the client
                # answers. A client that never answers is dropped below.
                await _until(lambda: not hub.by_user, CLOSE_LINGER)
        for connection in list(self.server_state.connections):
            connection.shutdown = _tolerant(connection)  # type: ignore[method-assign]
        await super().shutdown(sockets)

    async def _wait_tasks_to_complete(self) -> None:
        # uvicorn waits until every connection is gone. A connection whose transport is
        # closing has no request left to finish (uvicorn closes only idle or finished
        # ones): it gets FLUSHED_GRACE once its write buffer is empty, at most CLOSE_LINGER,
        # to finish closing, then is dropped. In-flight requests keep their transport open
        # and are waited for, up to the graceful timeout.
        loop = asyncio.get_running_loop()
        closing_since: dict[object, float] = {}
        while self.server_state.connections and not self.force_exit:
            now = loop.time()
            for connection in list(self.server_state.connections):
                transport = getattr(connection, "transport", None)
                if transport is None or not transport.is_closing():
                    continue
                waited = now - closing_since.setdefault(connection, now)
                flushed = transport.get_write_buffer_size() == 0
                if waited >= CLOSE_LINGER or (flushed and waited >= FLUSHED_GRACE):
                    transport.abort()
            await asyncio.sleep(0.02)
        await super()._wait_tasks_to_complete()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        with super().capture_signals():
            yield
            # uvicorn re-raises the captured SIGTERM/SIGINT after a graceful shutdown, so
            # the process would end "killed by SIGTERM" (exit -15). For our CLI a requested
            # stop that completed is a success: exit 0.
            self._captured_signals.clear()


async def _until(done: Callable[[], bool], limit: float) -> None:
    """Poll a cheap condition for at most ``limit`` seconds (shutdown must not hang on it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not done():
        if loop.time() >= deadline:
            return
        await asyncio.sleep(0.02)


class WorkerProcess(Process):
    """A ``--workers`` child that runs ``MiniMostServer`` (uvicorn's runs a plain Server)."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = MiniMostServer(config=self.config)
        return self._server


def _tolerant(connection: Any) -> Callable[[], None]:
    """uvicorn's sans-io WebSocket ``shutdown()`` sends a close frame even when the client
    already started the closing handshake, and the resulting ``InvalidState`` aborts the
    whole server shutdown with a traceback (seen in bench/ when clients and server stop
    together). Such a connection is closing anyway: just drop its transport."""
    original = connection.shutdown

    def shutdown() -> None:
        try:
            original()
        except Exception:
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.close()

    return shutdown


def connection_limits(settings: Settings) -> ConnectionLimits:
    return ConnectionLimits(
        max_line=settings.max_header_line_kib * 1024,
        max_head=settings.max_request_head_kib * 1024,
        head_timeout=settings.request_head_timeout_seconds,
        max_per_ip=settings.max_connections_per_ip,
        exempt=tuple(settings.connection_cap_exempt),
    )


def _urls(settings: Settings) -> list[str]:
    scheme = "https" if settings.tls else "http"
    if settings.host in WILDCARDS:
        from minimost.tls import local_names

        _, ips = local_names()
        hosts = ["127.0.0.1"] + [str(ip) for ip in ips if ip.version == 4 and not ip.is_loopback]
    else:
        hosts = [settings.host]
    return [f"{scheme}://{h}:{settings.port}" for h in hosts]


def _banner(settings: Settings, ca: str | None, fd_limit: int, notes: list[str]) -> None:
    from rich.console import Console

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    urls = _urls(settings)
    console.print(f"[bold]MiniMost {__version__}[/bold] is starting")
    console.print(f"  Open       [bold cyan]{urls[0]}[/bold cyan]")
    for url in urls[1:]:
        console.print(f"             {url}")
    db = "SQLite " + str(settings.data_dir / "minimost.db") if settings.is_sqlite else "PostgreSQL"
    console.print(f"  Data       {settings.data_dir}  ({db})")
    if ca:
        console.print(f"  CA cert    {ca}  (trust it on clients, or download {urls[0]}/ca.pem)")
    else:
        console.print("  TLS        off (--no-tls): put a TLS-terminating proxy in front")
    console.print(f"  Bus        {settings.bus_url.split('@')[-1]}   workers: {settings.workers}")
    console.print(
        f"  Sockets    up to ~{max(fd_limit - 100, 0):,} concurrent connections per process"
    )
    for note in notes:
        console.print(f"  Note       {note}")


def run_server(settings: Settings, settings_path: Path | None = None) -> None:
    configure_logging()
    os.umask(0o077)
    notes = prepare_data_dir(settings.data_dir)
    # Fixable problems become one line and an exit code (cli.exits), before the banner.
    sock = preflight.listen_socket(settings.host, settings.port)
    asyncio.run(preflight.check_database(settings.db_url))
    asyncio.run(preflight.check_bus(settings.bus_url))
    record_server_address(
        settings.data_dir, scheme="https" if settings.tls else "http", host=settings.host,
        port=settings.port,
    )  # fmt: skip
    fd_limit = raise_open_file_limit()
    ssl_kwargs: dict[str, Any] = {}
    ca: str | None = None
    if settings.tls:
        from minimost.tls import ensure_tls

        extra = [] if settings.host in WILDCARDS else [settings.host]
        files, tls_notes = ensure_tls(settings.data_dir, extra_hosts=extra)
        notes += tls_notes
        ssl_kwargs = {"ssl_certfile": str(files.server_cert), "ssl_keyfile": str(files.server_key)}
        ca = str(files.ca_cert)
    created = _bootstrap(settings)
    if created:
        notes.append("created channels: " + ", ".join(created))
    _banner(settings, ca, fd_limit, notes)

    limits = connection_limits(settings)
    common: dict[str, Any] = {
        "limits": limits,
        "http": protocol_class(settings.http_parser),
        # Our guard bounds heads before h11 sees them; h11's own bound is a backstop.
        "h11_max_incomplete_event_size": limits.max_head,
        "host": settings.host,
        "port": settings.port,
        "ws": "websockets-sansio",
        # Server pings find dead peers; browsers also ping every 25 s, which keeps proxies
        # (nginx's default read timeout is 60 s) from closing idle sockets.
        "ws_ping_interval": 45.0,
        "ws_ping_timeout": 30.0,
        "ws_max_size": 64 * 1024,
        "ws_per_message_deflate": False,
        # X-Forwarded-* matters only behind a TLS-terminating proxy (--no-tls); with our own
        # TLS, clients connect directly and the header check would be work for nothing.
        "proxy_headers": not settings.tls,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "server_header": False,
        "access_log": False,
        "timeout_graceful_shutdown": GRACEFUL_TIMEOUT,
        "backlog": 4096,
        # Our banner says where we listen; per-socket "connection open" lines would cost
        # real CPU with 10,000s of sockets.
        "log_level": "warning",
        **ssl_kwargs,
    }
    # Long-lived sockets mean many long-lived objects: collect the young generation less often.
    gc.set_threshold(50_000, 20, 100)
    if settings.workers > 1:
        os.environ[SETTINGS_ENV] = settings.model_dump_json()
        if settings_path is not None:
            os.environ[SETTINGS_PATH_ENV] = str(settings_path.resolve())
        config = GuardedConfig(
            "minimost.cli.server:worker_app", factory=True, workers=settings.workers, **common
        )
    else:
        from minimost.app import create_app

        app = create_app(settings, run_bootstrap=False, settings_path=settings_path)
        config = GuardedConfig(app, **common)
    server = MiniMostServer(config)
    if settings.workers > 1:
        # uvicorn's supervisor builds its workers from this module-level name; ours run
        # MiniMostServer, so a worker's shutdown is the single process's.
        multiprocess.Process = WorkerProcess  # type: ignore[misc]
        multiprocess.Multiprocess(config, sockets=[sock]).run()
    else:
        server.run(sockets=[sock])
    sys.stdout.flush()
