"""The data directory: private (0700) and holding the server secret."""

from __future__ import annotations

import os
import secrets
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


def load_secret(path: Path) -> bytes:
    """32 random bytes kept in ``secret.key`` (0600); created on first use."""
    key_file = path / "secret.key"
    try:
        return bytes.fromhex(key_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        pass
    secret = secrets.token_bytes(32)
    tmp = key_file.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret.hex())
    os.replace(tmp, key_file)
    return secret
