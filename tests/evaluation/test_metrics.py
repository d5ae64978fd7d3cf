"""Error rates must match their definitions; the protocol must keep its trial counts."""

import numpy as np
import pytest
from scipy.stats import norm

from signver_keras.data.collections.verification import SignatureRecord
from signver_keras.evaluation.metrics import auc, equal_error_rate, rates_at
from signver_keras.evaluation.verification import (
    classifier_trial_scores,
    protocol_summary,
    summarize,
    trial_scores,
)
from signver_keras.models.matcher.matcher import Matcher, WriterThresholdRule
from signver_keras.models.matcher.writer_classifier import WriterClassifier


def test_eer_and_auc_of_two_gaussians_match_theory():
    rng = np.random.default_rng(0)
    positives, negatives = rng.normal(1, 1, 20000), rng.normal(0, 1, 20000)
    eer, threshold = equal_error_rate(positives, negatives)
    assert eer == pytest.approx(norm.cdf(-0.5), abs=0.01)
    assert threshold == pytest.approx(0.5, abs=0.05)
    assert auc(positives, negatives) == pytest.approx(norm.cdf(1 / np.sqrt(2)), abs=0.01)


def test_perfect_separation_and_rates_at_a_threshold():
    assert equal_error_rate([2.0, 3.0], [0.0, 1.0])[0] == 0.0
    assert rates_at([0.9, 0.4], [0.1, 0.6], 0.5) == {"far": 0.5, "frr": 0.5, "accuracy": 0.5}
    assert auc([1.0], [1.0]) == 0.5


def test_protocol_counts_trials_per_writer():
    records = [SignatureRecord(f"{w}{i}", w, True) for w in "ab" for i in range(7)]
    records += [SignatureRecord(f"af{i}", "a", False) for i in range(3)]
    embeddings = np.eye(len(records), dtype=np.float32)
    scores = trial_scores(records, embeddings, reference_count=5)
    assert len(scores.genuine) == 2 * 2  # 7 genuine - 5 references, two writers
    assert len(scores.skilled) == 3
    assert len(scores.random) == 7 + 7
    summary = summarize(scores, threshold=0.5)
    assert summary["far_random_at_threshold"] == 0.0


def test_classifier_protocol_enrolls_every_writer_and_never_tests_on_its_negatives():
    rng = np.random.default_rng(2)
    centres = rng.normal(size=(3, 16))
    records, rows = [], []
    for w, centre in zip("abc", centres, strict=True):
        for i in range(8):
            records.append(SignatureRecord(f"{w}{i}", w, True))
            rows.append(centre + 0.2 * rng.normal(size=16))
    records += [SignatureRecord(f"af{i}", "a", False) for i in range(2)]
    rows += [centres[0] + rng.normal(size=16) for _ in range(2)]
    embeddings = np.array(rows, np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    background = rng.normal(size=(40, 16)).astype(np.float32)
    background /= np.linalg.norm(background, axis=1, keepdims=True)
    matcher = Matcher(
        threshold=0.5, background=background, writer_classifier=WriterClassifier(threshold=0.0)
    )
    scores = classifier_trial_scores(records, embeddings, matcher, seed=4)
    by_cosine = trial_scores(records, embeddings, seed=4)
    assert len(scores.genuine) == len(by_cosine.genuine) == 3 * 3
    assert len(scores.skilled) == 2
    # Random forgeries: the other writers' genuine signatures minus their 5 references.
    assert len(scores.random) == 3 * 2 * 3 and len(by_cosine.random) == 3 * 2 * 8
    assert scores.rule == "classifier"
    summary = summarize(scores)  # at the matcher's decisions: the classifier's threshold 0
    assert summary["eer_random"] == 0.0 and summary["far_random_at_threshold"] == 0.0


def test_protocol_is_reproducible():
    rng = np.random.default_rng(1)
    records = [SignatureRecord(f"{w}{i}", w, i % 4 != 0) for w in "abc" for i in range(12)]
    embeddings = rng.normal(size=(len(records), 8)).astype(np.float32)
    first = trial_scores(records, embeddings, seed=3)
    assert first.genuine == trial_scores(records, embeddings, seed=3).genuine


def _two_writers() -> tuple[list[SignatureRecord], np.ndarray]:
    """A consistent writer and a variable one, each with 6 genuine signatures and 2 forgeries.

    The consistent writer's forgeries score about as high as the variable
    writer's genuine signatures: no global threshold separates them, the
    writers' own spreads do.
    """
    rng = np.random.default_rng(5)
    records, rows = [], []
    for writer, spread, forged_at in (("a", 0.05, 0.55), ("b", 0.45, 2.0)):
        centre = np.eye(16)[0 if writer == "a" else 1]
        for i in range(6):
            records.append(SignatureRecord(f"{writer}{i}", writer, True))
            rows.append(centre + spread * rng.normal(size=16) / 4)
        for i in range(2):
            records.append(SignatureRecord(f"{writer}f{i}", writer, False))
            rows.append(centre + forged_at * rng.normal(size=16) / 4)
    embeddings = np.array(rows, np.float32)
    return records, embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)


