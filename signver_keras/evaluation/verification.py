"""The writer-independent verification protocol.

For each writer, `reference_count` genuine signatures are drawn (seeded) as
the enrolled references; the writer's other genuine signatures are positives; the
writer's skilled forgeries and other writers' genuine signatures (random
forgeries) are negatives. Scores and decisions come from a `Matcher`
(`Matcher.decide`), so the protocol measures exactly what `verify` does; each
trial also keeps its writer's reference spread (for the writer-normalised EER).
`classifier_trial_scores` scores the same trials with writer-dependent
classifiers (`WriterClassifier`), every writer enrolled as in a gallery;
`protocol_summary` is what `signver-keras evaluate verification` reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from signver_keras.data.collections.verification import SignatureRecord
from signver_keras.evaluation.metrics import auc, equal_error_rate, rates_at
from signver_keras.models.matcher.matcher import (
    Matcher,
    WriterThresholdRule,
    reference_scores,
    reference_spread,
)

KINDS = ("genuine", "skilled", "random")


@dataclass
class TrialScores:
    """Scores of the three kinds of trials of one protocol run.

    With a `Matcher`, `thresholds` holds each trial's threshold (the
    matcher's decision: accepted when the score reaches it), `rule` /
    `calibrated_reference_count` say which policy and calibrated count decided and
    `score_rule` which `ScoreRule` scored (the mean cosine without a matcher).
    """

    genuine: list[float] = field(default_factory=list)
    skilled: list[float] = field(default_factory=list)
    random: list[float] = field(default_factory=list)
    # Per trial, same order: (mu, sigma) of the writer's references (`reference_spread`).
    spreads: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )
    thresholds: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    reference_count: int = 0
    rule: str | None = None
    calibrated_reference_count: int | None = None
    score_rule: str = "mean_cosine"

    def extend(self, other: TrialScores) -> None:
        for kind in KINDS:
            getattr(self, kind).extend(getattr(other, kind))
            self.spreads[kind] += other.spreads[kind]
            self.thresholds[kind] += other.thresholds[kind]
        self.reference_count = self.reference_count or other.reference_count

    def add(
        self,
        kind: str,
        scores: np.ndarray,
        spread: tuple[float, float],
        thresholds: np.ndarray | None = None,
    ) -> None:
        getattr(self, kind).extend(np.asarray(scores).tolist())
        self.spreads[kind] += [spread] * len(scores)
        if thresholds is not None:
            self.thresholds[kind].extend(np.asarray(thresholds).tolist())

    @property
    def decided(self) -> bool:
        """Whether every trial carries the matcher's threshold."""
        return all(len(self.thresholds[k]) == len(getattr(self, k)) for k in KINDS) and any(
            self.thresholds[k] for k in KINDS
        )

    def accepted(self, kind: str) -> np.ndarray:
        """The matcher's decisions for the trials of `kind` (needs `decided`)."""
        return np.asarray(getattr(self, kind)) >= np.asarray(self.thresholds[kind])

    def _spread(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        spread = np.asarray(self.spreads[kind], np.float64).reshape(-1, 2)
        return spread[:, 0], spread[:, 1]

    def normalized(self, kind: str) -> np.ndarray:
        """The trials' z-scores against their writer's own references."""
        mu, sigma = self._spread(kind)
        return (np.asarray(getattr(self, kind)) - mu) / sigma


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
    reference_count: int = 5,
    seed: int = 0,
    random_per_writer: int | None = None,
) -> list[WriterTrials]:
    """Draws every writer's references and trials (see the module docstring).

    Writers with fewer than `reference_count + 1` genuine signatures are skipped.
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
        if len(genuine) < reference_count + 1:
            continue
        others = np.array(
            [i for w, idx in by_writer.items() if w != writer for i in idx["genuine"]], dtype=int
        )
        if random_per_writer is not None and len(others) > random_per_writer:
            others = rng.choice(others, random_per_writer, replace=False)
        trials.append(
            WriterTrials(
                writer,
                genuine[:reference_count],
                genuine[reference_count:],
                np.asarray(indices["skilled"], dtype=int),
                others,
            )
        )
    return trials


def trial_scores(
    records: Sequence[SignatureRecord],
    embeddings: np.ndarray,
    reference_count: int = 5,
    seed: int = 0,
    random_per_writer: int | None = None,
    matcher: Matcher | None = None,
) -> TrialScores:
    """Scores every trial of the protocol (see `writer_trials`).

    With a `matcher`, scores and per-trial thresholds are its decisions
    (`Matcher.decide`); without one, scores are the mean cosine similarity and
    no decisions are recorded (EER and AUC only).
    """
    scores = TrialScores(reference_count=reference_count)
    if matcher is not None:
        scores.score_rule = matcher.score_rule.name
    for trials in writer_trials(records, reference_count, seed, random_per_writer):
        refs = embeddings[trials.references]
        spread = reference_spread(refs) if reference_count > 1 else (0.0, 1.0)
        for kind in KINDS:
            indices = getattr(trials, kind)
            if not len(indices):
                continue
            if matcher is None:
                scores.add(kind, reference_scores(embeddings[indices], refs), spread)
                continue
            decided = matcher.decide(embeddings[indices], refs)
            scores.add(kind, decided.scores, spread, decided.thresholds)
            scores.rule, scores.calibrated_reference_count = (
                decided.rule,
                decided.calibrated_reference_count,
            )
    return scores


def classifier_trial_scores(
    records: Sequence[SignatureRecord],
    embeddings: np.ndarray,
    matcher: Matcher,
    reference_count: int = 5,
    seed: int = 0,
) -> TrialScores:
    """Scores the protocol's trials with writer-dependent classifiers, as in a gallery.

    `matcher` carries the `WriterClassifier` (and its background). All writers
    are enrolled: each writer's classifier takes the background and the other
    writers' references as negatives, so the random forgeries are the other
    writers' remaining genuine signatures (never their references, which were
    training negatives). Same references and trials as `trial_scores`.
    """
    classifier = matcher.writer_classifier
    if classifier is None or not classifier.applies(reference_count):
        raise ValueError(
            "classifier_trial_scores needs a Matcher whose writer classifier applies to "
            f"{reference_count} references; received {classifier}."
        )
    scores = TrialScores(reference_count=reference_count, score_rule="writer_classifier")
    all_trials = writer_trials(records, reference_count, seed)
    for trials in all_trials:
        others = [t.references for t in all_trials if t.writer != trials.writer]
        enrolled_others = np.concatenate(others) if others else np.zeros(0, int)
        queries = {}
        for kind in KINDS:
            indices = getattr(trials, kind)
            if kind == "random":
                indices = np.setdiff1d(indices, enrolled_others)
            if len(indices):
                queries[kind] = indices
        if not queries:
            continue
        # One classifier per writer: every kind of query in one decision.
        everything = np.concatenate(list(queries.values()))
        decided = matcher.decide(
            embeddings[everything], embeddings[trials.references], embeddings[enrolled_others]
        )
        start = 0
        for kind, indices in queries.items():
            part = slice(start, start + len(indices))
            scores.add(kind, decided.scores[part], (0.0, 1.0), decided.thresholds[part])
            start += len(indices)
        scores.rule, scores.calibrated_reference_count = (
            decided.rule,
            decided.calibrated_reference_count,
        )
    return scores


def summarize(scores: TrialScores, threshold: float | None = None) -> dict[str, float]:
    """EER (skilled, random), AUC, and FAR/FRR/accuracy at the decisions.

    The rates `<far|frr|accuracy>_<kind>_at_threshold` are those of `threshold`
    when given, else of the matcher's decisions recorded in `scores` (when
    any). Also, per kind, for mean-cosine scores: `eer_<kind>_normalized`,
    the EER of scores normalised by each writer's reference spread.
    """
    summary: dict[str, float] = {"genuine_trials": len(scores.genuine)}
    genuine = np.asarray(scores.genuine)
    for kind in ("skilled", "random"):
        negatives = np.asarray(getattr(scores, kind))
        summary[f"{kind}_trials"] = len(negatives)
        if not len(negatives) or not len(genuine):
            continue
        eer, _ = equal_error_rate(genuine, negatives)
        summary[f"eer_{kind}"] = eer
        summary[f"auc_{kind}"] = auc(genuine, negatives)
        if scores.reference_count > 1 and scores.score_rule == "mean_cosine":
            summary[f"eer_{kind}_normalized"], _ = equal_error_rate(
                scores.normalized("genuine"), scores.normalized(kind)
            )
        if threshold is not None:
            rates = rates_at(genuine, negatives, threshold)
        elif scores.decided:
            far = float(np.mean(scores.accepted(kind)))
            frr = float(np.mean(~scores.accepted("genuine")))
            rates = {"far": far, "frr": frr, "accuracy": 1.0 - (far + frr) / 2}
        else:
            continue
        summary.update({f"{name}_{kind}_at_threshold": value for name, value in rates.items()})
    return summary


def protocol_summary(
    records: Sequence[SignatureRecord],
    embeddings: np.ndarray,
    matcher: Matcher | None,
    reference_count: int = 5,
    seed: int = 0,
    classifier: Matcher | None = None,
) -> tuple[dict[str, float], TrialScores]:
    """What `signver-keras evaluate verification` reports for one collection.

    The matcher's own decisions (score rule and calibrated threshold for
    `reference_count`); with the mean-cosine rule, also the writer-dependent
    threshold rule (`far_<kind>_writer_rule`, `frr_writer_rule`); with a
    `classifier` matcher (one carrying a `WriterClassifier`) that applies to
    `reference_count`, the classifier's results with the suffix `_classifier`.
    Returns the summary and the matcher's trial scores.
    """
    if matcher is None:
        scores = trial_scores(records, embeddings, reference_count, seed)
        return summarize(scores), scores
    plain = matcher.with_policies()
    scores = trial_scores(records, embeddings, reference_count, seed, matcher=plain)
    threshold, calibrated = plain.threshold_for(reference_count)
    summary = {
        **summarize(scores),
        "threshold": threshold,
        "calibrated_reference_count": calibrated,
    }
    rule = WriterThresholdRule()
    if plain.score_rule.name == "mean_cosine" and rule.applies(reference_count):
        by_writer = summarize(
            trial_scores(
                records,
                embeddings,
                reference_count,
                seed,
                matcher=plain.with_policies(writer_rule=rule),
            )
        )
        for kind in ("skilled", "random"):
            if f"far_{kind}_at_threshold" in by_writer:
                summary[f"far_{kind}_writer_rule"] = by_writer[f"far_{kind}_at_threshold"]
                summary["frr_writer_rule"] = by_writer[f"frr_{kind}_at_threshold"]
    if classifier is not None and classifier.writer_classifier.applies(reference_count):
        by_classifier = classifier_trial_scores(
            records, embeddings, classifier, reference_count, seed
        )
        summary.update({f"{k}_classifier": v for k, v in summarize(by_classifier).items()})
        decided = [t[0] for t in by_classifier.thresholds.values() if t]
        if decided:  # no writer has enough genuine signatures: no trials
            summary["threshold_classifier"] = decided[0]
    return summary, scores


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
