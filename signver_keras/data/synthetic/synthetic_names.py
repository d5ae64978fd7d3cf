"""Synthetic writers who sign their name: letter shapes from handwriting fonts.

`SyntheticWriter` (stroke oscillators) has no letter shapes, and its forgeries
are near-copies, so it did not help the extractor (README, realism table). A
`NameWriter` signs a name drawn in one of the shipped handwriting fonts,
with a personal size, slant, letter spacing, baseline curve, pen width and
(often) an underline flourish. Its genuine signatures vary the way one person's
do: a slow elastic warp, per-letter jitter of a pixel or two, slightly different
slant and pen width. A skilled forger writes the same name with the same
letter shapes (usually) but their own spacing, slant, proportions and pen, drawn
slowly: per-letter misplacement, a tremor on every stroke, a flourish redrawn
from memory. Some forgers reach for another handwriting style altogether
(the "same name, different hand" impostor).

Example:
```python
from signver_keras.data.synthetic.synthetic_names import NameWriter
writer = NameWriter(seed=7)
references = [writer.genuine(i) for i in range(3)]  # uint8, ink dark on white
forgery = writer.skilled_forgery(0, forger=1)
```
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import ndimage

from signver_keras.data.synthetic.page_elements import FONT_DIR, find_fonts, load_font

_SYLLABLES = (
    "van de ber gen hof man son ter ko la mi ra sch en dijk stra ma ri el an os ka wa "
    "li ner ton ham ford berg ley ow ic ez da vi no sa ta lu go"
).split()
_FIRST = (
    "Jan Piet Anna Maria Kees Ingrid Johan Els Luuk Sanne Hugo Eva Tom Lisa Bram Noor Daan "
    "Emma Sem Julia Ahmed Mei Ravi Olga Pablo Sofia Ken Yuki Omar Lena Ivan Chen"
).split()


@functools.lru_cache(maxsize=1)
def handwriting_fonts() -> tuple[str, ...]:
    """The shipped handwriting font files; a clear error if the install lost them."""
    paths = sorted({str(p) for kind in ("script", "print_hand") for p in find_fonts(kind)})
    if not paths:
        raise RuntimeError(
            f"NameWriter needs the handwriting fonts shipped in {FONT_DIR}, and found none "
            "there: this install of signver-keras is incomplete. Reinstall it "
            "(pip install --force-reinstall signver-keras)."
        )
    return tuple(paths)


def random_signed_name(rng: np.random.Generator) -> str:
    """A name as people sign it: 'J. Vanderberg', 'Eva Koster', 'Lisa', 'JvB', ..."""
    parts = rng.choice(_SYLLABLES, size=int(rng.integers(2, 4)))
    surname = "".join(parts).capitalize()
    first = str(rng.choice(_FIRST))
    form = rng.integers(5)
    if form == 0:
        return f"{first[0]}. {surname}"
    if form == 1:
        return f"{first} {surname}"
    if form == 2:
        return surname
    if form == 3:
        return f"{first[0]}{surname[0]}{surname[1:3].lower()}"
    return f"{first} {surname[0]}."


def _warp(ink: np.ndarray, rng: np.random.Generator, amplitude: float, wavelength: float):
    """Displaces every pixel along a smooth random field (amplitude px, wavelength px).

    The field is drawn on a coarse grid and upsampled: cheap, and smooth by construction.
    """
    if amplitude <= 0:
        return ink
    grid = (max(2, int(ink.shape[0] / wavelength) + 2), max(2, int(ink.shape[1] / wavelength) + 2))
    zoom = (ink.shape[0] / grid[0], ink.shape[1] / grid[1])
    shift = [
        ndimage.zoom(rng.normal(0, amplitude, grid), zoom, order=3, grid_mode=True, mode="nearest")
        for _ in range(2)
    ]
    rows, cols = np.meshgrid(np.arange(ink.shape[0]), np.arange(ink.shape[1]), indexing="ij")
    return ndimage.map_coordinates(ink, [rows + shift[0], cols + shift[1]], order=1)


@dataclass(frozen=True)
class _Hand:
    """How a hand draws a name: everything but the per-sample noise."""

    font: str
    size: int
    slant: float  # degrees, positive leans right
    spacing: float  # advance multiplier
    baseline_curve: float  # px of arc over the name
    pen: int  # odd dilation kernel (1 = the font's own weight)
    flourish: tuple[float, ...] | None  # underline: start, end, sag (fractions / px)


@dataclass
class NameWriter:
    """One synthetic person signing a name, deterministic from `seed`."""

    seed: int
    name: str = field(init=False)
    hand: _Hand = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng([self.seed, 0])
        self.name = random_signed_name(rng)
        fonts = handwriting_fonts()
        self.hand = _Hand(
            font=fonts[int(rng.integers(len(fonts)))],
            size=int(rng.integers(44, 72)),
            slant=float(rng.uniform(-8, 30)),
            spacing=float(rng.uniform(0.8, 1.15)),
            baseline_curve=float(rng.normal(0, 6)),
            pen=int(rng.choice([1, 1, 3, 3, 5])),
            flourish=_random_flourish(rng) if rng.random() < 0.5 else None,
        )

    def genuine(self, sample: int) -> np.ndarray:
        """One genuine signature (uint8 grayscale, ink dark on white)."""
        rng = np.random.default_rng([self.seed, 1, sample])
        return _draw(self.name, self.hand, rng, letter_jitter=1.0, warp=1.5, tremor=0.0)

    def skilled_forgery(self, sample: int, forger: int = 0) -> np.ndarray:
        """An imitation of this writer's signature by forger `forger` (uint8 grayscale)."""
        traits = np.random.default_rng([self.seed, 2, forger])
        hand = self.hand
        fonts = handwriting_fonts()
        forged = _Hand(
            font=fonts[int(traits.integers(len(fonts)))] if traits.random() < 0.25 else hand.font,
            size=int(hand.size * traits.uniform(0.85, 1.15)),
            slant=hand.slant + float(traits.normal(0, 6)),
            spacing=hand.spacing * float(traits.uniform(0.88, 1.12)),
            baseline_curve=hand.baseline_curve + float(traits.normal(0, 4)),
            pen=max(1, hand.pen + 2 * int(traits.integers(-1, 2))),
            flourish=_random_flourish(traits, like=hand.flourish) if hand.flourish else None,
        )
        rng = np.random.default_rng([self.seed, 3, forger, sample])
        return _draw(self.name, forged, rng, letter_jitter=2.5, warp=3.0, tremor=0.9)


