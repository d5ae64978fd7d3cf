"""Light stand-ins for the models, for gallery tests: no Keras, deterministic, fast.

`PixelExtractor` embeds the ink of a crop (cropped to its ink, resized, centred,
unit norm): the same scribble scores ~1, different scribbles score low, so
decisions are predictable. `FakeDetector` follows the detector's `detect()`
contract and returns the boxes recorded for each page it was given.
"""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

from signver_keras.embeddings import Embeddings
from signver_keras.images import load_image, load_images


class PixelExtractor:
    """`background`: signatures whose embeddings become `writer_background`, enabling
    the writer classifier (decision threshold 0) as a preset carrying one would."""

    def __init__(self, size=(16, 32), threshold=0.8, name="pixel_extractor", background=None):
        self.size = size
        self.calibration = {"threshold": threshold, "rule": "test"}
        self.name = name
        self.writer_background = None
        if background is not None:
            self.writer_background = np.asarray(self.embed(background))
            self.calibration["writer_classifier"] = {
                "threshold": 0.0,
                "c": 1.0,
                "min_references": 5,
            }

    def writer_classifier(self):
        from signver_keras.models.matcher.writer_classifier import WriterClassifier

        config = self.calibration.get("writer_classifier")
        return None if config is None else WriterClassifier(**config)

    def fingerprint(self) -> str:
        return f"pixel{self.size[0]}x{self.size[1]}"

    @property
    def embedding_dim(self) -> int:
        return self.size[0] * self.size[1]

    def embed(self, images, batch_size: int = 64, check_input: bool = True) -> Embeddings:
        rows = []
        for gray in load_images(images):
            ink = np.argwhere(gray < 200)
            if len(ink):
                (y0, x0), (y1, x1) = ink.min(0), ink.max(0) + 1
                gray = gray[y0:y1, x0:x1]
            small = Image.fromarray(gray).resize(self.size[::-1], Image.BILINEAR)
            vector = 1.0 - np.asarray(small, np.float32).ravel() / 255.0
            vector -= vector.mean()
            rows.append(vector / max(np.linalg.norm(vector), 1e-6))
        return Embeddings(np.stack(rows), extractor_id=self.fingerprint())


def page_key(gray: np.ndarray) -> str:
    return hashlib.sha256(gray.tobytes()).hexdigest()


class FakeDetector:
    """`detect(page)` returns the boxes registered for that page (by pixel hash)."""

    class_names = ("signature", "initials", "redaction", "date")

    def __init__(self):
        self.pages: dict[str, np.ndarray] = {}

    def register(self, page: np.ndarray, boxes) -> None:
        self.pages[page_key(load_image(page))] = np.asarray(boxes, np.float32).reshape(-1, 4)

    def detect(self, images, score_threshold=None, batch_size=8) -> list[dict]:
        results = []
        for gray in load_images(images):
            boxes = self.pages.get(page_key(gray), np.zeros((0, 4), np.float32))
            results.append(
                {
                    "boxes": boxes,
                    "scores": np.full(len(boxes), 0.9, np.float32),
                    "labels": np.zeros(len(boxes), np.int32),
                    "names": ["signature"] * len(boxes),
                }
            )
        return results


def compose_page(crops, size=(600, 800), seed=0) -> tuple[np.ndarray, list[list[float]]]:
    """A white page (H, W) with the crops pasted in a column; returns it and their xyxy boxes."""
    rng = np.random.default_rng(seed)
    page = np.full(size, 255, np.uint8)
    boxes, top = [], 20
    for crop in crops:
        left = int(rng.integers(20, size[1] - crop.shape[1] - 20))
        page[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
        boxes.append([left, top, left + crop.shape[1], top + crop.shape[0]])
        top += crop.shape[0] + 30
    return page, boxes


def light_import_snippet(repo_root: str) -> str:
    """Python source that imports the gallery without `signver_keras/__init__` (which loads
    Keras and TensorFlow: ~20 s per process here). Used by the multi-process tests."""
    return f"""
import sys, types
sys.path.insert(0, {repo_root!r})
for _name, _sub in (("signver_keras", ""), ("signver_keras.models", "/models"),
                    ("signver_keras.models.matcher", "/models/matcher")):
    _module = types.ModuleType(_name)
    _module.__path__ = [{repo_root!r} + "/signver_keras" + _sub]
    sys.modules[_name] = _module
from signver_keras.gallery.signature_gallery import SignatureGallery
from tests.gallery.fakes import PixelExtractor
"""
