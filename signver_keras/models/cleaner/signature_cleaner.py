"""`SignatureCleaner`: signature crops in, the same crops with only the signature ink out."""

from __future__ import annotations

import keras

from signver_keras.models.cleaner.cleaner_inference import CleanerInference, CleanerInputs
from signver_keras.models.cleaner.signature_cleaner_backbone import SignatureCleanerBackbone
from signver_keras.models.cleaner.signature_cleaner_loss import SignatureCleanerLoss
from signver_keras.models.cleaner.signature_cleaner_preprocessor import (
    SignatureCleanerPreprocessor,
)
from signver_keras.models.signver_task import SignverTask


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureCleaner(CleanerInference, SignverTask):
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

    @property
    def stride(self) -> int:
        return self.backbone.stride

    def _cleaner_inputs(self) -> CleanerInputs:
        return self.preprocessor or SignatureCleanerPreprocessor(pad_multiple=self.backbone.stride)
