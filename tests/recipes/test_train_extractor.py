"""The extractor recipe trains, survives a kill, resumes, and writes a calibrated preset."""

import json

import pytest

import signver_keras as sv
from tests.recipes.recipe_runs import finish, kill_after_first_checkpoint, start

CONFIG = "recipes/configs/extractor_tiny.yaml"


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
    assert set(extractor.calibration) >= {"threshold", "rule", "references", "far", "frr", "split"}
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["command"].startswith("signver-keras evaluate verification")
    assert "| data |" in (output / "README.md").read_text()
