"""Online signatures: the trajectory format loads as records and renders like a scan."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from signver_keras.data.collections.online_signatures import load_online_records, record_image
from signver_keras.data.collections.verification import DatasetLayoutError, load_verification_data
from signver_keras.data.collections.verification_layouts import load_layout
from signver_keras.data.synthetic.trajectory_rendering import (
    RenderStyle,
    render_trajectory,
    split_strokes,
)
from signver_keras.data.training.extractor_inputs import (
    InputPack,
    extractor_inputs,
    save_input_pack,
)

ONLINE_COLLECTIONS = (
    "susig_visual",
    "susig_blind",
    "biosecurid",
    "mcyt_online",
    "sigwicomp2013_jp",
    "unattributed210",
)
PLAIN = RenderStyle(blur=0.0, noise=0.0, texture=0.0, paper=255, slant=0.0, rotation=0.0)


def _line(x0: float, x1: float, y: float, pressure: float, n: int = 40) -> np.ndarray:
    return np.stack([np.linspace(x0, x1, n), np.full(n, y), np.full(n, pressure)], axis=1).astype(
        np.float32
    )


def _write_collection(folder: Path, signatures: list[np.ndarray], labels: list[str]) -> None:
    folder.mkdir(parents=True)
    offsets = np.cumsum([0, *(len(s) for s in signatures)])
    np.savez(folder / "trajectories.npz", points=np.concatenate(signatures), offsets=offsets)
    with (folder / "MANIFEST.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["index", "writer_id", "label", "forger_id", "source_file"])
        for index, label in enumerate(labels):
            writer.writerow([index, f"w{index // 2}", label, "", f"s{index}"])


def _wave(seed: int) -> np.ndarray:
    t = np.linspace(0, 4 * np.pi, 300)
    rng = np.random.default_rng(seed)
    pressure = np.clip(0.6 + 0.3 * np.sin(t * rng.uniform(1, 3)), 0.05, 1)
    return np.stack([t * 30, 40 * np.sin(t + seed), pressure], 1).astype(np.float32)


def test_records_load_with_writer_label_and_render(tmp_path):
    folder = tmp_path / "tablet"
    _write_collection(folder, [_wave(i) for i in range(4)], ["genuine", "forgery"] * 2)
    records = load_verification_data(f"online:{folder}")
    assert [(r.writer_id, r.genuine) for r in records] == [
        ("w0", True),
        ("w0", False),
        ("w1", True),
        ("w1", False),
    ]
    assert {r.dataset for r in records} == {"tablet"}
    _, report = load_layout("online", folder)
    assert (report.records, report.genuine, report.forged, report.writers) == (4, 2, 2, 2)
    image = record_image(records[2])
    assert image.dtype == np.uint8 and image.ndim == 2
    # Dark ink on light paper, like a scan.
    assert image.min() < 120 < np.median(image)


def test_rendering_is_deterministic_for_a_seed_and_varies_between_seeds():
    points = _wave(3)
    style = RenderStyle.sample(np.random.default_rng(5))
    first = render_trajectory(points, style, seed=9)
    np.testing.assert_array_equal(first, render_trajectory(points, style, seed=9))
    other_style = RenderStyle.sample(np.random.default_rng(6))
    assert not np.array_equal(first, render_trajectory(points, other_style, seed=10))


def test_pen_up_samples_are_not_drawn():
    # Two strokes on one line with a pen-up jump between them: the gap must stay blank.
    left, right = _line(0, 100, 0, 0.8), _line(200, 300, 0, 0.8)
    lifted = np.concatenate([left, [[150, 0, 0.0]], right])
    assert len(split_strokes(lifted)) == 2
    image = render_trajectory(lifted, PLAIN)
    middle = image[:, image.shape[1] * 2 // 5 : image.shape[1] * 3 // 5]
    assert middle.min() > 240
    joined = render_trajectory(np.concatenate([left, right]), PLAIN)
    assert joined[:, joined.shape[1] // 2].min() < 100


def test_lower_pressure_draws_thinner_strokes():
    style = RenderStyle(blur=0, noise=0, texture=0, width_mm=1.0, pressure_effect=0.8)

    def ink_rows(pressure_of_second: float) -> int:
        # A firm reference stroke fixes the scale; only the second stroke's pressure changes.
        strong = _line(0, 200, 0, 1.0)
        probe = _line(0, 200, -60, pressure_of_second)
        image = render_trajectory(np.concatenate([strong, [[0, -30, 0]], probe]), style)
        column = image[:, image.shape[1] // 2] < 128
        lower = column[image.shape[0] // 2 :]
        return int(lower.sum())

    assert ink_rows(0.2) < ink_rows(1.0)


def test_pencil_is_fainter_than_a_gel_pen():
    points = _wave(1)
    pencil = render_trajectory(points, RenderStyle(pen="pencil", darkness=0.35, noise=0), seed=0)
    gel = render_trajectory(points, RenderStyle(pen="gel", darkness=0.95, noise=0), seed=0)
    assert np.percentile(pencil, 0.5) > np.percentile(gel, 0.5) + 60


def test_bad_trajectories_and_folders_are_named(tmp_path):
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        render_trajectory(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="no pen-down"):
        render_trajectory(np.zeros((5, 3)))
    with pytest.raises(DatasetLayoutError, match="trajectories.npz"):
        load_online_records(tmp_path)


def test_training_inputs_hold_several_renderings_per_online_signature(tmp_path):
    folder = tmp_path / "tablet"
    _write_collection(folder, [_wave(i) for i in range(3)], ["genuine"] * 3)
    records = load_online_records(folder)
    inputs = extractor_inputs(records, (24, 48), renderings=3, cache_dir=tmp_path, workers=1)
    assert inputs.images.shape == (9, 24, 48) and inputs.images.dtype == np.uint8
    assert inputs.starts.tolist() == [0, 3, 6] and inputs.counts.tolist() == [3, 3, 3]
    assert not np.array_equal(inputs.images[0], inputs.images[1])
    cached = extractor_inputs(records, (24, 48), renderings=3, cache_dir=tmp_path, workers=1)
    np.testing.assert_array_equal(cached.images, inputs.images)


@pytest.mark.parametrize("name", ONLINE_COLLECTIONS)
def test_every_shared_online_collection_loads_and_renders(shared_data, name):
    folder = shared_data / "online" / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not available")
    records = load_verification_data(f"online:{folder}")
    assert len({r.writer_id for r in records}) >= 10
    assert any(not r.genuine for r in records)
    image = record_image(records[len(records) // 2])
    assert image.dtype == np.uint8 and min(image.shape[:2]) >= 16


def test_an_input_pack_stands_in_for_the_data_folder(tmp_path):
    folder = tmp_path / "tablet"
    _write_collection(folder, [_wave(i) for i in range(4)], ["genuine", "forgery"] * 2)
    records = load_online_records(folder)
    save_input_pack(tmp_path / "pack.npz", {"tablet": records}, {"tablet": 2}, (24, 48))
    folder.joinpath("trajectories.npz").unlink()  # the pack needs no data folder

    pack = InputPack.load(tmp_path / "pack.npz")
    assert pack.records("tablet") == records
    packed = pack.inputs(records[1:3], (24, 48), renderings=2)
    prepared = extractor_inputs(records[1:3], (24, 48), 2, cache_dir=tmp_path, workers=1)
    np.testing.assert_array_equal(packed.images, prepared.images)
    assert packed.counts.tolist() == [2, 2]
    with pytest.raises(KeyError, match="1 were asked for"):
        pack.inputs(records, (24, 48), renderings=1)
    with pytest.raises(ValueError, match=r"\(24, 48\)"):
        pack.inputs(records, (32, 64), renderings=2)
    with pytest.raises(KeyError, match="no collection 'scans'"):
        pack.records("scans")


def test_fewer_grey_levels_keep_ink_close(tmp_path):
    folder = tmp_path / "tablet"
    _write_collection(folder, [_wave(i) for i in range(2)], ["genuine"] * 2)
    records = load_online_records(folder)
    save_input_pack(tmp_path / "p.npz", {"t": records}, {"t": 1}, (24, 48), levels=16)
    exact = extractor_inputs(records, (24, 48), cache_dir=tmp_path, workers=1).images
    coarse = InputPack.load(tmp_path / "p.npz").inputs(records, (24, 48)).images
    assert np.abs(coarse.astype(int) - exact).max() <= 9
    np.testing.assert_array_equal(coarse == 0, exact < 9)
