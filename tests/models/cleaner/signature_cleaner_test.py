import textwrap

import numpy as np
import pytest

import signver_keras as sv
from tests.cross_backend import TARGETS, run_in_other_backend, target_backend
from tests.tiny_models import tiny_cleaner


def crop(height=30, width=70, seed=0) -> np.ndarray:
    gray = np.full((height, width), 225, np.uint8)
    gray[height // 2, :] = 120  # a printed line
    rng = np.random.default_rng(seed)
    gray[rng.random(gray.shape) < 0.05] = 20
    return gray


@pytest.fixture(scope="module")
def cleaner():
    return tiny_cleaner()


def test_output_contract(cleaner):
    shapes = [(30, 70), (130, 45), (7, 9)]  # the middle one is downscaled to 64
    outputs = cleaner.clean([crop(*shape) for shape in shapes], batch_size=2)
    assert [output.shape for output in outputs] == shapes
    assert all(output.dtype == np.uint8 for output in outputs)
    [single] = cleaner.clean(crop())
    np.testing.assert_array_equal(single, outputs[0])


def test_clean_undoes_padding_and_scaling(cleaner, monkeypatch):
    gray = np.full((100, 160), 255, np.uint8)  # downscaled to 40x64, padded to 40x64
    gray[40:60, 20:100] = 0
    # A network that returns its input: the ink comes back where it was.
    monkeypatch.setattr(cleaner, "_forward", lambda batch: batch)
    [output] = cleaner.clean(gray)
    assert output.shape == gray.shape
    assert output[45:55, 25:95].max() < 10 and output[:30].min() > 245 and output[70:].min() > 245
    assert output[:, 110:].min() > 245


def test_preset_round_trip(cleaner, tmp_path):
    cleaner.save_to_preset(tmp_path / "cleaner")
    restored = sv.SignatureCleaner.from_preset(tmp_path / "cleaner")
    assert restored.preprocessor.max_side == 64 and restored.backbone.level_filters == (4, 8, 8)
    for got, want in zip(
        restored.clean([crop(), crop(90, 40)]), cleaner.clean([crop(), crop(90, 40)]), strict=True
    ):
        np.testing.assert_array_equal(got, want)


def test_fit_reduces_loss():
    cleaner = tiny_cleaner()
    dirty, _ = cleaner.preprocessor.prepare([crop(seed=1), crop(seed=2)])
    clean = np.full((2, 30, 70), 255, np.uint8)
    clean[:, 10:20, 10:60] = 0
    target, _ = cleaner.preprocessor.prepare(list(clean))
    assert target.shape == dirty.shape and target.max() == 1.0
    history = cleaner.fit(dirty, target, batch_size=2, epochs=6, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


def test_bad_inputs(cleaner, tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(sv.InvalidImageError, match="empty"):
        cleaner.clean(tmp_path / "empty.png")
    with pytest.raises(sv.InvalidImageError, match="float"):
        cleaner.clean(np.full((10, 10), 3.0))
    with pytest.raises(ValueError, match="batch_size"):
        cleaner.clean(crop(), batch_size=0)
    with pytest.raises(ValueError, match="pad_multiple"):
        sv.SignatureCleaner(
            cleaner.backbone, sv.models.SignatureCleanerPreprocessor(pad_multiple=2)
        ).clean(crop())


CROSS_BACKEND_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import signver_keras as sv
    cleaner = sv.SignatureCleaner.from_preset(sys.argv[1])
    crops = list(np.load(sys.argv[2]))
    batch, _ = cleaner.preprocessor.prepare(crops)
    np.savez(sys.argv[3], raw=np.asarray(cleaner._forward(batch)), clean=cleaner.clean(crops))
    """
)


@pytest.mark.cross_backend
@pytest.mark.parametrize("target", TARGETS)
def test_other_backend_gives_same_outputs(target, cleaner, tmp_path):
    backend = target_backend(target)
    cleaner.save_to_preset(tmp_path / "cleaner")
    crops = np.stack([crop(seed=3), crop(seed=4)])
    np.save(tmp_path / "crops.npy", crops)
    run_in_other_backend(
        CROSS_BACKEND_SCRIPT,
        str(tmp_path / "cleaner"),
        str(tmp_path / "crops.npy"),
        str(tmp_path / "out.npz"),
        backend=backend,
    )
    theirs = np.load(tmp_path / "out.npz")
    batch, _ = cleaner.preprocessor.prepare(list(crops))
    np.testing.assert_allclose(theirs["raw"], cleaner._forward(batch), atol=1e-5)
    # uint8 rounding may flip by one level where the probability sits on a boundary.
    assert np.abs(theirs["clean"].astype(int) - np.stack(cleaner.clean(list(crops)))).max() <= 1
