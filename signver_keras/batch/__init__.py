"""Batch inference over many pages: `find_signatures` on every page into one Parquet file.

Two engines produce the same rows:

- `run_batch` (`signver-keras batch`): N worker processes on one machine.
- `run_batch_ray`: the same job as a Ray Data pipeline (local or on a cluster).

Both skip pages already in the output, write part files atomically and merge
them into `--out` at the end, and record an unreadable page as a row with an
`error` instead of stopping. Needs the `batch` extra (`pip install
signver-keras[batch]`; `[ray]` for the Ray engine).
"""

from signver_keras.batch.local_runner import BatchSummary, run_batch
from signver_keras.batch.pages import collect_pages
from signver_keras.batch.rows import page_rows, result_schema

__all__ = ["BatchSummary", "collect_pages", "page_rows", "result_schema", "run_batch"]