def _random_flourish(rng: np.random.Generator, like: tuple[float, ...] | None = None):
    if like is None:
        return (float(rng.uniform(-0.1, 0.3)), float(rng.uniform(0.7, 1.15)), rng.normal(0, 8))
    start, end, sag = like
    return (start + rng.normal(0, 0.08), end + rng.normal(0, 0.08), sag + rng.normal(0, 5))


def _crop(ink: np.ndarray, margin: int) -> np.ndarray:
    rows, cols = np.nonzero(ink > 0.1)
    if not len(rows):
        raise RuntimeError("The font drew no ink for this name.")
    top, left = max(0, rows.min() - margin), max(0, cols.min() - margin)
    return ink[top : rows.max() + 1 + margin, left : cols.max() + 1 + margin]


def _draw(
    name: str,
    hand: _Hand,
    rng: np.random.Generator,
    letter_jitter: float,
    warp: float,
    tremor: float,
) -> np.ndarray:
    size = max(12, int(hand.size * np.exp(rng.normal(0, 0.05))))
    font = load_font(hand.font, size)
    spacing = hand.spacing * np.exp(rng.normal(0, 0.03))
    width = int(sum(font.getlength(c) for c in name) * spacing * 1.3 + 2 * size)
    height = 3 * size
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    x, curve = 0.5 * size, hand.baseline_curve + rng.normal(0, 1.5)
    for i, char in enumerate(name):
        t = i / max(1, len(name) - 1)
        y = size * 0.8 - curve * 4 * t * (1 - t) + rng.normal(0, letter_jitter)
        draw.text((x + rng.normal(0, letter_jitter), y), char, fill=255, font=font)
        x += font.getlength(char) * spacing
    if hand.flourish:
        start, end, sag = hand.flourish
        xs = np.linspace(0.5 * size + start * x, end * x, 24)
        base = size * 2.0 + rng.normal(0, letter_jitter)
        arc = sag * 4 * np.linspace(0, 1, 24) * (1 - np.linspace(0, 1, 24))
        ys = base + arc + np.cumsum(rng.normal(0, 0.3 + tremor, 24))
        draw.line(np.stack([xs, ys], 1).ravel().tolist(), fill=255, width=max(2, size // 18))
    pen = max(1, hand.pen + 2 * int(rng.random() < 0.1) * (1 if rng.random() < 0.5 else -1))
    if pen > 1:
        canvas = canvas.filter(ImageFilter.MaxFilter(pen))
    slant = np.tan(np.radians(hand.slant + rng.normal(0, 1.5)))
    canvas = canvas.transform(
        (width + height, height),
        Image.Transform.AFFINE,
        (1, slant, -slant * height, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )
    ink = _crop(np.asarray(canvas, np.float32) / 255.0, margin=8)
    ink = _warp(ink, rng, warp, wavelength=size * 1.2)
    if tremor:
        ink = _warp(ink, rng, tremor, wavelength=6)
    ink = _crop(ink, margin=0)
    darkness = float(rng.uniform(0.75, 0.95))
    return np.clip(255.0 * (1.0 - np.pad(ink, 12) * darkness), 0, 255).astype(np.uint8)
