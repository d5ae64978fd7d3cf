"""`Embeddings`: a float32 array that remembers which extractor produced it."""

from __future__ import annotations

import numpy as np

from signver_keras.errors import EmbeddingMismatchError


class Embeddings(np.ndarray):
    """A numpy array of embeddings tagged with the producing extractor's fingerprint.

    Slicing and stacking with other `Embeddings` keep the tag, so the matcher
    and the gallery can refuse to compare embeddings of different models.
    """

    extractor_id: str | None

    def __new__(cls, array, extractor_id: str | None = None):
        obj = np.asarray(array, dtype=np.float32).view(cls)
        obj.extractor_id = extractor_id
        return obj

    def __array_finalize__(self, obj):
        self.extractor_id = getattr(obj, "extractor_id", None)


def extractor_id_of(array: np.ndarray) -> str | None:
    return getattr(array, "extractor_id", None)


def check_same_extractor(*arrays: np.ndarray) -> str | None:
    """Raises `EmbeddingMismatchError` if tagged arrays come from different extractors
    or differ in dimension; returns the common fingerprint (None if none is tagged)."""
    dims = {np.shape(a)[-1] for a in arrays}
    if len(dims) > 1:
        raise EmbeddingMismatchError(
            f"Embeddings have different sizes {sorted(dims)}: they come from different "
            "extractors. Embed queries and references with the same extractor."
        )
    ids = {extractor_id_of(a) for a in arrays} - {None}
    if len(ids) > 1:
        raise EmbeddingMismatchError(
            f"Embeddings come from different extractors (fingerprints {sorted(ids)}). "
            "Embed queries and references with the same extractor preset."
        )
    return ids.pop() if ids else None
