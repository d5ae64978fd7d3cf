"""Handwriting that is not a signature, and signatures in pens that are hard to see.

Filled-in cheques and forms carry handwritten names, amounts, dates and
addresses next to the signature; a detector must learn to leave them alone.
A `Hand` is one person's writing: either pen trajectories (cursive words whose
letter heights follow the letters written, handwritten digits and punctuation
from stroke templates, rendered with `page_elements.render_strokes`) or one
handwriting font, with that person's slant, letter width and pen. Every field a
person fills in on a page comes from the same `Hand`, as on a real form.

`styled_signature` draws a synthetic signature with a pencil, a dry or lightly
pressed pen, a fine liner or grey ink: the faint and thin strokes that get lost
when a 300-dpi page is shrunk for the detector.

Patches follow `page_elements`: float32 (h, w) ink in [0, 1], cropped tight.

Example:
```python
import numpy as np
from signver_keras.data.synthetic.handwriting import Hand, styled_signature

rng = np.random.default_rng(0)
hand = Hand.sample(rng)
payee = hand.write(rng, "Mary Johnson", x_height=12)  # (h, w) float32 ink
amount = hand.write(rng, "1,250.00", x_height=12)
ink, darkness, colour = styled_signature(rng, height=180, style="pencil", dpi=300)
```
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from signver_keras.data.synthetic import page_elements as E

#: Pens that are hard to see once a page is shrunk.
INK_STYLES = ("pencil", "faint", "thin", "grey")
#: Writing methods of a `Hand`: pen trajectories, a cursive font, a print-hand font.
WRITING_METHODS = ("pen", "script", "print")
#: RGB (0-1) of pens at full density, and how often each is used.
PEN_INKS = {
    "blue": (0.12, 0.2, 0.58),
    "black": (0.1, 0.1, 0.12),
    "dark blue": (0.08, 0.1, 0.32),
    "violet": (0.32, 0.16, 0.48),
    "green": (0.1, 0.36, 0.22),
    "red": (0.62, 0.1, 0.1),
}
_PEN_INK_WEIGHTS = (0.42, 0.36, 0.13, 0.04, 0.03, 0.02)
GRAPHITE = (0.36, 0.36, 0.38)
GREY_INK = (0.5, 0.5, 0.52)
MM_PER_INCH = 25.4

_ASCENDERS = set("bdfhklt")
_DESCENDERS = set("gjpqyz")
_NARROW = set("ijlrtf")
_WIDE = set("mwMW")

# Digits and punctuation as pen strokes in x-height units (y down, baseline 0, digits 1.9 tall).
_GLYPHS: dict[str, tuple[tuple[tuple[float, float], ...], ...]] = {
    "0": (((0.35, -1.9), (0.08, -1.4), (0.06, -0.5), (0.33, 0.0), (0.6, -0.5), (0.6, -1.45),
           (0.33, -1.9)),),
    "1": (((0.12, -1.5), (0.36, -1.9), (0.36, 0.0)),),
    "2": (((0.06, -1.45), (0.3, -1.9), (0.58, -1.65), (0.52, -1.05), (0.05, 0.0), (0.68, 0.0)),),
    "3": (((0.08, -1.7), (0.4, -1.92), (0.6, -1.5), (0.3, -1.0), (0.64, -0.55), (0.42, 0.0),
           (0.05, -0.2)),),
    "4": (((0.48, 0.0), (0.48, -1.9), (0.05, -0.6), (0.7, -0.6)),),
    "5": (((0.6, -1.9), (0.16, -1.9), (0.1, -1.05), (0.5, -1.15), (0.64, -0.55), (0.38, 0.0),
           (0.05, -0.2)),),
    "6": (((0.55, -1.9), (0.16, -1.2), (0.1, -0.4), (0.35, 0.0), (0.6, -0.4), (0.5, -0.9),
           (0.14, -0.7)),),
    "7": (((0.04, -1.9), (0.66, -1.9), (0.24, 0.0)),),
    "8": (((0.55, -1.65), (0.34, -1.92), (0.1, -1.6), (0.5, -0.95), (0.6, -0.3), (0.34, 0.0),
           (0.08, -0.3), (0.2, -0.95), (0.6, -1.6), (0.36, -1.92)),),
    "9": (((0.58, -1.55), (0.34, -1.05), (0.08, -1.45), (0.34, -1.92), (0.6, -1.6), (0.54, 0.0)),),
    ".": (((0.08, -0.06), (0.12, 0.0)),),
    ",": (((0.12, -0.1), (0.04, 0.35)),),
    "/": (((0.55, -1.95), (0.02, 0.15)),),
    "-": (((0.05, -0.9), (0.45, -0.92)),),
    "$": (((0.58, -1.65), (0.32, -1.85), (0.08, -1.5), (0.55, -0.65), (0.32, -0.05),
           (0.04, -0.3)), ((0.32, -2.15), (0.32, 0.2))),
    "*": (((0.05, -1.7), (0.45, -1.1)), ((0.45, -1.7), (0.05, -1.1))),
    ":": (((0.08, -1.0), (0.1, -0.95)), ((0.08, -0.1), (0.1, -0.05))),
    "#": (((0.2, -1.7), (0.12, 0.0)), ((0.48, -1.7), (0.4, 0.0)), ((0.0, -1.2), (0.6, -1.2)),
          ((0.0, -0.5), (0.6, -0.5))),
    "'": (((0.1, -1.9), (0.06, -1.4)),),
    "&": (((0.65, 0.0), (0.1, -1.3), (0.3, -1.9), (0.5, -1.5), (0.05, -0.5), (0.3, 0.0),
           (0.62, -0.7)),),
}  # fmt: skip


def _chaikin(points: np.ndarray, rounds: int = 3) -> np.ndarray:
    """Smooths a polyline by corner cutting, keeping its end points."""
    for _ in range(rounds):
        if len(points) < 3:
            return points
        q = 0.75 * points[:-1] + 0.25 * points[1:]
        r = 0.25 * points[:-1] + 0.75 * points[1:]
        middle = np.stack([q, r], axis=1).reshape(-1, 2)
        points = np.concatenate([points[:1], middle, points[-1:]])
    return points


def _pressure(rng: np.random.Generator, count: int) -> np.ndarray:
    """Pen pressure along a stroke: slow variation, tapered at both ends."""
    knots = max(2, count // 15)
    slow = np.interp(np.linspace(0, knots - 1, count), np.arange(knots), rng.uniform(-1, 1, knots))
    taper = np.minimum(1.0, np.minimum(np.arange(count) + 1, count - np.arange(count)) / 4.0)
    return np.clip((0.7 + 0.3 * slow) * (0.45 + 0.55 * taper), 0.2, 1.0)


@dataclass(frozen=True)
class Hand:
    """One person's handwriting.

    Args:
        method: one of `WRITING_METHODS`: `"pen"` (pen trajectories), `"script"` or `"print"`
            (a handwriting font).
        slant: float. Shear of the writing in degrees (positive leans right).
        letter_width: float. Advance of a lowercase letter in x-heights (pen method).
        loop: float. Size of the loops of tall letters in x-heights (pen method).
        pen_width: float. Stroke width in pixels per 10 px of x-height.
        font_index: int. Which font of the method's kind (font methods).
    """

    method: str = "pen"
    slant: float = 15.0
    letter_width: float = 0.9
    loop: float = 0.25
    pen_width: float = 1.6
    font_index: int = 0

    def __post_init__(self):
        if self.method not in WRITING_METHODS:
            raise ValueError(
                f"method should be one of {WRITING_METHODS}; received {self.method!r}."
            )

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Hand:
        """A random writer; font methods only where the fonts are installed."""
        fonts = {"script": "script", "print": "print_hand"}
        methods = ["pen", "pen"] + [name for name, kind in fonts.items() if E.find_fonts(kind)]
        return cls(
            method=str(rng.choice(methods)),
            slant=float(rng.uniform(-8, 28)),
            letter_width=float(rng.uniform(0.75, 1.15)),
            loop=float(rng.uniform(0.1, 0.35)),
            pen_width=float(rng.uniform(1.0, 2.4)),
            font_index=int(rng.integers(0, 1000)),
        )

    def write(self, rng: np.random.Generator, text: str, x_height: float) -> np.ndarray:
        """`text` in this hand as an ink patch, lowercase letters about `x_height` px tall."""
        if not text.strip():
            raise ValueError(f"text should contain something to write; received {text!r}.")
        x_height = max(3.0, float(x_height))
        pen = max(0.8, self.pen_width * x_height / 10)
        if self.method == "pen":
            strokes = writing_strokes(rng, text, self.letter_width, self.loop)
            every = np.concatenate([points for points, _ in strokes])
            extent = float(every[:, 1].max() - every[:, 1].min())
            height = int(round(extent * x_height + 2 * pen))
            return E.render_strokes(strokes, rng, height, slant=self.slant, pen_width=pen)
        fonts = E.find_fonts("script" if self.method == "script" else "print_hand")
        if not fonts:  # a damaged install without the fonts: write with the pen
            return Hand("pen", self.slant, self.letter_width, self.loop, self.pen_width).write(
                rng, text, x_height
            )
        path = fonts[self.font_index % len(fonts)]
        return _font_text(rng, text, str(path), int(round(x_height * 2.1)), self.slant)


def _font_text(rng: np.random.Generator, text: str, path: str, size: int, slant: float):
    font = E.load_font(path, max(8, size))
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    x1, y1, x2, y2 = probe.textbbox((0, 0), text, font=font)
    pad = size
    canvas = Image.new("L", (x2 - x1 + 2 * pad, y2 - y1 + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - x1, pad - y1), text, font=font, fill=255)
    shear = np.tan(np.deg2rad(slant * 0.5))  # the fonts lean already
    canvas = canvas.transform(
        canvas.size, Image.AFFINE, (1, shear, -shear * canvas.height / 2, 0, 1, 0), Image.BILINEAR
    )
    canvas = canvas.rotate(float(rng.uniform(-2.5, 2.5)), Image.BILINEAR)
    ink = np.asarray(canvas, np.float32) / 255.0
    return E.trim(ink * (0.85 + 0.15 * rng.random(ink.shape, dtype=np.float32)))


def _cursive_run(
    rng: np.random.Generator, letters: str, x0: float, letter_width: float, loop: float
) -> tuple[np.ndarray, list[np.ndarray], float]:
    """One connected cursive run: (points, i-dots and t-bars, x where it ends).

    x oscillates while it drifts right and y rises once per letter, to the
    letter's height (Hollerbach's coupled oscillations, as in signatures, but
    with heights and widths following the letters actually written).
    """
    per = 24
    count = len(letters)
    heights, steps = np.empty(count), np.empty(count)
    for index, char in enumerate(letters):
        if char.isupper():
            heights[index] = rng.uniform(2.0, 2.4)
        elif char in _ASCENDERS:
            heights[index] = rng.uniform(1.75, 2.05)
        elif char in _DESCENDERS:
            heights[index] = -rng.uniform(0.75, 0.95)
        else:
            heights[index] = rng.uniform(0.9, 1.1)
        width = 0.6 if char in _NARROW else 1.35 if char in _WIDE else 1.0
        steps[index] = letter_width * width * rng.uniform(0.9, 1.1)
    loops = np.where(np.abs(heights) > 1.5, loop, 0.0) + rng.uniform(0.0, 0.06, count)
    t = np.linspace(0, count, count * per + 1)
    index = np.minimum(t.astype(int), count - 1)
    phase = 2 * np.pi * (t - index)
    kernel = np.hanning(per // 2)
    kernel /= kernel.sum()

    def smooth(values: np.ndarray) -> np.ndarray:
        return np.convolve(np.pad(values, per // 4, mode="edge"), kernel, mode="valid")[: len(t)]

    drift = np.concatenate([[0.0], np.cumsum(steps)])
    x = x0 + drift[index] + steps[index] * (t - index) - smooth(loops[index]) * np.sin(phase + 0.6)
    y = -smooth(heights[index]) * (1 - np.cos(phase)) / 2 + rng.normal(0, 0.02)
    marks = []
    for position, char in enumerate(letters):
        centre = x0 + drift[position] + steps[position] * 0.5
        if char in "ij":
            top = -rng.uniform(1.5, 1.8)
            marks.append(np.array([[centre, top], [centre + 0.05, top - 0.05]]))
        elif char == "t":
            level = -rng.uniform(1.2, 1.45)
            marks.append(np.array([[centre - 0.3, level], [centre + 0.35, level - 0.05]]))
    return np.stack([x, y], axis=1), marks, x0 + drift[-1]


def writing_strokes(
    rng: np.random.Generator, text: str, letter_width: float = 0.9, loop: float = 0.25
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pen trajectories writing `text`: a list of (points (K, 2), pressure (K,)).

    Letters are joined in cursive runs; digits and punctuation come from stroke
    templates; spaces lift the pen. Coordinates are in x-height units, y down,
    baseline at 0, ready for `page_elements.render_strokes`.
    """
    strokes: list[np.ndarray] = []
    x = 0.0
    run = ""

    def flush(x: float) -> float:
        nonlocal run
        if run:
            points, marks, x = _cursive_run(rng, run, x, letter_width, loop)
            strokes.append(points)
            strokes.extend(marks)
            run = ""
        return x

    for char in text:
        if char.isalpha():
            run += char
            continue
        x = flush(x)
        if char == " ":
            x += letter_width * rng.uniform(0.9, 1.4)
            continue
        glyph = _GLYPHS.get(char)
        if glyph is None:  # characters without a template leave a gap
            x += letter_width
            continue
        x += 0.12 * letter_width
        scale = rng.uniform(0.9, 1.05)
        for template in glyph:
            points = np.asarray(template, np.float64) * scale
            points = points + rng.normal(0, 0.04, points.shape)
            strokes.append(_chaikin(points + [x, 0.0]))
        x += (max(p[0] for stroke in glyph for p in stroke) + 0.2) * scale * letter_width / 0.7
    flush(x)
    strokes = [s for s in strokes if len(s) >= 2]
    if not strokes:
        raise ValueError(f"text should contain letters, digits or punctuation; received {text!r}.")
    return [(points, _pressure(rng, len(points))) for points in strokes]


