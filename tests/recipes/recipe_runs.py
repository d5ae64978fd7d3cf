"""Runs a recipe in a subprocess, kills it after its first checkpoint, and resumes it."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start(recipe: str, config: str, run_dir: Path, output: Path, *extra, env=None):
    command = [
        sys.executable,
        "-m",
        f"recipes.{recipe}",
        "--config",
        config,
        "--run-dir",
        str(run_dir),
        "--output",
        str(output),
        *map(str, extra),
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "CI": "1", **(env or {})},
    )


def kill_after_first_checkpoint(
    process: subprocess.Popen, run_dir: Path, timeout: float = 240
) -> int:
    """Waits for the run's state.json, SIGKILLs the run, returns the epoch it had saved."""
    state = run_dir / "state.json"
    deadline = time.monotonic() + timeout
    while not state.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state.exists(), process.communicate()[0][-2000:]
    process.send_signal(signal.SIGKILL)
    process.wait()
    return json.loads(state.read_text())["epoch"]


def finish(process: subprocess.Popen, timeout: float = 300) -> str:
    """Waits for a run to end successfully and returns its log."""
    log = process.communicate(timeout=timeout)[0]
    assert process.returncode == 0, log[-3000:]
    return log
