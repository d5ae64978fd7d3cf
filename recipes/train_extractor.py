"""Train (or fine-tune) a signature extractor and save it as a calibrated preset.

    python -m recipes.train_extractor --config recipes/configs/extractor_base.yaml
    python -m recipes.train_extractor --config ... --resume          # after a kill
    python -m recipes.train_extractor --from-preset signver_extractor_base \\
        --data csv:my_signatures.csv --output my_extractor

Training: softmax with an additive cosine margin (CosFace) over classes that
are (writer, genuine) and (writer, forged): a writer's skilled forgeries are
their own class, so the embedding learns to push them away from the writer's
genuine signatures. Model selection and the decision threshold use
calibration writers; the reported numbers use test writers; all three sets
are writer-disjoint.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers, ops  # noqa: E402
from tqdm import tqdm  # noqa: E402

import signver_keras as sv  # noqa: E402
from recipes.common import (  # noqa: E402
    ResumableCheckpoint,
    fit_verbosity,
    load_config,
    load_split,
    parse_args,
    run_callbacks,
    run_dir,
    save_best,
)
from recipes.distribution import setup_distribution  # noqa: E402
from recipes.synthetic_writers import mix, synthetic_set  # noqa: E402
from signver_keras.data.augmentation import augment_signatures  # noqa: E402
from signver_keras.data.paths import data_root  # noqa: E402
from signver_keras.data.verification import (  # noqa: E402
    SignatureRecord,
    load_verification_data,
)
from signver_keras.evaluation.calibration import (  # noqa: E402
    DEFAULT_REFERENCES,
    calibration_table,
)
from signver_keras.evaluation.runner import evaluate  # noqa: E402
from signver_keras.evaluation.verification import summarize, trial_scores  # noqa: E402
from signver_keras.images import load_image  # noqa: E402
from signver_keras.model_card import write_model_card  # noqa: E402
from signver_keras.models.extractor.signature_extractor_preprocessor import (  # noqa: E402
    normalize_signature,
)
from signver_keras.presets import BUNDLED_DIR  # noqa: E402

CACHE_DIR = Path(os.environ.get("SIGNVER_CACHE", Path.home() / ".cache" / "signver_keras"))


@keras.saving.register_keras_serializable(package="signver_keras_recipes")
class CosineMarginHead(layers.Layer):
    """CosFace logits: s * (cos(theta) - m) for the true class, s * cos(theta) otherwise."""

    def __init__(self, num_classes: int, scale: float = 30.0, margin: float = 0.35, **kwargs):
        super().__init__(**kwargs)
        self.num_classes, self.scale, self.margin = num_classes, scale, margin

    def build(self, input_shape):
        self.centers = self.add_weight(
            shape=(input_shape[0][-1], self.num_classes),
            initializer="glorot_uniform",
            name="centers",
        )

    def call(self, inputs):
        embeddings, labels = inputs
        centers = self.centers / ops.sqrt(ops.sum(self.centers**2, axis=0, keepdims=True) + 1e-12)
        cosine = ops.matmul(embeddings, centers)
        onehot = ops.one_hot(ops.reshape(ops.cast(labels, "int32"), (-1,)), self.num_classes)
        return self.scale * (cosine - self.margin * onehot)

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "scale": self.scale,
            "margin": self.margin,
        }


def preprocessed(
    records: list[SignatureRecord],
    target_size: tuple[int, int],
    cache_dir: Path | None = None,
) -> np.ndarray:
    """The preprocessor's output for every record as uint8, cached on disk outside the repo."""
    key = hashlib.sha256(json.dumps([target_size, [r.path for r in records]]).encode()).hexdigest()[
        :16
    ]
    path = (cache_dir or CACHE_DIR) / f"extractor_inputs_{key}.npy"
    if path.exists():
        return np.load(path)
    arrays = np.stack(
        [
            np.round(normalize_signature(load_image(r.path), target_size) * 255).astype(np.uint8)
            for r in tqdm(records, desc="preprocessing", unit="img")
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".partial.npy"), arrays)
    os.replace(path.with_suffix(".partial.npy"), path)
    return arrays


def training_set(
    real: list[SignatureRecord], config: dict, target_size: tuple[int, int]
) -> tuple[list[SignatureRecord], np.ndarray]:
    """The real training records plus the config's synthetic writers, if any.

    Real images are repeated to about `synthetic.real_share` of the mix so the
    many synthetic writers do not drown the real ones; `real_share: 0` trains on
    the synthetic writers alone (pretraining, before fine-tuning on real ones).
    """
    spec = config.get("synthetic") or {}
    if not spec.get("writers"):
        return real, preprocessed(real, target_size)
    synthetic, synthetic_arrays = synthetic_set(spec, target_size, CACHE_DIR)
    if spec.get("real_share") == 0:
        return synthetic, synthetic_arrays
    return mix(
        real, preprocessed(real, target_size), synthetic, synthetic_arrays, spec.get("real_share")
    )


