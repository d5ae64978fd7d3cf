"""Pages with boxes for detector training and evaluation: `LAYOUT:PATH` specs and the page split."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from signver_keras.data.collections.detection_formats import read_coco, read_yolo, read_yolo_names

#: Synthetic evaluation pages use seeds from here on; training recipes stay below it.
SYNTHETIC_EVAL_SEED = 10_000_000
#: Fraction and seed of the fixed page hold-out (validation pages are never trained on).
HOLDOUT_FRACTION = 0.2
HOLDOUT_SEED = 0


@dataclass
class DetectionPage:
    """One page and its ground truth in page pixels.

    Args:
        image: a path, or a uint8 (H, W) grayscale or (H, W, 3) RGB array.
        boxes: float32 `(N, 4)` xyxy in page pixels.
        labels: int32 `(N,)` indices into the detector's class names.
        name: str. Identifies the page in reports.
    """

    image: str | np.ndarray
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    labels: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int32))
    name: str = ""


def is_holdout(name: str, fraction: float = HOLDOUT_FRACTION, seed: int = HOLDOUT_SEED) -> bool:
    """Whether a page (by file name) belongs to the fixed validation hold-out.

    Depends only on the file name and the seed, so adding pages never moves one.
    """
    digest = hashlib.sha256(f"{seed}:{Path(name).name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split_pages(
    pages: Sequence[DetectionPage],
    fraction: float = HOLDOUT_FRACTION,
    seed: int = HOLDOUT_SEED,
) -> tuple[list[DetectionPage], list[DetectionPage]]:
    """`(train, holdout)` parts of pages, by a hash of each page's file name."""
    holdout = [is_holdout(page.name, fraction, seed) for page in pages]
    return (
        [p for p, h in zip(pages, holdout, strict=True) if not h],
        [p for p, h in zip(pages, holdout, strict=True) if h],
    )


def _map_labels(
    labels: np.ndarray, source_names: Sequence[str] | None, class_names: Sequence[str]
) -> np.ndarray:
    """Dataset class ids -> detector class ids by name; -1 for classes the detector lacks."""
    if source_names is None:
        return np.where(labels < len(class_names), labels, -1).astype(np.int32)
    lookup = np.array([class_names.index(n) if n in class_names else -1 for n in source_names])
    return lookup[labels].astype(np.int32) if len(labels) else labels.astype(np.int32)


#: Synthetic evaluation sets: `LAYOUT:N` pages from seeds `SYNTHETIC_EVAL_SEED + i`.
SYNTHETIC_LAYOUTS = (
    "synthetic",
    "synthetic-photo",
    "synthetic-300dpi",
    "synthetic-cheque",
    "synthetic-form",
    "synthetic-signing",
)
#: (height, width) of an A4 page at 300 dpi.
A4_300DPI = (3507, 2480)
#: (height, width) of a phone photo framing one cheque.
CHEQUE_PHOTO = (700, 1600)


def synthetic_page(layout: str, index: int):
    """Page `index` of a synthetic evaluation set (`SYNTHETIC_LAYOUTS`): a `SyntheticPage`.

    - `synthetic`: scanned business pages (about a fifth photographed);
    - `synthetic-photo`: the same pages, all photographed with a phone (RGB);
    - `synthetic-300dpi`: A4 scans at 300 dpi (2480x3507) signed in pencil, faintly,
      with a fine liner or in grey ink;
    - `synthetic-cheque`: phone photos of cheques filled in by hand (payee, amount in
      digits and words, memo are unlabelled handwriting);
    - `synthetic-form`: forms filled in by hand, alternately scanned and photographed;
    - `synthetic-signing`: agreements' signing pages, two to five large signatures
      stacked over their captions, a third of them photographed.
    """
    from signver_keras.data.synthetic.handwriting import INK_STYLES
    from signver_keras.data.synthetic.synthetic_documents import SIGNING_LAYOUT, generate_page

    seed = SYNTHETIC_EVAL_SEED + index
    if layout == "synthetic":
        return generate_page(seed)
    if layout == "synthetic-photo":
        return generate_page(seed, photographed=True)
    if layout == "synthetic-300dpi":
        return generate_page(seed, size=A4_300DPI, photographed=False, ink_styles=INK_STYLES)
    if layout == "synthetic-cheque":
        return generate_page(seed, size=CHEQUE_PHOTO, layout="filled_cheque", photographed=True)
    if layout == "synthetic-form":
        return generate_page(seed, layout="filled_form", photographed=index % 2 == 1)
    if layout == "synthetic-signing":
        return generate_page(seed, layout=SIGNING_LAYOUT, photographed=index % 3 == 2)
    raise ValueError(f"layout should be one of {SYNTHETIC_LAYOUTS}; received {layout!r}.")


