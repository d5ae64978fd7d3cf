"""Pen trajectories (x, y, pressure) rendered as scan-like signature images.

Online signature collections record where the pen went, not what the paper
looked like. `render_trajectory` turns one trajectory into the kind of image a
user scans or photographs: stroke width from pressure and speed, a pen
(ballpoint, gel, felt tip, or pencil with grainy, broken, faint strokes), an
ink colour, paper tone and texture, a resolution from 100 to 600 dpi, then
scanner blur, noise and JPEG. `RenderStyle.sample` draws all of it from a
seed, so a fresh style per epoch is the training augmentation and a fixed
seed per signature makes evaluation reproducible.

Example:
```python
import numpy as np
from signver_keras.data.synthetic.trajectory_rendering import RenderStyle, render_trajectory

t = np.linspace(0, 6 * np.pi, 400)
points = np.stack([t * 10, 20 * np.sin(t), np.full_like(t, 0.8)], 1)  # x, y (up), pressure
image = render_trajectory(points, RenderStyle.sample(np.random.default_rng(0)))
image.dtype, image.ndim  # uint8, 2: dark ink on light paper
```
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from signver_keras.data.synthetic.page_elements import signature_strokes

PENS = ("ballpoint", "gel", "felt", "pencil")

# (R, G, B) of common inks; pencil graphite is grey whatever the ink.
INKS = {
    "black": (25, 25, 30),
    "blue": (20, 40, 150),
    "dark blue": (15, 25, 80),
    "violet": (70, 40, 120),
}
GRAPHITE = (70, 70, 75)

MM_PER_INCH = 25.4
# Rendering never exceeds this many pixels on the longer side (the shared collections keep
# <= 1000 px), so a 600-dpi rendering of a long signature stays cheap.
MAX_SIDE = 1000
SUPERSAMPLE = 2


@dataclass(frozen=True)
class RenderStyle:
    """Everything that decides how one trajectory looks on paper.

    Args:
        pen: one of `PENS`.
        ink: (R, G, B) of the ink at full density.
        darkness: float in (0, 1]. Density of a fully pressed stroke (pencil: 0.2-0.6).
        width_mm: float. Stroke width at full pressure, in millimetres.
        pressure_effect: float in [0, 1]. How much low pressure thins the stroke.
        speed_effect: float in [0, 1]. How much fast pen movement thins the stroke.
        height_mm: float. Height of the signature's ink on paper, in millimetres.
        dpi: float. Scan resolution: sets the pixel size of everything above.
        slant: float. Extra shear in degrees (a writer's day-to-day variation).
        rotation: float. Rotation of the paper in degrees.
        paper: int. Paper grey level (255 = white).
        texture: float. Strength of the paper's blotches and grain.
        blur: float. Gaussian blur sigma in pixels (scanner optics, defocus).
        noise: float. Sensor noise sigma in grey levels.
        jpeg_quality: int or None. JPEG re-encoding quality, None for a lossless scan.
        color: bool. Return (H, W, 3) RGB instead of (H, W) grayscale.
    """

    pen: str = "ballpoint"
    ink: tuple[int, int, int] = INKS["black"]
    darkness: float = 0.9
    width_mm: float = 0.5
    pressure_effect: float = 0.5
    speed_effect: float = 0.3
    height_mm: float = 18.0
    dpi: float = 200.0
    slant: float = 0.0
    rotation: float = 0.0
    paper: int = 245
    texture: float = 0.05
    blur: float = 0.5
    noise: float = 2.0
    jpeg_quality: int | None = None
    color: bool = False

    def __post_init__(self) -> None:
        if self.pen not in PENS:
            raise ValueError(f"pen should be one of {PENS}; received '{self.pen}'.")
        if not 0 < self.darkness <= 1:
            raise ValueError(f"darkness should be in (0, 1]; received {self.darkness}.")
        if self.dpi <= 0 or self.height_mm <= 0 or self.width_mm <= 0:
            raise ValueError(
                "dpi, height_mm and width_mm should be positive; received "
                f"dpi={self.dpi}, height_mm={self.height_mm}, width_mm={self.width_mm}."
            )

    @classmethod
    def sample(cls, rng: np.random.Generator, color: bool = False) -> RenderStyle:
        """A random pen, paper and scanner within the ranges users' scans show."""
        pen = str(rng.choice(PENS, p=[0.45, 0.2, 0.15, 0.2]))
        width_mm = {
            "ballpoint": rng.uniform(0.25, 0.6),
            "gel": rng.uniform(0.35, 0.8),
            "felt": rng.uniform(0.7, 1.6),
            "pencil": rng.uniform(0.25, 0.7),
        }[pen]
        darkness = rng.uniform(0.2, 0.6) if pen == "pencil" else rng.uniform(0.6, 1.0)
        ink = GRAPHITE if pen == "pencil" else list(INKS.values())[rng.integers(len(INKS))]
        return cls(
            pen=pen,
            ink=tuple(int(c) for c in ink),
            darkness=float(darkness),
            width_mm=float(width_mm),
            pressure_effect=float(rng.uniform(0.1, 0.8) if pen != "felt" else rng.uniform(0, 0.3)),
            speed_effect=float(rng.uniform(0.0, 0.5)),
            height_mm=float(rng.uniform(10, 30)),
            # Log-uniform: as many 100-200 dpi scans as 300-600 dpi ones.
            dpi=float(np.exp(rng.uniform(np.log(100), np.log(600)))),
            slant=float(rng.normal(0, 4)),
            rotation=float(rng.normal(0, 3)),
            paper=int(rng.integers(180, 256)),
            texture=float(rng.uniform(0, 0.12)),
            blur=float(rng.uniform(0, 1.2)),
            noise=float(rng.uniform(0, 6)),
            jpeg_quality=int(rng.integers(35, 95)) if rng.random() < 0.5 else None,
            color=color,
        )


def split_strokes(points: np.ndarray) -> list[np.ndarray]:
    """The pen-down runs of a trajectory: consecutive samples with pressure > 0.

    Pen-up samples (pressure 0) start a new stroke and are never drawn, so no
    line joins the end of one stroke to the start of the next.
    """
    points = _check_points(points)
    down = points[:, 2] > 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], down.astype(np.int8), [0]])))
    return [points[start:stop] for start, stop in zip(edges[::2], edges[1::2], strict=True)]


