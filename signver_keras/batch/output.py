"""Part files and the merged Parquet output: atomic writes, resume, merge."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from signver_keras.batch.rows import _pyarrow, result_schema, rows_to_table, sort_table
from signver_keras.utils.atomic import atomic_path


def parts_dir(out: str | os.PathLike) -> Path:
    """Where part files of `out` live until the merge: `<out>.parts/` beside it."""
    out = Path(out)
    return out.with_name(out.name + ".parts")


def _write_atomic(table, target: Path) -> None:
    import pyarrow.parquet as pq

    with atomic_path(target) as partial:
        pq.write_table(table, partial)


def write_part(rows: list[dict], out: str | os.PathLike, tag: str) -> Path:
    """Writes rows to a new part file (temporary name, then renamed)."""
    folder = parts_dir(out)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"part-{tag}-{uuid.uuid4().hex[:12]}.parquet"
    _write_atomic(rows_to_table(rows), target)
    return target


def _read(path: Path):
    import pyarrow.parquet as pq

    return pq.read_table(path, schema=result_schema())


def _existing(out: Path) -> list[Path]:
    files = [out] if out.exists() else []
    folder = parts_dir(out)
    if folder.is_dir():
        files += sorted(folder.glob("part-*.parquet"))
    return files


def done_pages(out: str | os.PathLike) -> set[str]:
    """Pages already in the output or in part files left by an interrupted run."""
    import pyarrow.parquet as pq

    pages: set[str] = set()
    for path in _existing(Path(out)):
        pages.update(pq.read_table(path, columns=["page"])["page"].to_pylist())
    return pages


def merge(out: str | os.PathLike) -> int:
    """Merges the output and every part file into `out` (atomically); returns the row count.

    Rows are sorted by page and detection, so the file does not depend on the
    number of workers or the engine. Part files are deleted only after the
    merged file is in place.
    """
    pa = _pyarrow()
    out = Path(out)
    files = _existing(out)
    tables = [_read(path) for path in files] or [rows_to_table([])]
    table = sort_table(pa.concat_tables(tables))
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(table, out)
    for path in files:
        if path != out:
            path.unlink()
    folder = parts_dir(out)
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return table.num_rows
