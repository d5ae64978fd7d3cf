"""Preset discovery: list_presets, bundled names, and the error for unknown names."""

import pytest

import signver_keras as sv
from signver_keras import presets


def test_list_presets_reports_only_shipped_presets_with_their_metadata():
    for info in sv.list_presets():
        assert set(info) >= {"name", "family", "description", "size_mb", "metrics", "calibration"}
        assert presets.bundled_path(info["name"]) is not None
        assert info["size_mb"] <= 25


def test_list_presets_rejects_unknown_family():
    with pytest.raises(ValueError, match="Unknown family"):
        sv.list_presets("vocoder")


def test_resolve_accepts_hub_handles_and_folders(tmp_path):
    assert presets.resolve("hf://org/name@v1", "extractor") == "hf://org/name@v1"
    (tmp_path / "config.json").write_text("{}")
    assert presets.resolve(tmp_path, "extractor") == str(tmp_path)


def test_unknown_name_names_the_family_and_the_alternatives():
    with pytest.raises(sv.PresetNotFoundError, match="Unknown detector preset 'nope'"):
        presets.resolve("nope", "detector")


def test_generated_readme_and_model_cards_are_current():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "update_readme.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
