"""The extractor recipe trains, survives a kill, resumes, and writes a calibrated preset."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import signver_keras as sv

ROOT = Path(__file__).resolve().parents[2]


def run_recipe(run_dir, output, *extra):
    command = [
        sys.executable,
        "-m",
        "recipes.train_extractor",
        "--config",
        "recipes/configs/extractor_tiny.yaml",
        "--run-dir",
        str(run_dir),
        "--output",
        str(output),
        *extra,
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "CI": "1"},
    )


@pytest.mark.slow
def test_killed_run_resumes_and_saves_a_calibrated_preset(shared_data, tmp_path):
    if not (shared_data / "bhsig260_subset").is_dir():
        pytest.skip("bhsig260_subset not available")
    run_dir, output = tmp_path / "run", tmp_path / "preset"
    first = run_recipe(run_dir, output, "--epochs", "40")
    state = run_dir / "state.json"
    deadline = time.monotonic() + 240
    while not state.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert state.exists(), first.communicate()[0][-2000:]
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = json.loads(state.read_text())["epoch"]
    assert not output.exists()

    second = run_recipe(run_dir, output, "--epochs", str(killed_at + 2), "--resume")
    log = second.communicate(timeout=300)[0]
    assert second.returncode == 0, log[-2000:]
    assert f"Resuming from epoch {killed_at}" in log
    extractor = sv.SignatureExtractor.from_preset(output)
    assert set(extractor.calibration) >= {"threshold", "rule", "references", "far", "frr", "split"}
    metrics = json.loads((output / "metrics.json").read_text())
    assert metrics["command"].startswith("signver-keras evaluate verification")
    assert "| data |" in (output / "README.md").read_text()
