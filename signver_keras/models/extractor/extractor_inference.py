"""How an extractor turns signature images into embeddings, without a Keras backend.

`ExtractorInference` holds what `SignatureExtractor` does around its network, so the
Keras model and its NumPy graph (`signver_keras.runtime`) embed the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from signver_keras.embeddings import Embeddings
from signver_keras.images import ImageInput, load_images, load_signatures
from signver_keras.models.matcher.writer_classifier import WriterClassifier
from signver_keras.utils.ink import DEFAULT_MARGIN, normalize_signature

#: The extractor preset's file of background embeddings (the writer classifier's negatives).
WRITER_BACKGROUND_FILE = "writer_background.npy"


def read_writer_background(folder: str | Path) -> np.ndarray | None:
    """The float32 background embeddings saved in an extractor preset folder, or None."""
    path = Path(folder) / WRITER_BACKGROUND_FILE
    return np.load(path).astype(np.float32) if path.is_file() else None


def extractor_batch(
    grays: list[np.ndarray], target_size: tuple[int, int], margin: float = DEFAULT_MARGIN
) -> np.ndarray:
    """The extractor's float32 input `(N, height, width, 1)` of uint8 grayscale signatures."""
    return np.stack([normalize_signature(gray, target_size, margin) for gray in grays])[..., None]


class ExtractorInference:
    """`embed` and the matcher's calibration, over a network given by the subclass.

    Subclasses set `calibration` and `writer_background` and provide `image_shape`,
    `embedding_dim`, `fingerprint()`, `_preprocess(grays)` and `_forward(batch)`.
    """

    calibration: dict[str, Any] | None
    writer_background: np.ndarray | None
    image_shape: tuple[int, int, int]
    embedding_dim: int

    def writer_classifier(self) -> WriterClassifier | None:
        """The calibrated writer-dependent classifier, or None when the preset has none.

        It needs both the calibration entry and `writer_background`, its negatives.
        """
        config = (self.calibration or {}).get("writer_classifier")
        if config is None or self.writer_background is None:
            return None
        return WriterClassifier(config["threshold"], config["c"], config["min_references"])

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
        batches = (
            self._preprocess(grays[start : start + batch_size])
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
        expected = tuple(self.image_shape)
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
        array = np.concatenate(chunks) if chunks else np.zeros((0, self.embedding_dim), np.float32)
        return Embeddings(array, extractor_id=self.fingerprint())
