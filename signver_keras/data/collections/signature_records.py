"""Records of verification datasets: one signature image, its writer and whether it is genuine.

`SignatureRecord`, CSV manifests and label parsing, shared by `verification`
(splits, the `LAYOUT:PATH` loader) and `verification_layouts` (published folder layouts).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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
