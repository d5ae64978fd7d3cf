"""The signver-keras command line: JSON output, files written, one-line errors."""

import json

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


def test_unknown_preset_exits_non_zero(capsys):
    assert main(["embed", "x.png", "--out", "e.npy", "--preset", "no_such_preset"]) == 2
    assert "no_such_preset" in capsys.readouterr().err


def test_presets_json(capsys):
    assert main(["--json", "presets"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out), list)
