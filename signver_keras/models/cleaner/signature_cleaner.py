"""`SignatureCleaner`: signature crops in, the same crops with only the signature ink out."""

from __future__ import annotations

import keras
import numpy as np
from PIL import Image

from signver_keras.images import ImageInput, load_images
from signver_keras.models.cleaner.signature_cleaner_backbone import SignatureCleanerBackbone
from signver_keras.models.cleaner.signature_cleaner_loss import SignatureCleanerLoss
from signver_keras.models.cleaner.signature_cleaner_preprocessor import (
    SignatureCleanerPreprocessor,
)
from signver_keras.models.signver_task import SignverTask


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureCleaner(SignverTask):
    """Removes background, printed text, ruling lines and stamps from signature crops.

    `clean` returns, for every input, a uint8 grayscale image of the same
    height and width with the signature ink dark on white: the U-Net's ink
    probability `p` becomes the gray level `255 * (1 - p)`. Large crops are
    processed at `max_side` and scaled back.

    The model's raw output is the ink probability `(B, H, W, 1)`. `fit`,
    `evaluate` and `predict` take *preprocessed* batches (`preprocessor.prepare`)
    and targets in [0, 1] of the same shape (1 = ink).

    Args:
        backbone: a `SignatureCleanerBackbone`.
        preprocessor: a `SignatureCleanerPreprocessor` or None.

    Example:
    ```python
    import signver_keras as sv
    cleaner = sv.SignatureCleaner.from_preset("signver_cleaner_base")
    [clean] = cleaner.clean(["scanned_signature.png"])  # uint8, same HxW as the input

    # Fine-tuning on (dirty, clean) pairs of equal size.
    dirty, _ = cleaner.preprocessor.prepare(["dirty.png"])
    target, _ = cleaner.preprocessor.prepare(["clean.png"])
    cleaner.fit(dirty, target, epochs=5)
    ```
    """

    family = "cleaner"
    backbone_cls = SignatureCleanerBackbone
    preprocessor_cls = SignatureCleanerPreprocessor

    def __init__(
        self,
        backbone: SignatureCleanerBackbone,
        preprocessor: SignatureCleanerPreprocessor | None = None,
        **kwargs,
    ):
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor

        # === Functional Model ===
        inputs = backbone.input
        outputs = backbone(inputs)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    def compile(self, optimizer="auto", loss="auto", *, metrics=None, **kwargs):
        """Configures the cleaner for fine-tuning.

        Args:
            optimizer: `"auto"` (AdamW, learning rate 5e-4, weight decay 1e-4) or any
                Keras optimizer.
            loss: `"auto"` (`SignatureCleanerLoss(dice_weight=0.5)`: cross-entropy plus
                dice) or any Keras loss on ink probability.
            metrics: Keras metrics, or None.
            **kwargs: passed to `keras.Model.compile`.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.AdamW(learning_rate=5e-4, weight_decay=1e-4)
        if loss == "auto":
            loss = SignatureCleanerLoss()
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

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
        preprocessor = self.preprocessor or SignatureCleanerPreprocessor(
            pad_multiple=self.backbone.stride
        )
        if preprocessor.pad_multiple % self.backbone.stride:
            raise ValueError(
                f"The preprocessor's pad_multiple ({preprocessor.pad_multiple}) must be a "
                f"multiple of the backbone stride ({self.backbone.stride})."
            )
        grays = load_images(images)
        # Batch only images padded to the same shape: padding is not exactly neutral
        # (BatchNorm shifts it), so an image's output must not depend on its batch mates.
        groups: dict[tuple[int, int], list[int]] = {}
        for index, gray in enumerate(grays):
            groups.setdefault(preprocessor.padded_shape(gray.shape), []).append(index)
        results: list[np.ndarray | None] = [None] * len(grays)
        for indices in groups.values():
            for start in range(0, len(indices), batch_size):
                chunk = indices[start : start + batch_size]
                batch, sizes = preprocessor.prepare([grays[index] for index in chunk])
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
