"""Train (or fine-tune) the signature / initials / redaction / date detector and save a preset.

    KERAS_BACKEND=tensorflow python -m recipes.train_detector \\
        --config recipes/configs/detector_base.yaml --run-dir /work/runs/detector_base
    python -m recipes.train_detector --config ... --resume          # after a kill
    python -m recipes.train_detector --config deeper.yaml --from-preset signver_detector_base --grow
    python -m recipes.train_detector --from-preset signver_detector_base \\
        --data yolo:my_pages/train --output my_detector

Data (`signver_keras.data.training.detector_pages`): synthetic pages for all
four classes (cached letterboxed outside the repo; real signature crops of the
*training* writers of sigcomp2011_dutch may be pasted in): ordinary scanned
business pages, phone photos (`photo_simulation`), cheques and forms filled in
by hand (unlabelled handwriting as hard negatives) and 300-dpi A4 scans signed
in pencil, faint, thin or grey ink. Real pages: every page of
`data.real_train` (tobacco800_signatures_train) plus
tobacco800_signatures_valid minus a fixed 20 % hold-out chosen by file-name
hash, which is never trained on and is what the reported numbers use, and
minus another 10 % (a second hash) on which the epoch and the default score
threshold (the lowest reaching `threshold.precision` on signatures) are
chosen; with `--from-preset` the starting weights compete as epoch 0, so a
fine-tune none of whose epochs validates better hands the preset's weights
back. Real pages are labelled for signatures only but show unlabelled dates
and initials: their heatmap loss for the other classes is masked out (a
per-page class mask in the targets).
The TensorFlow backend is about 3x faster than JAX on CPU here.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import signver_keras as sv  # noqa: E402
from recipes.common import (  # noqa: E402
    CosineByProgress,
    ResumableCheckpoint,
    fit_verbosity,
    load_config,
    parse_args,
    run_callbacks,
    run_dir,
    save_best,
)
from signver_keras.data.collections.detection_data import (  # noqa: E402
    SYNTHETIC_EVAL_SEED,
    SYNTHETIC_LAYOUTS,
    load_detection_data,
    split_pages,
)
from signver_keras.data.paths import CACHE_DIR, data_root  # noqa: E402
from signver_keras.data.synthetic.synthetic_documents import CLASS_NAMES  # noqa: E402
from signver_keras.data.training.detector_pages import (  # noqa: E402
    SYNTHETIC_KINDS,
    DetectorBatches,
    PageSet,
    real_pages,
    signature_pool,
    synthetic_pages,
)
from signver_keras.evaluation.detection import (  # noqa: E402
    detection_metrics,
    threshold_for_precision,
)
from signver_keras.models.detector.signature_detector_decoder import (  # noqa: E402
    decode_predictions,
)
from signver_keras.models.detector.signature_detector_preprocessor import (  # noqa: E402
    SignatureDetectorPreprocessor,
)
from signver_keras.models.layers import grow_from  # noqa: E402
from signver_keras.presets import BUNDLED_DIR  # noqa: E402
from signver_keras.utils.atomic import atomic_folder, atomic_write_text  # noqa: E402

#: In-training validation pages; the final `synthetic:N` report uses SYNTHETIC_EVAL_SEED + i.
VALIDATION_SEED = SYNTHETIC_EVAL_SEED + 500_000


def _kind_seed_offset(kind: str) -> int:
    """First seed of a kind's block: 100,000 seeds per kind, in `SYNTHETIC_KINDS` order."""
    if kind not in SYNTHETIC_KINDS:
        raise ValueError(
            f"data.synthetic_kinds: kinds should be among {SYNTHETIC_KINDS}; received {kind!r}."
        )
    return 100_000 * SYNTHETIC_KINDS.index(kind)


# --- validation ---------------------------------------------------------------------------------


