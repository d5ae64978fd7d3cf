"""Calibration: thresholds per number of references, each collection weighing equally."""

import numpy as np
import pytest

import signver_keras as sv
from signver_keras.data.collections.verification import SignatureRecord
from signver_keras.evaluation.calibration import calibration_table, pooled_threshold
from signver_keras.evaluation.metrics import equal_error_rate


def collection(name: str, writers: int, spread: float, seed: int, genuine: int = 8):
    """Writers with `genuine` signatures around their own centre and 3 skilled forgeries each.

    `spread` sets how far a writer's signatures (and, more, the forgeries) lie
    from the centre: collections with different spreads have their
    similarities at different levels, as real collections do.
    """
    rng = np.random.default_rng(seed)
    records, rows = [], []
    for w in range(writers):
        centre = rng.normal(size=32)
        centre /= np.linalg.norm(centre)
        for i in range(genuine):
            records.append(SignatureRecord(f"{name}/{w}/{i}", f"{name}{w}", True, dataset=name))
            rows.append(centre + spread * rng.normal(size=32) / np.sqrt(32))
        for i in range(3):
            records.append(SignatureRecord(f"{name}/{w}/f{i}", f"{name}{w}", False, dataset=name))
            rows.append(centre + 1.6 * spread * rng.normal(size=32) / np.sqrt(32))
    embeddings = np.array(rows, np.float32)
    return records, embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def background():
    rows = np.random.default_rng(9).normal(size=(50, 32)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_pooled_threshold_weighs_collections_not_trials():
    rng = np.random.default_rng(0)
    small = (rng.normal(2, 1, 200), rng.normal(0, 1, 200))
    large = (rng.normal(4, 1, 200), rng.normal(2, 1, 200))
    pooled = pooled_threshold([small, large])
    tenfold = (np.tile(large[0], 10), np.tile(large[1], 10))
    assert pooled_threshold([small, tenfold])["threshold"] == pytest.approx(pooled["threshold"])
    assert 1.5 < pooled["threshold"] < 2.5  # between the two collections' own EER points
    concatenated = equal_error_rate(np.r_[small[0], tenfold[0]], np.r_[small[1], tenfold[1]])[1]
    assert concatenated > pooled["threshold"] + 0.3  # trial pooling follows the large one
    assert pooled["far"] == pytest.approx(pooled["frr"], abs=0.01)


def test_calibrate_matcher_stores_thresholds_per_count_that_the_matcher_applies(background):
    collections = {
        "tight": collection("tight", 6, 0.5, 1),
        "loose": collection("loose", 6, 1.2, 2),
    }
    calibration = sv.calibrate_matcher(
        None, collections, reference_counts=(1, 3, 5, 10), background=background
    )
    assert set(calibration["thresholds"]) == {"1", "3", "5"}  # 8 genuine: no 10-reference trials
    assert calibration["reference_count"] == 5
    assert calibration["threshold"] == calibration["thresholds"]["5"]["threshold"]
    assert calibration["score_rule"]["name"] == "distance_ratio"
    one = calibration["thresholds"]["1"]
    assert set(one["collections"]) == {"tight", "loose"}
    assert one["collections"]["tight"]["negatives"] == "skilled"
    assert one["far"] == pytest.approx(one["frr"], abs=0.05)  # the pooled EER point
    classifier = calibration["writer_classifier"]
    assert set(classifier["thresholds"]) == {"3", "5"} and classifier["min_references"] == 2

    class Calibrated:  # what Matcher.from_extractor reads of an extractor
        writer_background = background

        def __init__(self):
            self.calibration = calibration

    matcher = sv.Matcher.from_extractor(Calibrated())
    records, embeddings = collections["tight"]
    result = matcher.verify(embeddings[0], embeddings[1:2])
    assert (result.threshold, result.calibrated_reference_count) == (one["threshold"], 1)
    assert "| score | 1 |" in calibration_table(calibration)


def test_calibration_refuses_what_it_cannot_use(background):
    records, embeddings = collection("c", 3, 0.5, 0)
    with pytest.raises(ValueError, match="without embeddings"):
        sv.calibrate_matcher(None, {"c": records})
    with pytest.raises(ValueError, match="Unknown calibration rule"):
        sv.calibrate_matcher(None, {"c": (records, embeddings)}, rule="eer", background=background)
    with pytest.raises(ValueError, match="12 records but 11 embeddings"):
        sv.calibrate_matcher(None, {"c": (records[:12], embeddings[:11])}, background=background)


def test_calibrate_extractor_embeds_records_and_its_background(tmp_path, tiny_extractor):
    from PIL import Image

    from tests.conftest import draw_scribble

    records = []
    for w in range(3):
        for i in range(4):
            path = tmp_path / f"{w}_{i}.png"
            scribble = draw_scribble(10 * w + (i if i == 3 else 0))  # a forgery at i == 3
            Image.fromarray(np.roll(scribble, 2 * i, axis=1)).save(path)
            records.append(SignatureRecord(str(path), f"w{w}", i < 3, dataset="mine"))
    extractor = sv.SignatureExtractor(tiny_extractor.backbone, tiny_extractor.preprocessor)
    calibration = sv.calibrate_extractor(
        extractor, {"mine": records}, reference_counts=(1, 2), background_writers=4
    )
    assert extractor.writer_background.shape == (8, 16)
    assert extractor.calibration["thresholds"].keys() == {"1", "2"}
    assert calibration["writer_classifier"]["background"].startswith("8 genuine signatures")
    extractor.save_to_preset(tmp_path / "calibrated")
    matcher = sv.Matcher.from_preset(tmp_path / "calibrated")
    assert matcher.score_rule.name == "distance_ratio"
    assert matcher.threshold_for(1)[0] == pytest.approx(calibration["thresholds"]["1"]["threshold"])
