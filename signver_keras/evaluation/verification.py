"""The writer-independent verification protocol.

For each writer, `references` genuine signatures are drawn (seeded) as the
enrolled references; the writer's other genuine signatures are positives; the
writer's skilled forgeries and other writers' genuine signatures (random
forgeries) are negatives. Each trial's score is `Matcher`'s scoring rule; each
trial also keeps its writer's reference spread, so `summarize` can report the
writer-dependent rule (`WriterThresholdRule`) next to the global threshold.
`classifier_trial_scores` scores the same trials with writer-dependent
classifiers (`WriterClassifier`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from signver_keras.data.verification import SignatureRecord
from signver_keras.evaluation.metrics import auc, equal_error_rate, rates_at
from signver_keras.models.matcher.matcher import (
    WriterThresholdRule,
    reference_scores,
    reference_spread,
)
from signver_keras.models.matcher.writer_classifier import WriterClassifier, gallery_negatives

KINDS = ("genuine", "skilled", "random")


@dataclass
class TrialScores:
    """Scores of the three kinds of trials of one protocol run."""

    genuine: list[float] = field(default_factory=list)
    skilled: list[float] = field(default_factory=list)
    random: list[float] = field(default_factory=list)
    # Per trial, same order: (mu, sigma) of the writer's references (`reference_spread`).
    spreads: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )
    references: int = 0

    def extend(self, other: TrialScores) -> None:
        for kind in KINDS:
            getattr(self, kind).extend(getattr(other, kind))
            self.spreads[kind] += other.spreads[kind]
        self.references = self.references or other.references

    def add(self, kind: str, scores: np.ndarray, spread: tuple[float, float]) -> None:
        getattr(self, kind).extend(scores.tolist())
        self.spreads[kind] += [spread] * len(scores)

    def _spread(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        spread = np.asarray(self.spreads[kind], np.float64).reshape(-1, 2)
        return spread[:, 0], spread[:, 1]

    def normalized(self, kind: str) -> np.ndarray:
        """The trials' z-scores against their writer's own references."""
        mu, sigma = self._spread(kind)
        return (np.asarray(getattr(self, kind)) - mu) / sigma

    def writer_thresholds(self, kind: str, rule: WriterThresholdRule, calibrated: float):
        """Each trial's writer-dependent threshold."""
        return rule.threshold(*self._spread(kind), calibrated)


@dataclass
class WriterTrials:
    """Indices (into the protocol's records) of one writer's trials."""

    writer: str
    references: np.ndarray
    genuine: np.ndarray
    skilled: np.ndarray
    random: np.ndarray


def writer_trials(
    records: Sequence[SignatureRecord],
    references: int = 5,
    seed: int = 0,
    random_per_writer: int | None = None,
) -> list[WriterTrials]:
    """Draws every writer's references and trials (see the module docstring).

    Writers with fewer than `references + 1` genuine signatures are skipped.
    `random_per_writer` caps how many other writers' signatures serve as random
    forgeries for each writer (None: all of them).
    """
    rng = np.random.default_rng(seed)
    by_writer: dict[str, dict[str, list[int]]] = {}
    for index, record in enumerate(records):
        kind = "genuine" if record.genuine else "skilled"
        by_writer.setdefault(record.writer_id, {"genuine": [], "skilled": []})[kind].append(index)
    trials = []
    for writer, indices in sorted(by_writer.items()):
        genuine = rng.permutation(indices["genuine"])
        if len(genuine) < references + 1:
            continue
        others = np.array(
            [i for w, idx in by_writer.items() if w != writer for i in idx["genuine"]], dtype=int
        )
        if random_per_writer is not None and len(others) > random_per_writer:
            others = rng.choice(others, random_per_writer, replace=False)
        trials.append(
            WriterTrials(
                writer,
                genuine[:references],
                genuine[references:],
                np.asarray(indices["skilled"], dtype=int),
                others,
            )
        )
    return trials


def trial_scores(
    records: Sequence[SignatureRecord],
    embeddings: np.ndarray,
    references: int = 5,
    seed: int = 0,
    random_per_writer: int | None = None,
) -> TrialScores:
    """Scores every trial of the protocol with `Matcher`'s rule (see `writer_trials`)."""
    scores = TrialScores(references=references)
    for trials in writer_trials(records, references, seed, random_per_writer):
        refs = embeddings[trials.references]
        spread = reference_spread(refs) if references > 1 else (0.0, 1.0)
        for kind in KINDS:
            indices = getattr(trials, kind)
            if len(indices):
                scores.add(kind, reference_scores(embeddings[indices], refs), spread)
    return scores


