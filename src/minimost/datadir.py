"""The data directory: private (0700); it holds the database, keys and uploads."""

from __future__ import annotations

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
