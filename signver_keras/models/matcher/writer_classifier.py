"""Writer-dependent classifiers: one RBF SVM per enrolled person.

The writer-independent score (mean cosine similarity to the references) treats
every direction of the embedding space alike. With enough references a
person's own classifier can learn which directions matter for them: an RBF
SVM trained on their references against negatives, as in Hafemann et al.
(2017, "Learning features for offline handwritten signature verification",
SigNet-F with writer-dependent SVMs). The negatives are a background set of
other writers' genuine signatures shipped with the extractor preset (embeddings
of the project's own synthetic writers) plus, in a gallery, the other enrolled
persons' references: then another enrolled person's signature is rejected by
construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WriterClassifier:
    """Scores queries with an RBF SVM of one person's references against negatives.

    The score is the SVM's decision value (positive: on the person's side);
    `threshold` is calibrated for it on validation writers, like the cosine
    threshold. Classes are weighted by their size, so a handful of references
    balances hundreds of negatives.

    Args:
        threshold: float. Accept when the decision value is at least this.
        c: float. The SVM's regularisation (larger: fits the references tighter).
        min_references: int. References a person needs before the classifier is used.

    Example:
    ```python
    import numpy as np
    import signver_keras as sv
    rng = np.random.default_rng(0)
    unit = lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)
    person = unit(rng.normal(size=16))
    references = unit(person + 0.1 * rng.normal(size=(5, 16)))
    negatives = unit(rng.normal(size=(200, 16)))
    classifier = sv.WriterClassifier(threshold=0.0)
    classifier.scores(unit(person + 0.1 * rng.normal(size=(2, 16))), references, negatives)
    ```
    """

    threshold: float
    c: float = 1.0
    min_references: int = 5

    def applies(self, reference_count: int) -> bool:
        return reference_count >= max(self.min_references, 2)

    def fit(
        self, references: np.ndarray, negatives: np.ndarray
    ) -> Callable[[np.ndarray], np.ndarray]:
        """Trains the person's SVM; returns its decision function over queries (N, D)."""
        references, negatives = (np.asarray(x, np.float32) for x in (references, negatives))
        if not self.applies(len(references)):
            raise ValueError(
                f"The writer classifier needs at least {max(self.min_references, 2)} "
                f"references; received {len(references)}."
            )
        if len(negatives) == 0:
            raise ValueError("The writer classifier needs negatives; received none.")
        from sklearn.svm import SVC  # imported on use: seconds that `detect` does not need

        features = np.concatenate([references, negatives])
        labels = np.r_[np.ones(len(references)), np.zeros(len(negatives))]
        svm = SVC(kernel="rbf", C=self.c, gamma="scale", class_weight="balanced")
        svm.fit(features, labels)
        return lambda queries: svm.decision_function(
            np.asarray(queries, np.float32).reshape(-1, features.shape[1])
        )

    def scores(
        self, queries: np.ndarray, references: np.ndarray, negatives: np.ndarray
    ) -> np.ndarray:
        """Decision values of `queries` (N, D) for the person of `references` (R, D)."""
        return self.fit(references, negatives)(queries)


def gallery_negatives(
    background: np.ndarray, others: np.ndarray | None, max_others: int = 2000, seed: int = 0
) -> np.ndarray:
    """The background plus other persons' references (a seeded sample of `max_others`)."""
    if others is None or len(others) == 0:
        return background
    if len(others) > max_others:
        others = others[np.random.default_rng(seed).choice(len(others), max_others, replace=False)]
    return np.concatenate([background, np.asarray(others, background.dtype)])