def test_decisions_come_from_the_matcher_with_its_policies():
    records, embeddings = _two_writers()
    matcher = Matcher(threshold=0.9)
    scores = trial_scores(records, embeddings, reference_count=5, matcher=matcher)
    assert scores.decided and scores.rule == "global"
    fixed = summarize(scores, threshold=0.9)
    decided = summarize(scores)
    assert decided["far_skilled_at_threshold"] == fixed["far_skilled_at_threshold"]
    assert decided["frr_skilled_at_threshold"] == fixed["frr_skilled_at_threshold"]
    by_writer = trial_scores(
        records,
        embeddings,
        reference_count=5,
        matcher=matcher.with_policies(writer_rule=WriterThresholdRule(band=0.5)),
    )
    assert by_writer.rule == "writer"
    per_trial = {round(t, 6) for t in by_writer.thresholds["genuine"]}
    assert len(per_trial) == 2  # one threshold per writer, from their own references


def test_protocol_summary_reports_the_threshold_for_its_number_of_references():
    records, embeddings = _two_writers()
    calibration = {
        "reference_count": 5,
        "thresholds": {"1": {"threshold": 0.95}, "5": {"threshold": 0.9}},
    }
    summary, scores = protocol_summary(records, embeddings, Matcher(calibration=calibration), 1)
    assert (summary["threshold"], summary["calibrated_reference_count"]) == (0.95, 1)
    assert summary["frr_skilled_at_threshold"] == np.mean(np.array(scores.genuine) < 0.95)
    summary, _ = protocol_summary(records, embeddings, Matcher(calibration=calibration), 5)
    assert summary["calibrated_reference_count"] == 5
    assert {"far_skilled_writer_rule", "frr_writer_rule"} <= set(summary)  # cosine scoring


def test_protocol_keeps_each_writers_reference_spread():
    rng = np.random.default_rng(2)
    records = [SignatureRecord(f"{w}{i}", w, True) for w in "ab" for i in range(8)]
    embeddings = rng.normal(size=(len(records), 8)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    scores = trial_scores(records, embeddings, reference_count=5, seed=0)
    assert len(scores.spreads["genuine"]) == len(scores.genuine) == 6
    assert len(set(scores.spreads["genuine"])) == 2  # one spread per writer
    mu, sigma = scores.spreads["genuine"][0]
    assert -1 <= mu <= 1 and sigma >= 0.01


def test_protocol_summary_of_a_collection_without_enough_genuine_signatures():
    records, embeddings = _two_writers()
    background = np.eye(16, dtype=np.float32)[2:8]
    classifier = Matcher(0.5, background=background, writer_classifier=WriterClassifier(0.0))
    summary, _ = protocol_summary(records, embeddings, classifier, 10, classifier=classifier)
    assert summary["genuine_trials"] == 0 and "threshold_classifier" not in summary


def test_writer_normalised_eer_only_for_mean_cosine_scores():
    records, embeddings = _two_writers()
    cosine = summarize(trial_scores(records, embeddings, 5, matcher=Matcher(0.9)))
    assert "eer_skilled_normalized" in cosine
    calibration = {"threshold": 0.0, "score_rule": {"name": "distance_ratio"}}
    ratio = Matcher(calibration=calibration, background=np.eye(16, dtype=np.float32)[2:8])
    assert "eer_skilled_normalized" not in summarize(
        trial_scores(records, embeddings, 5, matcher=ratio)
    )