def _check_points(points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, np.float64)
    if points.ndim != 2 or points.shape[1] != 3:
        raise ValueError(
            f"A trajectory should have shape (N, 3) = x, y, pressure. Got shape={points.shape}."
        )
    if not np.isfinite(points).all():
        raise ValueError("A trajectory should hold finite numbers; it contains NaN or inf.")
    return points


def _place(
    strokes: list[np.ndarray], style: RenderStyle, max_side: int
) -> tuple[list[np.ndarray], tuple[int, int], float]:
    """Strokes in supersampled canvas pixels (y down), the canvas size, and px per mm."""
    every = np.concatenate([s[:, :2] for s in strokes])
    centre = (every.min(0) + every.max(0)) / 2
    shear = np.tan(np.deg2rad(style.slant))
    angle = np.deg2rad(style.rotation)
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = []
    for stroke in strokes:
        xy = stroke[:, :2] - centre
        xy[:, 1] = -xy[:, 1]  # tablets count y upwards, images downwards
        xy[:, 0] = xy[:, 0] - xy[:, 1] * shear
        moved.append(xy @ rotate.T)
    every = np.concatenate(moved)
    low, high = every.min(0), every.max(0)
    extent = np.maximum(high - low, 1e-6)
    # Very wide, flat trajectories (a long underline) are sized by their width instead.
    wanted = style.height_mm * style.dpi / MM_PER_INCH / max(extent[1], extent[0] / 8)
    # Long signatures at high dpi are capped (the collections stop at MAX_SIDE px too): the
    # pen then shrinks with them, as in a scan at that lower resolution.
    scale = min(wanted, (max_side - 16) / extent.max())
    px_per_mm = style.dpi / MM_PER_INCH * scale / wanted
    pad = 4 + 2 * style.width_mm * px_per_mm
    size = np.ceil((extent * scale + 2 * pad) * SUPERSAMPLE).astype(int) + 1
    placed = [((xy - low) * scale + pad) * SUPERSAMPLE for xy in moved]
    return placed, (int(size[1]), int(size[0])), px_per_mm


def _stroke_widths(stroke: np.ndarray, xy: np.ndarray, style: RenderStyle, px: float):
    """Per-segment width in supersampled pixels: thinner where pressure is low or the pen fast."""
    pressure = stroke[:, 2]
    step = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    speed = step / max(float(np.median(step)) * 3, 1e-6) if len(step) else step
    thin = (
        1
        - style.pressure_effect * (1 - pressure[:-1])
        - style.speed_effect * np.clip(speed - 0.3, 0, 1)
    )
    return np.maximum(style.width_mm * px * SUPERSAMPLE * np.clip(thin, 0.25, 1), 1.0)


def _ink_coverage(
    strokes: list[np.ndarray], placed: list[np.ndarray], size, style: RenderStyle, px: float
) -> np.ndarray:
    """Ink coverage in [0, 1] on the supersampled canvas."""
    canvas = Image.new("L", (size[1], size[0]), 0)
    draw = ImageDraw.Draw(canvas)
    for stroke, xy in zip(strokes, placed, strict=True):
        if len(xy) == 1:
            r = style.width_mm * px * SUPERSAMPLE / 2
            draw.ellipse([xy[0, 0] - r, xy[0, 1] - r, xy[0, 0] + r, xy[0, 1] + r], fill=255)
            continue
        widths = _stroke_widths(stroke, xy, style, px)
        for (x1, y1), (x2, y2), width in zip(xy[:-1], xy[1:], widths, strict=True):
            draw.line([(x1, y1), (x2, y2)], fill=255, width=int(round(width)))
            r = width / 2
            draw.ellipse([x2 - r, y2 - r, x2 + r, y2 + r], fill=255)
    return np.asarray(canvas, np.float32) / 255.0


