"""A tiny random pipeline preset for the UI tests, the UI benchmark and the screenshot script.

The detector's weights are random, so its scores mean nothing: it is saved
with `score_threshold=0.0`, one class ("signature") and at most three boxes
per page, so every page shows exactly three signature boxes at the default
threshold (deterministic, unlike a low threshold over four random classes).
The extractor's calibration carries made-up score histograms so the Verify
tab draws its distribution plot.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import signver_keras as sv  # noqa: E402
from tests.tiny_models import (  # noqa: E402
    TEST_CALIBRATION,
    tiny_cleaner,
    tiny_detector,
    tiny_extractor,
)

HISTOGRAMS = {
    "edges": [round(0.2 + 0.04 * i, 2) for i in range(21)],
    "genuine": [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 7, 11, 15, 18, 16, 12, 7, 3],
    "skilled": [0, 0, 0, 1, 2, 4, 8, 12, 16, 18, 15, 11, 7, 4, 2, 1, 0, 0, 0, 0],
}


def build_tiny_pipeline(folder: str | os.PathLike) -> Path:
    """Saves a random detector + cleaner + extractor pipeline preset to `folder`."""
    detector = tiny_detector(class_names=("signature",), score_threshold=0.0, max_detections=3)
    cleaner = tiny_cleaner()
    # Made-up score histograms so the Verify tab draws its distribution plot.
    extractor = tiny_extractor({**TEST_CALIBRATION, "score_histograms": HISTOGRAMS})
    folder = Path(folder)
    sv.SignatureVerifier(extractor, detector=detector, cleaner=cleaner).save_to_preset(folder)
    return folder


if __name__ == "__main__":
    import sys

    print(build_tiny_pipeline(sys.argv[1]))
