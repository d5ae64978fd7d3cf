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

import json
import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers, ops  # noqa: E402

import signver_keras as sv  # noqa: E402
from recipes.common import (  # noqa: E402
    CosineByProgress,
    ResumableCheckpoint,
    compute_description,
    fit_verbosity,
    load_collection,
    load_config,
    load_split,
    parse_args,
    run_callbacks,
    run_dir,
    save_best,
)
from recipes.distribution import setup_distribution  # noqa: E402
from signver_keras.data.collections.verification import (  # noqa: E402
    SignatureRecord,
    load_verification_data,
)
from signver_keras.data.paths import CACHE_DIR, collection_spec, data_root  # noqa: E402
from signver_keras.data.training.extractor_inputs import (  # noqa: E402
    ExtractorInputs,
    InputPack,
    extractor_inputs,
)
from signver_keras.data.training.pipelines import SignaturePyDataset  # noqa: E402
from signver_keras.data.training.synthetic_mix import real_repeats, synthetic_set  # noqa: E402
from signver_keras.evaluation.calibration import (  # noqa: E402
    DEFAULT_REFERENCE_COUNTS,
    calibration_table,
)
from signver_keras.evaluation.runner import evaluate  # noqa: E402
from signver_keras.evaluation.verification import summarize, trial_scores  # noqa: E402
from signver_keras.model_card import write_model_card  # noqa: E402
from signver_keras.presets import BUNDLED_DIR  # noqa: E402


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
    pack: InputPack | None = None,
) -> np.ndarray:
    """The preprocessor's output per record as uint8 (online records: their fixed rendering)."""
    return prepared_inputs(records, target_size, 1, cache_dir, pack).first()


def prepared_inputs(
    records: list[SignatureRecord],
    target_size: tuple[int, int],
    renderings: int,
    cache_dir: Path | None = None,
    pack: InputPack | None = None,
) -> ExtractorInputs:
    """Records' inputs from the input pack (`--pack`), or prepared from the data (cached)."""
    if pack is not None:
        return pack.inputs(records, target_size, renderings)
    return extractor_inputs(records, target_size, renderings, cache_dir or CACHE_DIR)


