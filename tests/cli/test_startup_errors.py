"""Start-up and CLI failures an operator can fix are ONE line on stderr, naming the problem,
with the documented exit code (``cli.exits``; docs/admin.md) and never a traceback.

Every case is a real ``python -m minimost`` process against real services: a PostgreSQL
database that does not exist, a Redis port nobody listens on, a port another socket holds.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from minimost.cli import exits
from tests.live import free_port

MISSING_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/mm_does_not_exist_xyz"
DOCS = Path(__file__).resolve().parents[2] / "docs"
HANG_GUARD = 180  # seconds; a start-up error takes a second or two


def minimost(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINIMOST_")}
    return subprocess.run(
        [sys.executable, "-m", "minimost", *map(str, args)],
        capture_output=True, text=True, timeout=HANG_GUARD, check=False, env=env,
    )  # fmt: skip


def the_line(proc: subprocess.CompletedProcess[str]) -> str:
    """stderr is exactly one ``minimost: error: ...`` line, no traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("minimost: error: "), lines[0]
    return lines[0]


def closed_port() -> int:
    """A port nothing listens on (bound for a moment by us, then released)."""
    return free_port()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data directory with a database in it (``db upgrade`` creates one)."""
    path = tmp_path / "data"
    proc = minimost("db", "upgrade", "--data-dir", path)
    assert proc.returncode == 0, proc.stderr
    return path


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


# --- the database ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--no-tls", "--port", "0"],
        ["users", "list"],
        ["reset-password", "alice"],
        ["db", "upgrade"],
    ],
    ids=["serve", "users-list", "reset-password", "db-upgrade"],
)
def test_a_missing_postgresql_database_is_one_line(command: list[str], data: Path) -> None:
    if command[0] == "serve":
        command[-1] = str(free_port())
    proc = minimost(*command, "--data-dir", data, "--database-url", MISSING_PG)
    line = the_line(proc)
    assert proc.returncode == exits.DATABASE == 4
    assert "mm_does_not_exist_xyz" in line and "does not exist" in line


def test_an_unreachable_postgresql_server_is_one_line(data: Path) -> None:
    port = closed_port()
    url = f"postgresql+asyncpg://postgres:s3cret@127.0.0.1:{port}/minimost"
    proc = minimost("users", "list", "--data-dir", data, "--database-url", url)
    line = the_line(proc)
    assert proc.returncode == exits.DATABASE
    assert f"127.0.0.1:{port}" in line
    assert "s3cret" not in line  # the password never reaches a log


@pytest.mark.parametrize("url", ["mysql://root@localhost/chat", "postgres://u@h/db", "nonsense"])
def test_an_unknown_database_scheme_is_a_settings_error(url: str, data: Path) -> None:
    proc = minimost("--no-tls", "--port", str(free_port()), "--data-dir", data,
                    "--database-url", url)  # fmt: skip
    line = the_line(proc)
    assert proc.returncode == exits.USAGE == 2
    assert "database_url" in line and "postgresql+asyncpg://" in line


# --- the bus ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["serve", "--no-tls", "--port", "0"], ["users", "promote", "nobody"]],
    ids=["serve", "users-promote"],
)
def test_an_unreachable_redis_is_one_line(command: list[str], data: Path) -> None:
    if command[0] == "serve":
        command[-1] = str(free_port())
    port = closed_port()
    proc = minimost(*command, "--data-dir", data, "--bus-url", f"redis://127.0.0.1:{port}/0")
    line = the_line(proc)
    assert proc.returncode == exits.BUS == 5
    assert f"redis://127.0.0.1:{port}" in line


# --- the port --------------------------------------------------------------------------


@pytest.mark.parametrize("tls", [False, True], ids=["no-tls", "tls"])
def test_a_port_in_use_is_one_line_with_a_hint(tls: bool, taken_port: int, tmp_path: Path) -> None:
    flags = [] if tls else ["--no-tls"]
    proc = minimost("serve", *flags, "--port", str(taken_port), "--data-dir", tmp_path / "d")
    line = the_line(proc)
    assert proc.returncode == exits.LISTEN == 6
    assert f"127.0.0.1:{taken_port}" in line and "in use" in line and "--port" in line


def test_a_port_in_use_with_workers_is_one_line(taken_port: int, tmp_path: Path) -> None:
    proc = minimost("serve", "--no-tls", "--port", str(taken_port), "--data-dir", tmp_path / "d",
                    "--workers", "2", "--bus-url", "redis://127.0.0.1:6379/0")  # fmt: skip
    the_line(proc)
    assert proc.returncode == exits.LISTEN


# --- storage ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["users", "list"],
        ["users", "show", "alice"],
        ["users", "disable", "alice"],
        ["reset-password", "alice"],
        ["audit"],
        ["backup", "{tmp}/backup"],
    ],
    ids=["users-list", "users-show", "users-disable", "reset-password", "audit", "backup"],
)
def test_admin_commands_refuse_a_data_dir_that_does_not_exist(
    command: list[str], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-dir"
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    proc = minimost(*args, "--data-dir", missing)
    line = the_line(proc)
    assert proc.returncode == exits.STORAGE == 7
    assert str(missing) in line and "does not exist" in line
    assert not missing.exists()  # no silent empty database


def test_admin_commands_refuse_a_data_dir_without_a_database(tmp_path: Path) -> None:
    proc = minimost("users", "list", "--data-dir", tmp_path)
    line = the_line(proc)
    assert proc.returncode == exits.STORAGE
    assert str(tmp_path) in line and "minimost.db" in line
    assert not (tmp_path / "minimost.db").exists()


def test_serve_and_db_upgrade_create_the_data_dir(tmp_path: Path) -> None:
    # serve: covered by every ServerProcess test (tests/live.py starts on a fresh dir).
    proc = minimost("db", "upgrade", "--data-dir", tmp_path / "fresh")
    assert proc.returncode == exits.OK, proc.stderr
    assert (tmp_path / "fresh" / "minimost.db").is_file()


def test_a_data_dir_serve_cannot_create_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    proc = minimost("serve", "--no-tls", "--port", str(free_port()), "--data-dir", blocker / "d")
    line = the_line(proc)
    assert proc.returncode == exits.STORAGE
    assert str(blocker) in line


@pytest.mark.parametrize("where", ["below-a-file", "is-a-file"])
def test_a_backup_target_that_cannot_be_written_is_one_line(where: str, data: Path) -> None:
    blocker = data.parent / "a-file"
    blocker.write_text("not a directory")
    target = blocker / "backup" if where == "below-a-file" else blocker
    proc = minimost("backup", target, "--data-dir", data)
    line = the_line(proc)
    assert proc.returncode == exits.STORAGE
    assert str(blocker) in line


# --- the documentation -----------------------------------------------------------------


@pytest.mark.parametrize("doc", ["admin.md", "operations.md"])
def test_every_exit_code_is_documented(doc: str) -> None:
    text = (DOCS / doc).read_text()
    for name in ("OK", "REFUSED", "USAGE", "DATABASE", "BUS", "LISTEN", "STORAGE"):
        code = getattr(exits, name)
        assert re.search(rf"^\| {code} \|", text, re.M), f"{doc} does not list exit code {code}"
