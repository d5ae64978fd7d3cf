"""Scan and photo degradations for uint8 grayscale pages, deterministic from a numpy Generator.

Every function takes an (H, W) uint8 array and a `numpy.random.Generator`;
parameters left as `None` are drawn from the generator within realistic ranges,
so the same seed gives the same output. Photometric functions return the new
image; geometric ones (`rotate`, `perspective_warp`) return `(image, boxes)`
with `xyxy` pixel boxes moved by the same transform (the box enclosing the
moved corners, exact for axis-aligned rectangles). For tight boxes around
arbitrary shapes, warp an instance map with `warp_label_map` and read the boxes
back with `boxes_from_label_map`.

Example:
```python
import numpy as np
from signver_keras.data.synthetic import degradations as D

rng = np.random.default_rng(0)
page = np.full((1100, 850), 255, np.uint8)
page = D.paper_texture(page, rng)
page, boxes = D.perspective_warp(page, rng, boxes=np.array([[100, 100, 300, 160]]))
page = D.jpeg_artifacts(D.gaussian_noise(page, rng), rng)
```
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

from signver_keras.utils.ink import otsu_threshold

BINARIZATION_METHODS = ("otsu", "threshold", "sauvola", "dither")


def _check_gray(image: np.ndarray, name: str = "image") -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 2:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", type(image).__name__)
        raise ValueError(
            f"{name} should be a uint8 grayscale array of shape (H, W). "
            f"Got shape={shape}, dtype={dtype}."
        )
    return image


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Low-frequency (H, W) noise in [0, 1]: a grid of `cells` along the longer side, upsampled."""
    height, width = shape
    grid_h = max(2, int(round(cells * height / max(height, width))) + 1)
    grid_w = max(2, int(round(cells * width / max(height, width))) + 1)
    grid = rng.random((grid_h, grid_w)).astype(np.float32)
    field = np.asarray(Image.fromarray(grid, mode="F").resize((width, height), Image.BICUBIC))
    low, high = float(field.min()), float(field.max())
    return (field - low) / max(high - low, 1e-6)


# --- photometric -------------------------------------------------------------------------------


def gaussian_noise(
    image: np.ndarray, rng: np.random.Generator, sigma: float | None = None
) -> np.ndarray:
    """Adds sensor noise (std `sigma` grey levels, default drawn in [2, 12])."""
    image = _check_gray(image)
    sigma = float(rng.uniform(2.0, 12.0)) if sigma is None else float(sigma)
    noise = rng.standard_normal(image.shape, dtype=np.float32) * sigma
    return _to_uint8(image.astype(np.float32) + noise)


def blur(image: np.ndarray, rng: np.random.Generator, radius: float | None = None) -> np.ndarray:
    """Gaussian blur (defocus, low-resolution scan); radius default drawn in [0.3, 1.4] px."""
    image = _check_gray(image)
    radius = float(rng.uniform(0.3, 1.4)) if radius is None else float(radius)
    return np.asarray(Image.fromarray(image).filter(ImageFilter.GaussianBlur(radius)))


def jpeg_artifacts(
    image: np.ndarray, rng: np.random.Generator, quality: int | None = None
) -> np.ndarray:
    """Re-encodes as JPEG (quality default drawn in [20, 85])."""
    image = _check_gray(image)
    quality = int(rng.integers(20, 86)) if quality is None else int(quality)
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("L"))


def contrast_brightness(
    image: np.ndarray,
    rng: np.random.Generator,
    contrast: float | None = None,
    brightness: float | None = None,
    gamma: float | None = None,
) -> np.ndarray:
    """Scanner exposure: `(x - 128) * contrast + 128 + brightness`, then a gamma curve."""
    image = _check_gray(image)
    contrast = float(rng.uniform(0.7, 1.25)) if contrast is None else float(contrast)
    brightness = float(rng.uniform(-25, 20)) if brightness is None else float(brightness)
    gamma = float(rng.uniform(0.8, 1.25)) if gamma is None else float(gamma)
    values = (image.astype(np.float32) - 128.0) * contrast + 128.0 + brightness
    values = 255.0 * (np.clip(values, 0, 255) / 255.0) ** gamma
    return _to_uint8(values)


