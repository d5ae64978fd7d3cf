import numpy as np
import pytest

from signver_keras.models.detector.signature_detector_decoder import (
    decode_predictions,
    non_max_suppression,
)
from signver_keras.models.detector.signature_detector_label_encoder import (
    SignatureDetectorLabelEncoder,
    encode_targets,
)


def sort_rows(boxes, labels):
    order = np.lexsort((boxes[:, 0], labels))
    return boxes[order], labels[order]


def test_encode_decode_round_trip_recovers_boxes(perfect_predictions):
    boxes = np.array(
        [[20.3, 30.1, 180.7, 90.2], [100, 150, 140, 170], [30, 60, 170, 120], [5, 200, 250, 250]],
        np.float32,
    )
    labels = np.array([0, 1, 3, 2])
    targets = encode_targets(boxes, labels, num_classes=4, image_size=256, stride=4)
    assert targets.shape == (64, 64, 9) and targets.dtype == np.float32
    assert targets[..., -1].sum() == 4
    decoded, scores, decoded_labels = decode_predictions(
        perfect_predictions(targets), num_classes=4, stride=4, score_threshold=0.5
    )
    assert decoded.dtype == np.float32 and scores.dtype == np.float32
    assert decoded_labels.dtype == np.int32
    np.testing.assert_allclose(scores, 1.0, atol=1e-4)
    got, got_labels = sort_rows(decoded, decoded_labels)
    want, want_labels = sort_rows(boxes, labels)
    np.testing.assert_array_equal(got_labels, want_labels)
    np.testing.assert_allclose(got, want, atol=1e-3)


def test_batch_encoder_and_empty_images(perfect_predictions):
    encoder = SignatureDetectorLabelEncoder(num_classes=2, image_size=64, stride=8)
    targets = encoder([np.zeros((0, 4)), [[8, 8, 40, 24]]], [[], [1]])
    assert targets.shape == (2, 8, 8, 7)
    assert targets[0].max() == 0 and targets[1, ..., 1].max() == 1
    boxes, scores, labels = decode_predictions(perfect_predictions(targets[0]), 2, 8)
    assert boxes.shape == (0, 4) and scores.shape == (0,) and labels.shape == (0,)


def test_encoder_rejects_bad_labels():
    with pytest.raises(ValueError, match="one label per box"):
        encode_targets([[0, 0, 10, 10]], [0, 1], num_classes=2, image_size=64)
    with pytest.raises(ValueError, match=r"Labels must lie in \[0, 1\]"):
        encode_targets([[0, 0, 10, 10]], [2], num_classes=2, image_size=64)


def test_nms_is_class_wise():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10]], np.float32)
    keep = non_max_suppression(boxes, np.array([0.9, 0.8, 0.7]), np.array([0, 0, 1]), 0.5)
    np.testing.assert_array_equal(keep, [0, 2])
