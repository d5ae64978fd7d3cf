"""Atomic writes: a file or folder appears complete at its final path, or not at all.

Everything is written under a temporary name beside the target (same folder, so
the same file system) and renamed into place in one step; a crash or an error
mid-write leaves any earlier version intact and no half-written file behind.

Example:
```python
from PIL import Image
from signver_keras.utils.atomic import atomic_path, atomic_write_text

with atomic_path("overlay.png") as partial:
    Image.new("L", (8, 8)).save(partial)  # the suffix is kept: PIL still sees .png
atomic_write_text("report.json", "{}")
```
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside `target`; on success it replaces `target` atomically.

    The temporary name ends with all of `target`'s suffixes, so writers that
    check or choose a format by the file name (PIL, `np.save`, Keras'
    `.weights.h5` and `.keras`) write the same format. On an exception the
    temporary file is removed and the exception propagates.
    """
    target = Path(target)
    suffixes = "".join(target.suffixes)
    stem = target.name[: len(target.name) - len(suffixes)]
    partial = target.with_name(f".{stem}.{uuid.uuid4().hex[:8]}.partial{suffixes}")
    try:
        yield partial
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> None:
    """Writes `data` to `target` atomically."""
    with atomic_path(target) as partial:
        partial.write_bytes(data)


def atomic_write_text(target: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Writes `text` to `target` atomically."""
    with atomic_path(target) as partial:
        partial.write_text(text, encoding=encoding)


def atomic_folder(target: str | os.PathLike, write: Callable[[Path], None]) -> None:
    """Fills a sibling temporary folder with `write(folder)`, then swaps it in for `target`.

    A crash or an error mid-write leaves any earlier folder at `target` intact
    (used for presets, whose files must all come from the same save).
    """
    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        write(staging)
        if target.exists():
            backup = target.with_name(f".{target.name}.old")
            shutil.rmtree(backup, ignore_errors=True)
            target.rename(backup)
            staging.rename(target)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
