"""The one table of model families: what presets, the pipeline and the CLI read from it."""

import subprocess
import sys

import pytest

from signver_keras import families, presets


def test_declared_presets_follow_their_family_prefix():
    for entry in families.FAMILIES.values():
        declared = entry.load_declared_presets()
        assert entry.default_preset in declared
        assert all(name.startswith(entry.preset_prefix) for name in declared)
        assert all(presets._DECLARED[name]["family"] == entry.name for name in declared)


def test_stages_run_in_pipeline_order():
    assert families.STAGES == ("detector", "cleaner", "extractor")
    assert presets.FAMILIES == ("detector", "cleaner", "extractor", "pipeline")


def test_backbone_names_map_back_to_their_family():
    for name in families.STAGES:
        assert families.family_of_backbone(families.family(name).backbone) == name
    assert families.family_of_backbone("keras_hub>ResNetBackbone") is None


def test_unknown_family_names_the_known_ones():
    with pytest.raises(ValueError, match="'detector', 'cleaner', 'extractor', 'pipeline'"):
        families.family("tokenizer")


def test_reading_the_table_imports_no_backend():
    code = (
        "import sys, signver_keras.families as f, signver_keras.presets\n"
        "[e.load_declared_presets() for e in f.FAMILIES.values()]\n"
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
