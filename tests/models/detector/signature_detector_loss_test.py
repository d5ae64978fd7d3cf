"""A per-image class mask lets pages annotated for some classes only train the detector."""

import numpy as np
import pytest

from signver_keras.models.detector.signature_detector_label_encoder import (
    SignatureDetectorLabelEncoder,
)
from signver_keras.models.detector.signature_detector_loss import SignatureDetectorLoss


def loss_value(targets, predictions):
    return float(np.asarray(SignatureDetectorLoss()(targets, predictions)))


def test_class_mask_channels_and_backward_compatibility():
    encoder = SignatureDetectorLabelEncoder(num_classes=3, image_size=64, stride=4)
    boxes, labels = [np.array([[8, 8, 40, 24]]), np.zeros((0, 4))], [[0], []]
    plain = encoder(boxes, labels)
    masked = encoder(boxes, labels, class_mask=[[1, 0, 0], [1, 1, 1]])
    assert plain.shape == (2, 16, 16, 8) and masked.shape == (2, 16, 16, 11)
    np.testing.assert_array_equal(masked[..., :8], plain)
    np.testing.assert_array_equal(masked[0, 5, 7, 8:], [1, 0, 0])

    rng = np.random.default_rng(0)
    predictions = rng.normal(0, 2, (2, 16, 16, 7)).astype("float32")
    all_ones = encoder(boxes, labels, class_mask=np.ones((2, 3)))
    assert loss_value(all_ones, predictions) == pytest.approx(loss_value(plain, predictions))
    # Masked classes on image 0 do not count: changing their logits leaves the loss as it is.
    changed = predictions.copy()
    changed[0, ..., 1:3] += 5.0
    assert loss_value(masked, changed) == pytest.approx(loss_value(masked, predictions), rel=1e-5)
    assert loss_value(plain, changed) > loss_value(plain, predictions)
    with pytest.raises(ValueError, match="class_mask should have shape"):
        encoder(boxes, labels, class_mask=[[1, 0, 0]])
