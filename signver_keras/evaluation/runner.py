"""`signver-keras evaluate`: run a protocol on a dataset, print a table, write JSON and plots."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from signver_keras.data.collections.online_signatures import is_online, record_image
from signver_keras.data.collections.verification import SignatureRecord, load_verification_data
from signver_keras.data.training.extractor_inputs import extractor_inputs
from signver_keras.evaluation.verification import protocol_summary
from signver_keras.evaluation.writer_subsets import select_writers
from signver_keras.models.matcher.matcher import Matcher
from signver_keras.utils.ink import DEFAULT_MARGIN

if TYPE_CHECKING:
    from signver_keras.embeddings import Embeddings
    from signver_keras.models.extractor.signature_extractor import SignatureExtractor


def embed_records(extractor: SignatureExtractor, records: list[SignatureRecord]) -> Embeddings:
    """The extractor's embeddings of `records`; online collections are rendered once and cached.

    Rendering thousands of pen trajectories takes minutes, so a collection with
    online records is prepared by `extractor_inputs` (in parallel, cached on
    disk as uint8 preprocessor output) when the extractor's preprocessor is
    the standard one; anything else goes through `extractor.embed`.
    """
    from signver_keras.models.extractor.signature_extractor_preprocessor import (
        SignatureExtractorPreprocessor,
    )

    preprocessor = extractor.preprocessor
    standard = (
        type(preprocessor) is SignatureExtractorPreprocessor
        and preprocessor.margin == DEFAULT_MARGIN
    )
    if standard and any(is_online(r) for r in records):
        prepared = extractor_inputs(records, tuple(preprocessor.target_size)).first()
        return extractor.embed_preprocessed(prepared)
    return extractor.embed([record_image(r) for r in records])


def evaluate_verification(
    extractor,
    datasets: dict[str, list[SignatureRecord]],
    reference_count: int = 5,
    seed: int = 0,
    out_dir: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Runs the verification protocol on each dataset with the extractor's `Matcher`.

    FAR and FRR are those of the matcher's decisions: its score rule and the
    threshold calibrated for `reference_count`. When the extractor carries a
    writer-dependent classifier, the same trials are also scored with it;
    those results have the suffix `_classifier` (see `protocol_summary`).
    """
    matcher = Matcher.from_extractor(extractor) if extractor.calibration else None
    classifier = None
    if extractor.writer_classifier() is not None:
        classifier = Matcher.from_extractor(extractor, writer_classifier=True)
    results, curves = {}, {}
    for name, records in tqdm(datasets.items(), desc="embedding datasets", unit="dataset"):
        start = time.perf_counter()
        embeddings = embed_records(extractor, records)
        seconds = time.perf_counter() - start
        summary, scores = protocol_summary(
            records, embeddings, matcher, reference_count, seed, classifier
        )
        results[name] = {
            **summary,
            "writers": len({r.writer_id for r in records}),
            "images": len(records),
            "embed_images_per_second": round(len(records) / seconds, 1),
        }
        curves[name] = scores
    threshold, calibrated = matcher.threshold_for(reference_count) if matcher else (None, None)
    classifier_threshold = None
    if classifier is not None and classifier.writer_classifier.applies(reference_count):
        classifier_threshold = classifier.classifier_thresholds.pick(reference_count)[0]
    report: dict[str, Any] = {
        "task": "verification",
        "reference_count": reference_count,
        "seed": seed,
        "threshold": threshold,
        "calibrated_reference_count": calibrated,
        "score_rule": None if matcher is None else matcher.score_rule.name,
        "classifier_threshold": classifier_threshold,
        "results": results,
    }
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        plots = {}
        try:
            from signver_keras.evaluation.plots import plot_verification_curves

            for name, scores in curves.items():
                plots[name] = str(
                    plot_verification_curves(
                        np.array(scores.genuine),
                        {"skilled": np.array(scores.skilled), "random": np.array(scores.random)},
                        threshold,
                        out / f"{name.replace(':', '_')}_roc_det.png",
                    )
                )
        except ImportError:
            plots["note"] = "install matplotlib (pip install signver-keras[plots]) for plots"
        report["plots"] = plots
        (out / "verification.json").write_text(json.dumps(report, indent=2))
    report["table"] = verification_table(report)
    return report


def _percent(value: Any) -> str:
    return f"{100 * value:.2f}" if isinstance(value, (int, float)) and np.isfinite(value) else "-"


