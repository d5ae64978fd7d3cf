"""Turns signature images of any size and type into the extractor's input batch."""

from __future__ import annotations

import keras
import keras_hub

from signver_keras.images import load_images
from signver_keras.models.extractor.extractor_inference import extractor_batch
from signver_keras.models.extractor.signature_extractor_backbone import (
    SignatureExtractorBackbone,
)
from signver_keras.utils.ink import DEFAULT_MARGIN


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureExtractorPreprocessor(keras_hub.models.Preprocessor):
    """Grayscale, background removal, ink crop and aspect-preserving resize.

    Accepts what every signver-keras method accepts (paths, PIL images, numpy
    arrays, one or a list; see `signver_keras.images.load_image`) and returns a
    float32 batch of shape `(N, height, width, 1)` holding ink intensity in
    [0, 1] on a zero background. Paper tone is removed before the network sees
    the image, so scanner brightness cannot act as a shortcut feature.

    Args:
        target_size: tuple `(height, width)` of the network input. Defaults to `(96, 192)`.
        margin: float. Blank margin kept around the ink, relative to the longer side.

    Example:
    ```python
    import signver_keras as sv
    preprocessor = sv.models.SignatureExtractorPreprocessor()
    batch = preprocessor(["a.png", "b.png"])  # (2, 96, 192, 1) float32
    ```
    """

    backbone_cls = SignatureExtractorBackbone

    def __init__(
        self, target_size: tuple[int, int] = (96, 192), margin: float = DEFAULT_MARGIN, **kwargs
    ):
        super().__init__(**kwargs)
        self.target_size = tuple(target_size)
        self.margin = margin

    def call(self, x, y=None, sample_weight=None):
        batch = extractor_batch(load_images(x), self.target_size, self.margin)
        return keras.utils.pack_x_y_sample_weight(batch, y, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update({"target_size": self.target_size, "margin": self.margin})
        return config
