"""Verification datasets: records of (image, writer, genuine/forged) and writer-disjoint splits."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signver_keras.errors import SignverError

GENUINE_LABELS = {"genuine", "g", "1", "true", "original", "org"}
FORGED_LABELS = {"forgery", "forged", "f", "0", "false", "skilled", "forg"}


class DatasetLayoutError(SignverError, ValueError):
    """A dataset folder or manifest does not have the expected layout."""


@dataclass(frozen=True)
class SignatureRecord:
    """One signature image of a verification dataset.

    `writer_id` is the writer whose signature this is *meant* to be: for a
    skilled forgery it is the imitated writer, and `forger_id` (when known)
    says who forged it.
    """

    path: str
    writer_id: str
    genuine: bool
    forger_id: str | None = None
    dataset: str = ""
    subset: str = ""


def parse_label(value: str, where: str) -> bool:
    label = value.strip().lower()
    if label in GENUINE_LABELS:
        return True
    if label in FORGED_LABELS:
        return False
    raise DatasetLayoutError(
        f"{where}: label '{value}' is neither genuine ({sorted(GENUINE_LABELS)}) nor forged "
        f"({sorted(FORGED_LABELS)})."
    )


def manifest_rows(path: Path, required: set[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a CSV manifest that has at least the `required` columns."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if not required <= set(reader.fieldnames or ()):
            raise DatasetLayoutError(
                f"Manifest '{path}' needs columns {sorted(required)}; found {reader.fieldnames}."
            )
        yield from enumerate(reader, start=2)


def read_csv(
    path: str | Path, root: str | Path | None = None, dataset: str = ""
) -> list[SignatureRecord]:
    """Reads a generic CSV with columns `path, writer_id, label` (optional `forger_id`, `subset`).

    Relative image paths are resolved against `root` (default: the CSV's folder).
    Every referenced image must exist; missing ones are reported together.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetLayoutError(f"Manifest '{path}' does not exist.")
    root = Path(root) if root is not None else path.parent
    records, missing = [], []
    for line, row in manifest_rows(path, {"path", "writer_id", "label"}):
        image = root / row["path"]
        if not image.is_file():
            missing.append(str(image))
            continue
        records.append(
            SignatureRecord(
                path=str(image),
                writer_id=row["writer_id"],
                genuine=parse_label(row["label"], f"{path}:{line}"),
                forger_id=(row.get("forger_id") or None),
                dataset=dataset or path.parent.name,
                subset=row.get("subset") or "",
            )
        )
    if missing:
        raise DatasetLayoutError(
            f"Manifest '{path}' lists {len(missing)} image(s) that do not exist, "
            f"e.g. {missing[:3]}."
        )
    return records


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
    if layout == "online":
        from signver_keras.data.online_signatures import load_online_records

        return load_online_records(path)
    from signver_keras.data.verification_layouts import LAYOUT_LOADERS, load_records

    if layout in LAYOUT_LOADERS:
        return load_records(layout, path)
    known = ", ".join(["manifest", "csv", "online", *sorted(LAYOUT_LOADERS)])
    raise DatasetLayoutError(f"Unknown layout '{layout}' in '{spec}'. Known: {known}.")
