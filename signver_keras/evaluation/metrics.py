"""Verification error rates: ROC, EER, AUC and the rates at a fixed threshold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Roc:
    """FAR and FRR as functions of the threshold (accept when score >= threshold)."""

    thresholds: np.ndarray
    far: np.ndarray
    frr: np.ndarray


def roc(positive_scores: np.ndarray, negative_scores: np.ndarray) -> Roc:
    """Exact ROC over every distinct score."""
    positives = np.sort(np.asarray(positive_scores, np.float64))
    negatives = np.sort(np.asarray(negative_scores, np.float64))
    if positives.size == 0 or negatives.size == 0:
        raise ValueError("roc() needs at least one positive and one negative score.")
    thresholds = np.unique(np.concatenate([positives, negatives, [np.inf]]))
    frr = np.searchsorted(positives, thresholds, side="left") / positives.size
    far = 1.0 - np.searchsorted(negatives, thresholds, side="left") / negatives.size
    return Roc(thresholds, far, frr)


def pooled_roc(collections: Sequence[tuple[np.ndarray, np.ndarray]]) -> Roc:
    """FAR and FRR averaged over collections of (positive, negative) scores.

    Each collection weighs equally, however many trials it has: a threshold
    chosen on the pooled curve is not the threshold of the largest collection.
    """
    if not collections:
        raise ValueError("pooled_roc() needs at least one collection of scores.")
    curves = [roc(positives, negatives) for positives, negatives in collections]
    thresholds = np.unique(np.concatenate([curve.thresholds for curve in curves]))
    far, frr = np.zeros(len(thresholds)), np.zeros(len(thresholds))
    for curve in curves:
        # No score lies between two points of a curve, so its rates at a threshold are
        # those of its first point at or above it (the last point is +inf).
        at = np.searchsorted(curve.thresholds, thresholds, side="left")
        far += curve.far[at]
        frr += curve.frr[at]
    return Roc(thresholds, far / len(curves), frr / len(curves))


def equal_error_rate(
    positive_scores: np.ndarray, negative_scores: np.ndarray
) -> tuple[float, float]:
    """Returns (EER, threshold at the EER point), interpolating between ROC points."""
    return curve_equal_error_rate(roc(positive_scores, negative_scores))


def curve_equal_error_rate(curve: Roc) -> tuple[float, float]:
    """(EER, threshold) of a ROC curve, interpolating between its points."""
    diff = curve.far - curve.frr  # decreasing in the threshold
    index = int(np.argmax(diff <= 0))
    if index == 0:
        return float(curve.far[0]), float(curve.thresholds[0])
    d0, d1 = diff[index - 1], diff[index]
    weight = d0 / (d0 - d1) if d0 != d1 else 0.5
    eer = (1 - weight) * curve.far[index - 1] + weight * curve.far[index]
    eer_frr = (1 - weight) * curve.frr[index - 1] + weight * curve.frr[index]
    threshold = curve.thresholds[index - 1]
    if np.isfinite(curve.thresholds[index]):
        threshold = (1 - weight) * threshold + weight * curve.thresholds[index]
    return float((eer + eer_frr) / 2), float(threshold)


def rates_at(
    positive_scores: np.ndarray, negative_scores: np.ndarray, threshold: float
) -> dict[str, float]:
    """FAR, FRR and balanced accuracy at a fixed threshold."""
    positives = np.asarray(positive_scores)
    negatives = np.asarray(negative_scores)
    far = float(np.mean(negatives >= threshold)) if negatives.size else float("nan")
    frr = float(np.mean(positives < threshold)) if positives.size else float("nan")
    return {"far": far, "frr": frr, "accuracy": 1.0 - (far + frr) / 2}


def auc(positive_scores: np.ndarray, negative_scores: np.ndarray) -> float:
    """Area under the ROC: probability that a positive outscores a negative (ties count half)."""
    positives = np.asarray(positive_scores, np.float64)
    negatives = np.sort(np.asarray(negative_scores, np.float64))
    below = np.searchsorted(negatives, positives, side="left")
    ties = np.searchsorted(negatives, positives, side="right") - below
    return float((below + 0.5 * ties).sum() / (positives.size * negatives.size))
