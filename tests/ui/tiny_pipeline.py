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

import keras  # noqa: E402

import signver_keras as sv  # noqa: E402

HISTOGRAMS = {
    "edges": [round(0.2 + 0.04 * i, 2) for i in range(21)],
    "genuine": [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 7, 11, 15, 18, 16, 12, 7, 3],
    "skilled": [0, 0, 0, 1, 2, 4, 8, 12, 16, 18, 15, 11, 7, 4, 2, 1, 0, 0, 0, 0],
}


def build_tiny_pipeline(folder: str | os.PathLike) -> Path:
    """Saves a random detector + cleaner + extractor pipeline preset to `folder`."""
    keras.utils.set_random_seed(0)
    detector = sv.SignatureDetector(
        sv.models.SignatureDetectorBackbone(
            image_shape=(64, 64, 1),
            stem_filters=4,
            stage_filters=(8, 8, 16),
            stage_blocks=(1, 1, 1),
            fpn_filters=8,
        ),
        sv.models.SignatureDetectorPreprocessor(letterbox_size=64),
        head_filters=8,
        class_names=("signature",),
        score_threshold=0.0,
        max_detections=3,
    )
    cleaner = sv.SignatureCleaner(
        sv.models.SignatureCleanerBackbone(level_filters=(4, 8, 8)),
        sv.models.SignatureCleanerPreprocessor(max_side=64, pad_multiple=8),
    )
    extractor = sv.SignatureExtractor(
        backbone=sv.models.SignatureExtractorBackbone(
            image_shape=(32, 64, 1), stem_filters=8, stage_filters=(8, 16), embedding_dim=16
        ),
        preprocessor=sv.models.SignatureExtractorPreprocessor(target_size=(32, 64)),
        calibration={
            "threshold": 0.5,
            "rule": "test",
            "references": 3,
            "score_histograms": HISTOGRAMS,
        },
    )
    folder = Path(folder)
    sv.SignatureVerifier(extractor, detector=detector, cleaner=cleaner).save_to_preset(folder)
    return folder


if __name__ == "__main__":
    import sys

    print(build_tiny_pipeline(sys.argv[1]))
