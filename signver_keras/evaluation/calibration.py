"""Calibrating a `Matcher`: thresholds per number of references, pooled over collections.

A threshold chosen on one collection rejects most genuine signatures of
another when similarities sit at another level there. `calibrate_matcher`
therefore (1) scores with a `ScoreRule` that measures the query against the
person's own references (`"distance_ratio"` by default), (2) pools several
collections so that each weighs equally, not each trial, and (3) stores one
threshold per number of references (1, 2, 3, 5, 10), each with its error rates
per collection and pooled. The result is an extractor preset's `calibration`
(`task.json`), which `Matcher.from_extractor` applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from signver_keras.data.collections.online_signatures import record_image
from signver_keras.data.collections.verification import SignatureRecord
from signver_keras.evaluation.metrics import curve_equal_error_rate, equal_error_rate, pooled_roc
from signver_keras.evaluation.verification import (
    TrialScores,
    classifier_trial_scores,
    score_histograms,
    trial_scores,
)
from signver_keras.models.matcher.matcher import Matcher, ScoreRule, stored_reference_count
from signver_keras.models.matcher.writer_classifier import WriterClassifier

DEFAULT_REFERENCE_COUNTS = (1, 2, 3, 5, 10)
RULES = ("eer_skilled", "eer_random")
# Calibrated from 2 references on: measured on held-out writers, the classifier's skilled EER
# was below the distance-ratio score's from 2 references.
DEFAULT_CLASSIFIER = WriterClassifier(threshold=0.0, min_references=2)

Collection = Sequence[SignatureRecord] | tuple[Sequence[SignatureRecord], np.ndarray]

# The background shipped with a preset: genuine signatures of the project's own synthetic
# writers (no real data ships with a preset, not even as embeddings).
WRITER_BACKGROUND = {"generator": "names", "writers": 300, "genuine": 2, "seed": 10_000}


def writer_background(
    embed: Callable[[list], np.ndarray],
    writers: int = WRITER_BACKGROUND["writers"],
    genuine: int = WRITER_BACKGROUND["genuine"],
    seed: int = WRITER_BACKGROUND["seed"],
) -> np.ndarray:
    """Embeddings of synthetic writers' genuine signatures (`NameWriter(seed + w)`).

    The cohort of the `"distance_ratio"` score rule and the negatives of the
    writer classifier. Re-embed it whenever the weights change (fine-tuning):
    `calibrate_extractor` does.
    """
    from signver_keras.data.synthetic.synthetic_names import NameWriter

    images = [NameWriter(seed + w).genuine(i) for w in range(writers) for i in range(genuine)]
    return np.asarray(embed(images), np.float32)


def describe_background(
    writers: int = WRITER_BACKGROUND["writers"],
    genuine: int = WRITER_BACKGROUND["genuine"],
    seed: int = WRITER_BACKGROUND["seed"],
) -> str:
    return (
        f"{writers * genuine} genuine signatures of {writers} synthetic "
        f"'{WRITER_BACKGROUND['generator']}' writers (seed {seed})"
    )


def pooled_threshold(
    collections: Sequence[tuple[np.ndarray, np.ndarray]],
) -> dict[str, float]:
    """The EER point of the collections' averaged FAR and FRR curves (each weighs equally).

    Returns `{"threshold", "eer", "far", "frr"}`: the pooled EER, its threshold
    and the pooled (collection-averaged) FAR and FRR there.
    """
    eer, threshold = curve_equal_error_rate(pooled_roc(collections))
    far = np.mean([np.mean(np.asarray(neg) >= threshold) for _, neg in collections])
    frr = np.mean([np.mean(np.asarray(pos) < threshold) for pos, _ in collections])
    return {"threshold": threshold, "eer": eer, "far": float(far), "frr": float(frr)}


def _negatives(scores: TrialScores, rule: str) -> tuple[str, list[float]]:
    """The rule's negatives; a collection without skilled forgeries offers its random ones."""
    if rule == "eer_skilled" and scores.skilled:
        return "skilled", scores.skilled
    return "random", scores.random


