"""How a detector turns pages into boxes, without a Keras backend.

`DetectorInputs` letterboxes pages to the network input and `DetectorInference` runs
`detect` around a network given by the subclass, so `SignatureDetector` and its NumPy
graph (`signver_keras.runtime`) detect the same way.
"""

from __future__ import annotations

import numbers

import numpy as np
from PIL import Image
from scipy import ndimage

from signver_keras.images import ImageInput, load_images
from signver_keras.models.detector.signature_detector_decoder import (
    decode_predictions,
    non_max_suppression,
)
from signver_keras.models.detector.solid_boxes import SAME_BOX_IOU, fit_solid_boxes
from signver_keras.utils.ink import paper_normalize

CLASS_NAMES = ("signature", "initials", "redaction", "date")

#: How a page is shrunk to the network input: `"bilinear"` averages (PIL's antialiased
#: bilinear filter), `"min"` keeps the darkest pixel of each k x k block (ink wins) of the
#: page averaged down to k times the input, k at most `MAX_MIN_FACTOR`, its leftover pixel
#: noise smoothed to `MIN_POOL_NOISE` first.
DOWNSCALE_METHODS = ("bilinear", "min")
#: Darkest of at most 3 x 3: a 300-dpi pencil stroke (3+ px) keeps its darkness, while the
#: sensor noise of a 12-megapixel photo is averaged first instead of picked as ink.
MAX_MIN_FACTOR = 3
#: Pixel noise (grey levels) a page keeps before `"min"` picks its darkest pixels. The darkest
#: of k x k noisy paper pixels is a dark speck, so a page whose averaging left more noise than
#: this (a photo near the input size, a halftone or dithered scan, a cheque's security pattern)
#: is smoothed first, just enough; a clean scan stays sharp and its faint strokes dark.
MIN_POOL_NOISE = 0.5
#: Strongest smoothing before `"min"` (Gaussian sigma in pixels of the averaged page).
MAX_MIN_POOL_SIGMA = 1.5
#: Where the paper level comes from: `"global"` one median for the page, `"local"` a
#: background estimated around every pixel (shadows, lamp gradients, tinted regions).
NORMALIZATIONS = ("global", "local")


def min_pool(gray: np.ndarray, factor: int) -> np.ndarray:
    """Darkest pixel of every `factor` x `factor` block (the last blocks may be partial)."""
    if factor < 2:
        return gray
    height, width = gray.shape
    padded = np.pad(gray, ((0, -height % factor), (0, -width % factor)), mode="edge")
    # Strided minima, columns then rows: several times faster than a 4-D reshape's min.
    columns = padded[:, 0::factor].copy()
    for offset in range(1, factor):
        np.minimum(columns, padded[:, offset::factor], out=columns)
    pooled = columns[0::factor].copy()
    for offset in range(1, factor):
        np.minimum(pooled, columns[offset::factor], out=pooled)
    return pooled


def pixel_noise(gray: np.ndarray) -> float:
    """Standard deviation (grey levels) of a page's pixel-to-pixel noise.

    Immerkaer's Laplacian-difference estimator in its median form: the median
    absolute response to a kernel that cancels smooth shading and straight edges,
    so text and ruled lines barely move it. Every second row and column is used
    (speed).
    """
    px = np.asarray(gray[::2, ::2], np.int16)
    if min(px.shape) < 3:
        return 0.0
    # The kernel [[1, -2, 1], [-2, 4, -2], [1, -2, 1]] by slicing (faster than a convolution).
    response = (
        4 * px[1:-1, 1:-1]
        - 2 * (px[:-2, 1:-1] + px[2:, 1:-1] + px[1:-1, :-2] + px[1:-1, 2:])
        + (px[:-2, :-2] + px[:-2, 2:] + px[2:, :-2] + px[2:, 2:])
    )
    # 1.4826 turns a median absolute value into a Gaussian sigma; the kernel's gain is 6.
    return float(np.median(np.abs(response)) * 1.4826 / 6.0)


