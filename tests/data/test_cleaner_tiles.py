"""Cleaner training tiles: crops, tiles, the disk cache, network inputs and the tile dataset."""

from __future__ import annotations

import numpy as np
import pytest

from signver_keras.data.training import cleaner_tiles
from signver_keras.data.training.cleaner_tiles import (
    cut_tile,
    make_tiles,
    network_inputs,
    source_crop,
    tile_dataset,
)
from signver_keras.models.cleaner.signature_cleaner_preprocessor import (
    SignatureCleanerPreprocessor,
)
from tests.conftest import saved_records

TILES = {"size": [32, 64], "longer_side": [60, 120], "ink_centred": 0.85}


@pytest.fixture(scope="module")
def records(tmp_path_factory, scribbles):
    writers = [f"w{i}" for i in range(4)]
    root = tmp_path_factory.mktemp("cleaner_tiles")
    return saved_records(root, scribbles[:4], writers, dataset=lambda i: f"d{i % 2}")


def test_source_crop_is_at_least_a_tile(scribbles):
    crop = source_crop(scribbles[0], np.random.default_rng(0), TILES)
    assert crop.dtype == np.uint8 and crop.shape[0] >= 32 and crop.shape[1] >= 64


def test_cut_tile_takes_the_same_window_of_both_images(scribbles):
    clean = source_crop(scribbles[1], np.random.default_rng(1), TILES)
    noisy, tile = cut_tile(255 - clean, clean, np.random.default_rng(2), TILES)
    assert tile.shape == (32, 64) and np.array_equal(noisy, 255 - tile)


def test_make_tiles_caches_and_repeats(records, tmp_path, monkeypatch):
    noisy, clean = make_tiles(records, 5, TILES, 0, tmp_path, "tiles")
    assert noisy.shape == clean.shape == (5, 32, 64) and noisy.dtype == np.uint8
    assert len(list(tmp_path.glob("cleaner_tiles_*.npz"))) == 1

    def no_pairs(*args, **kwargs):
        raise AssertionError("cached tiles should not be remade")

    monkeypatch.setattr(cleaner_tiles, "make_pair", no_pairs)
    again = make_tiles(records, 5, TILES, 0, tmp_path, "tiles")
    assert np.array_equal(again[0], noisy) and np.array_equal(again[1], clean)


def test_network_inputs_are_what_the_preprocessor_feeds_the_network(scribbles):
    tiles = np.stack([image[:32, :64] for image in scribbles[:3]])
    inputs = network_inputs(tiles)
    scaled = SignatureCleanerPreprocessor(max_side=128).scale
    expected = np.stack([np.round(scaled(tile) * 255) for tile in tiles]).astype(np.uint8)
    assert inputs.dtype == np.uint8 and np.array_equal(inputs, expected)


def test_tile_dataset_flips_input_and_target_together():
    clean = np.random.default_rng(0).integers(0, 256, (6, 8, 16), dtype=np.uint8)
    # Input ink equal to target ink: any flip applied to one but not the other shows.
    inputs = 255 - clean
    for x, y in tile_dataset(inputs, clean, batch_size=4, seed=0).take(3):
        assert x.shape == (4, 8, 16, 1) and np.allclose(x.numpy(), y.numpy())
