"""`SignatureExtractor`: signature images in, calibrated embeddings out."""

from __future__ import annotations

import hashlib
from typing import Any

import keras
import numpy as np

from signver_keras.models.extractor.extractor_inference import (
    WRITER_BACKGROUND_FILE,
    ExtractorInference,
    read_writer_background,
)
from signver_keras.models.extractor.signature_extractor_backbone import (
    SignatureExtractorBackbone,
)
from signver_keras.models.extractor.signature_extractor_preprocessor import (
    SignatureExtractorPreprocessor,
)
from signver_keras.models.signver_task import SignverTask


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureExtractor(ExtractorInference, SignverTask):
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
        self.writer_background = read_writer_background(folder)

    def fingerprint(self) -> str:
        """Short hash of the weights: embeddings from different weights never mix."""
        digest = hashlib.sha256()
        for weight in self.backbone.weights:
            digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
        return digest.hexdigest()[:16]

    @property
    def embedding_dim(self) -> int:
        return self.backbone.embedding_dim

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.backbone.image_shape)

    def _extractor_inputs(self) -> SignatureExtractorPreprocessor:
        return self.preprocessor or SignatureExtractorPreprocessor(
            target_size=self.backbone.image_shape[:2]
        )

    def _preprocess(self, grays: list[np.ndarray]) -> np.ndarray:
        return self._extractor_inputs()(grays)