def training_set(
    real: list[SignatureRecord],
    config: dict,
    target_size: tuple[int, int],
    pack: InputPack | None = None,
) -> tuple[list[SignatureRecord], ExtractorInputs]:
    """The real training records plus the config's synthetic writers, if any.

    Online records get `data.renderings` renderings each (one is drawn each
    time training visits the signature). Real images are repeated to about
    `synthetic.real_share` of the mix so the many synthetic writers do not
    drown the real ones; `real_share: 0` trains on the synthetic writers alone
    (pretraining, before fine-tuning on real ones).
    """
    renderings = config.get("data", {}).get("renderings", 1)
    inputs = prepared_inputs(real, target_size, renderings, pack=pack)
    spec = config.get("synthetic") or {}
    if not spec.get("writers"):
        return real, inputs
    synthetic, synthetic_arrays = synthetic_set(spec, target_size, CACHE_DIR)
    synthetic_inputs = ExtractorInputs.from_images(synthetic_arrays)
    if spec.get("real_share") == 0:
        return synthetic, synthetic_inputs
    repeats = real_repeats(len(real), len(synthetic), spec.get("real_share"))
    return real * repeats + synthetic, ExtractorInputs.concatenate(
        [inputs] * repeats + [synthetic_inputs]
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


def build_trainer(backbone: keras.Model, num_classes: int, train_cfg: dict) -> keras.Model:
    """The compiled training model: backbone + CosFace head, AdamW.

    Its inputs are `{"images", "labels"}` (the head needs the labels for the
    margin), as produced by `training_dataset`; `learning_schedule` sets the rate.
    """
    images_in = keras.Input(backbone.image_shape, name="images")
    labels_in = keras.Input((), dtype="int32", name="labels")
    logits = CosineMarginHead(
        num_classes, train_cfg["scale"], train_cfg["margin"], name="margin_head"
    )([backbone(images_in), labels_in])
    trainer = keras.Model({"images": images_in, "labels": labels_in}, logits)
    trainer.compile(
        optimizer=keras.optimizers.AdamW(
            train_cfg["learning_rate"], weight_decay=train_cfg["weight_decay"]
        ),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return trainer


def learning_schedule(train_cfg: dict, total_steps: int) -> CosineByProgress:
    """Cosine decay over steps or wall time (`train.max_minutes`), whichever runs out first."""
    return CosineByProgress(
        train_cfg["learning_rate"], max(1, total_steps), train_cfg["max_minutes"], alpha=0.02
    )


class MarginBatches(SignaturePyDataset):
    """`SignaturePyDataset` batches shaped for `build_trainer`: the labels are an input too."""

    def __getitem__(self, index: int):
        images, labels = super().__getitem__(index)
        return {"images": images, "labels": labels}, labels


def training_dataset(
    records: list[SignatureRecord],
    inputs: ExtractorInputs,
    labels: np.ndarray,
    batch_size: int,
    seed: int,
    workers: int = 1,
) -> MarginBatches:
    """Shuffled, augmented batches (numpy, any backend); each visit draws one of a record's images.

    `workers` threads prepare batches while the accelerator trains.
    """
    return MarginBatches(
        records,
        batch_size,
        inputs.images.shape[1:3],
        labels=labels,
        augment_strength=1.0,
        seed=seed,
        drop_remainder=True,
        inputs=inputs,
        workers=workers,
    )


def embed_arrays(backbone: keras.Model, arrays: np.ndarray) -> np.ndarray:
    return np.asarray(
        backbone.predict(arrays[..., None].astype("float32") / 255.0, batch_size=128, verbose=0)
    )


def validation_suite(parts: dict, config: dict) -> dict[str, list[SignatureRecord]]:
    """The collections that choose the model: every calibration part and test-only collection.

    Calibration writers of each split collection, and whole collections never
    trained on (`data.test_only`): selecting on many collections, none of them
    seen in training, favours a model that generalises over one that fits one
    collection. The test writers of the split collections and `data.report_only`
    collections never take part.
    """
    suite = {}
    for name in config["data"]["datasets"]:
        records = [r for r in parts["calibration"] if r.dataset == Path(name).name]
        if records:
            suite[f"{Path(name).name}:calibration"] = records
    for name in config["data"].get("test_only", []):
        suite[Path(name).name] = parts[f"test:{name}"]
    return suite


class SuiteMonitor(keras.callbacks.Callback):
    """Scores the validation suite after each epoch and keeps the best backbone weights.

    The selection score is the mean skilled-forgery EER over the suite's
    collections that have skilled forgeries (`validation_suite`); each
    collection's EERs are logged too.
    """

    def __init__(self, backbone, suite: dict, arrays: dict, reference_count: int, folder: Path):
        super().__init__()
        self.backbone, self.suite, self.arrays = backbone, suite, arrays
        self.reference_count, self.best_path = reference_count, folder / "best.weights.h5"
        self.state_path = folder / "best.json"
        self.history_path = folder / "suite.jsonl"
        self.best = (
            json.loads(self.state_path.read_text())["score"] if self.state_path.exists() else 1.0
        )

    def on_epoch_end(self, epoch, logs=None):
        results = {}
        for name, records in self.suite.items():
            summary = summarize(
                trial_scores(
                    records,
                    embed_arrays(self.backbone, self.arrays[name]),
                    self.reference_count,
                    seed=0,
                    random_per_writer=200,
                )
            )
            results[name] = {k: summary[k] for k in ("eer_skilled", "eer_random") if k in summary}
        skilled = [r["eer_skilled"] for r in results.values() if "eer_skilled" in r]
        random = [r["eer_random"] for r in results.values() if "eer_random" in r]
        score = float(np.mean(skilled or random or [1.0]))
        logs = logs if logs is not None else {}
        logs.update({"suite_eer_skilled": score, "suite_eer_random": float(np.mean(random or [1]))})
        cells = ", ".join(
            f"{name} "
            + "/".join(f"{100 * r.get(k, np.nan):.1f}" for k in ("eer_skilled", "eer_random"))
            for name, r in results.items()
        )
        print(f"\nepoch {epoch + 1}: suite mean skilled EER {score:.3f}; skilled/random %: {cells}")
        with self.history_path.open("a") as history:
            history.write(json.dumps({"epoch": epoch + 1, "score": score, **results}) + "\n")
        if score <= self.best:
            self.best = score
            save_best(
                self.backbone,
                self.best_path,
                self.state_path,
                {"score": score, "epoch": epoch + 1, "suite": results},
            )


def calibrate_on_calibration_writers(
    extractor: sv.SignatureExtractor,
    records: list[SignatureRecord],
    arrays: np.ndarray,
    config: dict,
) -> dict:
    """Calibrates `extractor` on each collection's calibration writers (`sv.calibrate_extractor`).

    `records` are the calibration writers of the config's collections and
    `arrays` their preprocessed images. Thresholds per number of references
    (`calibration.reference_counts`, default 1, 2, 3, 5, 10) are pooled so
    that each collection weighs equally; the preset's `threshold` is the one
    for `calibration.reference_count`. The writer split is recorded, so `evaluate
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
        reference_counts=config["calibration"].get("reference_counts", DEFAULT_REFERENCE_COUNTS),
        rule=config["calibration"]["rule"],
        primary_reference_count=config["calibration"]["reference_count"],
    )
    calibration.update(
        data="calibration writers of " + ", ".join(collections) + " (each weighs equally)",
        split=config["data"]["split"],
        split_seed=config["data"]["split_seed"],
        datasets=config["data"]["datasets"],
    )
    extractor.calibration = calibration  # Keras keeps a copy of an assigned dict
    print("calibration:\n" + calibration_table(calibration))
    return calibration


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], "recipes/configs/extractor_base.yaml")
    config = load_config(args)
    folder = run_dir(args)
    distribution = setup_distribution(args.distribution)
    distribution.check_batch_size(config["train"]["batch_size"])
    keras.utils.set_random_seed(config["train"]["seed"])
    # An input pack (scripts/pack_extractor_inputs.py) stands in for the data folder, e.g. on
    # an accelerator machine that has the code but not the data.
    pack = InputPack.load(args.pack) if args.pack else None
    parts = load_split(config, pack.records if pack else load_collection)
    if args.data:
        parts["train"] = [r for spec in args.data for r in load_verification_data(spec)]

    with distribution.scope():  # variables are created replicated
        if args.from_preset:
            base = sv.SignatureExtractor.from_preset(args.from_preset)
            backbone = base.backbone
        else:
            backbone = build_backbone(config["model"])
        target_size = tuple(backbone.image_shape[:2])

        train_records, train_inputs = training_set(parts["train"], config, target_size, pack)
        calib_arrays = preprocessed(parts["calibration"], target_size, pack=pack)
        suite = validation_suite(parts, config)
        suite_arrays = {
            name: preprocessed(records, target_size, pack=pack) for name, records in suite.items()
        }
        labels = class_labels(train_records)
        print(
            f"train: {len(train_records)} signatures ({len(train_inputs.images)} images), "
            f"{labels.max() + 1} classes; validation suite: "
            + ", ".join(f"{name} {len(records)}" for name, records in suite.items())
        )

        train_cfg = config["train"]
        trainer = build_trainer(backbone, int(labels.max()) + 1, train_cfg)

        checkpoint = ResumableCheckpoint(folder)
        initial_epoch = 0
        if args.resume and checkpoint.model_path.exists():
            initial_epoch = checkpoint.restore(trainer)

    reference_count = config["calibration"]["reference_count"]
    monitor = SuiteMonitor(backbone, suite, suite_arrays, reference_count, folder)
    dataset = training_dataset(
        train_records,
        train_inputs,
        labels,
        train_cfg["batch_size"],
        # One process per device (torch): each draws its own shuffled stream.
        train_cfg["seed"] + distribution.rank,
        train_cfg.get("workers", 1),
    )
    steps = min(train_cfg.get("steps_per_epoch") or len(dataset), len(dataset))
    with distribution.training(trainer):
        trainer.fit(
            dataset,
            epochs=train_cfg["epochs"],
            steps_per_epoch=steps,
            initial_epoch=initial_epoch,
            callbacks=[
                learning_schedule(train_cfg, steps * train_cfg["epochs"]),
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
    best = json.loads(monitor.state_path.read_text()) if monitor.state_path.exists() else {}
    if best:
        best["selected_on"] = "mean skilled-forgery EER over the validation suite: " + ", ".join(
            best.get("suite", {})
        )
    record = {
        "data": config["data"],
        "synthetic": config.get("synthetic"),
        "best": best,
        "recipe": f"python -m recipes.train_extractor --config {args.config}"
        + (" --pack PACK" if pack else ""),
        "input_pack": {"grey_levels": pack.levels} if pack else None,
        "loss": "CosFace (additive cosine margin) over (writer, genuine/forged) classes",
        "backend": keras.backend.backend(),
        "compute": compute_description(),
        "from_preset": args.from_preset,
    }
    Path(output, "training.json").write_text(json.dumps(record, indent=2))
    print(f"Saved preset to {output}")
    if pack:
        print("Trained from an input pack: evaluate the preset where the data is.")
        return
    report = write_preset_metrics(output, config)
    print(report["table"])


def write_preset_metrics(output: str, config: dict) -> dict:
    """Evaluates the saved preset on every collection and stores metrics.json and the card.

    Split collections are measured on their test writers; `train_only` ones
    (trained on whole) show the fit, the others were never trained on.
    """
    specs = [
        collection_spec(name)
        for name in config["data"]["datasets"]
        + config["data"].get("train_only", [])
        + config["data"].get("test_only", [])
        + config["data"].get("report_only", [])
    ]
    preset_name = Path(output).name
    handle = preset_name if Path(output).resolve().parent == BUNDLED_DIR else output
    report = evaluate(
        "verification",
        handle,
        specs,
        subset="test",
        reference_count=config["calibration"]["reference_count"],
    )
    report["command"] = report["command"].replace(str(data_root()), "$SIGNVER_DATA")
    Path(output, "metrics.json").write_text(json.dumps(report, indent=2))
    write_model_card(output, preset_name, "extractor")
    return report


if __name__ == "__main__":
    main()