def _predict(detector, pages: PageSet, batch_size: int = 8) -> tuple[list[dict], list[dict]]:
    """(detections, labelled truths) of the raw network on cached pages, in network pixels."""
    predictions = []
    for start in range(0, len(pages), batch_size):
        batch = np.asarray(pages.images[start : start + batch_size], np.float32)[..., None] / 255
        for output in np.asarray(detector.predict_on_batch(batch)):
            boxes, scores, labels = decode_predictions(
                output,
                len(detector.class_names),
                detector.output_stride,
                score_threshold=0.001,
                max_detections=detector.max_detections,
                iou_threshold=detector.iou_threshold,
            )
            predictions.append({"boxes": boxes, "scores": scores, "labels": labels})
    truths = [
        {"boxes": b[m[lab] > 0], "labels": lab[m[lab] > 0]}
        for b, lab, m in zip(pages.boxes, pages.labels, pages.masks, strict=True)
    ]
    return predictions, truths


def validate(detector, pages: PageSet, batch_size: int = 8) -> dict:
    """mAP of the raw network on cached letterboxed pages, in network pixels."""
    predictions, truths = _predict(detector, pages, batch_size)
    # Only classes a set is labelled for are scored (real pages: signatures).
    labelled = pages.masks.max(axis=0) > 0
    names = [n if labelled[i] else f"_{n}" for i, n in enumerate(detector.class_names)]
    summary, _ = detection_metrics(predictions, truths, names, detector.score_threshold)
    return {k: v for k, v in summary["per_class"].items() if not k.startswith("_")} | {
        "map50": summary["map50"],
        "map50_95": summary["map50_95"],
    }


class DetectionMonitor(keras.callbacks.Callback):
    """Measures validation mAP every few epochs and keeps the best weights."""

    def __init__(
        self, validation: dict[str, PageSet], every: int, folder: Path, score_start: bool = False
    ):
        super().__init__()
        self.validation, self.every, self.score_start = validation, every, score_start
        self.best_path, self.state_path = folder / "best.weights.h5", folder / "best.json"
        self.best = (
            json.loads(self.state_path.read_text())["score"] if self.state_path.exists() else -1.0
        )

    def on_train_begin(self, logs=None):
        # Fine-tuning: the starting weights compete as epoch 0, so a run that never beats
        # them on validation hands them back rather than its least bad epoch. (With no
        # validation pages every score is 0 and the first epoch must win, as from scratch.)
        if self.score_start and self.best < 0 and self.validation:
            self.measure({}, 0)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        if (epoch + 1) % self.every:
            # The CSV log takes its columns from the first epoch: always fill them.
            for name in self.validation:
                for key in ("map50", "map50_95", "signature_ap50"):
                    logs[f"val_{name}_{key}"] = float("nan")
            logs["val_score"] = float("nan")
            return
        self.measure(logs, epoch + 1)

    def measure(self, logs: dict, epoch: int) -> None:
        """Validates the current weights (after `epoch` epochs) and keeps them if best."""
        start = time.monotonic()
        scores, parts = {}, []
        for name, pages in self.validation.items():
            result = validate(self.model, pages)
            scores[name] = result
            logs[f"val_{name}_map50"] = result["map50"]
            logs[f"val_{name}_map50_95"] = result["map50_95"]
            parts.append(f"{name} mAP50 {result['map50']:.3f} mAP50-95 {result['map50_95']:.3f}")
            if "signature" in result:
                logs[f"val_{name}_signature_ap50"] = result["signature"]["ap50"]
                parts.append(f"signature AP50 {result['signature']['ap50']:.3f}")
        # Selection weighs sets like the publish rule (real pages score signatures only).
        score = real_and_generated_mean(
            {name: result["map50"] for name, result in scores.items()}, real={"real"}
        )
        logs["val_score"] = score
        print(f"\nepoch {epoch}: " + "; ".join(parts) + f" ({time.monotonic() - start:.0f} s)")
        sys.stdout.flush()
        if score > self.best:
            self.best = score
            save_best(self.model, self.best_path, self.state_path, {"score": score, "epoch": epoch})


