"""Runs a snippet under the *other* Keras backend, to compare outputs across backends."""

import os
import subprocess
import sys

import keras


def other_backend() -> str:
    return "tensorflow" if keras.backend.backend() == "jax" else "jax"


def run_in_other_backend(script: str, *args: object) -> None:
    """Runs `python -c script *args` with KERAS_BACKEND set to the other backend."""
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        env={**os.environ, "KERAS_BACKEND": other_backend()},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
