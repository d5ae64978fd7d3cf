"""How every `signver-keras` command prints: a human table, or JSON with `--json`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any


def progress(items: Sequence, desc: str) -> Iterable:
    """`items` with a progress bar on stderr (none for a single item)."""
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="file", disable=len(items) < 2, file=sys.stderr)


def table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """`rows` as a left-aligned text table of `columns`, with a header line."""
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [
        max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)
    ]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))  # noqa: E731
    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])


def emit(args: argparse.Namespace, payload: Any, human: Callable[[], str]) -> None:
    """Prints `payload` as JSON when `args.json`, else the text `human()` returns."""
    print(json.dumps(payload, indent=2) if args.json else human())
