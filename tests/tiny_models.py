"""Seconds-fast, randomly initialised models of every family, shared by the tests.

Seeded, so two calls build the same weights. Used by the model, batch and UI
tests (and the UI screenshot script through `tests/ui/tiny_pipeline.py`).
"""

from __future__ import annotations

import keras

import signver_keras as sv

TEST_CALIBRATION = {"threshold": 0.5, "rule": "test", "reference_count": 3, "source": "tests"}


def tiny_detector(**task_kwargs) -> sv.SignatureDetector:
    """A 64x64-letterbox detector; `task_kwargs` go to `SignatureDetector`."""
    keras.utils.set_random_seed(0)
    backbone = sv.models.SignatureDetectorBackbone(
        image_shape=(64, 64, 1),
        stem_filters=4,
        stage_filters=(8, 8, 16),
        stage_blocks=(1, 1, 1),
        fpn_filters=8,
    )
    preprocessor = sv.models.SignatureDetectorPreprocessor(letterbox_size=64)
    return sv.SignatureDetector(backbone, preprocessor, head_filters=8, **task_kwargs)


def tiny_cleaner(max_side: int = 64) -> sv.SignatureCleaner:
    keras.utils.set_random_seed(0)
    backbone = sv.models.SignatureCleanerBackbone(level_filters=(4, 8, 8))
    preprocessor = sv.models.SignatureCleanerPreprocessor(max_side=max_side, pad_multiple=8)
    return sv.SignatureCleaner(backbone, preprocessor)


def tiny_extractor(calibration: dict | None = None) -> sv.SignatureExtractor:
    """A 32x64-input extractor with 16-dimensional embeddings, threshold 0.5 by default."""
    keras.utils.set_random_seed(0)
    backbone = sv.models.SignatureExtractorBackbone(
        image_shape=(32, 64, 1), stem_filters=8, stage_filters=(8, 16), embedding_dim=16
    )
    return sv.SignatureExtractor(
        backbone=backbone,
        preprocessor=sv.models.SignatureExtractorPreprocessor(target_size=(32, 64)),
        calibration=calibration or TEST_CALIBRATION,
    )