class WarmupCosineByProgress(CosineByProgress):
    """`CosineByProgress` (steps or wall time, whichever is further) after a linear warmup.

    On a CPU shared with other jobs the steps that fit in `max_minutes` are
    unknown in advance; a step-only schedule would stop at a high rate.
    """

    def __init__(self, initial, total_steps, max_minutes, warmup_steps=0, alpha=0.05):
        super().__init__(initial, total_steps, max_minutes, alpha)
        self.warmup_steps = warmup_steps

    def rate(self, step: int) -> float:
        return super().rate(step) * min(1.0, (step + 1) / max(self.warmup_steps, 1))


class StepProgress(keras.callbacks.Callback):
    """Prints the loss and seconds per step every `every` steps (logs are not a terminal)."""

    def __init__(self, every: int):
        super().__init__()
        self.every = every

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.start = epoch, time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.every == 0:
            seconds = (time.monotonic() - self.start) / (batch + 1)
            loss = float((logs or {}).get("loss", float("nan")))
            print(f"epoch {self.epoch + 1} step {batch + 1}: loss {loss:.4f}, {seconds:.2f} s/step")
            sys.stdout.flush()


# --- main ---------------------------------------------------------------------------------------


def build_detector(config: dict, args) -> sv.SignatureDetector:
    """The network to train: the config's, or the `--from-preset` one.

    Fine-tuning keeps the preset's network but reads pages the way the config
    says. With `--grow` the config's network (more residual blocks than the
    preset) starts from the preset: the new blocks start as identities.
    """
    if args.grow and not args.from_preset:
        raise ValueError("--grow starts the config's network from a preset; add --from-preset.")
    model = dict(config["model"])
    inputs = {key: model.pop(key) for key in ("downscale", "normalize") if key in model}
    if args.from_preset and not args.grow:
        detector = sv.SignatureDetector.from_preset(args.from_preset)
        options = {**detector.preprocessor.get_config(), **inputs}
        detector.preprocessor = SignatureDetectorPreprocessor.from_config(options)
        return detector
    size = model.pop("image_size")
    head_filters = model.pop("head_filters")
    backbone = sv.models.SignatureDetectorBackbone(image_shape=(size, size, 1), **model)
    detector = sv.SignatureDetector(
        backbone,
        SignatureDetectorPreprocessor(size, **inputs),
        class_names=CLASS_NAMES,
        head_filters=head_filters,
    )
    if args.grow:
        new = grow_from(detector, sv.SignatureDetector.from_preset(args.from_preset))
        print(f"Grown from {args.from_preset}; new identity-initialised layers: {new}")
    return detector


def load_real(config: dict, args, class_names) -> tuple[list, list, list, list[float]]:
    """(train, validation, held-out pages, class mask) of the real data (config or `--data`).

    `data.real` is split by file-name hash into held-out pages (only reported
    on), validation pages (a second hash; epoch and threshold choice) and
    training pages; every page of the `data.real_train` folders is trained on.
    """
    data_cfg = config["data"]
    if args.data:
        pages = [p for spec in args.data for p in load_detection_data(spec, class_names)]
        present = sorted({int(lab) for p in pages for lab in p.labels})
        mask = [1.0 if i in present else 0.0 for i in range(len(class_names))]
        extra = []
    else:
        folder = data_cfg.get("real")
        if not folder or not (data_root() / folder).is_dir():
            return [], [], [], [1.0] * len(class_names)
        pages = load_detection_data(f"yolo:{data_root() / folder}", class_names)
        mask = [1.0 if n in data_cfg["real_classes"] else 0.0 for n in class_names]
        extra = [
            page
            for name in data_cfg.get("real_train") or []
            for page in load_detection_data(f"yolo:{data_root() / name}", class_names)
        ]
    train, holdout = split_pages(pages, data_cfg["holdout_fraction"], data_cfg["holdout_seed"])
    share = data_cfg.get("validation_fraction", 0.0) / (1.0 - data_cfg["holdout_fraction"])
    train, validation = split_pages(train, share, data_cfg["holdout_seed"] + 1)
    return train + extra, validation, holdout, mask


