"""Pages per second of batch inference: `signver-keras batch` with 1 and 2 workers, and Ray.

    python benchmarks/batch_throughput.py                    # random pipeline, base sizes
    python benchmarks/batch_throughput.py --preset signver_base --pages 64
    python benchmarks/batch_throughput.py --engines local:1 local:2 ray:2

Pages come from the Tobacco-800 validation pages in $SIGNVER_DATA when they are
there (read in place, never copied), else synthetic noisy pages. Without
`--preset` the pipeline is randomly initialised with the detector and extractor
base architectures (no cleaner): the compute is realistic, the detections are not.
Each engine starts from an empty output. `seconds` includes starting the
workers and loading the pipeline in each of them, as a user would see it;
`steady pages/s` leaves that out: pages finished after each worker's first
task, divided by the time from the last of those first tasks to the end (what
a long archive job runs at).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("KERAS_BACKEND", "jax")


def sample_pages(folder: Path, count: int) -> list[str]:
    from signver_keras.data.paths import data_root

    real = data_root() / "tobacco800_signatures_valid" / "valid" / "images"
    if real.is_dir():
        pages = sorted(str(p) for p in real.iterdir() if p.suffix.lower() in {".jpg", ".png"})
        if pages:
            return pages[:count]
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    pages = []
    for seed in range(count):
        rng = np.random.default_rng(seed)
        gray = np.full((1100, 850), 235, np.uint8)
        gray[rng.random(gray.shape) < 0.03] = 20
        path = folder / f"page{seed:04d}.png"
        Image.fromarray(gray).save(path)
        pages.append(str(path))
    return pages


def random_pipeline(folder: Path) -> str:
    import keras

    import signver_keras as sv

    keras.utils.set_random_seed(0)
    detector = sv.SignatureDetector(
        sv.models.SignatureDetectorBackbone(), sv.models.SignatureDetectorPreprocessor()
    )
    extractor = sv.SignatureExtractor(
        sv.models.SignatureExtractorBackbone(),
        sv.models.SignatureExtractorPreprocessor(),
        calibration={"threshold": 0.5, "rule": "none", "reference_count": 1, "source": "benchmark"},
    )
    sv.SignatureVerifier(extractor, detector=detector).save_to_preset(folder)
    return str(folder)


class Timeline:
    """Completion times of the tasks of one run (a `progress` callback)."""

    def __init__(self) -> None:
        self.events: list[tuple[float, int]] = []

    def __call__(self, pages: int) -> None:
        self.events.append((time.monotonic(), pages))

    def steady_pages_per_second(self, workers: int) -> float:
        """Throughput after the first `workers` tasks (those paid each worker's start-up)."""
        if len(self.events) <= workers:
            return float("nan")
        since = self.events[workers - 1][0]
        pages = sum(count for _, count in self.events[workers:])
        return pages / max(self.events[-1][0] - since, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", help="pipeline preset (default: random base-size pipeline)")
    parser.add_argument("--pages", type=int, default=24)
    parser.add_argument("--chunk-size", type=int, default=4)
    parser.add_argument("--threshold", type=float, help="score threshold (default: preset's)")
    parser.add_argument("--engines", nargs="+", default=["local:1", "local:2", "ray:2"])
    args = parser.parse_args()

    from signver_keras.batch import run_batch

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pages = sample_pages(tmp / "pages", args.pages)
        preset = args.preset or random_pipeline(tmp / "pipeline")
        results = []
        for engine in args.engines:
            name, workers = engine.split(":")
            out = tmp / f"{name}_{workers}.parquet"
            kwargs = dict(
                preset=preset,
                workers=int(workers),
                chunk_size=args.chunk_size,
                score_threshold=args.threshold,
                progress=(timeline := Timeline()),
            )
            start = time.monotonic()
            if name == "ray":
                from signver_keras.batch.ray_runner import run_batch_ray

                summary = run_batch_ray(pages, out, **kwargs)
            else:
                summary = run_batch(pages, out, **kwargs)
            seconds = time.monotonic() - start
            steady = timeline.steady_pages_per_second(int(workers))
            results.append((engine, summary.processed, summary.rows, seconds, steady))
            print(f"{engine}: {summary.processed} pages in {seconds:.1f} s", flush=True)

    print()
    print(f"pages: {len(pages)}, cpus: {os.cpu_count()}, backend: {os.environ['KERAS_BACKEND']}")
    print("| engine | workers | pages | rows | seconds | pages/s | steady pages/s |")
    print("|---|---|---|---|---|---|---|")
    for engine, processed, rows, seconds, steady in results:
        name, workers = engine.split(":")
        print(
            f"| {name} | {workers} | {processed} | {rows} | {seconds:.1f} | "
            f"{processed / seconds:.2f} | {steady:.2f} |"
        )


if __name__ == "__main__":
    main()
