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
    import signver_keras as sv
    from tests.tiny_models import tiny_detector, tiny_extractor

    # Random weights: keep the top boxes.
    detector = tiny_detector(score_threshold=0.0, max_detections=4)
    extractor = tiny_extractor()
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