def smooth_pixel_noise(gray: np.ndarray, target: float = MIN_POOL_NOISE) -> np.ndarray:
    """`gray` smoothed until about `target` grey levels of pixel noise are left.

    A Gaussian of sigma s divides white noise by about 2 * sqrt(pi) * s; sigma is
    capped at `MAX_MIN_POOL_SIGMA`, and a page already near `target` is returned as is.
    """
    sigma = min(pixel_noise(gray) / (2.0 * np.sqrt(np.pi) * target), MAX_MIN_POOL_SIGMA)
    if sigma < 0.3:  # a narrower Gaussian barely changes a pixel
        return gray
    smoothed = ndimage.gaussian_filter(gray, sigma, output=np.float32, truncate=2.5)
    return (smoothed + 0.5).astype(np.uint8)  # rounded; a blur stays within 0..255


def local_paper_normalize(gray: np.ndarray, window: int) -> np.ndarray:
    """Ink intensity in [0, 1] against a local paper level instead of one for the page.

    The paper level around each pixel is the brightest (lightly smoothed) value
    within `window` pixels, itself smoothed: strokes narrower than the window
    vanish from it, while shadows and lighting gradients, wider than the window,
    stay in it and so are divided out.
    """
    values = gray.astype(np.float32)
    paper = ndimage.maximum_filter(ndimage.gaussian_filter(values, 1.0), size=window)
    paper = np.maximum(ndimage.uniform_filter(paper, size=window), 1.0)
    return np.clip((paper - values) / paper, 0.0, 1.0)


def letterbox_page(
    gray: np.ndarray,
    letterbox_size: int,
    downscale: str = "bilinear",
    normalize: str = "global",
) -> tuple[np.ndarray, np.ndarray]:
    """Fits a uint8 page into a square, centered, on a zero (paper) background.

    Args:
        gray: uint8 (H, W) page.
        letterbox_size: int. Side of the square.
        downscale: one of `DOWNSCALE_METHODS`.
        normalize: one of `NORMALIZATIONS`.

    Returns:
        `(ink, transform)`: float32 `(letterbox_size, letterbox_size)` ink intensity and the
        float64 transform `(scale_x, scale_y, left, top)`, with network pixel
        `x_net = x * scale_x + left` (and likewise for y).
    """
    height, width = gray.shape
    scale = letterbox_size / max(height, width)
    new_h = max(1, min(letterbox_size, round(height * scale)))
    new_w = max(1, min(letterbox_size, round(width * scale)))
    factor = min(max(1, int(1 / scale)), MAX_MIN_FACTOR) if downscale == "min" else 1
    if factor > 1:
        # Average down to exactly `factor` times the input, smooth what noise the averaging
        # left, then keep each block's darkest pixel.
        page = Image.fromarray(gray).resize((new_w * factor, new_h * factor), Image.BILINEAR)
        resized = min_pool(smooth_pixel_noise(np.asarray(page)), factor)
    else:
        resized = np.asarray(Image.fromarray(gray).resize((new_w, new_h), Image.BILINEAR))
    if normalize == "local":
        ink = local_paper_normalize(resized, _local_window(letterbox_size))
    else:
        ink = paper_normalize(resized)
    canvas = np.zeros((letterbox_size, letterbox_size), np.float32)
    top, left = (letterbox_size - new_h) // 2, (letterbox_size - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = ink
    return canvas, np.array([new_w / width, new_h / height, left, top], np.float64)


