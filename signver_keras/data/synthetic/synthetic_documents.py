"""Synthetic scanned business documents with signature, initials, redaction and date boxes.

`generate_page(seed)` lays out a letter, contract, form or cheque page with
printed content (`page_elements`), puts handwriting and redactions over it by
multiply blending (signatures cross printed lines and text as real ones do),
then scans or photographs it (`degradations`). Every annotated object is also
written into an instance map that goes through the same geometric transforms,
so boxes are read back tight from the transformed pixels, not from moved corners.

Example:
```python
from signver_keras.data.synthetic.synthetic_documents import CLASS_NAMES, generate_page

page = generate_page(seed=7)
print(page.image.shape, page.boxes, [CLASS_NAMES[i] for i in page.labels])
```
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from signver_keras.data.collections.detection_formats import DetectionRecord, write_coco, write_yolo
from signver_keras.data.synthetic import degradations as D
from signver_keras.data.synthetic import page_elements as E
from signver_keras.data.synthetic.filled_documents import FILLED_LAYOUTS, draw_cheque
from signver_keras.data.synthetic.filled_documents import (
    LAYOUT_FUNCTIONS as FILLED_LAYOUT_FUNCTIONS,
)
from signver_keras.data.synthetic.handwriting import INK_STYLES, Hand, pen_ink, styled_signature
from signver_keras.data.synthetic.photo_simulation import simulate_photo

CLASS_NAMES = ("signature", "initials", "redaction", "date")
SIGNATURE, INITIALS, REDACTION, DATE = range(4)
#: Layouts drawn when none is asked for.
LAYOUTS = ("letter", "contract", "form", "cheque")
#: An agreement's signing page: large signatures stacked down the page over their captions.
SIGNING_LAYOUT = "signing_page"
#: Every layout, with the cheques and forms filled in by hand (`filled_documents`).
ALL_LAYOUTS = LAYOUTS + FILLED_LAYOUTS + (SIGNING_LAYOUT,)
#: RGB colour per class in contact sheets.
CLASS_COLORS = ((230, 40, 40), (40, 150, 40), (40, 80, 230), (220, 140, 0))
# An instance pixel is ink that darkens the paper by at least this fraction.
_MASK_THRESHOLD = 0.12
# Colours (RGB in [0, 1]) of a colour rendering: paper, printer toner, stamp pads, logos, tints.
_PAPERS = ((0.97, 0.97, 0.96),) * 6 + ((0.99, 0.96, 0.87), (0.9, 0.9, 0.88), (0.9, 0.95, 1.0))
_TONERS = ((0.1, 0.1, 0.11),) * 5 + ((0.12, 0.14, 0.3),)
_STAMP_INKS = ((0.8, 0.15, 0.2), (0.2, 0.3, 0.7), (0.45, 0.2, 0.55), (0.15, 0.5, 0.25))
_LOGO_INKS = ((0.1, 0.2, 0.5), (0.7, 0.1, 0.1), (0.1, 0.45, 0.25), (0.1, 0.1, 0.1))
_TINTS = ((0.55, 0.75, 0.9), (0.6, 0.85, 0.65), (0.9, 0.75, 0.6), (0.8, 0.7, 0.9))


@dataclass
class SyntheticPage:
    """A generated page.

    Args:
        image: uint8 (H, W) grayscale scan, or (H, W, 3) RGB when photographed.
        boxes: float32 (N, 4) `xyxy` pixel boxes, tight around the visible ink.
        labels: int32 (N,) indices into `CLASS_NAMES`.
        layout: which template made it (`ALL_LAYOUTS`).
        photographed: whether the page was warped as a phone photo.
    """

    image: np.ndarray
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    labels: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int32))
    layout: str = ""
    photographed: bool = False


class PageLayout:
    """A page being laid out: printed layer (PIL) plus ink patches laid over it.

    Layout functions (`LAYOUTS`, `filled_documents.FILLED_LAYOUTS`) draw printed
    content with `draw`/`text`/`paragraph` and queue handwriting, stamps and
    redactions with `overlay` (labelled ones through `sign_on_line`, `date_at`,
    `date_ink`, `initials_at`, `redact`); `render` composites them.

    Args:
        rng: the generator every layout choice comes from.
        size: (height, width) in pixels.
        pool: real signature crops to draw signatures from, or None.
        colour_rng: generator of the colours of a colour rendering (paper, pens,
            stamps), kept apart from `rng` so grayscale pages do not change.
        ink_styles: draw every signature in one of these `handwriting.INK_STYLES`
            (pencil, faint, thin, grey), or None for ordinary pens.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        size: tuple[int, int],
        pool: list | None,
        colour_rng: np.random.Generator | None = None,
        ink_styles: Sequence[str] | None = None,
    ):
        self.rng = rng
        self.colour_rng = colour_rng or np.random.default_rng(0)
        self.ink_styles = tuple(ink_styles or ())
        # Filled-in layouts write every field with one person's hand (filled_documents).
        self.hand: Hand | None = None
        self.hand_darkness = 0.8
        self.height, self.width = size
        self.scale = min(self.height / 1100, self.width / 850)
        self.image = Image.new("L", (self.width, self.height), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.print_fill = int(rng.integers(0, 60))
        self.pool = pool
        # (ink, x, y, darkness, label, kind, colour): kind picks the colour when colour is None.
        self.overlays: list[tuple] = []
        self.taken: list[tuple[int, int, int, int]] = []
        self.text_lines: list[tuple[int, int, int, int]] = []
        self.margin = int(rng.uniform(55, 100) * self.scale)
        self.body_size = max(9, int(rng.uniform(12, 17) * self.scale))
        self.body_kind = str(rng.choice(["serif", "serif", "sans", "mono"]))

    def px(self, value: float) -> int:
        return int(round(value * self.scale))

    def font(self, kind: str, size: float):
        return E.get_font(kind, max(7, int(size)), self.rng)

    def paragraph(self, x: int, y: int, width: int, lines: int | None = None, font=None) -> int:
        font = font or self.font(self.body_kind, self.body_size)
        y, boxes = E.draw_paragraph(
            self.draw, self.rng, x, y, width, font, lines, fill=self.print_fill
        )
        self.text_lines.extend(boxes)
        return y

    def text(self, x: int, y: int, text: str, font) -> tuple[int, int, int, int]:
        self.draw.text((x, y), text, font=font, fill=self.print_fill)
        box = tuple(int(v) for v in self.draw.textbbox((x, y), text, font=font))
        self.text_lines.append(box)
        return box

    def free(self, box: tuple[int, int, int, int], pad: int = 3) -> bool:
        x1, y1, x2, y2 = box
        if x1 < 2 or y1 < 2 or x2 > self.width - 2 or y2 > self.height - 2:
            return False
        return all(
            x1 >= b[2] + pad or x2 <= b[0] - pad or y1 >= b[3] + pad or y2 <= b[1] - pad
            for b in self.taken
        )

    def overlay(
        self,
        ink: np.ndarray,
        x: int,
        y: int,
        darkness: float,
        label: int | None = None,
        kind: str = "hand",
        colour: tuple[float, float, float] | None = None,
    ) -> bool:
        """Queues an ink patch; labelled ones must not touch other labelled ones.

        `kind` (one of `_INK_KINDS`) decides its colour in a colour rendering unless
        `colour` (RGB in [0, 1]) is given.
        """
        x, y = int(x), int(y)
        box = (x, y, x + ink.shape[1], y + ink.shape[0])
        if label is not None:
            if not self.free(box):
                return False
            self.taken.append(box)
        self.overlays.append((ink, x, y, darkness, label, kind, colour))
        return True

    def tint(self, box: tuple[int, int, int, int]) -> None:
        """A pale wavy security print behind a cheque's fields (unlabelled)."""
        x1, y1, x2, y2 = (int(v) for v in box)
        yy, xx = np.mgrid[0 : y2 - y1, 0 : x2 - x1].astype(np.float32)
        period = self.px(self.rng.uniform(5, 12))
        waves = np.sin((xx + 6 * np.sin(yy / (3 * period))) / period)
        ink = (0.5 + 0.5 * waves) * self.rng.uniform(0.4, 1.0)
        self.overlays.append((ink.astype(np.float32), x1, y1, 0.12, None, "tint", None))

    def date_ink(self, ink: np.ndarray, x: int, y: int) -> bool:
        """Queues a handwritten date already written (e.g. by `hand`), labelled `date`."""
        return self.overlay(ink, x, y, self.hand_darkness, DATE)

    # -- handwriting helpers ---------------------------------------------------------------------

    def ink_darkness(self) -> float:
        # Blue ballpoint scans lighter than black felt-tip.
        return float(self.rng.uniform(0.55, 0.98))

    def signature(self, height: int, max_width: int) -> np.ndarray:
        if self.pool:
            crop = self.pool[int(self.rng.integers(len(self.pool)))]
            ink = E.ink_from_crop(crop)
            ink = E.resize_ink(ink, height=max(8, int(height * self.rng.uniform(0.8, 1.3))))
        else:
            ink = E.synthetic_signature(self.rng, height)
        if ink.shape[1] > max_width:
            ink = E.resize_ink(ink, width=max_width)
        return ink

    def sign_on_line(self, x: int, line_y: int, max_width: int, height: int | None = None) -> bool:
        """A signature resting on (and usually crossing) a printed line at `line_y`."""
        height = height or self.px(self.rng.uniform(40, 95))
        darkness, colour = None, None
        if self.ink_styles:
            style = self.ink_styles[int(self.rng.integers(len(self.ink_styles)))]
            ink, darkness, colour = styled_signature(self.rng, height, style, 100 * self.scale)
            if ink.shape[1] > max_width:
                ink = E.resize_ink(ink, width=max_width)
        else:
            ink = self.signature(height, max_width)
        drop = self.rng.uniform(0.05, 0.4) * ink.shape[0]
        y = int(line_y - ink.shape[0] + drop)
        x = int(x + self.rng.uniform(0, max(1, max_width - ink.shape[1])))
        darkness = self.ink_darkness() if darkness is None else darkness
        return self.overlay(ink, x, y, darkness, SIGNATURE, colour=colour)

    def date_at(self, x: int, baseline: int, max_width: int) -> bool:
        ink, _ = E.handwritten_date(self.rng, self.px(self.rng.uniform(18, 34)))
        if ink.shape[1] > max_width:
            ink = E.resize_ink(ink, width=max_width)
        y = int(baseline - ink.shape[0] + self.rng.uniform(0, 0.25) * ink.shape[0])
        return self.overlay(ink, x, y, self.ink_darkness(), DATE)

    def initials_at(self, x: int, baseline: int, max_width: int) -> bool:
        ink = E.handwritten_initials(self.rng, self.px(self.rng.uniform(20, 42)))
        if ink.shape[1] > max_width:
            ink = E.resize_ink(ink, width=max_width)
        y = int(baseline - ink.shape[0] + self.rng.uniform(0, 0.3) * ink.shape[0])
        return self.overlay(ink, x, y, self.ink_darkness(), INITIALS)

    def initials_field(self, x: int, y: int, width: int, label: str, font: E.Font) -> None:
        """A printed, underlined field labelled `label` at (x, y), initialled by hand."""
        field = E.draw_form_field(
            self.draw, x, y, width, label, font, "underline", self.px(30), self.print_fill
        )
        self.initials_at(field[0] + self.px(4), field[3] - self.px(4), field[2] - field[0])

    def redact(self, count: int) -> None:
        """Black bars over a few words of random printed lines."""
        lines = [b for b in self.text_lines if b[2] - b[0] > 40]
        for _ in range(count):
            if not lines:
                return
            x1, y1, x2, y2 = lines[int(self.rng.integers(len(lines)))]
            width = int((x2 - x1) * self.rng.uniform(0.15, 1.0))
            start = int(x1 + self.rng.uniform(0, x2 - x1 - width))
            pad = int(self.rng.integers(1, 5))
            ink = E.redaction_bar(self.rng, width + 2 * pad, y2 - y1 + 2 * pad)
            darkness = float(self.rng.uniform(0.9, 1.0))
            self.overlay(ink, start - pad, y1 - pad, darkness, REDACTION, kind="redaction")

    def stamp(self) -> None:
        ink, darkness = E.stamp(self.rng, self.px(self.rng.uniform(90, 170)))
        x = int(self.rng.uniform(0, max(1, self.width - ink.shape[1])))
        y = int(self.rng.uniform(0, max(1, self.height - ink.shape[0])))
        self.overlay(ink, x, y, darkness, kind="stamp")

    def note(self) -> None:
        """Unlabelled handwriting in a margin: a distractor the detector must ignore."""
        ink = E.handwritten_note(self.rng, self.px(self.rng.uniform(16, 30)))
        x = int(self.rng.uniform(5, max(6, self.width - ink.shape[1] - 5)))
        y = int(self.rng.uniform(5, max(6, self.height - ink.shape[0] - 5)))
        box = (x, y, x + ink.shape[1], y + ink.shape[0])
        if self.free(box, pad=6):
            self.overlay(ink, x, y, self.ink_darkness())

    # -- rendering --------------------------------------------------------------------------------

    def render(self, colour: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(page, instance map, labels): page uint8 (H, W), or (H, W, 3) RGB when `colour`."""
        paper = np.array(np.asarray(self.image, np.float32) / 255.0)  # writable copy
        if colour:
            paper_rgb = _pick(self.colour_rng, _PAPERS, 0.015)
            toner = _pick(self.colour_rng, _TONERS, 0.01)
            printed = paper[..., None]
            paper = paper_rgb * (printed + (1.0 - printed) * toner)
            pen = pen_ink(self.colour_rng)
        label_map = np.zeros(paper.shape[:2], np.uint8)
        labels = []
        for ink, x, y, darkness, label, kind, ink_colour in self.overlays:
            if colour:
                ink_colour = ink_colour or self._ink_colour(kind, pen)
                region = _composite_colour(paper, ink, x, y, darkness, ink_colour)
            else:
                region = E.composite_ink(paper, ink, x, y, darkness)
            if label is None or region is None:
                continue
            x1, y1, x2, y2 = region
            # Faint ink (pencil, a dry pen) counts where it is at its darkest.
            level = min(_MASK_THRESHOLD, 0.4 * darkness)
            mask = ink[y1 - y : y2 - y, x1 - x : x2 - x] * darkness > level
            if label == REDACTION:
                mask = ink[y1 - y : y2 - y, x1 - x : x2 - x] > 0.5
            if not mask.any() or len(labels) >= 254:
                continue
            labels.append(label)
            label_map[y1:y2, x1:x2][mask] = len(labels)
        image = np.clip(np.rint(paper * 255), 0, 255).astype(np.uint8)
        return image, label_map, np.asarray(labels, np.int32)

    def _ink_colour(self, kind: str, pen: tuple[float, float, float]) -> tuple:
        rng = self.colour_rng
        if kind == "hand":  # one pen for most of a page's handwriting
            return pen if rng.random() < 0.8 else pen_ink(rng)
        if kind == "redaction":
            return (0.04, 0.04, 0.05)
        palette = {"stamp": _STAMP_INKS, "logo": _LOGO_INKS, "tint": _TINTS}[kind]
        return tuple(_pick(rng, palette, 0.03))


def _pick(rng: np.random.Generator, palette, spread: float) -> np.ndarray:
    """A colour of `palette` with a little random variation."""
    base = np.asarray(palette[int(rng.integers(len(palette)))], np.float32)
    return np.clip(base + rng.normal(0, spread, 3), 0.0, 1.0).astype(np.float32)


def _composite_colour(
    page: np.ndarray, ink: np.ndarray, x: int, y: int, darkness: float, colour
) -> tuple[int, int, int, int] | None:
    """`page_elements.composite_ink` for an RGB page: each channel absorbs what the ink lacks."""
    height, width = page.shape[:2]
    x1, y1 = max(x, 0), max(y, 0)
    x2, y2 = min(x + ink.shape[1], width), min(y + ink.shape[0], height)
    if x2 <= x1 or y2 <= y1:
        return None
    patch = ink[y1 - y : y2 - y, x1 - x : x2 - x, None]
    absorbed = 1.0 - np.asarray(colour, np.float32)
    page[y1:y2, x1:x2] *= 1.0 - darkness * patch * absorbed
    return x1, y1, x2, y2


# --- layouts ----------------------------------------------------------------------------------


def _letterhead(page: PageLayout) -> int:
    rng, m = page.rng, page.margin
    y = page.px(rng.uniform(35, 60))
    if rng.random() < 0.7:
        ink = E.logo(rng, page.px(rng.uniform(30, 60)))
        x = m if rng.random() < 0.6 else (page.width - ink.shape[1]) // 2
        page.overlay(ink, x, y, float(rng.uniform(0.7, 1.0)), kind="logo")
        y += ink.shape[0] + page.px(8)
    else:
        font = page.font("bold", page.px(rng.uniform(18, 28)))
        y = page.text(m, y, E.random_company(rng), font)[3] + page.px(6)
    small = page.font("sans", page.px(rng.uniform(9, 12)))
    for line in E.random_address(rng):
        y = page.text(m, y, line, small)[3] + page.px(3)
    if rng.random() < 0.6:
        E.draw_rule(
            page.draw, m, page.width - m, y + page.px(6), rng.integers(1, 3), page.print_fill
        )
    return y + page.px(rng.uniform(20, 45))


def _letter(page: PageLayout) -> None:
    rng, m, draw = page.rng, page.margin, page.draw
    body = page.font(page.body_kind, page.body_size)
    line = int(page.body_size * 1.35)
    y = _letterhead(page)
    date_text = E.random_date_text(rng, style=3)
    page.text(m if rng.random() < 0.6 else page.width // 2, y, date_text, body)
    y += 2 * line
    for text in [E.random_name(rng), E.random_title(rng), E.random_company(rng)]:
        page.text(m, y, text, body)
        y += line
    y += line
    page.text(m, y, f"Dear {E.random_name(rng).split()[0]}:", body)
    y += int(line * 1.6)
    width = page.width - 2 * m
    for _ in range(int(rng.integers(2, 6))):
        if y > page.height * 0.62:
            break
        y = page.paragraph(m, y, width, int(rng.integers(2, 7))) + line // 2
    closing_x = m if rng.random() < 0.6 else page.width // 2
    page.text(
        closing_x,
        y + line // 2,
        str(rng.choice(["Sincerely,", "Very truly yours,", "Regards,"])),
        body,
    )
    gap = page.px(rng.uniform(35, 75))
    name_y = y + line + gap
    page.sign_on_line(closing_x - page.px(10), name_y + page.px(6), page.px(rng.uniform(170, 320)))
    name = E.random_name(rng)
    page.text(closing_x, name_y, name, body)
    page.text(closing_x, name_y + line, E.random_title(rng), body)
    y = name_y + 3 * line
    if rng.random() < 0.5:
        page.date_at(closing_x + page.px(rng.uniform(200, 330)), name_y, page.px(160))
    if rng.random() < 0.5 and y < page.height - m:
        initials = "".join(p[0] for p in name.split()).upper()
        page.text(m, y + line, f"{initials}:{E.random_words(rng, 1)[:2]}", body)
        page.text(m, y + 2 * line, f"cc: {E.random_name(rng)}", body)
    if rng.random() < 0.35:
        page.initials_at(page.width - m - page.px(80), page.height - page.px(40), page.px(80))
    if rng.random() < 0.45:
        page.redact(int(rng.integers(1, 4)))
    if rng.random() < 0.3:
        page.stamp()
    if rng.random() < 0.3:
        page.note()
    del draw


def _contract(page: PageLayout) -> None:
    rng, m = page.rng, page.margin
    body = page.font(page.body_kind, page.body_size)
    line = int(page.body_size * 1.35)
    y = page.px(rng.uniform(50, 90))
    title = str(rng.choice(["AGREEMENT", "SERVICES AGREEMENT", "CONTRACT OF SALE", "RELEASE"]))
    box = E.draw_heading(
        page.draw,
        m,
        y,
        title,
        page.font("bold", page.px(rng.uniform(18, 26))),
        page.print_fill,
        underline=rng.random() < 0.5,
        center_width=page.width - 2 * m,
    )
    y = box[3] + 2 * line
    width = page.width - 2 * m
    clause = 1
    while y < page.height * 0.6:
        head = page.font("bold", page.body_size)
        page.text(m, y, f"{clause}. {E.random_words(rng, 2).title()}", head)
        y = page.paragraph(m, y + line, width, int(rng.integers(2, 6))) + line // 2
        clause += 1
    y += line
    page.text(m, y, "IN WITNESS WHEREOF, the parties have executed this agreement.", body)
    y += 2 * line + page.px(rng.uniform(40, 70))
    small = page.font("sans", page.px(rng.uniform(9, 12)))
    column = (page.width - 2 * m) // 2
    for party in range(2 if rng.random() < 0.8 else 1):
        x = m + party * column
        field_width = column - page.px(40)
        E.draw_form_field(
            page.draw,
            x,
            y - page.px(40),
            field_width,
            "Signature",
            small,
            "below",
            page.px(40),
            page.print_fill,
        )
        if rng.random() < 0.9:
            page.sign_on_line(x, y, field_width)
        yy = y + page.px(35)
        page.text(x, yy, f"Name: {E.random_name(rng)}", small)
        field = E.draw_form_field(
            page.draw,
            x,
            yy + page.px(25),
            field_width // 2,
            "Date:",
            small,
            "underline",
            page.px(30),
            page.print_fill,
        )
        if rng.random() < 0.75:
            page.date_at(field[0] + page.px(5), field[3] - page.px(5), field[2] - field[0])
    if rng.random() < 0.6:
        x = page.width - m - page.px(140)
        page.initials_field(x, page.height - page.px(55), page.px(130), "Initials:", small)
    if rng.random() < 0.4:
        page.redact(int(rng.integers(1, 5)))
    if rng.random() < 0.3:
        page.stamp()


def _form(page: PageLayout) -> None:
    rng, m = page.rng, page.margin
    small = page.font("sans", page.px(rng.uniform(10, 13)))
    y = _letterhead(page) - page.px(10)
    title = str(rng.choice(["APPLICATION FORM", "EXPENSE REPORT", "PURCHASE ORDER", "CLAIM FORM"]))
    box = E.draw_heading(
        page.draw,
        m,
        y,
        title,
        page.font("bold", page.px(20)),
        page.print_fill,
        center_width=page.width - 2 * m,
    )
    y = box[3] + page.px(25)
    width = page.width - 2 * m
    for _ in range(int(rng.integers(3, 7))):
        label = str(
            rng.choice(
                ["Name:", "Address:", "Department:", "Account No.:", "Phone:", "Employee ID:"]
            )
        )
        field = E.draw_form_field(
            page.draw, m, y, width, label, small, "underline", page.px(26), page.print_fill
        )
        if rng.random() < 0.6:
            ink = E.handwritten_note(rng, page.px(rng.uniform(16, 24)))
            if ink.shape[1] < field[2] - field[0] - 10:
                page.overlay(
                    ink,
                    field[0] + page.px(10),
                    field[3] - ink.shape[0] - page.px(5),
                    page.ink_darkness(),
                )
        y += page.px(34)
    y += page.px(10)
    table_height = page.px(rng.uniform(150, 300))
    E.draw_table(
        page.draw, rng, (m, y, page.width - m, y + table_height), small, fill=page.print_fill
    )
    y += table_height + page.px(25)
    if y < page.height * 0.7:
        y = page.paragraph(m, y, width, int(rng.integers(1, 4)), small) + page.px(15)
    column = width // 2
    style = str(rng.choice(["box", "below"]))
    field = E.draw_form_field(
        page.draw,
        m,
        y,
        column - page.px(30),
        "Signature of applicant",
        small,
        style,
        page.px(55),
        page.print_fill,
    )
    page.sign_on_line(
        field[0] + page.px(5),
        field[3] - page.px(4),
        field[2] - field[0] - page.px(10),
        page.px(rng.uniform(45, 75)),
    )
    field = E.draw_form_field(
        page.draw, m + column, y, column // 2, "Date", small, style, page.px(40), page.print_fill
    )
    if rng.random() < 0.8:
        page.date_at(field[0] + page.px(4), field[3] - page.px(5), field[2] - field[0] - page.px(8))
    y = max(y + page.px(110), field[3] + page.px(30))
    if rng.random() < 0.6 and y < page.height - page.px(60):
        page.initials_field(m, y, page.px(140), "Initial here:", small)
    if rng.random() < 0.3:
        page.redact(int(rng.integers(1, 3)))
    if rng.random() < 0.4:
        page.stamp()


def _cheque(page: PageLayout) -> None:
    """One or two cheques (date, payee note and signature by hand) above a remittance note."""
    rng, m = page.rng, page.margin
    count = 2 if rng.random() < 0.4 else 1
    cheque_width = page.width - 2 * m
    cheque_height = int(cheque_width / rng.uniform(2.2, 2.6))
    y = page.px(rng.uniform(40, 120))
    for _ in range(count):
        draw_cheque(page, (m, y, m + cheque_width, y + cheque_height), filled_by_hand=False)
        y += cheque_height + page.px(rng.uniform(30, 80))
    if y < page.height - page.px(200):  # a remittance note under the cheque(s)
        page.paragraph(m, y + page.px(20), page.width - 2 * m, int(rng.integers(3, 9)))
    if rng.random() < 0.3:
        page.redact(int(rng.integers(1, 3)))
    if rng.random() < 0.3:
        page.stamp()


def _side_by_side(first: np.ndarray, last: np.ndarray, gap: int) -> np.ndarray:
    """Two ink patches on one baseline, `gap` px apart: a first name and surname written apart."""
    height = max(first.shape[0], last.shape[0])
    ink = np.zeros((height, first.shape[1] + gap + last.shape[1]), np.float32)
    ink[height - first.shape[0] :, : first.shape[1]] = first
    ink[height - last.shape[0] :, first.shape[1] + gap :] = last
    return ink


def _signing_page(page: PageLayout) -> None:
    """Two to five large signatures stacked down an agreement's last page.

    Each crosses its rule and the printed role under it, rises into the
    caption above, and about a third are a first name and a surname written
    apart, which still make one signature.
    """
    rng, m = page.rng, page.margin
    width = page.width - 2 * m
    heading = page.font("bold", page.px(rng.uniform(15, 22)))
    y = page.px(rng.uniform(40, 90))
    for _ in range(int(rng.integers(1, 4))):
        text = E.random_company(rng) if rng.random() < 0.6 else E.random_words(rng, 4).title()
        box = E.draw_heading(page.draw, m, y, text, heading, page.print_fill, center_width=width)
        page.text_lines.append(box)
        y = box[3] + page.px(6)
    y = page.paragraph(m, y + page.px(20), width, int(rng.integers(2, 6)))
    count = int(rng.integers(2, 6))
    step = (page.height - page.px(60) - y) / count
    caption = page.font(page.body_kind, page.px(rng.uniform(10, 15)))
    centred = rng.random() < 0.6
    for i in range(count):
        line_y = int(y + step * (i + 1) - page.px(rng.uniform(20, 35)))
        rule = page.px(rng.uniform(260, 500))
        x = (page.width - rule) // 2 if centred else m
        E.draw_rule(page.draw, x, x + rule, line_y, int(rng.integers(1, 3)), page.print_fill)
        role = f"{E.random_title(rng)}, {E.random_company(rng)}"
        page.text(x + page.px(rng.uniform(0, 60)), line_y + page.px(4), role, caption)
        height = int(min(step * rng.uniform(0.5, 0.9), page.px(150)))
        max_width = min(int(rule * rng.uniform(1.0, 1.3)), width)
        if page.ink_styles or rng.random() < 0.65:
            page.sign_on_line(x - (max_width - rule) // 2, line_y, max_width, height)
            continue
        first = page.signature(int(height * rng.uniform(0.7, 1.0)), max_width // 3)
        last = page.signature(height, max_width // 2)
        ink = _side_by_side(first, last, page.px(rng.uniform(8, 35)))
        drop = rng.uniform(0.1, 0.4) * ink.shape[0]
        page.overlay(ink, x, int(line_y - ink.shape[0] + drop), page.ink_darkness(), SIGNATURE)


_LAYOUT_FUNCTIONS = {
    "letter": _letter,
    "contract": _contract,
    "form": _form,
    "cheque": _cheque,
    SIGNING_LAYOUT: _signing_page,
    **FILLED_LAYOUT_FUNCTIONS,
}


# --- scanning and photographing -----------------------------------------------------------------


def _scan(
    image: np.ndarray, label_map: np.ndarray, rng: np.random.Generator, allow_binarize: bool
) -> tuple[np.ndarray, np.ndarray]:
    image = D.paper_texture(image, rng)
    if rng.random() < 0.6:
        matrix = D.rotation_matrix(float(rng.uniform(-2.5, 2.5)), image.shape)
        fill = 255 if rng.random() < 0.7 else int(rng.integers(0, 90))
        image = D.warp(image, matrix, fill=fill)
        label_map = D.warp_label_map(label_map, matrix)
    if rng.random() < 0.3:
        image = D.uneven_illumination(image, rng, float(rng.uniform(0.05, 0.25)))
    if rng.random() < 0.5:
        image = D.blur(image, rng, float(rng.uniform(0.3, 0.9)))
    if rng.random() < 0.4:
        image = D.photocopy_speckle(image, rng)
    if rng.random() < 0.6:
        image = D.contrast_brightness(image, rng)
    if rng.random() < 0.12 and allow_binarize:
        image = D.binarize(image, rng)
    if rng.random() < 0.6:
        image = D.gaussian_noise(image, rng, float(rng.uniform(1.5, 8.0)))
    if rng.random() < 0.5:
        image = D.jpeg_artifacts(image, rng, int(rng.integers(30, 90)))
    return image, label_map


def _photograph(
    image: np.ndarray, label_map: np.ndarray, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(RGB photo, its instance map, visible flags) of an RGB page (`photo_simulation`)."""
    texture = D.paper_texture(np.full(image.shape[:2], 255, np.uint8), rng)
    textured = np.rint(image * (texture[..., None] / 255.0)).astype(np.uint8)
    boxes = D.boxes_from_label_map(label_map, count)
    photo = simulate_photo(textured, rng, boxes=boxes, label_map=label_map)
    return photo.image, photo.label_map, photo.visible


# --- public API ---------------------------------------------------------------------------------


def generate_page(
    seed: int,
    size: tuple[int, int] = (1100, 850),
    signature_pool: list[np.ndarray] | None = None,
    layout: str | None = None,
    photographed: bool | None = None,
    ink_styles: Sequence[str] | None = None,
) -> SyntheticPage:
    """Generates one synthetic scanned or photographed page, deterministic from `seed`.

    Args:
        seed: int. Same seed (and arguments), same page.
        size: (height, width) in pixels, default (1100, 850): letter paper at 100 dpi.
            (3507, 2480) is A4 at 300 dpi; a landscape size with `"filled_cheque"` is a
            cheque on its own.
        signature_pool: optional list of real grayscale (H, W) uint8 signature
            crops; signatures are drawn from it (background removed, multiply
            blended) instead of being synthesised. None or empty: synthetic.
        layout: one of `ALL_LAYOUTS`, default drawn from the seed among `LAYOUTS`.
        photographed: force (or forbid) a phone photo (`photo_simulation`, RGB
            output); default drawn (about 20 % of pages).
        ink_styles: draw every signature with one of these pens
            (`handwriting.INK_STYLES`: pencil, faint, thin, grey), or None for ordinary
            pens. Binarisation is then never applied, so the faint ink stays on the page.

    Returns:
        A `SyntheticPage` with tight `xyxy` boxes and `CLASS_NAMES` labels.

    Example:
    ```python
    page = generate_page(0, signature_pool=[crop1, crop2])
    photo = generate_page(0, photographed=True)  # photo.image is (1100, 850, 3) RGB
    faint = generate_page(0, size=(3507, 2480), ink_styles=("pencil", "faint"))
    ```
    """
    if len(size) != 2 or min(size) < 200:
        raise ValueError(f"size should be (height, width) with both >= 200, got {size!r}.")
    if layout is not None and layout not in ALL_LAYOUTS:
        raise ValueError(f"layout should be one of {ALL_LAYOUTS} or None, got {layout!r}.")
    unknown = set(ink_styles or ()) - set(INK_STYLES)
    if unknown:
        raise ValueError(f"ink_styles should be among {INK_STYLES}; received {sorted(unknown)}.")
    rng = np.random.default_rng(seed)
    layout = str(rng.choice(LAYOUTS, p=[0.35, 0.25, 0.25, 0.15])) if layout is None else layout
    photo_draw = rng.random() < 0.2
    photographed = photo_draw if photographed is None else bool(photographed)
    page = PageLayout(
        rng,
        (int(size[0]), int(size[1])),
        list(signature_pool or []),
        colour_rng=np.random.default_rng([seed, 1]),
        ink_styles=ink_styles,
    )
    _LAYOUT_FUNCTIONS[layout](page)
    image, label_map, labels = page.render(colour=photographed)
    if photographed:
        image, label_map, visible = _photograph(image, label_map, len(labels), rng)
    else:
        image, label_map = _scan(image, label_map, rng, allow_binarize=not ink_styles)
        visible = np.ones(len(labels), bool)
    boxes = D.boxes_from_label_map(label_map, len(labels))
    keep = visible & (boxes[:, 2] - boxes[:, 0] >= 2) & (boxes[:, 3] - boxes[:, 1] >= 2)
    return SyntheticPage(image, boxes[keep], labels[keep], layout, photographed)


def _page_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def generate_pages(
    n: int,
    seed: int,
    out_dir: str | os.PathLike,
    size: tuple[int, int] = (1100, 850),
    signature_pool: list[np.ndarray] | None = None,
    image_format: str = "png",
    on_page: Callable[[int], None] | None = None,
) -> list[DetectionRecord]:
    """Writes `n` pages as a YOLO folder plus a COCO json.

    Layout: `out_dir/images/page_00000.png`, `out_dir/labels/page_00000.txt`,
    `out_dir/data.yaml`, `out_dir/annotations.coco.json`. Page `i` is
    `generate_page(seed_i)` with `seed_i` derived from (`seed`, `i`), so any page
    can be regenerated alone.

    `on_page(index)`, when given, is called after each page is written (progress bars).

    Returns:
        The `DetectionRecord`s written.

    Example:
    ```python
    records = generate_pages(100, seed=0, out_dir="synthetic/train")
    ```
    """
    if image_format not in ("png", "jpg"):
        raise ValueError(f"image_format should be 'png' or 'jpg', got {image_format!r}.")
    out_dir = Path(out_dir)
    (out_dir / "images").mkdir(parents=True, exist_ok=True)
    records = []
    for index in range(int(n)):
        page = generate_page(_page_seed(seed, index), size, signature_pool)
        path = out_dir / "images" / f"page_{index:05d}.{image_format}"
        options = {"quality": 92} if image_format == "jpg" else {"optimize": False}
        Image.fromarray(page.image).save(path, **options)
        height, width = page.image.shape[:2]
        records.append(DetectionRecord(str(path), page.boxes, page.labels, width, height))
        if on_page is not None:
            on_page(index)
    write_yolo(records, out_dir, class_names=CLASS_NAMES)
    write_coco(records, out_dir / "annotations.coco.json", CLASS_NAMES)
    return records


def contact_sheet(
    pages: list[SyntheticPage],
    path: str | os.PathLike,
    columns: int = 4,
    thumb_width: int = 300,
) -> Path:
    """Writes a PNG grid of pages with class-coloured boxes and a legend.

    Example:
    ```python
    contact_sheet([generate_page(s) for s in range(8)], "docs/images/synthetic_documents.png")
    ```
    """
    if not pages:
        raise ValueError("contact_sheet needs at least one page; received an empty list.")
    thumbs = []
    for page in pages:
        height, width = page.image.shape[:2]
        scale = thumb_width / width
        thumb = Image.fromarray(page.image).convert("RGB")
        thumb = thumb.resize((thumb_width, int(round(height * scale))), Image.LANCZOS)
        draw = ImageDraw.Draw(thumb)
        for box, label in zip(page.boxes.tolist(), page.labels.tolist(), strict=True):
            draw.rectangle([v * scale for v in box], outline=CLASS_COLORS[label], width=2)
        thumbs.append(thumb)
    cell_h = max(t.height for t in thumbs)
    rows = (len(thumbs) + columns - 1) // columns
    legend = 22
    sheet = Image.new(
        "RGB", (columns * (thumb_width + 6) + 6, rows * (cell_h + 6) + 6 + legend), "white"
    )
    draw = ImageDraw.Draw(sheet)
    x = 8
    font = E.get_font("sans", 13)
    for name, colour in zip(CLASS_NAMES, CLASS_COLORS, strict=True):
        draw.rectangle((x, 5, x + 12, 17), fill=colour)
        draw.text((x + 16, 3), name, fill=(0, 0, 0), font=font)
        x += 30 + int(draw.textlength(name, font=font))
    for index, thumb in enumerate(thumbs):
        r, c = divmod(index, columns)
        sheet.paste(thumb, (6 + c * (thumb_width + 6), legend + 6 + r * (cell_h + 6)))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A palette of 60 greys plus the class colours keeps sheets small enough to commit.
    colours = [(v, v, v) for v in np.linspace(0, 255, 60).astype(int)] + list(CLASS_COLORS)
    palette = Image.new("P", (1, 1))
    palette.putpalette([c for colour in colours for c in colour] * 4)
    sheet.quantize(palette=palette, dither=Image.Dither.NONE).save(path, optimize=True)
    return path
