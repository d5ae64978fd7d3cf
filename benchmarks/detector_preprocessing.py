"""A detector preset under each preprocessing option: signature AP50, recall, precision, ms/page.

    KERAS_BACKEND=tensorflow python benchmarks/detector_preprocessing.py \\
        --data synthetic-300dpi:60 --data synthetic-photo:60

Runs `signver-keras evaluate detection`'s protocol with the preset's network and
its preprocessor rebuilt with every combination of `downscale` (bilinear, min)
and `normalize` (global, local): what changing only the way pages reach the
network does, before any retraining. Pages are generated or read once and
shared by all options; ms/page is `detect` on one page (preprocessing included).
"""

from __future__ import annotations

import argparse
import itertools
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import signver_keras as sv  # noqa: E402
from signver_keras.data.collections.detection_data import load_detection_data  # noqa: E402
from signver_keras.evaluation.detection_report import evaluate_detection  # noqa: E402
from signver_keras.models.detector.detector_inference import (  # noqa: E402
    DOWNSCALE_METHODS,
    NORMALIZATIONS,
)
from signver_keras.models.detector.signature_detector_preprocessor import (  # noqa: E402
    SignatureDetectorPreprocessor,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="signver_detector_base")
    parser.add_argument("--data", action="append", required=True, metavar="LAYOUT:PATH")
    args = parser.parse_args()
    detector = sv.SignatureDetector.from_preset(args.preset)
    datasets = {spec: load_detection_data(spec, detector.class_names) for spec in args.data}
    print(
        f"preset {args.preset}, threshold {detector.score_threshold}, "
        f"backend {os.environ['KERAS_BACKEND']}, {os.cpu_count()} CPU cores"
    )
    print("| downscale | normalize | data | signature AP50 % | recall % | precision % | ms/page |")
    print("|---|---|---|---|---|---|---|")
    for downscale, normalize in itertools.product(DOWNSCALE_METHODS, NORMALIZATIONS):
        detector.preprocessor = SignatureDetectorPreprocessor(
            detector.image_size, downscale=downscale, normalize=normalize
        )
        report = evaluate_detection(detector, datasets)
        for spec, result in report["results"].items():
            signature = result["per_class"]["signature"]
            cells = [signature["ap50"], signature["recall"], signature["precision"]]
            shown = " | ".join("-" if v is None else f"{100 * v:.1f}" for v in cells)
            print(f"| {downscale} | {normalize} | {spec} | {shown} | {result['ms_per_page']} |")


if __name__ == "__main__":
    main()
