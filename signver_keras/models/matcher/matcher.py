"""`Matcher`: the one place where embeddings become a score and a decision.

A decision has three parts, all held here:

- the **score rule** (`ScoreRule`): how a query and a person's references
  become one number. `"mean_cosine"` is the mean cosine similarity to the
  references; `"distance_ratio"` compares the query's distance to the
  references with the person's typical distance, so the same threshold holds
  on collections whose similarities sit at different levels;
- the **threshold for the number of references** (`ThresholdsByReferenceCount`):
  a check against one reference is decided by a threshold calibrated for one
  reference, not by one made for five;
- optional **writer-dependent policies**: `WriterThresholdRule` (a threshold
  from the spread of the person's own references) and `WriterClassifier`
  (the person's own SVM), each used from a number of references on.

`SignatureVerifier`, `SignatureGallery` and the evaluation protocol all ask a
`Matcher` (`decide` / `verify`), so they decide alike.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from signver_keras.embeddings import check_same_extractor
from signver_keras.errors import EmptyReferencesError, InvalidImageError
from signver_keras.models.matcher.writer_classifier import WriterClassifier, gallery_negatives

# Distances below this are treated as equal to it (a query identical to its references).
MIN_DISTANCE = 1e-4


@dataclass(frozen=True)
class Verification:
    """The outcome of one verification: `accepted` is `score >= threshold`.

    `reference_count` is how many references the query was compared with;
    `calibrated_reference_count` the number of references the threshold was
    calibrated for (None: a threshold set by hand); `rule` the policy that
    decided: "global" (the calibrated threshold), "writer"
    (`WriterThresholdRule`) or "classifier" (`WriterClassifier`, whose
    decision value is then the score).
    """

    accepted: bool
    score: float
    threshold: float
    reference_count: int = 0
    calibrated_reference_count: int | None = None
    rule: str = "global"


@dataclass(frozen=True)
class Decisions:
    """`Matcher.decide` for several queries of one person: per-query scores and thresholds."""

    scores: np.ndarray
    thresholds: np.ndarray
    reference_count: int
    calibrated_reference_count: int | None
    rule: str

    @property
    def accepted(self) -> np.ndarray:
        return self.scores >= self.thresholds


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

    The mean over references (rather than the maximum) rewards queries that
    look like the writer's typical signature, not like one lucky reference.
    """
    return (query @ references.T).mean(axis=1)


