"""Letterboxes pages of any size into the detector's square input, and maps boxes back."""

from __future__ import annotations

import keras
import keras_hub
import numpy as np
from PIL import Image

from signver_keras.images import load_images
from signver_keras.models.detector.signature_detector_backbone import SignatureDetectorBackbone
from signver_keras.utils.ink import paper_normalize


def letterbox_page(gray: np.ndarray, letterbox_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Fits a uint8 page into a square, centered, on a zero (paper) background.

    Returns:
        `(ink, transform)`: float32 `(letterbox_size, letterbox_size)` ink intensity and the
        float64 transform `(scale_x, scale_y, left, top)`, with network pixel
        `x_net = x * scale_x + left` (and likewise for y).
    """
    height, width = gray.shape
    scale = letterbox_size / max(height, width)
    new_h = max(1, min(letterbox_size, round(height * scale)))
    new_w = max(1, min(letterbox_size, round(width * scale)))
    resized = np.asarray(Image.fromarray(gray).resize((new_w, new_h), Image.BILINEAR))
    canvas = np.zeros((letterbox_size, letterbox_size), np.float32)
    top, left = (letterbox_size - new_h) // 2, (letterbox_size - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = paper_normalize(resized)
    return canvas, np.array([new_w / width, new_h / height, left, top], np.float64)


def _check_transform(boxes, transform) -> tuple[np.ndarray, np.ndarray]:
    boxes = np.asarray(boxes, dtype=np.float64)
    if boxes.size == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"boxes should have shape (N, 4) in xyxy; received {boxes.shape}.")
    transform = np.asarray(transform, dtype=np.float64)
    if transform.shape != (4,):
        raise ValueError(
            "transform should be one row (scale_x, scale_y, left, top) of the transforms "
            f"returned by `letterbox`; received shape {transform.shape}."
        )
    return boxes, transform


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureDetectorPreprocessor(keras_hub.models.Preprocessor):
    """Grayscale, paper-tone removal and letterboxing to the square network input.

    Accepts what every signver-keras method accepts (paths, PIL images, numpy
    arrays, one or a list; see `signver_keras.images.load_image`). Each page is
    scaled so its longer side equals `letterbox_size`, centered on a zero
    background, and turned into ink intensity in [0, 1] (the median paper tone
    maps to 0). `letterbox` also returns the per-page transforms that
    `letterbox_boxes` / `unletterbox_boxes` use to move boxes between page
    pixels and network pixels.

    Args:
        letterbox_size: int. Side of the square network input. Defaults to 512.

    Example:
    ```python
    import signver_keras as sv
    preprocessor = sv.models.SignatureDetectorPreprocessor(letterbox_size=512)
    batch, transforms = preprocessor.letterbox(["page1.png", "page2.png"])  # (2, 512, 512, 1)
    page_boxes = preprocessor.unletterbox_boxes([[10, 20, 200, 80]], transforms[0])
    ```
    """

    backbone_cls = SignatureDetectorBackbone

    def __init__(self, letterbox_size: int = 512, **kwargs):
        super().__init__(**kwargs)
        if int(letterbox_size) < 32:
            raise ValueError(f"letterbox_size must be an int >= 32; received {letterbox_size}.")
        self.letterbox_size = int(letterbox_size)

    def letterbox(self, images) -> tuple[np.ndarray, np.ndarray]:
        """Returns the batch `(N, size, size, 1)` and transforms `(N, 4)` of one or more pages."""
        pages = [letterbox_page(gray, self.letterbox_size) for gray in load_images(images)]
        batch = np.stack([ink for ink, _ in pages])[..., None]
        return batch, np.stack([transform for _, transform in pages])

    @staticmethod
    def letterbox_boxes(boxes, transform) -> np.ndarray:
        """Maps xyxy boxes from page pixels to network-input pixels (float32 `(N, 4)`)."""
        boxes, (scale_x, scale_y, left, top) = _check_transform(boxes, transform)
        scale = np.array([scale_x, scale_y, scale_x, scale_y])
        return (boxes * scale + np.array([left, top, left, top])).astype(np.float32)

    @staticmethod
    def unletterbox_boxes(boxes, transform, page_shape=None) -> np.ndarray:
        """Maps xyxy boxes from network-input pixels back to page pixels (float32 `(N, 4)`).

        Args:
            boxes: array-like `(N, 4)` in network-input pixels.
            transform: one row of the transforms returned by `letterbox`.
            page_shape: optional `(height, width)` of the page; boxes are clipped to it.
        """
        boxes, (scale_x, scale_y, left, top) = _check_transform(boxes, transform)
        offset = np.array([left, top, left, top])
        boxes = (boxes - offset) / np.array([scale_x, scale_y, scale_x, scale_y])
        if page_shape is not None:
            height, width = page_shape[:2]
            boxes = np.clip(boxes, 0.0, np.array([width, height, width, height], np.float64))
        return boxes.astype(np.float32)

    def call(self, x, y=None, sample_weight=None):
        return keras.utils.pack_x_y_sample_weight(self.letterbox(x)[0], y, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update({"letterbox_size": self.letterbox_size})
        return config
