"""Images per second of the synthetic data generators and the training input pipelines.

    python benchmarks/data_throughput.py                 # ~5 s per row
    python benchmarks/data_throughput.py --seconds 2 --json

Generators are timed in memory (no PNG writing): `documents` = `generate_page`,
`pairs` = a synthetic writer's genuine signature + `make_pair` (2 images),
`writers` = one genuine signature and one skilled forgery (2 images).
Pipelines read synthetic writers written to a temporary folder (or `--data
LAYOUT:PATH`): `cold` is the first epoch (decode + normalise, fills the cache);
the other rows are later epochs from the cache, with and without augmentation.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _rate(step, seconds: float) -> tuple[float, int]:
    """Calls `step()` (returns images made) until `seconds` pass; (images/s, images)."""
    count, start = 0, time.perf_counter()
    while True:
        count += step()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed, count


def _generators(seconds: float) -> list[dict]:
    from signver_keras.data.synthetic.cleaning_pairs import make_pair
    from signver_keras.data.synthetic.synthetic_documents import generate_page
    from signver_keras.data.synthetic.synthetic_writers import SyntheticWriter

    index = iter(range(10**9))

    def documents() -> int:
        generate_page(next(index))
        return 1

    def pairs() -> int:
        i = next(index)
        make_pair(SyntheticWriter(seed=i).genuine(0), seed=i)
        return 2

    def writers() -> int:
        writer = SyntheticWriter(seed=next(index))
        writer.genuine(0), writer.skilled_forgery(0)
        return 2

    rows = []
    for name, step in [("documents", documents), ("pairs", pairs), ("writers", writers)]:
        rate, count = _rate(step, seconds)
        rows.append({"what": f"generator: {name}", "images/s": rate, "images": count})
    return rows


def _pipelines(records, seconds: float, batch_size: int, target_size) -> list[dict]:
    from signver_keras.data.training.pipelines import SignaturePyDataset, signature_tf_dataset

    def py_epochs(dataset):
        def epoch() -> int:
            made = sum(len(dataset[i][1]) for i in range(len(dataset)))
            dataset.on_epoch_end()
            return made

        return epoch

    def tf_epochs(dataset):
        return lambda: sum(int(labels.shape[0]) for _, labels in dataset)

    rows = []
    for name, build, epochs in [
        ("PyDataset (numpy)", SignaturePyDataset, py_epochs),
        ("tf.data", signature_tf_dataset, tf_epochs),
    ]:
        for strength in (0.0, 1.0):
            dataset = build(records, batch_size, target_size, augment_strength=strength)
            step = epochs(dataset)
            start = time.perf_counter()
            made = step()  # first epoch: decode + normalise, fills the cache
            cold = made / (time.perf_counter() - start)
            if strength == 0.0:
                rows.append({"what": f"{name}: cold epoch", "images/s": cold, "images": made})
            rate, count = _rate(step, seconds)
            label = "augmented" if strength else "cached, no augmentation"
            rows.append({"what": f"{name}: {label}", "images/s": rate, "images": count})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time per row")
    parser.add_argument("--writers", type=int, default=40, help="synthetic writers to read")
    parser.add_argument("--data", help="LAYOUT:PATH to read instead of synthetic writers")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    target_size = (96, 192)

    rows = _generators(args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        if args.data:
            from signver_keras.data.collections.verification import load_verification_data

            records = load_verification_data(args.data)
        else:
            from signver_keras.cli.synth import write_writers
            from signver_keras.data.collections.verification import read_csv

            write_writers(args.writers, tmp, seed=0, genuine=4, forgeries=4)
            records = read_csv(Path(tmp) / "MANIFEST.csv")
        rows += _pipelines(records, args.seconds, args.batch_size, target_size)

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if args.json:
        print(json.dumps({"cpu_cores": cores, "records": len(records), "rows": rows}, indent=2))
        return
    width = max(len(r["what"]) for r in rows)
    print(f"{len(records)} records, batch {args.batch_size}, {target_size}, {cores} CPU cores")
    print(f"{'what'.ljust(width)}  {'images/s':>9}  {'images':>7}")
    print(f"{'-' * width}  {'-' * 9}  {'-' * 7}")
    for row in rows:
        print(f"{row['what'].ljust(width)}  {row['images/s']:9.1f}  {row['images']:7d}")


if __name__ == "__main__":
    main()
