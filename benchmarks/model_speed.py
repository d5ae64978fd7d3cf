"""Speed of each model family on this machine: crops/s, ms per page, ms per crop.

    python benchmarks/model_speed.py                       # bundled presets, current backend
    KERAS_BACKEND=tensorflow python benchmarks/model_speed.py
    python benchmarks/model_speed.py --random              # default configs, random weights
    python benchmarks/model_speed.py --extractor PRESET    # a candidate extractor

Times the public verbs (`embed`, `detect`, `clean`: preprocessing included) and the
network alone on already preprocessed batches, after one warm-up call; then the same
verbs of each model's NumPy stage (`signver_keras.runtime`, what one-off CLI commands
run), which uses no backend. Inputs are
the bundled synthetic samples, so the numbers do not depend on any dataset.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

import signver_keras as sv
from signver_keras import samples
from signver_keras.images import load_image
from signver_keras.models.detector.detector_inference import DOWNSCALE_METHODS
from signver_keras.models.detector.signature_detector_preprocessor import (
    SignatureDetectorPreprocessor,
)
from signver_keras.runtime.numpy_tasks import load_numpy_stage, save_numpy_stage

#: (width, height): an A4 page scanned at 300 dpi and a 12-megapixel phone photo.
LARGE_PAGES = ((2480, 3507), (3024, 4032))


def timed(function: Callable[[], object], repeats: int) -> float:
    """Median wall time of `repeats` calls after one warm-up call, in seconds."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def model(task_cls, preset: str, random: bool):
    """The preset (bundled or a folder) unless `random` or not shipped: else the default config."""
    if random or not (preset in sv.presets.available() or Path(preset).is_dir()):
        return task_cls(backbone=task_cls.backbone_cls(), preprocessor=task_cls.preprocessor_cls())
    return task_cls.from_preset(preset)


def per_item_row(family: str, verb: str, what: str, image, call, repeats: int) -> tuple:
    """A table row timing `call(image)` in ms for one page or crop."""
    seconds = timed(lambda: call(image), repeats)
    size = f"{image.shape[1]}x{image.shape[0]}"
    return (family, f"{verb}, one {size} {what}", f"{seconds * 1000:.0f} ms/{what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--crops", type=int, default=256, help="crops per embed call")
    parser.add_argument("--random", action="store_true", help="default configs, random weights")
    parser.add_argument(
        "--extractor", default="signver_extractor_base", help="extractor preset to time"
    )
    args = parser.parse_args()
    backend = os.environ.get("KERAS_BACKEND", "jax")
    rows = []

    extractor = model(sv.SignatureExtractor, args.extractor, args.random)
    crops = [load_image(p) for p in samples.REFERENCES] * (args.crops // 3 + 1)
    crops = crops[: args.crops]
    seconds = timed(lambda: extractor.embed(crops, batch_size=128), args.repeats)
    rows.append(
        ("extractor", "embed (preprocessing + network)", f"{len(crops) / seconds:.0f} crops/s")
    )
    batch = extractor.preprocessor(crops[:128])
    seconds = timed(lambda: extractor._forward(batch), args.repeats)
    rows.append(("extractor", "network only, batch 128", f"{128 / seconds:.0f} crops/s"))

    detector = model(sv.SignatureDetector, "signver_detector_base", args.random)
    page = load_image(samples.DOCUMENT)
    rows.append(per_item_row("detector", "detect", "page", page, detector.detect, args.repeats))
    # An A4 page scanned at 300 dpi and a 12-megapixel photo, with each way of shrinking pages.
    large = [np.asarray(Image.fromarray(page).resize(size, Image.BICUBIC)) for size in LARGE_PAGES]
    shipped = detector.preprocessor
    for downscale in DOWNSCALE_METHODS:
        detector.preprocessor = SignatureDetectorPreprocessor(
            detector.image_size, downscale=downscale, normalize=shipped.normalize
        )
        preset = ", preset" if downscale == shipped.downscale else ""
        verb = f"detect (downscale={downscale}{preset})"
        for image in large:
            row = per_item_row("detector", verb, "page", image, detector.detect, args.repeats)
            rows.append(row)
    detector.preprocessor = shipped
    # The same 300-dpi page with scanner noise: the preset's downscaling smooths it first.
    noise = np.random.default_rng(0).normal(0, 6, large[0].shape)
    noisy = (large[0] + noise).clip(0, 255).astype(np.uint8)
    verb = f"detect (downscale={shipped.downscale}, preset), with pixel noise 6"
    rows.append(per_item_row("detector", verb, "page", noisy, detector.detect, args.repeats))
    cleaner = model(sv.SignatureCleaner, "signver_cleaner_base", args.random)
    crop = load_image(samples.QUERY_GENUINE)
    rows.append(per_item_row("cleaner", "clean", "crop", crop, cleaner.clean, args.repeats))

    with tempfile.TemporaryDirectory() as tmp:
        stages = {}
        for family, task in (
            ("extractor", extractor),
            ("detector", detector),
            ("cleaner", cleaner),
        ):
            save_numpy_stage(task, family, Path(tmp) / family)
            stages[family] = load_numpy_stage(Path(tmp) / family, family)
    seconds = timed(lambda: stages["extractor"].embed(crops, batch_size=128), args.repeats)
    rows.append(("extractor", "embed (NumPy stage)", f"{len(crops) / seconds:.0f} crops/s"))
    for image in (page, large[0]):
        call = stages["detector"].detect
        rows.append(
            per_item_row("detector", "detect (NumPy stage)", "page", image, call, args.repeats)
        )
    call = stages["cleaner"].clean
    rows.append(per_item_row("cleaner", "clean (NumPy stage)", "crop", crop, call, args.repeats))

    weights = "random weights" if args.random else "bundled presets where shipped"
    print(f"backend {backend}, {os.cpu_count()} CPU cores, {weights}, median of {args.repeats}")
    width = max(len(r[1]) for r in rows)
    print(f"{'family':10s}  {'measure':{width}s}  speed")
    for family, measure, speed in rows:
        print(f"{family:10s}  {measure:{width}s}  {speed}")


if __name__ == "__main__":
    main()