def uneven_illumination(
    image: np.ndarray, rng: np.random.Generator, strength: float | None = None
) -> np.ndarray:
    """Darkens the page with a smooth gradient and a soft shadow (lamp, curled page).

    `strength` (default drawn in [0.1, 0.45]) is the largest darkening factor.
    """
    image = _check_gray(image)
    strength = float(rng.uniform(0.1, 0.45)) if strength is None else float(strength)
    height, width = image.shape
    yy, xx = np.mgrid[0 : 1 : complex(0, 64), 0 : 1 : complex(0, 64)].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx + np.sin(angle) * yy).astype(np.float32)
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    cy, cx, radius = rng.uniform(-0.2, 1.2), rng.uniform(-0.2, 1.2), rng.uniform(0.3, 0.9)
    blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2)).astype(np.float32)
    shade = 0.6 * ramp + 0.4 * (1 - blob)
    shade = np.asarray(Image.fromarray(shade, mode="F").resize((width, height), Image.BICUBIC))
    factor = 1.0 - strength * np.clip(shade, 0, 1)
    return _to_uint8(image.astype(np.float32) * factor)


def photocopy_speckle(
    image: np.ndarray, rng: np.random.Generator, density: float | None = None
) -> np.ndarray:
    """Toner specks and dust: small dark dots (1-3 px), some in clusters.

    `density` is specks per 10,000 pixels (default drawn in [0.5, 4]).
    """
    image = _check_gray(image)
    density = float(rng.uniform(0.5, 4.0)) if density is None else float(density)
    height, width = image.shape
    count = int(rng.poisson(density * height * width / 10_000))
    out = image.copy()
    if count == 0:
        return out
    # A third of the specks cluster around a few centres (dirty glass, toner smear).
    clustered = count // 3
    centres = rng.uniform([0, 0], [height, width], size=(max(1, count // 200 + 1), 2))
    picks = centres[rng.integers(0, len(centres), clustered)]
    cluster_points = picks + rng.normal(0, 12, size=(clustered, 2))
    uniform_points = rng.uniform([0, 0], [height, width], size=(count - clustered, 2))
    points = np.concatenate([cluster_points, uniform_points]).astype(np.int64)
    sizes = rng.choice([1, 1, 1, 2, 2, 3], size=len(points))
    darkness = rng.integers(0, 140, size=len(points)).astype(np.uint8)
    for dy in range(3):
        for dx in range(3):
            use = (sizes > dy) & (sizes > dx)
            ys = np.clip(points[use, 0] + dy, 0, height - 1)
            xs = np.clip(points[use, 1] + dx, 0, width - 1)
            out[ys, xs] = np.minimum(out[ys, xs], darkness[use])
    return out


def binarize(image: np.ndarray, rng: np.random.Generator, method: str | None = None) -> np.ndarray:
    """Black-and-white scan / fax: returns a 0/255 image.

    Args:
        image: uint8 (H, W).
        rng: the generator (draws the method and its parameters).
        method: one of `BINARIZATION_METHODS`: `"otsu"` (global), `"threshold"`
            (fixed level drawn in [110, 200]: thin or bold strokes), `"sauvola"`
            (local, keeps faint ink under shadows), `"dither"` (Floyd-Steinberg).
    """
    image = _check_gray(image)
    method = str(rng.choice(BINARIZATION_METHODS)) if method is None else method
    if method == "otsu":
        threshold = otsu_threshold(image)
        return np.where(image > threshold, 255, 0).astype(np.uint8)
    if method == "threshold":
        level = int(rng.integers(110, 201))
        return np.where(image > level, 255, 0).astype(np.uint8)
    if method == "sauvola":
        window = int(rng.choice([15, 25, 35]))
        k = float(rng.uniform(0.1, 0.3))
        values = image.astype(np.float32)
        mean = ndimage.uniform_filter(values, window)
        sq_mean = ndimage.uniform_filter(values * values, window)
        std = np.sqrt(np.maximum(sq_mean - mean * mean, 0))
        threshold = mean * (1 + k * (std / 128.0 - 1))
        return np.where(values > threshold, 255, 0).astype(np.uint8)
    if method == "dither":
        return np.asarray(Image.fromarray(image).convert("1"), dtype=np.uint8) * 255
    raise ValueError(f"method should be one of {BINARIZATION_METHODS} or None, got {method!r}.")


def paper_texture(
    image: np.ndarray, rng: np.random.Generator, strength: float | None = None
) -> np.ndarray:
    """Multiplies the page by a paper texture: tone, blotches, fine grain and a few fibres.

    `strength` (default drawn in [0.03, 0.15]) is the largest darkening of the paper.
    """
    image = _check_gray(image)
    strength = float(rng.uniform(0.03, 0.15)) if strength is None else float(strength)
    height, width = image.shape
    tone = float(rng.uniform(0.0, 0.5))
    blotches = smooth_field(rng, image.shape, int(rng.integers(4, 16)))
    grain = rng.random((height, width), dtype=np.float32)
    texture = 0.45 * tone + 0.35 * blotches + 0.2 * grain
    # Fibres: short faint curved strokes, drawn on a small list of random walks.
    fibres = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(0, 40))):
        y, x = rng.uniform(0, height), rng.uniform(0, width)
        heading = rng.uniform(0, 2 * np.pi)
        steps = np.cumsum(rng.normal(0, 0.15, int(rng.integers(10, 40)))) + heading
        ys = np.clip((y + np.cumsum(np.sin(steps))).astype(np.int64), 0, height - 1)
        xs = np.clip((x + np.cumsum(np.cos(steps))).astype(np.int64), 0, width - 1)
        fibres[ys, xs] = rng.uniform(0.3, 1.0)
    factor = 1.0 - strength * np.clip(texture + fibres, 0, 1.5)
    return _to_uint8(image.astype(np.float32) * factor)


# --- geometry ------------------------------------------------------------------------------------


def rotation_matrix(angle_degrees: float, size: tuple[int, int]) -> np.ndarray:
    """3x3 matrix rotating (x, y) pixel coordinates about the centre of an (H, W) image.

    Positive angles rotate counter-clockwise as seen on screen.
    """
    height, width = size
    theta = np.deg2rad(angle_degrees)
    cos, sin = np.cos(theta), np.sin(theta)
    cx, cy = width / 2.0, height / 2.0
    to_origin = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]], np.float64)
    rotation = np.array([[cos, sin, 0], [-sin, cos, 0], [0, 0, 1]], np.float64)
    back = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1]], np.float64)
    return back @ rotation @ to_origin


