"""The data directory: private (0700); it holds the database, keys and uploads."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path


def prepare_data_dir(path: Path) -> list[str]:
    """Create ``path`` mode 0700, or tighten an existing looser one. Returns warnings."""
    warnings = []
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, 0o700)
        warnings.append(f"{path} was mode {mode:o}; tightened to 700 (it holds keys and messages)")
    return warnings


# Where ``minimost serve`` last listened, so that commands run later from a shell (a reset
# link) name the server's real address even when its --port/--host/--no-tls were given on
# its own command line only.
SERVER_FILE = "server.json"


def record_server_address(data_dir: Path, *, scheme: str, host: str, port: int) -> None:
    path = data_dir / SERVER_FILE
    tmp = path.with_name(path.name + ".part")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump({"scheme": scheme, "host": host, "port": port}, file)
    os.replace(tmp, path)


def last_server_address(data_dir: Path) -> tuple[str, str, int] | None:
    """(scheme, host, port) of the last ``minimost serve`` on ``data_dir``, if any."""
    try:
        data = json.loads((data_dir / SERVER_FILE).read_text())
        scheme, host, port = data["scheme"], data["host"], data["port"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if scheme not in ("http", "https") or not isinstance(host, str) or not isinstance(port, int):
        return None
    return scheme, host, port
