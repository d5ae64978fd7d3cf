"""Detector preprocessing: ink-preserving downscaling and local paper normalisation."""

import json

import numpy as np
import pytest

from signver_keras.models.detector.detector_inference import letterbox_page, min_pool, pixel_noise
from signver_keras.models.detector.signature_detector_preprocessor import (
    SignatureDetectorPreprocessor,
)
from signver_keras.presets import BUNDLED_DIR


def _hires_page_with_thin_line() -> np.ndarray:
    """A 300-dpi A4 page with 3-pixel (0.25 mm) faint grey strokes: a pencil signature."""
    page = np.full((3507, 2480), 245, np.uint8)
    page[1700:1703, 400:2000] = 150
    page[1000:2500, 1240:1243] = 150
    return page


def test_min_downscaling_keeps_thin_faint_strokes_that_averaging_loses():
    page = _hires_page_with_thin_line()
    stroke_ink = (245 - 150) / 245
    averaged, transform_a = letterbox_page(page, 512, downscale="bilinear")
    darkest, transform_b = letterbox_page(page, 512, downscale="min")
    np.testing.assert_array_equal(transform_a, transform_b)  # boxes map the same way
    assert darkest.max() > 0.8 * stroke_ink and averaged.max() < 0.6 * stroke_ink


def test_min_downscaling_does_not_turn_photo_noise_into_ink():
    noisy = np.random.default_rng(0).normal(200, 8, (4032, 3024)).clip(0, 255).astype(np.uint8)
    darkest, _ = letterbox_page(noisy, 512, downscale="min", normalize="local")
    assert np.percentile(darkest[darkest > 0], 99) < 0.1


def test_min_downscaling_does_not_turn_a_halftone_screen_into_ink():
    # A page near the input size is barely averaged before the minima: without smoothing,
    # every 2 x 2 block keeps a screen dot and the paper reads as ink as dark as the stroke.
    rows, cols = np.mgrid[:1100, :850]
    page = np.where((rows % 3 == 0) & (cols % 3 == 0), 150.0, 235.0)
    page += np.random.default_rng(0).normal(0, 6, page.shape)
    page[600:603, 100:700] = 140  # a faint 3-pixel stroke across the screen
    ink, transform = letterbox_page(page.clip(0, 255).astype(np.uint8), 512, "min", "local")
    scale, left, top = transform[0], int(transform[2]), int(transform[3])
    paper = ink[top + int(200 * scale) : top + int(500 * scale), left : left + int(700 * scale)]
    stroke = ink[top + int(601 * scale), left + int(150 * scale) : left + int(650 * scale)]
    assert np.median(stroke) > 5 * np.percentile(paper, 99)


def test_pixel_noise_measures_sensor_noise_and_ignores_lines():
    page = np.full((1100, 850), 240.0)
    for row in range(100, 1000, 40):
        page[row : row + 3, 80:770] = 40  # ruled lines and text rows: edges, not noise
    noisy = page + np.random.default_rng(1).normal(0, 6, page.shape)
    assert pixel_noise(page.astype(np.uint8)) < 0.5
    assert 5.0 < pixel_noise(noisy.clip(0, 255).astype(np.uint8)) < 7.0


def test_min_pool_takes_the_darkest_pixel_of_partial_blocks_too():
    gray = np.full((5, 7), 200, np.uint8)
    gray[4, 6] = 10
    pooled = min_pool(gray, 2)
    assert pooled.shape == (3, 4) and pooled[2, 3] == 10 and pooled.max() == 200


def test_local_normalisation_flattens_a_shadow_but_keeps_the_stroke():
    page = np.full((1100, 850), 240, np.uint8)
    page[:, :340] = 150  # a shadow over the left 40 % of the page
    page[500:504, 100:300] = 60  # strokes in the shadow and in the light
    page[500:504, 500:700] = 100
    flat, _ = letterbox_page(page, 512, normalize="global")
    local, transform = letterbox_page(page, 512, normalize="local")
    scale, left, top = transform[0], int(transform[2]), int(transform[3])
    shadow_paper = (top + int(200 * scale), left + int(200 * scale))
    stroke = (top + int(502 * scale), left + int(200 * scale))
    assert flat[shadow_paper] > 0.3  # the shadow reads as ink with one paper level
    assert local[shadow_paper] < 0.05 and local[stroke] > 0.4


def test_presets_saved_before_the_options_load_with_the_old_behaviour():
    path = BUNDLED_DIR / "signver_detector_base" / "preprocessor.json"
    stored = json.loads(path.read_text())["config"]
    assert stored["normalize"] == "local"  # the bundled preset was re-tuned
    older = {k: v for k, v in stored.items() if k not in ("downscale", "normalize")}
    preprocessor = SignatureDetectorPreprocessor.from_config(older)
    assert (preprocessor.downscale, preprocessor.normalize) == ("bilinear", "global")


def test_options_round_trip_and_are_checked():
    preprocessor = SignatureDetectorPreprocessor(128, downscale="min", normalize="local")
    again = SignatureDetectorPreprocessor.from_config(preprocessor.get_config())
    assert (again.letterbox_size, again.downscale, again.normalize) == (128, "min", "local")
    batch, _ = again.letterbox([np.full((600, 400), 250, np.uint8)])
    assert batch.shape == (1, 128, 128, 1)
    with pytest.raises(ValueError, match=r"downscale must be one of \('bilinear', 'min'\)"):
        SignatureDetectorPreprocessor(downscale="area")
    with pytest.raises(ValueError, match="normalize must be one of"):
        SignatureDetectorPreprocessor(normalize="adaptive")
