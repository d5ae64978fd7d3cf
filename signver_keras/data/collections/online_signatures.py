"""Online (pen-trajectory) signature collections as verification records, rendered on demand.

A collection folder holds `trajectories.npz` (`points` float (P, 3) = x, y,
pressure; `offsets` int (N + 1,): signature `i` is
`points[offsets[i]:offsets[i + 1]]`) and `MANIFEST.csv` (`index, writer_id,
label, forger_id`), the format of `../shared/data/online/`. Anyone with tablet
data can write the same two files.

`load_online_records("FOLDER")` (or `load_verification_data("online:FOLDER")`)
returns ordinary `SignatureRecord`s whose `path` is `FOLDER/trajectories.npz#INDEX`;
`record_image` renders such a record (`trajectory_rendering`) and loads any
other record from its image file, so evaluation and training treat online and
scanned collections alike.

Example:
```python
from signver_keras.data.collections.online_signatures import load_online_records, record_image
records = load_online_records("../shared/data/online/biosecurid")
image = record_image(records[0])            # the record's fixed evaluation rendering
again = record_image(records[0], seed=7)    # another pen, paper and scanner
```
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

from signver_keras.data.collections.signature_records import (
    DatasetLayoutError,
    SignatureRecord,
    manifest_rows,
    parse_label,
)
from signver_keras.data.synthetic.trajectory_rendering import (
    MAX_SIDE,
    RenderStyle,
    render_trajectory,
)

TRAJECTORIES = "trajectories.npz"
MARK = f"{TRAJECTORIES}#"


def load_online_records(folder: str | Path) -> list[SignatureRecord]:
    """The records of an online collection folder (see the module docstring)."""
    folder = Path(folder)
    manifest = folder / "MANIFEST.csv"
    for needed in (manifest, folder / TRAJECTORIES):
        if not needed.is_file():
            raise DatasetLayoutError(
                f"Online collection '{folder}' needs MANIFEST.csv and {TRAJECTORIES}; "
                f"'{needed.name}' is missing."
            )
    count = len(_arrays(str(folder / TRAJECTORIES))[1]) - 1
    records = []
    for line, row in manifest_rows(manifest, {"index", "writer_id", "label"}):
        index = int(row["index"])
        if not 0 <= index < count:
            raise DatasetLayoutError(
                f"{manifest}:{line}: index {index} is outside the {count} trajectories."
            )
        records.append(
            SignatureRecord(
                path=f"{folder / TRAJECTORIES}#{index}",
                writer_id=row["writer_id"],
                genuine=parse_label(row["label"], f"{manifest}:{line}"),
                forger_id=row.get("forger_id") or None,
                dataset=folder.name,
            )
        )
    return records


def is_online(record: SignatureRecord) -> bool:
    return MARK in record.path


def trajectory(record: SignatureRecord) -> np.ndarray:
    """The (N, 3) x, y, pressure samples of an online record."""
    file, _, index = record.path.rpartition("#")
    points, offsets = _arrays(file)
    return points[offsets[int(index)] : offsets[int(index) + 1]]


def record_seed(record: SignatureRecord) -> int:
    """A seed that depends only on the record's collection and index (stable across machines)."""
    key = f"{Path(record.path).parent.name}/{record.path.rpartition('#')[2]}"
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def record_image(
    record: SignatureRecord, seed: int | None = None, max_side: int = MAX_SIDE
) -> np.ndarray | str:
    """What a record looks like: a rendering for online records, else its image path.

    Online records are rendered with a style drawn from `seed`, or from
    `record_seed(record)` when None: one fixed, varied rendering per signature
    for evaluation. Other records return their path (every image-taking method
    accepts a path). `max_side` caps a rendering's longer side (see
    `render_trajectory`).
    """
    if not is_online(record):
        return record.path
    seed = record_seed(record) if seed is None else seed
    rng = np.random.default_rng(seed)
    return render_trajectory(trajectory(record), RenderStyle.sample(rng), seed, max_side)


@lru_cache(maxsize=16)
def _arrays(file: str) -> tuple[np.ndarray, np.ndarray]:
    with np.load(file) as data:
        return data["points"], data["offsets"]
