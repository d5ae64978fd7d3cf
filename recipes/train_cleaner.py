"""Train (or fine-tune) a signature cleaner on real signatures under synthetic document clutter.

    python -m recipes.train_cleaner --config recipes/configs/cleaner_base.yaml
    python -m recipes.train_cleaner --config ... --resume          # after a kill
    python -m recipes.train_cleaner --from-preset signver_cleaner_base \\
        --data csv:my_signatures.csv --output my_cleaner

Data: the signatures of the *training* writers of the extractor's writer split
(`recipes.common.load_split`, same fractions and seed), so the cleaner never
sees the writers the extractor is calibrated or tested on. Each signature is
cropped around its ink with a random margin, scaled to a random size, laid
over synthetic clutter with `make_pair` (printed text, rules, stamps, scan
noise) and cut into training tiles, mostly centred on ink
(`signver_keras.data.training.cleaner_tiles`). The tiles are cached outside
the repository. Calibration writers give the validation tiles
(model selection on SSIM); test writers are only used by the final
`evaluate cleaning` that writes the preset's metrics.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # ~3x faster than JAX on CPU here

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import signver_keras as sv  # noqa: E402
from recipes.common import (  # noqa: E402
    CosineByProgress,
    ResumableCheckpoint,
    fit_verbosity,
    load_config,
    load_split,
    parse_args,
    run_callbacks,
    run_dir,
    save_best,
)
from signver_keras.data.collections.verification import (  # noqa: E402
    load_verification_data,
    split_writers,
)
from signver_keras.data.paths import CACHE_DIR, data_root  # noqa: E402
from signver_keras.data.training.cleaner_tiles import (  # noqa: E402
    make_tiles,
    network_inputs,
    tile_dataset,
)
from signver_keras.evaluation.cleaning import TRAINING_RECORD, psnr, ssim  # noqa: E402
from signver_keras.evaluation.runner import evaluate  # noqa: E402
from signver_keras.model_card import write_model_card  # noqa: E402
from signver_keras.models.cleaner.signature_cleaner_loss import SignatureCleanerLoss  # noqa: E402
from signver_keras.presets import BUNDLED_DIR  # noqa: E402


class ValidationMonitor(keras.callbacks.Callback):
    """PSNR / SSIM of the cleaned validation tiles after each epoch; keeps the best weights."""

    def __init__(self, backbone, inputs, clean, folder: Path):
        super().__init__()
        self.backbone, self.clean = backbone, clean
        self.inputs = inputs[..., None].astype("float32") / 255.0
        self.best_path = folder / "best.weights.h5"
        self.state_path = folder / "best.json"
        self.best = (
            json.loads(self.state_path.read_text())["val_ssim"] if self.state_path.exists() else -1
        )

    def scores(self) -> dict[str, float]:
        ink = np.asarray(self.backbone.predict(self.inputs, batch_size=32, verbose=0))[..., 0]
        # The gray image `SignatureCleaner.clean` returns: ink dark on white.
        cleaned = np.round(255.0 * (1.0 - np.clip(ink, 0.0, 1.0))).astype(np.uint8)
        pairs = list(zip(cleaned, self.clean, strict=True))
        return {
            "val_psnr": float(np.mean([psnr(c, t) for c, t in pairs])),
            "val_ssim": float(np.mean([ssim(c, t) for c, t in pairs])),
        }

    def on_epoch_end(self, epoch, logs=None):
        scores = self.scores()
        logs = logs if logs is not None else {}
        logs.update(scores)
        print(
            f"\nepoch {epoch + 1}: validation PSNR {scores['val_psnr']:.2f} dB, "
            f"SSIM {scores['val_ssim']:.4f}",
            flush=True,
        )
        if scores["val_ssim"] >= self.best:
            self.best = scores["val_ssim"]
            save_best(
                self.backbone, self.best_path, self.state_path, {"epoch": epoch + 1, **scores}
            )


def set_threads(count: int | None) -> None:
    """Caps TensorFlow's thread pools so the run shares the CPU with other jobs."""
    if count and keras.backend.backend() == "tensorflow":
        tf.config.threading.set_intra_op_parallelism_threads(count)
        tf.config.threading.set_inter_op_parallelism_threads(count)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], "recipes/configs/cleaner_base.yaml")
    config = load_config(args)
    folder = run_dir(args)
    train_cfg, tiles = config["train"], config["tiles"]
    set_threads(train_cfg.get("threads"))
    keras.utils.set_random_seed(train_cfg["seed"])

    if args.data:
        records = [r for spec in args.data for r in load_verification_data(spec)]
        train_records, val_records = split_writers(records, [0.9, 0.1], tiles["seed"])
        val_records = val_records or train_records
    else:
        parts = load_split(config)
        train_records, val_records = parts["train"], parts["calibration"]
    print(
        f"train: {len(train_records)} signatures of "
        f"{len({r.writer_id for r in train_records})} writers; "
        f"validation: {len({r.writer_id for r in val_records})} writers",
        flush=True,
    )
    train_noisy, train_clean = make_tiles(
        train_records, tiles["train"], tiles, tiles["seed"], CACHE_DIR, "training tiles"
    )
    val_noisy, val_clean = make_tiles(
        val_records, tiles["validation"], tiles, tiles["seed"] + 1, CACHE_DIR, "validation tiles"
    )

    if args.from_preset:
        base = sv.SignatureCleaner.from_preset(args.from_preset)
        backbone, preprocessor = base.backbone, base.preprocessor
    else:
        model_cfg = config["model"]
        backbone = sv.models.SignatureCleanerBackbone(level_filters=model_cfg["level_filters"])
        preprocessor = sv.models.SignatureCleanerPreprocessor(
            max_side=model_cfg["max_side"], pad_multiple=model_cfg["pad_multiple"]
        )
    backbone.compile(
        optimizer=keras.optimizers.AdamW(
            train_cfg["learning_rate"], weight_decay=train_cfg["weight_decay"]
        ),
        loss=SignatureCleanerLoss(dice_weight=train_cfg["dice_weight"]),
    )

    checkpoint = ResumableCheckpoint(folder)
    initial_epoch = 0
    if args.resume and checkpoint.model_path.exists():
        initial_epoch = checkpoint.restore(backbone)

    monitor = ValidationMonitor(backbone, network_inputs(val_noisy), val_clean, folder)
    print(f"parameters: {backbone.count_params()}; baseline (noisy input):", end=" ")
    print(
        f"PSNR {np.mean([psnr(n, c) for n, c in zip(val_noisy, val_clean, strict=True)]):.2f} dB, "
        f"SSIM {np.mean([ssim(n, c) for n, c in zip(val_noisy, val_clean, strict=True)]):.4f}",
        flush=True,
    )
    backbone.fit(
        tile_dataset(
            network_inputs(train_noisy), train_clean, train_cfg["batch_size"], train_cfg["seed"]
        ),
        steps_per_epoch=train_cfg["steps_per_epoch"],
        epochs=train_cfg["epochs"],
        initial_epoch=initial_epoch,
        callbacks=[
            CosineByProgress(
                train_cfg["learning_rate"],
                train_cfg["steps_per_epoch"] * train_cfg["epochs"],
                train_cfg["max_minutes"],
            ),
            monitor,
            *run_callbacks(folder, checkpoint, train_cfg["max_minutes"]),
        ],
        verbose=fit_verbosity(),
    )
    if monitor.best_path.exists():
        backbone.load_weights(monitor.best_path)

    # A fresh, uncompiled copy: the preset must not carry optimizer state.
    fresh = sv.models.SignatureCleanerBackbone.from_config(backbone.get_config())
    fresh.set_weights(backbone.get_weights())
    cleaner = sv.SignatureCleaner(backbone=fresh, preprocessor=preprocessor)
    output = config["output"]["preset"]
    if not output:
        return
    cleaner.save_to_preset(output)
    record = {
        "data": {
            "datasets": config["data"]["datasets"] if not args.data else args.data,
            "split": config["data"]["split"],
            "split_seed": config["data"]["split_seed"],
        },
        "tiles": tiles,
        "best": json.loads(monitor.state_path.read_text()) if monitor.state_path.exists() else {},
        "from_preset": args.from_preset,
    }
    Path(output, TRAINING_RECORD).write_text(json.dumps(record, indent=2))
    print(f"Saved preset to {output}", flush=True)
    if not args.data:
        report = write_preset_metrics(output, config, folder / "evaluation")
        print(report["table"], flush=True)


def write_preset_metrics(output: str, config: dict, out_dir: Path) -> dict:
    """Evaluates the saved preset on held-out writers and stores metrics.json and the card.

    The example grid (crops of the research-only datasets) goes to `out_dir` in
    the run folder, never into the preset.
    """
    specs = [f"manifest:{data_root() / name}" for name in config["data"]["datasets"]]
    preset_name = Path(output).name
    handle = preset_name if Path(output).resolve().parent == BUNDLED_DIR else output
    evaluation = config["evaluation"]
    report = evaluate(
        "cleaning",
        handle,
        specs,
        out_dir=str(out_dir),
        reference_count=evaluation["reference_count"],
        subset="test",
        extractor_preset=evaluation["extractor"],
        pairs=evaluation["pairs_per_dataset"],
        max_writers=evaluation["max_writers"],
    )
    report["command"] = report["command"].replace(str(data_root()), "$SIGNVER_DATA")
    Path(output, "metrics.json").write_text(json.dumps(report, indent=2))
    write_model_card(output, preset_name, "cleaner")
    return report


if __name__ == "__main__":
    main()
