"""Detector training pages: letterboxed and cached on disk, augmented, batched with targets.

Pages come from the synthetic generators (one `kind_page` per kind) or from
labelled real pages, letterboxed to the network input by the detector
preprocessor and stored as uint8 ink (`PageSet`) under a key of everything
that shapes them, so a later run with the same data reuses them.

Example:
```python
from signver_keras.data.training.detector_pages import DetectorBatches, synthetic_pages

pages = synthetic_pages(
    list(range(100)), detector.preprocessor, page_size=(1100, 850), pool=[], pool_fraction=0.0,
    workers=2, cache_dir=cache_dir, tag="photo", kind="photo",
)
batches = DetectorBatches([pages], [1.0], detector.label_encoder(), 8, augment_cfg, seed=0)
images, targets = batches(0)  # batch 0 of the run: (8, S, S, 1) ink, encoded targets
```
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from signver_keras.data.collections.detection_data import A4_300DPI, CHEQUE_PHOTO, DetectionPage
from signver_keras.data.collections.verification import read_csv, split_writers
from signver_keras.data.paths import data_root
from signver_keras.data.synthetic.handwriting import INK_STYLES
from signver_keras.data.synthetic.synthetic_documents import (
    CLASS_NAMES,
    SIGNING_LAYOUT,
    SyntheticPage,
    generate_page,
)
from signver_keras.images import load_image
from signver_keras.models.detector.detector_inference import MAX_MIN_FACTOR, MIN_POOL_NOISE
from signver_keras.models.detector.signature_detector_label_encoder import (
    SignatureDetectorLabelEncoder,
)
from signver_keras.models.detector.signature_detector_preprocessor import (
    SignatureDetectorPreprocessor,
)
from signver_keras.utils.atomic import atomic_path, atomic_write_text

#: Kinds of synthetic training pages (`kind_page`).
SYNTHETIC_KINDS = ("synthetic", "photo", "filled", "hires", "signing")


# --- cached, letterboxed pages -------------------------------------------------------------------


class PageSet:
    """Letterboxed pages as uint8 ink (N, S, S), boxes in network pixels, per-page class masks."""

    def __init__(self, images: np.ndarray, boxes: list, labels: list, masks: np.ndarray):
        self.images, self.boxes, self.labels, self.masks = images, boxes, labels, masks

    def __len__(self) -> int:
        return len(self.images)

    def save(self, path: Path) -> None:
        """Writes `path.npy` (images) and `path.json` (boxes, labels, masks)."""
        with atomic_path(path.with_suffix(".npy")) as partial:
            np.save(partial, self.images)
        meta = {
            "boxes": [b.tolist() for b in self.boxes],
            "labels": [lab.tolist() for lab in self.labels],
            "masks": self.masks.tolist(),
        }
        atomic_write_text(path.with_suffix(".json"), json.dumps(meta))

    @classmethod
    def load(cls, path: Path) -> PageSet | None:
        """The pages saved at `path` (images memory-mapped), or None if not saved."""
        if not (path.with_suffix(".npy").exists() and path.with_suffix(".json").exists()):
            return None
        meta = json.loads(path.with_suffix(".json").read_text())
        return cls(
            np.load(path.with_suffix(".npy"), mmap_mode="r"),
            [np.asarray(b, np.float32).reshape(-1, 4) for b in meta["boxes"]],
            [np.asarray(lab, np.int32) for lab in meta["labels"]],
            np.asarray(meta["masks"], np.float32),
        )


def _letterboxed(gray: np.ndarray, boxes: np.ndarray, preprocessor: SignatureDetectorPreprocessor):
    ink, transform = preprocessor.letterbox_page(gray)
    net_boxes = SignatureDetectorPreprocessor.letterbox_boxes(boxes, transform)
    return np.round(ink * 255).astype(np.uint8), net_boxes


_POOL: list[np.ndarray] = []


def _init_worker(pool: list[np.ndarray]) -> None:
    global _POOL
    _POOL = pool
    os.environ["OMP_NUM_THREADS"] = "1"


def kind_page(
    kind: str, seed: int, page_size: tuple[int, int], pool: list[np.ndarray]
) -> SyntheticPage:
    """One synthetic training page of a kind (`SYNTHETIC_KINDS`)."""
    if kind == "synthetic":
        return generate_page(seed, page_size, signature_pool=pool)
    if kind == "photo":
        return generate_page(seed, page_size, signature_pool=pool, photographed=True)
    if kind == "filled":  # cheque photos, cheques and forms, filled in by hand
        if seed % 4 == 0:
            return generate_page(seed, CHEQUE_PHOTO, pool, "filled_cheque", photographed=True)
        layout = "filled_cheque" if seed % 4 == 1 else "filled_form"
        return generate_page(seed, page_size, pool, layout, photographed=seed % 4 == 3)
    if kind == "hires":
        return generate_page(seed, A4_300DPI, photographed=False, ink_styles=INK_STYLES)
    if kind == "signing":  # agreements' signing pages, a third of them photographed
        return generate_page(seed, page_size, pool, SIGNING_LAYOUT, photographed=seed % 3 == 2)
    raise ValueError(f"kind should be one of {SYNTHETIC_KINDS}; received {kind!r}.")


def _synthetic_page(job: tuple):
    seed, preprocessor_config, page_size, use_pool, kind = job
    preprocessor = SignatureDetectorPreprocessor.from_config(preprocessor_config)
    page = kind_page(kind, seed, page_size, _POOL if use_pool else [])
    # Photographed pages are RGB: gray them as `detect` does (`load_image`).
    image, boxes = _letterboxed(load_image(page.image), page.boxes, preprocessor)
    return image, boxes, page.labels


def synthetic_pages(
    seeds: list[int],
    preprocessor: SignatureDetectorPreprocessor,
    page_size: tuple[int, int],
    pool: list[np.ndarray],
    pool_fraction: float,
    workers: int,
    cache_dir: Path,
    tag: str,
    kind: str = "synthetic",
) -> PageSet:
    """Generates (or loads from `cache_dir`) letterboxed synthetic pages of one kind."""
    pool_key = hashlib.sha256(b"".join(p.tobytes()[:4096] for p in pool)).hexdigest()[:8]
    inputs = _input_key(preprocessor)
    key = hashlib.sha256(
        json.dumps([seeds, inputs, page_size, pool_key, len(pool), pool_fraction, kind]).encode()
    ).hexdigest()[:16]
    path = Path(cache_dir) / f"detector_{tag}_{key}"
    cached = PageSet.load(path)
    if cached is not None:
        print(f"{tag}: {len(cached)} synthetic pages from {path}.npy")
        return cached
    # The pool is used on a fixed, seed-defined share of pages; the rest get synthetic signatures.
    config = preprocessor.get_config()
    jobs = [
        (
            seed,
            config,
            tuple(page_size),
            bool(pool) and (seed * 2654435761) % 1000 < 1000 * pool_fraction,
            kind,
        )
        for seed in seeds
    ]
    start = time.monotonic()
    results = []
    context = multiprocessing.get_context("fork")
    with context.Pool(max(1, min(2, workers)), _init_worker, (pool,)) as processes:
        for index, result in enumerate(processes.imap(_synthetic_page, jobs, chunksize=8)):
            results.append(result)
            if (index + 1) % 200 == 0 or index + 1 == len(jobs):
                rate = (index + 1) / (time.monotonic() - start)
                print(f"{tag}: generated {index + 1}/{len(jobs)} pages ({rate:.1f} pages/s)")
                sys.stdout.flush()
    size = preprocessor.letterbox_size
    pages = PageSet(
        np.stack([r[0] for r in results]) if results else np.zeros((0, size, size), np.uint8),
        [r[1] for r in results],
        [r[2] for r in results],
        np.ones((len(results), len(CLASS_NAMES)), np.float32),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pages.save(path)
    return PageSet.load(path)


def _input_key(preprocessor: SignatureDetectorPreprocessor) -> list:
    # Caches made before the preprocessing options keep their keys (bilinear, global).
    options = [preprocessor.downscale, preprocessor.normalize]
    size = preprocessor.letterbox_size
    if preprocessor.downscale == "min":  # pages pooled before the cap or the smoothing differ
        options += [MAX_MIN_FACTOR, MIN_POOL_NOISE]
    return size if options == ["bilinear", "global"] else [size, *options]


def real_pages(
    pages: list[DetectionPage],
    preprocessor: SignatureDetectorPreprocessor,
    class_mask: list[float],
    cache_dir: Path,
    tag: str,
) -> PageSet:
    """Letterboxes real pages (cached in `cache_dir`); `class_mask` says which are labelled."""
    key = hashlib.sha256(
        json.dumps([[str(p.image) for p in pages], _input_key(preprocessor), class_mask]).encode()
    ).hexdigest()[:16]
    path = Path(cache_dir) / f"detector_{tag}_{key}"
    cached = PageSet.load(path)
    if cached is not None:
        return cached
    images, boxes = [], []
    for page in pages:
        image, net_boxes = _letterboxed(load_image(page.image), page.boxes, preprocessor)
        images.append(image)
        boxes.append(net_boxes)
    size = preprocessor.letterbox_size
    result = PageSet(
        np.stack(images) if images else np.zeros((0, size, size), np.uint8),
        boxes,
        [p.labels for p in pages],
        np.tile(np.asarray(class_mask, np.float32), (len(pages), 1)),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    result.save(path)
    return PageSet.load(path)


def signature_pool(name: str | None, split: Sequence[float], seed: int) -> list[np.ndarray]:
    """Genuine signatures of the *training* writers of collection `name` (never its test writers).

    Empty when `name` is None or not under `data_root()`.
    """
    if not name or not (data_root() / name).is_dir():
        return []
    records = read_csv(data_root() / name / "MANIFEST.csv", dataset=name)
    train, _, _ = split_writers(records, split, seed)
    return [load_image(r.path) for r in train if r.genuine]


# --- augmentation and batches -------------------------------------------------------------------


def augment_page(
    image: np.ndarray, boxes: np.ndarray, labels: np.ndarray, rng: np.random.Generator, cfg: dict
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random scale (with slight aspect change) and crop/pad, ink gain, blur, JPEG (no flips)."""
    size = image.shape[0]
    scale = float(np.exp(rng.uniform(*np.log(cfg["scale"]))))
    aspect = float(np.exp(rng.uniform(-cfg["aspect"], cfg["aspect"])))
    new_w = max(8, round(size * scale * aspect))
    new_h = max(8, round(size * scale / aspect))
    resized = np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR))
    # Paste offset: the page may move anywhere that keeps the canvas covered or inside.
    left = int(rng.integers(min(0, size - new_w), max(0, size - new_w) + 1))
    top = int(rng.integers(min(0, size - new_h), max(0, size - new_h) + 1))
    canvas = np.zeros((size, size), np.uint8)
    src_x0, src_y0 = max(0, -left), max(0, -top)
    dst_x0, dst_y0 = max(0, left), max(0, top)
    w = min(new_w - src_x0, size - dst_x0)
    h = min(new_h - src_y0, size - dst_y0)
    canvas[dst_y0 : dst_y0 + h, dst_x0 : dst_x0 + w] = resized[
        src_y0 : src_y0 + h, src_x0 : src_x0 + w
    ]
    factor = np.array([new_w / size, new_h / size, new_w / size, new_h / size], np.float32)
    moved = boxes * factor + np.array([left, top, left, top], np.float32)
    clipped = np.clip(moved, 0, size)
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    # Boxes cut by the crop stay only when most of the object is still visible.
    keep = area(clipped) >= cfg["min_visible"] * np.maximum(area(moved), 1e-6)
    ink = canvas.astype(np.float32) / 255.0
    ink = np.clip(ink * rng.uniform(*cfg["ink_gain"]), 0, 1) ** rng.uniform(*cfg["gamma"])
    page = Image.fromarray(np.round(255 - ink * 255).astype(np.uint8))
    if rng.random() < cfg["blur"]:
        page = page.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.2))))
    if rng.random() < cfg["jpeg"]:
        buffer = io.BytesIO()
        page.save(buffer, "JPEG", quality=int(rng.integers(25, 90)))
        page = Image.open(buffer)
    ink = (255 - np.asarray(page, np.float32)) / 255.0
    return ink, clipped[keep], labels[keep]


