"""The extractor's CNN: a signature image in, an L2-normalized embedding out."""

from __future__ import annotations

import keras
import keras_hub
from keras import layers

from signver_keras.models.layers import L2Normalize, conv_bn_relu, residual_block


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureExtractorBackbone(keras_hub.models.Backbone):
    """A compact residual CNN mapping a grayscale signature to a unit-norm embedding.

    The input is ink intensity in [0, 1] on a zero background (see
    `SignatureExtractorPreprocessor`). A strided stem and max-pool bring the
    image to 1/4 resolution quickly, residual stages halve it again each time,
    and concatenated average and max pooling keep both the overall shape and
    the strongest local stroke features.

    Args:
        image_shape: tuple `(height, width, 1)`. Defaults to `(96, 192, 1)`.
        stem_filters: int. Filters of the 5x5 stride-2 stem. Defaults to 32.
        stage_filters: tuple of int. Filters of each residual stage; every stage
            after the first halves the resolution. Defaults to `(48, 96, 160, 256)`.
        stage_blocks: int or tuple of int. Residual blocks per stage (an int: the same
            for every stage). Defaults to 1.
        embedding_dim: int. Size of the output embedding. Defaults to 128.
        dropout: float. Dropout before the embedding layer (training only).

    Example:
    ```python
    import numpy as np
    import signver_keras as sv
    backbone = sv.models.SignatureExtractorBackbone(embedding_dim=64)
    embeddings = backbone(np.zeros((2, 96, 192, 1), "float32"))  # (2, 64), unit norm
    ```
    """

    def __init__(
        self,
        image_shape: tuple[int, int, int] = (96, 192, 1),
        stem_filters: int = 32,
        stage_filters: tuple[int, ...] = (48, 96, 160, 256),
        stage_blocks: int | tuple[int, ...] = 1,
        embedding_dim: int = 128,
        dropout: float = 0.1,
        dtype=None,
        **kwargs,
    ):
        stage_filters = tuple(stage_filters)
        if isinstance(stage_blocks, int):
            stage_blocks = (stage_blocks,) * len(stage_filters)
        stage_blocks = tuple(stage_blocks)
        if len(stage_blocks) != len(stage_filters):
            raise ValueError(
                "stage_blocks must give one block count per stage; received "
                f"stage_filters={stage_filters} and stage_blocks={stage_blocks}."
            )

        # === Functional Model ===
        inputs = keras.Input(shape=tuple(image_shape), name="images")
        x = conv_bn_relu(inputs, stem_filters, 5, strides=2, name="stem")
        x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
        for stage, (filters, blocks) in enumerate(zip(stage_filters, stage_blocks, strict=True)):
            for block in range(blocks):
                strides = 2 if stage > 0 and block == 0 else 1
                x = residual_block(x, filters, strides, name=f"stage{stage}_block{block}")
        pooled = layers.Concatenate(name="pool")(
            [layers.GlobalAveragePooling2D(name="avg")(x), layers.GlobalMaxPooling2D(name="max")(x)]
        )
        pooled = layers.Dropout(dropout, name="dropout")(pooled)
        projected = layers.Dense(embedding_dim, name="embedding_dense")(pooled)
        outputs = L2Normalize(name="embedding")(projected)
        super().__init__(inputs=inputs, outputs=outputs, dtype=dtype, **kwargs)

        # === Config ===
        self.image_shape = tuple(image_shape)
        self.stem_filters = stem_filters
        self.stage_filters = stage_filters
        self.stage_blocks = stage_blocks
        self.embedding_dim = embedding_dim
        self.dropout = dropout

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_shape": self.image_shape,
                "stem_filters": self.stem_filters,
                "stage_filters": self.stage_filters,
                "stage_blocks": self.stage_blocks,
                "embedding_dim": self.embedding_dim,
                "dropout": self.dropout,
            }
        )
        return config
