"""Verification datasets: records of (image, writer, genuine/forged) and writer-disjoint splits."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from signver_keras.data.collections.signature_records import (  # noqa: F401  (public here too)
    FORGED_LABELS,
    GENUINE_LABELS,
    DatasetLayoutError,
    SignatureRecord,
    manifest_rows,
    parse_label,
    read_csv,
)


def writers(records: Iterable[SignatureRecord]) -> list[str]:
    return sorted({record.writer_id for record in records})


def split_writers(
    records: Sequence[SignatureRecord], fractions: Sequence[float], seed: int = 0
) -> list[list[SignatureRecord]]:
    """Splits records into writer-disjoint parts with the given fractions of writers.

    The assignment depends only on the writer ids and the seed (a hash order),
    so adding or removing other writers never moves a writer between parts.
    """
    if not np.isclose(sum(fractions), 1.0) or min(fractions) < 0:
        raise ValueError(f"fractions must be non-negative and sum to 1; received {fractions}.")
    ordered = sorted(
        writers(records), key=lambda w: hashlib.sha256(f"{seed}:{w}".encode()).hexdigest()
    )
    bounds = np.round(np.cumsum([0, *fractions]) * len(ordered)).astype(int)
    part_of = {w: i for i in range(len(fractions)) for w in ordered[bounds[i] : bounds[i + 1]]}
    parts: list[list[SignatureRecord]] = [[] for _ in fractions]
    for record in records:
        parts[part_of[record.writer_id]].append(record)
    return parts


def load_verification_data(spec: str) -> list[SignatureRecord]:
    """Loads records from a `LAYOUT:PATH` string.

    Layouts: `manifest:FOLDER` (a folder with MANIFEST.csv, as in ../shared/data),
    `csv:FILE` (columns path, writer_id, label), `online:FOLDER` (pen trajectories,
    rendered on demand; see `online_signatures`), and the published collections'
    own folder layouts (`cedar`, `sigcomp2011`, `bhsig260`, `gpds`,
    `gpds_synthetic`, `mcyt75`; see `verification_layouts`).
    """
    layout, sep, path = spec.partition(":")
    if not sep:
        raise DatasetLayoutError(f"Expected LAYOUT:PATH (e.g. manifest:DIR); received '{spec}'.")
    if layout == "manifest":
        return read_csv(Path(path) / "MANIFEST.csv", dataset=Path(path).name)
    if layout == "csv":
        return read_csv(path)
    from signver_keras.data.collections.verification_layouts import LAYOUT_LOADERS, load_records

    if layout in LAYOUT_LOADERS:
        return load_records(layout, path)
    known = ", ".join(["manifest", "csv", *sorted(LAYOUT_LOADERS)])
    raise DatasetLayoutError(f"Unknown layout '{layout}' in '{spec}'. Known: {known}.")
