"""`signver-keras synth documents|pairs|writers`: files, formats, determinism, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from signver_keras.cli.main import main
from signver_keras.data.collections.detection_formats import read_coco, read_yolo
from signver_keras.data.collections.verification import load_verification_data


def _run(capsys, *argv) -> dict:
    assert main(["--json", "synth", *argv]) == 0
    return json.loads(capsys.readouterr().out)


def test_writers_manifest_loads_with_the_manifest_layout(tmp_path, capsys):
    out = tmp_path / "writers"
    report = _run(capsys, "writers", "--n", "3", "--out", str(out), "--seed", "4", "--genuine", "2")
    assert report["writers"] == 3 and report["images"] == 3 * (2 + 4)
    records = load_verification_data(f"manifest:{out}")
    assert len(records) == 18 and len({r.writer_id for r in records}) == 3
    assert sum(r.genuine for r in records) == 6
    image = np.asarray(Image.open(records[0].path))
    assert image.dtype == np.uint8 and image.ndim == 2
    # Same seed, same pixels; another seed, other writers.
    again = tmp_path / "again"
    _run(capsys, "writers", "--n", "1", "--out", str(again), "--seed", "4", "--genuine", "2")
    first = "w00000/genuine_00.png"
    assert (again / first).read_bytes() == (out / first).read_bytes()
    other = tmp_path / "other"
    _run(capsys, "writers", "--n", "1", "--out", str(other), "--seed", "5", "--forgeries", "0")
    assert (other / first).read_bytes() != (out / first).read_bytes()
    assert not list(other.glob("w00000/forgery_*"))


def test_pairs_are_aligned_noisy_clean_pngs(tmp_path, capsys):
    report = _run(capsys, "pairs", "--n", "2", "--out", str(tmp_path), "--seed", "1")
    assert report["images"] == 4
    for index in range(2):
        noisy = np.asarray(Image.open(tmp_path / "noisy" / f"pair_{index:05d}.png"))
        clean = np.asarray(Image.open(tmp_path / "clean" / f"pair_{index:05d}.png"))
        assert noisy.shape == clean.shape and noisy.dtype == clean.dtype == np.uint8
        assert clean.min() < 128 < clean.max()


def test_documents_write_yolo_and_coco(tmp_path, capsys):
    report = _run(capsys, "documents", "--n", "2", "--out", str(tmp_path), "--seed", "3")
    assert report["images"] == 2
    yolo = read_yolo(tmp_path)
    coco = read_coco(tmp_path / "annotations.coco.json", tmp_path / "images")
    assert len(yolo) == len(coco) == 2
    assert sum(len(r) for r in yolo) == report["boxes"] > 0


def test_human_output_and_bad_count(tmp_path, capsys):
    assert main(["synth", "writers", "--n", "1", "--out", str(tmp_path), "--forgeries", "1"]) == 0
    assert "Wrote 5 images (writers)" in capsys.readouterr().out
    assert main(["synth", "pairs", "--n", "0", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("signver-keras synth: error:") and "--n" in error
    assert len(error.splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["synth", "faces", "--n", "1", "--out", str(tmp_path)])