class DetectorBatches:
    """Batches mixing synthetic and real pages, augmented, with class-masked targets.

    Batch `i` (counted over the whole run) depends only on `(seed, i)`, so a
    resumed run continues with the batches the killed one would have seen.
    """

    def __init__(
        self,
        sources: Sequence[PageSet],
        fractions: Sequence[float],
        encoder: SignatureDetectorLabelEncoder,
        batch_size: int,
        cfg: dict,
        seed: int,
    ):
        self.sources = [s for s in sources if len(s)]
        weights = np.array([f for s, f in zip(sources, fractions, strict=True) if len(s)], float)
        self.weights = weights / weights.sum()
        self.encoder, self.batch_size, self.cfg, self.seed = encoder, batch_size, cfg, seed

    def __call__(self, index) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, int(index)])
        images, boxes, labels, masks = [], [], [], []
        for source in rng.choice(len(self.sources), self.batch_size, p=self.weights):
            pages = self.sources[source]
            page = int(rng.integers(len(pages)))
            image, page_boxes, page_labels = augment_page(
                np.asarray(pages.images[page]), pages.boxes[page], pages.labels[page], rng, self.cfg
            )
            images.append(image)
            boxes.append(page_boxes)
            labels.append(page_labels)
            masks.append(pages.masks[page])
        batch = np.stack(images)[..., None].astype(np.float32)
        return batch, self.encoder(boxes, labels, class_mask=np.stack(masks)).astype(np.float32)

    def dataset(self, first: int, last: int, image_size: int):
        """A tf.data pipeline over batches `first..last-1` (two batches built in parallel)."""
        import tensorflow as tf

        cells = image_size // self.encoder.stride
        channels = 2 * self.encoder.num_classes + 5

        def make(index):
            x, y = tf.numpy_function(self, [index], (tf.float32, tf.float32))
            x.set_shape((self.batch_size, image_size, image_size, 1))
            y.set_shape((self.batch_size, cells, cells, channels))
            return x, y

        return tf.data.Dataset.range(first, last).map(make, num_parallel_calls=1).prefetch(2)
