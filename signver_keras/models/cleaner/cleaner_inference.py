"""How a cleaner turns crops into clean signatures, without a Keras backend.

`CleanerInputs` prepares the network input and `CleanerInference` runs `clean` around
a network given by the subclass, so `SignatureCleaner` and its NumPy graph
(`signver_keras.runtime`) clean the same way.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from signver_keras.images import ImageInput, load_images
from signver_keras.utils.ink import paper_normalize


class CleanerInputs:
    """Downscaling to `max_side`, paper-tone removal and padding to a short ladder of sides.

    The settings of `SignatureCleanerPreprocessor` (see there), without Keras.
    """

    def __init__(self, max_side: int = 512, pad_multiple: int = 32):
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


class CleanerInference:
    """`clean` over a network given by the subclass.

    Subclasses provide `_cleaner_inputs()` (a `CleanerInputs`), `stride` and `_forward(batch)`.
    """

    stride: int

    def clean(self, images: ImageInput | list[ImageInput], batch_size: int = 8) -> list[np.ndarray]:
        """Keeps only the signature ink of one or more images.

        Args:
            images: a path, PIL image or numpy array, or a list of them.
            batch_size: int. Images per forward pass (images of one padded shape are
                batched together).

        Returns:
            One uint8 array `(H, W)` per input, of the input's height and width,
            ink dark on white.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer; received {batch_size}.")
        inputs = self._cleaner_inputs()
        if inputs.pad_multiple % self.stride:
            raise ValueError(
                f"The preprocessor's pad_multiple ({inputs.pad_multiple}) must be a "
                f"multiple of the backbone stride ({self.stride})."
            )
        grays = load_images(images)
        # Batch only images padded to the same shape: padding is not exactly neutral
        # (BatchNorm shifts it), so an image's output must not depend on its batch mates.
        groups: dict[tuple[int, int], list[int]] = {}
        for index, gray in enumerate(grays):
            groups.setdefault(inputs.padded_shape(gray.shape), []).append(index)
        results: list[np.ndarray | None] = [None] * len(grays)
        for indices in groups.values():
            for start in range(0, len(indices), batch_size):
                chunk = indices[start : start + batch_size]
                batch, sizes = inputs.prepare([grays[index] for index in chunk])
                probabilities = np.asarray(self._forward(batch), dtype=np.float32)[..., 0]
                for index, probability, (height, width) in zip(
                    chunk, probabilities, sizes, strict=True
                ):
                    results[index] = _to_clean_image(
                        probability[:height, :width], grays[index].shape
                    )
        return results


def _to_clean_image(ink: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Ink probability at network scale -> uint8 ink-dark-on-white image of `shape`."""
    if ink.shape != shape:
        ink = np.asarray(
            Image.fromarray(ink, mode="F").resize((shape[1], shape[0]), Image.BILINEAR)
        )
    return np.round(255.0 * (1.0 - np.clip(ink, 0.0, 1.0))).astype(np.uint8)
