"""The detector's CNN: a letterboxed page in, one stride-4 (or 8) feature map out."""

from __future__ import annotations

import keras
import keras_hub
from keras import layers

from signver_keras.models.layers import conv_bn_relu, residual_block


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureDetectorBackbone(keras_hub.models.Backbone):
    """A small residual CNN with a top-down (FPN-like) merge to one fine feature map.

    The input is a square page of ink intensity in [0, 1] on a zero background
    (see `SignatureDetectorPreprocessor`). A stride-2 stem is followed by
    residual stages at strides 4, 8, 16, 32, ...; the deepest map is then
    upsampled step by step and added to 1x1 projections of the shallower
    stages (a feature pyramid top-down path) down to `output_stride`, where a
    depthwise-separable 3x3 conv smooths the sum. Large stages see whole
    signatures and page layout; the fine map localizes them.

    Args:
        image_shape: tuple `(size, size, 1)`; size a multiple of the deepest
            stride. Defaults to `(512, 512, 1)`.
        stem_filters: int. Filters of the 3x3 stride-2 stem. Defaults to 16.
        stage_filters: tuple of int. Filters of each residual stage; stage `i`
            runs at stride `2 ** (i + 2)`. Defaults to `(24, 48, 96, 160)`.
        stage_blocks: tuple of int. Residual blocks per stage. Defaults to `(1, 1, 2, 1)`.
        fpn_filters: int. Channels of the top-down path and of the output. Defaults to 48.
        output_stride: int. Stride of the output map, 4 or 8. Defaults to 4.

    Example:
    ```python
    import numpy as np
    import signver_keras as sv
    backbone = sv.models.SignatureDetectorBackbone(image_shape=(256, 256, 1))
    features = backbone(np.zeros((1, 256, 256, 1), "float32"))  # (1, 64, 64, 48)
    ```
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (512, 512, 1),
        stem_filters: int = 16,
        stage_filters: tuple[int, ...] = (24, 48, 96, 160),
        stage_blocks: tuple[int, ...] = (1, 1, 2, 1),
        fpn_filters: int = 48,
        output_stride: int = 4,
        dtype=None,
        **kwargs,
    ):
        image_shape = tuple(image_shape)
        stage_filters, stage_blocks = tuple(stage_filters), tuple(stage_blocks)
        if len(stage_blocks) != len(stage_filters):
            raise ValueError(
                "stage_blocks must give one block count per stage; received "
                f"stage_filters={stage_filters} and stage_blocks={stage_blocks}."
            )
        strides = [2 ** (stage + 2) for stage in range(len(stage_filters))]
        if output_stride not in strides:
            raise ValueError(f"output_stride must be one of {strides}; received {output_stride}.")
        deepest = strides[-1]
        if len(image_shape) != 3 or image_shape[0] % deepest or image_shape[1] % deepest:
            raise ValueError(
                f"image_shape must be (height, width, channels) with height and width multiples "
                f"of {deepest} (the deepest stride); received {image_shape}."
            )

        # === Functional Model ===
        inputs = keras.Input(shape=image_shape, name="images")
        x = conv_bn_relu(inputs, stem_filters, 3, strides=2, name="stem")
        features = {}
        for stage, (filters, blocks) in enumerate(zip(stage_filters, stage_blocks, strict=True)):
            for block in range(blocks):
                x = residual_block(
                    x, filters, 2 if block == 0 else 1, name=f"stage{stage}_block{block}"
                )
            features[strides[stage]] = x
        # Top-down path: nearest upsampling is exact on every backend.
        x = conv_bn_relu(features[deepest], fpn_filters, 1, name=f"lateral{deepest}")
        for stride in reversed(strides[:-1]):
            if stride < output_stride:
                break
            x = layers.UpSampling2D(2, interpolation="nearest", name=f"up{stride}")(x)
            lateral = conv_bn_relu(features[stride], fpn_filters, 1, name=f"lateral{stride}")
            x = layers.Add(name=f"merge{stride}")([x, lateral])
        outputs = conv_bn_relu(x, fpn_filters, 3, name="smooth")
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        self.image_shape = image_shape
        self.stem_filters = stem_filters
        self.stage_filters = stage_filters
        self.stage_blocks = stage_blocks
        self.fpn_filters = fpn_filters
        self.output_stride = output_stride

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": self.image_shape,
                "stem_filters": self.stem_filters,
                "stage_filters": self.stage_filters,
                "stage_blocks": self.stage_blocks,
                "fpn_filters": self.fpn_filters,
                "output_stride": self.output_stride,
            }
        )
        return config
