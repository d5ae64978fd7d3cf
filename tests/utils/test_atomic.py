"""Atomic writes: the target holds the old or the new content, never a partial file."""

import numpy as np
import pytest
from PIL import Image

from signver_keras.utils.atomic import (
    atomic_folder,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
)


def test_writers_that_choose_the_format_by_suffix_still_work(tmp_path):
    with atomic_path(tmp_path / "page.png") as partial:
        assert partial.suffix == ".png" and partial.parent == tmp_path
        Image.new("L", (4, 4), 7).save(partial)
    with atomic_path(tmp_path / "emb.npy") as partial:
        np.save(partial, np.arange(3))
    with atomic_path(tmp_path / "best.weights.h5") as partial:
        assert partial.name.endswith(".partial.weights.h5")  # Keras checks the full suffix
        partial.write_bytes(b"h5")
    assert np.asarray(Image.open(tmp_path / "page.png")).max() == 7
    assert np.load(tmp_path / "emb.npy").tolist() == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.weights.h5", "emb.npy", "page.png"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "report.json"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as partial:
        partial.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"


def test_atomic_folder_swaps_in_a_complete_folder(tmp_path):
    target = tmp_path / "preset"
    atomic_folder(target, lambda folder: (folder / "config.json").write_text("1"))

    def crash(folder):
        (folder / "config.json").write_text("2")
        raise ValueError("bad model")

    with pytest.raises(ValueError):
        atomic_folder(target, crash)
    assert (target / "config.json").read_text() == "1"
    assert [p.name for p in tmp_path.iterdir()] == ["preset"]
