"""Gallery benchmark: enroll throughput, identify latency (p50/p99), recall@10, memory.

Synthetic unit embeddings (dimension 128): person centres drawn from a
32-dimensional latent space projected to 128 dimensions plus noise, each
reference a noisy copy of its person's centre, each query a fresh noisy copy
of a random person's centre. Recall@10 compares the persons returned by
`SignatureGallery.identify` with exact search (mean cosine similarity to every
person's references, computed by brute force).

Enroll throughput is measured twice: `enroll/s` uses one transaction per
person as `enroll` does (on the first persons only: each commit syncs the disk),
`bulk/s` loads the rest in large transactions as `import_` does. Embedding
time is not included (it depends on the extractor, not the gallery).

    python benchmarks/gallery.py                    # 1k, 10k, 100k, 1M references
    python benchmarks/gallery.py --sizes 1000 10000 --queries 100
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from signver_keras.gallery import SignatureGallery


def synthetic(persons: int, per_person: int, dim: int, rng) -> tuple[np.ndarray, np.ndarray]:
    projection = np.random.default_rng(1).standard_normal((32, dim)).astype(np.float32)
    centres = rng.standard_normal((persons, 32)).astype(np.float32) @ projection
    centres += (
        0.5
        * np.linalg.norm(projection, axis=0).mean()
        * rng.standard_normal(centres.shape).astype(np.float32)
    )
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    return centres, _noisy(np.repeat(centres, per_person, axis=0), rng)


def _noisy(vectors: np.ndarray, rng, scale: float = 0.35) -> np.ndarray:
    noisy = vectors + scale / np.sqrt(vectors.shape[1]) * rng.standard_normal(vectors.shape).astype(
        np.float32
    )
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def _insert(gallery: SignatureGallery, names: list[str], vectors: np.ndarray, per: int) -> None:
    store = gallery.store
    with store.write() as cur:
        for p, name in enumerate(names):
            pk = store.upsert_person(cur, name, None)
            for j in range(per):
                store.insert_reference(
                    cur,
                    pk,
                    {
                        "image_sha256": f"{name}/{j}",
                        "crop_png": None,
                        "embedding": vectors[p * per + j],
                        "extractor_id": None,
                        "extractor_preset": None,
                        "source_document": None,
                        "box": None,
                        "enrolled_at": time.time(),
                    },
                )
        store.bump_generation(cur, names)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(size: int, per_person: int, queries: int, dim: int, folder: Path) -> dict:
    rng = np.random.default_rng(size)
    persons = max(size // per_person, 1)
    centres, refs = synthetic(persons, per_person, dim, rng)
    names = [f"person{i:07d}" for i in range(persons)]
    path = folder / f"gallery_{size}.db"
    gallery = SignatureGallery(path)
    with gallery.store.write() as cur:
        gallery.store.set_meta(cur, "embedding_dim", str(dim))

    sampled = min(persons, 500)
    start = time.perf_counter()
    for i in range(sampled):
        _insert(gallery, names[i : i + 1], refs[i * per_person : (i + 1) * per_person], per_person)
    enroll_rate = sampled * per_person / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(sampled, persons, 20_000):
        chunk = names[i : i + 20_000]
        _insert(gallery, chunk, refs[i * per_person : (i + len(chunk)) * per_person], per_person)
    bulk_rate = (persons - sampled) * per_person / max(time.perf_counter() - start, 1e-9)

    before = rss_mb()
    start = time.perf_counter()
    gallery.index.refresh(gallery.store)
    build_s = time.perf_counter() - start

    targets = rng.integers(0, persons, queries)
    query_vectors = _noisy(centres[targets], rng)
    latencies, recalls = [], []
    means = gallery.index.means
    for q in query_vectors:
        t = time.perf_counter()
        found = gallery.identify(q, k=10)
        latencies.append(time.perf_counter() - t)
        exact = np.argpartition(-(means @ q), 10)[:10]
        truth = {gallery.index.person_ids[i] for i in exact}
        recalls.append(len(truth & {m.person_id for m in found}) / len(truth))
    result = {
        "references": size,
        "persons": persons,
        "search": "hnsw" if gallery.index.approximate else "exact",
        "enroll/s": enroll_rate,
        "bulk/s": bulk_rate,
        "index build s": build_s,
        "p50 ms": 1e3 * float(np.percentile(latencies, 50)),
        "p99 ms": 1e3 * float(np.percentile(latencies, 99)),
        "recall@10": float(np.mean(recalls)),
        "index MB": rss_mb() - before,
        "rss MB": rss_mb(),
        "db MB": path.stat().st_size / 2**20,
    }
    gallery.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--per-person", type=int, default=2, help="references per person")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--dim", type=int, default=128)
    args = parser.parse_args()
    columns = [
        "references",
        "persons",
        "search",
        "enroll/s",
        "bulk/s",
        "index build s",
        "p50 ms",
        "p99 ms",
        "recall@10",
        "index MB",
        "rss MB",
        "db MB",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    folder = Path(tempfile.mkdtemp(prefix="gallery-bench-"))
    try:
        for size in args.sizes:
            row = run(size, args.per_person, args.queries, args.dim, folder)
            cells = [f"{row[c]:.4g}" if isinstance(row[c], float) else str(row[c]) for c in columns]
            print("| " + " | ".join(cells) + " |", flush=True)
            for leftover in folder.iterdir():
                leftover.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"\n{args.per_person} references per person, dimension {args.dim}, "
        f"{args.queries} queries, k=10, {os.cpu_count()} CPUs."
    )


if __name__ == "__main__":
    main()
