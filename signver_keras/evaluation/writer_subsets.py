"""Writer subsets of an evaluation: the part of a preset's recorded writer split to score.

Shared by the verification runner and the cleaning evaluation, so neither imports the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from signver_keras.data.collections.verification import SignatureRecord, split_writers

SPLIT_PARTS = ("train", "calibration", "test")


def select_writers(
    records: list[SignatureRecord], calibration: dict[str, Any] | None, subset: str | None
) -> tuple[list[SignatureRecord], bool]:
    """Keeps the writers of one part of the preset's recorded writer split.

    Only datasets the preset was trained on are split; a dataset it never saw
    is returned whole. Returns (records, whether the split was applied).
    """
    if subset is None or not records:
        return records, False
    if not calibration or "split" not in calibration:
        raise ValueError("--subset needs a preset whose calibration records its writer split.")
    # Collections are named by their folder ("online/biosecurid" trains as "biosecurid").
    if records[0].dataset not in {Path(name).name for name in calibration.get("datasets", [])}:
        return records, False
    parts = split_writers(records, calibration["split"], calibration["split_seed"])
    return parts[SPLIT_PARTS.index(subset)], True
