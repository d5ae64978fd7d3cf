"""Scales and pads signature crops for the cleaner, keeping what `clean` needs to undo it."""

from __future__ import annotations

import keras
import keras_hub
import numpy as np
from PIL import Image

from signver_keras.images import load_images
from signver_keras.models.cleaner.signature_cleaner_backbone import SignatureCleanerBackbone
from signver_keras.utils.ink import paper_normalize


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureCleanerPreprocessor(keras_hub.models.Preprocessor):
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
        super().__init__(**kwargs)
        if int(max_side) < 1 or int(pad_multiple) < 1:
            raise ValueError(
                "max_side and pad_multiple must be positive integers; received "
                f"max_side={max_side}, pad_multiple={pad_multiple}."
            )
        self.max_side = int(max_side)
        self.pad_multiple = int(pad_multiple)

    def scaled_shape(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """`(height, width)` of an image of `shape` once its longer side is at most `max_side`."""
        height, width = shape[:2]
        factor = min(1.0, self.max_side / max(height, width))
        return max(1, round(height * factor)), max(1, round(width * factor))

    def padded_side(self, side: int) -> int:
        """The padded length of a side: a multiple of `pad_multiple`, on a coarse ladder.

        Multiples of `pad_multiple` up to 4x it, then steps that double every
        octave (32, 64, 96, 128, 192, 256, 384, 512 for 32): few distinct shapes,
        so JAX compiles (and caches) few programs, for at most 50% more pixels.
        """
        step = self.pad_multiple
        while side > 4 * step:
            step *= 2
        return -(-side // step) * step

    def padded_shape(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """`(height, width)` an image of `shape` is padded to when batched alone."""
        return tuple(self.padded_side(side) for side in self.scaled_shape(shape))

    def scale(self, gray: np.ndarray) -> np.ndarray:
        """Ink intensity of one uint8 image, scaled so its longer side is at most `max_side`."""
        height, width = self.scaled_shape(gray.shape)
        if (height, width) != gray.shape:
            gray = np.asarray(Image.fromarray(gray).resize((width, height), Image.BILINEAR))
        return paper_normalize(gray)

    def prepare(self, images) -> tuple[np.ndarray, np.ndarray]:
        """Returns the padded batch `(N, H, W, 1)` and each image's scaled `(height, width)`."""
        inks = [self.scale(gray) for gray in load_images(images)]
        sizes = np.array([ink.shape for ink in inks], np.int64)
        height, width = (self.padded_side(int(side)) for side in sizes.max(axis=0))
        batch = np.zeros((len(inks), height, width, 1), np.float32)
        for index, ink in enumerate(inks):
            batch[index, : ink.shape[0], : ink.shape[1], 0] = ink
        return batch, sizes

    def call(self, x, y=None, sample_weight=None):
        return keras.utils.pack_x_y_sample_weight(self.prepare(x)[0], y, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update({"max_side": self.max_side, "pad_multiple": self.pad_multiple})
        return config
