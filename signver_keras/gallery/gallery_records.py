"""What a gallery stores: persons and their reference signatures, and how a crop is kept.

The stores return these records (named fields, decoded values), and
`SignatureGallery` hands them to its callers unchanged.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from PIL import Image

from signver_keras.errors import GalleryError
from signver_keras.images import load_image


@dataclass(frozen=True)
class Person:
    """One enrolled person: id, free-form metadata, number of references, creation time."""

    person_id: str
    metadata: dict
    reference_count: int
    created_at: float


@dataclass(frozen=True)
class Reference:
    """One enrolled reference signature with its provenance.

    `extractor_id` is the weights fingerprint of the extractor that embedded it,
    `source_document` and `box` (xyxy pixels, or None) say where it came from,
    `crop_png` is the stored crop (grayscale PNG, as enrolled, before cleaning).
    """

    id: int
    person_id: str
    image_sha256: str
    extractor_id: str | None
    extractor_preset: str | None
    source_document: str | None
    box: list[float] | None
    enrolled_at: float
    crop_png: bytes | None = field(repr=False)
    embedding: np.ndarray = field(repr=False)

    def crop(self) -> np.ndarray:
        """The stored crop as a (H, W) uint8 array."""
        return decode_png(self.crop_png)


class StoredCrop(NamedTuple):
    """A reference's row id and stored crop (None for references imported without one)."""

    id: int
    crop_png: bytes | None


def image_hash(gray: np.ndarray) -> str:
    """SHA-256 of a grayscale image's shape and pixels: the same image enrolls once per person."""
    digest = hashlib.sha256(f"{gray.shape[0]}x{gray.shape[1]}:".encode())
    digest.update(np.ascontiguousarray(gray).tobytes())
    return digest.hexdigest()


def encode_png(gray: np.ndarray) -> bytes:
    """A grayscale image as PNG bytes (how crops are stored)."""
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def decode_png(data: bytes | None) -> np.ndarray:
    """A stored crop back as a (H, W) uint8 array."""
    if data is None:
        raise GalleryError("This reference was stored without its crop; it cannot be re-embedded.")
    return load_image(Image.open(io.BytesIO(data)))
