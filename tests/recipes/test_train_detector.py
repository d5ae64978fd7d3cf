"""The detector recipe trains on synthetic pages, survives a kill, resumes, and writes a preset."""

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
        "recipes.train_detector",
        "--config",
        "recipes/configs/detector_tiny.yaml",
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
def test_killed_run_resumes_and_saves_a_loadable_preset(tmp_path):
    run_dir, output, cache = tmp_path / "run", tmp_path / "preset", tmp_path / "cache"
    first = run_recipe(run_dir, output, cache, "--epochs", "40")
    state = run_dir / "state.json"
    deadline = time.monotonic() + 120
    while not state.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state.exists(), first.communicate()[0][-2000:]
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = json.loads(state.read_text())["epoch"]
    assert not output.exists()
    assert list(cache.glob("detector_synthetic_*.npy")), "pages should be cached"

    second = run_recipe(run_dir, output, cache, "--epochs", str(killed_at + 2), "--resume")
    log = second.communicate(timeout=180)[0]
    assert second.returncode == 0, log[-3000:]
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
    assert "synthetic:3" in metrics["results"]
    assert "| data | class |" in (output / "README.md").read_text()
