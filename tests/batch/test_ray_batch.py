"""The Ray Data job on a local 2-worker cluster gives the same rows as `signver-keras batch`."""

from __future__ import annotations

import pytest

pytest.importorskip("ray", reason="Ray is not installed (pip install 'signver-keras[ray]')")

import pyarrow.parquet as pq  # noqa: E402

from signver_keras.batch import run_batch  # noqa: E402
from signver_keras.batch.ray_runner import run_batch_ray  # noqa: E402


@pytest.mark.slow
# ray.init starts its daemons with fork+exec; harmless for the JAX threads of this process.
@pytest.mark.filterwarnings("ignore:os.fork")
def test_ray_two_workers_match_local_batch(tiny_pipeline, sample_pages, tmp_path):
    local = tmp_path / "local.parquet"
    run_batch([sample_pages], local, preset=tiny_pipeline, workers=2, chunk_size=2)
    distributed = tmp_path / "ray.parquet"
    summary = run_batch_ray(
        [sample_pages], distributed, preset=tiny_pipeline, workers=2, chunk_size=2
    )
    assert (summary.processed, summary.errors) == (7, 1)
    assert pq.read_table(distributed).equals(pq.read_table(local))
    # Resumed: nothing left to do, no cluster started.
    again = run_batch_ray([sample_pages], distributed, preset=tiny_pipeline, workers=2)
    assert (again.skipped, again.processed) == (7, 0)