def synthetic_sources(config: dict, preprocessor, pool: list[np.ndarray]) -> dict[str, PageSet]:
    """Training pages of every kind in `data.synthetic_kinds` ({kind: page count})."""
    data_cfg = config["data"]
    first = data_cfg["synthetic_seed"] * 1_000_000
    sources = {}
    for kind, count in data_cfg["synthetic_kinds"].items():
        start = first + _kind_seed_offset(kind)
        if count > 100_000 or start + count > SYNTHETIC_EVAL_SEED:
            raise ValueError(
                f"synthetic_kinds.{kind}: at most 100,000 pages below SYNTHETIC_EVAL_SEED; "
                f"received {count} pages from seed {start}."
            )
        sources[kind] = synthetic_pages(
            list(range(start, start + count)), preprocessor, tuple(data_cfg["page_size"]), pool,
            data_cfg["pool_fraction"], data_cfg["workers"], CACHE_DIR, kind, kind,
        )  # fmt: skip
    return sources


def choose_threshold(detector, pages: PageSet, precision: float) -> dict | None:
    """The lowest signature score threshold reaching `precision` on `pages` (IoU 0.5)."""
    predictions, truths = _predict(detector, pages)
    names = list(detector.class_names)
    _, matches = detection_metrics(predictions, truths, names, detector.score_threshold)
    return threshold_for_precision(matches["signature"], precision)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], "recipes/configs/detector_base.yaml")
    config = load_config(args)
    folder = run_dir(args)
    train_cfg, data_cfg = config["train"], config["data"]
    keras.utils.set_random_seed(train_cfg["seed"])
    detector = build_detector(config, args)
    size = detector.image_size

    real_train, real_validation, real_holdout, mask = load_real(config, args, detector.class_names)
    print(
        f"real pages: {len(real_train)} train, {len(real_validation)} validation, "
        f"{len(real_holdout)} held out; class mask {mask}"
    )
    # Real pages first: a bad path fails before minutes of page generation.
    preprocessor = detector.preprocessor
    real = real_pages(real_train, preprocessor, mask, CACHE_DIR, "real_train")
    validation_real = (
        real_pages(real_validation, preprocessor, mask, CACHE_DIR, "real_validation")
        if real_validation
        else None
    )
    pool_name = data_cfg.get("signature_pool")
    pool = (
        signature_pool(pool_name, data_cfg["pool_split"], data_cfg["pool_split_seed"])
        if pool_name
        else []
    )
    print(f"signature pool: {len(pool)} real crops of training writers")
    sources = synthetic_sources(config, preprocessor, pool)
    validation = {}
    for kind in data_cfg.get("validation_kinds", ["synthetic"]):
        start = VALIDATION_SEED + _kind_seed_offset(kind)
        validation[kind] = synthetic_pages(
            list(range(start, start + data_cfg["validation_pages"])), preprocessor,
            tuple(data_cfg["page_size"]), [], 0.0, data_cfg["workers"], CACHE_DIR, f"{kind}_val",
            kind,
        )  # fmt: skip
    if validation_real is not None:
        validation = {"real": validation_real, **validation}
    steps = train_cfg["steps_per_epoch"]
    detector.compile(
        optimizer=keras.optimizers.AdamW(
            train_cfg["learning_rate"], weight_decay=train_cfg["weight_decay"]
        )
    )
    checkpoint = ResumableCheckpoint(folder, train_cfg.get("checkpoint_minutes", 0.0))
    initial_epoch = 0
    if args.resume and checkpoint.model_path.exists():
        initial_epoch = checkpoint.restore(detector)

    # Each synthetic kind gets its share of the synthetic part of a batch by page count.
    total = sum(len(pages) for pages in sources.values())
    shares = [(1.0 - data_cfg["real_fraction"]) * len(p) / total for p in sources.values()]
    batches = DetectorBatches(
        [*sources.values(), real],
        [*shares, data_cfg["real_fraction"]],
        detector.label_encoder(),
        train_cfg["batch_size"],
        config["augment"],
        train_cfg["seed"],
    )
    monitor = DetectionMonitor(
        validation,
        train_cfg["validate_every"],
        folder,
        score_start=bool(args.from_preset) and initial_epoch == 0,
    )
    detector.fit(
        batches.dataset(initial_epoch * steps, train_cfg["epochs"] * steps, size),
        steps_per_epoch=steps,
        epochs=train_cfg["epochs"],
        initial_epoch=initial_epoch,
        callbacks=[
            WarmupCosineByProgress(
                train_cfg["learning_rate"],
                steps * train_cfg["epochs"],
                train_cfg["max_minutes"],
                warmup_steps=train_cfg["warmup_steps"],
            ),
            StepProgress(train_cfg.get("progress_every", 50)),
            monitor,
            *run_callbacks(folder, checkpoint, train_cfg["max_minutes"]),
        ],
        verbose=fit_verbosity(),
    )
    if monitor.best_path.exists():
        detector.load_weights(monitor.best_path)
        print(f"Best weights: {json.loads(monitor.state_path.read_text())}")
    threshold = set_threshold(detector, validation, config["threshold"]["precision"])

    output = config["output"]["preset"]
    if not output:
        return
    datasets = []
    if real_holdout and not args.data:
        datasets = [data_cfg["real"].split("/")[0]]
        datasets += [name.split("/")[0] for name in data_cfg.get("real_train") or []]
    datasets += [data_cfg["signature_pool"]] if pool else []
    selected_on = [f"{data_cfg['validation_pages']} {kind} validation pages" for kind in validation]
    if validation_real is not None:
        selected_on[0] = f"{len(real_validation)} real validation pages (not the held-out ones)"
    training = {
        "data": {
            "datasets": datasets,
            "synthetic": {kind: len(pages) for kind, pages in sources.items()},
            "holdout": (
                f"{data_cfg['holdout_fraction']:.0%} of the {data_cfg['real']} pages by file-name "
                f"hash (seed {data_cfg['holdout_seed']}), never trained on"
            ),
        },
        "best": {
            **(json.loads(monitor.state_path.read_text()) if monitor.state_path.exists() else {}),
            "selected_on": " and ".join(selected_on) + " (mean mAP50)",
        },
        "threshold": threshold,
        "recipe": f"python -m recipes.train_detector --config {args.config}",
        "loss": "CenterNet focal heatmap + L1 size/offset; other classes masked on real pages",
        "input": (
            f"{size}x{size} letterboxed grayscale page (downscale {preprocessor.downscale}, "
            f"normalize {preprocessor.normalize})"
        ),
        "backend": keras.backend.backend(),
        "from_preset": args.from_preset,
        "grown": args.grow,
    }
    publish(detector, folder, output, config, bool(real_holdout) and not args.data, training)


