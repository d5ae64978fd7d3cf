"""Detector alternatives side by side: parameters, ms per page, and accuracy where trained.

    KERAS_BACKEND=tensorflow python benchmarks/detector_alternatives.py
    KERAS_BACKEND=tensorflow python benchmarks/detector_alternatives.py \\
        --candidate "fine-tuned, LR 5e-4=/path/to/candidate_preset"

Rows: the shipped `signver_detector_base`; the same architecture at other input
sizes and twice as wide (random weights: speed only); KerasHub's
`RetinaNetObjectDetector` on a ResNet-18-like backbone (the stock KerasHub
detector; random weights, network only, no decoding); any `--candidate` presets
(trained runs that were not shipped). Accuracy is the signature AP50 on the
held-out Tobacco-800 pages stored in each trained preset's metrics.json
(written by `signver-keras evaluate detection`; for a recipe's candidate_preset,
the run's evaluation/detection.json). Median of `--repeats` calls after a warm-up,
on the bundled sample page and on it enlarged to an A4 page at 300 dpi (the
budget: 100 ms per such page with TensorFlow on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import keras
import numpy as np
from model_speed import LARGE_PAGES, timed  # benchmarks/ is on sys.path when run as a script
from PIL import Image

import signver_keras as sv
from signver_keras import samples
from signver_keras.images import load_image

TOBACCO_TEST = "tobacco800_signatures_valid:test"


def signature_ap50(preset_dir: Path) -> str:
    """From the preset's metrics.json, or the recipe run's evaluation beside a candidate."""
    for path in (preset_dir / "metrics.json", preset_dir.parent / "evaluation" / "detection.json"):
        if path.exists():
            result = json.loads(path.read_text())["results"].get(TOBACCO_TEST, {})
            if "signature_ap50" in result:
                return f"{100 * result['signature_ap50']:.1f}"
    return "-"


def variant(shipped: sv.SignatureDetector, size: int, width: float = 1.0) -> sv.SignatureDetector:
    """The shipped architecture at another input size or width, random weights."""
    config = shipped.backbone.get_config()
    config["image_shape"] = [size, size, 1]
    for key in ("stem_filters", "fpn_filters"):
        config[key] = int(config[key] * width)
    config["stage_filters"] = [int(f * width) for f in config["stage_filters"]]
    backbone = sv.models.SignatureDetectorBackbone.from_config(config)
    preprocessor = sv.models.SignatureDetectorPreprocessor(letterbox_size=size)
    head_filters = int(shipped.head_filters * width)
    return sv.SignatureDetector(backbone, preprocessor, head_filters=head_filters)


def retinanet(size: int):
    """KerasHub RetinaNet on a ResNet-18-like backbone (its first stage needs 64 filters)."""
    import keras_hub

    backbone = keras_hub.models.ResNetBackbone(
        input_conv_filters=[64],
        input_conv_kernel_sizes=[7],
        stackwise_num_filters=[64, 128, 256, 512],
        stackwise_num_blocks=[2, 2, 2, 2],
        stackwise_num_strides=[1, 2, 2, 2],
        block_type="basic_block",
        image_shape=(size, size, 3),
    )
    return keras_hub.models.RetinaNetObjectDetector(
        backbone=keras_hub.models.RetinaNetBackbone(
            image_encoder=backbone, min_level=3, max_level=7, use_p5=False
        ),
        anchor_generator=keras_hub.layers.AnchorGenerator(
            bounding_box_format="yxyx",
            min_level=3,
            max_level=7,
            num_scales=3,
            aspect_ratios=[0.5, 1.0, 2.0],
            anchor_size=4,
        ),
        num_classes=4,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--candidate", action="append", default=[], help="LABEL=PRESET_DIR of a trained run"
    )
    args = parser.parse_args()
    page = load_image(samples.DOCUMENT)
    a4_300dpi = np.asarray(Image.fromarray(page).resize(LARGE_PAGES[0], Image.BICUBIC))
    shipped_dir = Path(sv.presets.resolve("signver_detector_base", "detector"))
    shipped = sv.SignatureDetector.from_preset("signver_detector_base")

    rows = []

    def add(name: str, size: int, model, call, ap50: str = "-", note: str = "") -> None:
        """`call(image)` timed on the sample page and on the 300-dpi page."""
        times = [
            f"{1000 * timed(lambda image=image: call(image), args.repeats):.0f}"
            for image in (page, a4_300dpi)
        ]
        rows.append((name, f"{size}", f"{model.count_params():,}", *times, ap50, note))

    add(
        "signver_detector_base (shipped)",
        512,
        shipped,
        shipped.detect,
        signature_ap50(shipped_dir),
        "CenterNet-style, stride 4",
    )
    for label, directory in (c.split("=", 1) for c in args.candidate):
        model = sv.SignatureDetector.from_preset(directory)
        size = model.backbone.get_config()["image_shape"][0]
        add(label, size, model, model.detect, signature_ap50(Path(directory)))
    for size in (384, 640):
        model = variant(shipped, size)
        add(f"same, {size} px input", size, model, model.detect, note="untrained")
    wide = variant(shipped, 512, width=2.0)
    add("same, 2x wider", 512, wide, wide.detect, note="untrained")
    stock = retinanet(512)
    # A plain Model over the same layers: its predict step runs the network, not the decoder.
    network = keras.Model(stock.inputs, stock.outputs)
    batch = np.zeros((1, 512, 512, 3), np.float32)
    add(
        "KerasHub RetinaNet, ResNet-18-like",
        512,
        stock,
        lambda _: network.predict_on_batch(batch),
        note="untrained; network only (same for any page), no box decoding",
    )

    backend = os.environ.get("KERAS_BACKEND", "jax")
    print(f"backend {backend}, {os.cpu_count()} CPU cores, median of {args.repeats}, one page")
    header = (
        "model",
        "input px",
        "parameters",
        f"ms/page {page.shape[1]}x{page.shape[0]}",
        "ms/page 300-dpi A4",
        "signature AP50 %",
        "note",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
