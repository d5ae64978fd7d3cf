"""Matcher: scoring rule, decisions, 1:N ranking and refusal to mix extractors."""

import numpy as np
import pytest

import signver_keras as sv


def unit(*rows):
    array = np.array(rows, np.float32)
    return array / np.linalg.norm(array, axis=1, keepdims=True)


def test_score_is_the_mean_cosine_similarity_to_the_references():
    matcher = sv.Matcher(threshold=0.5)
    query = unit([1, 0])
    references = unit([1, 0], [0, 1])
    assert matcher.score(query, references) == pytest.approx(0.5)
    assert matcher.score(query[0], references) == pytest.approx(0.5)


def test_verify_accepts_at_or_above_the_threshold():
    matcher = sv.Matcher(threshold=0.8)
    result = matcher.verify(unit([1, 0]), unit([1, 0.1], [1, 0.2]))
    assert result.accepted and result.threshold == 0.8 and result.score > 0.8
    assert not matcher.verify(unit([0, 1]), unit([1, 0])).accepted


def test_identify_ranks_persons_best_first():
    gallery = {"ann": unit([1, 0], [1, 0.1]), "bob": unit([0, 1]), "cy": unit([1, 1])}
    ranked = sv.Matcher(threshold=0.5).identify(unit([1, 0.05]), gallery, k=2)
    assert [person for person, _ in ranked] == ["ann", "cy"]


def test_empty_references_and_bad_shapes():
    matcher = sv.Matcher(threshold=0.5)
    with pytest.raises(sv.EmptyReferencesError):
        matcher.score(unit([1, 0]), np.zeros((0, 2), np.float32))
    with pytest.raises(sv.InvalidImageError, match="shape"):
        matcher.score(unit([1, 0]), np.zeros((2, 2, 2), np.float32))


def test_embeddings_of_different_extractors_are_not_compared():
    matcher = sv.Matcher(threshold=0.5)
    query = sv.Embeddings(unit([1, 0]), extractor_id="aaaa")
    references = sv.Embeddings(unit([1, 0]), extractor_id="bbbb")
    with pytest.raises(sv.EmbeddingMismatchError, match="different extractors"):
        matcher.score(query, references)
    with pytest.raises(sv.EmbeddingMismatchError, match="different sizes"):
        matcher.score(unit([1, 0]), unit([1, 0, 0]))


def test_tags_survive_slicing(tiny_extractor, scribbles):
    embeddings = tiny_extractor.embed(scribbles[:3])
    assert embeddings[1:].extractor_id == embeddings.extractor_id


def test_from_preset_reads_the_calibrated_threshold(tiny_extractor, tmp_path):
    tiny_extractor.save_to_preset(tmp_path / "p")
    matcher = sv.Matcher.from_preset(tmp_path / "p")
    assert matcher.threshold == 0.5 and matcher.calibration["rule"] == "test"


def test_from_preset_reads_the_score_rule_thresholds_and_background(scribbles, tmp_path):
    from tests.tiny_models import tiny_extractor as build

    calibration = per_count_calibration(score_rule={"name": "distance_ratio", "cohort_size": 3})
    extractor = build(calibration)
    extractor.writer_background = unit(*np.random.default_rng(0).normal(size=(20, 16)))
    extractor.save_to_preset(tmp_path / "p")
    matcher = sv.Matcher.from_preset(tmp_path / "p")
    assert matcher.score_rule == sv.ScoreRule("distance_ratio", cohort_size=3)
    assert matcher.threshold_for(1) == (0.9, 1) and matcher.background.shape == (20, 16)
    loaded = sv.SignatureExtractor.from_preset(tmp_path / "p")
    query, references = loaded.embed(scribbles[0]), loaded.embed(scribbles[1:4])
    expected = sv.Matcher.from_extractor(loaded).verify(query, references)
    assert matcher.verify(query, references) == expected


def per_count_calibration(**extra):
    """A calibration with thresholds for 1, 5 and 10 references (mean cosine)."""
    return {
        "threshold": 0.6,
        "reference_count": 5,
        "thresholds": {"1": {"threshold": 0.9}, "5": {"threshold": 0.6}, "10": {"threshold": 0.5}},
        **extra,
    }


@pytest.mark.parametrize(
    ("reference_count", "threshold", "calibrated"),
    [(1, 0.9, 1), (3, 0.9, 1), (5, 0.6, 5), (7, 0.6, 5), (10, 0.5, 10), (25, 0.5, 10)],
)
def test_threshold_is_the_one_calibrated_for_the_number_of_references(
    reference_count, threshold, calibrated
):
    matcher = sv.Matcher(calibration=per_count_calibration())
    result = matcher.verify(unit([1, 0]), unit(*[[1, 0.1 * i] for i in range(reference_count)]))
    assert (result.threshold, result.calibrated_reference_count) == (threshold, calibrated)
    assert result.reference_count == reference_count and result.rule == "global"
    assert matcher.threshold == 0.6  # the calibration's own count, for display