def classifier_trial_scores(
    records: Sequence[SignatureRecord],
    embeddings: np.ndarray,
    classifier: WriterClassifier,
    background: np.ndarray,
    references: int = 5,
    seed: int = 0,
) -> TrialScores:
    """Scores the protocol's trials with writer-dependent classifiers, as in a gallery.

    All writers are enrolled: each writer's classifier takes the background and
    the other writers' references as negatives, so the random forgeries are the
    other writers' remaining genuine signatures (never their references, which
    were training negatives). Same references and trials as `trial_scores`.
    """
    scores = TrialScores()
    all_trials = writer_trials(records, references, seed)
    for trials in all_trials:
        others = [t.references for t in all_trials if t.writer != trials.writer]
        enrolled_others = np.concatenate(others) if others else np.zeros(0, int)
        negatives = gallery_negatives(background, embeddings[enrolled_others])
        decide = classifier.fit(embeddings[trials.references], negatives)
        for kind in KINDS:
            indices = getattr(trials, kind)
            if kind == "random":
                indices = np.setdiff1d(indices, enrolled_others)
            if len(indices):
                scores.add(kind, decide(embeddings[indices]), (0.0, 1.0))
    return scores


def summarize(
    scores: TrialScores,
    threshold: float | None = None,
    writer_rule: WriterThresholdRule | None = None,
) -> dict[str, float]:
    """EER (skilled, random), AUC, and FAR/FRR/accuracy at `threshold` when given.

    Also, per kind: `eer_<kind>_normalized`, the EER of scores normalised by
    each writer's reference spread; and when `threshold` is given and
    `writer_rule` (default `WriterThresholdRule()`) applies to the protocol's
    number of references, `far_<kind>_writer_rule` and `frr_writer_rule`: the
    error rates of the writer-dependent thresholds the gallery uses.
    """
    rule = writer_rule or WriterThresholdRule()
    summary: dict[str, float] = {"genuine_trials": len(scores.genuine)}
    use_rule = threshold is not None and scores.references and rule.applies(scores.references)
    if use_rule and scores.genuine:
        genuine_t = scores.writer_thresholds("genuine", rule, threshold)
        summary["frr_writer_rule"] = float(np.mean(np.asarray(scores.genuine) < genuine_t))
    for kind in ("skilled", "random"):
        negatives = getattr(scores, kind)
        summary[f"{kind}_trials"] = len(negatives)
        if not negatives or not scores.genuine:
            continue
        eer, _ = equal_error_rate(scores.genuine, negatives)
        summary[f"eer_{kind}"] = eer
        summary[f"auc_{kind}"] = auc(scores.genuine, negatives)
        if scores.references > 1:
            summary[f"eer_{kind}_normalized"], _ = equal_error_rate(
                scores.normalized("genuine"), scores.normalized(kind)
            )
        if use_rule:
            negative_t = scores.writer_thresholds(kind, rule, threshold)
            summary[f"far_{kind}_writer_rule"] = float(np.mean(np.asarray(negatives) >= negative_t))
        if threshold is not None:
            rates = rates_at(scores.genuine, negatives, threshold)
            summary.update({f"{name}_{kind}_at_threshold": value for name, value in rates.items()})
    return summary


def score_histograms(scores: TrialScores, bins: int = 40) -> dict[str, list]:
    """Histograms of the genuine, skilled and random trial scores on shared bin edges.

    Stored in an extractor's `calibration["score_histograms"]` at calibration
    time, so a verdict's score can be shown against the score distributions
    its threshold was chosen on. Kinds without trials are left out.

    Returns:
        `{"edges": [bins + 1 floats], "genuine": [bins counts], "skilled": [...],
        "random": [...]}`.
    """
    kinds = {k: np.asarray(getattr(scores, k), np.float64) for k in KINDS}
    kinds = {k: v for k, v in kinds.items() if len(v)}
    if not kinds:
        raise ValueError("No trial scores: cannot build score histograms.")
    everything = np.concatenate(list(kinds.values()))
    low, high = float(everything.min()), float(everything.max())
    edges = np.linspace(low, high if high > low else low + 1e-6, bins + 1)
    histograms: dict[str, list] = {"edges": [round(float(e), 5) for e in edges]}
    for kind, values in kinds.items():
        histograms[kind] = np.histogram(values, edges)[0].astype(int).tolist()
    return histograms
