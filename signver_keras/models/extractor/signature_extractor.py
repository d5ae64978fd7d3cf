"""`SignatureExtractor`: signature images in, calibrated embeddings out."""

from __future__ import annotations

import hashlib
from typing import Any

import keras
import numpy as np

from signver_keras.embeddings import Embeddings
from signver_keras.images import ImageInput, load_images, load_signatures
from signver_keras.models.extractor.signature_extractor_backbone import (
    SignatureExtractorBackbone,
)
from signver_keras.models.extractor.signature_extractor_preprocessor import (
    SignatureExtractorPreprocessor,
)
from signver_keras.models.matcher.writer_classifier import WriterClassifier
from signver_keras.models.signver_task import SignverTask

WRITER_BACKGROUND_FILE = "writer_background.npy"


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureExtractor(SignverTask):
    """Embeds signatures so one writer's signatures are close and forgeries far.

    `embed` returns L2-normalized float32 embeddings; cosine similarity (a dot
    product) compares them. The preset also carries the calibration the
    `Matcher` needs: the decision threshold, how and on which writers it was
    chosen, and the error rates there.

    Args:
        backbone: a `SignatureExtractorBackbone`.
        preprocessor: a `SignatureExtractorPreprocessor` or None.
        calibration: dict or None. Decision threshold and its provenance, e.g.
            `{"threshold": 0.62, "rule": "eer", "reference_count": 5, "data": "...",
            "far": 0.04, "frr": 0.05}`. Written by the training recipe. Its
            optional "writer_classifier" entry calibrates `writer_classifier()`.

    Attributes:
        writer_background: float32 array (N, D) or None. Embeddings of other
            writers' genuine signatures (the project's synthetic writers), the
            negatives of the writer-dependent classifier; saved in the preset
            as `writer_background.npy`.

    Example:
    ```python
    import signver_keras as sv
    extractor = sv.SignatureExtractor.from_preset("signver_extractor_base")
    embeddings = extractor.embed(["ref1.png", "ref2.png", "query.png"])  # (3, 128)
    similarity = embeddings[:2] @ embeddings[2]
    ```
    """

    family = "extractor"
    backbone_cls = SignatureExtractorBackbone
    preprocessor_cls = SignatureExtractorPreprocessor

    def __init__(
        self,
        backbone: SignatureExtractorBackbone,
        preprocessor: SignatureExtractorPreprocessor | None = None,
        calibration: dict[str, Any] | None = None,
        **kwargs,
    ):
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor

        # === Functional Model ===
        inputs = backbone.input
        outputs = backbone(inputs)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.calibration = dict(calibration) if calibration else None
        self.writer_background: np.ndarray | None = None

    def get_config(self):
        config = super().get_config()
        config["calibration"] = self.calibration
        return config

    def save_assets(self, folder) -> None:
        if self.writer_background is not None:
            np.save(folder / WRITER_BACKGROUND_FILE, self.writer_background.astype(np.float16))

    def load_assets(self, folder) -> None:
        path = folder / WRITER_BACKGROUND_FILE
        if path.exists():
            self.writer_background = np.load(path).astype(np.float32)

    def writer_classifier(self) -> WriterClassifier | None:
        """The calibrated writer-dependent classifier, or None when the preset has none.

        It needs both the calibration entry and `writer_background`, its negatives.
        """
        config = (self.calibration or {}).get("writer_classifier")
        if config is None or self.writer_background is None:
            return None
        return WriterClassifier(config["threshold"], config["c"], config["min_references"])

    @property
    def embedding_dim(self) -> int:
        return self.backbone.embedding_dim

    def fingerprint(self) -> str:
        """Short hash of the weights: embeddings from different weights never mix."""
        digest = hashlib.sha256()
        for weight in self.backbone.weights:
            digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
        return digest.hexdigest()[:16]

    def embed(
        self,
        images: ImageInput | list[ImageInput],
        batch_size: int = 64,
        check_input: bool = True,
    ) -> Embeddings:
        """Embeds one or more signature images.

        Args:
            images: a path, PIL image or numpy array, or a list of them.
            batch_size: int. Images per forward pass.
            check_input: bool. Refuse images too small or too blank to be a
                signature (`signver_keras.images.check_signature`) with
                `InvalidImageError`. Pass False for crops already checked, or
                cut by a detector.

        Returns:
            `Embeddings` (a float32 numpy array of shape (N, D), rows of unit
            norm) tagged with this model's `fingerprint()`.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer; received {batch_size}.")
        grays = load_signatures(images) if check_input else load_images(images)
        preprocessor = self.preprocessor or SignatureExtractorPreprocessor(
            target_size=self.backbone.image_shape[:2]
        )
        batches = (
            preprocessor(grays[start : start + batch_size])
            for start in range(0, len(grays), batch_size)
        )
        return self._embed_batches(batches)

    def embed_preprocessed(self, inputs: np.ndarray, batch_size: int = 64) -> Embeddings:
        """Embeds inputs the preprocessor already prepared, e.g. cached training inputs.

        Args:
            inputs: the preprocessor's output, float `(N, H, W, 1)` in [0, 1], or
                the same as uint8 `(N, H, W)` scaled to 0-255 (`extractor_inputs`).
            batch_size: int. Inputs per forward pass.
        """
        inputs = np.asarray(inputs)
        if inputs.dtype == np.uint8:
            inputs = inputs[..., None].astype(np.float32) / 255.0
        expected = tuple(self.backbone.image_shape)
        if inputs.ndim != 4 or tuple(inputs.shape[1:]) != expected:
            raise ValueError(
                f"Expected preprocessed inputs of shape (N, {', '.join(map(str, expected))}); "
                f"received {inputs.shape}."
            )
        return self._embed_batches(
            inputs[start : start + batch_size] for start in range(0, len(inputs), batch_size)
        )

    def _embed_batches(self, batches) -> Embeddings:
        chunks = [np.asarray(self._forward(batch), dtype=np.float32) for batch in batches]
        dim = self.backbone.embedding_dim
        array = np.concatenate(chunks) if chunks else np.zeros((0, dim), np.float32)
        return Embeddings(array, extractor_id=self.fingerprint())