def verification_table(report: dict[str, Any]) -> str:
    """Markdown table of a verification report (README and model cards embed it)."""
    columns = {
        "EER skilled %": "eer_skilled",
        "EER random %": "eer_random",
        "FAR skilled % @thr": "far_skilled_at_threshold",
        "FAR random % @thr": "far_random_at_threshold",
        # Same genuine trials for both kinds: whichever a dataset has.
        "FRR % @thr": ("frr_random_at_threshold", "frr_skilled_at_threshold"),
        "EER skilled % writer-norm.": "eer_skilled_normalized",
        "EER random % writer-norm.": "eer_random_normalized",
        "FAR skilled % @writer": "far_skilled_writer_rule",
        "FAR random % @writer": "far_random_writer_rule",
        "FRR % @writer": "frr_writer_rule",
        "AUC skilled": "auc_skilled",
    }
    lines = _results_table(report, columns)
    if report.get("calibrated_reference_count") is not None:
        lines += [
            "",
            f"@thr: `{report['score_rule']}` scores against threshold {report['threshold']:.4f}, "
            f"calibrated for {report['calibrated_reference_count']} references "
            f"({report['reference_count']} per writer here).",
        ]
    if report.get("classifier_threshold") is not None:
        lines += [
            "",
            "Writer-dependent classifier (`sv.WriterClassifier`: each writer's SVM against the "
            "synthetic background and the other enrolled writers' references; threshold "
            f"{report['classifier_threshold']:.3f}):",
            "",
            *_results_table(
                report,
                {
                    name: _suffixed(key, "_classifier")
                    for name, key in columns.items()
                    if "writer" not in name
                },
            ),
        ]
    return "\n".join(lines)


def _keys(column: str | tuple[str, ...]) -> tuple[str, ...]:
    """A column's result keys, first present wins."""
    return (column,) if isinstance(column, str) else column


def _suffixed(column: str | tuple[str, ...], suffix: str) -> tuple[str, ...]:
    return tuple(key + suffix for key in _keys(column))


def _results_table(report: dict[str, Any], columns: dict[str, str | tuple[str, ...]]) -> list[str]:
    """One row per dataset; a column shows the first of its keys the results have."""

    def cell(result: dict[str, Any], name: str, keys: str | tuple[str, ...]) -> str:
        value = next((result[k] for k in _keys(keys) if k in result), None)
        if name.startswith("AUC"):
            return "-" if value is None else f"{value:.3f}"
        return _percent(value)

    lines = [
        "| data | writers | " + " | ".join(columns) + " |",
        "|---" * (len(columns) + 2) + "|",
    ]
    for data, result in report["results"].items():
        cells = [cell(result, name, keys) for name, keys in columns.items()]
        lines.append(f"| {data} | {result['writers']} | " + " | ".join(cells) + " |")
    return lines


def evaluate(
    task: str,
    preset: str,
    data: Sequence[str],
    out_dir: str | None = None,
    reference_count: int = 5,
    seed: int = 0,
    subset: str | None = None,
    extractor_preset: str | None = "signver_extractor_base",
    pairs: int = 40,
    max_writers: int | None = None,
) -> dict[str, Any]:
    """Entry point of `signver-keras evaluate TASK --preset P --data LAYOUT:PATH ...`.

    For `detection`, `subset` `"test"` keeps the fixed held-out pages of each
    dataset (`signver_keras.data.collections.detection_data.split_pages`), `"train"` the rest.

    For `cleaning`, `extractor_preset` (the extractor of the verification
    comparison), `pairs` and `max_writers` are passed to
    `signver_keras.evaluation.cleaning.evaluate_cleaning_preset`.
    """
    if task == "cleaning":
        from signver_keras.evaluation.cleaning import evaluate_cleaning_preset

        return evaluate_cleaning_preset(
            preset,
            data,
            out_dir,
            reference_count,
            seed,
            subset,
            extractor_preset,
            pairs,
            max_writers,
        )
    if task not in ("verification", "detection"):
        raise ValueError(
            f"evaluate {task} is not available yet; "
            "only 'verification', 'detection' and 'cleaning' are."
        )
    import signver_keras as sv

    if task == "detection":
        from signver_keras.evaluation.detection_report import evaluate_detection_specs

        return evaluate_detection_specs(preset, data, out_dir, subset)

    extractor = sv.SignatureExtractor.from_preset(preset)
    datasets = {}
    for spec in data:
        records, was_split = select_writers(
            load_verification_data(spec), extractor.calibration, subset
        )
        datasets[Path(spec.partition(":")[2]).name + (f":{subset}" if was_split else "")] = records
    report = evaluate_verification(extractor, datasets, reference_count, seed, out_dir)
    report["command"] = " ".join(
        ["signver-keras evaluate verification", f"--preset {preset}"]
        + [f"--data {spec}" for spec in data]
        + ([f"--subset {subset}"] if subset else [])
    )
    return report
