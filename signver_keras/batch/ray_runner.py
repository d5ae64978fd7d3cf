"""The batch job on Ray Data: the same rows as `run_batch`, on a local or remote Ray cluster.

Each Ray actor loads the pipeline once (like a `run_batch` worker) and turns a
block of page paths into rows; the driver writes each finished block as a part
file and merges them, so resume and the output file work exactly as locally.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from signver_keras.batch import output
from signver_keras.batch.local_runner import (
    BatchJob,
    BatchSummary,
    limit_threads,
    load_pipeline,
)
from signver_keras.batch.rows import page_rows, rows_to_table


def _ray():
    try:
        import ray
    except ImportError as error:
        raise ImportError(
            "The Ray engine needs Ray Data: pip install 'signver-keras[ray]'."
        ) from error
    return ray


class _PagesToRows:
    """Ray Data callable class: one pipeline per actor, a block of pages in, rows out."""

    def __init__(self, preset: str, score_threshold: float | None, threads: int):
        limit_threads(threads)
        self.verifier = load_pipeline(preset)
        self.score_threshold = score_threshold

    def __call__(self, batch: dict):
        rows = [
            row
            for page in batch["page"]
            for row in page_rows(self.verifier, str(page), self.score_threshold)
        ]
        return rows_to_table(rows)  # typed here, so every block has the output schema


def run_batch_ray(
    inputs: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    preset: str = "signver_base",
    workers: int = 2,
    chunk_size: int = 8,
    score_threshold: float | None = None,
    threads_per_worker: int = 1,
    address: str | None = None,
    progress: Callable[[int], object] | None = None,
) -> BatchSummary:
    """Runs the batch job on Ray Data with `workers` actors.

    Args:
        inputs, out, preset, chunk_size, score_threshold: as in `run_batch`.
        workers: int. Ray actors, each loading the pipeline once (one CPU each).
        threads_per_worker: int. Math threads per actor.
        address: a Ray cluster address (`"auto"`, `"ray://host:10001"`), or None
            to start a local cluster with `workers` CPUs for this call.

    Returns:
        A `BatchSummary`; the output file has the same rows as `run_batch` gives.
    """
    ray = _ray()
    job = BatchJob(inputs, out, workers, chunk_size)
    out, todo = job.out, job.todo
    errors = 0
    if todo:
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(
                address=address,
                num_cpus=None if address else workers,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        try:
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False
            dataset = ray.data.from_items(
                [{"page": page} for page in todo], override_num_blocks=len(todo) // chunk_size + 1
            ).map_batches(
                _PagesToRows,
                fn_constructor_args=(preset, score_threshold, threads_per_worker),
                batch_size=chunk_size,
                batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=workers),
                num_cpus=1,
            )
            for table in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
                rows = table.to_pylist()
                output.write_part(rows, out, tag="ray")
                errors += sum(row["error"] is not None for row in rows)
                if progress is not None:
                    progress(len(set(table["page"].to_pylist())))
        finally:
            if started_here:
                ray.shutdown()
    return job.finish(errors)
