"""Turns the command line's INPUT... (folders, globs, manifests, files) into a page list."""

from __future__ import annotations

import csv
import glob
import os
from collections.abc import Sequence
from pathlib import Path

from signver_keras.errors import ImageNotFoundError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"}
MANIFEST_SUFFIXES = {".txt", ".csv", ".lst"}


def _read_manifest(path: Path) -> list[str]:
    # A .csv names its pages in a `path` (or `page`) column; other manifests hold
    # one path per line. Relative paths are relative to the manifest's folder.
    if path.suffix.lower() == ".csv":
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            column = next((c for c in ("path", "page") if c in (reader.fieldnames or [])), None)
            if column is None:
                raise ValueError(
                    f"Manifest {path} needs a 'path' or 'page' column; found {reader.fieldnames}."
                )
            entries = [row[column] for row in reader if row[column]]
    else:
        lines = path.read_text().splitlines()
        entries = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return [str(path.parent / entry) for entry in entries]


def collect_pages(inputs: Sequence[str | os.PathLike]) -> list[str]:
    """Expands folders (recursively, image files only), glob patterns and manifests.

    Args:
        inputs: folders, glob patterns (`"scans/*.png"`), manifests (`.txt`/`.lst`
            one path per line, `.csv` with a `path` column) or image files.

    Returns:
        Absolute page paths, sorted and without duplicates. A manifest may name
        files that turn out unreadable: they become error rows, not failures.
    """
    pages: set[str] = set()
    for item in map(str, inputs):
        path = Path(item)
        if path.is_dir():
            pages.update(
                str(p)
                for p in path.rglob("*")
                if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
            )
        elif path.is_file() and path.suffix.lower() in MANIFEST_SUFFIXES:
            pages.update(_read_manifest(path))
        elif path.is_file():
            pages.add(item)
        elif glob.has_magic(item):
            pages.update(p for p in glob.glob(item, recursive=True) if Path(p).is_file())
        else:
            raise ImageNotFoundError(f"No such file, folder or manifest: {item}")
    return sorted(os.path.abspath(page) for page in pages)
