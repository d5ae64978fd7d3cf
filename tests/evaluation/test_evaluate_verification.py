"""`signver-keras evaluate verification` decides with the threshold for its --reference-count."""

import numpy as np
import pytest
from PIL import Image

import signver_keras as sv
from signver_keras.data.collections.verification import SignatureRecord, load_verification_data
from signver_keras.evaluation.runner import evaluate_verification
from tests.conftest import draw_scribble

CALIBRATION = {
    "threshold": 0.3,
    "reference_count": 5,
    "rule": "eer_skilled",
    "thresholds": {"1": {"threshold": 0.8}, "2": {"threshold": 0.6}, "5": {"threshold": 0.3}},
}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """Three writers (one scribble each, shifted) with 4 genuine signatures and 2 forgeries."""
    folder = tmp_path_factory.mktemp("writers")
    rows = []
    for w in range(3):
        base = draw_scribble(50 + w)
        for i in range(6):
            path = folder / f"{w}_{i}.png"
            image = np.roll(base, 3 * i, axis=1) if i < 4 else draw_scribble(90 + 10 * w + i)
            Image.fromarray(image).save(path)
            rows.append(SignatureRecord(str(path), f"w{w}", i < 4))
    return rows


@pytest.mark.parametrize(("reference_count", "threshold"), [(1, 0.8), (2, 0.6), (3, 0.6)])
def test_report_uses_the_threshold_for_the_protocols_reference_count(
    tiny_extractor, records, reference_count, threshold
):
    extractor = sv.SignatureExtractor(
        tiny_extractor.backbone, tiny_extractor.preprocessor, calibration=CALIBRATION
    )
    report = evaluate_verification(extractor, {"writers": records}, reference_count=reference_count)
    assert report["threshold"] == threshold
    assert report["calibrated_reference_count"] == min(reference_count, 2)
    result = report["results"]["writers"]
    assert {"eer_skilled", "far_skilled_at_threshold", "frr_skilled_at_threshold"} <= set(result)
    assert "| writers | 3 |" in report["table"]
    assert f"calibrated for {min(reference_count, 2)} references" in report["table"]


def test_online_collections_embed_from_cached_renderings(tiny_extractor, tmp_path, monkeypatch):
    from signver_keras.data.collections.online_signatures import record_image
    from signver_keras.data.training import extractor_inputs as inputs_module
    from signver_keras.evaluation.runner import embed_records
    from tests.data.test_online_signatures import _wave, _write_collection

    monkeypatch.setattr(inputs_module, "CACHE_DIR", tmp_path / "cache")
    folder = tmp_path / "tablet"
    _write_collection(folder, [_wave(i) for i in range(3)], ["genuine", "forgery", "genuine"])
    records = load_verification_data(f"online:{folder}")

    cached = embed_records(tiny_extractor, records)
    direct = tiny_extractor.embed([record_image(r) for r in records])
    # Same rendering and preprocessing; the cache stores it as uint8.
    np.testing.assert_allclose(cached, direct, atol=0.02)
    assert cached.extractor_id == direct.extractor_id
    assert len(list((tmp_path / "cache").glob("extractor_inputs_*.npy"))) == 1
