"""Enrollment into a `SignatureGallery`: load and check the images, embed them, store them.

All images are loaded, checked and embedded before anything is written, then
stored in one write transaction: a failure leaves the gallery as it was.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from signver_keras.errors import DuplicateReferenceError, ImageNotFoundError, InvalidImageError
from signver_keras.gallery.gallery_records import encode_png, image_hash
from signver_keras.images import ImageInput, is_single_image, load_signature

if TYPE_CHECKING:
    from signver_keras.gallery.signature_gallery import SignatureGallery


def enroll(
    gallery: SignatureGallery,
    person_id: str,
    images: ImageInput | Sequence[ImageInput],
    metadata: Mapping[str, Any] | None = None,
    source: Any = None,
) -> int:
    """Adds reference signatures for a person; see `SignatureGallery.enroll`."""
    if not isinstance(person_id, str) or not person_id.strip():
        raise ValueError(f"person_id must be a non-empty string; received {person_id!r}.")
    gallery._require_extractor("enroll")
    if metadata is not None:
        metadata = json.loads(json.dumps(dict(metadata)))  # refuses what JSON cannot store
    batch = [images] if is_single_image(images) else list(images)
    grays = _load_grays(person_id, batch)
    if isinstance(source, (list, tuple)):
        if len(source) != len(grays):
            raise ValueError(
                f"source has {len(source)} entries for {len(grays)} images; pass one per image."
            )
        sources = [_source_of(s, image) for s, image in zip(source, batch, strict=True)]
    else:
        sources = [_source_of(source, image) for image in batch]
    hashes = [image_hash(gray) for gray in grays]
    seen: dict[str, int] = {}
    for position, digest in enumerate(hashes, 1):
        if digest in seen:
            raise DuplicateReferenceError(
                f"enroll('{person_id}'): images {seen[digest]} and {position} are the same "
                "image. Nothing was enrolled."
            )
        seen[digest] = position
    store = gallery.store
    with store.read() as cur:
        gallery._check_extractor(store.meta(cur))
    embeddings = np.asarray(gallery._embed(grays), np.float32)
    crops = [encode_png(gray) for gray in grays]
    now = time.time()
    with store.write() as cur:
        meta = store.meta(cur)
        gallery._check_extractor(meta)
        if "extractor_id" not in meta:
            record_extractor(gallery, cur, embeddings.shape[1])
        pk = store.upsert_person(cur, person_id, metadata)
        existing = store.hashes(cur, pk)
        for position, digest in enumerate(hashes, 1):
            if digest in existing:
                raise DuplicateReferenceError(
                    f"enroll('{person_id}'): image {position} "
                    f"({_describe(batch[position - 1])}) is already enrolled for this "
                    "person. Nothing was enrolled."
                )
        for gray_png, digest, vector, (document, box) in zip(
            crops, hashes, embeddings, sources, strict=True
        ):
            store.insert_reference(
                cur,
                pk,
                {
                    "image_sha256": digest,
                    "crop_png": gray_png,
                    "embedding": vector,
                    "extractor_id": gallery._extractor_id,
                    "extractor_preset": gallery.extractor_preset,
                    "source_document": document,
                    "box": box,
                    "enrolled_at": now,
                },
            )
        store.after_person_changed(cur, pk)
        store.bump_generation(cur, [person_id])
    return len(grays)


def record_extractor(gallery: SignatureGallery, cur, dim: int) -> None:
    """Stores which extractor (and calibration) the gallery's embeddings come from."""
    store = gallery.store
    store.set_meta(cur, "extractor_id", gallery._extractor_id)
    store.set_meta(cur, "extractor_preset", str(gallery.extractor_preset))
    store.set_meta(cur, "embedding_dim", str(dim))
    calibration = getattr(gallery.extractor, "calibration", None)
    if gallery.matcher is not None:
        calibration = gallery.matcher.calibration
    if calibration:
        store.set_meta(cur, "calibration", json.dumps(calibration, default=str))


def _load_grays(person_id: str, batch: list) -> list[np.ndarray]:
    if not batch:
        raise InvalidImageError(
            f"enroll('{person_id}'): received an empty list of images; pass at least one."
        )
    grays = []
    for position, image in enumerate(batch, 1):
        try:
            grays.append(load_signature(image))
        except (InvalidImageError, ImageNotFoundError) as error:
            # Same type, with the position: nothing of the batch is enrolled.
            raise type(error)(
                f"enroll('{person_id}'): image {position} of {len(batch)}: {error} "
                "Nothing was enrolled."
            ) from error
    return grays


def _source_of(source: Any, image: Any) -> tuple[str | None, list[float] | None]:
    if source is None:
        return (os.fspath(image) if isinstance(image, (str, os.PathLike)) else None), None
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source), None
    if isinstance(source, Mapping):
        box = source.get("box")
        document = source.get("document")
        return (None if document is None else os.fspath(document)), (
            None if box is None else [float(v) for v in box]
        )
    raise TypeError(
        "source must be None, a document path, a dict with 'document' and 'box', or a list of "
        f"those (one per image); received {type(source).__name__}."
    )


def _describe(image: Any) -> str:
    if isinstance(image, (str, os.PathLike)):
        return f"'{os.fspath(image)}'"
    return type(image).__name__
