"""Synthetic writers as training data: labels, cache, generator choice, the real share."""

import numpy as np
import pytest

from signver_keras.data.training.synthetic_mix import real_repeats, synthetic_set

SPEC = {"generator": "names", "writers": 2, "genuine": 3, "forgeries": 2, "forgers": 2, "seed": 7}


def test_records_arrays_and_cache(tmp_path):
    records, arrays = synthetic_set(SPEC, (32, 64), tmp_path)
    assert arrays.shape == (10, 32, 64) and arrays.dtype == np.uint8
    assert [r.genuine for r in records[:5]] == [True, True, True, False, False]
    assert len({r.writer_id for r in records}) == 2
    forgers = {r.forger_id for r in records if not r.genuine and r.writer_id.endswith("_7")}
    assert forgers == {"synthetic_forger_7_0", "synthetic_forger_7_1"}
    assert len(list(tmp_path.glob("synthetic_names_*.npy"))) == 1
    _, cached = synthetic_set(SPEC, (32, 64), tmp_path)
    np.testing.assert_array_equal(arrays, cached)


def test_unknown_generator_is_named(tmp_path):
    with pytest.raises(ValueError, match="'glyphs'"):
        synthetic_set({**SPEC, "generator": "glyphs"}, (32, 64), tmp_path)


def test_real_repeats_reach_the_share():
    assert real_repeats(4505, 12000, 0.5) == 3  # 4505 * 3 / (4505 * 3 + 12000) = 53 %
    assert real_repeats(4505, 12000, None) == 1
    assert real_repeats(36, 10, 0.5) == 1
