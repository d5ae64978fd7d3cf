"""Turns boxes and labels into the detector's dense training targets (numpy).

Target layout, per image, shape `(size / stride, size / stride, C + 5)`:

- `[..., :C]`     per-class center heatmap: an elliptical Gaussian around each
                  box center, exactly 1 at the center cell (CenterNet / TTFNet).
- `[..., C:C+2]`  log box width and height in output cells, at center cells.
- `[..., C+2:C+4]` sub-cell offset (dx, dy) of the true center, at center cells.
- `[..., C+4]`    1 at center cells (where size and offset are supervised).
- `[..., C+5:2C+5]` optional, only when `class_mask` is given: 1 where the page's
                  labels cover that class, 0 where its objects are unlabelled (the loss
                  ignores the heatmap of such classes on that page, e.g. real pages
                  annotated for signatures only).

The network predicts the same layout minus the last channel, with heatmap logits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _check_boxes(boxes, labels, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4) if len(boxes) else np.zeros((0, 4))
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if len(labels) != len(boxes):
        raise ValueError(
            f"Expected one label per box; received {len(boxes)} boxes and {len(labels)} labels."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"Labels must lie in [0, {num_classes - 1}]; received labels {sorted(set(labels))}."
        )
    return boxes.astype(np.float32), labels


def encode_targets(
    boxes,
    labels,
    num_classes: int,
    image_size: int,
    stride: int = 4,
    gaussian_alpha: float = 0.54,
    min_sigma: float = 0.5,
) -> np.ndarray:
    """Encodes one image's boxes into a dense target map.

    Args:
        boxes: array-like `(N, 4)`, xyxy in network-input pixels (after letterboxing,
            see `SignatureDetectorPreprocessor.letterbox_boxes`).
        labels: array-like `(N,)` of int class indices.
        num_classes: int. Number of heatmap channels.
        image_size: int. Side of the square network input.
        stride: int. Output stride of the backbone. Defaults to 4.
        gaussian_alpha: float. Gaussian sigma is `alpha * box side / 6` per axis.
        min_sigma: float. Smallest sigma, in cells, so tiny boxes still get a blob.

    Returns:
        float32 array `(image_size // stride, image_size // stride, num_classes + 5)`.
    """
    boxes, labels = _check_boxes(boxes, labels, num_classes)
    size = image_size // stride
    target = np.zeros((size, size, num_classes + 5), np.float32)
    grid = np.arange(size, dtype=np.float32)
    boxes = np.clip(boxes, 0.0, float(image_size))
    # Large boxes first, so a small box's regression wins a shared center cell.
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    for index in np.argsort(-areas, kind="stable"):
        x1, y1, x2, y2 = boxes[index] / stride
        width, height = x2 - x1, y2 - y1
        if width <= 0 or height <= 0:
            continue
        center_x, center_y = (x1 + x2) / 2, (y1 + y2) / 2
        cell_x = min(int(center_x), size - 1)
        cell_y = min(int(center_y), size - 1)
        sigma_x = max(gaussian_alpha * width / 6, min_sigma)
        sigma_y = max(gaussian_alpha * height / 6, min_sigma)
        blob = np.exp(
            -((grid[None, :] - cell_x) ** 2) / (2 * sigma_x**2)
            - ((grid[:, None] - cell_y) ** 2) / (2 * sigma_y**2)
        )
        channel = target[..., labels[index]]
        np.maximum(channel, blob, out=channel)
        target[cell_y, cell_x, labels[index]] = 1.0
        target[cell_y, cell_x, num_classes : num_classes + 2] = np.log([width, height])
        target[cell_y, cell_x, num_classes + 2 : num_classes + 4] = (
            center_x - cell_x,
            center_y - cell_y,
        )
        target[cell_y, cell_x, num_classes + 4] = 1.0
    return target


class SignatureDetectorLabelEncoder:
    """Encodes a batch of boxes and labels into the detector's training targets.

    Args:
        num_classes: int. Number of classes (heatmap channels).
        image_size: int. Side of the square network input.
        stride: int. Output stride of the backbone.
        gaussian_alpha: float. See `encode_targets`.
        min_sigma: float. See `encode_targets`.

    Example:
    ```python
    import signver_keras as sv
    detector = sv.SignatureDetector.from_preset("signver_detector_base")
    encoder = detector.label_encoder()
    batch, transforms = detector.preprocessor.letterbox(["page.png"])
    boxes = detector.preprocessor.letterbox_boxes([[100, 900, 700, 1100]], transforms[0])
    targets = encoder([boxes], [[0]])  # (1, 128, 128, 9)
    detector.fit(batch, targets, epochs=1)
    ```
    """

    def __init__(
        self,
        num_classes: int,
        image_size: int,
        stride: int = 4,
        gaussian_alpha: float = 0.54,
        min_sigma: float = 0.5,
    ):
        self.num_classes = num_classes
        self.image_size = image_size
        self.stride = stride
        self.gaussian_alpha = gaussian_alpha
        self.min_sigma = min_sigma

    def __call__(self, boxes: Sequence, labels: Sequence, class_mask=None) -> np.ndarray:
        """Encodes a list of per-image boxes `(N_i, 4)` and labels `(N_i,)`: `(B, h, w, C+5)`.

        `class_mask`, optional `(B, C)` of 0/1: which classes each image is annotated
        for. When given, it is appended as C constant channels: `(B, h, w, 2C+5)`.
        """
        if len(boxes) != len(labels):
            raise ValueError(
                f"Expected one labels array per boxes array; received {len(boxes)} boxes arrays "
                f"and {len(labels)} labels arrays."
            )
        targets = np.stack(
            [
                encode_targets(
                    image_boxes,
                    image_labels,
                    self.num_classes,
                    self.image_size,
                    self.stride,
                    self.gaussian_alpha,
                    self.min_sigma,
                )
                for image_boxes, image_labels in zip(boxes, labels, strict=True)
            ]
        )
        if class_mask is None:
            return targets
        class_mask = np.asarray(class_mask, np.float32)
        if class_mask.shape != (len(boxes), self.num_classes):
            raise ValueError(
                f"class_mask should have shape (batch, num_classes) = "
                f"({len(boxes)}, {self.num_classes}); received {class_mask.shape}."
            )
        size = targets.shape[1]
        spread = np.broadcast_to(
            class_mask[:, None, None, :], (len(boxes), size, size, self.num_classes)
        )
        return np.concatenate([targets, spread], axis=-1)
