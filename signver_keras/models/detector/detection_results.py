"""Working with `SignatureDetector.detect` results: re-thresholding and page tags.

Detections computed once at score threshold 0 can be re-thresholded without
running the model again: thresholding commutes with the decoder's NMS (a box
is only ever suppressed by a higher-scoring one), so
`filter_detections(detect(page, 0.0)[0], t)` equals `detect(page, t)[0]`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def filter_detections(detections: Mapping, score_threshold: float) -> dict:
    """The detections of one page whose score reaches `score_threshold` (a new dict)."""
    scores = np.asarray(detections["scores"], np.float32).reshape(-1)
    keep = scores >= score_threshold
    return {
        "boxes": np.asarray(detections["boxes"], np.float32).reshape(-1, 4)[keep],
        "scores": scores[keep],
        "labels": np.asarray(detections["labels"]).reshape(-1)[keep],
        "names": [name for name, k in zip(detections["names"], keep, strict=True) if k],
    }


def page_tags(detections: Mapping) -> dict:
    """What a page carries: signed, number of signatures and initials, dated, redacted.

    Example:
    ```python
    page_tags(detector.detect("contract.png")[0])
    # {"signed": True, "signatures": 2, "initials": 1, "dated": True, "redacted": False}
    ```
    """
    names = list(detections["names"])
    signatures, initials = names.count("signature"), names.count("initials")
    return {
        "signed": signatures + initials > 0,
        "signatures": signatures,
        "initials": initials,
        "dated": "date" in names,
        "redacted": "redaction" in names,
    }
