"""Re-tune a saved detector preset's page preprocessing and score threshold, weights unchanged.

    KERAS_BACKEND=tensorflow python -m recipes.tune_detector \\
        --config recipes/configs/detector_base.yaml --preset signver_detector_base

Applies the config's `model.downscale` / `model.normalize` to the preset's
preprocessor, chooses the default score threshold for `threshold.precision`
on the config's real validation pages (never the held-out ones), evaluates the
candidate like the training recipe does and replaces the preset only when its
signature AP50 score is higher (`recipes.train_detector.publish`).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import signver_keras as sv  # noqa: E402
from recipes.common import read_config, run_dir  # noqa: E402
from recipes.train_detector import load_real, publish, set_threshold  # noqa: E402
from signver_keras.data.paths import CACHE_DIR  # noqa: E402
from signver_keras.data.training.detector_pages import real_pages  # noqa: E402
from signver_keras.presets import BUNDLED_DIR  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="recipes/configs/detector_base.yaml")
    parser.add_argument("--preset", default="signver_detector_base", help="name or folder")
    parser.add_argument("--run-dir", help="where the candidate is evaluated (default: runs dir)")
    args = parser.parse_args()
    config = read_config(args.config, {})
    folder = Path(args.preset)
    output = str(folder if folder.is_dir() else BUNDLED_DIR / args.preset)

    detector = sv.SignatureDetector.from_preset(output)
    preprocessor = detector.preprocessor
    for option in ("downscale", "normalize"):
        if option in config["model"]:
            setattr(preprocessor, option, config["model"][option])
    print(f"preprocessing: downscale {preprocessor.downscale}, normalize {preprocessor.normalize}")

    loader_args = argparse.Namespace(data=None)
    _, validation_pages, holdout, mask = load_real(config, loader_args, detector.class_names)
    validation = {
        "real": real_pages(validation_pages, preprocessor, mask, CACHE_DIR, "real_validation")
    }
    threshold = set_threshold(detector, validation, config["threshold"]["precision"])

    training = json.loads(Path(output, "training.json").read_text())
    training["tuned"] = {
        "command": f"python -m recipes.tune_detector --config {args.config} --preset {args.preset}",
        "input": f"downscale {preprocessor.downscale}, normalize {preprocessor.normalize}",
        "threshold": threshold,
    }
    tune_dir = run_dir(argparse.Namespace(run_dir=args.run_dir, config="tune_detector"))
    publish(detector, tune_dir, output, config, bool(holdout), training)


if __name__ == "__main__":
    main()
