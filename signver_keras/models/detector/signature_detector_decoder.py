"""Turns the detector's dense predictions into boxes: peaks, top-k, threshold, NMS (numpy)."""

from __future__ import annotations

import numpy as np


def _max_pool_3x3(heatmap: np.ndarray) -> np.ndarray:
    """3x3 max filter over the first two axes of an (h, w, C) map ("same" padding)."""
    padded = np.pad(heatmap, ((1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    height, width = heatmap.shape[:2]
    pooled = padded[0:height, 0:width]
    for dy in range(3):
        for dx in range(3):
            pooled = np.maximum(pooled, padded[dy : dy + height, dx : dx + width])
    return pooled


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box with each row of `boxes`."""
    x1 = np.maximum(box[0], boxes[:, 0])
    y1 = np.maximum(box[1], boxes[:, 1])
    x2 = np.minimum(box[2], boxes[:, 2])
    y2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def non_max_suppression(
    boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, iou_threshold: float
) -> np.ndarray:
    """Class-wise greedy NMS; returns the kept indices, best score first."""
    order = np.argsort(-scores, kind="stable")
    keep = []
    suppressed = np.zeros(len(boxes), bool)
    for rank, index in enumerate(order):
        if suppressed[index]:
            continue
        keep.append(index)
        rest = order[rank + 1 :]
        same = rest[(labels[rest] == labels[index]) & ~suppressed[rest]]
        if same.size:
            suppressed[same[box_iou(boxes[index], boxes[same]) > iou_threshold]] = True
    return np.asarray(keep, dtype=np.int64)


def decode_predictions(
    predictions: np.ndarray,
    num_classes: int,
    stride: int,
    score_threshold: float = 0.3,
    max_detections: int = 100,
    iou_threshold: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decodes one image's prediction map into boxes in network-input pixels.

    Args:
        predictions: array `(h, w, C + 4)`: heatmap logits, log size, offset
            (the layout written by `encode_targets`, without the mask channel).
        num_classes: int. Number of heatmap channels C.
        stride: int. Output stride of the backbone.
        score_threshold: float. Peaks scoring below it are dropped.
        max_detections: int. Peaks kept before thresholding and NMS (top-k).
        iou_threshold: float. Same-class boxes overlapping more than this are suppressed.

    Returns:
        `(boxes, scores, labels)`: float32 `(N, 4)` xyxy, float32 `(N,)`, int32 `(N,)`,
        best score first.
    """
    predictions = np.asarray(predictions, dtype=np.float32)
    expected = num_classes + 4
    if predictions.ndim != 3 or predictions.shape[-1] < expected:
        raise ValueError(
            f"predictions should have shape (height, width, {expected}); "
            f"received predictions.shape={predictions.shape}."
        )
    logits = predictions[..., :num_classes]
    heatmap = 1.0 / (1.0 + np.exp(-np.clip(logits, -30.0, 30.0)))
    peaks = np.where(heatmap == _max_pool_3x3(heatmap), heatmap, 0.0)
    flat = peaks.reshape(-1)
    count = min(max_detections, flat.size)
    top = np.argpartition(-flat, count - 1)[:count]
    top = top[flat[top] >= score_threshold]
    cell_y, cell_x, labels = np.unravel_index(top, peaks.shape)
    scores = flat[top]
    log_size = predictions[cell_y, cell_x, num_classes : num_classes + 2]
    offset = predictions[cell_y, cell_x, num_classes + 2 : num_classes + 4]
    center_x = (cell_x + offset[:, 0]) * stride
    center_y = (cell_y + offset[:, 1]) * stride
    half = np.exp(np.clip(log_size, -10.0, 10.0)) * stride / 2
    boxes = np.stack(
        [
            center_x - half[:, 0],
            center_y - half[:, 1],
            center_x + half[:, 0],
            center_y + half[:, 1],
        ],
        axis=-1,
    ).astype(np.float32)
    keep = non_max_suppression(boxes, scores, labels, iou_threshold)
    return (
        boxes[keep].reshape(-1, 4),
        scores[keep].astype(np.float32),
        labels[keep].astype(np.int32),
    )