def _embedded(
    name: str, collection: Collection, embed: Callable[[list], np.ndarray] | None
) -> tuple[list[SignatureRecord], np.ndarray]:
    if isinstance(collection, tuple):
        records, embeddings = list(collection[0]), np.asarray(collection[1], np.float32)
        if len(records) != len(embeddings):
            raise ValueError(
                f"Collection '{name}': {len(records)} records but {len(embeddings)} embeddings; "
                "pass one embedding row per record."
            )
        return records, embeddings
    if embed is None:
        raise ValueError(
            f"Collection '{name}' holds records without embeddings: pass an extractor (or an "
            "embedding function) to embed them, or (records, embeddings) pairs."
        )
    records = list(collection)
    return records, np.asarray(embed([record_image(record) for record in records]), np.float32)


def _calibrate_count(
    data: Mapping[str, tuple[list[SignatureRecord], np.ndarray]],
    score: Callable[[list[SignatureRecord], np.ndarray], TrialScores],
    rule: str,
) -> tuple[dict[str, Any] | None, list[TrialScores]]:
    """One count's pooled threshold and per-collection rates (None: no collection has trials)."""
    per_collection = {}
    for name, (records, embeddings) in data.items():
        scores = score(records, embeddings)
        kind, negatives = _negatives(scores, rule)
        if scores.genuine and negatives:
            per_collection[name] = (scores, kind, negatives)
    if not per_collection:
        return None, []
    pooled = pooled_threshold([(s.genuine, neg) for s, _, neg in per_collection.values()])
    entry: dict[str, Any] = {**pooled, "collections": {}}
    for name, (scores, kind, negatives) in per_collection.items():
        genuine, negatives = np.asarray(scores.genuine), np.asarray(negatives)
        entry["collections"][name] = {
            "negatives": kind,
            "genuine_trials": len(genuine),
            "negative_trials": len(negatives),
            "eer": equal_error_rate(genuine, negatives)[0],
            "far": float(np.mean(negatives >= pooled["threshold"])),
            "frr": float(np.mean(genuine < pooled["threshold"])),
        }
    return entry, [s for s, _, _ in per_collection.values()]


