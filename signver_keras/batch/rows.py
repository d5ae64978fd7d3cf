"""One Parquet row per detection; one row for a page without detections or unreadable."""

from __future__ import annotations

from typing import Any

import numpy as np

#: Columns in order. `detection` is the index of the box on its page; a page with
#: no detections has one row with `detection` null, and an unreadable page one
#: row with `error` set, so every processed page is in the output (resume relies on it).
COLUMNS = (
    "page",
    "page_width",
    "page_height",
    "detection",
    "box",
    "class",
    "score",
    "embedding",
    "error",
)


def _pyarrow():
    try:
        import pyarrow
    except ImportError as error:  # the batch extra is optional
        raise ImportError(
            "Batch inference writes Parquet and needs pyarrow: pip install 'signver-keras[batch]'."
        ) from error
    return pyarrow


def result_schema():
    """The Parquet schema of a batch result (a `pyarrow.Schema`)."""
    pa = _pyarrow()
    return pa.schema(
        [
            ("page", pa.string()),
            ("page_width", pa.int32()),
            ("page_height", pa.int32()),
            ("detection", pa.int32()),
            ("box", pa.list_(pa.float32())),  # xyxy in page pixels
            ("class", pa.string()),
            ("score", pa.float32()),
            ("embedding", pa.list_(pa.float32())),
            ("error", pa.string()),
        ]
    )


def _empty_row(page: str) -> dict[str, Any]:
    return dict.fromkeys(COLUMNS) | {"page": page}


def page_rows(verifier, page: str, score_threshold: float | None = None) -> list[dict[str, Any]]:
    """Runs `verifier.find_signatures` on one page; never raises for a bad page."""
    from signver_keras.images import load_image

    try:
        gray = load_image(page)
        found = verifier.find_signatures(gray, score_threshold=score_threshold)
    except Exception as error:  # a bad page must never kill the job
        return [_empty_row(page) | {"error": f"{type(error).__name__}: {error}"}]
    height, width = gray.shape[:2]
    base = _empty_row(page) | {"page_width": int(width), "page_height": int(height)}
    if len(found) == 0:
        return [base]
    embeddings = found.embeddings if found.embeddings is not None else [None] * len(found)
    return [
        base
        | {
            "detection": index,
            "box": np.asarray(box, np.float32).tolist(),
            "class": name,
            "score": float(score),
            "embedding": None if embedding is None else np.asarray(embedding, np.float32).tolist(),
        }
        for index, (box, score, name, embedding) in enumerate(
            zip(found.boxes, found.scores, found.names, embeddings, strict=True)
        )
    ]


def rows_to_table(rows: list[dict[str, Any]]):
    pa = _pyarrow()
    schema = result_schema()
    return pa.Table.from_pylist(rows, schema=schema)


def sort_table(table):
    """Sorts by page, then detection (nulls first): the same order from every engine."""
    pc = _pyarrow().compute
    detection = pc.fill_null(table["detection"], -1)
    order = pc.sort_indices(
        _pyarrow().table({"page": table["page"], "detection": detection}),
        sort_keys=[("page", "ascending"), ("detection", "ascending")],
    )
    return table.take(order)
