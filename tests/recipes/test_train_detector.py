"""The detector recipe trains on synthetic pages, survives a kill, resumes, and writes a preset."""

import json

import numpy as np
import pytest

import signver_keras as sv
from tests.recipes.recipe_runs import finish, kill_after_first_checkpoint, start

CONFIG = "recipes/configs/detector_tiny.yaml"


@pytest.mark.slow
def test_killed_run_resumes_and_saves_a_loadable_preset(tmp_path):
    run_dir, output, cache = tmp_path / "run", tmp_path / "preset", tmp_path / "cache"
    env = {"KERAS_BACKEND": "tensorflow", "SIGNVER_CACHE": str(cache)}
    first = start("train_detector", CONFIG, run_dir, output, "--epochs", 40, env=env)
    killed_at = kill_after_first_checkpoint(first, run_dir)
    assert not output.exists()
    for kind in ("synthetic", "photo", "filled", "hires", "signing"):
        assert list(cache.glob(f"detector_{kind}_*.npy")), f"{kind} pages should be cached"

    log = finish(
        start(
            "train_detector",
            CONFIG,
            run_dir,
            output,
            "--epochs",
            killed_at + 2,
            "--resume",
            env=env,
        )
    )
    assert f"Resuming from epoch {killed_at}" in log
    assert f"optimizer at step {3 * killed_at}." in log  # 3 steps per epoch, state restored
    assert "synthetic mAP50" in log
    csv = (run_dir / "log.csv").read_text()
    assert csv.count("\n") >= 2 and "val_synthetic_map50" in csv.splitlines()[0]

    detector = sv.SignatureDetector.from_preset(output)
    [result] = detector.detect(np.full((300, 240), 255, np.uint8))
    assert set(result) >= {"boxes", "scores", "labels", "names"}
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["command"].startswith(f"signver-keras evaluate detection --preset {output}")
    assert {"synthetic:3", "synthetic-photo:3"} <= set(metrics["results"])
    assert "| data | class |" in (output / "README.md").read_text()
    # The default threshold was chosen on validation pages for the configured precision,
    # and the preprocessing options travel with the preset.
    threshold = json.loads((output / "training.json").read_text())["threshold"]
    assert threshold["target_precision"] == 0.9 and "validation pages" in threshold["chosen_on"]
    assert detector.score_threshold == pytest.approx(threshold["value"])
    assert (detector.preprocessor.downscale, detector.preprocessor.normalize) == ("min", "local")
    assert {
        "synthetic-300dpi:1",
        "synthetic-cheque:3",
        "synthetic-form:3",
        "synthetic-signing:2",
    } <= set(metrics["results"])


def test_real_pages_split_into_train_validation_and_never_selected_on_holdout(shared_data):
    if not (shared_data / "tobacco800_signatures_valid").is_dir():
        pytest.skip("tobacco800_signatures_valid not available")
    import argparse

    import yaml

    from recipes.train_detector import load_real
    from signver_keras.data.collections.detection_data import load_detection_data, split_pages

    config = yaml.safe_load(open("recipes/configs/detector_base.yaml"))
    train, validation, holdout, mask = load_real(
        config, argparse.Namespace(data=None), ("signature", "initials", "redaction", "date")
    )
    names = [{page.name for page in part} for part in (train, validation, holdout)]
    assert not (names[0] & names[1]) and not (names[0] & names[2]) and not (names[1] & names[2])
    valid_pages = load_detection_data(f"yolo:{shared_data / config['data']['real']}", ["signature"])
    share = (len(validation) / len(valid_pages), len(holdout) / len(valid_pages))
    assert 0.05 < share[0] < 0.15 and 0.15 < share[1] < 0.25
    # The held-out pages are the ones every earlier report used: same hash, same pages.
    assert names[2] == {page.name for page in split_pages(valid_pages)[1]}
    if (shared_data / "tobacco800_signatures_train").is_dir():
        folder = shared_data / config["data"]["real_train"][0]
        extra = load_detection_data(f"yolo:{folder}", ["signature"])
        assert {page.name for page in extra} <= names[0]  # the other documents: all trained on
    assert mask == [1.0, 0.0, 0.0, 0.0]