def pen_ink(rng: np.random.Generator) -> tuple[float, float, float]:
    """The RGB (0-1) of a random pen, blue and black most often."""
    names = list(PEN_INKS)
    return PEN_INKS[names[int(rng.choice(len(names), p=_PEN_INK_WEIGHTS))]]


def styled_signature(
    rng: np.random.Generator, height: int, style: str, dpi: float = 300.0
) -> tuple[np.ndarray, float, tuple[float, float, float]]:
    """A synthetic signature in a hard-to-see pen: `(ink patch, darkness, RGB colour)`.

    Args:
        rng: the generator.
        height: int. Patch height in pixels.
        style: one of `INK_STYLES`: `"pencil"` (graphite, grainy and broken strokes),
            `"faint"` (a dry or lightly pressed ballpoint), `"thin"` (a fine liner) or
            `"grey"` (grey ink).
        dpi: float. Resolution of the page, which sets the stroke width in pixels.

    Returns:
        The ink patch, the darkness to composite it with (`composite_ink`), and the ink's
        RGB colour in [0, 1].
    """
    if style not in INK_STYLES:
        raise ValueError(f"style should be one of {INK_STYLES}; received {style!r}.")
    px_per_mm = dpi / MM_PER_INCH
    width_mm = {"pencil": (0.2, 0.4), "faint": (0.25, 0.5), "thin": (0.06, 0.14)}.get(
        style, (0.3, 0.5)
    )
    pen_width = max(0.6, float(rng.uniform(*width_mm)) * px_per_mm)
    ink = E.render_strokes(E.signature_strokes(rng), rng, int(height), pen_width=pen_width)
    if style == "pencil":
        # Graphite sticks to the paper's tooth: fine grain and gaps along the stroke.
        tooth = rng.random(ink.shape, dtype=np.float32)
        ink = ink * np.clip(0.2 + tooth * rng.uniform(0.9, 1.3), 0, 1)
        ink = ndimage.gaussian_filter(ink, 0.4 * px_per_mm / 12).astype(np.float32)
        return E.trim(ink), float(rng.uniform(0.12, 0.4)), GRAPHITE
    if style == "faint":
        return ink, float(rng.uniform(0.1, 0.3)), pen_ink(rng)
    if style == "thin":
        return ink, float(rng.uniform(0.55, 0.9)), pen_ink(rng)
    return ink, float(rng.uniform(0.2, 0.4)), GREY_INK
