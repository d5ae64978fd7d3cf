"""The cleaner recipe trains, survives a kill, resumes, and writes a loadable, evaluated preset."""

import json

import numpy as np
import pytest

import signver_keras as sv
from tests.recipes.recipe_runs import finish, kill_after_first_checkpoint, start

CONFIG = "recipes/configs/cleaner_tiny.yaml"


@pytest.mark.slow
def test_killed_run_resumes_and_saves_a_cleaner_preset(shared_data, tmp_path):
    if not (shared_data / "bhsig260_subset").is_dir():
        pytest.skip("bhsig260_subset not available")
    run_dir, output, cache = tmp_path / "run", tmp_path / "preset", tmp_path / "cache"
    env = {"KERAS_BACKEND": "tensorflow", "SIGNVER_CACHE": str(cache)}
    first = start("train_cleaner", CONFIG, run_dir, output, "--epochs", 200, env=env)
    killed_at = kill_after_first_checkpoint(first, run_dir)
    assert not output.exists()
    assert list(cache.glob("cleaner_tiles_*.npz")), "training tiles were not cached"

    log = finish(
        start(
            "train_cleaner", CONFIG, run_dir, output, "--epochs", killed_at + 2, "--resume", env=env
        )
    )
    assert f"Resuming from epoch {killed_at}" in log
    assert len((run_dir / "log.csv").read_text().splitlines()) >= 3  # header + epochs

    cleaner = sv.SignatureCleaner.from_preset(output)
    [cleaned] = cleaner.clean(np.full((40, 90), 230, np.uint8))
    assert cleaned.shape == (40, 90) and cleaned.dtype == np.uint8
    training = json.loads((output / "training.json").read_text())
    assert training["data"] == {
        "datasets": ["bhsig260_subset"],
        "split": [0.5, 0.25, 0.25],
        "split_seed": 0,
    }
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["command"].startswith("signver-keras evaluate cleaning")
    assert "--subset test" in metrics["command"]
    assert {"psnr_noisy", "ssim_cleaned"} <= set(metrics["results"]["bhsig260_subset:test"])
    assert "| data |" in (output / "README.md").read_text()
    # Example crops of the real data stay in the run folder, never in the preset.
    assert (run_dir / "evaluation" / "cleaning_grid.png").exists()
    assert not list(output.glob("*.png"))
