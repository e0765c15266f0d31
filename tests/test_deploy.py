"""deploy/minimost.service: the hardening and the command the spec promises are all there."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from minimost.cli import app

UNIT = Path(__file__).resolve().parent.parent / "deploy" / "minimost.service"


class _Repeated(dict[str, Any]):
    """systemd allows a key more than once (SystemCallFilter=...); keep every value."""

    def __setitem__(self, key: str, value: Any) -> None:
        if isinstance(value, list) and key in self:
            self[key].extend(value)
        else:
            super().__setitem__(key, value)


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    parser = configparser.RawConfigParser(
        dict_type=_Repeated,
        strict=False,
        empty_lines_in_values=False,
        delimiters=("=",),
        comment_prefixes=("#", ";"),
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return {
        section: {key: (value or "").split("\n") for key, value in parser[section].items()}
        for section in parser.sections()
    }


@pytest.fixture(scope="module")
def unit() -> dict[str, dict[str, list[str]]]:
    return parse_unit(UNIT)


def one(unit: dict[str, dict[str, list[str]]], key: str) -> str:
    values = unit["Service"][key]
    assert len(values) == 1, (key, values)
    return values[0]


def test_runs_the_contract_command_on_the_service_port(unit) -> None:
    command = shlex.split(one(unit, "ExecStart"))
    assert Path(command[0]).name == "minimost"
    assert command[1:] == [
        "serve", "--host", "0.0.0.0", "--port", "6767", "--data-dir", "/var/lib/minimost",
    ]  # fmt: skip
    # The data directory is the one systemd creates and hands to the dynamic user.
    assert command[-1] == "/var/lib/" + one(unit, "StateDirectory")
    # Every flag is one `minimost serve` really accepts.
    help_text = CliRunner().invoke(app, ["serve", "--help"]).stdout
    for flag in (word for word in command if word.startswith("--")):
        assert flag in help_text, flag


def test_runs_as_a_dynamic_user_with_private_state(unit) -> None:
    service = unit["Service"]
    assert one(unit, "DynamicUser") == "yes"
    assert "User" not in service and "Group" not in service
    assert one(unit, "StateDirectory") == "minimost"
    assert one(unit, "StateDirectoryMode") == "0700"
    assert one(unit, "UMask") == "0077"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("ProtectHome", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictSUIDSGID", "yes"),
        ("RestrictNamespaces", "yes"),
        ("LockPersonality", "yes"),
        ("SystemCallArchitectures", "native"),
        # Empty: no capability at all (both ports are above 1024).
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
    ],
)
def test_hardening_directive(unit, key: str, value: str) -> None:
    assert one(unit, key) == value


def test_network_and_system_calls_are_restricted(unit) -> None:
    families = set(one(unit, "RestrictAddressFamilies").split())
    assert {"AF_INET", "AF_INET6", "AF_UNIX"} <= families
    assert families <= {"AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK"}  # no AF_PACKET etc.
    filters = unit["Service"]["SystemCallFilter"]
    assert "@system-service" in filters
    assert "~@privileged" in filters
    # A filtered call must fail softly: setrlimit and friends are tried and may be refused.
    assert one(unit, "SystemCallErrorNumber") == "EPERM"


def test_restarts_and_starts_at_boot(unit) -> None:
    assert one(unit, "Restart") == "on-failure"
    assert int(one(unit, "LimitNOFILE")) >= 65536  # every socket is a file descriptor
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    assert "network-online.target" in unit["Unit"]["After"][0]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    minimost = shutil.which("minimost")
    assert minimost is not None
    # verify checks that ExecStart exists: point it at the installed command.
    text = UNIT.read_text(encoding="utf-8").replace("/opt/minimost/bin/minimost", minimost)
    copy = tmp_path / "minimost.service"
    copy.write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "minimost.service" not in result.stderr, result.stderr
