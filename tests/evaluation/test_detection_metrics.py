"""COCO-style AP, mAP50-95 and P/R at a threshold match hand-computed values."""

import numpy as np
import pytest

from signver_keras.data.collections.detection_data import DetectionPage, is_holdout, split_pages
from signver_keras.evaluation.detection import average_precision, detection_metrics, pairwise_iou

GT = {"boxes": [[0, 0, 10, 10], [20, 20, 40, 30]], "labels": [0, 0]}


def found(boxes, scores, labels=None):
    return {"boxes": boxes, "scores": scores, "labels": labels or [0] * len(scores)}


def test_perfect_detections_score_one():
    summary, _ = detection_metrics([found(GT["boxes"], [0.9, 0.8])], [GT], ["signature"], 0.5)
    assert summary["map50"] == 1.0 and summary["map50_95"] == 1.0
    assert summary["per_class"]["signature"]["precision"] == 1.0
    assert summary["per_class"]["signature"]["recall"] == 1.0


def test_ap_of_tp_fp_tp_is_the_101_point_envelope():
    # Ranked: TP, FP, TP -> recall .5 .5 1, precision 1 .5 .667; envelope 1 .667 .667.
    # Recall points 0..0.50 (51) sample 1.0; 0.51..1.0 (50) sample 2/3.
    boxes = [[0, 0, 10, 10], [100, 100, 110, 110], [20, 20, 40, 30]]
    summary, _ = detection_metrics([found(boxes, [0.9, 0.8, 0.7])], [GT], ["signature"], 0.75)
    assert summary["per_class"]["signature"]["ap50"] == pytest.approx((51 + 50 * 2 / 3) / 101)
    # At threshold 0.75: two detections kept, one correct, of two boxes.
    assert summary["per_class"]["signature"]["precision"] == 0.5
    assert summary["per_class"]["signature"]["recall"] == 0.5
    assert summary["per_class"]["signature"]["detections"] == 2


def test_iou_thresholds_make_map50_95():
    # IoU 0.62 with the box: a hit at 0.50, 0.55, 0.60 and a miss from 0.65 on.
    truth = {"boxes": [[0, 0, 10, 10]], "labels": [0]}
    assert pairwise_iou([[0, 0, 10, 6.2]], truth["boxes"])[0, 0] == pytest.approx(0.62)
    summary, _ = detection_metrics([found([[0, 0, 10, 6.2]], [0.9])], [truth], ["sig"], 0.5)
    assert summary["map50"] == 1.0
    assert summary["map50_95"] == pytest.approx(0.3)


def test_duplicates_are_false_positives_and_images_are_pooled():
    truth = [{"boxes": [[0, 0, 10, 10]], "labels": [0]}, {"boxes": [], "labels": []}]
    # A 0.95 false positive on the empty page outranks the hit: precision 0 then 0.5.
    predictions = [
        found([[0, 0, 10, 10], [0, 0, 10, 10]], [0.9, 0.8]),
        found([[0, 0, 5, 5]], [0.95]),
    ]
    summary, matches = detection_metrics(predictions, truth, ["sig"], 0.5)
    assert summary["map50"] == pytest.approx(0.5)
    assert matches["sig"].matched[0].tolist() == [False, True, False]
    assert summary["per_class"]["sig"]["precision"] == pytest.approx(1 / 3)


def test_classes_without_boxes_are_left_out_and_missed_ones_score_zero():
    truth = [{"boxes": [[0, 0, 10, 10], [50, 50, 60, 60]], "labels": [0, 1]}]
    predictions = [found([[0, 0, 10, 10], [50, 50, 60, 60]], [0.9, 0.9], [0, 0])]
    summary, _ = detection_metrics(predictions, truth, ["a", "b", "c"], 0.5)
    classes = summary["per_class"]
    assert classes["a"]["ap50"] == 1.0 and classes["b"]["ap50"] == 0.0
    assert np.isnan(classes["c"]["ap50"]) and np.isnan(classes["c"]["recall"])
    assert summary["map50"] == 0.5  # mean over a and b only
    assert classes["a"]["precision"] == 0.5  # the second box is on b's object, labelled a


def test_empty_inputs():
    assert average_precision(np.zeros(0, bool), 3) == 0.0
    assert np.isnan(average_precision(np.zeros(0, bool), 0))
    with pytest.raises(ValueError, match="one prediction per ground-truth image"):
        detection_metrics([], [GT], ["sig"], 0.5)


def test_page_holdout_is_fixed_by_file_name():
    pages = [DetectionPage(f"/a/page_{i}.jpg", name=f"page_{i}.jpg") for i in range(1000)]
    train, holdout = split_pages(pages)
    assert 150 < len(holdout) < 250 and len(train) + len(holdout) == 1000
    assert all(is_holdout(p.name) for p in holdout)
    assert split_pages(pages[::-1])[1] == holdout[::-1]


def test_evaluate_names_each_resampled_set_by_its_scale(tmp_path):
    from signver_keras.evaluation.runner import evaluate
    from tests.tiny_models import tiny_detector

    tiny_detector().save_to_preset(str(tmp_path / "preset"))
    report = evaluate("detection", str(tmp_path / "preset"), ["synthetic:1", "synthetic:1@0.5"])
    assert list(report["results"]) == ["synthetic:1", "synthetic:1@0.5"]
    assert "--data synthetic:1@0.5" in report["command"]
