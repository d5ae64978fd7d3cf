"""Scales and pads signature crops for the cleaner, keeping what `clean` needs to undo it."""

from __future__ import annotations

import keras
import keras_hub

from signver_keras.models.cleaner.cleaner_inference import CleanerInputs
from signver_keras.models.cleaner.signature_cleaner_backbone import SignatureCleanerBackbone


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureCleanerPreprocessor(CleanerInputs, keras_hub.models.Preprocessor):
    """Grayscale, paper-tone removal, downscaling to `max_side` and padding.

    Accepts what every signver-keras method accepts (paths, PIL images, numpy
    arrays, one or a list). Each image is scaled down (never up) so its longer
    side is at most `max_side`, turned into ink intensity in [0, 1] (median
    paper tone at 0), and zero-padded at the bottom and right to a shared
    `(H, W)` taken from a short ladder of multiples of `pad_multiple`
    (`padded_side`). `prepare` also returns each image's scaled size, so
    `SignatureCleaner.clean` can crop and resize back.
    Passing clean target images through the same preprocessor gives the
    training targets (ink = 1).

    Args:
        max_side: int. Longest side fed to the network. Defaults to 512.
        pad_multiple: int. Padded sides are multiples of it; a multiple of the
            backbone stride (a coarser value means fewer distinct shapes to
            compile). Defaults to 32.

    Example:
    ```python
    import signver_keras as sv
    preprocessor = sv.models.SignatureCleanerPreprocessor(max_side=512)
    batch, sizes = preprocessor.prepare(["crop1.png", "crop2.png"])  # (2, H, W, 1), (2, 2)
    ```
    """

    backbone_cls = SignatureCleanerBackbone

    def __init__(self, max_side: int = 512, pad_multiple: int = 32, **kwargs):
        keras_hub.models.Preprocessor.__init__(self, **kwargs)
        CleanerInputs.__init__(self, max_side, pad_multiple)

    def call(self, x, y=None, sample_weight=None):
        return keras.utils.pack_x_y_sample_weight(self.prepare(x)[0], y, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update({"max_side": self.max_side, "pad_multiple": self.pad_multiple})
        return config
