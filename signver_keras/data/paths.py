"""Where the real datasets live: `$SIGNVER_DATA`, else `../shared/data` beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Environment variable that overrides the data folder.
DATA_ENV_VAR = "SIGNVER_DATA"

#: Training caches (prepared arrays, generated pages, tiles): `$SIGNVER_CACHE`, else the user
#: cache folder. Rebuilt on demand, so deleting it costs time only.
CACHE_DIR = Path(os.environ.get("SIGNVER_CACHE") or Path.home() / ".cache" / "signver_keras")

#: Recipe run folders (checkpoints, logs) when `--run-dir` is not given: `$SIGNVER_RUNS`, else
#: `runs/` in the cache folder.
RUNS_DIR = Path(os.environ.get("SIGNVER_RUNS") or CACHE_DIR / "runs")


def data_root() -> Path:
    """Folder holding the real datasets (never inside the repository: their licences forbid it).

    `$SIGNVER_DATA` wins when set to a non-empty value (`~` is expanded); otherwise
    `../shared/data` relative to the repository root. The folder may not exist.

    Example:
    ```python
    from signver_keras.data.paths import data_root
    manifest = data_root() / "tobacco800_signatures_valid" / "MANIFEST.csv"
    ```
    """
    override = os.environ.get(DATA_ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser()
    return REPO_ROOT.parent / "shared" / "data"


def collection_spec(name: str) -> str:
    """`LAYOUT:PATH` of a collection under `data_root()`: online trajectories or a manifest.

    `name` is a folder under the data root, e.g. `sigcomp2011_dutch` or `online/biosecurid`.
    """
    folder = data_root() / name
    return f"{'online' if (folder / 'trajectories.npz').exists() else 'manifest'}:{folder}"
