"""(noisy, clean) training pairs for the signature cleaner.

The clean target is the ink of a signature crop with its background removed
(`clean = 255 - 255 * ink_intensity(crop)`); the noisy input lays that ink over
the clutter of a real document: ruled lines, printed text under and through the
strokes, a stamp, paper texture and scan noise. All pieces come from
`page_elements` and `degradations`; no geometric transform is applied, so input
and target stay pixel-aligned.

Example:
```python
import numpy as np
from signver_keras.data.synthetic.cleaning_pairs import make_pair
from signver_keras.data.synthetic.page_elements import synthetic_signature

crop = (255 - 255 * synthetic_signature(np.random.default_rng(0), 80)).astype(np.uint8)
noisy, clean = make_pair(crop, seed=1)  # both uint8, same shape as crop
```
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from signver_keras.data.synthetic import degradations as D
from signver_keras.data.synthetic import page_elements as E
from signver_keras.utils.ink import ink_intensity

#: Share of pairs whose signature ink is faint and grainy (pencil, dry pen).
FAINT_SHARE = 0.3


def _check_crop(crop: np.ndarray) -> np.ndarray:
    if not isinstance(crop, np.ndarray) or crop.dtype != np.uint8 or crop.ndim != 2:
        raise ValueError(
            "clean_signature should be a uint8 grayscale array of shape (H, W). Got "
            f"shape={getattr(crop, 'shape', None)}, dtype={getattr(crop, 'dtype', type(crop))}."
        )
    if min(crop.shape) < 8:
        raise ValueError(f"clean_signature should be at least 8x8 pixels, got {crop.shape}.")
    return crop


def _clutter(rng: np.random.Generator, shape: tuple[int, int], ink_height: int) -> np.ndarray:
    """Printed clutter around a signature: text lines, ruled lines, a form box (0-255, white)."""
    height, width = shape
    layer = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(layer)
    fill = int(rng.integers(0, 90))
    size = max(7, int(ink_height * rng.uniform(0.08, 0.22)))
    font = E.get_font(str(rng.choice(["serif", "sans", "mono"])), size, rng)
    if rng.random() < 0.7:  # text lines under and through the strokes
        y = int(rng.uniform(-size, height * 0.4))
        x = int(rng.uniform(-width * 0.2, width * 0.2))
        E.draw_paragraph(draw, rng, x, y, int(width * 1.2), font, int(rng.integers(1, 6)), fill)
    if rng.random() < 0.75:  # the signature line
        y = int(height * rng.uniform(0.55, 0.95))
        E.draw_rule(draw, 0, width, y, int(rng.integers(1, 3)), fill)
        if rng.random() < 0.5:
            draw.text((int(rng.uniform(0, width * 0.3)), y + 3), "Signature", font=font, fill=fill)
    if rng.random() < 0.3:  # a form box crossing the crop
        x1, y1 = int(rng.uniform(-20, width * 0.3)), int(rng.uniform(-20, height * 0.3))
        x2, y2 = (
            int(rng.uniform(width * 0.7, width + 20)),
            int(rng.uniform(height * 0.7, height + 20)),
        )
        draw.rectangle((x1, y1, x2, y2), outline=fill, width=1)
    if rng.random() < 0.25:  # dotted leader line
        y = int(height * rng.uniform(0.5, 0.9))
        for x in range(0, width, 6):
            draw.point((x, y), fill=fill)
    return np.asarray(layer, np.float32) / 255.0


def make_pair(clean_signature: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Builds one (noisy, clean) pair from a grayscale signature crop.

    Args:
        clean_signature: uint8 (H, W) crop, dark ink on light paper (a real crop
            or a rendered synthetic signature).
        seed: int. Same crop and seed, same pair.

    Returns:
        `(noisy, clean)`, uint8 arrays of the crop's shape. `clean` is
        `255 - 255 * ink_intensity(crop)`: the ink on pure white.

    Example:
    ```python
    noisy, clean = make_pair(crop, seed=3)
    ```
    """
    crop = _check_crop(clean_signature)
    rng = np.random.default_rng(seed)
    ink = ink_intensity(crop)
    clean = np.clip(np.rint(255.0 - 255.0 * ink), 0, 255).astype(np.uint8)
    height, width = crop.shape
    rows = np.flatnonzero(ink.any(axis=1))
    ink_height = int(rows[-1] - rows[0] + 1) if rows.size else height

    page = _clutter(rng, crop.shape, ink_height)
    if rng.random() < 0.3:
        stamp, darkness = E.stamp(rng, int(max(height, width) * rng.uniform(0.4, 0.9)))
        x = int(rng.uniform(-stamp.shape[1] / 2, width - stamp.shape[1] / 2))
        y = int(rng.uniform(-stamp.shape[0] / 2, height - stamp.shape[0] / 2))
        E.composite_ink(page, stamp, x, y, darkness)
    # The signature's own ink, a little lighter or darker than in the crop (pen colour);
    # in FAINT_SHARE of the pairs faint and grainy, like pencil or a dry pen, so the
    # cleaner learns to keep strokes barely darker than the paper.
    if rng.random() < FAINT_SHARE:
        grain = ndimage.gaussian_filter(rng.random(ink.shape), 0.7)
        grain = np.clip((grain - grain.mean()) / (grain.std() + 1e-6) * 0.35 + 0.8, 0.2, 1.0)
        E.composite_ink(page, ink * grain, 0, 0, float(rng.uniform(0.15, 0.45)))
    else:
        E.composite_ink(page, ink, 0, 0, float(rng.uniform(0.6, 1.0)))
    if rng.random() < 0.2:  # text printed over the ink (a later typed line)
        over = _clutter(np.random.default_rng(rng.integers(2**32)), crop.shape, ink_height)
        page *= np.where(rng.random() < 0.5, over, 1.0)
    noisy = np.clip(np.rint(page * 255), 0, 255).astype(np.uint8)
    noisy = D.paper_texture(noisy, rng)
    if rng.random() < 0.3:
        noisy = D.uneven_illumination(noisy, rng, float(rng.uniform(0.05, 0.3)))
    if rng.random() < 0.4:
        noisy = D.blur(noisy, rng, float(rng.uniform(0.3, 0.9)))
    if rng.random() < 0.3:
        noisy = D.photocopy_speckle(noisy, rng)
    if rng.random() < 0.5:
        noisy = D.contrast_brightness(noisy, rng)
    if rng.random() < 0.6:
        noisy = D.gaussian_noise(noisy, rng, float(rng.uniform(1.5, 10.0)))
    if rng.random() < 0.4:
        noisy = D.jpeg_artifacts(noisy, rng, int(rng.integers(30, 90)))
    return noisy, clean