def calibrate_matcher(
    extractor: Any,
    collections: Mapping[str, Collection],
    reference_counts: Sequence[int] = DEFAULT_REFERENCE_COUNTS,
    rule: str = "eer_skilled",
    score_rule: ScoreRule | str = "distance_ratio",
    background: np.ndarray | None = None,
    writer_classifier: WriterClassifier | None = DEFAULT_CLASSIFIER,
    primary_reference_count: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Calibrates the `Matcher` of an extractor on collections of writers it never trained on.

    For each number of references, every collection's trials are scored (the
    protocol of `evaluation.verification`) and the threshold is the EER point
    of the collections' averaged FAR and FRR curves, so each collection weighs
    equally. Use writers the extractor never trained on, of several
    collections unlike each other.

    Args:
        extractor: a `SignatureExtractor` (embeds the records; its
            `writer_background` is the cohort and the classifier's negatives),
            an embedding function (images -> (N, D) array; pass `background`),
            or None when every collection comes with its embeddings.
        collections: `{name: records}` (embedded here; online records are
            rendered, `data.collections.online_signatures`) or `{name: (records, embeddings)}`.
        reference_counts: numbers of references to calibrate a threshold for.
        rule: `"eer_skilled"` (genuine vs skilled forgeries; a collection
            without skilled forgeries offers its random ones) or `"eer_random"`.
        score_rule: a `ScoreRule` or its name.
        background: float array (N, D) or None for the extractor's `writer_background`.
        writer_classifier: a `WriterClassifier` to calibrate as well, for the
            counts it applies to (its `c` and `min_references` are kept), or None.
        primary_reference_count: the count whose threshold is the calibration's
            `threshold` (read by tools that show one number).
        seed: int. Seed of the reference draws.

    Returns:
        The calibration for `SignatureExtractor.calibration`: `score_rule`,
        `thresholds` (`{"1": {"threshold", "eer", "far", "frr", "collections":
        {name: {...}}}, ...}`, rates pooled and per collection), `threshold`,
        `reference_count`, `eer`, `far`, `frr` at `primary_reference_count`,
        `score_histograms` there, and `writer_classifier` (same layout) when
        calibrated.

    Example:
    ```python
    import signver_keras as sv
    from signver_keras.data.collections.verification import load_verification_data
    extractor = sv.SignatureExtractor.from_preset("signver_extractor_base")
    collections = {
        "mine": load_verification_data("csv:my_writers.csv"),
        "sigcomp": load_verification_data("manifest:../shared/data/sigcomp2011_dutch"),
    }
    extractor.calibration = sv.calibrate_matcher(extractor, collections)
    extractor.save_to_preset("my_extractor")
    sv.Matcher.from_extractor(extractor).threshold_for(1)  # (threshold, 1)
    ```
    """
    if rule not in RULES:
        raise ValueError(f"Unknown calibration rule '{rule}'; expected one of {RULES}.")
    counts = sorted({int(n) for n in reference_counts})
    if not counts or counts[0] < 1:
        raise ValueError(
            f"reference_counts must be positive counts; received {list(reference_counts)}."
        )
    if not collections:
        raise ValueError("calibrate_matcher needs at least one collection; received none.")
    score_rule = score_rule if isinstance(score_rule, ScoreRule) else ScoreRule(score_rule)
    embed = getattr(extractor, "embed", extractor)
    if background is None:
        background = getattr(extractor, "writer_background", None)
    data = {name: _embedded(name, c, embed) for name, c in collections.items()}

    scorer = Matcher(0.0, {"score_rule": score_rule.config()}, background=background)
    thresholds, trials = {}, {}
    for n in counts:
        entry, scores = _calibrate_count(
            data, lambda r, e, n=n: trial_scores(r, e, n, seed, matcher=scorer), rule
        )
        if entry is not None:
            thresholds[str(n)], trials[str(n)] = entry, scores
    if not thresholds:
        raise ValueError(
            f"No collection has a writer with more than {counts[0]} genuine signatures and "
            "negatives to calibrate on."
        )
    primary = _primary(thresholds, primary_reference_count)
    pooled = TrialScores()
    for part in trials[primary]:
        pooled.extend(part)
    names = ", ".join(data)
    calibration: dict[str, Any] = {
        **{k: thresholds[primary][k] for k in ("threshold", "eer", "far", "frr")},
        "rule": rule,
        "reference_count": int(primary),
        "score_rule": score_rule.config(),
        "scoring": score_rule.describe(),
        "data": f"{names} (each collection weighs equally)",
        "thresholds": thresholds,
        # The score distributions the primary threshold was chosen on (plotted by the UI).
        "score_histograms": score_histograms(pooled),
    }
    if writer_classifier is not None and any(writer_classifier.applies(n) for n in counts):
        calibration["writer_classifier"] = _calibrate_classifier(
            data,
            writer_classifier,
            background,
            score_rule,
            counts,
            rule,
            primary_reference_count,
            seed,
        )
        calibration["writer_classifier"]["data"] = f"{names}, every writer enrolled"
    return calibration


def _primary(thresholds: Mapping[str, Any], wanted: int) -> str:
    """The calibrated count closest to `wanted` (at or below it first)."""
    counts = sorted(int(n) for n in thresholds)
    below = [n for n in counts if n <= wanted]
    return str(below[-1] if below else counts[0])


def _calibrate_classifier(
    data: Mapping[str, tuple[list[SignatureRecord], np.ndarray]],
    classifier: WriterClassifier,
    background: np.ndarray | None,
    score_rule: ScoreRule,
    counts: Sequence[int],
    rule: str,
    primary_reference_count: int,
    seed: int,
) -> dict[str, Any]:
    """The writer classifier's thresholds per count (every writer of a collection enrolled)."""
    usable = [n for n in counts if classifier.applies(n)]
    placeholder = {str(n): {"threshold": 0.0} for n in usable}
    matcher = Matcher(
        0.0,
        {"score_rule": score_rule.config(), "writer_classifier": {"thresholds": placeholder}},
        background=background,
        writer_classifier=classifier,
    )
    thresholds = {}
    for n in usable:
        entry, _ = _calibrate_count(
            data, lambda r, e, n=n: classifier_trial_scores(r, e, matcher, n, seed), rule
        )
        if entry is not None:
            thresholds[str(n)] = entry
    primary = _primary(thresholds, primary_reference_count)
    return {
        **{k: thresholds[primary][k] for k in ("threshold", "eer", "far", "frr")},
        "rule": rule,
        "reference_count": int(primary),
        "c": classifier.c,
        "min_references": classifier.min_references,
        "scoring": "decision value of an RBF SVM: the person's references against the "
        "background and the other enrolled persons' references",
        "thresholds": thresholds,
    }


def calibration_table(calibration: Mapping[str, Any]) -> str:
    """Markdown table of a calibration's thresholds per number of references and collection."""
    entries = [("score", calibration)]
    if "writer_classifier" in calibration:
        entries.append(("classifier", calibration["writer_classifier"]))
    lines = [
        "| policy | references | threshold | pooled EER % | pooled FAR % | pooled FRR % | "
        "per collection: EER / FAR / FRR % |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, entry in entries:
        per_count = entry.get("thresholds") or {str(stored_reference_count(entry)): entry}
        for count, values in sorted(per_count.items(), key=lambda item: int(item[0])):
            cells = "; ".join(
                f"{name} {100 * c['eer']:.1f} / {100 * c['far']:.1f} / {100 * c['frr']:.1f}"
                for name, c in values.get("collections", {}).items()
            )
            rates = " | ".join(
                f"{100 * values[k]:.2f}" if k in values else "-" for k in ("eer", "far", "frr")
            )
            lines.append(
                f"| {label} | {count} | {values['threshold']:.4f} | {rates} | {cells or '-'} |"
            )
    return "\n".join(lines)


def calibrate_extractor(
    extractor: Any,
    collections: Mapping[str, Collection],
    reference_counts: Sequence[int] = DEFAULT_REFERENCE_COUNTS,
    rule: str = "eer_skilled",
    score_rule: ScoreRule | str = "distance_ratio",
    primary_reference_count: int = 5,
    seed: int = 0,
    background_writers: int = WRITER_BACKGROUND["writers"],
) -> dict[str, Any]:
    """Re-embeds the background with the extractor's weights and calibrates its `Matcher`.

    What to run after fine-tuning an extractor: sets `extractor.writer_background`
    (`writer_background`) and `extractor.calibration` (`calibrate_matcher`,
    with the writer classifier), so `save_to_preset` writes a preset whose
    `Matcher.from_extractor` decides with thresholds made for these weights.
    `background_writers` synthetic writers make the background (2 signatures
    each); the other arguments are `calibrate_matcher`'s. Returns the
    calibration.

    Example:
    ```python
    import signver_keras as sv
    from signver_keras.data.collections.verification import load_verification_data
    extractor = sv.SignatureExtractor.from_preset("my_finetuned_extractor")
    held_out = {"mine": load_verification_data("csv:held_out_writers.csv")}
    sv.calibrate_extractor(extractor, held_out)
    extractor.save_to_preset("my_finetuned_extractor")
    ```
    """
    extractor.writer_background = writer_background(extractor.embed, writers=background_writers)
    calibration = calibrate_matcher(
        extractor,
        collections,
        reference_counts=reference_counts,
        rule=rule,
        score_rule=score_rule,
        primary_reference_count=primary_reference_count,
        seed=seed,
    )
    if "writer_classifier" in calibration:
        calibration["writer_classifier"]["background"] = describe_background(background_writers)
    extractor.calibration = calibration
    return calibration
