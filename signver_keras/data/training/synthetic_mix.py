"""Synthetic writers as training data for the extractor recipe and the realism table.

Two generators (`synthetic.generator` in a config):
- `strokes`: `signver_keras.data.synthetic.synthetic_writers.SyntheticWriter` (oscillator
  trajectories, no letter shapes);
- `names`: `signver_keras.data.synthetic.synthetic_names.NameWriter` (names in handwriting
  fonts, forgers with their own spacing, slant, pen and tremor).
Images are generated once and cached outside the repository, keyed by the spec,
the input size and the generator's source code.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from signver_keras.data.collections.verification import SignatureRecord
from signver_keras.data.synthetic import synthetic_names, synthetic_writers
from signver_keras.utils.atomic import atomic_path
from signver_keras.utils.ink import normalize_signature

GENERATORS = {
    "strokes": (synthetic_writers, synthetic_writers.SyntheticWriter),
    "names": (synthetic_names, synthetic_names.NameWriter),
}


def synthetic_set(
    spec: dict, target_size: tuple[int, int], cache_dir: Path
) -> tuple[list[SignatureRecord], np.ndarray]:
    """Records and preprocessed uint8 arrays of `spec["writers"]` synthetic writers.

    Writer `w` is `Generator(spec["seed"] + w)`: `genuine` genuine signatures and
    `forgeries` skilled forgeries by `forgers` different hands.
    """
    generator = spec.get("generator", "strokes")
    if generator not in GENERATORS:
        raise ValueError(
            f"synthetic.generator should be one of {list(GENERATORS)}, got {generator!r}."
        )
    module, writer_class = GENERATORS[generator]
    n, genuine, forgeries = spec["writers"], spec["genuine"], spec["forgeries"]
    forgers, seed = max(1, spec["forgers"]), spec["seed"]
    records = [
        SignatureRecord(
            path=f"synthetic:{generator}:{seed + w}:{kind}{i}",
            writer_id=f"synthetic_{generator}_{seed + w}",
            genuine=kind == "g",
            forger_id=None if kind == "g" else f"synthetic_forger_{seed + w}_{i % forgers}",
            dataset="synthetic_writers",
        )
        for w in range(n)
        for kind, count in (("g", genuine), ("f", forgeries))
        for i in range(count)
    ]
    key = hashlib.sha256(
        json.dumps(
            [n, genuine, forgeries, forgers, seed, list(target_size), inspect.getsource(module)]
        ).encode()
    ).hexdigest()[:16]
    path = Path(cache_dir) / f"synthetic_{generator}_{key}.npy"
    if path.exists():
        return records, np.load(path)
    start = time.monotonic()
    arrays = np.empty((len(records), *target_size), np.uint8)
    index = 0
    for w in tqdm(range(n), desc=f"synthetic writers ({generator})", unit="writer"):
        writer = writer_class(seed + w)
        images = [writer.genuine(i) for i in range(genuine)]
        images += [writer.skilled_forgery(i, i % forgers) for i in range(forgeries)]
        for image in images:
            arrays[index] = np.round(normalize_signature(image, target_size) * 255)
            index += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as partial, open(partial, "wb") as file:
        np.save(file, arrays)
    print(f"synthetic: {n} writers, {len(arrays)} images in {time.monotonic() - start:.0f} s")
    return records, arrays


def real_repeats(real: int, synthetic: int, share: float | None) -> int:
    """How often to repeat the real images so they make about `share` of the mix."""
    if not share:
        return 1
    return max(1, round(share / (1 - share) * synthetic / real))


def mix(
    real: list[SignatureRecord],
    real_arrays: np.ndarray,
    synthetic: list[SignatureRecord],
    synthetic_arrays: np.ndarray,
    share: float | None,
) -> tuple[list[SignatureRecord], np.ndarray]:
    """Real and synthetic training data, the real images repeated to about `share`."""
    repeats = real_repeats(len(real), len(synthetic), share)
    return real * repeats + synthetic, np.concatenate([real_arrays] * repeats + [synthetic_arrays])
