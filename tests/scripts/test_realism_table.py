"""scripts/realism_table.py runs its three conditions end to end on a tiny, generated dataset."""

import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from signver_keras.data.synthetic.synthetic_writers import SyntheticWriter

ROOT = Path(__file__).resolve().parents[2]


def load_script():
    path = ROOT / "scripts" / "realism_table.py"
    spec = importlib.util.spec_from_file_location("realism_table", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_fixture_dataset(folder: Path, writers: int = 8, genuine: int = 7, forged: int = 2):
    """A MANIFEST.csv dataset in the shared-data layout, drawn by synthetic writers."""
    folder.mkdir(parents=True)
    rows = ["path,writer_id,label"]
    for w in range(writers):
        writer = SyntheticWriter(90_000 + w)
        images = [("genuine", writer.genuine(i)) for i in range(genuine)]
        images += [("forged", writer.skilled_forgery(i)) for i in range(forged)]
        for i, (label, image) in enumerate(images):
            name = f"w{w}_{i}.png"
            Image.fromarray(np.asarray(image, np.uint8)).save(folder / name)
            rows.append(f"{name},fixture_{w},{label}")
    (folder / "MANIFEST.csv").write_text("\n".join(rows) + "\n")


def tiny_config(tmp_path: Path) -> Path:
    """The realism config shrunk to a tiny network on a generated fixture dataset."""
    data = tmp_path / "data"
    write_fixture_dataset(data / "fixture_sigcomp")
    config = yaml.safe_load((ROOT / "recipes/configs/extractor_realism.yaml").read_text())
    config["model"] = {
        "target_size": [32, 64],
        "stem_filters": 8,
        "stage_filters": [8, 16],
        "stage_blocks": (1, 1),
        "embedding_dim": 16,
        "dropout": 0.0,
    }
    config["data"].update(
        datasets=["fixture_sigcomp"], split=[0.5, 0.25, 0.25], test_dataset="fixture_sigcomp"
    )
    config["synthetic"].update(genuine=3, forgeries=2, forgers=2)
    config["train"].update(batch_size=8, steps=None, minutes=None, margin=0.2, scale=16.0)
    config_path = tmp_path / "realism_tiny.yaml"
    config_path.write_text(yaml.safe_dump(config))
    return config_path


def test_realism_table_has_three_rows(tmp_path, monkeypatch):
    start = time.monotonic()
    config_path = tiny_config(tmp_path)
    monkeypatch.setenv("SIGNVER_DATA", str(tmp_path / "data"))
    readme = tmp_path / "README.md"
    readme.write_text(
        "intro\n<!-- realism:strokes:start -->\nnot run yet\n<!-- realism:strokes:end -->\nend\n"
    )
    output = tmp_path / "realism.json"

    script = load_script()
    result = script.main(
        [
            "--config",
            str(config_path),
            "--steps",
            "3",
            "--writers",
            "2",
            "--output",
            str(output),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--update-readme",
            "--readme",
            str(readme),
        ]
    )

    assert [row["condition"] for row in result["rows"]] == ["real", "synthetic", "both"]
    assert [row["writers"] for row in result["rows"]] == [4, 2, 6]
    assert all(row["steps"] == 3 for row in result["rows"])
    assert [row["real_share"] for row in result["rows"]] == [1.0, 0.0, 36 / 46]
    assert all(0.0 <= row["eer_skilled"] <= 1.0 for row in result["rows"])
    assert result["test"]["writers"] == 2
    table = json.loads(output.read_text())["table"].splitlines()
    assert len(table) == 2 + 3
    assert table[2].startswith("| (a) real writers |")
    text = readme.read_text()
    assert "not run yet" not in text
    assert "| (c) real + synthetic [strokes] |" in text
    assert text.startswith("intro\n") and text.endswith("end\n")
    # The synthetic writers were generated once, into the given cache folder.
    assert len(list((tmp_path / "cache").glob("synthetic_strokes_*.npy"))) == 1
    print(f"realism smoke test: {time.monotonic() - start:.1f} s")


def test_minutes_only_budget_measures_steps_once(tmp_path, monkeypatch):
    config_path = tiny_config(tmp_path)
    monkeypatch.setenv("SIGNVER_DATA", str(tmp_path / "data"))
    result = load_script().main(
        [
            "--config",
            str(config_path),
            "--minutes",
            "0.05",
            "--conditions",
            "real",
            "--output",
            str(tmp_path / "realism.json"),
            "--cache-dir",
            str(tmp_path / "cache"),
        ]
    )
    probe = result["timing_probe"]
    assert probe["condition"] == "real" and probe["seconds_per_step"] > 0
    (row,) = result["rows"]
    assert row["steps"] == result["train"]["steps"] or row["minutes"] >= 0.05


def test_recorded_command_leaves_out_where_results_go():
    arguments = ["--minutes", "8", "--output", "x.json", "--update-readme", "--cache-dir", "c"]
    assert load_script().reproducing_arguments(arguments) == "--minutes 8"
