"""Checks that turn an operator's fixable problem into one line and a documented exit code
(``cli.exits``) before any real work starts: a data directory that is not there, a database
or bus that cannot be reached, a port that cannot be listened on.

Each check does its own tiny round trip (``SELECT 1``, ``PING``) so that a failure is known
to be about reaching that service, not a bug further on that deserves its traceback.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from minimost.config import Settings

from .exits import BUS, DATABASE, LISTEN, STORAGE, fail

CONNECT_TIMEOUT = 10.0  # seconds; an address that drops packets must not hang the CLI


def _reason(exc: BaseException) -> str:
    """The innermost cause, as its first line (drivers wrap the useful part)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
        if not isinstance(inner, BaseException):
            break
        exc = inner
    if isinstance(exc, OSError) and exc.errno and exc.errno > 0:
        return os.strerror(exc.errno).lower()  # "connection refused", not the driver's prose
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    if isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:.0f} s"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def shown_url(url: str) -> str:
    """``url`` without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        parts = urlsplit(url)
        return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _where(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite database {parsed.database}"
    return f"the database {shown_url(url)}"


# --- the data directory ----------------------------------------------------------------


def require_data_dir(settings: Settings) -> None:
    """Admin commands work on an existing installation: a mistyped ``--data-dir`` must not
    become a silent empty database. (``serve``, ``restore`` and ``db upgrade`` create one.)"""
    path = settings.data_dir
    if not path.exists():
        raise fail(
            f"the data directory {path} does not exist: pass the server's --data-dir "
            "(only serve, restore and db upgrade create one)",
            STORAGE,
        )
    if not path.is_dir():
        raise fail(f"the data directory {path} is not a directory", STORAGE)
    if settings.is_sqlite:
        database = Path(make_url(settings.db_url).database or "")
        if not database.is_file():
            raise fail(
                f"no MiniMost database in {path} ({database.name} is missing): is --data-dir "
                "the server's? (serve creates the database at its first start)",
                STORAGE,
            )


# --- services --------------------------------------------------------------------------


async def check_database(url: str) -> None:
    from sqlalchemy import text

    from minimost.db.engine import Database

    try:
        db = Database(url)
    except Exception as exc:
        raise fail(f"cannot use {_where(url)}: {_reason(exc)}", DATABASE) from None
    try:
        async with db.read() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        reason = _reason(exc)
        if reason.startswith("database ") and reason.endswith("does not exist"):
            reason += f" (create it: createdb {make_url(url).database})"
        raise fail(f"cannot use {_where(url)}: {reason}", DATABASE) from None
    finally:
        await db.dispose()


async def check_bus(url: str) -> None:
    if url.startswith("memory://"):
        return
    from redis.asyncio import Redis

    from minimost.realtime.bus.redis import split_prefix

    client = Redis.from_url(split_prefix(url)[0], socket_connect_timeout=CONNECT_TIMEOUT)
    try:
        await client.ping()
    except Exception as exc:
        raise fail(f"cannot reach the bus {shown_url(url)}: {_reason(exc)}", BUS) from None
    finally:
        await client.aclose()


# --- the listening socket --------------------------------------------------------------


def listen_socket(host: str, port: int) -> socket.socket:
    """Bind ``host:port`` the way uvicorn would, but say what is wrong in one line instead
    of uvicorn's log line and exit code 1/3. The socket is handed to uvicorn."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    where = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
    try:
        sock.bind((host, port))
    except (socket.gaierror, UnicodeError) as exc:
        sock.close()
        raise fail(f"--host {host!r} is not a known address ({_reason(exc)})", LISTEN) from None
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            problem = "is already in use (another MiniMost?): stop it or choose another --port"
        elif exc.errno == errno.EACCES:
            problem = "needs privileges (ports below 1024): use a --port from 1024 up"
        elif exc.errno == errno.EADDRNOTAVAIL:
            problem = "is not an address of this machine: check --host"
        else:
            problem = f"cannot be used ({_reason(exc)}): check --host and --port"
        raise fail(f"{where} {problem}", LISTEN) from None
    sock.set_inheritable(True)  # --workers: the worker processes accept on it
    return sock