@dataclass(frozen=True)
class ScoreRule:
    """How a query and a person's references become one score (higher: same writer).

    - `"mean_cosine"`: the mean cosine similarity `s` to the references.
    - `"distance_ratio"`: `log(d_typical / d_query)`, where `d_query = 1 - s`
      and `d_typical` is the person's typical distance: the references' own
      mean distance to each other (from 2 references on), pooled with the
      distance of the closest other writers, i.e. `1 -` the mean score of the
      `cohort_size` best-scoring signatures of a cohort (the extractor's
      shipped background of synthetic writers), which counts like
      `cohort_weight` extra pairs of references. With one reference the cohort
      alone sets `d_typical`. The score is 0 when the query sits as far from
      the references as they sit from each other; it does not depend on the
      level similarities sit at in a collection, so one threshold transfers
      across collections far better than a cosine threshold (README, "Presets").

    Args:
        name: str. `"mean_cosine"` or `"distance_ratio"`.
        cohort_size: int. Closest cohort signatures that set the cohort distance.
        cohort_weight: float. Weight of the cohort distance, in pairs of references.

    Example:
    ```python
    import numpy as np
    import signver_keras as sv
    unit = lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)
    rng = np.random.default_rng(0)
    person = unit(rng.normal(size=16))
    references = unit(person + 0.2 * rng.normal(size=(3, 16)))
    cohort = unit(rng.normal(size=(100, 16)))
    sv.ScoreRule("distance_ratio").scores(unit(person), references, cohort)
    ```
    """

    name: str = "mean_cosine"
    cohort_size: int = 10
    cohort_weight: float = 1.0

    NAMES = ("mean_cosine", "distance_ratio")

    def __post_init__(self):
        if self.name not in self.NAMES:
            raise ValueError(f"Unknown score rule '{self.name}'; expected one of {self.NAMES}.")
        if self.cohort_size < 1 or self.cohort_weight < 0:
            raise ValueError(
                "cohort_size must be at least 1 and cohort_weight non-negative; received "
                f"{self.cohort_size} and {self.cohort_weight}."
            )

    @property
    def needs_cohort(self) -> bool:
        return self.name == "distance_ratio"

    def describe(self) -> str:
        if self.name == "mean_cosine":
            return "mean cosine similarity to the references"
        return (
            "log of the person's typical distance over the query's distance (1 - mean cosine "
            "similarity to the references); typical distance: the references' mutual distance "
            f"pooled with the distance of the {self.cohort_size} closest background signatures "
            f"(weight {self.cohort_weight:g} reference pair)"
        )

    def config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "cohort_size": self.cohort_size,
            "cohort_weight": self.cohort_weight,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | str | None) -> ScoreRule:
        """A rule from its `config()` (None: the mean cosine of calibrations made before rules)."""
        if config is None:
            return cls()
        if isinstance(config, str):
            return cls(config)
        return cls(**config)

    def scores(
        self, queries: np.ndarray, references: np.ndarray, cohort: np.ndarray | None = None
    ) -> np.ndarray:
        """Scores of `queries` (N, D) for the person of `references` (R, D)."""
        similarity = reference_scores(queries, references)
        if self.name == "mean_cosine":
            return similarity
        if cohort is None or len(cohort) == 0:
            raise ValueError(
                "The distance_ratio score rule needs a cohort of other writers' embeddings "
                "(the extractor preset's writer_background.npy); received none."
            )
        closest = np.sort(reference_scores(cohort, references))[-self.cohort_size :]
        cohort_distance = 1.0 - float(closest.mean())
        n = len(references)
        if n > 1:
            mutual = references @ references.T
            own_distance = 1.0 - (mutual.sum() - np.trace(mutual)) / (n * (n - 1))
            typical = ((n - 1) * own_distance + self.cohort_weight * cohort_distance) / (
                n - 1 + self.cohort_weight
            )
        else:
            typical = cohort_distance
        query_distance = np.maximum(1.0 - similarity, MIN_DISTANCE)
        return np.log(max(typical, MIN_DISTANCE) / query_distance)


