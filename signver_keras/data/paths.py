"""Where the real datasets live: `$SIGNVER_DATA`, else `../shared/data` beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def data_root() -> Path:
    """Folder holding the real datasets (never inside the repository: their licences forbid it)."""
    return Path(os.environ.get("SIGNVER_DATA", REPO_ROOT.parent / "shared" / "data"))
