"""Moving a gallery's references: re-embedding after a model upgrade, export and import.

Export writes a self-contained SQLite gallery file; import merges one into a
gallery (re-embedding its crops when they come from another extractor). Each
write is one transaction: all references or none.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from signver_keras.errors import GalleryError, GalleryExtractorMismatchError
from signver_keras.gallery.enrollment import record_extractor
from signver_keras.gallery.gallery_records import Person, Reference, decode_png
from signver_keras.gallery.gallery_store import GalleryStore, SQLiteStore
from signver_keras.utils.atomic import atomic_path

if TYPE_CHECKING:
    from signver_keras.gallery.signature_gallery import SignatureGallery


def reembed(gallery: SignatureGallery, batch_size: int = 64, force: bool = False) -> int:
    """Recomputes every embedding from the stored crops; see `SignatureGallery.reembed`."""
    gallery._require_extractor("reembed")
    store = gallery.store
    with store.read() as cur:
        meta = store.meta(cur)
        if not force and meta.get("extractor_id") in (None, gallery._extractor_id):
            return 0
        crops = store.crops(cur)
    ids = [crop.id for crop in crops]
    if any(crop.crop_png is None for crop in crops):
        raise GalleryError(
            "Some references were stored without their crop (imported from embeddings "
            "only); they cannot be re-embedded. Remove and re-enroll those persons."
        )
    vectors = []
    for start in range(0, len(crops), batch_size):
        grays = [decode_png(crop.crop_png) for crop in crops[start : start + batch_size]]
        vectors.append(np.asarray(gallery._embed(grays), np.float32))
    with store.write() as cur:
        if [crop.id for crop in store.crops(cur)] != ids:
            raise GalleryError(
                "The gallery changed while re-embedding (a concurrent enrollment); "
                "nothing was changed. Run reembed() again."
            )
        for ref_id, vector in zip(ids, (v for chunk in vectors for v in chunk), strict=True):
            store.update_embedding(
                cur, ref_id, vector, gallery._extractor_id, gallery.extractor_preset
            )
        if vectors:
            record_extractor(gallery, cur, vectors[0].shape[1])
        else:
            store.set_meta(cur, "extractor_id", gallery._extractor_id)
        persons = store.persons(cur)
        for person in persons:
            store.after_person_changed(cur, store.person_pk(cur, person.person_id))
        store.bump_generation(cur, [person.person_id for person in persons])
    return len(ids)


def export(gallery: SignatureGallery, path: str | os.PathLike, overwrite: bool = False) -> Path:
    """Writes the whole gallery to a SQLite gallery file; see `SignatureGallery.export`."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise FileExistsError(f"'{target}' exists; pass overwrite=True to replace it.")
    with gallery.store.read() as cur:
        meta = gallery.store.meta(cur)
        persons = gallery.store.persons(cur)
        references = gallery.store.references(cur)
    with atomic_path(target) as partial:
        out = SQLiteStore(partial)
        try:
            with out.write() as ocur:
                _copy_into(out, ocur, meta, persons, references)
            out.use_single_file()
        finally:
            out.close()
    return target


def import_gallery(gallery: SignatureGallery, path: str | os.PathLike) -> dict[str, int]:
    """Merges a gallery file written by `export`; see `SignatureGallery.import_`."""
    source_path = Path(path)
    if not source_path.is_file():
        raise GalleryError(f"Gallery file '{source_path}' does not exist.")
    source = SQLiteStore(source_path)
    try:
        with source.read() as cur:
            their_meta = source.meta(cur)
            persons = source.persons(cur)
            references = source.references(cur)
    finally:
        source.close()
    with gallery.store.read() as cur:
        my_meta = gallery.store.meta(cur)
    mine = my_meta.get("extractor_id") or gallery._extractor_id
    theirs = their_meta.get("extractor_id")
    vectors = None
    if references and theirs != mine and mine is not None:
        if gallery.extractor is None or gallery._extractor_id != mine:
            raise GalleryExtractorMismatchError(
                f"'{source_path}' holds embeddings of extractor {theirs}; this gallery's are "
                f"from {mine}. Open this gallery with its extractor to re-embed the imported "
                "crops."
            )
        vectors = np.asarray(
            gallery._embed([decode_png(reference.crop_png) for reference in references]),
            np.float32,
        )
        their_meta = dict(my_meta)
    with gallery.store.write() as cur:
        return _copy_into(
            gallery.store, cur, their_meta, persons, references, vectors, gallery._extractor_id
        )


def _copy_into(
    store: GalleryStore,
    cur,
    meta: Mapping[str, str],
    persons: list[Person],
    references: list[Reference],
    vectors: np.ndarray | None = None,
    extractor_id: str | None = None,
) -> dict[str, int]:
    """Copies persons and references into `store`; `vectors` replace their embeddings."""
    current = store.meta(cur)
    for key in ("extractor_id", "extractor_preset", "embedding_dim", "calibration"):
        if key not in current and key in meta:
            store.set_meta(cur, key, meta[key])
    pks: dict[str, int] = {}
    for person in persons:
        pk = store.person_pk(cur, person.person_id)
        if pk is None:
            pk = store.upsert_person(cur, person.person_id, person.metadata, person.created_at)
        pks[person.person_id] = pk
    added = skipped = 0
    existing: dict[int, set[str]] = {}
    for position, reference in enumerate(references):
        pk = pks[reference.person_id]
        hashes = existing.setdefault(pk, store.hashes(cur, pk))
        if reference.image_sha256 in hashes:
            skipped += 1
            continue
        hashes.add(reference.image_sha256)
        reembedded = vectors is not None
        store.insert_reference(
            cur,
            pk,
            {
                "image_sha256": reference.image_sha256,
                "crop_png": reference.crop_png,
                "embedding": vectors[position] if reembedded else reference.embedding,
                "extractor_id": extractor_id if reembedded else reference.extractor_id,
                "extractor_preset": (
                    meta.get("extractor_preset") if reembedded else reference.extractor_preset
                ),
                "source_document": reference.source_document,
                "box": reference.box,
                "enrolled_at": reference.enrolled_at,
            },
        )
        added += 1
    for pk in pks.values():
        store.after_person_changed(cur, pk)
    store.bump_generation(cur, pks)
    return {"persons": len(pks), "references": added, "skipped": skipped}
