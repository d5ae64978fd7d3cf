"""Cheques and forms filled in by hand: handwriting beside the signature that is not one.

On a real cheque the payer writes the payee's name, the amount in digits and in
words, the date and a memo, then signs; on a form the applicant writes a
name, an address, phone and account numbers, dates, ticks and comments, then
signs and prints the name beside the signature. Only the signature (and any
initials) is labelled `signature` (`initials`), every handwritten date `date`;
the rest of the handwriting is unlabelled: hard negatives that teach a
detector that handwriting is not a signature by itself.

Each filled page is written by one `handwriting.Hand` (one person, one pen).
The layouts draw on the page under construction of `synthetic_documents`;
use them through `generate_page(seed, layout="filled_cheque" | "filled_form")`.
`draw_cheque` draws every cheque, also those of the business `cheque` layout.

Example:
```python
from signver_keras.data.synthetic.filled_documents import amount_in_words
from signver_keras.data.synthetic.synthetic_documents import generate_page

amount_in_words(1250.5)  # 'One thousand two hundred fifty and 50/100'
cheque = generate_page(3, size=(700, 1600), layout="filled_cheque", photographed=True)
form = generate_page(4, layout="filled_form")
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from signver_keras.data.synthetic import page_elements as E
from signver_keras.data.synthetic.handwriting import Hand

if TYPE_CHECKING:  # the page class lives in synthetic_documents, which imports this module
    from signver_keras.data.synthetic.synthetic_documents import PageLayout

#: Layouts this module adds to `synthetic_documents`.
FILLED_LAYOUTS = ("filled_cheque", "filled_form")

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_MEMOS = (
    "Rent",
    "Invoice",
    "Deposit",
    "Services",
    "Repairs",
    "Tuition",
    "Refund",
    "Loan",
    "Consulting",
    "Insurance",
    "Supplies",
    "Catering",
)
_MONTHS = ("January", "March", "May", "June", "August", "October", "December")
_OCCUPATIONS = (
    "Teacher",
    "Accountant",
    "Engineer",
    "Nurse",
    "Sales manager",
    "Driver",
    "Retired",
    "Student",
    "Electrician",
    "Pharmacist",
)
_FORM_TITLES = (
    "ACCOUNT APPLICATION",
    "CLAIM FORM",
    "REGISTRATION FORM",
    "CHANGE OF ADDRESS",
    "MEMBERSHIP APPLICATION",
    "DIRECT DEBIT MANDATE",
)


def _below_thousand(number: int) -> str:
    hundreds, rest = divmod(number, 100)
    words = [f"{_ONES[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    elif rest or not words:
        words.append(_ONES[rest])
    return " ".join(words)


def amount_in_words(value: float) -> str:
    """An amount as written on a cheque: `1250.5` -> 'One thousand two hundred fifty and 50/100'."""
    if not 0 <= value < 1e9:
        raise ValueError(f"value should be in [0, 1e9) to write it in words; received {value}.")
    cents = int(round(value * 100))
    whole, cents = divmod(cents, 100)
    parts = []
    for scale, name in ((1_000_000, "million"), (1_000, "thousand"), (1, "")):
        group, whole = divmod(whole, scale)
        if group:
            parts.append(_below_thousand(group) + (f" {name}" if name else ""))
    words = " ".join(parts) or "zero"
    return f"{words[0].upper()}{words[1:]} and {cents:02d}/100"


def _amount(rng: np.random.Generator) -> float:
    """Cheque-like amounts: round hundreds, prices and odd sums."""
    kind = rng.random()
    if kind < 0.3:
        return float(rng.integers(1, 60) * 50)
    if kind < 0.7:
        return float(np.round(rng.uniform(5, 2000), 2))
    return float(np.round(np.exp(rng.uniform(np.log(20), np.log(90000))), 2))


def _money(value: float, rng: np.random.Generator) -> str:
    text = f"{value:,.2f}" if rng.random() < 0.7 else f"{value:.2f}"
    return ("**" + text) if rng.random() < 0.15 else text


# --- writing into fields ---------------------------------------------------------------------


def write_field(
    page: PageLayout, box: tuple[int, int, int, int], text: str, x_height: float | None = None
) -> bool:
    """Writes `text` by hand on the line at the bottom of `box`; unlabelled (a negative)."""
    rng = page.rng
    x1, y1, x2, y2 = (int(v) for v in box)
    room = x2 - x1 - page.px(6)
    if room < page.px(12) or y2 - y1 < 4:
        return False
    x_height = x_height or max(4.0, (y2 - y1) * rng.uniform(0.22, 0.32))
    ink = page.hand.write(rng, text, x_height)
    if ink.shape[1] > room:
        ink = E.resize_ink(ink, width=room)
    x = x1 + page.px(3) + int(rng.uniform(0, 0.35) * (room - ink.shape[1]))
    y = int(y2 - ink.shape[0] + rng.uniform(0.05, 0.3) * ink.shape[0])
    return page.overlay(ink, x, y, page.hand_darkness, kind="hand")


def write_date(page: PageLayout, box: tuple[int, int, int, int]) -> bool:
    """A handwritten date on the line at the bottom of `box`, labelled `date`."""
    rng = page.rng
    x1, y1, x2, y2 = (int(v) for v in box)
    room = x2 - x1 - page.px(6)
    ink = page.hand.write(rng, E.random_date_text(rng), max(4.0, (y2 - y1) * 0.28))
    if ink.shape[1] > room:
        ink = E.resize_ink(ink, width=max(4, room))
    y = int(y2 - ink.shape[0] + rng.uniform(0.05, 0.25) * ink.shape[0])
    return page.date_ink(ink, x1 + page.px(3), y)


def _pen_line(page: PageLayout, x1: int, x2: int, y: int) -> None:
    """The wavy or straight pen line that fills the rest of the amount-in-words line."""
    rng = page.rng
    if x2 - x1 < page.px(20):
        return
    count = 40
    xs = np.linspace(0, (x2 - x1) / 10, count)
    ys = np.sin(xs * rng.uniform(1.5, 4)) * rng.uniform(0, 0.25) + rng.normal(0, 0.02, count)
    strokes = [(np.stack([xs, ys], 1), np.full(count, 0.8))]
    ink = E.render_strokes(strokes, rng, max(3, page.px(rng.uniform(3, 7))), slant=0)
    ink = E.resize_ink(ink, height=ink.shape[0], width=x2 - x1)
    page.overlay(ink, x1, y - ink.shape[0] // 2, page.hand_darkness, kind="hand")


def _start_filling(page: PageLayout) -> None:
    page.hand = Hand.sample(page.rng)
    page.hand_darkness = page.ink_darkness()


# --- cheques -----------------------------------------------------------------------------------


def draw_cheque(
    page: PageLayout, box: tuple[int, int, int, int], filled_by_hand: bool = True
) -> None:
    """A personal cheque in `box` (xyxy pixels), signed on its signature line.

    Printed: the payer's name and address, the cheque number, date, payee,
    amount and memo fields, the bank, the signature line and the MICR line.
    `filled_by_hand` (the `filled_cheque` layout; needs `page.hand`): the payer
    writes the date, payee, amount in digits and in words and a memo.
    Otherwise (the business `cheque` layout) only the date and a payee note
    are handwritten; the other fields stay blank.
    """
    rng = page.rng
    x1, y1, x2, y2 = box
    width, height = x2 - x1, y2 - y1
    unit = height / 10
    page.draw.rectangle(box, outline=page.print_fill, width=max(1, int(unit * 0.06)))
    if rng.random() < 0.7:  # a pale security tint behind the fields
        page.tint((x1 + 2, y1 + 2, x2 - 2, y2 - 2))
    small = page.font("sans", unit * rng.uniform(0.42, 0.55))
    payer = [E.random_name(rng).upper(), *E.random_address(rng)]
    for row, line in enumerate(payer):
        page.text(x1 + int(unit * 0.4), y1 + int(unit * (0.35 + 0.55 * row)), line, small)
    page.text(x2 - int(unit * 2.6), y1 + int(unit * 0.35), f"{rng.integers(100, 9999)}", small)
    field = E.draw_form_field(
        page.draw,
        x2 - int(width * 0.34),
        y1 + int(unit * 1.6),
        int(width * 0.3),
        "DATE",
        small,
        "underline",
        int(unit * 1.3),
        page.print_fill,
    )
    if not filled_by_hand:
        page.date_at(field[0] + page.px(6), field[3] - page.px(4), field[2] - field[0] - page.px(8))
    elif rng.random() < 0.9:
        write_date(page, field)
    field = E.draw_form_field(
        page.draw,
        x1 + int(unit * 0.4),
        y1 + int(unit * 3.0),
        int(width * 0.7),
        "PAY TO THE ORDER OF",
        small,
        "underline",
        int(unit * 1.4),
        page.print_fill,
    )
    if filled_by_hand:
        payee = E.random_name(rng) if rng.random() < 0.7 else E.random_company(rng)
        write_field(page, field, payee)
        amount = _amount(rng)  # drawn here, so each seed still gives the same cheque
    else:
        note = E.handwritten_note(rng, int(unit * 1.1))
        if note.shape[1] < field[2] - field[0]:
            x, y = field[0] + page.px(10), field[3] - note.shape[0] - page.px(4)
            page.overlay(note, x, y, page.ink_darkness())
    amount_box = (
        x2 - int(width * 0.22),
        y1 + int(unit * 2.7),
        x2 - int(unit * 0.4),
        y1 + int(unit * 4.1),
    )
    page.draw.rectangle(amount_box, outline=page.print_fill, width=1)
    page.text(amount_box[0] - int(unit * 0.5), amount_box[1] + int(unit * 0.25), "$", small)
    if filled_by_hand:
        write_field(page, amount_box, _money(amount, rng), (amount_box[3] - amount_box[1]) * 0.3)
    line_y = y1 + int(unit * 5.4)
    E.draw_rule(page.draw, x1 + int(unit * 0.4), x2 - int(unit * 2.4), line_y, 1, page.print_fill)
    page.text(x2 - int(unit * 2.2), line_y - int(unit * 0.55), "DOLLARS", small)
    words_box = (x1 + int(unit * 0.4), line_y - int(unit * 1.3), x2 - int(unit * 2.5), line_y)
    if (
        filled_by_hand
        and write_field(page, words_box, amount_in_words(amount), unit * 0.36)
        and rng.random() < 0.6
    ):
        end = page.overlays[-1][1] + page.overlays[-1][0].shape[1]
        _pen_line(page, end + page.px(4), words_box[2], line_y - int(unit * 0.3))
    page.text(x1 + int(unit * 0.4), y1 + int(unit * 6.0), E.random_company(rng).upper(), small)
    field = E.draw_form_field(
        page.draw,
        x1 + int(unit * 0.4),
        y1 + int(unit * 7.3),
        int(width * 0.4),
        "MEMO",
        small,
        "underline",
        int(unit * 1.3),
        page.print_fill,
    )
    if filled_by_hand and rng.random() < 0.7:
        memo = str(rng.choice(_MEMOS))
        memo += f" {rng.integers(100, 9999)}" if rng.random() < 0.4 else f" {rng.choice(_MONTHS)}"
        write_field(page, field, memo)
    sign_x, sign_line = x2 - int(width * 0.42), y1 + int(unit * 8.2)
    E.draw_rule(page.draw, sign_x, x2 - int(unit * 0.4), sign_line, 1, page.print_fill)
    page.sign_on_line(
        sign_x, sign_line, int(width * 0.4) - int(unit * 0.4), int(unit * rng.uniform(1.6, 2.6))
    )
    micr = page.font("mono", unit * 0.5)
    page.text(
        x1 + int(unit * 1.2),
        y1 + int(unit * 8.9),
        f"|:{rng.integers(10**8, 10**9)}|: {rng.integers(10**9, 10**10)}||' "
        f"{rng.integers(1000, 9999)}",
        micr,
    )


def filled_cheque(page: PageLayout) -> None:
    """One cheque filling a landscape page, or cheques (and a stub) down a portrait page."""
    rng = page.rng
    _start_filling(page)
    if page.width > 1.5 * page.height:
        pad = int(min(page.width, page.height) * rng.uniform(0.02, 0.06))
        draw_cheque(page, (pad, pad, page.width - pad, page.height - pad))
        return
    m = page.margin
    width = page.width - 2 * m
    height = int(width / rng.uniform(2.2, 2.5))
    y = page.px(rng.uniform(40, 120))
    for _ in range(1 if rng.random() < 0.6 else 2):
        if y + height > page.height - m:
            break
        draw_cheque(page, (m, y, m + width, y + height))
        y += height + page.px(rng.uniform(30, 70))
    if y < page.height - page.px(220):  # the stub or the remittance advice below
        small = page.font("sans", page.px(11))
        for label in ("Paid to", "For", "Amount", "Balance"):
            field = E.draw_form_field(
                page.draw,
                m,
                y,
                width // 2,
                f"{label}:",
                small,
                "underline",
                page.px(26),
                page.print_fill,
            )
            if label == "Paid to":
                write_field(page, field, E.random_name(rng))
            elif label == "For":
                write_field(page, field, E.random_words(rng, int(rng.integers(1, 4))))
            else:
                write_field(page, field, _money(_amount(rng), rng))
            y += page.px(34)


# --- forms -------------------------------------------------------------------------------------


def _comb(page: PageLayout, x: int, y: int, label: str, digits: str, cell: int, font) -> None:
    """A printed row of character boxes with one handwritten character in each."""
    page.text(x, y + cell // 4, label, font)
    start = x + int(page.draw.textlength(label, font=font)) + page.px(8)
    for index, char in enumerate(digits):
        left = start + index * cell
        if left + cell > page.width - page.margin:
            return
        page.draw.rectangle((left, y, left + cell, y + cell), outline=page.print_fill, width=1)
        if char != " ":
            write_field(page, (left + 1, y + 2, left + cell - 1, y + cell - 3), char, cell * 0.3)


def _tick(page: PageLayout, x: int, y: int, size: int) -> None:
    rng = page.rng
    if rng.random() < 0.5:
        points = np.array([[0.0, 0.5], [0.35, 1.0], [1.1, -0.2]])
    else:
        points = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.5], [1.0, 0.0], [0.0, 1.0]])
    points = points + rng.normal(0, 0.05, points.shape)
    ink = E.render_strokes([(points, np.full(len(points), 0.9))], rng, size, slant=0)
    page.overlay(ink, x, y, page.hand_darkness, kind="hand")


def filled_form(page: PageLayout) -> None:
    """An application form filled in by hand, signed, with the name printed beside it."""
    rng, m = page.rng, page.margin
    _start_filling(page)
    small = page.font("sans", page.px(rng.uniform(10, 13)))
    width = page.width - 2 * m
    y = page.px(rng.uniform(40, 70))
    box = E.draw_heading(
        page.draw,
        m,
        y,
        str(rng.choice(_FORM_TITLES)),
        page.font("bold", page.px(20)),
        page.print_fill,
        center_width=width,
    )
    y = box[3] + page.px(25)
    name, address = E.random_name(rng), E.random_address(rng)
    fields = [
        ("Full name", name),
        ("Address", address[0]),
        ("City / ZIP", address[1]),
        ("Telephone", f"{rng.integers(200, 999)} {rng.integers(10**6, 10**7 - 1)}"),
        ("Occupation", str(rng.choice(_OCCUPATIONS))),
        ("Amount", _money(_amount(rng), rng)),
    ]
    row = page.px(rng.uniform(32, 40))
    for index in rng.permutation(len(fields))[: int(rng.integers(4, len(fields) + 1))]:
        label, text = fields[index]
        field = E.draw_form_field(
            page.draw,
            m,
            y,
            width,
            f"{label}:",
            small,
            "underline",
            row - page.px(6),
            page.print_fill,
        )
        if rng.random() < 0.9:
            write_field(page, field, text)
        y += row
    field = E.draw_form_field(
        page.draw,
        m,
        y,
        width // 2,
        "Date of birth:",
        small,
        "underline",
        row - page.px(6),
        page.print_fill,
    )
    write_date(page, field)
    y += row + page.px(8)
    cell = page.px(rng.uniform(20, 26))
    _comb(page, m, y, "Account No.", str(rng.integers(10**7, 10**9)), cell, small)
    y += cell + page.px(18)
    for option in rng.choice(["Email", "Post", "Phone", "Text message"], 3, replace=False):
        page.draw.rectangle((m, y, m + page.px(14), y + page.px(14)), outline=page.print_fill)
        page.text(m + page.px(22), y, str(option), small)
        if rng.random() < 0.5:
            _tick(page, m - page.px(2), y - page.px(6), page.px(20))
        y += page.px(22)
    y += page.px(8)
    page.text(m, y, "Comments:", small)
    y += page.px(6)
    for _ in range(int(rng.integers(1, 4))):
        y += page.px(30)
        E.draw_rule(page.draw, m, page.width - m, y, 1, page.print_fill)
        if rng.random() < 0.8:
            write_field(page, (m, y - page.px(26), page.width - m, y), E.random_sentence(rng))
    y += page.px(20)
    y = page.paragraph(m, y, width, int(rng.integers(2, 4)), small) + page.px(40)
    column = width // 2
    signers = 2 if rng.random() < 0.35 and y < page.height - page.px(260) else 1
    for signer in range(signers):
        if y > page.height - page.px(120):
            break
        label = "Signature" if signer == 0 else "Witness signature"
        field = E.draw_form_field(
            page.draw,
            m,
            y,
            column - page.px(30),
            label,
            small,
            "below",
            page.px(55),
            page.print_fill,
        )
        room = field[2] - field[0] - page.px(10)
        height = page.px(rng.uniform(45, 75))
        page.sign_on_line(field[0] + page.px(5), field[3] - page.px(4), room, height)
        printed = E.draw_form_field(
            page.draw,
            m + column,
            y + page.px(20),
            column,
            "Print name:",
            small,
            "underline",
            page.px(30),
            page.print_fill,
        )
        write_field(page, printed, name if signer == 0 else E.random_name(rng))
        dated = E.draw_form_field(
            page.draw,
            m + column,
            y + page.px(62),
            column // 2 + page.px(40),
            "Date:",
            small,
            "underline",
            page.px(30),
            page.print_fill,
        )
        write_date(page, dated)
        y += page.px(120)
    if rng.random() < 0.4 and y < page.height - page.px(60):
        x = page.width - m - page.px(150)
        page.initials_field(x, page.height - page.px(60), page.px(140), "Initials:", small)
    if rng.random() < 0.3:
        page.stamp()


LAYOUT_FUNCTIONS = {"filled_cheque": filled_cheque, "filled_form": filled_form}
