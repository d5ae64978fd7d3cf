"""Cleaner training tiles: real signatures under synthetic clutter, cut into tiles, cached on disk.

Each signature is cropped around its ink with a random margin, scaled to a
random size, laid over clutter with `cleaning_pairs.make_pair` and cut into a
(noisy, clean) tile, mostly centred on ink.

Example:
```python
from signver_keras.data.training.cleaner_tiles import make_tiles, network_inputs, tile_dataset

tiles = {"size": [96, 192], "longer_side": [192, 512], "ink_centred": 0.85}
noisy, clean = make_tiles(records, 8000, tiles, seed=0, cache_dir=cache_dir, desc="tiles")
dataset = tile_dataset(network_inputs(noisy), clean, batch_size=16, seed=0)
```
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from signver_keras.data.collections.verification import SignatureRecord
from signver_keras.data.synthetic.cleaning_pairs import make_pair
from signver_keras.images import load_image
from signver_keras.utils.atomic import atomic_path
from signver_keras.utils.ink import ink_bbox, ink_intensity, paper_normalize

#: Bump when the tile recipe changes, so stale caches are not reused.
TILE_VERSION = 2


def source_crop(gray: np.ndarray, rng: np.random.Generator, tiles: dict) -> np.ndarray:
    """The signature cropped around its ink (random margin), at a random size, at least a tile."""
    box = ink_bbox(ink_intensity(gray), margin=float(rng.uniform(0.0, 0.15)))
    if box is not None:
        top, left, bottom, right = box
        gray = gray[top:bottom, left:right]
    low, high = tiles["longer_side"]
    factor = float(rng.uniform(low, high)) / max(gray.shape)
    size = (max(8, round(gray.shape[1] * factor)), max(8, round(gray.shape[0] * factor)))
    gray = np.asarray(Image.fromarray(gray).resize(size, Image.LANCZOS))
    # Pad with paper (before the clutter is added, so the clutter covers the padding).
    tile_h, tile_w = tiles["size"]
    pad_h, pad_w = max(0, tile_h - gray.shape[0]), max(0, tile_w - gray.shape[1])
    if pad_h or pad_w:
        top, left = int(rng.integers(0, pad_h + 1)), int(rng.integers(0, pad_w + 1))
        gray = np.pad(gray, ((top, pad_h - top), (left, pad_w - left)), constant_values=255)
    return gray


def cut_tile(
    noisy: np.ndarray, clean: np.ndarray, rng: np.random.Generator, tiles: dict
) -> tuple[np.ndarray, np.ndarray]:
    """A tile of the pair, near a random ink pixel (`ink_centred` of the time) or anywhere."""
    tile_h, tile_w = tiles["size"]
    height, width = clean.shape
    ink = np.argwhere(clean < 128)
    if len(ink) and rng.random() < tiles["ink_centred"]:
        y, x = ink[rng.integers(len(ink))]
        top = int(np.clip(y - tile_h // 2 + rng.integers(-tile_h // 4, tile_h // 4 + 1), 0, None))
        left = int(np.clip(x - tile_w // 2 + rng.integers(-tile_w // 4, tile_w // 4 + 1), 0, None))
        top, left = min(top, height - tile_h), min(left, width - tile_w)
    else:
        top = int(rng.integers(0, height - tile_h + 1))
        left = int(rng.integers(0, width - tile_w + 1))
    window = np.s_[top : top + tile_h, left : left + tile_w]
    return noisy[window], clean[window]


def make_tiles(
    records: list[SignatureRecord],
    count: int,
    tiles: dict,
    seed: int,
    cache_dir: Path,
    desc: str,
) -> tuple[np.ndarray, np.ndarray]:
    """`count` (noisy, clean) uint8 tiles, equally many per dataset, cached in `cache_dir`."""
    key = hashlib.sha256(
        json.dumps([TILE_VERSION, count, tiles, seed, [r.path for r in records]]).encode()
    ).hexdigest()[:16]
    path = Path(cache_dir) / f"cleaner_tiles_{key}.npz"
    if path.exists():
        with np.load(path) as cached:
            return cached["noisy"], cached["clean"]
    by_dataset: dict[str, list[SignatureRecord]] = {}
    for record in records:
        by_dataset.setdefault(record.dataset, []).append(record)
    # Each dataset gets an equal share; within one, tiles are spread over its images.
    jobs: list[tuple[SignatureRecord, int]] = []
    for number, name in enumerate(sorted(by_dataset)):
        share = count // len(by_dataset) + (number < count % len(by_dataset))
        order = np.random.default_rng([seed, number]).permutation(len(by_dataset[name]))
        jobs += [(by_dataset[name][order[i % len(order)]], i) for i in range(share)]
    jobs.sort(key=lambda job: job[0].path)  # load each image once
    noisy = np.zeros((count, *tiles["size"]), np.uint8)
    clean = np.zeros_like(noisy)
    gray, loaded = None, None
    for index, (record, number) in enumerate(tqdm(jobs, desc=desc, unit="tile", mininterval=10)):
        if loaded != record.path:
            gray, loaded = load_image(record.path), record.path
        rng = np.random.default_rng([seed, index, number])
        pair = make_pair(source_crop(gray, rng, tiles), seed=int(rng.integers(2**31)))
        noisy[index], clean[index] = cut_tile(*pair, rng, tiles)
    order = np.random.default_rng(seed).permutation(count)
    noisy, clean = noisy[order], clean[order]
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial:
        np.savez(partial, noisy=noisy, clean=clean)
    return noisy, clean


def network_inputs(noisy: np.ndarray) -> np.ndarray:
    """What the preprocessor feeds the network (paper tone removed), per tile, as uint8."""
    # Tiles are already at network scale, so of `SignatureCleanerPreprocessor.scale`
    # (downscale to `max_side`, then `paper_normalize`) only the second step applies.
    return np.stack([np.round(paper_normalize(tile) * 255) for tile in noisy]).astype(np.uint8)


def tile_dataset(inputs: np.ndarray, clean: np.ndarray, batch_size: int, seed: int):
    """Endless shuffled tf.data batches of (input ink, target ink), flipped alike."""
    import tensorflow as tf

    def to_float(x, y):
        x = tf.cast(x, tf.float32)[..., None] / 255.0
        y = 1.0 - tf.cast(y, tf.float32)[..., None] / 255.0  # clean target -> ink
        # The same random flips for input and target (clutter and ink stay aligned).
        both = tf.concat([x, y], axis=-1)
        both = tf.image.random_flip_left_right(tf.image.random_flip_up_down(both))
        return both[..., :1], both[..., 1:]

    return (
        tf.data.Dataset.from_tensor_slices((inputs, clean))
        .shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .map(to_float, num_parallel_calls=1)
        .batch(batch_size, drop_remainder=True)
        .prefetch(2)
    )