def perspective_matrix(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """3x3 homography mapping 4 source points (x, y) onto 4 target points."""
    source = np.asarray(source, np.float64).reshape(4, 2)
    target = np.asarray(target, np.float64).reshape(4, 2)
    rows, rhs = [], []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    coefficients = np.linalg.solve(np.asarray(rows), np.asarray(rhs))
    return np.append(coefficients, 1.0).reshape(3, 3)


def random_perspective_matrix(
    rng: np.random.Generator,
    size: tuple[int, int],
    strength: float | None = None,
    margin: float | None = None,
) -> np.ndarray:
    """A photographed-page homography: the page shrinks into the frame as a random quadrilateral.

    Args:
        rng: the generator.
        size: (H, W) of the image.
        strength: float, default drawn in [0.02, 0.09]. Corner jitter as a fraction of the size.
        margin: float, default drawn in [0.02, 0.08]. Border left around the page.
    """
    height, width = size
    strength = float(rng.uniform(0.02, 0.09)) if strength is None else float(strength)
    margin = float(rng.uniform(0.02, 0.08)) if margin is None else float(margin)
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    inset = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], np.float64) * margin * [width, height]
    jitter = rng.uniform(0, strength, size=(4, 2)) * [width, height]
    # Jitter inward only, so the page stays inside the frame and nothing is cut off.
    target = corners + inset + np.sign(inset) * jitter
    return perspective_matrix(corners, target)


