"""The cleaner's network: a small fully convolutional U-Net predicting ink probability."""

from __future__ import annotations

import keras
import keras_hub
from keras import layers

from signver_keras.models.layers import conv_bn_relu


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureCleanerBackbone(keras_hub.models.Backbone):
    """A U-Net mapping a grayscale crop to the probability that each pixel is signature ink.

    The input is ink intensity in [0, 1] with the paper tone at 0 (see
    `SignatureCleanerPreprocessor`), of any height and width divisible by
    `stride`. Each encoder level runs two 3x3 conv blocks and halves the
    resolution; the decoder upsamples (nearest, exact on every backend),
    concatenates the encoder features of the same level and runs two conv
    blocks; a 1x1 conv and a sigmoid give the ink probability.

    Args:
        level_filters: tuple of int. Filters per level, finest first; the
            network stride is `2 ** (len(level_filters) - 1)`. Defaults to `(16, 32, 64, 96)`.

    Example:
    ```python
    import numpy as np
    import signver_keras as sv
    backbone = sv.models.SignatureCleanerBackbone(level_filters=(8, 16))
    ink = backbone(np.zeros((1, 64, 128, 1), "float32"))  # (1, 64, 128, 1) in [0, 1]
    ```
    """

    def __init__(self, level_filters: tuple[int, ...] = (16, 32, 64, 96), dtype=None, **kwargs):
        level_filters = tuple(level_filters)
        if not level_filters:
            raise ValueError("level_filters must name at least one level; received ().")

        # === Functional Model ===
        inputs = keras.Input(shape=(None, None, 1), name="images")
        x, skips = inputs, []
        for level, filters in enumerate(level_filters):
            if level:
                x = layers.MaxPooling2D(2, name=f"down{level}_pool")(x)
            x = conv_bn_relu(x, filters, 3, name=f"down{level}_a")
            x = conv_bn_relu(x, filters, 3, name=f"down{level}_b")
            skips.append(x)
        for level in reversed(range(len(level_filters) - 1)):
            x = layers.UpSampling2D(2, interpolation="nearest", name=f"up{level}_upsample")(x)
            x = layers.Concatenate(name=f"up{level}_concat")([x, skips[level]])
            x = conv_bn_relu(x, level_filters[level], 3, name=f"up{level}_a")
            x = conv_bn_relu(x, level_filters[level], 3, name=f"up{level}_b")
        logits = layers.Conv2D(1, 1, name="ink_logits")(x)
        outputs = layers.Activation("sigmoid", dtype="float32", name="ink")(logits)
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        self.level_filters = level_filters

    @property
    def stride(self) -> int:
        """Height and width of the input must be multiples of this."""
        return 2 ** (len(self.level_filters) - 1)

    def get_config(self):
        config = super().get_config()
        config.update({"level_filters": self.level_filters})
        return config
