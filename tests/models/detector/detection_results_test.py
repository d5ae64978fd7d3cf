import numpy as np

from signver_keras.models.detector.detection_results import filter_detections, page_tags


def detections():
    return {
        "boxes": np.arange(16, dtype=np.float32).reshape(4, 4),
        "scores": np.array([0.9, 0.6, 0.4, 0.1], np.float32),
        "labels": np.array([0, 1, 3, 2]),
        "names": ["signature", "initials", "date", "redaction"],
    }


def test_filter_detections_keeps_scores_at_or_above_the_threshold():
    kept = filter_detections(detections(), 0.4)
    assert kept["names"] == ["signature", "initials", "date"]
    np.testing.assert_array_equal(kept["boxes"], detections()["boxes"][:3])
    assert filter_detections(detections(), 1.0)["boxes"].shape == (0, 4)


def test_page_tags():
    assert page_tags(detections()) == {
        "signed": True,
        "signatures": 1,
        "initials": 1,
        "dated": True,
        "redacted": True,
    }
    none = filter_detections(detections(), 0.95)
    assert page_tags(none) == {
        "signed": False,
        "signatures": 0,
        "initials": 0,
        "dated": False,
        "redacted": False,
    }
