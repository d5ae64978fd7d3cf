"""The extractor's inputs for training and model selection, prepared once and cached on disk.

Each record becomes one or more uint8 images of the extractor preprocessor's
output (ink intensity, cropped and fitted to the input size, scaled to
0-255). Scanned records have one image; online records (pen trajectories,
`online_signatures`) have `renderings` different renderings, each with its own
pen, paper and scanner: training picks one at random each time it sees the
signature, so every epoch shows a different rendering.

Example:
```python
from signver_keras.data.training.extractor_inputs import extractor_inputs
from signver_keras.data.collections.verification import load_verification_data

records = load_verification_data("online:../shared/data/online/biosecurid")
inputs = extractor_inputs(records, (96, 192), renderings=4)
inputs.images.shape, inputs.starts[:3], inputs.counts[:3]   # (4 * N, 96, 192), 0 4 8, 4 4 4
```
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from signver_keras.data.collections.online_signatures import is_online, record_image, record_seed
from signver_keras.data.collections.verification import SignatureRecord
from signver_keras.data.paths import CACHE_DIR
from signver_keras.images import load_image
from signver_keras.utils.atomic import atomic_path
from signver_keras.utils.ink import normalize_signature

# Bumped whenever the rendering or preprocessing changes, so stale caches are not reused.
CACHE_VERSION = 2
# Training renderings stop at this many pixels: the network sees 96x192 anyway.
TRAINING_MAX_SIDE = 480


@dataclass
class ExtractorInputs:
    """Images of records: record `i` owns `images[starts[i] : starts[i] + counts[i]]`."""

    images: np.ndarray
    starts: np.ndarray
    counts: np.ndarray

    def __len__(self) -> int:
        """The number of records (not of images)."""
        return len(self.starts)

    @classmethod
    def from_images(cls, images: np.ndarray) -> ExtractorInputs:
        """One image per record."""
        return cls(images, np.arange(len(images), dtype=np.int64), np.ones(len(images), np.int64))

    @classmethod
    def from_counts(cls, images: np.ndarray, counts: np.ndarray) -> ExtractorInputs:
        """Records owning `counts[i]` consecutive images each, in order."""
        counts = np.asarray(counts, np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        return cls(images, starts[: len(counts)], counts)

    @classmethod
    def concatenate(cls, parts: Sequence[ExtractorInputs]) -> ExtractorInputs:
        """The records of `parts`, one after the other."""
        offsets = np.cumsum([0, *(len(part.images) for part in parts[:-1])])
        return cls(
            np.concatenate([part.images for part in parts]),
            np.concatenate(
                [part.starts + offset for part, offset in zip(parts, offsets, strict=True)]
            ),
            np.concatenate([part.counts for part in parts]),
        )

    def first(self) -> np.ndarray:
        """One image per record (the first rendering): what evaluation embeds."""
        return self.images[self.starts]


def _prepare(job: tuple[SignatureRecord, int | None, tuple[int, int], int]) -> np.ndarray:
    record, seed, target_size, max_side = job
    gray = load_image(record_image(record, seed, max_side))
    return np.round(normalize_signature(gray, target_size) * 255).astype(np.uint8)


def extractor_inputs(
    records: Sequence[SignatureRecord],
    target_size: tuple[int, int],
    renderings: int = 1,
    cache_dir: str | os.PathLike | None = None,
    workers: int | None = None,
) -> ExtractorInputs:
    """Prepares (or reads from the cache) every record's extractor input images.

    Args:
        records: scanned and/or online records.
        target_size: (height, width) of the extractor input.
        renderings: renderings per online record. 1 gives each online record its
            fixed evaluation rendering (`record_image(record)`, full resolution),
            exactly what `signver-keras evaluate` embeds; more give training
            renderings with other seeds, capped at `TRAINING_MAX_SIDE` pixels.
        cache_dir: where prepared arrays are kept (default `$SIGNVER_CACHE` or
            `~/.cache/signver_keras`); never inside the repository.
        workers: processes that render in parallel (default: all CPU cores).
    """
    if renderings < 1:
        raise ValueError(f"renderings should be at least 1; received {renderings}.")
    if not records:
        empty = np.zeros((0, *target_size), np.uint8)
        return ExtractorInputs(empty, np.zeros(0, np.int64), np.zeros(0, np.int64))
    jobs, counts = [], []
    for record in records:
        if is_online(record) and renderings > 1:
            base = record_seed(record)
            jobs += [
                (record, base + 1 + k, target_size, TRAINING_MAX_SIDE) for k in range(renderings)
            ]
            counts.append(renderings)
        else:
            jobs.append((record, None, target_size, 1000))
            counts.append(1)
    key = hashlib.sha256(
        json.dumps(
            [CACHE_VERSION, list(target_size), renderings, [r.path for r in records]]
        ).encode()
    ).hexdigest()[:16]
    path = Path(cache_dir or CACHE_DIR) / f"extractor_inputs_{key}.npy"
    if path.exists():
        return ExtractorInputs.from_counts(np.load(path), counts)
    workers = workers or os.cpu_count() or 1
    progress = dict(total=len(jobs), desc="preparing extractor inputs", unit="img")
    if workers > 1 and len(jobs) > 64:
        # spawn: the parent may hold TensorFlow/JAX threads that fork would copy half-alive.
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            images = list(tqdm(pool.imap(_prepare, jobs, chunksize=32), **progress))
    else:
        images = [_prepare(job) for job in tqdm(jobs, **progress)]
    images = np.stack(images)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial:
        np.save(partial, images)
    return ExtractorInputs.from_counts(images, counts)


class InputPack:
    """Collections' records and prepared inputs in one compressed file, to train away from the data.

    An accelerator machine often has the code but not the data folder (nor
    its renderer's time): `save_input_pack` stores what a training run reads,
    namely each collection's records and the prepared images of those whose
    images are needed (online records with their training renderings or
    evaluation rendering), optionally with fewer grey levels to keep the file
    small. `records(name)` and `inputs(records, ...)` then stand in for
    loading a collection and for `extractor_inputs`.

    Example:
    ```python
    from signver_keras.data.training.extractor_inputs import InputPack, save_input_pack

    save_input_pack("pack.npz", {"bio": records}, {"bio": 1}, (96, 192))
    pack = InputPack.load("pack.npz")
    inputs = pack.inputs(pack.records("bio"), (96, 192))
    ```
    """

    def __init__(
        self,
        collections: dict[str, list[SignatureRecord]],
        target_size: tuple[int, int],
        index: dict[str, tuple[int, int]],
        images: np.ndarray,
        levels: int = 256,
    ):
        self.collections, self.target_size = collections, tuple(target_size)
        self._index, self._images, self.levels = index, images, levels

    @classmethod
    def load(cls, path: str | os.PathLike) -> InputPack:
        if not Path(path).is_file():
            raise FileNotFoundError(f"No input pack at '{path}'.")
        with np.load(path) as data:
            meta = json.loads(str(data["meta"]))
            levels = int(meta["levels"])
            images = data["images"]
            if levels < 256:
                images = np.round(images * (255.0 / (levels - 1))).astype(np.uint8)
            located = ExtractorInputs.from_counts(images, data["counts"])
            paths = meta["paths"]
        collections = {
            name: [SignatureRecord(**fields) for fields in rows]
            for name, rows in meta["collections"].items()
        }
        index = {
            p: (int(s), int(c))
            for p, s, c in zip(paths, located.starts, located.counts, strict=True)
        }
        return cls(collections, meta["target_size"], index, images, levels)

    def records(self, name: str) -> list[SignatureRecord]:
        """The records of collection `name`, as loading it from the data folder gives them."""
        if name not in self.collections:
            raise KeyError(
                f"The input pack has no collection '{name}'; it has {sorted(self.collections)}."
            )
        return list(self.collections[name])

    def inputs(
        self, records: Sequence[SignatureRecord], target_size: tuple[int, int], renderings: int = 1
    ) -> ExtractorInputs:
        """What `extractor_inputs(records, target_size, renderings)` gives, read from the pack."""
        if tuple(target_size) != self.target_size:
            raise ValueError(
                f"The input pack holds {self.target_size} inputs; "
                f"{tuple(target_size)} were asked for."
            )
        rows = []
        for record in records:
            expected = renderings if is_online(record) and renderings > 1 else 1
            start, count = self._index.get(record.path, (0, 0))
            if count != expected:
                raise KeyError(
                    f"The input pack holds {count} image(s) of '{record.path}'; {expected} "
                    f"were asked for (renderings={renderings}); pack it with these renderings."
                )
            rows.append(np.arange(start, start + count))
        order = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        return ExtractorInputs.from_counts(self._images[order], [len(r) for r in rows])


def save_input_pack(
    path: str | os.PathLike,
    collections: dict[str, list[SignatureRecord]],
    renderings: dict[str, int],
    target_size: tuple[int, int],
    levels: int = 256,
    cache_dir: str | os.PathLike | None = None,
) -> None:
    """Writes an `InputPack`: every collection's records, and the inputs of those in `renderings`.

    Args:
        path: the `.npz` file to write (atomically).
        collections: records per collection name (as the recipe names them).
        renderings: collection name -> renderings per online record to store
            (1: the evaluation rendering); collections left out get records only.
        target_size: (height, width) of the extractor input.
        levels: grey levels kept (256: exact; 16 makes the file about half as large).
        cache_dir: the `extractor_inputs` cache to prepare from.
    """
    if not 2 <= levels <= 256:
        raise ValueError(f"levels should be between 2 and 256; received {levels}.")
    paths, parts = [], []
    for name, count in renderings.items():
        packed = set(paths)
        records = [r for r in collections[name] if r.path not in packed]
        paths += [r.path for r in records]
        parts.append(extractor_inputs(records, target_size, count, cache_dir))
    prepared = (
        ExtractorInputs.concatenate(parts)
        if parts
        else ExtractorInputs.from_counts(np.zeros((0, *target_size), np.uint8), [])
    )
    images = prepared.images
    if levels < 256:
        images = np.round(images * ((levels - 1) / 255.0)).astype(np.uint8)
    meta = {
        "levels": levels,
        "target_size": list(target_size),
        "paths": paths,
        "collections": {
            name: [asdict(r) for r in records] for name, records in collections.items()
        },
    }
    with atomic_path(Path(path)) as partial, open(partial, "wb") as file:
        np.savez_compressed(
            file,
            meta=np.array(json.dumps(meta)),
            images=images,
            counts=prepared.counts,
        )
