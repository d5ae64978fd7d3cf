"""Hand-filled cheques and forms (hard negatives), handwriting, and hard-to-see signature pens."""

from __future__ import annotations

import numpy as np
import pytest

from signver_keras.data.synthetic import page_elements as E
from signver_keras.data.synthetic.filled_documents import (
    amount_in_words,
    filled_cheque,
    filled_form,
)
from signver_keras.data.synthetic.handwriting import (
    INK_STYLES,
    WRITING_METHODS,
    Hand,
    styled_signature,
    writing_strokes,
)
from signver_keras.data.synthetic.synthetic_documents import (
    CLASS_NAMES,
    DATE,
    SIGNATURE,
    PageLayout,
    generate_page,
)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (1250.5, "One thousand two hundred fifty and 50/100"),
        (21, "Twenty-one and 00/100"),
        (0.99, "Zero and 99/100"),
        (3_000_017.1, "Three million seventeen and 10/100"),
    ],
)
def test_amount_in_words(value, words):
    assert amount_in_words(value) == words


@pytest.mark.parametrize(("layout", "fill"), [("cheque", filled_cheque), ("form", filled_form)])
def test_filled_pages_label_signature_and_dates_but_not_other_handwriting(layout, fill):
    page = PageLayout(np.random.default_rng(3), (1100, 850), None)
    fill(page)
    labelled = [o[4] for o in page.overlays if o[4] is not None]
    negatives = [o for o in page.overlays if o[4] is None and o[5] == "hand"]
    assert SIGNATURE in labelled and DATE in labelled
    # Payee, amounts, memo / name, address, comments: unlabelled handwriting.
    assert len(negatives) >= 3


@pytest.mark.parametrize(
    ("layout", "size", "photographed"),
    [("filled_cheque", (700, 1600), True), ("filled_form", (1100, 850), False)],
)
def test_generated_filled_pages_are_deterministic(layout, size, photographed):
    a = generate_page(5, size=size, layout=layout, photographed=photographed)
    b = generate_page(5, size=size, layout=layout, photographed=photographed)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    assert a.image.shape[:2] == size and a.layout == layout
    assert set(a.labels.tolist()) <= {
        CLASS_NAMES.index(n) for n in ("signature", "initials", "date")
    }
    assert SIGNATURE in a.labels.tolist()


@pytest.mark.parametrize("method", WRITING_METHODS)
def test_hand_writes_tight_deterministic_patches(method):
    hand = Hand(method=method)
    a = hand.write(np.random.default_rng(1), "Pay Mary 1,250.00", x_height=10)
    b = hand.write(np.random.default_rng(1), "Pay Mary 1,250.00", x_height=10)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
    assert a.shape[1] > 4 * a.shape[0]  # a line of writing, not a blob
    for edge in (a[0], a[-1], a[:, 0], a[:, -1]):
        assert edge.max() > 0.05


def test_writing_follows_the_text():
    rng = np.random.default_rng(0)
    short = writing_strokes(rng, "ace")
    tall = writing_strokes(rng, "hlk")
    height = lambda strokes: -min(p[:, 1].min() for p, _ in strokes)  # noqa: E731
    assert height(tall) > 1.5 * height(short)  # ascenders rise above the x-height
    digits = writing_strokes(rng, "12/03")
    assert len(digits) == 5  # one pen stroke per digit and slash
    with pytest.raises(ValueError, match="letters, digits or punctuation"):
        writing_strokes(rng, "   ")


@pytest.mark.parametrize("style", INK_STYLES)
def test_styled_signatures_are_hard_to_see(style):
    ink, darkness, colour = styled_signature(np.random.default_rng(2), 150, style, dpi=300)
    assert ink.ndim == 2 and ink.dtype == np.float32 and ink.max() > 0.3
    assert len(colour) == 3 and all(0 <= c <= 1 for c in colour)
    if style == "thin":
        strokes = E.signature_strokes(np.random.default_rng(2))
        ordinary = E.render_strokes(strokes, np.random.default_rng(2), 150, pen_width=5.0)
        assert ink.mean() < ordinary.mean()  # less ink per pixel: thinner strokes
    else:
        assert darkness <= 0.55


def test_ink_styles_reach_the_page_and_are_checked():
    page = generate_page(1, size=(1400, 1000), layout="letter", ink_styles=["pencil"])
    assert SIGNATURE in page.labels.tolist()
    with pytest.raises(ValueError, match="ink_styles should be among"):
        generate_page(1, ink_styles=["crayon"])
