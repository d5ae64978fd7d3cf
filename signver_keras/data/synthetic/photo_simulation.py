"""Phone photos of document pages: the page in perspective on a desk or in a hand, lit unevenly.

`simulate_photo` takes a flat page (grayscale or RGB) and returns what a phone
camera would record: the page bent a little and warped in perspective onto a
procedural background (wood, fabric, desk, dark cloth, stone, a stack of other
sheets; no downloaded image), sometimes held by a thumb, lit by a lamp
gradient with a soft shadow, glare and vignetting, under a colour cast, then
defocus and motion blur, sensor noise, the phone's sharpening and JPEG. The
output is RGB so the colour of the ink survives.

Everything is drawn from the `numpy.random.Generator` passed in (the same
seed gives the same photo). Boxes move with the page: pass an instance map
(`label_map`, 0 = background) to get tight boxes read back from the warped
pixels, or `xyxy` boxes whose outline is mapped point by point. Objects under
the thumb are cut from the instance map, and boxes of mostly hidden objects are
flagged in `PhotoResult.visible`.

Example:
```python
import numpy as np
from signver_keras.data.synthetic.photo_simulation import PhotoStyle, simulate_photo

rng = np.random.default_rng(0)
page = np.full((1100, 850), 250, np.uint8)
page[700:760, 500:700] = 30  # a dark "signature"
photo = simulate_photo(page, rng, boxes=np.array([[500, 700, 700, 760]]))
photo.image.shape, photo.image.dtype  # (1100, 850, 3), uint8
photo.boxes  # where the box went in the photo
style = PhotoStyle.sample(np.random.default_rng(1))  # or fix every setting yourself
```
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from signver_keras.data.synthetic.degradations import (
    boxes_from_label_map,
    perspective_matrix,
    smooth_field,
    transform_points,
)

#: Surfaces a page can lie on.
BACKGROUNDS = ("wood", "fabric", "desk", "dark", "stone", "paper_stack")
_BACKGROUND_WEIGHTS = (0.3, 0.15, 0.2, 0.1, 0.1, 0.15)
#: A mostly hidden object (less than this share of its pixels visible) is flagged not visible.
MIN_VISIBLE_SHARE = 0.5
# Mesh cell side (pixels of the photo) of the piecewise warp.
_MESH_CELL = 32
# Points sampled along each box edge when boxes (not an instance map) are moved.
_EDGE_SAMPLES = 24

_WOODS = ((0.72, 0.55, 0.36), (0.45, 0.30, 0.19), (0.62, 0.38, 0.24), (0.78, 0.66, 0.5))
_FABRICS = ((0.20, 0.28, 0.45), (0.45, 0.45, 0.47), (0.70, 0.64, 0.52), (0.55, 0.18, 0.16))
_DESKS = ((0.85, 0.85, 0.83), (0.30, 0.30, 0.32), (0.78, 0.72, 0.60), (0.55, 0.62, 0.60))
_STONES = ((0.6, 0.58, 0.55), (0.35, 0.33, 0.32), (0.8, 0.76, 0.7))
_SKINS = ((0.93, 0.76, 0.65), (0.80, 0.60, 0.47), (0.62, 0.44, 0.33), (0.42, 0.29, 0.21))


@dataclass(frozen=True)
class PhotoStyle:
    """Every setting of one simulated photo; `PhotoStyle.sample(rng)` draws realistic ones.

    Args:
        background: one of `BACKGROUNDS`.
        hand: bool. A thumb holds the page at one edge (a palm shows behind it).
        page_fill: float. Longer page side as a fraction of the frame that holds it.
        rotation: float. In-plane rotation of the page, degrees.
        tilt: float. Perspective strength: corner displacement as a fraction of page size.
        bend: float. Page curl: largest bulge as a fraction of the page height.
        lighting: float in [0, 1). Darkening across the frame along a random direction.
        shadow: float in [0, 1). Darkening inside a soft shadow (phone, hand, person).
        glare: float in [0, 1). Strength of a lamp's specular spot on the page.
        vignetting: float in [0, 1). Darkening at the frame corners.
        white_balance: (r, g, b) multipliers: the colour cast left after auto white balance.
        exposure: float. Overall brightness (paper reaches about this level).
        haze: float. Veiling glare lifting the blacks (lens flare, dirty lens).
        defocus: float. Gaussian blur sigma (pixels) at the sharpest point.
        defocus_gradient: float. Extra blur sigma across the tilted page (depth of field).
        motion: float. Length in pixels of the hand-shake blur.
        motion_angle: float. Its direction, degrees.
        noise: float. Sensor noise standard deviation at full brightness (0-1 scale).
        sharpen: float. Strength of the phone's unsharp mask (0 = none).
        jpeg_quality: int. JPEG quality of the saved photo.
    """

    background: str = "wood"
    hand: bool = False
    page_fill: float = 0.85
    rotation: float = 0.0
    tilt: float = 0.05
    bend: float = 0.0
    lighting: float = 0.2
    shadow: float = 0.0
    glare: float = 0.0
    vignetting: float = 0.2
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)
    exposure: float = 0.9
    haze: float = 0.02
    defocus: float = 0.5
    defocus_gradient: float = 0.0
    motion: float = 0.0
    motion_angle: float = 0.0
    noise: float = 0.02
    sharpen: float = 0.5
    jpeg_quality: int = 80

    def __post_init__(self):
        if self.background not in BACKGROUNDS:
            raise ValueError(
                f"background should be one of {BACKGROUNDS}; received {self.background!r}."
            )
        if not 0.2 <= self.page_fill <= 1.2:
            raise ValueError(f"page_fill should be in [0.2, 1.2]; received {self.page_fill}.")
        if not 1 <= int(self.jpeg_quality) <= 100:
            raise ValueError(f"jpeg_quality should be in [1, 100]; received {self.jpeg_quality}.")

    @classmethod
    def sample(cls, rng: np.random.Generator) -> PhotoStyle:
        """Settings drawn in the ranges seen on phone photos of documents."""
        warm = float(rng.normal(0.0, 0.4))  # > 0: tungsten left-over, < 0: cool daylight
        tint = float(rng.normal(0.0, 0.02))
        white_balance = (1.0 + 0.08 * warm, 1.0 + 0.02 * warm + tint, 1.0 - 0.1 * warm)
        return cls(
            background=str(rng.choice(BACKGROUNDS, p=_BACKGROUND_WEIGHTS)),
            hand=bool(rng.random() < 0.25),
            page_fill=float(rng.uniform(0.72, 0.99)),
            rotation=float(rng.normal(0.0, 4.0)),
            tilt=float(rng.uniform(0.0, 0.12)),
            bend=float(rng.uniform(0.0, 0.025)) * float(rng.choice([-1.0, 1.0])),
            lighting=float(rng.uniform(0.0, 0.45)),
            shadow=float(rng.uniform(0.2, 0.6)) if rng.random() < 0.45 else 0.0,
            glare=float(rng.uniform(0.1, 0.5)) if rng.random() < 0.2 else 0.0,
            vignetting=float(rng.uniform(0.05, 0.45)),
            white_balance=white_balance,
            exposure=float(rng.uniform(0.7, 1.05)),
            haze=float(rng.uniform(0.0, 0.12)),
            defocus=float(rng.uniform(0.0, 1.4)),
            defocus_gradient=float(rng.uniform(0.0, 1.2)) if rng.random() < 0.4 else 0.0,
            motion=float(rng.uniform(1.0, 5.0)) if rng.random() < 0.25 else 0.0,
            motion_angle=float(rng.uniform(0.0, 180.0)),
            noise=float(rng.uniform(0.008, 0.05)),
            sharpen=float(rng.uniform(0.0, 1.2)),
            jpeg_quality=int(rng.integers(45, 93)),
        )


@dataclass
class PhotoResult:
    """A simulated photo.

    Args:
        image: uint8 `(H, W, 3)` RGB photo.
        boxes: float32 `(N, 4)` xyxy boxes in photo pixels, one per input box or instance.
        visible: bool `(N,)`: at least `MIN_VISIBLE_SHARE` of the object is in the photo.
        label_map: uint8 `(H, W)` warped instance map (None when none was given).
    """

    image: np.ndarray
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    visible: np.ndarray = field(default_factory=lambda: np.zeros((0,), bool))
    label_map: np.ndarray | None = None


# --- geometry ------------------------------------------------------------------------------------


class _PageToPhoto:
    """The page-to-photo mapping: a curl along one page axis, then a homography."""

    def __init__(self, rng: np.random.Generator, page_shape, frame_shape, style: PhotoStyle):
        height, width = page_shape
        frame_h, frame_w = frame_shape
        self.page_shape = (height, width)
        scale = style.page_fill * min(frame_w / width, frame_h / height)
        theta = np.deg2rad(style.rotation)
        rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
        centred = (corners - [width / 2, height / 2]) * scale
        # Keystone: one side further from the camera, plus independent corner jitter.
        side = int(rng.integers(4))
        keystone = np.zeros((4, 2))
        near = [(0, 1), (1, 2), (2, 3), (3, 0)][side]
        for index in near:
            keystone[index] = -centred[index] * style.tilt * rng.uniform(0.5, 1.5)
        jitter = rng.normal(0, 0.35, (4, 2)) * style.tilt * scale * np.array([width, height])
        target = (centred + keystone + jitter) @ rotation.T
        slack = np.array([frame_w, frame_h]) - (target.max(0) - target.min(0))
        offset = rng.uniform(-0.5, 0.5, 2) * np.maximum(slack, 0) * 0.8
        target += np.array([frame_w / 2, frame_h / 2]) - (target.max(0) + target.min(0)) / 2
        self.matrix = perspective_matrix(corners, target + offset)
        self.inverse = np.linalg.inv(self.matrix)
        # The curl moves y by a smooth function of x (or x by y): exactly invertible.
        self.bend_axis = int(rng.integers(2))
        self.bend_px = style.bend * height
        self.bend_phase = float(rng.uniform(0.0, 0.3))
        self.bend_second = float(rng.uniform(-0.35, 0.35))

    def _bend(self, points: np.ndarray, sign: float) -> np.ndarray:
        if self.bend_px == 0:
            return points
        height, width = self.page_shape
        along = points[:, 0] / width if self.bend_axis == 0 else points[:, 1] / height
        u = np.clip(along, 0.0, 1.0)
        shift = self.bend_px * (
            np.sin(np.pi * u + self.bend_phase) + self.bend_second * np.sin(2 * np.pi * u)
        )
        moved = points.copy()
        moved[:, 1 - self.bend_axis] += sign * shift
        return moved

    def forward(self, points: np.ndarray) -> np.ndarray:
        """Page pixels (x, y) -> photo pixels."""
        return transform_points(self._bend(np.asarray(points, np.float64), 1.0), self.matrix)

    def backward(self, points: np.ndarray) -> np.ndarray:
        """Photo pixels (x, y) -> page pixels."""
        return self._bend(transform_points(points, self.inverse), -1.0)

    def area_ratio(self) -> float:
        """Photo pixels per page pixel (area of the moved page outline over the page's)."""
        height, width = self.page_shape
        corners = self.forward([[0, 0], [width, 0], [width, height], [0, height]])
        x, y = corners[:, 0], corners[:, 1]
        area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
        return float(area / (height * width))

    def mesh(self, frame_shape) -> list:
        """PIL MESH data: for every photo cell, the page quad it shows."""
        frame_h, frame_w = frame_shape
        xs = np.unique(np.append(np.arange(0, frame_w, _MESH_CELL), frame_w))
        ys = np.unique(np.append(np.arange(0, frame_h, _MESH_CELL), frame_h))
        grid_x, grid_y = np.meshgrid(xs, ys)
        source = self.backward(np.stack([grid_x.ravel(), grid_y.ravel()], 1)).reshape(
            len(ys), len(xs), 2
        )
        data = []
        for r in range(len(ys) - 1):
            for c in range(len(xs) - 1):
                quad = (
                    *source[r, c],
                    *source[r + 1, c],
                    *source[r + 1, c + 1],
                    *source[r, c + 1],
                )
                data.append(((int(xs[c]), int(ys[r]), int(xs[c + 1]), int(ys[r + 1])), quad))
        return data

    def move_boxes(self, boxes: np.ndarray, frame_shape) -> np.ndarray:
        """Boxes enclosing each moved box outline, clipped to the photo."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        if not len(boxes):
            return np.zeros((0, 4), np.float32)
        t = np.linspace(0.0, 1.0, _EDGE_SAMPLES)
        out = []
        for x1, y1, x2, y2 in boxes:
            xs = np.concatenate([x1 + (x2 - x1) * t, np.full_like(t, x2), x1 + (x2 - x1) * t])
            ys = np.concatenate([np.full_like(t, y1), y1 + (y2 - y1) * t, np.full_like(t, y2)])
            xs = np.concatenate([xs, np.full_like(t, x1)])
            ys = np.concatenate([ys, y1 + (y2 - y1) * t])
            moved = self.forward(np.stack([xs, ys], 1))
            out.append([*moved.min(0), *moved.max(0)])
        frame_h, frame_w = frame_shape
        limit = [frame_w, frame_h, frame_w, frame_h]
        return np.clip(np.asarray(out), 0, limit).astype(np.float32)


# --- procedural backgrounds ----------------------------------------------------------------------


def _colour(rng: np.random.Generator, palette, spread: float = 0.06) -> np.ndarray:
    base = np.asarray(palette[int(rng.integers(len(palette)))], np.float32)
    return np.clip(base + rng.normal(0, spread, 3).astype(np.float32), 0.03, 0.97)


def _stretched_noise(rng: np.random.Generator, shape, angle: float, cells=(6, 220)) -> np.ndarray:
    """Noise smooth along `angle` and fine across it (wood grain, brushed surfaces)."""
    height, width = shape
    side = int(np.hypot(height, width)) + 2
    grid = rng.random(cells).astype(np.float32)
    field = Image.fromarray(grid, mode="F").resize((side, side), Image.BICUBIC)
    field = field.rotate(angle, Image.BILINEAR)
    top, left = (side - height) // 2, (side - width) // 2
    return np.asarray(field)[top : top + height, left : left + width]


def _wood(rng: np.random.Generator, shape) -> np.ndarray:
    height, width = shape
    angle = float(rng.choice([0.0, 90.0]) + rng.normal(0, 4))
    grain = _stretched_noise(rng, shape, angle, (int(rng.integers(3, 8)), 260))
    rings = _stretched_noise(rng, shape, angle, (4, int(rng.integers(12, 30))))
    wave = 0.5 + 0.5 * np.sin(2 * np.pi * (rings * rng.uniform(2, 5) + grain * 0.4))
    fine = 0.45 * wave + 0.35 * grain + 0.2 * smooth_field(rng, shape, 5)
    base = _colour(rng, _WOODS, 0.03)
    texture = base * (0.72 + 0.45 * fine[..., None])
    # Plank seams: thin dark lines along the grain.
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    theta = np.deg2rad(angle)
    across = -xx * np.sin(theta) + yy * np.cos(theta)
    plank = rng.uniform(0.25, 0.6) * max(shape)
    seams = np.abs(((across + rng.uniform(0, plank)) % plank) - plank / 2) > plank / 2 - 1.5
    texture[seams] *= 0.55
    return texture


def _fabric(rng: np.random.Generator, shape) -> np.ndarray:
    height, width = shape
    period = rng.uniform(2.5, 6.0)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    weave = np.sin(2 * np.pi * xx / period) * np.sin(2 * np.pi * yy / period)
    threads = rng.random((height, width), dtype=np.float32)
    folds = smooth_field(rng, shape, int(rng.integers(2, 5)))
    value = 0.8 + 0.08 * weave + 0.08 * threads + 0.3 * (folds - 0.5)
    return _colour(rng, _FABRICS) * value[..., None]


def _desk(rng: np.random.Generator, shape) -> np.ndarray:
    smudges = smooth_field(rng, shape, int(rng.integers(3, 9)))
    grain = rng.random(shape, dtype=np.float32)
    value = 0.92 + 0.1 * (smudges - 0.5) + 0.04 * grain
    return _colour(rng, _DESKS) * value[..., None]


def _dark(rng: np.random.Generator, shape) -> np.ndarray:
    value = 0.06 + 0.1 * smooth_field(rng, shape, 4) + 0.03 * rng.random(shape, dtype=np.float32)
    tint = np.clip(1 + rng.normal(0, 0.15, 3), 0.6, 1.4).astype(np.float32)
    return value[..., None] * tint


def _stone(rng: np.random.Generator, shape) -> np.ndarray:
    coarse = smooth_field(rng, shape, int(rng.integers(20, 60)))
    speckle = (rng.random(shape, dtype=np.float32) < 0.04) * rng.uniform(-0.3, 0.3)
    value = 0.75 + 0.3 * (coarse - 0.5) + speckle
    return _colour(rng, _STONES) * value[..., None]


def _paper_stack(rng: np.random.Generator, shape, geometry: _PageToPhoto) -> np.ndarray:
    """A desk with other sheets lying under the page, shifted and turned a little."""
    scene = (_wood if rng.random() < 0.5 else _desk)(rng, shape)
    height, width = geometry.page_shape
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    for _ in range(int(rng.integers(1, 3))):
        theta = np.deg2rad(rng.normal(0, 6))
        rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        moved = (corners - [width / 2, height / 2]) @ rotation.T + [width / 2, height / 2]
        moved += rng.normal(0, 0.06, 2) * [width, height]
        polygon = [tuple(p) for p in geometry.forward(moved)]
        mask = Image.new("L", (shape[1], shape[0]), 0)
        ImageDraw.Draw(mask).polygon(polygon, fill=255)
        alpha = np.asarray(mask, np.float32)[..., None] / 255.0
        sheet = np.float32(rng.uniform(0.82, 0.97)) * np.clip(1 + rng.normal(0, 0.02, 3), 0, 1.1)
        scene = scene * (1 - alpha) + sheet.astype(np.float32) * alpha
    return scene


def _background(rng: np.random.Generator, shape, style: PhotoStyle, geometry) -> np.ndarray:
    makers = {"wood": _wood, "fabric": _fabric, "desk": _desk, "dark": _dark, "stone": _stone}
    if style.background == "paper_stack":
        return _paper_stack(rng, shape, geometry).astype(np.float32)
    return np.clip(makers[style.background](rng, shape), 0, 1).astype(np.float32)


# --- the hand ----------------------------------------------------------------------------------


def _capsule(draw: ImageDraw.ImageDraw, start, end, width: float) -> None:
    draw.line([tuple(start), tuple(end)], fill=255, width=max(1, int(width)))
    for point in (start, end):
        r = width / 2
        draw.ellipse([point[0] - r, point[1] - r, point[0] + r, point[1] + r], fill=255)


def _hand_masks(rng: np.random.Generator, frame_shape, geometry: _PageToPhoto):
    """(palm mask drawn under the page, thumb mask over it, nail mask), float in [0, 1]."""
    frame_h, frame_w = frame_shape
    height, width = geometry.page_shape
    edge = int(rng.choice([0, 1, 1, 2, 3, 3]))  # top, right, bottom, left; sides most often
    t = rng.uniform(0.25, 0.75)
    on_edge = [(t * width, 0), (width, t * height), (t * width, height), (0, t * height)][edge]
    inward = [(0, 1), (-1, 0), (0, -1), (1, 0)][edge]
    point = np.asarray(on_edge, np.float64)
    inner = point + np.asarray(inward) * 0.05 * min(width, height)
    p, q = geometry.forward(np.stack([point, inner]))
    normal = (q - p) / max(np.linalg.norm(q - p), 1e-6)
    tangent = np.array([-normal[1], normal[0]])
    page_px = np.linalg.norm(geometry.forward([[0, 0]])[0] - geometry.forward([[width, 0]])[0])
    thumb_width = page_px * rng.uniform(0.065, 0.095)
    overlap = thumb_width * rng.uniform(0.6, 1.2)
    tilt = rng.normal(0, 0.3)
    direction = normal * np.cos(tilt) + tangent * np.sin(tilt)
    tip = p + direction * overlap
    base = p - direction * thumb_width * rng.uniform(1.5, 2.5)

    size = (frame_w, frame_h)
    palm, thumb, nail = (Image.new("L", size, 0) for _ in range(3))
    # The palm lies behind the sheet beyond its edge; the fingers behind the sheet are hidden.
    centre = p - normal * thumb_width * rng.uniform(2.2, 3.2) + tangent * thumb_width * rng.normal()
    along, across = thumb_width * rng.uniform(2.5, 3.2), thumb_width * rng.uniform(1.8, 2.5)
    outline = [
        centre + tangent * along * np.cos(a) + normal * across * np.sin(a)
        for a in np.linspace(0, 2 * np.pi, 48)
    ]
    ImageDraw.Draw(palm).polygon([tuple(point) for point in outline], fill=255)
    middle = (base + tip) / 2
    _capsule(ImageDraw.Draw(thumb), base - direction * thumb_width, middle, thumb_width * 1.12)
    _capsule(ImageDraw.Draw(thumb), middle, tip, thumb_width * 0.92)
    nail_centre = tip - direction * thumb_width * 0.45
    _capsule(
        ImageDraw.Draw(nail),
        nail_centre - direction * thumb_width * 0.15,
        nail_centre + direction * thumb_width * 0.15,
        thumb_width * 0.55,
    )
    soften = ImageFilter.GaussianBlur(float(max(0.8, thumb_width * 0.04)))
    return tuple(np.asarray(m.filter(soften), np.float32) / 255.0 for m in (palm, thumb, nail))


def _skin(rng: np.random.Generator, mask: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Skin shaded darker toward the outline of `mask`."""
    radius = max(2.0, float(np.sqrt(mask.sum()) * 0.08))
    blurred = Image.fromarray((mask * 255).astype(np.uint8))
    blurred = blurred.filter(ImageFilter.GaussianBlur(float(radius)))
    inside = np.clip((np.asarray(blurred, np.float32) / 255.0 - 0.3) * 1.8, 0, 1)
    shade = 0.62 + 0.38 * inside + 0.03 * rng.standard_normal(mask.shape, dtype=np.float32)
    return colour * shade[..., None]


# --- light, optics, sensor ---------------------------------------------------------------------


def _illumination(rng: np.random.Generator, frame_shape, style: PhotoStyle) -> np.ndarray:
    """Per-pixel light level: gradient, soft shadow and vignetting, built small and upsampled."""
    frame_h, frame_w = frame_shape
    small_h, small_w = max(8, frame_h // 8), max(8, frame_w // 8)
    yy, xx = np.mgrid[0 : 1 : complex(0, small_h), 0 : 1 : complex(0, small_w)].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xx + np.sin(angle) * yy
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    light = 1.0 - style.lighting * ramp
    if style.shadow > 0:
        mask = Image.new("L", (small_w, small_h), 0)
        side = int(rng.integers(4))
        along = rng.uniform(0.1, 0.9)
        anchor = [(along, 0), (1, along), (along, 1), (0, along)][side]
        cx, cy = anchor[0] * small_w, anchor[1] * small_h
        rx, ry = rng.uniform(0.2, 0.6) * small_w, rng.uniform(0.2, 0.6) * small_h
        ImageDraw.Draw(mask).ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=255)
        blur = rng.uniform(0.02, 0.07) * max(small_w, small_h)
        soft = np.asarray(mask.filter(ImageFilter.GaussianBlur(float(blur))), np.float32) / 255.0
        light = light * (1.0 - style.shadow * soft)
    radius = (xx - 0.5) ** 2 + (yy - 0.5) ** 2
    light = light * (1.0 - style.vignetting * np.clip(radius / 0.5, 0, 1) ** 1.5)
    field = Image.fromarray(light.astype(np.float32), mode="F").resize(
        (frame_w, frame_h), Image.BICUBIC
    )
    return np.asarray(field, np.float32)


def _glare(rng: np.random.Generator, frame_shape, strength: float) -> np.ndarray:
    frame_h, frame_w = frame_shape
    yy, xx = np.mgrid[0:frame_h, 0:frame_w].astype(np.float32)
    cy, cx = rng.uniform(0.15, 0.85) * frame_h, rng.uniform(0.15, 0.85) * frame_w
    ry, rx = rng.uniform(0.05, 0.2) * frame_h, rng.uniform(0.05, 0.2) * frame_w
    return strength * np.exp(-(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2) / 2)


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    if sigma < 0.15:
        return image
    pil = Image.fromarray(np.clip(np.rint(image * 255), 0, 255).astype(np.uint8))
    return np.asarray(pil.filter(ImageFilter.GaussianBlur(float(sigma))), np.float32) / 255.0


def _motion_blur(image: np.ndarray, length: float, angle: float) -> np.ndarray:
    if length < 1.0:
        return image
    steps = max(2, int(round(length)) + 1)
    offsets = np.linspace(-length / 2, length / 2, steps)
    dx, dy = np.cos(np.deg2rad(angle)), np.sin(np.deg2rad(angle))
    out = np.zeros_like(image)
    for offset in offsets:
        shift = (int(round(offset * dy)), int(round(offset * dx)))
        out += np.roll(image, shift, axis=(0, 1))
    return out / steps


def _sensor_noise(rng: np.random.Generator, image: np.ndarray, level: float) -> np.ndarray:
    """Shot noise growing with brightness plus read noise; chroma noise is blotchy (demosaicing)."""
    height, width = image.shape[:2]
    sigma = np.sqrt(level**2 * image + (0.3 * level) ** 2)
    luma = rng.standard_normal((height, width), dtype=np.float32)[..., None]
    small = rng.standard_normal(((height + 1) // 2, (width + 1) // 2, 3), dtype=np.float32)
    chroma = np.repeat(np.repeat(small, 2, axis=0), 2, axis=1)[:height, :width]
    return image + sigma * (luma + 0.6 * chroma)


def _as_rgb(page: np.ndarray) -> np.ndarray:
    page = np.asarray(page)
    if page.dtype != np.uint8 or page.ndim not in (2, 3) or (page.ndim == 3 and page.shape[2] != 3):
        raise ValueError(
            "page should be a uint8 array of shape (H, W) or (H, W, 3). "
            f"Got shape={page.shape}, dtype={page.dtype}."
        )
    return np.repeat(page[..., None], 3, axis=2) if page.ndim == 2 else page


# --- public API ---------------------------------------------------------------------------------


def simulate_photo(
    page: np.ndarray,
    rng: np.random.Generator,
    boxes: np.ndarray | None = None,
    label_map: np.ndarray | None = None,
    style: PhotoStyle | None = None,
    size: tuple[int, int] | None = None,
) -> PhotoResult:
    """Photographs a flat page with a phone, deterministically from `rng`.

    Args:
        page: uint8 `(H, W)` grayscale or `(H, W, 3)` RGB page, flat and upright.
        rng: the generator; every random choice comes from it.
        boxes: optional float `(N, 4)` xyxy page-pixel boxes to move along.
        label_map: optional uint8 `(H, W)` instance map (0 = background, 1..N objects);
            when given, boxes are read back tight from the warped map (N = its maximum,
            or `len(boxes)` when boxes are given too).
        style: a `PhotoStyle`; default `PhotoStyle.sample(rng)`.
        size: `(height, width)` of the photo; default the page's.

    Returns:
        A `PhotoResult` (RGB image, moved boxes, visibility flags, warped instance map).
    """
    rgb = _as_rgb(page)
    height, width = rgb.shape[:2]
    if label_map is not None and np.shape(label_map) != (height, width):
        raise ValueError(
            f"label_map should have the page's shape {(height, width)}; "
            f"received {np.shape(label_map)}."
        )
    frame = (int(size[0]), int(size[1])) if size is not None else (height, width)
    if min(frame) < 32:
        raise ValueError(f"size should be (height, width) with both >= 32; received {size!r}.")
    style = PhotoStyle.sample(rng) if style is None else style
    geometry = _PageToPhoto(rng, (height, width), frame, style)
    mesh = geometry.mesh(frame)
    frame_wh = (frame[1], frame[0])

    scene = _background(rng, frame, style, geometry)
    palm = thumb = nail = None
    if style.hand:
        palm, thumb, nail = _hand_masks(rng, frame, geometry)
        skin = _colour(rng, _SKINS, 0.04)
        scene = scene * (1 - palm[..., None]) + _skin(rng, palm, skin) * palm[..., None]
    warped = Image.fromarray(rgb).transform(frame_wh, Image.MESH, mesh, Image.BILINEAR)
    alpha = Image.new("L", (width, height), 255).transform(
        frame_wh, Image.MESH, mesh, Image.BILINEAR, fillcolor=0
    )
    alpha = np.asarray(alpha, np.float32)[..., None] / 255.0
    scene = scene * (1 - alpha) + np.asarray(warped, np.float32) / 255.0 * alpha
    if style.hand:
        # The thumb's soft shadow falls on the page, then the thumb covers it.
        shift = np.roll(thumb, (int(rng.integers(2, 8)), int(rng.integers(-6, 7))), axis=(0, 1))
        shadow = _blur(np.repeat(shift[..., None], 3, 2), max(1.0, frame[0] / 200))[..., :1]
        scene = scene * (1 - 0.45 * shadow)
        skin_colour = _colour(rng, _SKINS, 0.04)
        scene = scene * (1 - thumb[..., None]) + _skin(rng, thumb, skin_colour) * thumb[..., None]
        nail_colour = np.clip(skin_colour * 1.08 + 0.06, 0, 1)
        scene = scene * (1 - 0.8 * nail[..., None]) + nail_colour * 0.8 * nail[..., None]

    light = _illumination(rng, frame, style)[..., None]
    scene = scene * light * np.asarray(style.white_balance, np.float32) * style.exposure
    if style.glare > 0:
        spot = _glare(rng, frame, style.glare)[..., None] * alpha
        scene = scene + spot * (1.0 - scene)
    scene = scene * (1 - style.haze) + style.haze * float(scene.mean())

    scene = _blur(np.clip(scene, 0, 1), style.defocus)
    if style.defocus_gradient > 0:
        farther = _blur(scene, style.defocus + style.defocus_gradient)
        angle = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0 : 1 : complex(0, frame[0]), 0 : 1 : complex(0, frame[1])]
        ramp = np.clip(np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5) + 0.5, 0, 1)
        scene = scene + (farther - scene) * ramp[..., None].astype(np.float32)
    scene = _motion_blur(scene, style.motion, style.motion_angle)
    scene = _sensor_noise(rng, np.clip(scene, 0, 1), style.noise)

    image = Image.fromarray(np.clip(np.rint(scene * 255), 0, 255).astype(np.uint8))
    if style.sharpen > 0:
        image = image.filter(
            ImageFilter.UnsharpMask(radius=1.6, percent=int(100 * style.sharpen), threshold=2)
        )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=int(style.jpeg_quality))
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        photo = np.asarray(decoded.convert("RGB"))

    count = len(boxes) if boxes is not None else 0
    moved_map = None
    if label_map is not None:
        label_map = np.asarray(label_map, np.uint8)
        count = count or int(label_map.max())
        moved_map = np.asarray(
            Image.fromarray(label_map).transform(frame_wh, Image.MESH, mesh, Image.NEAREST),
            np.uint8,
        )
        if thumb is not None:
            moved_map = np.where(thumb > 0.5, 0, moved_map).astype(np.uint8)
        # Visible share: instance pixels left in the photo (frame crop and thumb removed)
        # against the pixels the page's scale in the photo would give them.
        source = np.bincount(label_map.ravel(), minlength=count + 1)[1 : count + 1]
        after = np.bincount(moved_map.ravel(), minlength=count + 1)[1 : count + 1]
        visible = after >= MIN_VISIBLE_SHARE * source * geometry.area_ratio()
        moved = boxes_from_label_map(moved_map, count)
    else:
        moved = geometry.move_boxes(np.zeros((0, 4)) if boxes is None else boxes, frame)
        visible = (moved[:, 2] - moved[:, 0] >= 1) & (moved[:, 3] - moved[:, 1] >= 1)
        if thumb is not None and len(moved):
            for index, (x1, y1, x2, y2) in enumerate(moved.astype(int)):
                covered = thumb[y1:y2, x1:x2] > 0.5
                if covered.size and covered.mean() > 1 - MIN_VISIBLE_SHARE:
                    visible[index] = False
    return PhotoResult(photo, moved.astype(np.float32), visible, moved_map)