def transform_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Applies a 3x3 homography to (N, 2) points (x, y)."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    homogeneous = np.concatenate([points, np.ones((len(points), 1))], axis=1) @ matrix.T
    return homogeneous[:, :2] / homogeneous[:, 2:3]


def transform_boxes(boxes: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Moves `xyxy` boxes: the box enclosing the 4 moved corners, clipped to the (H, W) image.

    Exact for the outline of an axis-aligned rectangle (a homography maps its
    edges to straight lines); an upper bound for other shapes.
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    if len(boxes) == 0:
        return np.zeros((0, 4), np.float32)
    x1, y1, x2, y2 = boxes.T
    corners = np.stack([x1, y1, x2, y1, x2, y2, x1, y2], axis=1).reshape(-1, 2)
    moved = transform_points(corners, matrix).reshape(-1, 4, 2)
    height, width = size
    out = np.concatenate([moved.min(axis=1), moved.max(axis=1)], axis=1)
    return np.clip(out, 0, [width, height, width, height]).astype(np.float32)


def warp(
    image: np.ndarray,
    matrix: np.ndarray,
    fill: int = 255,
    resample: int = Image.BILINEAR,
) -> np.ndarray:
    """Warps a 2-D uint8 array by a 3x3 homography (output pixel = input at inverse(matrix))."""
    inverse = np.linalg.inv(matrix)
    inverse = inverse / inverse[2, 2]
    height, width = image.shape
    warped = Image.fromarray(image).transform(
        (width, height), Image.PERSPECTIVE, tuple(inverse.ravel()[:8]), resample, fillcolor=fill
    )
    return np.asarray(warped)


def warp_label_map(label_map: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Warps a uint8 instance map (0 = background) with nearest-neighbour sampling."""
    return warp(label_map, matrix, fill=0, resample=Image.NEAREST)


def boxes_from_label_map(label_map: np.ndarray, count: int) -> np.ndarray:
    """Tight `xyxy` boxes of instances 1..count; a vanished instance gets all zeros."""
    boxes = np.zeros((count, 4), np.float32)
    for index, found in enumerate(ndimage.find_objects(label_map, max_label=count)):
        if found is not None:
            rows, cols = found
            boxes[index] = [cols.start, rows.start, cols.stop, rows.stop]
    return boxes


def rotate(
    image: np.ndarray,
    rng: np.random.Generator,
    angle: float | None = None,
    boxes: np.ndarray | None = None,
    fill: int = 255,
) -> tuple[np.ndarray, np.ndarray]:
    """Skews a scan by `angle` degrees (default drawn in [-3, 3]) about the centre.

    Returns `(image, boxes)`; `boxes` (xyxy pixels) are moved the same way, or an
    empty (0, 4) array when none are given.
    """
    image = _check_gray(image)
    angle = float(rng.uniform(-3.0, 3.0)) if angle is None else float(angle)
    matrix = rotation_matrix(angle, image.shape)
    moved = transform_boxes(np.zeros((0, 4)) if boxes is None else boxes, matrix, image.shape)
    return warp(image, matrix, fill=fill), moved


def perspective_warp(
    image: np.ndarray,
    rng: np.random.Generator,
    boxes: np.ndarray | None = None,
    strength: float | None = None,
    background: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A page photographed at an angle: random homography, page on a darker surface.

    Args:
        image: uint8 (H, W).
        rng: the generator.
        boxes: optional (N, 4) xyxy pixel boxes to move along.
        strength: see `random_perspective_matrix`.
        background: grey level around the page; default drawn in [40, 170].

    Returns:
        `(image, boxes)`, same size as the input.
    """
    image = _check_gray(image)
    background = int(rng.integers(40, 171)) if background is None else int(background)
    matrix = random_perspective_matrix(rng, image.shape, strength)
    moved = transform_boxes(np.zeros((0, 4)) if boxes is None else boxes, matrix, image.shape)
    return warp(image, matrix, fill=background), moved
