"""Does a stored threshold hold on a collection it was not calibrated on?

    KERAS_BACKEND=tensorflow python benchmarks/threshold_transfer.py
    KERAS_BACKEND=tensorflow python benchmarks/threshold_transfer.py --preset my_extractor \\
        --collections sigcomp2011_dutch svc2004_rendered online/biosecurid \\
        --measure-only bhsig260_subset --rules mean_cosine distance_ratio --classifier

Leave one collection out: for each score rule and number of references,
`sv.calibrate_matcher` calibrates on the calibration writers of the *other*
collections (each weighing equally), then the held-out collection's writers
that the extractor never trained on are scored with that threshold. A
threshold that transfers gives FRR and FAR close to the held-out collection's
own EER; the table reports both rates, the EER, and `dev` = max(|FRR - EER|,
|FAR - EER|) (skilled forgeries; random ones where a collection has none).
`--measure-only` collections are never calibrated on (too small, or terms that
allow measuring only). The first row of each count is the preset's stored
calibration as it is.

Writers: a collection the preset trained on (`calibration["datasets"]`) is
split with the preset's split; its calibration writers may calibrate, and
calibration plus test writers are measured. Other collections are split the
same way for calibration; measured, they count all their writers. Embeddings
are cached under `--cache` (outside the repository), one file per collection
and extractor fingerprint.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402

SCANNED = ["sigcomp2011_dutch", "svc2004_rendered", "crossmedia_chinese"]


def embedded(extractor, name: str, cache: Path) -> tuple[list, np.ndarray]:
    from signver_keras.data.collections.verification import load_verification_data
    from signver_keras.data.paths import collection_spec
    from signver_keras.evaluation.runner import embed_records

    records = load_verification_data(collection_spec(name))
    path = cache / f"{extractor.fingerprint()}_{name.replace('/', '_')}.npy"
    if path.exists():
        return records, np.load(path)
    embeddings = np.asarray(embed_records(extractor, records))  # online: cached renderings
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, embeddings)
    return records, embeddings


def parts(records, embeddings, calibration) -> dict[str, tuple[list, np.ndarray]]:
    """{"calibration": ..., "measured": ...} writers of one collection (see the docstring)."""
    from signver_keras.data.collections.verification import split_writers

    split = split_writers(records, calibration["split"], calibration["split_seed"])
    index = {r.path: i for i, r in enumerate(records)}

    def take(rows):
        return rows, embeddings[[index[r.path] for r in rows]]

    trained = records[0].dataset in {Path(n).name for n in calibration.get("datasets", [])}
    measured = split[1] + split[2] if trained else records
    return {"calibration": take(split[1]), "measured": take(measured)}


def rates(summary: dict) -> tuple[float, float, float] | None:
    """(EER, FRR, FAR) of skilled forgeries, else of random ones."""
    for kind in ("skilled", "random"):
        if f"eer_{kind}" in summary and f"far_{kind}_at_threshold" in summary:
            return (
                summary[f"eer_{kind}"],
                summary[f"frr_{kind}_at_threshold"],
                summary[f"far_{kind}_at_threshold"],
            )
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="signver_extractor_base")
    parser.add_argument("--collections", nargs="+", default=SCANNED)
    parser.add_argument("--measure-only", nargs="*", default=["bhsig260_subset"])
    parser.add_argument("--rules", nargs="+", default=["mean_cosine", "distance_ratio"])
    parser.add_argument("--reference-counts", nargs="+", type=int, default=[1, 2, 3, 5, 10])
    parser.add_argument("--classifier", action="store_true", help="also the writer classifier")
    parser.add_argument("--cache", default="/tmp/signver_transfer_embeddings")
    args = parser.parse_args()

    import signver_keras as sv
    from signver_keras.evaluation.calibration import writer_background
    from signver_keras.evaluation.verification import protocol_summary

    extractor = sv.SignatureExtractor.from_preset(args.preset)
    cache = Path(args.cache)
    background_path = cache / f"{extractor.fingerprint()}_background.npy"
    if not background_path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        np.save(background_path, writer_background(extractor.embed))
    background = np.load(background_path)
    data = {
        Path(name).name: parts(*embedded(extractor, name, cache), extractor.calibration)
        for name in args.collections + args.measure_only
    }
    calibrating = [Path(n).name for n in args.collections]
    policies = [(rule, None) for rule in args.rules]
    if args.classifier:
        policies.append(("distance_ratio", sv.WriterClassifier(0.0, min_references=2)))
    print("| refs | rule | mean dev | within 3 pts | mean EER | per collection EER / FRR / FAR |")
    print("|---|---|---|---|---|---|")
    for count in args.reference_counts:
        for rule, classifier in [("stored calibration", None), *policies]:
            cells, devs, eers = [], [], []
            for target, target_parts in data.items():
                if rule == "stored calibration":
                    matcher = sv.Matcher.from_extractor(extractor)
                else:
                    pool = {n: data[n]["calibration"] for n in calibrating if n != target}
                    calibration = sv.calibrate_matcher(
                        None,
                        pool,
                        reference_counts=[count],
                        score_rule=rule,
                        background=background,
                        writer_classifier=classifier,
                        primary_reference_count=count,
                    )
                    matcher = sv.Matcher(
                        calibration=calibration,
                        background=background,
                        writer_classifier=classifier,
                    )
                summary, _ = protocol_summary(
                    *target_parts["measured"],
                    matcher,
                    count,
                    classifier=None if classifier is None else matcher,
                )
                if classifier is not None:
                    summary = {
                        key.removesuffix("_classifier"): value
                        for key, value in summary.items()
                        if key.endswith("_classifier")
                    }
                measured = rates(summary)
                if measured is None:
                    cells.append(f"{target} -")
                    continue
                eer, frr, far = measured
                devs.append(max(abs(frr - eer), abs(far - eer)))
                eers.append(eer)
                cells.append(f"{target} {100 * eer:.1f} / {100 * frr:.1f} / {100 * far:.1f}")
            if not devs:
                continue
            label = rule if classifier is None else f"{rule} + classifier"
            print(
                f"| {count} | {label} | {100 * np.mean(devs):.1f} | "
                f"{sum(d <= 0.03 for d in devs)}/{len(devs)} | {100 * np.mean(eers):.1f} | "
                + "; ".join(cells)
                + " |",
                flush=True,
            )


if __name__ == "__main__":
    warnings.simplefilter("ignore", UserWarning)  # the stored single threshold, at every count
    main()
