"""Boxes of solid classes (redaction bars) fitted to the solid ink region they sit on.

The network regresses a box's size from the features at its centre. For a bar tilted
by a phone photo it returns a box about as tall as the bar is thick, while the bar's
axis-aligned extent, which is what a user labels and crops, is taller: on the project's
photographed pages most missed redactions were such boxes at IoU 0.3-0.5. A redaction
is solid ink, so its extent can be read off the page instead: keep what is dark, remove
what is thinner than the bar (text strokes, lines) and take the region the box covers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

#: Classes whose boxes are fitted to the solid region under them.
SOLID_CLASSES = ("redaction",)
#: How far the region may reach beyond the box: in box heights above and below
#: (a tilted bar's extent is its thickness plus its length times the tilt), in box
#: widths left and right.
VERTICAL_REACH = 1.5
HORIZONTAL_REACH = 0.15
#: Darker than this fraction of the window's paper level counts as ink.
INK_LEVEL = 0.5
#: Ink thinner than this fraction of the box's short side is not part of a bar.
MIN_THICKNESS = 0.25
#: The region must fill at least this fraction of the box, or the box is kept as it is.
MIN_FILL = 0.3
#: Fitted boxes overlapping more than this are one box (suppressing at the usual 0.5
#: would let a box the fitting left alone remove a better one it fitted).
SAME_BOX_IOU = 0.9
#: The search window is subsampled so the bar's thickness spans about this many pixels.
PIXELS_PER_THICKNESS = 12


def fit_to_solid_region(gray: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The extent of the solid ink region under `box`, or `box` when there is none.

    Args:
        gray: uint8 `(H, W)` page.
        box: `(4,)` xyxy in page pixels.

    Returns:
        float32 `(4,)` xyxy: the bounding box of the solid region that fills most of
        `box`, searched within `VERTICAL_REACH` box heights and `HORIZONTAL_REACH`
        box widths around it.
    """
    box = np.asarray(box, np.float32)
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    if width < 2 or height < 2:
        return box
    step = max(1, int(min(width, height) / PIXELS_PER_THICKNESS))
    page_h, page_w = gray.shape
    left = int(max(0, x1 - HORIZONTAL_REACH * width))
    top = int(max(0, y1 - VERTICAL_REACH * height))
    right = int(min(page_w, x2 + HORIZONTAL_REACH * width))
    bottom = int(min(page_h, y2 + VERTICAL_REACH * height))
    window = gray[top:bottom:step, left:right:step]
    if window.size == 0:
        return box
    ink = (window < INK_LEVEL * np.percentile(window, 95)).astype(np.uint8)
    size = max(1, int(MIN_THICKNESS * min(width, height) / step))
    # Opening (erode, then dilate) with a square: strokes thinner than it disappear.
    solid = ndimage.maximum_filter(ndimage.minimum_filter(ink, size=size, mode="constant"), size)
    regions, count = ndimage.label(solid)
    if count == 0:
        return box
    inside = regions[
        int((y1 - top) / step) : int(np.ceil((y2 - top) / step)),
        int((x1 - left) / step) : int(np.ceil((x2 - left) / step)),
    ]
    pixels = np.bincount(inside.ravel(), minlength=count + 1)
    pixels[0] = 0
    region = int(pixels.argmax())
    if pixels[region] < MIN_FILL * max(inside.size, 1):
        return box
    rows, cols = np.nonzero(regions == region)
    # A region running out of the window above or below is taller than any bar this box
    # could be (a black logo block, a bar joined to a page border): the box stays.
    if (rows.min() == 0 and top > 0) or (rows.max() == len(regions) - 1 and bottom < page_h):
        return box
    return np.array(
        [
            left + cols.min() * step,
            top + rows.min() * step,
            min(page_w, left + (cols.max() + 1) * step),
            min(page_h, top + (rows.max() + 1) * step),
        ],
        np.float32,
    )


def fit_solid_boxes(
    gray: np.ndarray, boxes: np.ndarray, labels: np.ndarray, class_names: Sequence[str]
) -> np.ndarray:
    """`boxes` with those of `SOLID_CLASSES` fitted by `fit_to_solid_region`."""
    solid = [class_names.index(name) for name in SOLID_CLASSES if name in class_names]
    fitted = np.array(boxes, np.float32, copy=True)
    for index in np.flatnonzero(np.isin(labels, solid)):
        fitted[index] = fit_to_solid_region(gray, fitted[index])
    return fitted
