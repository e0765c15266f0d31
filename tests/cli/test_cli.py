"""The command line: flags, settings errors as one line with exit code 2, db upgrade."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from minimost import __version__
from minimost.cli import app

runner = CliRunner()


def write_settings(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(data))
    return path


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"minimost {__version__}"


def test_bad_stun_port_stops_with_one_line_and_code_2(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, {"stun_port": 70000})
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "d"), "--settings", str(settings)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "stun_port" in lines[0]
    assert "65535" in lines[0]


def test_bad_rate_limit_names_the_nested_key(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, {"rate_limits": {"send": "x"}})
    result = runner.invoke(app, ["serve", "--settings", str(settings), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "rate_limits.send" in result.stderr


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, {"max_login_attempts": -1})
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "minimost",
            "--settings",
            str(settings),
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("minimost: error:")
    assert "max_login_attempts" in proc.stderr


def test_invalid_json_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{nope")
    result = runner.invoke(app, ["--settings", str(path), "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr


def test_env_override_is_validated(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--data-dir", str(tmp_path)], env={"MINIMOST_STUN_PORT": "0"})
    assert result.exit_code == 2
    assert "MINIMOST_STUN_PORT" in result.stderr


def test_workers_need_a_shared_bus(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--workers", "2", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--bus-url redis://" in result.stderr


def test_db_upgrade_creates_a_private_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = runner.invoke(app, ["db", "upgrade", "--data-dir", str(data)])
    assert result.exit_code == 0, result.stderr
    assert "up to date" in result.stdout
    db = data / "minimost.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    # Idempotent: a second run is a no-op at head.
    again = runner.invoke(app, ["db", "upgrade", "--data-dir", str(data)])
    assert again.exit_code == 0


def test_help_lists_the_contract_flags() -> None:
    result = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for flag in (
        "--host",
        "--port",
        "--data-dir",
        "--settings",
        "--database-url",
        "--bus-url",
        "--workers",
        "--no-tls",
    ):
        assert flag in result.stdout


def test_python_dash_m_works() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "minimost", "--version"],
        capture_output=True, text=True, timeout=60, check=True,
        env={**os.environ},
    )  # fmt: skip
    assert proc.stdout.strip() == f"minimost {__version__}"