def _pen_texture(coverage: np.ndarray, style: RenderStyle, rng: np.random.Generator):
    """How each pen deposits ink: grain, skips, soft edges."""
    if style.pen == "pencil":
        # Graphite sits on the paper's tooth: a fine grain decides which pixels take it.
        grain = ndimage.gaussian_filter(rng.random(coverage.shape, dtype=np.float32), 0.7)
        grain = (grain - grain.mean()) / (grain.std() + 1e-6)
        coverage = coverage * np.clip(0.55 + 0.45 * grain, 0, 1)
    elif style.pen == "ballpoint":
        # Ballpoints skip and blob a little along the stroke.
        field = ndimage.gaussian_filter(rng.random(coverage.shape, dtype=np.float32), 6)
        field = (field - field.mean()) / (field.std() + 1e-6)
        coverage = coverage * np.clip(0.85 + 0.2 * field, 0.3, 1)
    elif style.pen == "felt":
        coverage = np.clip(ndimage.gaussian_filter(coverage, SUPERSAMPLE * 0.8) * 1.3, 0, 1)
    return coverage


def _paper(shape: tuple[int, int], style: RenderStyle, rng: np.random.Generator) -> np.ndarray:
    """(H, W, 3) float paper: a tone, slow blotches and fine grain."""
    blotches = ndimage.zoom(
        rng.random((4, 8), dtype=np.float32),
        (shape[0] / 4, shape[1] / 8),
        order=3,
        grid_mode=True,
        mode="nearest",
    )[: shape[0], : shape[1]]
    grain = rng.random(shape, dtype=np.float32)
    tone = style.paper * (1 - style.texture * (0.6 * blotches + 0.4 * grain))
    tint = np.array([1.0, 0.99, 0.96]) if style.paper < 235 else np.ones(3)
    return tone[..., None] * tint


def render_trajectory(
    points: np.ndarray, style: RenderStyle | None = None, seed: int = 0, max_side: int = MAX_SIDE
) -> np.ndarray:
    """Renders one pen trajectory as a scanned signature.

    Args:
        points: (N, 3) array of x, y (growing upwards, tablet units) and pressure
            (any scale; 0 = pen up). Pen-up samples are never drawn.
        style: the pen, paper and scanner (`RenderStyle.sample(rng)` draws one).
            Defaults to `RenderStyle()`: black ballpoint on white paper at 200 dpi.
        seed: int. Seeds the pen texture, paper and noise: the same points,
            style and seed give the same image.
        max_side: int. Longest side in pixels; a larger rendering is made at a
            lower resolution instead (training renders use less to save time).

    Returns:
        uint8 array, (H, W) grayscale or (H, W, 3) RGB when `style.color`:
        dark ink on light paper.
    """
    style = style or RenderStyle()
    rng = np.random.default_rng(seed)
    strokes = split_strokes(points)
    if not strokes:
        raise ValueError("The trajectory has no pen-down sample (every pressure is 0).")
    # Tablets report pressure on their own scales (100, 255, 1023 levels): use the fraction of
    # this signature's firm pressure, so one stroke lighter than another is drawn thinner.
    firm = float(np.percentile(np.concatenate([s[:, 2] for s in strokes]), 98))
    strokes = [np.column_stack([s[:, :2], np.clip(s[:, 2] / firm, 0, 1)]) for s in strokes]
    placed, size, px = _place(strokes, style, max_side)
    coverage = _pen_texture(_ink_coverage(strokes, placed, size, style, px), style, rng)
    coverage = _downsample(coverage)
    paper = _paper(coverage.shape, style, rng)
    alpha = (coverage * style.darkness)[..., None]
    image = paper * (1 - alpha) + np.asarray(style.ink, np.float32) * alpha
    if style.blur > 0:
        image = ndimage.gaussian_filter(image, (style.blur, style.blur, 0))
    if style.noise > 0:
        image = image + rng.normal(0, style.noise, image.shape)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    pil = Image.fromarray(image, "RGB")
    if not style.color:
        pil = pil.convert("L")
    if style.jpeg_quality is not None:
        buffer = io.BytesIO()
        pil.save(buffer, format="JPEG", quality=style.jpeg_quality)
        pil = Image.open(io.BytesIO(buffer.getvalue()))
    return np.asarray(pil)


def _downsample(coverage: np.ndarray) -> np.ndarray:
    height, width = coverage.shape[0] // SUPERSAMPLE, coverage.shape[1] // SUPERSAMPLE
    trimmed = coverage[: height * SUPERSAMPLE, : width * SUPERSAMPLE]
    return trimmed.reshape(height, SUPERSAMPLE, width, SUPERSAMPLE).mean(axis=(1, 3))


def synthetic_trajectory(seed: int) -> np.ndarray:
    """One of the project's own synthetic signatures as a pen trajectory (no real data).

    Returns (N, 3) x, y (growing upwards), pressure, with a pen-up sample
    (pressure 0) after each stroke, ready for `render_trajectory`.
    """
    parts = []
    for points, pressure in signature_strokes(np.random.default_rng(seed)):
        parts.append(np.column_stack([points[:, 0], -points[:, 1], pressure]))
        parts.append([[points[-1, 0], -points[-1, 1], 0.0]])
    return np.concatenate(parts).astype(np.float32)
