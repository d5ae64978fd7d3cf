"""The cleaner recipe trains, survives a kill, resumes, and writes a loadable, evaluated preset."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import signver_keras as sv

ROOT = Path(__file__).resolve().parents[2]


def run_recipe(run_dir, output, cache, *extra):
    command = [
        sys.executable,
        "-m",
        "recipes.train_cleaner",
        "--config",
        "recipes/configs/cleaner_tiny.yaml",
        "--run-dir",
        str(run_dir),
        "--output",
        str(output),
        *extra,
    ]
    env = {**os.environ, "CI": "1", "KERAS_BACKEND": "tensorflow", "SIGNVER_CACHE": str(cache)}
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )


@pytest.mark.slow
def test_killed_run_resumes_and_saves_a_cleaner_preset(shared_data, tmp_path):
    if not (shared_data / "bhsig260_subset").is_dir():
        pytest.skip("bhsig260_subset not available")
    run_dir, output, cache = tmp_path / "run", tmp_path / "preset", tmp_path / "cache"
    first = run_recipe(run_dir, output, cache, "--epochs", "200")
    state = run_dir / "state.json"
    deadline = time.monotonic() + 120
    while not state.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state.exists(), first.communicate()[0][-2000:]
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = json.loads(state.read_text())["epoch"]
    assert not output.exists()
    assert list(cache.glob("cleaner_tiles_*.npz")), "training tiles were not cached"

    second = run_recipe(run_dir, output, cache, "--epochs", str(killed_at + 2), "--resume")
    log = second.communicate(timeout=120)[0]
    assert second.returncode == 0, log[-2000:]
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
