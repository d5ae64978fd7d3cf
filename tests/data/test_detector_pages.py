"""Detector training pages: cached page sets, page kinds, augmentation, reproducible batches."""

from __future__ import annotations

import numpy as np
import pytest

from signver_keras.data.training.detector_pages import (
    SYNTHETIC_KINDS,
    DetectorBatches,
    PageSet,
    augment_page,
    kind_page,
    signature_pool,
    synthetic_pages,
)
from signver_keras.models.detector.signature_detector_label_encoder import (
    SignatureDetectorLabelEncoder,
)
from signver_keras.models.detector.signature_detector_preprocessor import (
    SignatureDetectorPreprocessor,
)

SIZE = 64
AUGMENT = {
    "scale": [0.8, 1.2],
    "aspect": 0.1,
    "min_visible": 0.6,
    "ink_gain": [0.7, 1.1],
    "gamma": [0.9, 1.1],
    "blur": 0.5,
    "jpeg": 0.5,
}


def _page_set(count: int = 3) -> PageSet:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (count, SIZE, SIZE), dtype=np.uint8)
    boxes = [np.array([[4, 6, 30, 20], [10, 30, 60, 50]], np.float32) for _ in range(count)]
    labels = [np.array([0, 3], np.int32) for _ in range(count)]
    return PageSet(images, boxes, labels, np.ones((count, 4), np.float32))


def test_page_set_round_trips_through_disk(tmp_path):
    pages = _page_set()
    assert PageSet.load(tmp_path / "pages") is None
    pages.save(tmp_path / "pages")
    loaded = PageSet.load(tmp_path / "pages")
    assert len(loaded) == 3 and np.array_equal(loaded.images, pages.images)
    assert all(np.array_equal(a, b) for a, b in zip(loaded.boxes, pages.boxes, strict=True))
    assert loaded.labels[0].dtype == np.int32 and np.array_equal(loaded.masks, pages.masks)


def test_synthetic_pages_are_cached_per_kind_and_reused(tmp_path, capsys):
    preprocessor = SignatureDetectorPreprocessor(SIZE)
    made = synthetic_pages([0, 1], preprocessor, (400, 320), [], 0.0, 1, tmp_path, "synthetic")
    assert made.images.shape == (2, SIZE, SIZE) and made.images.dtype == np.uint8
    assert made.masks.shape == (2, 4)
    assert [len(b) for b in made.boxes] == [len(lab) for lab in made.labels]
    assert len(list(tmp_path.glob("detector_synthetic_*.npy"))) == 1
    again = synthetic_pages([0, 1], preprocessor, (400, 320), [], 0.0, 1, tmp_path, "synthetic")
    assert "2 synthetic pages from" in capsys.readouterr().out
    assert np.array_equal(again.images, made.images)
    # Another kind of page is another cache entry.
    synthetic_pages([0, 1], preprocessor, (400, 320), [], 0.0, 1, tmp_path, "photo", "photo")
    assert len(list(tmp_path.glob("detector_*.npy"))) == 2


def test_kind_page_knows_every_kind_and_rejects_others():
    page = kind_page(SYNTHETIC_KINDS[0], 3, (400, 320), [])
    assert page.image.shape[:2] == (400, 320)
    with pytest.raises(ValueError, match="kind should be one of"):
        kind_page("watercolour", 3, (400, 320), [])


def test_augment_page_keeps_boxes_on_the_canvas_and_repeats_with_the_seed():
    pages = _page_set(1)
    args = (pages.images[0], pages.boxes[0], pages.labels[0])
    ink, boxes, labels = augment_page(*args, np.random.default_rng(5), AUGMENT)
    assert ink.shape == (SIZE, SIZE) and 0.0 <= ink.min() and ink.max() <= 1.0
    assert len(boxes) == len(labels) and (boxes >= 0).all() and (boxes <= SIZE).all()
    again = augment_page(*args, np.random.default_rng(5), AUGMENT)
    assert all(np.array_equal(a, b) for a, b in zip((ink, boxes, labels), again, strict=True))


def test_batch_depends_only_on_seed_and_index():
    encoder = SignatureDetectorLabelEncoder(4, SIZE, 4)
    batches = DetectorBatches([_page_set(), _page_set(2)], [0.5, 0.5], encoder, 3, AUGMENT, 7)
    images, targets = batches(2)
    assert images.shape == (3, SIZE, SIZE, 1) and targets.shape == (3, SIZE // 4, SIZE // 4, 13)
    batches(0)
    assert np.array_equal(batches(2)[0], images)
    # Empty sources are left out of the mix.
    empty = PageSet(np.zeros((0, SIZE, SIZE), np.uint8), [], [], np.zeros((0, 4), np.float32))
    assert len(DetectorBatches([empty, _page_set()], [0.5, 0.5], encoder, 2, AUGMENT, 0).sources)


def test_signature_pool_is_empty_without_a_collection(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGNVER_DATA", str(tmp_path))
    assert signature_pool(None, [0.6, 0.2, 0.2], 0) == []
    assert signature_pool("not_there", [0.6, 0.2, 0.2], 0) == []
