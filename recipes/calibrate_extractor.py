"""Re-calibrate a saved extractor preset without retraining it.

    python -m recipes.calibrate_extractor --config recipes/configs/extractor_base.yaml
    python -m recipes.calibrate_extractor --config ... --preset my_extractor
    python -m recipes.calibrate_extractor --config ... --also online/biosecurid --no-metrics

Recomputes what the training recipe stores after training, with the library's
`sv.calibrate_extractor`: the background embeddings, the score rule's
thresholds per number of references and the writer classifier's, on the
calibration writers of the config's collections (each weighing equally), plus
those of `--also` collections (split the same way, and recorded, so `evaluate
--subset test` keeps to their test writers). Rewrites the preset's `task.json`
and `writer_background.npy` in place and re-evaluates it (metrics.json, card)
unless `--no-metrics`. The weight files are left untouched, so a calibration
update does not add another copy of the weights to the repository's history.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import signver_keras as sv  # noqa: E402
from recipes.common import load_split, read_config  # noqa: E402
from recipes.train_extractor import (  # noqa: E402
    calibrate_on_calibration_writers,
    preprocessed,
    write_preset_metrics,
)
from signver_keras.models.extractor.extractor_inference import WRITER_BACKGROUND_FILE  # noqa: E402
from signver_keras.utils.atomic import atomic_path  # noqa: E402

UPDATED_FILES = ("task.json", WRITER_BACKGROUND_FILE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="recipes/configs/extractor_base.yaml")
    parser.add_argument("--preset", help="preset folder (default: the config's output.preset)")
    parser.add_argument(
        "--also",
        action="append",
        default=[],
        metavar="COLLECTION",
        help="another collection under the data root whose calibration writers join "
        "(e.g. online/biosecurid); repeatable",
    )
    parser.add_argument(
        "--no-metrics", action="store_true", help="leave metrics.json and the card as they are"
    )
    args = parser.parse_args()
    config = read_config(args.config, {})
    config["data"]["datasets"] = config["data"]["datasets"] + [
        name for name in args.also if name not in config["data"]["datasets"]
    ]
    preset = Path(args.preset or config["output"]["preset"])
    if not (preset / "task.json").exists():
        raise FileNotFoundError(f"{preset} is not a saved extractor preset (no task.json).")

    extractor = sv.SignatureExtractor.from_preset(str(preset))
    records = load_split(config)["calibration"]
    arrays = preprocessed(records, tuple(extractor.backbone.image_shape[:2]))
    calibrate_on_calibration_writers(extractor, records, arrays, config)
    with tempfile.TemporaryDirectory() as tmp:
        extractor.save_to_preset(Path(tmp) / preset.name)
        for name in UPDATED_FILES:
            # Each file is replaced whole (copy, then rename): never half-written.
            with atomic_path(preset / name) as staged:
                shutil.copyfile(Path(tmp) / preset.name / name, staged)
    if not args.no_metrics:
        print(write_preset_metrics(str(preset), config)["table"])


if __name__ == "__main__":
    main()
