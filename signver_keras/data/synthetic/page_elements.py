"""Building blocks of synthetic documents: printed content and handwriting, drawn with PIL.

Printed content (paragraphs, headings, rules, tables, form fields) is drawn
straight onto a PIL `"L"` page with `ImageDraw`. Everything that is laid *over*
a page (signatures, initials, dates, redactions, stamps, logos) is returned as
an **ink patch**: a float32 (h, w) array in [0, 1] (1 = full ink), cropped
tight, which `composite_ink` multiplies into a page so strokes overlap printed
lines and text as real ink does. The tight crop is what the detection boxes
are made from.

Fonts ship with the package (`FONT_DIR`); should a damaged install lack them,
every function falls back to PIL's built-in font, so generation still works.

Example:
```python
import numpy as np
from signver_keras.data.synthetic import page_elements as E

rng = np.random.default_rng(0)
ink = E.synthetic_signature(rng, height=60)  # (h, w) float32 in [0, 1]
page = np.ones((200, 400), np.float32)  # transmittance, 1 = white paper
E.composite_ink(page, ink, x=20, y=40, darkness=0.9)
```
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

#: Fonts shipped inside the package (each family with its licence; see its README.md), so
#: generated pages and signatures are the same on every machine, without system fonts.
FONT_DIR = Path(__file__).resolve().parents[2] / "fonts"

# Font files (relative to `FONT_DIR`) per kind.
_FONT_FILES = {
    "serif": ("dejavu/DejaVuSerif.ttf",),
    "sans": ("dejavu/DejaVuSans.ttf",),
    "mono": ("dejavu/DejaVuSansMono.ttf",),
    "bold": ("dejavu/DejaVuSans-Bold.ttf", "dejavu/DejaVuSerif-Bold.ttf"),
    "script": (
        "dancingscript/DancingScript-Regular.otf",
        "dancingscript/DancingScript-Bold.otf",
        "kristi/Kristi.ttf",
        "kaushanscript/KaushanScript-Regular.otf",
        "breip/Breip.ttf",
    ),
    "print_hand": (
        "breip/Breip.ttf",
        "bwht/BecauseWeBuild-Regular.otf",
        "bwht/BecauseWeCreate-Regular.otf",
        "bwht/BecauseWeMentor-Regular.otf",
        "bwht/BecauseWeOrganize-Regular.otf",
    ),
}
FONT_KINDS = tuple(_FONT_FILES)
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def find_fonts(kind: str) -> list[Path]:
    """The shipped font files of one kind (`FONT_KINDS`); empty only in a damaged install.

    Example:
    ```python
    from signver_keras.data.synthetic.page_elements import find_fonts
    print(find_fonts("script"))
    ```
    """
    if kind not in _FONT_FILES:
        raise ValueError(f"kind should be one of {FONT_KINDS}, got {kind!r}.")
    return [FONT_DIR / name for name in _FONT_FILES[kind] if (FONT_DIR / name).is_file()]


@functools.lru_cache(maxsize=512)
def load_font(path: str | None, size: int) -> Font:
    """The font file at `path` (None: PIL's built-in font) at `size` px, cached."""
    if path is None:
        try:
            return ImageFont.load_default(size=size)
        except TypeError:  # Pillow without FreeType: fixed-size bitmap font
            return ImageFont.load_default()
    return ImageFont.truetype(path, size)


def get_font(kind: str, size: int, rng: np.random.Generator | None = None) -> Font:
    """A font of `kind` at `size` px: a random shipped one, else PIL's default font."""
    paths = find_fonts(kind)
    if not paths and kind in ("print_hand", "script"):
        paths = find_fonts("script") or find_fonts("print_hand")
    if not paths:
        return load_font(None, int(size))
    index = int(rng.integers(len(paths))) if rng is not None else 0
    return load_font(str(paths[index]), int(size))


# --- text content ------------------------------------------------------------------------------

_WORDS = (
    "the of and to in for with on by this that is be as are at from or will all any such "
    "agreement company party parties shall services payment terms hereby pursuant section "
    "invoice account balance report meeting review attached please regarding enclosed copy "
    "request approval committee results program research development product marketing "
    "sales budget quarter annual period date contract provisions notice written consent "
    "obligations including without limitation information confidential material delivery "
    "order purchase price tax total amount due received letter reference following "
    "department management office project schedule proposal budget costs estimate data "
    "analysis study test samples market distribution customer client supplier vendor "
    "employee policy procedure insurance coverage claim benefits plan revised draft final "
    "respect response question discussed telephone conversation dated summary items "
    "documents records compliance regulations federal state county legal counsel advice"
).split()
_FIRST = (
    "John Mary Robert Linda James Susan David Karen Michael Nancy William Helen Richard Carol "
    "Thomas Ruth Charles Sharon Daniel Laura Paul Anna Mark Joan George Alice Peter Ellen "
    "Frank Diane Walter Janet Henry Maria Arthur Grace Louis Irene Edward Claire"
).split()
_LAST = (
    "Smith Johnson Brown Miller Davis Wilson Moore Taylor Anderson Thomas Jackson White Harris "
    "Martin Thompson Garcia Clark Lewis Walker Hall Allen Young King Wright Scott Green Baker "
    "Adams Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans Edwards Collins "
    "Stewart Morris Rogers Reed Cook Morgan Bell Murphy Bailey Cooper Richardson Howard"
).split()
_COMPANIES = (
    "Consolidated Holdings",
    "Meridian Tobacco Co.",
    "Atlantic Research Group",
    "Northfield & Partners",
    "Crestline Industries",
    "Harbor Financial Services",
    "Summit Legal LLP",
    "Pioneer Manufacturing",
    "Lakeside Medical Center",
    "Westbrook Insurance",
)
_TITLES = (
    "Director",
    "Vice President",
    "Manager",
    "Senior Counsel",
    "Treasurer",
    "Secretary",
    "Chief Financial Officer",
    "Research Scientist",
    "Account Executive",
)
_STREETS = ("Main Street", "Park Avenue", "Oak Drive", "Market Street", "Broadway", "Elm Road")
_CITIES = ("Richmond, VA", "New York, NY", "Chicago, IL", "Louisville, KY", "Boston, MA")


def random_words(rng: np.random.Generator, count: int) -> str:
    """`count` random business words separated by spaces."""
    return " ".join(_WORDS[i] for i in rng.integers(0, len(_WORDS), count))


def random_sentence(rng: np.random.Generator) -> str:
    """A capitalised sentence of 6-18 business words with optional comma."""
    words = random_words(rng, int(rng.integers(6, 19))).split()
    if len(words) > 8 and rng.random() < 0.4:
        words[int(rng.integers(3, len(words) - 3))] += ","
    return " ".join(words).capitalize() + "."


def random_name(rng: np.random.Generator) -> str:
    """A first and last name."""
    return f"{_FIRST[rng.integers(len(_FIRST))]} {_LAST[rng.integers(len(_LAST))]}"


def random_company(rng: np.random.Generator) -> str:
    return _COMPANIES[int(rng.integers(len(_COMPANIES)))]


def random_title(rng: np.random.Generator) -> str:
    return _TITLES[int(rng.integers(len(_TITLES)))]


def random_address(rng: np.random.Generator) -> list[str]:
    """Two address lines."""
    street = f"{rng.integers(10, 9999)} {_STREETS[rng.integers(len(_STREETS))]}"
    city = f"{_CITIES[rng.integers(len(_CITIES))]} {rng.integers(10000, 99999)}"
    return [street, city]


def random_date_text(rng: np.random.Generator, style: int | None = None) -> str:
    """A date in one of 8 common formats (03/12/1998, 12.3.98, March 3, 1998, ...)."""
    year = int(rng.integers(1985, 2026))
    month = int(rng.integers(1, 13))
    day = int(rng.integers(1, 29))
    month_name = calendar.month_name[month]
    formats = (
        f"{month:02d}/{day:02d}/{year}",
        f"{month}/{day}/{year % 100:02d}",
        f"{day}.{month}.{year % 100:02d}",
        f"{month_name} {day}, {year}",
        f"{day} {month_name[:3]} {year}",
        f"{year}-{month:02d}-{day:02d}",
        f"{day}-{month_name[:3]}-{year % 100:02d}",
        f"{month_name[:3]}. {day} '{year % 100:02d}",
    )
    style = int(rng.integers(len(formats))) if style is None else style
    return formats[style % len(formats)]


# --- printed content ---------------------------------------------------------------------------


def text_box(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: Font) -> tuple:
    """The (x1, y1, x2, y2) box `draw.text(xy, text, font)` would cover."""
    return draw.textbbox(xy, text, font=font)


def draw_paragraph(
    draw: ImageDraw.ImageDraw,
    rng: np.random.Generator,
    x: int,
    y: int,
    width: int,
    font: Font,
    lines: int | None = None,
    fill: int = 0,
    spacing: float = 1.35,
    indent: int = 0,
) -> tuple[int, list[tuple[int, int, int, int]]]:
    """Draws a left-aligned paragraph of random sentences wrapped to `width` px.

    Returns (y below the paragraph, the box of each drawn line).
    """
    lines = int(rng.integers(2, 8)) if lines is None else lines
    size = getattr(font, "size", 11)
    step = int(round(size * spacing))
    words: list[str] = []
    boxes = []
    for index in range(lines):
        cursor = x + (indent if index == 0 else 0)
        line_words: list[str] = []
        last = index == lines - 1
        limit = width * (rng.uniform(0.3, 0.9) if last else 1.0)
        while True:
            if not words:
                words = random_sentence(rng).split()
            candidate = " ".join([*line_words, words[0]])
            if line_words and draw.textlength(candidate, font=font) > limit - (cursor - x):
                break
            line_words.append(words.pop(0))
        text = " ".join(line_words)
        draw.text((cursor, y), text, font=font, fill=fill)
        boxes.append(tuple(int(v) for v in draw.textbbox((cursor, y), text, font=font)))
        y += step
    return y, boxes


def draw_heading(
    draw: ImageDraw.ImageDraw,
    x: int,
    y: int,
    text: str,
    font: Font,
    fill: int = 0,
    underline: bool = False,
    center_width: int | None = None,
) -> tuple[int, int, int, int]:
    """Draws a heading (optionally centred in `center_width` px from `x`, underlined)."""
    if center_width is not None:
        x = int(x + (center_width - draw.textlength(text, font=font)) / 2)
    draw.text((x, y), text, font=font, fill=fill)
    box = tuple(int(v) for v in draw.textbbox((x, y), text, font=font))
    if underline:
        draw.line([(box[0], box[3] + 3), (box[2], box[3] + 3)], fill=fill, width=2)
    return box


def draw_rule(
    draw: ImageDraw.ImageDraw, x1: int, x2: int, y: int, width: int = 1, fill: int = 0
) -> None:
    """A horizontal ruled line."""
    draw.line([(x1, y), (x2, y)], fill=fill, width=width)


def draw_table(
    draw: ImageDraw.ImageDraw,
    rng: np.random.Generator,
    box: tuple[int, int, int, int],
    font: Font,
    rows: int | None = None,
    columns: int | None = None,
    fill: int = 0,
) -> list[tuple[int, int, int, int]]:
    """Draws a ruled table with a header row of words and cells of words and numbers.

    Returns the cell boxes, row by row.
    """
    x1, y1, x2, y2 = box
    rows = int(rng.integers(3, 9)) if rows is None else rows
    columns = int(rng.integers(2, 6)) if columns is None else columns
    weights = rng.uniform(0.6, 1.6, columns)
    edges = x1 + np.concatenate([[0], np.cumsum(weights) / weights.sum()]) * (x2 - x1)
    edges = edges.astype(int)
    row_height = (y2 - y1) / rows
    draw.rectangle(box, outline=fill, width=int(rng.integers(1, 3)))
    for r in range(1, rows):
        yy = int(y1 + r * row_height)
        draw.line([(x1, yy), (x2, yy)], fill=fill, width=2 if r == 1 else 1)
    if rng.random() < 0.8:
        for edge in edges[1:-1]:
            draw.line([(edge, y1), (edge, y2)], fill=fill, width=1)
    cells = []
    for r in range(rows):
        for c in range(columns):
            cell = (
                int(edges[c]),
                int(y1 + r * row_height),
                int(edges[c + 1]),
                int(y1 + (r + 1) * row_height),
            )
            cells.append(cell)
            if r == 0:
                text = random_words(rng, 1).title()
            elif c == 0 or rng.random() < 0.4:
                text = random_words(rng, int(rng.integers(1, 3)))
            else:
                text = f"{rng.uniform(0, 99999):,.2f}"
            ty = cell[1] + (row_height - getattr(font, "size", 11)) / 2 - 1
            while len(text) > 1 and draw.textlength(text, font=font) > cell[2] - cell[0] - 8:
                text = text[:-1]
            draw.text((cell[0] + 4, ty), text, font=font, fill=fill)
    return cells


def draw_form_field(
    draw: ImageDraw.ImageDraw,
    x: int,
    y: int,
    width: int,
    label: str,
    font: Font,
    style: str = "underline",
    height: int = 40,
    fill: int = 0,
) -> tuple[int, int, int, int]:
    """Draws a labelled form field and returns the box where handwriting belongs.

    Args:
        style: `"underline"` (label then a line: `Name: ______`), `"box"` (label
            above a rectangle) or `"below"` (a line with the label printed under it,
            the usual signature line).
    """
    size = getattr(font, "size", 11)
    if style == "underline":
        draw.text((x, y), label, font=font, fill=fill)
        start = int(x + draw.textlength(label, font=font) + 6)
        base = y + size + 2
        draw.line([(start, base), (x + width, base)], fill=fill, width=1)
        return (start, base - height, x + width, base + 4)
    if style == "box":
        draw.text((x, y), label, font=font, fill=fill)
        top = y + size + 4
        draw.rectangle((x, top, x + width, top + height), outline=fill, width=1)
        return (x + 2, top + 2, x + width - 2, top + height - 2)
    if style == "below":
        draw.line([(x, y + height), (x + width, y + height)], fill=fill, width=1)
        draw.text((x, y + height + 4), label, font=font, fill=fill)
        return (x, y, x + width, y + height + 4)
    raise ValueError(f"style should be 'underline', 'box' or 'below', got {style!r}.")


# --- ink patches -------------------------------------------------------------------------------


def trim(ink: np.ndarray, threshold: float = 0.05) -> np.ndarray:
    """Crops an ink patch to the rows and columns holding ink above `threshold`."""
    rows = np.flatnonzero((ink > threshold).any(axis=1))
    cols = np.flatnonzero((ink > threshold).any(axis=0))
    if rows.size == 0:
        return ink[:1, :1] * 0
    return np.ascontiguousarray(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


def composite_ink(
    page: np.ndarray, ink: np.ndarray, x: int, y: int, darkness: float = 1.0
) -> tuple[int, int, int, int] | None:
    """Multiplies an ink patch into a float page (1 = white) at (x, y), in place.

    Returns the pasted region (x1, y1, x2, y2) clipped to the page, or None if
    it falls outside.
    """
    height, width = page.shape
    x1, y1 = max(x, 0), max(y, 0)
    x2, y2 = min(x + ink.shape[1], width), min(y + ink.shape[0], height)
    if x2 <= x1 or y2 <= y1:
        return None
    patch = ink[y1 - y : y2 - y, x1 - x : x2 - x]
    page[y1:y2, x1:x2] *= 1.0 - darkness * patch
    return x1, y1, x2, y2


def _catmull_rom(points: np.ndarray, samples: int = 10) -> np.ndarray:
    """Dense points of a uniform Catmull-Rom spline through `points` (K, 2)."""
    padded = np.concatenate([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, samples, endpoint=False)[:, None]
    t2, t3 = t * t, t * t * t
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1], padded[i], padded[i + 1], padded[i + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t3
            )
        )
    out.append(points[-1:])
    return np.concatenate(out)


def _smooth_noise(rng: np.random.Generator, length: int, knots: int) -> np.ndarray:
    knots = max(2, knots)
    values = rng.uniform(-1, 1, knots)
    return np.interp(np.linspace(0, knots - 1, length), np.arange(knots), values)


def _cursive_points(rng: np.random.Generator, letters: int, x0: float = 0.0) -> np.ndarray:
    """Control points of a cursive word: alternating tops and bottoms drifting to the right."""
    points = []
    x = x0
    capital = rng.random() < 0.8
    for index in range(letters):
        top = rng.choice([-1.0, -1.0, -1.0, -1.9, -2.2]) * rng.uniform(0.8, 1.15)
        if index == 0 and capital:
            top = -rng.uniform(2.0, 3.0)
            if rng.random() < 0.5:  # capital loop starting left of the word
                points.append((x - rng.uniform(0.3, 0.9), -rng.uniform(1.0, 2.2)))
        bottom = rng.choice([0.0, 0.0, 0.0, 0.0, 1.0]) * rng.uniform(0.6, 1.2)
        step = rng.uniform(0.45, 1.05)
        points.append((x + step * rng.uniform(0.2, 0.8), top))
        back = rng.uniform(-0.35, 0.25) if rng.random() < 0.35 else rng.uniform(0.1, 0.4)
        points.append((x + step * 0.5 + back, bottom + rng.normal(0, 0.08)))
        x += step
    return np.asarray(points, np.float64)


def _oscillator_word(rng: np.random.Generator, letters: int, x0: float = 0.0) -> np.ndarray:
    """Dense points of a cursive word from coupled oscillations (Hollerbach's model).

    x drifts right while oscillating, y rises and falls once per letter; where
    the horizontal oscillation beats the drift the pen loops back (l, e, h).
    """
    per = 28
    heights = rng.choice([1.0, 1.0, 1.0, 1.0, 1.9, 2.2, -1.0], size=letters)
    heights = heights * rng.uniform(0.8, 1.2, letters)
    steps = rng.uniform(0.55, 1.0, letters)
    loops = np.where(np.abs(heights) > 1.5, rng.uniform(0.15, 0.32, letters), 0.0)
    loops = loops + rng.uniform(0.0, 0.12, letters)
    if rng.random() < 0.8:  # a large capital first letter
        heights[0] = rng.uniform(2.2, 3.2)
        loops[0] = rng.uniform(0.2, 0.5)
        steps[0] = rng.uniform(0.8, 1.4)
    t = np.linspace(0, letters, letters * per + 1)
    index = np.minimum(t.astype(int), letters - 1)
    phase = 2 * np.pi * (t - index)
    # Smooth the per-letter parameters across letter boundaries.
    kernel = np.hanning(per // 2)
    kernel /= kernel.sum()

    def smooth(values: np.ndarray) -> np.ndarray:
        return np.convolve(np.pad(values, per // 4, mode="edge"), kernel, mode="valid")[: len(t)]

    height = smooth(heights[index])
    loop = smooth(loops[index])
    drift = np.concatenate([[0.0], np.cumsum(steps)])
    x = x0 + drift[index] + steps[index] * (t - index) - loop * np.sin(phase + 0.6)
    y = -height * (1 - np.cos(phase)) / 2
    y = y + 0.15 * _smooth_noise(rng, len(t), max(2, letters // 2))
    return np.stack([x, y], axis=1)


def signature_strokes(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pen trajectories of a synthetic signature: a list of (points (K, 2), pressure (K,)).

    Coordinates are in x-height units, y pointing down, before slant and scaling.
    """
    strokes = []
    words = 1 if rng.random() < 0.45 else 2
    x = 0.0
    for _ in range(words):
        letters = int(rng.integers(3, 10))
        if rng.random() < 0.75:
            word = _oscillator_word(rng, letters, x)
        else:
            word = _catmull_rom(_cursive_points(rng, letters, x), 9)
        if rng.random() < 0.3:  # scribbled ending: the word trails off in a flat wave
            tail = word[-1] + np.cumsum(
                np.stack([rng.uniform(0.4, 0.9, 4), rng.uniform(-0.4, 0.4, 4)], axis=1), axis=0
            )
            word = np.concatenate([word, _catmull_rom(np.concatenate([word[-1:], tail]), 9)])
        strokes.append(word)
        x = word[:, 0].max() + rng.uniform(0.4, 1.2)
    left, right = min(s[:, 0].min() for s in strokes), max(s[:, 0].max() for s in strokes)
    if rng.random() < 0.6:  # flourish: an underline sweeping back, or a stroke through
        y = rng.uniform(0.6, 1.6) if rng.random() < 0.8 else rng.uniform(-1.0, 0.0)
        xs = np.linspace(right + rng.uniform(-0.5, 0.8), left + rng.uniform(-0.5, 1.5), 4)
        ys = y + rng.normal(0, 0.25, 4) + np.linspace(0, rng.uniform(-0.5, 0.5), 4)
        if rng.random() < 0.5:  # connected to the last letter
            start = strokes[-1][-1]
            xs, ys = np.concatenate([[start[0]], xs]), np.concatenate([[start[1]], ys])
        strokes.append(_catmull_rom(np.stack([xs, ys], axis=1), 14))
    for _ in range(int(rng.integers(0, 3))):  # i-dots and short ticks
        px = rng.uniform(left, right)
        py = -rng.uniform(1.4, 2.2)
        length = rng.uniform(0.05, 0.35)
        strokes.append(np.array([[px, py], [px + length, py - length * 0.3]]))
    out = []
    for points in strokes:
        n = len(points)
        pressure = 0.65 + 0.35 * _smooth_noise(rng, n, max(2, n // 15))
        taper = np.minimum(1.0, np.minimum(np.arange(n) + 1, n - np.arange(n)) / 4.0)
        out.append((points, np.clip(pressure * (0.4 + 0.6 * taper), 0.2, 1.0)))
    return out


def render_strokes(
    strokes: Sequence[tuple[np.ndarray, np.ndarray]],
    rng: np.random.Generator,
    height: int,
    slant: float | None = None,
    pen_width: float | None = None,
    supersample: int = 3,
) -> np.ndarray:
    """Renders pen trajectories to an ink patch whose x-height is about `height` / 3 px.

    Args:
        strokes: from `signature_strokes` (x-height units).
        height: target patch height in px (the trajectory is scaled to it).
        slant: shear in degrees (default drawn in [-10, 35]: right-leaning writing).
        pen_width: stroke width in px at full pressure (default drawn in [1.2, 3.4]).
    """
    slant = float(rng.uniform(-10, 35)) if slant is None else float(slant)
    pen_width = float(rng.uniform(1.2, 3.4)) if pen_width is None else float(pen_width)
    shear = np.tan(np.deg2rad(slant))
    rotation = np.deg2rad(rng.uniform(-6, 6))
    cos, sin = np.cos(rotation), np.sin(rotation)
    moved = []
    for points, pressure in strokes:
        xy = points.copy()
        xy[:, 0] = xy[:, 0] - xy[:, 1] * shear
        xy = xy @ np.array([[cos, sin], [-sin, cos]])
        moved.append((xy, pressure))
    every = np.concatenate([xy for xy, _ in moved])
    low, high = every.min(axis=0), every.max(axis=0)
    scale = max(height - pen_width * 2, 4) / max(high[1] - low[1], 1e-6)
    pad = pen_width * 2 + 2
    size = ((high - low) * scale + 2 * pad) * supersample
    canvas = Image.new("L", (int(size[0]) + 1, int(size[1]) + 1), 0)
    draw = ImageDraw.Draw(canvas)
    for xy, pressure in moved:
        pixels = ((xy - low) * scale + pad) * supersample
        widths = pen_width * supersample * pressure
        shades = (255 * (0.7 + 0.3 * pressure)).astype(int)
        for i in range(len(pixels) - 1):
            (x1, y1), (x2, y2) = pixels[i], pixels[i + 1]
            w = max(1.0, float(widths[i]))
            draw.line([(x1, y1), (x2, y2)], fill=int(shades[i]), width=int(round(w)))
            r = w / 2
            draw.ellipse([x2 - r, y2 - r, x2 + r, y2 + r], fill=int(shades[i]))
    small = canvas.resize(
        (max(1, canvas.width // supersample), max(1, canvas.height // supersample)), Image.BOX
    )
    ink = np.asarray(small, np.float32) / 255.0
    # Ballpoint grain: ink density varies a little along the stroke.
    ink *= 0.85 + 0.15 * rng.random(ink.shape, dtype=np.float32)
    return trim(ink)


def render_handwriting(
    text: str,
    rng: np.random.Generator,
    height: int,
    kind: str = "script",
    slant: float | None = None,
) -> np.ndarray:
    """Renders `text` in a handwriting font as an ink patch about `height` px tall."""
    font = get_font(kind, max(8, int(height * rng.uniform(0.9, 1.2))), rng)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    x1, y1, x2, y2 = probe.textbbox((0, 0), text, font=font)
    pad = int(height)
    canvas = Image.new("L", (x2 - x1 + 2 * pad, y2 - y1 + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - x1, pad - y1), text, font=font, fill=255)
    slant = float(rng.uniform(-8, 15)) if slant is None else float(slant)
    shear = np.tan(np.deg2rad(slant))
    canvas = canvas.transform(
        canvas.size, Image.AFFINE, (1, shear, -shear * canvas.height / 2, 0, 1, 0), Image.BILINEAR
    )
    canvas = canvas.rotate(float(rng.uniform(-4, 4)), Image.BILINEAR, expand=False)
    weight = rng.random()
    if weight < 0.2:
        canvas = canvas.filter(ImageFilter.MaxFilter(3))  # a broader pen
    ink = np.asarray(canvas, np.float32) / 255.0
    return trim(ink * (0.85 + 0.15 * rng.random(ink.shape, dtype=np.float32)))


def synthetic_signature(rng: np.random.Generator, height: int | None = None) -> np.ndarray:
    """A synthetic signature ink patch, about `height` px tall (default drawn in [35, 90]).

    Mostly pen trajectories (random smooth cursive strokes with slant, pressure
    and variable width); sometimes a name in a handwriting font with a flourish.

    Example:
    ```python
    ink = synthetic_signature(np.random.default_rng(3), height=60)
    ```
    """
    height = int(rng.integers(35, 91)) if height is None else int(height)
    if rng.random() < 0.25 and find_fonts("script"):
        name = random_name(rng)
        if rng.random() < 0.5:
            first, last = name.split()
            name = f"{first[0]}. {last}"
        text = render_handwriting(name, rng, int(height * 0.55), "script")
        sweep = _catmull_rom(np.stack([np.linspace(1, 0, 4), rng.normal(0, 0.03, 4)], axis=1), 14)
        pressure = np.linspace(0.9, 0.4, len(sweep))
        flourish = render_strokes(
            [(sweep, pressure)], rng, height=max(4, int(height * 0.12)), slant=0
        )
        flourish = np.asarray(
            Image.fromarray(flourish).resize((text.shape[1], flourish.shape[0]), Image.BILINEAR)
        )
        gap = int(rng.integers(-3, 4))
        out = np.zeros((text.shape[0] + max(gap, 0) + flourish.shape[0], text.shape[1]), np.float32)
        out[: text.shape[0]] = text
        top = text.shape[0] + gap
        out[top : top + flourish.shape[0]] = np.maximum(
            out[top : top + flourish.shape[0]], flourish
        )
        return trim(out)
    return render_strokes(signature_strokes(rng), rng, height)


def handwritten_initials(rng: np.random.Generator, height: int | None = None) -> np.ndarray:
    """Initials: 1-3 handwritten capitals (with or without dots) or a short scribble."""
    height = int(rng.integers(20, 45)) if height is None else int(height)
    if rng.random() < 0.3 or not (find_fonts("script") or find_fonts("print_hand")):
        strokes = [(_catmull_rom(_cursive_points(rng, int(rng.integers(1, 3))), 9), None)]
        strokes = [(p, np.full(len(p), 0.85)) for p, _ in strokes]
        return render_strokes(strokes, rng, height)
    letters = [chr(ord("A") + int(i)) for i in rng.integers(0, 26, int(rng.integers(1, 4)))]
    text = (". ".join(letters) + ".") if rng.random() < 0.3 else "".join(letters)
    kind = "script" if rng.random() < 0.7 else "print_hand"
    return render_handwriting(text, rng, height, kind)


def handwritten_date(rng: np.random.Generator, height: int | None = None) -> tuple[np.ndarray, str]:
    """A date written by hand: (ink patch, the text written)."""
    height = int(rng.integers(18, 36)) if height is None else int(height)
    text = random_date_text(rng)
    kind = "script" if rng.random() < 0.6 else "print_hand"
    return render_handwriting(text, rng, height, kind), text


def handwritten_note(rng: np.random.Generator, height: int | None = None) -> np.ndarray:
    """Unlabelled handwriting (a payee name, an amount, a margin note): a distractor."""
    height = int(rng.integers(16, 32)) if height is None else int(height)
    choice = rng.random()
    if choice < 0.4:
        text = random_name(rng)
    elif choice < 0.6:
        text = f"{rng.uniform(10, 99999):,.2f}"
    else:
        text = random_words(rng, int(rng.integers(1, 5)))
    kind = "script" if rng.random() < 0.6 else "print_hand"
    return render_handwriting(text, rng, height, kind)


def redaction_bar(
    rng: np.random.Generator, width: int, height: int, marker: bool | None = None
) -> np.ndarray:
    """A black redaction bar: a clean rectangle (software/tape) or a marker bar with ragged ends."""
    marker = rng.random() < 0.4 if marker is None else marker
    ink = np.ones((max(2, height), max(2, width)), np.float32)
    if marker:
        rows = np.arange(ink.shape[0])
        for end in (0, 1):
            depth = np.clip(
                np.abs(_smooth_noise(rng, ink.shape[0], 4)) * min(8, width // 6), 0, width // 3
            ).astype(int)
            for r in rows:
                if end == 0:
                    ink[r, : depth[r]] = 0
                else:
                    ink[r, ink.shape[1] - depth[r] :] = 0
        ink *= 0.9 + 0.1 * rng.random(ink.shape, dtype=np.float32)
    return trim(ink)


def stamp(rng: np.random.Generator, size: int | None = None) -> tuple[np.ndarray, float]:
    """A rubber stamp (circular seal or rectangular RECEIVED/PAID stamp) with patchy ink.

    Returns (ink patch, darkness): the darkness is the grey level its ink colour
    (red, blue, violet, green, black) takes on a grayscale scan.
    """
    size = int(rng.integers(90, 170)) if size is None else int(size)
    colour = [(200, 30, 40), (40, 60, 170), (110, 40, 140), (30, 120, 60), (30, 30, 30)][
        int(rng.integers(5))
    ]
    luminance = (0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]) / 255.0
    darkness = float(np.clip(1.0 - luminance + rng.uniform(-0.1, 0.1), 0.25, 0.9))
    width_line = max(2, size // 40)
    if rng.random() < 0.5:  # circular seal with text around the ring
        canvas = Image.new("L", (size, size), 0)
        draw = ImageDraw.Draw(canvas)
        draw.ellipse((1, 1, size - 2, size - 2), outline=255, width=width_line)
        inner = int(size * 0.22)
        draw.ellipse((inner, inner, size - inner, size - inner), outline=255, width=1)
        font = get_font("bold", max(8, size // 11), rng)
        text = (random_company(rng).upper() + " * ")[: int(size / 6)]
        radius = size / 2 - width_line - size / 14
        for index, char in enumerate(text):
            angle = -np.pi / 2 + 2 * np.pi * index / len(text)
            glyph = Image.new("L", (size // 7 + 4, size // 7 + 4), 0)
            ImageDraw.Draw(glyph).text((2, 0), char, font=font, fill=255)
            glyph = glyph.rotate(-np.rad2deg(angle) - 90, Image.BILINEAR)
            gx = int(size / 2 + radius * np.cos(angle) - glyph.width / 2)
            gy = int(size / 2 + radius * np.sin(angle) - glyph.height / 2)
            canvas.paste(255, (gx, gy), glyph)
        word = str(rng.choice(["APPROVED", "PAID", "NOTARY", "SEAL", "OFFICIAL"]))
        font = get_font("bold", max(8, size // 9), rng)
        length = draw.textlength(word, font=font)
        draw.text(((size - length) / 2, size / 2 - size / 16), word, font=font, fill=255)
    else:
        width, height = int(size * rng.uniform(1.5, 2.2)), int(size * 0.65)
        canvas = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(canvas)
        draw.rectangle((1, 1, width - 2, height - 2), outline=255, width=width_line)
        if rng.random() < 0.5:
            draw.rectangle((6, 6, width - 7, height - 7), outline=255, width=1)
        word = str(rng.choice(["RECEIVED", "PAID", "COPY", "CONFIDENTIAL", "FILED", "APPROVED"]))
        font = get_font("bold", max(8, height // 4), rng)
        length = draw.textlength(word, font=font)
        draw.text(((width - length) / 2, height * 0.14), word, font=font, fill=255)
        small = get_font("sans", max(7, height // 7), rng)
        line = random_date_text(rng, style=3).upper()
        length = draw.textlength(line, font=small)
        draw.text(((width - length) / 2, height * 0.58), line, font=small, fill=255)
    canvas = canvas.rotate(float(rng.uniform(-25, 25)), Image.BILINEAR, expand=True)
    ink = np.asarray(canvas, np.float32) / 255.0
    # Uneven inking: smooth patches where the stamp pad was dry.
    low = rng.random((6, 6)).astype(np.float32)
    field = np.asarray(Image.fromarray(low, "F").resize(canvas.size, Image.BICUBIC))
    ink *= np.clip(0.45 + 0.8 * field, 0.2, 1.0)
    return trim(ink), darkness


def logo(rng: np.random.Generator, height: int | None = None) -> np.ndarray:
    """A company logo: a geometric mark and the company name in a bold font."""
    height = int(rng.integers(30, 70)) if height is None else int(height)
    name = random_company(rng)
    font = get_font("bold", max(8, int(height * 0.45)), rng)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    text_width = int(probe.textlength(name, font=font))
    canvas = Image.new("L", (height + 12 + text_width + 4, height + 4), 0)
    draw = ImageDraw.Draw(canvas)
    shape = int(rng.integers(4))
    h = height
    if shape == 0:
        draw.ellipse((2, 2, h, h), fill=255)
        draw.ellipse((h * 0.3, h * 0.3, h * 0.7, h * 0.7), fill=0)
    elif shape == 1:
        draw.polygon([(h / 2, 2), (h, h), (2, h)], fill=255)
    elif shape == 2:
        for i in range(3):
            draw.rectangle((2 + i * h / 3, 2 + i * h / 6, i * h / 3 + h / 4, h), fill=255)
    else:
        draw.rectangle((2, 2, h, h), outline=255, width=max(2, h // 8))
        draw.text((h * 0.25, h * 0.15), name[0], font=font, fill=255)
    draw.text(
        (h + 12, (h - font.size) / 2 if hasattr(font, "size") else 4), name, font=font, fill=255
    )
    return trim(np.asarray(canvas, np.float32) / 255.0)


def ink_from_crop(crop: np.ndarray) -> np.ndarray:
    """Ink patch of a real grayscale signature crop: background removed, trimmed.

    Uses `signver_keras.utils.ink.ink_intensity`, so paper tone never pastes as a grey box.
    """
    from signver_keras.utils.ink import ink_intensity

    ink = ink_intensity(np.asarray(crop, np.uint8))
    # Stretch so the darkest strokes are full ink; pasting darkness is chosen by the caller.
    peak = float(np.percentile(ink[ink > 0], 95)) if (ink > 0).any() else 1.0
    return trim(np.clip(ink / max(peak, 1e-3), 0, 1).astype(np.float32))


def resize_ink(ink: np.ndarray, height: int | None = None, width: int | None = None) -> np.ndarray:
    """Resizes an ink patch to `height` (keeping aspect) or to (height, width)."""
    if height is None and width is None:
        return ink
    if width is None:
        width = max(1, int(round(ink.shape[1] * height / ink.shape[0])))
    if height is None:
        height = max(1, int(round(ink.shape[0] * width / ink.shape[1])))
    image = Image.fromarray(ink.astype(np.float32), "F").resize((width, height), Image.BILINEAR)
    return np.clip(np.asarray(image), 0, 1)