def set_threshold(detector, validation: dict[str, PageSet], precision: float) -> dict:
    """Sets the detector's default score threshold for `precision` on the first validation set.

    The first set is the real validation pages when there are any. Where the
    target cannot be reached, the threshold stays as it was and the record says so.
    """
    name, pages = next(iter(validation.items()))
    chosen = choose_threshold(detector, pages, precision)
    record = {"target_precision": precision, "chosen_on": f"{len(pages)} {name} validation pages"}
    if chosen is None:
        print(f"Signature precision {precision} is not reached on {name}: threshold unchanged.")
        return {**record, "value": detector.score_threshold, "reached": False}
    detector.score_threshold = chosen["threshold"]
    print(
        f"Score threshold {chosen['threshold']:.3f}: signature precision "
        f"{chosen['precision']:.3f}, recall {chosen['recall']:.3f} on {name} validation pages"
    )
    return {**record, "value": chosen["threshold"], "reached": True, **chosen}


def publish(
    detector, folder: Path, output: str, config: dict, with_real: bool, training: dict
) -> None:
    """Saves a candidate preset, evaluates it, and replaces `output` only if it is better.

    Better: a higher `replacement_score` over the sets both were evaluated on.
    """
    # Imported here so a long run picks up the card renderer as it is when training ends.
    from signver_keras.evaluation.runner import evaluate
    from signver_keras.model_card import write_model_card

    candidate = folder / "candidate_preset"
    shutil.rmtree(candidate, ignore_errors=True)
    # An uncompiled copy: optimizer variables in a preset only produce warnings on load.
    fresh = detector.__class__.from_config(detector.get_config())
    fresh.set_weights(detector.get_weights())
    fresh.save_to_preset(str(candidate))
    # With the weights, so a candidate that is not published keeps the record of its training.
    atomic_write_text(candidate / "training.json", json.dumps(training, indent=2))
    counts = config["evaluation"].get("pages_per_set") or {}
    specs = [
        f"{layout}:{counts.get(layout, config['evaluation']['synthetic_pages'])}"
        for layout in SYNTHETIC_LAYOUTS
    ]
    if with_real:
        specs.insert(0, f"yolo:{data_root() / config['data']['real']}")
    report = evaluate("detection", str(candidate), specs, out_dir=str(folder / "evaluation"),
                      subset="test" if with_real else None)  # fmt: skip
    print(report["table"])

    results = report["results"]
    previous = Path(output) / "metrics.json"
    stored = json.loads(previous.read_text()).get("results", {}) if previous.exists() else None
    sets = signature_sets(results) if stored is None else signature_sets(results, stored)
    new_score = replacement_score(results, sets)
    if stored is not None:
        old_score = replacement_score(stored, sets)
        if sets and new_score <= old_score:
            print(
                f"Not replacing {output}: signature AP50 score over {', '.join(sets)} "
                f"{new_score:.4f} <= stored {old_score:.4f}. The candidate stays in {candidate}."
            )
            return
        print(f"Replacing {output}: signature AP50 score {old_score:.4f} -> {new_score:.4f}")
    preset_name = Path(output).name
    handle = preset_name if Path(output).resolve().parent == BUNDLED_DIR else output
    report["command"] = (
        report["command"].replace(str(candidate), handle).replace(str(data_root()), "$SIGNVER_DATA")
    )
    report.pop("plots", None)
    report["training_command"] = (
        "KERAS_BACKEND=tensorflow python -m recipes.train_detector " + " ".join(sys.argv[1:])
    )

    def fill(folder: Path) -> None:
        shutil.copytree(candidate, folder, dirs_exist_ok=True)
        (folder / "metrics.json").write_text(json.dumps(report, indent=2))
        write_model_card(folder, preset_name, "detector")

    # The previous preset stays whole until the new one is complete.
    atomic_folder(output, fill)
    size_mb = sum(p.stat().st_size for p in Path(output).rglob("*") if p.is_file()) / 2**20
    print(f"Saved preset to {output} ({size_mb:.1f} MB); signature AP50 score {new_score:.4f}")


