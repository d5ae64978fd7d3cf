"""Detection metrics (pure numpy): COCO-style AP per class, mAP50, mAP50-95, P/R at a threshold.

AP follows the COCO definition: detections of a class, pooled over all images,
are sorted by score (stable, so ties keep their input order); each is a true
positive if it overlaps a not-yet-matched ground-truth box of the same class
and image by at least the IoU threshold (greedy, best IoU first). The
precision envelope is sampled at 101 recall points 0, 0.01, ..., 1 and
averaged. mAP50-95 averages AP over IoU thresholds 0.50:0.05:0.95. A class
with no ground-truth boxes gets AP NaN and is left out of the means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: COCO IoU thresholds 0.50, 0.55, ..., 0.95.
IOU_THRESHOLDS = np.round(np.linspace(0.5, 0.95, 10), 2)
#: COCO recall sampling points 0, 0.01, ..., 1.
RECALL_POINTS = np.linspace(0.0, 1.0, 101)


def pairwise_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """IoU matrix `(len(a), len(b))` of two sets of xyxy boxes."""
    a = np.asarray(boxes_a, np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, np.float64).reshape(-1, 4)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-12)


@dataclass
class ClassMatches:
    """Detections of one class pooled over images, best score first.

    Args:
        scores: float `(D,)` detection scores, descending.
        matched: bool `(T, D)`: detection `d` is a true positive at IoU threshold `t`.
        num_ground_truth: int. Ground-truth boxes of this class in all images.
    """

    scores: np.ndarray
    matched: np.ndarray
    num_ground_truth: int


def _as_boxes(values) -> np.ndarray:
    return np.asarray(values, np.float64).reshape(-1, 4)


def match_class(
    predictions: Sequence[dict],
    ground_truths: Sequence[dict],
    label: int,
    iou_thresholds: np.ndarray = IOU_THRESHOLDS,
) -> ClassMatches:
    """Greedy COCO matching of one class's detections to ground truth, per IoU threshold."""
    entries = []  # (score, image index, detection index)
    for image, prediction in enumerate(predictions):
        labels = np.asarray(prediction["labels"]).reshape(-1)
        scores = np.asarray(prediction["scores"], np.float64).reshape(-1)
        entries += [(scores[d], image, d) for d in np.flatnonzero(labels == label)]
    order = sorted(range(len(entries)), key=lambda i: -entries[i][0])
    entries = [entries[i] for i in order]

    gt_boxes = []
    for truth in ground_truths:
        labels = np.asarray(truth["labels"]).reshape(-1)
        gt_boxes.append(_as_boxes(truth["boxes"])[labels == label])
    ious = {}
    for image in {image for _, image, _ in entries}:
        boxes = _as_boxes(predictions[image]["boxes"])
        ious[image] = pairwise_iou(boxes, gt_boxes[image])

    thresholds = np.asarray(iou_thresholds, np.float64)
    matched = np.zeros((len(thresholds), len(entries)), bool)
    for t, threshold in enumerate(thresholds):
        taken = [np.zeros(len(g), bool) for g in gt_boxes]
        for rank, (_, image, detection) in enumerate(entries):
            if not len(gt_boxes[image]):
                continue
            overlaps = np.where(taken[image], -1.0, ious[image][detection])
            best = int(np.argmax(overlaps))
            if overlaps[best] >= threshold:
                taken[image][best] = True
                matched[t, rank] = True
    scores = np.array([score for score, _, _ in entries], np.float64)
    return ClassMatches(scores, matched, int(sum(len(g) for g in gt_boxes)))


def average_precision(matched: np.ndarray, num_ground_truth: int) -> float:
    """101-point interpolated AP of one ranked list of true/false positives."""
    if num_ground_truth == 0:
        return float("nan")
    matched = np.asarray(matched, bool)
    if matched.size == 0:
        return 0.0
    tp = np.cumsum(matched)
    fp = np.cumsum(~matched)
    recall = tp / num_ground_truth
    precision = tp / (tp + fp)
    # Precision envelope: best precision at any recall at least this high.
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    index = np.searchsorted(recall, RECALL_POINTS, side="left")
    sampled = np.where(index < len(envelope), envelope[np.minimum(index, len(envelope) - 1)], 0.0)
    return float(np.mean(sampled))


def precision_recall_curve(matches: ClassMatches, iou_index: int = 0) -> dict[str, np.ndarray]:
    """Precision and recall after each detection (by descending score), and the scores."""
    hits = matches.matched[iou_index]
    tp, fp = np.cumsum(hits), np.cumsum(~hits)
    recall = tp / max(matches.num_ground_truth, 1)
    precision = tp / np.maximum(tp + fp, 1)
    return {"precision": precision, "recall": recall, "scores": matches.scores}