def _outside_this_module() -> int:
    """The `stacklevel` of the first caller outside this module: warnings point at user code."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename == __file__:
        frame, level = frame.f_back, level + 1
    return level


#: Reference-count keys of preset JSON (calibration, metrics) and their names in presets and
#: galleries saved by earlier versions, which must still load.
_EARLIER_KEY_NAMES = {
    "reference_count": "references",
    "calibrated_reference_count": "calibrated_references",
}


def stored_reference_count(entry: Mapping[str, Any], key: str = "reference_count") -> int | None:
    """The reference count stored under `key` in a calibration or metrics entry (None: absent).

    Accepts the key's earlier name (`_EARLIER_KEY_NAMES`), so old presets keep loading.
    """
    value = entry.get(key, entry.get(_EARLIER_KEY_NAMES[key]))
    return None if value is None else int(value)


@dataclass(frozen=True)
class ThresholdsByReferenceCount:
    """Decision thresholds per number of references.

    `pick(n)` takes the threshold of the largest calibrated count at or below
    `n` (below the smallest: the smallest; above the largest: the largest).
    A calibration made before per-count thresholds holds one threshold for one
    count (`single=True`): it is used for every count, with a warning when the
    count differs.
    """

    thresholds: Mapping[int, float]
    single: bool = False

    def __post_init__(self):
        if not self.thresholds:
            raise ValueError("ThresholdsByReferenceCount needs at least one threshold.")
        for count, value in self.thresholds.items():
            if int(count) < 1 or not np.isfinite(value):
                raise ValueError(
                    "Thresholds must map a number of references (>= 1) to a finite number; "
                    f"received {count}: {value}."
                )

    @classmethod
    def from_calibration(
        cls, entry: Mapping[str, Any], default_count: int = 5
    ) -> ThresholdsByReferenceCount:
        """From a calibration entry: its `thresholds` per count, else its single `threshold`.

        The single threshold holds for the entry's `reference_count`, else `default_count`.
        """
        if entry.get("thresholds"):
            return cls({int(n): float(v["threshold"]) for n, v in entry["thresholds"].items()})
        if "threshold" not in entry:
            raise ValueError(
                "A calibration needs 'thresholds' (per number of references) or 'threshold'; "
                f"received keys {sorted(entry)}."
            )
        count = stored_reference_count(entry) or default_count
        return cls({count: float(entry["threshold"])}, single=True)

    def pick(self, reference_count: int) -> tuple[float, int]:
        """(threshold, the count it was calibrated for) for a person with `reference_count`."""
        counts = sorted(int(n) for n in self.thresholds)
        at_or_below = [n for n in counts if n <= reference_count]
        count = at_or_below[-1] if at_or_below else counts[0]
        if self.single and count != reference_count:
            warnings.warn(
                f"The threshold was calibrated for {count} references and is applied to "
                f"{reference_count}: re-calibrate the preset (python -m "
                "recipes.calibrate_extractor) for per-number-of-references thresholds.",
                stacklevel=_outside_this_module(),
            )
        return float(self.thresholds[count]), count


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
    `min_references` references on (at least 3), with the `"mean_cosine"`
    score rule (its thresholds are cosine similarities); `"distance_ratio"`
    already measures the query against the person's own spread.
    """

    min_references: int = 5
    z: float = 2.0
    band: float = 0.1

    def applies(self, reference_count: int) -> bool:
        return reference_count >= max(self.min_references, 3)

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

    The score follows the calibration's `ScoreRule` (`"mean_cosine"` for
    presets calibrated before score rules); the threshold is the one
    calibrated for the number of references given (`ThresholdsByReferenceCount`).
    Accept when `score >= threshold`. Optional policies, each from a number of
    references on: `writer_classifier` (the person's own SVM; it then gives
    the score and its own calibrated threshold) and `writer_rule` (a
    writer-dependent threshold, mean-cosine scoring only).

    Args:
        threshold: float or None. A fixed threshold for every number of
            references, on the scale of the calibration's score rule (mean
            cosine without a calibration). None: the calibration's thresholds.
        calibration: dict or None. An extractor preset's calibration (see
            `sv.calibrate_matcher`): score rule, thresholds per number of
            references and their provenance.
        background: float array (N, D) or None. Other writers' embeddings (the
            extractor's `writer_background`): the cohort of the
            `"distance_ratio"` rule and the classifier's negatives.
        writer_rule: a `WriterThresholdRule`, or None.
        writer_classifier: a `WriterClassifier`, or None.

    Example:
    ```python
    import signver_keras as sv
    extractor = sv.SignatureExtractor.from_preset("signver_extractor_base")
    matcher = sv.Matcher.from_extractor(extractor)
    refs = extractor.embed(["ref1.png", "ref2.png", "ref3.png"])
    result = matcher.verify(extractor.embed("query.png"), refs)
    result.accepted, result.score, result.threshold, result.calibrated_reference_count
    ```
    """

    def __init__(
        self,
        threshold: float | None = None,
        calibration: Mapping[str, Any] | None = None,
        *,
        background: np.ndarray | None = None,
        writer_rule: WriterThresholdRule | None = None,
        writer_classifier: WriterClassifier | None = None,
    ):
        if threshold is None and not calibration:
            raise ValueError("Matcher needs a threshold or a calibration; received neither.")
        if threshold is not None and not np.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number; received {threshold}.")
        self.calibration = dict(calibration) if calibration else {"threshold": float(threshold)}
        self.score_rule = ScoreRule.from_config(self.calibration.get("score_rule"))
        self.fixed_threshold = None if threshold is None else float(threshold)
        if self.fixed_threshold is None:
            self.thresholds = ThresholdsByReferenceCount.from_calibration(self.calibration)
        else:
            self.thresholds = None
        self.background = None if background is None else np.asarray(background, np.float32)
        if self.score_rule.needs_cohort and self.background is None:
            raise ValueError(
                f"This calibration scores with '{self.score_rule.name}', which needs the "
                "extractor's background embeddings (writer_background.npy); pass background=... "
                "or build the matcher with Matcher.from_extractor / Matcher.from_preset."
            )
        if writer_rule is not None and self.score_rule.name != "mean_cosine":
            raise ValueError(
                "WriterThresholdRule sets cosine-similarity thresholds; this calibration scores "
                f"with '{self.score_rule.name}', which already measures the query against the "
                "person's own references. Drop writer_rule."
            )
        if writer_classifier is not None and self.background is None:
            raise ValueError(
                "The writer classifier needs the extractor's background embeddings as "
                "negatives; pass background=...."
            )
        self.writer_rule = writer_rule
        self.writer_classifier = writer_classifier
        self.classifier_thresholds = None
        if writer_classifier is not None:
            entry = self.calibration.get("writer_classifier")
            self.classifier_thresholds = (
                ThresholdsByReferenceCount.from_calibration(
                    entry, default_count=writer_classifier.min_references
                )
                if entry
                # A classifier built by hand: its own threshold, whatever the count.
                else ThresholdsByReferenceCount(
                    {writer_classifier.min_references: writer_classifier.threshold}
                )
            )

    # --- construction ---------------------------------------------------------------
    @classmethod
    def from_extractor(
        cls,
        extractor,
        writer_classifier: bool = False,
        writer_rule: WriterThresholdRule | None = None,
    ) -> Matcher:
        """The matcher of an extractor's calibration and background.

        `writer_classifier=True` adds the extractor's calibrated
        `WriterClassifier` (an error when its preset carries none).
        """
        calibration = getattr(extractor, "calibration", None)
        if not calibration:
            raise ValueError(
                "This extractor carries no calibration. Pass `sv.Matcher(threshold=...)`, or "
                "calibrate it with sv.calibrate_matcher / python -m recipes.calibrate_extractor."
            )
        classifier = extractor.writer_classifier() if writer_classifier else None
        if writer_classifier and classifier is None:
            raise ValueError(
                "writer_classifier=True needs an extractor whose preset carries a writer "
                "classifier (calibration 'writer_classifier' and writer_background.npy); "
                f"{getattr(extractor, 'name', 'this extractor')} has none. Re-calibrate it "
                "with python -m recipes.calibrate_extractor."
            )
        return cls(
            calibration=calibration,
            background=getattr(extractor, "writer_background", None),
            writer_rule=writer_rule,
            writer_classifier=classifier,
        )

    @classmethod
    def from_preset(
        cls,
        preset: str | os.PathLike,
        writer_classifier: bool = False,
        writer_rule: WriterThresholdRule | None = None,
    ) -> Matcher:
        """Reads the calibration and background of an extractor preset (no weights loaded).

        `writer_classifier` and `writer_rule` as in `from_extractor`.
        """
        from signver_keras import families
        from signver_keras.hub import load_handle
        from signver_keras.models.extractor.extractor_inference import (
            ExtractorInference,
            read_writer_background,
        )

        handle = load_handle(preset, "extractor")
        if not os.path.isdir(handle):
            # A hub KerasHub resolves itself (kaggle://): load the extractor the public way.
            extractor = families.family("extractor").load_task_class().from_preset(preset)
            return cls.from_extractor(extractor, writer_classifier, writer_rule)

        class _PresetAssets(ExtractorInference):  # an extractor's calibration, no network
            name = os.fspath(preset)
            calibration = (
                json.loads(Path(handle, "task.json").read_text())
                .get("config", {})
                .get("calibration")
            )
            writer_background = read_writer_background(handle)

        return cls.from_extractor(_PresetAssets(), writer_classifier, writer_rule)

    def with_policies(
        self,
        writer_rule: WriterThresholdRule | None = None,
        writer_classifier: WriterClassifier | None = None,
    ) -> Matcher:
        """A copy with these writer-dependent policies (None: none of that kind)."""
        return Matcher(
            self.fixed_threshold,
            self.calibration,
            background=self.background,
            writer_rule=writer_rule,
            writer_classifier=writer_classifier,
        )

    # --- thresholds -----------------------------------------------------------------
    @property
    def threshold(self) -> float:
        """The threshold for the calibration's own number of references (or the fixed one)."""
        return self.threshold_for(stored_reference_count(self.calibration) or 5)[0]

    def threshold_for(self, reference_count: int) -> tuple[float, int | None]:
        """(threshold, calibrated count) for a person with `reference_count` references."""
        if self.fixed_threshold is not None:
            return self.fixed_threshold, None
        return self.thresholds.pick(reference_count)

    # --- scores and decisions -------------------------------------------------------
    def scores(self, queries: np.ndarray, references: np.ndarray) -> np.ndarray:
        """Scores of several queries (N, D) for one person, by the score rule."""
        return self.score_rule.scores(queries, references, self.background)

    def _checked(
        self, query_embedding: np.ndarray, reference_embeddings: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        query = _as_matrix(query_embedding, "query_embedding")
        references = _as_matrix(reference_embeddings, "reference_embeddings")
        if len(references) == 0:
            raise EmptyReferencesError("No reference embeddings: pass at least one reference.")
        check_same_extractor(query_embedding, reference_embeddings)
        return query, references

    def score(self, query_embedding: np.ndarray, reference_embeddings: np.ndarray) -> float:
        """Score of one query for a person's references (see `ScoreRule`)."""
        query, references = self._checked(query_embedding, reference_embeddings)
        if len(query) != 1:
            raise ValueError(f"score() takes one query; received {len(query)}.")
        return float(self.scores(query, references)[0])

    def decide(
        self,
        queries: np.ndarray,
        references: np.ndarray,
        other_references: np.ndarray | None = None,
    ) -> Decisions:
        """Scores and thresholds of several queries (N, D) for one person's references.

        Applies the first policy that fits the number of references: the
        writer classifier (trained against the background plus
        `other_references`, e.g. other enrolled persons' references), else the
        score rule with the calibrated threshold for that number, made
        writer-dependent by `writer_rule` when set.
        """
        queries, references = self._checked(queries, references)
        n = len(references)
        classifier = self.writer_classifier
        if classifier is not None and classifier.applies(n):
            negatives = gallery_negatives(self.background, other_references)
            scores = classifier.fit(references, negatives)(queries)
            threshold, count = self.classifier_thresholds.pick(n)
            return Decisions(scores, np.full(len(scores), threshold), n, count, "classifier")
        scores = self.scores(queries, references)
        threshold, count = self.threshold_for(n)
        rule = "global"
        if self.writer_rule is not None and self.writer_rule.applies(n):
            threshold = float(self.writer_rule.threshold(*reference_spread(references), threshold))
            rule = "writer"
        return Decisions(scores, np.full(len(scores), threshold), n, count, rule)

    def verify(
        self,
        query_embedding: np.ndarray,
        reference_embeddings: np.ndarray,
        other_references: np.ndarray | None = None,
    ) -> Verification:
        """Accepts the query as the references' writer when its score reaches the threshold."""
        query = _as_matrix(query_embedding, "query_embedding")
        if len(query) != 1:
            raise ValueError(f"verify() takes one query; received {len(query)}.")
        decided = self.decide(query_embedding, reference_embeddings, other_references)
        return Verification(
            accepted=bool(decided.accepted[0]),
            score=float(decided.scores[0]),
            threshold=float(decided.thresholds[0]),
            reference_count=decided.reference_count,
            calibrated_reference_count=decided.calibrated_reference_count,
            rule=decided.rule,
        )

    def identify(
        self, query_embedding: np.ndarray, gallery: Mapping[str, np.ndarray], k: int = 5
    ) -> list[tuple[str, float]]:
        """Ranks the persons of `gallery` ({person_id: (R, D) embeddings}) by mean cosine.

        Returns up to `k` `(person_id, similarity)` pairs, best first: the
        same ranking as `SignatureGallery.identify` (whose index searches mean
        cosine similarity); `verify` then decides on the best candidates.
        """
        if k < 1:
            raise ValueError(f"k must be a positive integer; received {k}.")
        scored = []
        for person, refs in gallery.items():
            query, references = self._checked(query_embedding, refs)
            scored.append((person, float(reference_scores(query, references)[0])))
        return sorted(scored, key=lambda item: item[1], reverse=True)[:k]
