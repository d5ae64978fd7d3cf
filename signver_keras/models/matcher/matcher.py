"""`Matcher`: same-writer decisions and 1:N search on embeddings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from signver_keras.embeddings import check_same_extractor
from signver_keras.errors import EmptyReferencesError, InvalidImageError


@dataclass(frozen=True)
class Verification:
    """The outcome of one verification: `accepted` is `score >= threshold`."""

    accepted: bool
    score: float
    threshold: float


def _as_matrix(embeddings: np.ndarray, what: str) -> np.ndarray:
    array = embeddings if isinstance(embeddings, np.ndarray) else np.asarray(embeddings)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or not np.issubdtype(array.dtype, np.floating):
        raise InvalidImageError(
            f"{what} must be a float array of shape (N, D) or (D,); received shape "
            f"{array.shape} and dtype {array.dtype}."
        )
    return array


def reference_scores(query: np.ndarray, references: np.ndarray) -> np.ndarray:
    """Mean cosine similarity of each query row to the reference rows.

    The mean over references (rather than the maximum) is what the thresholds
    are calibrated for: it rewards queries that look like the writer's
    typical signature, not like one lucky reference.
    """
    return (query @ references.T).mean(axis=1)


@dataclass(frozen=True)
class WriterThresholdRule:
    """A writer-dependent threshold from the spread of a person's own references.

    Each reference gets a leave-one-out score `s_i` (its mean similarity to the
    other references): how the writer's genuine signatures score against the
    rest. With `mu`, `sigma` their mean and standard deviation (sigma at least
    0.01), a query's z-score is `(score - mu) / sigma`, and the threshold is
    `mu - z * sigma`, kept within `band` of the calibrated threshold: a
    consistent writer gets a stricter threshold, a variable one a looser one,
    and neither drifts far from what was calibrated. Used from
    `min_references` references on (at least 3).
    """

    min_references: int = 5
    z: float = 2.0
    band: float = 0.1

    def applies(self, references: int) -> bool:
        return references >= max(self.min_references, 3)

    def threshold(self, mu, sigma, calibrated: float):
        """The writer's threshold; `mu` and `sigma` may be floats or arrays (one per trial)."""
        return np.clip(mu - self.z * sigma, calibrated - self.band, calibrated + self.band)


def reference_spread(references: np.ndarray) -> tuple[float, float]:
    """(mu, sigma) of the references' leave-one-out scores (see `WriterThresholdRule`)."""
    n = len(references)
    if n < 2:
        raise ValueError(f"The spread of references needs at least 2; received {n}.")
    similarities = references @ references.T
    leave_one_out = (similarities.sum(axis=1) - np.diag(similarities)) / (n - 1)
    return float(leave_one_out.mean()), max(float(leave_one_out.std(ddof=1)), 0.01)


class Matcher:
    """Decides same writer vs forgery from L2-normalized embeddings.

    Scoring rule: the mean cosine similarity between the query and each of the
    person's references (higher = more likely the same writer). Accept when
    `score >= threshold`. Thresholds from a preset were calibrated for the
    number of references stored in its calibration (usually 5).

    Args:
        threshold: float. Decision threshold on the score.
        calibration: dict or None. Provenance of the threshold (from a preset).

    Example:
    ```python
    import signver_keras as sv
    extractor = sv.SignatureExtractor.from_preset("signver_extractor_base")
    matcher = sv.Matcher.from_preset("signver_extractor_base")
    refs = extractor.embed(["ref1.png", "ref2.png", "ref3.png"])
    result = matcher.verify(extractor.embed("query.png"), refs)
    result.accepted, result.score, result.threshold
    ```
    """

    def __init__(self, threshold: float, calibration: Mapping[str, Any] | None = None):
        if not np.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number; received {threshold}.")
        self.threshold = float(threshold)
        self.calibration = dict(calibration) if calibration else {"threshold": self.threshold}

    @classmethod
    def from_preset(cls, preset: str | os.PathLike) -> Matcher:
        """Reads the calibrated threshold stored in an extractor preset (no weights loaded)."""
        from keras_hub.src.utils.preset_utils import load_json

        from signver_keras.models.signver_task import load_handle

        config = load_json(load_handle(preset, "extractor"), "task.json").get("config", {})
        calibration = config.get("calibration")
        if not calibration or "threshold" not in calibration:
            raise ValueError(
                f"Extractor preset '{preset}' carries no calibrated threshold. Pass "
                "`Matcher(threshold=...)` or calibrate the preset with recipes/train_extractor.py."
            )
        return cls(calibration["threshold"], calibration)

    def score(self, query_embedding: np.ndarray, reference_embeddings: np.ndarray) -> float:
        """Similarity of one query to a person's references (see the class docstring)."""
        query = _as_matrix(query_embedding, "query_embedding")
        references = _as_matrix(reference_embeddings, "reference_embeddings")
        if len(references) == 0:
            raise EmptyReferencesError("No reference embeddings: pass at least one reference.")
        if len(query) != 1:
            raise ValueError(f"score() takes one query; received {len(query)}.")
        check_same_extractor(query_embedding, reference_embeddings)
        return float(reference_scores(query, references)[0])

    def verify(self, query_embedding: np.ndarray, reference_embeddings: np.ndarray) -> Verification:
        """Accepts the query as the references' writer when its score reaches the threshold."""
        score = self.score(query_embedding, reference_embeddings)
        return Verification(score >= self.threshold, score, self.threshold)

    def identify(
        self, query_embedding: np.ndarray, gallery: Mapping[str, np.ndarray], k: int = 5
    ) -> list[tuple[str, float]]:
        """Ranks the persons of `gallery` ({person_id: (R, D) embeddings}) by score.

        Returns up to `k` `(person_id, score)` pairs, best first.
        """
        if k < 1:
            raise ValueError(f"k must be a positive integer; received {k}.")
        scored = [(person, self.score(query_embedding, refs)) for person, refs in gallery.items()]
        return sorted(scored, key=lambda item: item[1], reverse=True)[:k]
