"""habana/train.py --dry-run: the Gaudi code path (torch backend, bf16, recipe) on the CPU."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="torch is not installed (pip install 'signver-keras[torch]')",
)


def run_wrapper(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "habana/train.py", *args],
        cwd=ROOT,
        env={**os.environ, "CI": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_dry_run_trains_the_tiny_recipe_on_cpu(shared_data, tmp_path):
    if importlib.util.find_spec("habana_frameworks") is not None:
        pytest.skip("Gaudi software is installed: the dry run would use the HPU")
    if not (shared_data / "bhsig260_subset").is_dir():
        pytest.skip("bhsig260_subset not available")
    result = run_wrapper(
        "--dry-run",
        "--bf16",
        "--recipe",
        "extractor",
        "--",
        "--config",
        "recipes/configs/extractor_tiny.yaml",
        "--epochs",
        "1",
        "--run-dir",
        str(tmp_path / "run"),
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert "habana_frameworks not found; dry run on the CPU" in log
    assert "device=cpu mode=eager policy=mixed_bfloat16" in log
    assert (tmp_path / "run" / "checkpoint.keras").exists()
    assert "calibration:" in log


def test_without_gaudi_and_without_dry_run_the_error_is_one_clear_line():
    if importlib.util.find_spec("habana_frameworks") is not None:
        pytest.skip("Gaudi software is installed")
    result = run_wrapper("--recipe", "extractor")
    assert result.returncode != 0
    assert "habana_frameworks is not installed" in result.stderr
    assert "Traceback" not in result.stderr


def test_dry_run_without_config_trains_the_tiny_config(capsys):
    spec = importlib.util.spec_from_file_location("habana_train", ROOT / "habana" / "train.py")
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    for recipe in train.RECIPES:
        args = train.dry_run_recipe_args(recipe, ["--epochs", "1"])
        tiny = ROOT / "recipes" / "configs" / f"{recipe}_tiny.yaml"
        assert args == ["--config", str(tiny), "--epochs", "1"] and tiny.exists()
    assert "using recipes/configs/cleaner_tiny.yaml" in capsys.readouterr().out
    chosen = ["--config", "recipes/configs/extractor_base.yaml"]
    assert train.dry_run_recipe_args("extractor", chosen) == chosen
