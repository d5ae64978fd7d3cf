"""SignatureExtractor: embedding contract, preprocessing and preset round trip."""

import numpy as np
import pytest

import signver_keras as sv
from signver_keras.utils.ink import normalize_signature
from tests.cross_backend import TARGETS, run_in_other_backend, target_backend


def test_embed_returns_unit_norm_float32_tagged_with_the_model(tiny_extractor, scribbles):
    embeddings = tiny_extractor.embed(scribbles, batch_size=4)
    assert embeddings.shape == (len(scribbles), 16)
    assert embeddings.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    assert embeddings.extractor_id == tiny_extractor.fingerprint()
    assert tiny_extractor.embed(scribbles[0]).shape == (1, 16)


def test_batch_size_does_not_change_results(tiny_extractor, scribbles):
    np.testing.assert_allclose(
        tiny_extractor.embed(scribbles, batch_size=1),
        tiny_extractor.embed(scribbles, batch_size=64),
        atol=1e-5,
    )


def test_paper_tone_and_ink_darkness_do_not_change_the_input(scribbles):
    gray = scribbles[1].astype(np.float32)
    darker_paper = np.clip(gray * 0.8, 0, 255).astype(np.uint8)  # grey paper, same strokes
    base = normalize_signature(scribbles[1], (32, 64))
    np.testing.assert_allclose(normalize_signature(darker_paper, (32, 64)), base, atol=0.08)
    assert base.max() > 0.85  # strokes stretched to full darkness (blurred by the resize)


def test_blank_image_is_refused_unless_checks_are_off(tiny_extractor):
    blank = np.full((40, 80), 255, np.uint8)
    with pytest.raises(sv.InvalidImageError, match="no ink"):
        tiny_extractor.embed(blank)
    # The preprocessor itself copes with an image without ink.
    assert tiny_extractor.embed(blank, check_input=False).shape == (1, 16)


def test_preset_round_trip_is_exact_and_keeps_calibration(tiny_extractor, scribbles, tmp_path):
    tiny_extractor.save_to_preset(tmp_path / "extractor")
    assert (tmp_path / "extractor" / "README.md").exists()
    loaded = sv.SignatureExtractor.from_preset(tmp_path / "extractor")
    np.testing.assert_array_equal(loaded.embed(scribbles), tiny_extractor.embed(scribbles))
    assert loaded.calibration == tiny_extractor.calibration
    assert loaded.fingerprint() == tiny_extractor.fingerprint()


def test_failed_save_keeps_the_previous_preset(tiny_extractor, tmp_path, monkeypatch):
    tiny_extractor.save_to_preset(tmp_path / "extractor")
    before = sorted(p.name for p in (tmp_path / "extractor").iterdir())

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(sv.models.SignatureExtractorBackbone, "save_to_preset", broken)
    with pytest.raises(OSError, match="disk full"):
        tiny_extractor.save_to_preset(tmp_path / "extractor")
    assert sorted(p.name for p in (tmp_path / "extractor").iterdir()) == before
    assert sv.SignatureExtractor.from_preset(tmp_path / "extractor") is not None
    assert [p.name for p in tmp_path.iterdir()] == ["extractor"]


def test_unknown_preset_lists_the_available_ones():
    with pytest.raises(sv.PresetNotFoundError, match="Available extractor presets"):
        sv.SignatureExtractor.from_preset("signver_extractor_huge")


def test_folder_without_config_is_not_a_preset(tmp_path):
    with pytest.raises(sv.PresetNotFoundError, match="no config.json"):
        sv.SignatureExtractor.from_preset(tmp_path)


def test_preset_with_code_is_refused(tiny_extractor, tmp_path):
    import json

    import keras

    # A tampered task.json whose preprocessor is a Python lambda: safe mode refuses it.
    tiny_extractor.save_to_preset(tmp_path / "p")
    task = json.loads((tmp_path / "p" / "task.json").read_text())
    lambda_layer = keras.layers.Lambda(lambda x: x * 2)
    task["config"]["preprocessor"] = keras.saving.serialize_keras_object(lambda_layer)
    (tmp_path / "p" / "task.json").write_text(json.dumps(task))
    with pytest.raises(ValueError, match="(?i)lambda"):
        sv.SignatureExtractor.from_preset(tmp_path / "p")


@pytest.mark.cross_backend
@pytest.mark.parametrize("target", TARGETS)
def test_other_backend_gives_the_same_embeddings(target, tiny_extractor, scribbles, tmp_path):
    backend = target_backend(target)
    tiny_extractor.save_to_preset(tmp_path / "extractor")
    np.save(tmp_path / "images.npy", np.stack([scribbles[0], scribbles[0][::-1]]))
    script = (
        "import sys, numpy as np, signver_keras as sv; "
        "e = sv.SignatureExtractor.from_preset(sys.argv[1]); "
        "np.save(sys.argv[3], e.embed(list(np.load(sys.argv[2]))))"
    )
    run_in_other_backend(
        script, tmp_path / "extractor", tmp_path / "images.npy", tmp_path / "o.npy", backend=backend
    )
    ours = tiny_extractor.embed([scribbles[0], scribbles[0][::-1]])
    np.testing.assert_allclose(np.load(tmp_path / "o.npy"), ours, atol=1e-5)


def test_preset_keeps_the_writer_classifier_and_its_background(tmp_path):
    from tests.tiny_models import tiny_extractor as build

    tiny_extractor = build()  # its own copy: the shared fixture must stay without a classifier
    assert tiny_extractor.writer_classifier() is None  # no background, no classifier
    tiny_extractor.calibration["writer_classifier"] = {
        "threshold": 0.25,
        "c": 2.0,
        "min_references": 5,
    }
    assert tiny_extractor.writer_classifier() is None  # calibration alone is not enough
    background = np.eye(16, dtype=np.float32)[:8]
    tiny_extractor.writer_background = background
    tiny_extractor.save_to_preset(tmp_path / "extractor")
    loaded = sv.SignatureExtractor.from_preset(str(tmp_path / "extractor"))
    np.testing.assert_allclose(loaded.writer_background, background)
    assert loaded.writer_classifier() == sv.WriterClassifier(0.25, 2.0, 5)