def class_labels(records: list[SignatureRecord]) -> np.ndarray:
    """One class per (writer, genuine) and per (writer, forged): forgeries are their own class."""
    names = sorted({(r.writer_id, r.genuine) for r in records})
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[(r.writer_id, r.genuine)] for r in records], np.int32)


def build_backbone(model_config: dict) -> keras.Model:
    """A fresh `SignatureExtractorBackbone` from a config's `model` section."""
    model_config = dict(model_config)
    target = model_config.pop("target_size")
    return sv.models.SignatureExtractorBackbone(image_shape=(*target, 1), **model_config)


def build_trainer(
    backbone: keras.Model, num_classes: int, train_cfg: dict, decay_steps: int
) -> keras.Model:
    """The compiled training model: backbone + CosFace head, AdamW with cosine decay.

    Its inputs are `{"images", "labels"}` (the head needs the labels for the
    margin), as produced by `training_dataset`.
    """
    images_in = keras.Input(backbone.image_shape, name="images")
    labels_in = keras.Input((), dtype="int32", name="labels")
    logits = CosineMarginHead(
        num_classes, train_cfg["scale"], train_cfg["margin"], name="margin_head"
    )([backbone(images_in), labels_in])
    trainer = keras.Model({"images": images_in, "labels": labels_in}, logits)
    schedule = keras.optimizers.schedules.CosineDecay(
        train_cfg["learning_rate"],
        decay_steps=max(1, decay_steps),
        alpha=0.02,
        warmup_target=None,
    )
    trainer.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=train_cfg["weight_decay"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return trainer


def training_dataset(arrays: np.ndarray, labels: np.ndarray, batch_size: int, seed: int):
    def augment(images, labels):
        images = augment_signatures(tf.cast(images, tf.float32)[..., None] / 255.0)
        return {"images": images, "labels": labels}, labels

    return (
        tf.data.Dataset.from_tensor_slices((arrays, labels))
        .shuffle(len(arrays), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(batch_size, drop_remainder=True)
        .map(augment, num_parallel_calls=1)
        .prefetch(2)
    )


def embed_arrays(backbone: keras.Model, arrays: np.ndarray) -> np.ndarray:
    return np.asarray(
        backbone.predict(arrays[..., None].astype("float32") / 255.0, batch_size=128, verbose=0)
    )


class CalibrationMonitor(keras.callbacks.Callback):
    """Scores calibration writers after each epoch and keeps the best backbone weights."""

    def __init__(self, backbone, records, arrays, references, folder: Path):
        super().__init__()
        self.backbone, self.records, self.arrays = backbone, records, arrays
        self.references, self.best_path = references, folder / "best.weights.h5"
        self.state_path = folder / "best.json"
        self.best = (
            json.loads(self.state_path.read_text())["score"] if self.state_path.exists() else 1.0
        )

    def on_epoch_end(self, epoch, logs=None):
        summary = summarize(
            trial_scores(
                self.records,
                embed_arrays(self.backbone, self.arrays),
                self.references,
                seed=0,
                random_per_writer=200,
            )
        )
        eers = [summary[k] for k in ("eer_skilled", "eer_random") if k in summary]
        score = float(np.mean(eers)) if eers else 0.0
        logs = logs if logs is not None else {}
        logs.update(
            {
                "calib_eer_skilled": summary.get("eer_skilled", float("nan")),
                "calib_eer_random": summary.get("eer_random", float("nan")),
            }
        )
        print(
            f"\nepoch {epoch + 1}: calibration EER skilled {logs['calib_eer_skilled']:.3f} "
            f"random {logs['calib_eer_random']:.3f}"
        )
        if score <= self.best:
            self.best = score
            state = {"score": score, "epoch": epoch + 1, **summary}
            save_best(self.backbone, self.best_path, self.state_path, state)


def calibrate_on_calibration_writers(
    extractor: sv.SignatureExtractor,
    records: list[SignatureRecord],
    arrays: np.ndarray,
    config: dict,
) -> dict:
    """Calibrates `extractor` on each collection's calibration writers (`sv.calibrate_extractor`).

    `records` are the calibration writers of the config's collections and
    `arrays` their preprocessed images. Thresholds per number of references
    (`calibration.counts`, default 1, 2, 3, 5, 10) are pooled so that each
    collection weighs equally; the preset's `threshold` is the one for
    `calibration.references`. The writer split is recorded, so `evaluate
    --subset test` finds the test writers.
    """
    embeddings = embed_arrays(extractor.backbone, arrays)
    collections = {}
    for name in config["data"]["datasets"]:
        keep = [i for i, r in enumerate(records) if r.dataset == Path(name).name]
        if keep:
            collections[Path(name).name] = ([records[i] for i in keep], embeddings[keep])
    calibration = sv.calibrate_extractor(
        extractor,
        collections,
        references=config["calibration"].get("counts", DEFAULT_REFERENCES),
        rule=config["calibration"]["rule"],
        primary_references=config["calibration"]["references"],
    )
    calibration.update(
        data="calibration writers of " + ", ".join(collections) + " (each weighs equally)",
        split=config["data"]["split"],
        split_seed=config["data"]["split_seed"],
        datasets=config["data"]["datasets"],
    )
    print(calibration_table(calibration))
    return calibration


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], "recipes/configs/extractor_base.yaml")
    config = load_config(args)
    folder = run_dir(args)
    distribution = setup_distribution(args.distribution)
    distribution.check_batch_size(config["train"]["batch_size"])
    keras.utils.set_random_seed(config["train"]["seed"])
    parts = load_split(config)
    if args.data:
        parts["train"] = [r for spec in args.data for r in load_verification_data(spec)]

    with distribution.scope():  # variables are created replicated
        if args.from_preset:
            base = sv.SignatureExtractor.from_preset(args.from_preset)
            backbone = base.backbone
        else:
            backbone = build_backbone(config["model"])
        target_size = tuple(backbone.image_shape[:2])

        train_records, train_arrays = training_set(parts["train"], config, target_size)
        calib_arrays = preprocessed(parts["calibration"], target_size)
        labels = class_labels(train_records)
        print(
            f"train: {len(train_arrays)} images, {labels.max() + 1} classes; "
            f"calibration: {len(calib_arrays)} images"
        )

        train_cfg = config["train"]
        steps = train_cfg.get("steps_per_epoch") or len(train_arrays) // train_cfg["batch_size"]
        trainer = build_trainer(
            backbone, int(labels.max()) + 1, train_cfg, steps * train_cfg["epochs"]
        )

        checkpoint = ResumableCheckpoint(folder)
        initial_epoch = 0
        if args.resume and checkpoint.model_path.exists():
            initial_epoch = checkpoint.restore(trainer)

    references = config["calibration"]["references"]
    monitor = CalibrationMonitor(backbone, parts["calibration"], calib_arrays, references, folder)
    dataset = training_dataset(train_arrays, labels, train_cfg["batch_size"], train_cfg["seed"])
    if distribution.backend == "torch" and distribution.num_replicas > 1:
        # One process per device: each takes every N-th batch of the same shuffled stream.
        dataset = dataset.shard(distribution.num_replicas, distribution.rank)
    with distribution.training(trainer):
        trainer.fit(
            dataset,
            epochs=train_cfg["epochs"],
            steps_per_epoch=steps,
            initial_epoch=initial_epoch,
            callbacks=[
                monitor,
                *run_callbacks(folder, checkpoint, train_cfg["max_minutes"]),
            ],
            verbose=fit_verbosity(),
        )
    if monitor.best_path.exists():
        backbone.load_weights(monitor.best_path)

    extractor = sv.SignatureExtractor(
        backbone=backbone,
        preprocessor=sv.models.SignatureExtractorPreprocessor(target_size=target_size),
    )
    calibrate_on_calibration_writers(extractor, parts["calibration"], calib_arrays, config)
    output = config["output"]["preset"]
    if not output:
        return
    extractor.save_to_preset(output)
    record = {
        "data": {key: config["data"][key] for key in ("datasets", "split", "split_seed")},
        "synthetic": config.get("synthetic"),
        "best": json.loads(monitor.state_path.read_text()) if monitor.state_path.exists() else {},
        "recipe": f"python -m recipes.train_extractor --config {args.config}",
        "loss": "CosFace (additive cosine margin) over (writer, genuine/forged) classes",
        "backend": keras.backend.backend(),
        "from_preset": args.from_preset,
    }
    Path(output, "training.json").write_text(json.dumps(record, indent=2))
    print(f"Saved preset to {output}")
    report = write_preset_metrics(output, config)
    print(report["table"])


def write_preset_metrics(output: str, config: dict) -> dict:
    """Evaluates the saved preset on held-out writers and stores metrics.json and the card."""
    specs = [
        f"manifest:{data_root() / name}"
        for name in config["data"]["datasets"] + config["data"].get("test_only", [])
    ]
    preset_name = Path(output).name
    handle = preset_name if Path(output).resolve().parent == BUNDLED_DIR else output
    report = evaluate(
        "verification", handle, specs, subset="test", references=config["calibration"]["references"]
    )
    report["command"] = report["command"].replace(str(data_root()), "$SIGNVER_DATA")
    Path(output, "metrics.json").write_text(json.dumps(report, indent=2))
    write_model_card(output, preset_name, "extractor")
    return report


if __name__ == "__main__":
    main()
