"""The detector's training loss (keras.ops only, so every backend trains the same)."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureDetectorLoss(keras.losses.Loss):
    """CenterNet loss: penalty-reduced focal loss on the heatmap, L1 on size and offset.

    `y_true` is the target map of `SignatureDetectorLabelEncoder` `(B, h, w, C + 5)`,
    or `(B, h, w, 2C + 5)` with a per-image class mask (the heatmap loss of a
    class masked 0 on a page is ignored: its objects are there but unlabelled);
    `y_pred` the network output `(B, h, w, C + 4)` with heatmap logits. Every
    term is summed over the batch and divided by its number of objects, so the
    loss does not depend on how many signatures a page holds.

    Args:
        size_weight: float. Weight of the L1 loss on log width and height. Defaults to 1.0.
        offset_weight: float. Weight of the L1 loss on the center offset. Defaults to 1.0.
        alpha: float. Focal exponent on the prediction error. Defaults to 2.0.
        beta: float. Exponent reducing the penalty near (not at) object centers. Defaults to 4.0.
    """

    def __init__(
        self,
        size_weight: float = 1.0,
        offset_weight: float = 1.0,
        alpha: float = 2.0,
        beta: float = 4.0,
        name: str = "signature_detector_loss",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.size_weight = size_weight
        self.offset_weight = offset_weight
        self.alpha = alpha
        self.beta = beta

    def call(self, y_true, y_pred):
        num_classes = y_pred.shape[-1] - 4
        if y_true.shape[-1] not in (num_classes + 5, 2 * num_classes + 5):
            raise ValueError(
                f"y_true should have {num_classes + 5} channels (heatmap, size, offset, mask), "
                f"or {2 * num_classes + 5} with a class mask, for predictions with "
                f"{num_classes + 4}; received y_true.shape={y_true.shape}. "
                "Encode targets with `SignatureDetectorLabelEncoder`."
            )
        y_true = ops.cast(y_true, y_pred.dtype)
        heatmap, logits = y_true[..., :num_classes], y_pred[..., :num_classes]
        mask = y_true[..., num_classes + 4 : num_classes + 5]
        class_mask = y_true[..., num_classes + 5 :] if y_true.shape[-1] > num_classes + 5 else 1.0
        num_objects = ops.maximum(ops.sum(mask), 1.0)

        # Log-probabilities from logits: stable where sigmoid saturates.
        probs = ops.sigmoid(logits)
        log_p, log_not_p = ops.log_sigmoid(logits), ops.log_sigmoid(-logits)
        positive = ops.cast(heatmap >= 1.0, y_pred.dtype)
        focal = (
            positive * ops.power(1.0 - probs, self.alpha) * log_p
            + (1.0 - positive)
            * ops.power(1.0 - heatmap, self.beta)
            * ops.power(probs, self.alpha)
            * log_not_p
        )
        heatmap_loss = -ops.sum(focal * class_mask) / num_objects

        size_error = ops.abs(
            y_pred[..., num_classes : num_classes + 2] - y_true[..., num_classes : num_classes + 2]
        )
        offset_error = ops.abs(
            y_pred[..., num_classes + 2 : num_classes + 4]
            - y_true[..., num_classes + 2 : num_classes + 4]
        )
        size_loss = ops.sum(size_error * mask) / num_objects
        offset_loss = ops.sum(offset_error * mask) / num_objects
        return heatmap_loss + self.size_weight * size_loss + self.offset_weight * offset_loss

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "size_weight": self.size_weight,
                "offset_weight": self.offset_weight,
                "alpha": self.alpha,
                "beta": self.beta,
            }
        )
        return config
