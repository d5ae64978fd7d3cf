"""Name-signing synthetic writers: deterministic, letter shapes in ink, forgeries not copies."""

import numpy as np
import pytest

from signver_keras.data.synthetic import synthetic_names
from signver_keras.data.synthetic.synthetic_names import NameWriter, random_signed_name
from signver_keras.utils.ink import normalize_signature


def test_writer_is_deterministic_dark_ink_on_white():
    a, b = NameWriter(3), NameWriter(3)
    assert a.name == b.name and a.hand == b.hand
    np.testing.assert_array_equal(a.genuine(1), b.genuine(1))
    np.testing.assert_array_equal(a.skilled_forgery(1, 2), b.skilled_forgery(1, 2))
    image = a.genuine(0)
    assert image.dtype == np.uint8 and image.ndim == 2
    assert image[0].min() == 255 and image[:, -1].min() == 255  # white margin
    assert image.min() < 100  # dark ink
    assert not np.array_equal(a.genuine(0), a.genuine(1))  # natural variation


def test_names_vary_between_writers():
    names = {random_signed_name(np.random.default_rng(s)) for s in range(50)}
    assert len(names) > 40


def _normalized(image):
    return normalize_signature(image, (64, 128))


def test_forgeries_differ_more_from_genuine_than_genuine_from_genuine():
    gaps_genuine, gaps_forged = [], []
    for seed in range(12):
        writer = NameWriter(seed)
        reference = _normalized(writer.genuine(0))
        gaps_genuine += [np.abs(_normalized(writer.genuine(i)) - reference).mean() for i in (1, 2)]
        gaps_forged += [
            np.abs(_normalized(writer.skilled_forgery(i, i)) - reference).mean() for i in (0, 1)
        ]
    assert np.mean(gaps_forged) > 1.2 * np.mean(gaps_genuine)


def test_missing_fonts_say_to_reinstall(monkeypatch):
    synthetic_names.handwriting_fonts.cache_clear()
    monkeypatch.setattr(synthetic_names, "find_fonts", lambda kind: [])
    with pytest.raises(RuntimeError, match="Reinstall"):
        NameWriter(0)
    synthetic_names.handwriting_fonts.cache_clear()