def _local_window(letterbox_size: int) -> int:
    # About 1/16 of the page: wider than any stroke or redaction bar, narrower than a shadow.
    return max(9, letterbox_size // 16) | 1


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


class DetectorInputs:
    """The page letterboxing of `SignatureDetectorPreprocessor` (see there), without Keras."""

    def __init__(
        self, letterbox_size: int = 512, downscale: str = "bilinear", normalize: str = "global"
    ):
        if int(letterbox_size) < 32:
            raise ValueError(f"letterbox_size must be an int >= 32; received {letterbox_size}.")
        if downscale not in DOWNSCALE_METHODS:
            raise ValueError(
                f"downscale must be one of {DOWNSCALE_METHODS}; received {downscale!r}."
            )
        if normalize not in NORMALIZATIONS:
            raise ValueError(f"normalize must be one of {NORMALIZATIONS}; received {normalize!r}.")
        self.letterbox_size = int(letterbox_size)
        self.downscale = downscale
        self.normalize = normalize

    def letterbox_page(self, gray: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`letterbox_page` of one uint8 (H, W) page with this preprocessor's settings."""
        return letterbox_page(gray, self.letterbox_size, self.downscale, self.normalize)

    def letterbox(self, images) -> tuple[np.ndarray, np.ndarray]:
        """Returns the batch `(N, size, size, 1)` and transforms `(N, 4)` of one or more pages."""
        pages = [self.letterbox_page(gray) for gray in load_images(images)]
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


class DetectorInference:
    """`detect` over a network given by the subclass.

    Subclasses set `class_names`, `score_threshold`, `iou_threshold` and
    `max_detections`, and provide `image_size`, `output_stride`,
    `_detector_inputs()` (a `DetectorInputs`) and `_forward(batch)`.
    """

    class_names: tuple[str, ...]
    score_threshold: float
    iou_threshold: float
    max_detections: int
    image_size: int
    output_stride: int

    def detect(
        self,
        images: ImageInput | list[ImageInput],
        score_threshold: float | None = None,
        batch_size: int = 8,
    ) -> list[dict]:
        """Detects signatures, initials, redactions and dates on one or more pages.

        Args:
            images: a path, PIL image or numpy array, or a list of them; any
                size and aspect ratio.
            score_threshold: float or None. Minimum score; None uses the
                preset's `score_threshold`.
            batch_size: int. Pages per forward pass.

        Returns:
            One dict per page: `boxes` float32 `(N, 4)` xyxy in pixels of that page
            (redaction boxes fitted to the solid bar under them, see `solid_boxes`),
            `scores` float32 `(N,)`, `labels` int32 `(N,)` indices into
            `class_names`, `names` list of str; best score first.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer; received {batch_size}.")
        threshold = self.score_threshold if score_threshold is None else score_threshold
        check_threshold(threshold, "score_threshold")
        grays = load_images(images)
        preprocessor = self._detector_inputs()
        if preprocessor.letterbox_size != self.image_size:
            raise ValueError(
                f"The preprocessor letterboxes to {preprocessor.letterbox_size} px but the "
                f"backbone expects {self.image_size} px inputs; build both with the same size."
            )
        results = []
        for start in range(0, len(grays), batch_size):
            chunk = grays[start : start + batch_size]
            batch, transforms = preprocessor.letterbox(chunk)
            predictions = np.asarray(self._forward(batch), dtype=np.float32)
            for gray, prediction, transform in zip(chunk, predictions, transforms, strict=True):
                boxes, scores, labels = decode_predictions(
                    prediction,
                    len(self.class_names),
                    self.output_stride,
                    score_threshold=threshold,
                    max_detections=self.max_detections,
                    iou_threshold=self.iou_threshold,
                )
                boxes = preprocessor.unletterbox_boxes(boxes, transform, gray.shape)
                boxes = fit_solid_boxes(gray, boxes, labels, self.class_names)
                # Boxes fitted to one bar come out the same: keep the best of them.
                keep = non_max_suppression(boxes, scores, labels, SAME_BOX_IOU)
                results.append(
                    {
                        "boxes": boxes[keep],
                        "scores": scores[keep],
                        "labels": labels[keep],
                        "names": [self.class_names[label] for label in labels[keep]],
                    }
                )
        return results


def check_threshold(value, name: str) -> None:
    """Refuses a score or overlap threshold outside [0, 1], naming the argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a number in [0, 1]; received {value!r}.")
