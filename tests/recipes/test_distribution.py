"""Data-parallel training on 4 virtual devices matches one device on the same global batch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def train(backend: str, devices: int, kind: str, out: Path) -> dict[str, np.ndarray]:
    # Each configuration in its own process: device counts are fixed at import time.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.recipes.distribution_worker",
            backend,
            str(devices),
            kind,
            str(out),
        ],
        cwd=ROOT,
        env={**os.environ, "KERAS_BACKEND": backend},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(np.load(out))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_four_devices_match_one_device(backend, tmp_path):
    single = train(backend, 1, "none", tmp_path / "one.npz")
    parallel = train(backend, 4, "data_parallel", tmp_path / "four.npz")
    assert int(single["replicas"]) == 1 and int(parallel["replicas"]) == 4
    np.testing.assert_allclose(parallel["loss"], single["loss"], rtol=1e-5)
    weights = [key for key in single if key.startswith("w")]
    assert weights and sorted(weights) == sorted(k for k in parallel if k.startswith("w"))
    for key in weights:
        np.testing.assert_allclose(parallel[key], single[key], atol=1e-5, err_msg=key)


def test_unknown_distribution_is_refused():
    from recipes.distribution import setup_distribution

    with pytest.raises(ValueError, match="data_parallel"):
        setup_distribution("model_parallel")


def test_none_changes_nothing():
    import keras

    from recipes.distribution import setup_distribution

    dist = setup_distribution("none")
    assert dist.num_replicas == 1
    assert keras.distribution.distribution() is None
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with dist.scope(), dist.training(model) as same:
        assert same is model


def test_recipe_flag():
    from recipes.common import parse_args

    sys_argv = sys.argv
    try:
        sys.argv = ["recipe", "--distribution", "data_parallel"]
        assert parse_args("x", "c.yaml").distribution == "data_parallel"
        sys.argv = ["recipe"]
        assert parse_args("x", "c.yaml").distribution == "none"
    finally:
        sys.argv = sys_argv