def test_publish_rule_weighs_real_and_generated_pages_half_each():
    from recipes.train_detector import replacement_score, signature_sets

    stored = {
        "real:test": {"signature_ap50": 0.92},
        "synthetic-cheque:100": {"signature_ap50": 0.7},
        "synthetic-photo:100": {"signature_ap50": 0.9},
        "synthetic-empty:10": {"signature_ap50": 0.5},
    }
    candidate = {
        "real:test": {"signature_ap50": 0.91},
        "synthetic-cheque:100": {"signature_ap50": 0.9},
        "synthetic-photo:100": {"signature_ap50": 0.9},
        "synthetic-new:10": {"signature_ap50": 0.1},  # not in the stored report: not compared
        "synthetic-empty:10": {"signature_ap50": None},
    }
    sets = signature_sets(candidate, stored)
    assert sets == ["real:test", "synthetic-cheque:100", "synthetic-photo:100"]
    # Slightly lower on real scans, far better on cheques: the candidate wins.
    assert replacement_score(candidate, sets) > replacement_score(stored, sets)
    # Far lower on real scans: better generated pages do not pay for it, however many kinds.
    worse_real = {**candidate, "real:test": {"signature_ap50": 0.80}}
    assert replacement_score(worse_real, sets) < replacement_score(stored, sets)
    assert replacement_score(candidate, ["synthetic-photo:100"]) == 0.9
    assert replacement_score(candidate, []) == 0.0


def test_grow_trains_a_deeper_network_started_from_the_preset(tmp_path):
    import argparse

    from recipes.train_detector import build_detector
    from tests.tiny_models import tiny_detector

    preset = tiny_detector()
    preset.save_to_preset(tmp_path / "tiny")
    model = {
        "image_size": 64,
        "stem_filters": 4,
        "stage_filters": [8, 8, 16],
        "stage_blocks": [1, 2, 2],
        "fpn_filters": 8,
        "output_stride": 4,
        "head_filters": 8,
        "downscale": "min",
    }
    args = argparse.Namespace(from_preset=str(tmp_path / "tiny"), grow=True)
    grown = build_detector({"model": model}, args)

    assert grown.backbone.stage_blocks == (1, 2, 2)
    assert grown.preprocessor.downscale == "min"
    pages = np.random.default_rng(0).random((1, 64, 64, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(grown(pages)), np.asarray(preset(pages)), atol=1e-5)
    with pytest.raises(ValueError, match="--from-preset"):
        build_detector({"model": model}, argparse.Namespace(from_preset=None, grow=True))


def test_fine_tuning_hands_back_the_starting_weights_unless_an_epoch_beats_them(tmp_path):
    from recipes.train_detector import DetectionMonitor
    from signver_keras.data.training.detector_pages import PageSet
    from tests.tiny_models import tiny_detector

    detector = tiny_detector()
    rng = np.random.default_rng(0)
    pages = PageSet(
        rng.integers(0, 256, (2, 64, 64), dtype=np.uint8),
        [np.array([[8, 8, 40, 24]], np.float32)] * 2,
        [np.array([0], np.int32)] * 2,
        np.ones((2, 4), np.float32),
    )
    start = [np.array(w) for w in detector.get_weights()]
    fine_tune = DetectionMonitor({"synthetic": pages}, 1, tmp_path, score_start=True)
    fine_tune.set_model(detector)
    fine_tune.on_train_begin()
    fine_tune.on_epoch_end(0, {})  # an epoch scoring no better than the start
    assert json.loads((tmp_path / "best.json").read_text())["epoch"] == 0
    restored = tiny_detector()
    restored.load_weights(tmp_path / "best.weights.h5")
    for kept, original in zip(restored.get_weights(), start, strict=True):
        np.testing.assert_array_equal(np.asarray(kept), original)

    # From scratch there is no start worth keeping: the first validated epoch is the best.
    (tmp_path / "scratch").mkdir()
    scratch = DetectionMonitor({"synthetic": pages}, 1, tmp_path / "scratch")
    scratch.set_model(detector)
    scratch.on_train_begin()
    assert not (tmp_path / "scratch" / "best.json").exists()
    scratch.on_epoch_end(0, {})
    assert json.loads((tmp_path / "scratch" / "best.json").read_text())["epoch"] == 1

    # Nothing to validate on: every score is 0, so the start must not win by default.
    (tmp_path / "unvalidated").mkdir()
    unvalidated = DetectionMonitor({}, 1, tmp_path / "unvalidated", score_start=True)
    unvalidated.set_model(detector)
    unvalidated.on_train_begin()
    unvalidated.on_epoch_end(0, {})
    assert json.loads((tmp_path / "unvalidated" / "best.json").read_text())["epoch"] == 1
