"""`signver-keras batch`: page inference in N worker processes on one machine."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from signver_keras.batch import output
from signver_keras.batch.pages import collect_pages
from signver_keras.batch.rows import page_rows

_VERIFIER = None  # one pipeline per worker process, loaded by `_init_worker`
_THRESHOLD = None


@dataclass
class BatchSummary:
    """What a batch run did."""

    pages: int  # pages found in the inputs
    skipped: int  # already in the output (resumed)
    processed: int  # run in this call
    errors: int  # processed pages that could not be read or run
    rows: int  # rows in the merged output
    seconds: float
    out: str

    @property
    def pages_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds else 0.0


class BatchJob:
    """The bookkeeping every engine shares: what is left to do, and the summary at the end."""

    def __init__(
        self,
        inputs: Sequence[str | os.PathLike],
        out: str | os.PathLike,
        workers: int,
        chunk_size: int,
    ):
        if workers < 1 or chunk_size < 1:
            raise ValueError(
                f"workers and chunk_size must be positive; received {workers=}, {chunk_size=}."
            )
        self.start = time.monotonic()
        self.out = str(out)
        self.pages = collect_pages(inputs)
        done = output.done_pages(self.out)
        self.todo = [page for page in self.pages if page not in done]

    def finish(self, errors: int) -> BatchSummary:
        """Merges the part files and summarises the run."""
        return BatchSummary(
            pages=len(self.pages),
            skipped=len(self.pages) - len(self.todo),
            processed=len(self.todo),
            errors=errors,
            rows=output.merge(self.out),
            seconds=time.monotonic() - self.start,
            out=self.out,
        )


def limit_threads(threads: int) -> None:
    """Caps the math threads of this process, so N workers do not oversubscribe the cores."""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if threads == 1:
        # JAX reads XLA_FLAGS when its CPU client starts (first computation), not at import.
        flags = os.environ.get("XLA_FLAGS", "")
        os.environ["XLA_FLAGS"] = (
            f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1".strip()
        )
    import keras

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        elif backend == "torch":
            import torch

            torch.set_num_threads(threads)
    except RuntimeError:  # the runtime already started; keep its setting
        pass


def load_pipeline(preset: str):
    import signver_keras as sv

    return sv.SignatureVerifier.from_preset(preset)


def _init_worker(preset: str, threshold: float | None, threads: int) -> None:
    global _VERIFIER, _THRESHOLD
    limit_threads(threads)
    _VERIFIER = load_pipeline(preset)
    _THRESHOLD = threshold


def _run_chunk(pages: list[str], out: str) -> tuple[int, int]:
    rows = [row for page in pages for row in page_rows(_VERIFIER, page, _THRESHOLD)]
    output.write_part(rows, out, tag=str(os.getpid()))
    errors = sum(row["error"] is not None for row in rows)
    return len(pages), errors


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_batch(
    inputs: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    preset: str = "signver_base",
    workers: int = 1,
    chunk_size: int = 8,
    score_threshold: float | None = None,
    threads_per_worker: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> BatchSummary:
    """Runs `find_signatures` on every page and writes one Parquet file of detections.

    Args:
        inputs: folders, globs, manifests or image files (see `collect_pages`).
        out: the Parquet file to write. Pages already in it (or in part files
            of an interrupted run) are skipped.
        preset: a pipeline preset with a detector (bundled name, folder, `hf://`).
        workers: int. Worker processes; each loads the pipeline once. With 1 the
            pages run in this process.
        chunk_size: int. Pages per task; each finished task is one part file,
            so an interrupted run loses at most `workers * chunk_size` pages of work.
        score_threshold: float or None. None keeps the detector's own threshold.
        threads_per_worker: int or None. Math threads per worker; None shares
            the machine's cores between the workers.
        progress: called with the number of pages each time a task finishes.

    Returns:
        A `BatchSummary`.
    """
    job = BatchJob(inputs, out, workers, chunk_size)
    out, todo = job.out, job.todo
    threads = threads_per_worker or max(1, (os.cpu_count() or 1) // workers)
    errors = 0
    if todo and workers == 1:
        # One worker: run in this process (no start-up cost), the pipeline loaded once.
        _init_worker(preset, score_threshold, threads)
        for chunk in _chunks(todo, chunk_size):
            count, chunk_errors = _run_chunk(chunk, out)
            errors += chunk_errors
            if progress is not None:
                progress(count)
    elif todo:
        # spawn, not fork: the parent may already hold JAX/TF threads.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=min(workers, len(todo)),
            mp_context=context,
            initializer=_init_worker,
            initargs=(preset, score_threshold, threads),
        ) as pool:
            futures = [pool.submit(_run_chunk, chunk, out) for chunk in _chunks(todo, chunk_size)]
            for future in as_completed(futures):
                count, chunk_errors = future.result()
                errors += chunk_errors
                if progress is not None:
                    progress(count)
    return job.finish(errors)
