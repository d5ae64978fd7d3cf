"""SignatureVerifier: composition, skipped stages and pipeline presets."""

import json

import numpy as np
import pytest

import signver_keras as sv


@pytest.fixture(scope="module")
def verifier(tiny_extractor):
    return sv.SignatureVerifier(extractor=tiny_extractor)


def test_verify_returns_a_decision_with_the_extractor_threshold(verifier, scribbles):
    result = verifier.verify(scribbles[0], scribbles[1:4])
    assert isinstance(result, sv.Verification)
    assert result.threshold == 0.5 and result.reference_count == 3
    assert result.calibrated_reference_count == 3  # what the test calibration was made for
    assert result.accepted == (result.score >= 0.5)
    with pytest.warns(UserWarning, match="calibrated for 3 references and is applied to 1"):
        assert verifier.verify(scribbles[0], [scribbles[0]]).score == pytest.approx(1, abs=1e-5)


def test_verify_without_references_is_an_error(verifier, scribbles):
    with pytest.raises(sv.EmptyReferencesError):
        verifier.verify(scribbles[0], [])


def test_find_signatures_needs_a_detector(verifier, scribbles):
    with pytest.raises(ValueError, match="detector"):
        verifier.find_signatures(scribbles[0])


def test_uncalibrated_extractor_asks_for_a_threshold(tiny_extractor, scribbles):
    extractor = sv.SignatureExtractor(
        backbone=tiny_extractor.backbone, preprocessor=tiny_extractor.preprocessor
    )
    with pytest.raises(ValueError, match="threshold"):
        sv.SignatureVerifier(extractor=extractor).verify(scribbles[0], scribbles[1:2])
    explicit = sv.SignatureVerifier(extractor=extractor, matcher=sv.Matcher(threshold=0.9))
    assert explicit.verify(scribbles[0], scribbles[1:2]).threshold == 0.9


def test_pipeline_preset_round_trip(verifier, scribbles, tmp_path):
    verifier.save_to_preset(tmp_path / "pipe")
    spec = json.loads((tmp_path / "pipe" / "pipeline.json").read_text())
    assert spec["extractor"] == "extractor" and spec["matcher"]["calibration"]["threshold"] == 0.5
    loaded = sv.SignatureVerifier.from_preset(tmp_path / "pipe")
    assert loaded.detector is None and loaded.cleaner is None
    np.testing.assert_array_equal(loaded.embed(scribbles), verifier.embed(scribbles))


def test_pipeline_keeps_per_count_thresholds_and_a_hand_set_threshold(tiny_extractor, tmp_path):
    calibration = {
        "threshold": 0.6,
        "reference_count": 5,
        "thresholds": {"1": {"threshold": 0.9}, "5": {"threshold": 0.6}},
    }
    extractor = sv.SignatureExtractor(
        tiny_extractor.backbone, tiny_extractor.preprocessor, calibration=calibration
    )
    sv.SignatureVerifier(extractor).save_to_preset(tmp_path / "calibrated")
    loaded = sv.SignatureVerifier.from_preset(tmp_path / "calibrated").matcher
    assert loaded.threshold_for(1) == (0.9, 1) and loaded.threshold_for(6) == (0.6, 5)
    fixed = sv.SignatureVerifier(extractor, matcher=sv.Matcher(0.3, calibration))
    fixed.save_to_preset(tmp_path / "fixed")
    assert sv.SignatureVerifier.from_preset(tmp_path / "fixed").matcher.threshold_for(1) == (
        0.3,
        None,
    )


def test_stage_override_and_unknown_stage(verifier, tmp_path):
    verifier.save_to_preset(tmp_path / "pipe")
    with pytest.raises(TypeError, match="Unknown stages"):
        sv.SignatureVerifier.from_preset(tmp_path / "pipe", refiner=None)


def test_folder_without_pipeline_json(tmp_path):
    with pytest.raises(sv.PresetNotFoundError, match="pipeline.json"):
        sv.SignatureVerifier.from_preset(tmp_path)


def test_crop_boxes_clips_to_the_page():
    from signver_keras.pipeline.signature_verifier import crop_boxes

    page = np.arange(100 * 200, dtype=np.uint32).reshape(100, 200).astype(np.uint8)
    crops = crop_boxes(page, np.array([[-10, -10, 50, 40], [190, 90, 260, 130]], np.float32))
    assert crops[0].shape[0] <= 42 and crops[0].shape[1] <= 52
    assert crops[1].size > 0