def detection_metrics(
    predictions: Sequence[dict],
    ground_truths: Sequence[dict],
    class_names: Sequence[str],
    score_threshold: float,
    iou_thresholds: np.ndarray = IOU_THRESHOLDS,
) -> tuple[dict, dict[str, ClassMatches]]:
    """COCO-style metrics of detections against ground truth.

    Args:
        predictions: one dict per image with `boxes` `(N, 4)` xyxy, `scores` `(N,)`,
            `labels` `(N,)`; keep low-scoring boxes (AP needs the whole ranking).
        ground_truths: one dict per image with `boxes` and `labels`, same pixels.
        class_names: name of each class index.
        score_threshold: operating point of `precision` / `recall` (IoU 0.5).
        iou_thresholds: array of IoU thresholds; the first must be 0.5 for `ap50`.

    Returns:
        `(summary, matches)`: summary with `map50`, `map50_95`, and `per_class`
        {name: {ap50, ap50_95, precision, recall, ground_truth, detections}};
        matches per class name for precision-recall curves.

    Example:
    ```python
    truth = [{"boxes": [[0, 0, 10, 10]], "labels": [0]}]
    found = [{"boxes": [[0, 0, 10, 10]], "scores": [0.9], "labels": [0]}]
    summary, _ = detection_metrics(found, truth, ["signature"], 0.3)
    summary["map50"]  # 1.0
    ```
    """
    if len(predictions) != len(ground_truths):
        raise ValueError(
            f"Expected one prediction per ground-truth image; received {len(predictions)} "
            f"predictions and {len(ground_truths)} ground truths."
        )
    thresholds = np.asarray(iou_thresholds, np.float64)
    per_class, matches = {}, {}
    for label, name in enumerate(class_names):
        match = match_class(predictions, ground_truths, label, thresholds)
        aps = [average_precision(m, match.num_ground_truth) for m in match.matched]
        kept = match.scores >= score_threshold
        true_positives = int(match.matched[0][kept].sum()) if match.matched.size else 0
        detections = int(kept.sum())
        per_class[name] = {
            "ap50": aps[0],
            "ap50_95": float(np.mean(aps)),
            "precision": true_positives / detections if detections else float("nan"),
            "recall": (
                true_positives / match.num_ground_truth if match.num_ground_truth else float("nan")
            ),
            "ground_truth": match.num_ground_truth,
            "detections": detections,
        }
        matches[name] = match
    evaluated = [v for v in per_class.values() if v["ground_truth"] > 0]
    summary = {
        "map50": float(np.mean([v["ap50"] for v in evaluated])) if evaluated else float("nan"),
        "map50_95": (
            float(np.mean([v["ap50_95"] for v in evaluated])) if evaluated else float("nan")
        ),
        "score_threshold": float(score_threshold),
        "per_class": per_class,
    }
    return summary, matches


def threshold_for_precision(matches: ClassMatches, target: float) -> dict[str, float] | None:
    """The lowest score threshold whose detections reach `target` precision (IoU 0.5).

    Among the thresholds where the precision of the boxes kept (score >= threshold)
    is at least `target`, the lowest one finds the most objects. Returns
    `{"threshold", "precision", "recall"}` there, or None when no threshold
    reaches the target (or there is nothing to find).

    Example:
    ```python
    summary, matches = detection_metrics(found, truth, ["signature"], 0.3)
    threshold_for_precision(matches["signature"], 0.9)["threshold"]
    ```
    """
    if not 0 < target <= 1:
        raise ValueError(f"target should be a precision in (0, 1]; received {target}.")
    if matches.num_ground_truth == 0 or matches.scores.size == 0:
        return None
    hits = matches.matched[0]
    scores = matches.scores
    # A threshold keeps every detection with score >= it: cut only between distinct scores.
    last_of_score = np.append(scores[1:] != scores[:-1], True)
    tp = np.cumsum(hits)[last_of_score]
    kept = (np.arange(len(scores)) + 1)[last_of_score]
    precision = tp / kept
    reached = np.flatnonzero(precision >= target)
    if reached.size == 0:
        return None
    best = int(reached[-1])
    return {
        "threshold": float(scores[last_of_score][best]),
        "precision": float(precision[best]),
        "recall": float(tp[best] / matches.num_ground_truth),
    }