# "references" is what presets saved by earlier versions call the count.
@pytest.mark.parametrize("count_key", ["reference_count", "references"])
def test_single_threshold_calibrations_still_load_and_say_so(count_key):
    matcher = sv.Matcher(calibration={"threshold": 0.7, count_key: 5, "rule": "eer_skilled"})
    with pytest.warns(UserWarning, match="calibrated for 5 references and is applied to 1"):
        result = matcher.verify(unit([1, 0]), unit([1, 0.1]))
    assert (result.threshold, result.calibrated_reference_count) == (0.7, 5)
    fixed = sv.Matcher(threshold=0.4, calibration=per_count_calibration())
    assert fixed.verify(unit([1, 0]), unit([1, 0])).threshold == 0.4  # a hand-set threshold wins


def test_distance_ratio_compares_the_query_with_the_persons_own_spread():
    references = np.eye(4, dtype=np.float32)[:3]  # mutual similarity 0: typical distance 1
    rule = sv.ScoreRule("distance_ratio", cohort_weight=0.0)
    cohort = np.eye(4, dtype=np.float32)[3:]
    assert rule.scores(np.eye(4, dtype=np.float32)[3:], references, cohort)[0] == pytest.approx(0)
    # Similarity 1/3 to the references: distance 2/3 of the typical one.
    assert rule.scores(references[:1], references, cohort)[0] == pytest.approx(np.log(1.5))


def test_distance_ratio_ignores_the_level_similarities_sit_at():
    """A collection whose distances (1 - cosine) are all halved scores the same.

    Lifting unit vectors towards a direction orthogonal to them all halves
    every distance, as in a collection where everything looks alike: the
    cosine scores move, the distance-ratio scores do not.
    """
    rng = np.random.default_rng(3)
    rows = np.concatenate([rng.normal(size=(40, 15)), np.zeros((40, 1))], axis=1)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    lifted = (rows + np.eye(16)[15]) / np.sqrt(2)  # 1 - cos(x', y') = (1 - cos(x, y)) / 2
    rule, cosine = sv.ScoreRule("distance_ratio", cohort_size=5), sv.ScoreRule("mean_cosine")
    for count in (1, 2, 5):
        before = rule.scores(rows[:10], rows[10 : 10 + count], cohort=rows[20:])
        after = rule.scores(lifted[:10], lifted[10 : 10 + count], cohort=lifted[20:])
        np.testing.assert_allclose(after, before, atol=1e-4)
        moved = cosine.scores(lifted[:10], lifted[10 : 10 + count]) - cosine.scores(
            rows[:10], rows[10 : 10 + count]
        )
        assert np.all(np.abs(moved) > 0.01)


def test_distance_ratio_with_one_reference_uses_the_cohort_distance():
    reference = unit([1, 0, 0])
    cohort = unit([1, 1, 0], [0, 0, 1], [0, 1, 0])  # scores 0.707, 0, 0
    rule = sv.ScoreRule("distance_ratio", cohort_size=1)
    typical = 1 - np.sqrt(0.5)  # the closest cohort signature's distance
    query = unit([1, 0.2, 0])
    expected = np.log(typical / (1 - float(query[0] @ reference[0])))
    assert rule.scores(query, reference, cohort)[0] == pytest.approx(expected, rel=1e-5)


def test_distance_ratio_needs_the_background_and_refuses_the_cosine_writer_rule():
    calibration = per_count_calibration(score_rule={"name": "distance_ratio"})
    with pytest.raises(ValueError, match="background"):
        sv.Matcher(calibration=calibration)
    background = unit([0, 1], [1, 1], [-1, 1])
    with pytest.raises(ValueError, match="Drop writer_rule"):
        sv.Matcher(
            calibration=calibration, background=background, writer_rule=sv.WriterThresholdRule()
        )
    matcher = sv.Matcher(calibration=calibration, background=background)
    assert matcher.score_rule.name == "distance_ratio"
    assert matcher.verify(unit([1, 0]), unit([1, 0.1])).calibrated_reference_count == 1


def test_writer_policies_decide_from_their_number_of_references():
    rng = np.random.default_rng(0)
    centre = unit(rng.normal(size=8))[0]
    references = unit(*(centre + 0.05 * rng.normal(size=(6, 8))))
    background = unit(*rng.normal(size=(60, 8)))
    classifier = sv.WriterClassifier(threshold=0.0, min_references=5)
    matcher = sv.Matcher(
        calibration=per_count_calibration(),
        background=background,
        writer_rule=sv.WriterThresholdRule(min_references=3),
        writer_classifier=classifier,
    )
    assert matcher.verify(centre, references[:2]).rule == "global"
    assert matcher.verify(centre, references[:3]).rule == "writer"
    decided = matcher.verify(centre, references[:6])
    assert decided.rule == "classifier" and decided.accepted and decided.threshold == 0.0
    assert matcher.with_policies().verify(centre, references[:6]).rule == "global"
