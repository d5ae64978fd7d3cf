"""Runs a snippet under another Keras backend, to compare outputs across backends."""

import importlib.util
import os
import subprocess
import sys

import keras
import pytest

#: Targets of the cross-backend tests: "other" (JAX <-> TensorFlow) and the optional torch.
TARGETS = ("other", "torch")


def other_backend() -> str:
    return "tensorflow" if keras.backend.backend() == "jax" else "jax"


def target_backend(target: str) -> str:
    """Resolves a target of `TARGETS`; skips the test when it cannot run here."""
    backend = other_backend() if target == "other" else target
    if backend == keras.backend.backend():
        pytest.skip(f"the tests already run under {backend}")
    if backend == "torch" and importlib.util.find_spec("torch") is None:
        pytest.skip("torch is not installed (pip install 'signver-keras[torch]')")
    return backend


def run_in_other_backend(script: str, *args: object, backend: str | None = None) -> None:
    """Runs `python -c script *args` with KERAS_BACKEND set to `backend` (default: the other)."""
    result = subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        env={**os.environ, "KERAS_BACKEND": backend or other_backend()},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
