"""Choosing a detector's score threshold for a stated precision."""

import pytest

from signver_keras.evaluation.detection import detection_metrics, threshold_for_precision


def _matches(scores_and_hits, objects):
    truth = [
        {"boxes": [[0, 10 * i, 5, 10 * i + 5] for i in range(objects)], "labels": [0] * objects}
    ]
    boxes, scores, hit_index = [], [], 0
    for score, hit in scores_and_hits:
        # A hit lands on the next unmatched object; a miss lands far away.
        boxes.append([0, 10 * hit_index, 5, 10 * hit_index + 5] if hit else [50, 50, 60, 60])
        hit_index += hit
        scores.append(score)
    found = [{"boxes": boxes, "scores": scores, "labels": [0] * len(scores)}]
    return detection_metrics(found, truth, ["signature"], 0.5)[1]["signature"]


def test_lowest_threshold_that_keeps_the_precision():
    # Ranked: hit, hit, miss, hit, hit, miss, miss, hit.
    ranked = [(0.9, 1), (0.8, 1), (0.7, 0), (0.6, 1), (0.5, 1), (0.4, 0), (0.3, 0), (0.2, 1)]
    chosen = threshold_for_precision(_matches(ranked, 6), 0.75)
    assert chosen == {"threshold": 0.5, "precision": 0.8, "recall": 4 / 6}
    assert threshold_for_precision(_matches(ranked, 6), 1.0)["threshold"] == 0.8


def test_unreachable_precision_or_nothing_to_find_gives_none():
    assert threshold_for_precision(_matches([(0.9, 0), (0.8, 1)], 1), 0.9) is None
    assert threshold_for_precision(_matches([(0.9, 0)], 0), 0.9) is None
    with pytest.raises(ValueError, match=r"precision in \(0, 1\]"):
        threshold_for_precision(_matches([(0.9, 1)], 1), 0.0)
