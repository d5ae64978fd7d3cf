"""`signver-keras evaluate detection`: mAP, P/R at the preset's threshold, latency, plots."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from signver_keras.data.collections.detection_data import (
    HOLDOUT_FRACTION,
    HOLDOUT_SEED,
    SYNTHETIC_LAYOUTS,
    DetectionPage,
    load_detection_data,
    rescale_pages,
    split_page_scale,
    split_pages,
)
from signver_keras.evaluation.detection import detection_metrics, precision_recall_curve

#: Detections below this score are dropped before AP (COCO keeps the top 100 per page).
AP_SCORE_FLOOR = 0.001
OVERLAY_PAGES = 4


def _finite(value: Any) -> Any:
    """NaN -> None, recursively, so reports are strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def detect_pages(
    detector, pages: Sequence[DetectionPage], name: str = "pages"
) -> tuple[list[dict], float]:
    """Detections (down to `AP_SCORE_FLOOR`) of every page, and mean ms per page of `detect`."""
    predictions, seconds = [], 0.0
    for page in tqdm(pages, desc=f"detecting ({name})", unit="page", leave=False):
        start = time.perf_counter()
        [result] = detector.detect(page.image, score_threshold=AP_SCORE_FLOOR, batch_size=1)
        seconds += time.perf_counter() - start
        predictions.append(result)
    return predictions, 1000 * seconds / max(len(pages), 1)


def plot_precision_recall(matches, name: str, class_name: str, path: Path) -> Path:
    """One PNG: precision-recall curve of a class at IoU 0.5."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = precision_recall_curve(matches)
    figure, axis = plt.subplots(figsize=(4.6, 4.0))
    axis.plot(curve["recall"], curve["precision"], drawstyle="steps-post")
    axis.set(
        xlim=(0, 1.01),
        ylim=(0, 1.01),
        xlabel="recall",
        ylabel="precision",
        title=f"{class_name} on {name} (IoU 0.5, {matches.num_ground_truth} boxes)",
    )
    axis.title.set_fontsize(9)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def evaluate_detection(
    detector,
    datasets: dict[str, list[DetectionPage]],
    out_dir: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Runs `detector.detect` on each dataset's pages and measures it against their boxes."""
    class_names = list(detector.class_names)
    results, plots = {}, {}
    out = Path(out_dir) if out_dir is not None else None
    for name, pages in datasets.items():
        predictions, ms_per_page = detect_pages(detector, pages, name)
        truths = [{"boxes": p.boxes, "labels": p.labels} for p in pages]
        summary, matches = detection_metrics(
            predictions, truths, class_names, detector.score_threshold
        )
        result = {
            "pages": len(pages),
            "map50": summary["map50"],
            "map50_95": summary["map50_95"],
            "ms_per_page": round(ms_per_page, 1),
        }
        for class_name, values in summary["per_class"].items():
            if values["ground_truth"]:
                result.update(
                    {
                        f"{class_name}_ap50": values["ap50"],
                        f"{class_name}_ap50_95": values["ap50_95"],
                        f"{class_name}_precision": values["precision"],
                        f"{class_name}_recall": values["recall"],
                    }
                )
        result["per_class"] = summary["per_class"]
        results[name] = result
        if out is not None:
            safe = name.replace(":", "_").replace("/", "_")
            try:
                for class_name, match in matches.items():
                    if match.num_ground_truth:
                        plots[f"{name}:{class_name}"] = str(
                            plot_precision_recall(
                                match, name, class_name, out / f"{safe}_pr_{class_name}.png"
                            )
                        )
            except ImportError:
                plots["note"] = "install matplotlib (pip install signver-keras[plots]) for plots"
            from signver_keras.visualize import draw_detections

            for index, (page, prediction) in enumerate(
                zip(pages[:OVERLAY_PAGES], predictions, strict=False)
            ):
                keep = prediction["scores"] >= detector.score_threshold
                shown = {
                    "boxes": prediction["boxes"][keep],
                    "scores": prediction["scores"][keep],
                    "names": [n for n, k in zip(prediction["names"], keep, strict=True) if k],
                }
                path = out / f"{safe}_overlay_{index}.png"
                draw_detections(page.image, shown, path)
                plots[f"{name}:overlay{index}"] = str(path)
    report: dict[str, Any] = _finite(
        {
            "task": "detection",
            "threshold": detector.score_threshold,
            "iou_thresholds": "0.50:0.05:0.95, 101-point interpolated AP (COCO)",
            "results": results,
        }
    )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        report["plots"] = plots
        (out / "detection.json").write_text(json.dumps(report, indent=2))
    report["table"] = detection_table(report)
    return report


def _percent(value: Any) -> str:
    return f"{100 * value:.1f}" if isinstance(value, (int, float)) else "-"


def detection_table(report: dict[str, Any]) -> str:
    """Markdown table of a detection report: one row per dataset and class, plus the mean."""
    header = (
        "| data | class | boxes | AP50 % | AP50-95 % | precision % @thr | recall % @thr | "
        "ms/page |\n|---|---|---|---|---|---|---|---|"
    )
    rows = []
    for name, r in report["results"].items():
        rows.append(
            f"| {name} ({r['pages']} pages) | **mean** | "
            f"{sum(v['ground_truth'] for v in r['per_class'].values())} | "
            f"{_percent(r['map50'])} | {_percent(r['map50_95'])} | - | - | {r['ms_per_page']} |"
        )
        for class_name, v in r["per_class"].items():
            if v["ground_truth"]:
                rows.append(
                    f"| {name} | {class_name} | {v['ground_truth']} | {_percent(v['ap50'])} | "
                    f"{_percent(v['ap50_95'])} | {_percent(v['precision'])} | "
                    f"{_percent(v['recall'])} | |"
                )
    return "\n".join([header, *rows])


def evaluate_detection_specs(
    preset: str, data: Sequence[str], out_dir: str | None = None, subset: str | None = None
) -> dict[str, Any]:
    """`evaluate("detection", ...)`: loads the preset and each `LAYOUT:PATH`, runs the protocol."""
    import signver_keras as sv

    if subset not in (None, "train", "test"):
        raise ValueError(
            f"For detection, subset must be 'train' or 'test' (the held-out pages); "
            f"received {subset!r}."
        )
    detector = sv.SignatureDetector.from_preset(preset)
    datasets = {}
    for spec in data:
        source, scale = split_page_scale(spec)
        pages = load_detection_data(source, detector.class_names)
        layout, _, path = source.partition(":")
        synthetic = layout in SYNTHETIC_LAYOUTS
        name = source if synthetic else Path(path).parent.name or path
        if subset is not None and not synthetic:
            train, holdout = split_pages(pages)
            pages = holdout if subset == "test" else train
            name += f":{subset}"
        if scale != 1.0:  # after the split: only the pages evaluated are resampled
            pages = rescale_pages(pages, scale)
            name += f"@{scale:g}"
        datasets[name] = pages
    report = evaluate_detection(detector, datasets, out_dir)
    if subset is not None:
        report["split"] = {"fraction": HOLDOUT_FRACTION, "seed": HOLDOUT_SEED, "by": "file name"}
    report["command"] = " ".join(
        ["signver-keras evaluate detection", f"--preset {preset}"]
        + [f"--data {spec}" for spec in data]
        + ([f"--subset {subset}"] if subset else [])
    )
    return report
