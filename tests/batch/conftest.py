"""A tiny random pipeline preset and a folder of sample pages for the batch tests."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from PIL import Image

if importlib.util.find_spec("pyarrow") is None:
    pytest.skip(
        "pyarrow is not installed (pip install 'signver-keras[batch]')", allow_module_level=True
    )


def save_tiny_pipeline(folder) -> str:
    """Detector + extractor from the tests' tiny configs, random weights, no cleaner."""
    import keras

    import signver_keras as sv

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
        score_threshold=0.0,  # random weights: keep the top boxes
        max_detections=4,
    )
    extractor = sv.SignatureExtractor(
        sv.models.SignatureExtractorBackbone(
            image_shape=(32, 64, 1), stem_filters=8, stage_filters=(8, 16), embedding_dim=16
        ),
        sv.models.SignatureExtractorPreprocessor(target_size=(32, 64)),
        calibration={"threshold": 0.5, "rule": "test", "references": 3, "source": "tests"},
    )
    sv.SignatureVerifier(
        extractor, detector=detector, signature_classes=detector.class_names
    ).save_to_preset(folder)
    return str(folder)


def write_pages(folder, count: int = 6) -> list[str]:
    """Noisy grey pages of a few sizes, plus one file that is not an image."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for seed in range(count):
        rng = np.random.default_rng(seed)
        height, width = (120 + 20 * seed, 90 + 30 * (seed % 3))
        gray = np.full((height, width), 230, np.uint8)
        gray[rng.random(gray.shape) < 0.05] = 30
        path = folder / f"page{seed:02d}.png"
        Image.fromarray(gray).save(path)
        paths.append(str(path))
    broken = folder / "zz_broken.png"
    broken.write_bytes(b"not a png")
    paths.append(str(broken))
    return paths


@pytest.fixture(scope="session")
def tiny_pipeline(tmp_path_factory) -> str:
    return save_tiny_pipeline(tmp_path_factory.mktemp("pipeline") / "tiny")


@pytest.fixture(scope="session")
def sample_pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages") / "scans"
    write_pages(folder)
    return folder