def split_page_scale(spec: str) -> tuple[str, float]:
    """`("LAYOUT:PATH", scale)` of a spec that may end in `@SCALE` (1.0 without it)."""
    base, at, suffix = spec.rpartition("@")
    if not at:
        return spec, 1.0
    try:
        scale = float(suffix)
    except ValueError:
        return spec, 1.0  # an "@" inside a path
    if not 0.05 <= scale <= 8.0:
        raise ValueError(
            f"A page scale (@SCALE) should be between 0.05 and 8; received {suffix!r} in '{spec}'."
        )
    return base, scale


def rescale_pages(pages: Sequence[DetectionPage], scale: float) -> list[DetectionPage]:
    """Pages resampled by `scale` (0.5: a 300-dpi page as scanned at 150 dpi), boxes with them.

    Shrinking uses a Lanczos filter (what a lower-resolution scan integrates), enlarging
    bicubic interpolation. Pages become grayscale arrays, as the detector reads them.
    """
    from PIL import Image

    from signver_keras.images import load_image

    rescaled = []
    for page in pages:
        gray = load_image(page.image)
        height, width = gray.shape
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = Image.fromarray(gray).resize(size, Image.LANCZOS if scale < 1 else Image.BICUBIC)
        factors = np.array([size[0] / width, size[1] / height] * 2, np.float32)
        boxes = page.boxes * factors
        rescaled.append(DetectionPage(np.asarray(image), boxes, page.labels, page.name))
    return rescaled


def load_detection_data(spec: str, class_names: Sequence[str]) -> list[DetectionPage]:
    """Loads pages from a `LAYOUT:PATH` string, optionally ending in `@SCALE`.

    Layouts: `yolo:FOLDER` (`images/` + `labels/`; class names from
    `data.yaml` beside them or one level up, else the detector's order),
    `coco:FILE` (classes matched by name), and the synthetic sets
    `synthetic:N`, `synthetic-photo:N`, `synthetic-300dpi:N`,
    `synthetic-cheque:N` and `synthetic-form:N` (N generated pages from
    seeds `SYNTHETIC_EVAL_SEED + i`, which training never uses; see
    `synthetic_page`). Boxes of classes the detector does not know are dropped.
    `@SCALE` resamples every page and its boxes (`rescale_pages`): the same pages
    at another resolution, e.g. `synthetic-300dpi:40@0.25` for 75-dpi scans.
    """
    spec, scale = split_page_scale(spec)
    if scale != 1.0:
        return rescale_pages(load_detection_data(spec, class_names), scale)
    layout, _, path = spec.partition(":")
    class_names = list(class_names)
    if layout in SYNTHETIC_LAYOUTS:
        from signver_keras.data.synthetic.synthetic_documents import CLASS_NAMES

        if not path.isdigit() or int(path) < 1:
            raise ValueError(f"{layout}:N needs a positive page count; received '{spec}'.")
        pages = []
        for index in range(int(path)):
            page = synthetic_page(layout, index)
            labels = _map_labels(page.labels, CLASS_NAMES, class_names)
            pages.append(
                DetectionPage(
                    page.image, page.boxes[labels >= 0], labels[labels >= 0], f"synthetic_{index}"
                )
            )
        return pages
    if layout == "yolo":
        root = Path(path)
        names = None
        for candidate in (root / "data.yaml", root.parent / "data.yaml"):
            if candidate.is_file():
                names = read_yolo_names(candidate)
                break
        records = read_yolo(root)
    elif layout == "coco":
        records, names = read_coco(path)
    else:
        synthetic = ", ".join(f"{name}:N" for name in SYNTHETIC_LAYOUTS)
        raise ValueError(
            f"Unknown detection data layout '{layout}' in '{spec}'; expected yolo:FOLDER, "
            f"coco:FILE or one of {synthetic}."
        )
    pages = []
    for record in records:
        labels = _map_labels(record.labels, names, class_names)
        keep = labels >= 0
        pages.append(
            DetectionPage(
                record.image_path, record.boxes[keep], labels[keep], Path(record.image_path).name
            )
        )
    return pages
