"""Pixel-level helpers shared by the preprocessors: ink separation and fitting."""

from __future__ import annotations

import numpy as np
from PIL import Image

# Blank margin kept around the ink, relative to the longer side.
DEFAULT_MARGIN = 0.02


def otsu_threshold(gray: np.ndarray) -> int:
    """Returns Otsu's threshold of a uint8 image (pixels <= threshold are ink)."""
    histogram = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    total = histogram.sum()
    levels = np.arange(256, dtype=np.float64)
    weight_dark = np.cumsum(histogram)
    weight_light = total - weight_dark
    mean_dark = np.cumsum(histogram * levels)
    mean_total = mean_dark[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_total * weight_dark - total * mean_dark) ** 2 / (weight_dark * weight_light)
    between[~np.isfinite(between)] = 0.0
    return int(np.argmax(between))


def ink_intensity(gray: np.ndarray) -> np.ndarray:
    """Maps a uint8 page or crop to ink intensity in [0, 1], background exactly 0.

    The background level is estimated from the pixels Otsu calls background and
    everything lighter than the threshold is zeroed, so paper tone and scanner
    brightness do not leak into the features (the CEDAR background shortcut).
    """
    if gray.max() == gray.min():
        return np.zeros(gray.shape, np.float32)
    threshold = otsu_threshold(gray)
    background = gray[gray > threshold]
    paper = float(np.median(background)) if background.size else 255.0
    ink = (paper - gray.astype(np.float32)) / max(paper, 1.0)
    ink[gray > threshold] = 0.0
    return np.clip(ink, 0.0, 1.0)


def ink_bbox(ink: np.ndarray, margin: float = DEFAULT_MARGIN) -> tuple[int, int, int, int] | None:
    """Bounding box (top, left, bottom, right) of nonzero ink with a relative margin."""
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(ink.any(axis=0))
    pad = int(round(margin * max(ink.shape)))
    top, bottom = max(rows[0] - pad, 0), min(rows[-1] + 1 + pad, ink.shape[0])
    left, right = max(cols[0] - pad, 0), min(cols[-1] + 1 + pad, ink.shape[1])
    return int(top), int(left), int(bottom), int(right)


def fit_into(image: np.ndarray, size: tuple[int, int], fill: float = 0.0) -> np.ndarray:
    """Resizes a float image to fit (height, width) keeping aspect ratio, centered on `fill`."""
    height, width = size
    scale = min(height / image.shape[0], width / image.shape[1])
    new_h = max(1, min(height, round(image.shape[0] * scale)))
    new_w = max(1, min(width, round(image.shape[1] * scale)))
    resized = np.asarray(
        Image.fromarray(image.astype(np.float32), mode="F").resize((new_w, new_h), Image.BILINEAR)
    )
    canvas = np.full((height, width), fill, np.float32)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas


def paper_normalize(gray: np.ndarray) -> np.ndarray:
    """Maps a uint8 page or crop to ink intensity in [0, 1] with the paper tone at 0.

    Unlike `ink_intensity` nothing is thresholded away (faint strokes, stamps
    and rules stay visible to the network); only the paper level, estimated as
    the median pixel, is subtracted, so grey scans and white paper look alike.
    """
    paper = max(float(np.median(gray)), 1.0)
    return np.clip((paper - gray.astype(np.float32)) / paper, 0.0, 1.0)


def normalize_signature(
    gray: np.ndarray, target_size: tuple[int, int], margin: float = DEFAULT_MARGIN
) -> np.ndarray:
    """Ink intensity of a grayscale crop, cropped to the ink and fitted into `target_size`.

    Intensity is stretched so the darkest strokes reach 1: pen and scanner
    darkness vary between sessions of the same writer and carry no identity.
    """
    ink = ink_intensity(gray)
    strokes = ink[ink > 0]
    if strokes.size:
        ink = np.minimum(ink / max(float(np.percentile(strokes, 95)), 0.05), 1.0)
    box = ink_bbox(ink, margin)
    if box is not None:
        top, left, bottom, right = box
        ink = ink[top:bottom, left:right]
    return fit_into(ink, target_size)
