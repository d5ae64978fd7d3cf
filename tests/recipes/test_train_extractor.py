"""The extractor recipe trains, survives a kill, resumes, and writes a calibrated preset."""

import json

import pytest

import signver_keras as sv
from tests.recipes.recipe_runs import finish, kill_after_first_checkpoint, start

CONFIG = "recipes/configs/extractor_tiny.yaml"

#: A tiny synthetic section: 2 writers, 3 genuine and 2 forged signatures each.
SYNTHETIC = {
    "generator": "names",
    "writers": 2,
    "genuine": 3,
    "forgeries": 2,
    "forgers": 2,
    "seed": 7,
}


@pytest.mark.slow
def test_killed_run_resumes_and_saves_a_calibrated_preset(shared_data, tmp_path):
    if not (shared_data / "bhsig260_subset").is_dir():
        pytest.skip("bhsig260_subset not available")
    run_dir, output = tmp_path / "run", tmp_path / "preset"
    first = start("train_extractor", CONFIG, run_dir, output, "--epochs", 40)
    killed_at = kill_after_first_checkpoint(first, run_dir)
    assert not output.exists()

    log = finish(
        start("train_extractor", CONFIG, run_dir, output, "--epochs", killed_at + 2, "--resume")
    )
    assert f"Resuming from epoch {killed_at}" in log
    extractor = sv.SignatureExtractor.from_preset(output)
    assert set(extractor.calibration) >= {
        "threshold",
        "rule",
        "reference_count",
        "far",
        "frr",
        "split",
    }
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["command"].startswith("signver-keras evaluate verification")
    assert "| data |" in (output / "README.md").read_text()


def test_real_share_zero_trains_on_synthetic_writers_alone(tmp_path, monkeypatch):
    from recipes import train_extractor

    monkeypatch.setattr(train_extractor, "CACHE_DIR", tmp_path)
    config = {"synthetic": {**SYNTHETIC, "real_share": 0}}
    records, arrays = train_extractor.training_set([], config, (32, 64))
    assert len(records) == len(arrays) == 10
    assert {r.dataset for r in records} == {"synthetic_writers"}