def signature_sets(*reports: dict[str, dict]) -> list[str]:
    """The evaluated sets that have a signature AP50 in every one of `reports`' results."""
    names = set.intersection(*(set(results) for results in reports))
    return sorted(
        name for name in names if all(r[name].get("signature_ap50") is not None for r in reports)
    )


def replacement_score(results: dict[str, dict], sets: list[str]) -> float:
    """Signature AP50 over `sets` of an evaluation report, real and generated pages half each."""
    real = {name for name in sets if name.partition(":")[0] not in SYNTHETIC_LAYOUTS}
    return real_and_generated_mean({name: results[name]["signature_ap50"] for name in sets}, real)


def real_and_generated_mean(values: dict[str, float], real: set[str]) -> float:
    """The mean over the `real` page sets and the mean over the others, averaged.

    Each generated kind (photos, cheques, 300-dpi sheets, ...) weighs the same within its
    half: no one kind of page decides, and gains on the project's own page generators cannot
    pay for a loss on real scans. A group with no set (or only NaN) is left out.
    """
    groups = [
        [value for name, value in values.items() if (name in real) == is_real]
        for is_real in (True, False)
    ]
    means = [float(np.nanmean(group)) for group in groups if not np.all(np.isnan(group))]
    return float(np.mean(means)) if means else 0.0


if __name__ == "__main__":
    main()