def contact_sheet(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    path: str | os.PathLike,
    columns: int = 2,
    cell_width: int = 260,
) -> Path:
    """Writes a PNG grid of (noisy | clean) pairs side by side.

    Example:
    ```python
    contact_sheet([make_pair(crop, s) for s in range(8)], "docs/images/cleaning_pairs.png")
    ```
    """
    if not pairs:
        raise ValueError("contact_sheet needs at least one pair; received an empty list.")
    tiles = []
    for noisy, clean in pairs:
        scale = cell_width / noisy.shape[1]
        size = (cell_width, max(1, int(round(noisy.shape[0] * scale))))
        left = Image.fromarray(noisy).resize(size, Image.LANCZOS)
        right = Image.fromarray(clean).resize(size, Image.LANCZOS)
        tile = Image.new("L", (2 * cell_width + 4, size[1]), 128)
        tile.paste(left, (0, 0))
        tile.paste(right, (cell_width + 4, 0))
        tiles.append(tile)
    cell_h = max(t.height for t in tiles)
    rows = (len(tiles) + columns - 1) // columns
    header = 20
    sheet = Image.new("L", (columns * (2 * cell_width + 16), rows * (cell_h + 8) + header), 255)
    draw = ImageDraw.Draw(sheet)
    font = E.get_font("sans", 12)
    for c in range(columns):
        x = c * (2 * cell_width + 16) + 4
        draw.text((x, 3), "noisy input", fill=0, font=font)
        draw.text((x + cell_width + 4, 3), "clean target", fill=0, font=font)
    for index, tile in enumerate(tiles):
        r, c = divmod(index, columns)
        sheet.paste(tile, (c * (2 * cell_width + 16) + 4, header + r * (cell_h + 8)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)
    return path
