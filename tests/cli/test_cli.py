"""The signver-keras command line: JSON output, files written, one-line errors."""

import json
import sys

import numpy as np
import pytest
from PIL import Image

import signver_keras as sv
from signver_keras.cli.main import main


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiny_extractor, scribbles):
    root = tmp_path_factory.mktemp("cli")
    tiny_extractor.save_to_preset(root / "extractor")
    sv.SignatureVerifier(extractor=tiny_extractor).save_to_preset(root / "pipeline")
    paths = []
    for i, image in enumerate(scribbles[:4]):
        Image.fromarray(image).save(root / f"s{i}.png")
        paths.append(str(root / f"s{i}.png"))
    return root, paths


def test_embed_writes_npy(files, capsys):
    root, paths = files
    out = root / "emb.npy"
    assert (
        main(["--json", "embed", *paths, "--out", str(out), "--preset", str(root / "extractor")])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["shape"] == [4, 16]
    assert np.load(out).shape == (4, 16)


def test_verify_prints_a_verdict(files, capsys):
    root, paths = files
    code = main(
        ["--json", "verify", paths[0], "--refs", *paths[1:], "--preset", str(root / "pipeline")]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accepted"] == (report["score"] >= report["threshold"])
    assert report["calibrated_reference_count"] is not None  # which threshold decided
    assert main(["verify", paths[0], "--refs", paths[0], "--preset", str(root / "pipeline")]) == 0
    assert "ACCEPTED" in capsys.readouterr().out


def test_bad_input_exits_non_zero_with_one_line(files, capsys):
    root, paths = files
    code = main(
        ["verify", str(root / "missing.png"), "--refs", *paths, "--preset", str(root / "pipeline")]
    )
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert "missing.png" in error and len(error.splitlines()) == 1


def test_unknown_preset_exits_non_zero(files, capsys):
    _, paths = files
    assert main(["embed", paths[0], "--out", "e.npy", "--preset", "no_such_preset"]) == 2
    assert "no_such_preset" in capsys.readouterr().err


def test_missing_input_fails_before_the_model_loads(files, capsys, monkeypatch):
    _, paths = files

    def load_model(*args, **kwargs):
        raise AssertionError("the model was loaded before the inputs were checked")

    monkeypatch.setattr(sv.SignatureVerifier, "from_preset", load_model)
    assert main(["verify", "missing.png", "--refs", *paths]) == 2
    assert "missing.png" in capsys.readouterr().err
    monkeypatch.setattr(sv.SignatureDetector, "from_preset", load_model)
    assert main(["detect", paths[0], "missing_page.jpg"]) == 2
    assert "missing_page.jpg" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("image", "reason"),
    [(np.zeros((1, 1), np.uint8), "too small"), (np.full((60, 120), 250, np.uint8), "no ink")],
)
def test_tiny_or_blank_query_is_an_error_naming_the_file(files, capsys, tmp_path, image, reason):
    root, paths = files
    query = tmp_path / "query.png"
    Image.fromarray(image).save(query)
    code = main(["verify", str(query), "--refs", *paths, "--preset", str(root / "pipeline")])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert "query.png" in error and reason in error and len(error.splitlines()) == 1


def test_wrong_family_preset_is_preset_not_found(files, capsys):
    root, paths = files
    code = main(["detect", paths[0], "--preset", str(root / "extractor")])
    assert code == 2
    error = capsys.readouterr().err
    assert "extractor preset, not a detector preset" in error
    with pytest.raises(sv.PresetNotFoundError, match="extractor preset, not a cleaner"):
        sv.SignatureCleaner.from_preset("signver_extractor_base")


def test_json_is_accepted_after_the_command(capsys):
    assert main(["presets", "--json"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert main(["--json", "presets"]) == 0
    assert json.loads(capsys.readouterr().out) == after
    assert main(["gallery", "list", "missing.db", "--json"]) == 2  # parsed, then refused


def test_batch_without_pyarrow_names_the_extra(monkeypatch, capsys, files):
    _, paths = files
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", paths[0], "--out", "out.parquet"])
    assert exit_info.value.code == 2
    assert "signver-keras[batch]" in capsys.readouterr().err


def test_presets_json(capsys):
    assert main(["--json", "presets"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)


def test_tensorflow_start_up_lines_do_not_reach_stderr(files, tmp_path):
    import os
    import subprocess

    root, paths = files
    out, preset = str(tmp_path / "e.npy"), str(root / "extractor")
    argv = ["embed", paths[0], "--out", out, "--preset", preset]
    result = subprocess.run(
        [sys.executable, "-m", "signver_keras.cli.main", *argv],
        env={**os.environ, "KERAS_BACKEND": "tensorflow"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_demo_runs_the_bundled_pipeline_end_to_end(tmp_path, capsys):
    overlay = tmp_path / "demo_overlay.png"
    assert main(["demo", "--out", str(overlay), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert overlay.is_file()
    assert {name: v["accepted"] for name, v in report["verify"].items()} == {
        "genuine": True, "other writer": False, "skilled forgery": False,
    }  # fmt: skip
    assert "signature" in [d["class"] for d in report["detections"]]
    assert [s["accepted"] for s in report["signatures_on_page_matching_references"]] == [True]
