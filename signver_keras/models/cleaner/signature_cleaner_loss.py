"""The cleaner's training loss: per-pixel binary cross-entropy plus optional dice."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureCleanerLoss(keras.losses.Loss):
    """Binary cross-entropy on ink probability, plus `dice_weight` times the soft dice loss.

    `y_true` is the clean target `(B, H, W, 1)` in [0, 1] (1 = ink), e.g. the
    clean image passed through `SignatureCleanerPreprocessor`; `y_pred` the
    network's ink probability. Dice counters the imbalance of thin strokes on
    a mostly blank crop.

    Args:
        dice_weight: float. Weight of the dice term; 0 for plain cross-entropy. Defaults to 0.5.
    """

    def __init__(self, dice_weight: float = 0.5, name: str = "signature_cleaner_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dice_weight = dice_weight

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        if y_true.shape[-1] != y_pred.shape[-1]:
            raise ValueError(
                f"y_true should have shape (batch, height, width, 1) like the predictions; "
                f"received y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}."
            )
        bce = ops.mean(ops.binary_crossentropy(y_true, y_pred), axis=(1, 2, 3))
        if not self.dice_weight:
            return bce
        overlap = ops.sum(y_true * y_pred, axis=(1, 2, 3))
        total = ops.sum(y_true, axis=(1, 2, 3)) + ops.sum(y_pred, axis=(1, 2, 3))
        dice = 1.0 - (2.0 * overlap + 1.0) / (total + 1.0)
        return bce + self.dice_weight * dice

    def get_config(self):
        config = super().get_config()
        config.update({"dice_weight": self.dice_weight})
        return config
