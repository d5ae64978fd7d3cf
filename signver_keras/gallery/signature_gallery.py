"""`SignatureGallery`: a durable store of enrolled persons' reference signatures."""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from signver_keras.embeddings import Embeddings, extractor_id_of
from signver_keras.errors import (
    DuplicateReferenceError,
    GalleryError,
    GalleryExtractorMismatchError,
    ImageNotFoundError,
    InvalidImageError,
    PersonNotFoundError,
)
from signver_keras.gallery.gallery_index import APPROXIMATE_FROM, PersonIndex
from signver_keras.gallery.gallery_store import GalleryStore, SQLiteStore
from signver_keras.images import ImageInput, is_single_image, load_image, load_signature
from signver_keras.models.matcher.matcher import (
    Matcher,
    Verification,
    WriterThresholdRule,
    reference_spread,
)
from signver_keras.utils.atomic import atomic_path

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class Person:
    """One enrolled person: id, free-form metadata, number of references, creation time."""

    person_id: str
    metadata: dict
    references: int
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
        return _decode_png(self.crop_png)


@dataclass(frozen=True)
class GalleryVerification(Verification):
    """The `Matcher`'s `Verification` for an enrolled person.

    `rule` is "global" (the calibrated threshold for the person's number of
    references), "writer" (the writer-dependent threshold, see
    `SignatureGallery.verify`) or "classifier" (the person's
    `WriterClassifier`: `score` is its decision value); `z_score` is the
    query's score normalised by the person's leave-one-out scores ("writer"
    only).
    """

    person_id: str = ""
    z_score: float | None = None


class Match(NamedTuple):
    """One `identify` result: unpacks like the Matcher's `(person_id, score)` pairs."""

    person_id: str
    score: float


def _image_hash(gray: np.ndarray) -> str:
    digest = hashlib.sha256(f"{gray.shape[0]}x{gray.shape[1]}:".encode())
    digest.update(np.ascontiguousarray(gray).tobytes())
    return digest.hexdigest()


def _encode_png(gray: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(gray).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _decode_png(data: bytes | None) -> np.ndarray:
    if data is None:
        raise GalleryError("This reference was stored without its crop; it cannot be re-embedded.")
    return load_image(Image.open(io.BytesIO(data)))


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


class SignatureGallery:
    """A durable store of enrolled persons and their reference signatures, with 1:N search.

    Storage is a SQLite file (default; WAL mode, zero setup) or a PostgreSQL
    database (`postgresql://...`; pgvector is used when the server has it). Each
    reference keeps its provenance: the extractor's preset name and weights
    fingerprint, the source document and box, the enrollment time and the
    crop itself, so `reembed()` can recompute every embedding after a model
    upgrade. Until then the gallery refuses to compare its embeddings with
    those of another extractor.

    Decisions are the `Matcher`'s, on all of a person's references: the same
    as `SignatureVerifier.verify` given the same references. `identify` ranks
    by mean cosine similarity, exactly up to `approximate_from` persons and
    with a FAISS HNSW index above (see `gallery_index`).

    Args:
        path_or_url: str or path. A SQLite file (created if missing, see
            `create`) or a `postgresql://user@host:port/db` URL.
        extractor: a `SignatureExtractor`, a preset name, or None. Needed to
            enroll images, to query with images and to `reembed()`; listing,
            export/import and queries given as `Embeddings` work without it.
        verifier: a `SignatureVerifier`, or None. When given, images are
            cleaned by its cleaner before embedding, its matcher's threshold is
            used, and its detector serves `signer_report` and `find_documents`.
        matcher: a `Matcher`, or None for `Matcher.from_extractor(extractor)`
            (or the calibration stored in the gallery at its first enrollment).
        approximate_from: int. Persons from which the approximate index is used.
        writer_threshold_min_references: int or None, default None. When set,
            `verify` adds the matcher policy `WriterThresholdRule` from this
            many references on (mean-cosine calibrations only; the
            `"distance_ratio"` score rule already measures a query against the
            person's own references).
        writer_threshold_z: float, default 2.0. See `WriterThresholdRule`.
        writer_threshold_band: float, default 0.1. See `WriterThresholdRule`.
        writer_classifier: bool, default False. Add the matcher policy of the
            extractor's writer-dependent classifier (`sv.WriterClassifier`) for
            persons with enough references: an RBF SVM of their references
            against the extractor's synthetic background and up to
            `classifier_negatives` other enrolled references (which
            `SignatureVerifier.verify` does not have). It rejects other
            enrolled persons far better; on skilled forgeries it helps on some
            data and not on others (README, "Presets"). Needs an extractor whose
            preset carries one.
        classifier_negatives: int, default 2000. Other persons' references the
            classifier is trained against (the earliest enrolled).
        use_pgvector: bool or None (PostgreSQL only). None: when available.
        create: bool, default True. Create the gallery if it does not exist.
            False opens only an existing gallery (`GalleryNotFoundError`
            otherwise; an empty file or database is not one), as the CLI's
            read-only commands do, so a mistyped path never becomes a gallery.

    Example:
    ```python
    import signver_keras as sv
    verifier = sv.SignatureVerifier.from_preset("signver_base")
    gallery = sv.SignatureGallery("people.db", verifier=verifier)
    gallery.enroll("alice", ["alice1.png", "alice2.png", "alice3.png"], {"dept": "sales"})
    gallery.verify("alice", "cheque_signature.png")   # accepted, score, threshold
    gallery.identify("unknown.png", k=5)              # [Match("alice", 0.83), ...]
    gallery.signer_report("contract.png", expected=["alice", "bob"])
    ```
    """

    def __init__(
        self,
        path_or_url: str | os.PathLike,
        extractor=None,
        verifier=None,
        matcher: Matcher | None = None,
        approximate_from: int = APPROXIMATE_FROM,
        writer_threshold_min_references: int | None = None,
        writer_threshold_z: float = 2.0,
        writer_threshold_band: float = 0.1,
        writer_classifier: bool = False,
        classifier_negatives: int = 2000,
        use_pgvector: bool | None = None,
        create: bool = True,
    ):
        self.extractor_preset: str | None = None
        if isinstance(extractor, (str, os.PathLike)):
            from signver_keras.models import SignatureExtractor

            self.extractor_preset = os.fspath(extractor)
            extractor = SignatureExtractor.from_preset(extractor)
        if verifier is not None:
            if extractor is None:
                extractor = verifier.extractor
            elif verifier.extractor is not extractor and (
                verifier.extractor.fingerprint() != extractor.fingerprint()
            ):
                raise ValueError(
                    "extractor and verifier.extractor are different models; pass one of them."
                )
            matcher = matcher or verifier.matcher
        self.extractor = extractor
        self.verifier = verifier
        self.matcher = matcher
        if extractor is not None and self.extractor_preset is None:
            self.extractor_preset = getattr(extractor, "preset_name", None) or getattr(
                extractor, "name", None
            )
        self._extractor_id = extractor.fingerprint() if extractor is not None else None
        self.writer_rule = None
        if writer_threshold_min_references is not None:
            self.writer_rule = WriterThresholdRule(
                writer_threshold_min_references, writer_threshold_z, writer_threshold_band
            )
        self.writer_classifier = None
        if writer_classifier:
            self.writer_classifier = extractor.writer_classifier() if extractor else None
            if self.writer_classifier is None:
                raise ValueError(
                    "writer_classifier=True needs an extractor whose preset carries a writer "
                    "classifier (calibration 'writer_classifier' and writer_background.npy); "
                    f"{self.extractor_preset or 'no extractor'} has none. Re-calibrate it with "
                    "python -m recipes.calibrate_extractor."
                )
        self.classifier_negatives = classifier_negatives
        if matcher is not None or getattr(extractor, "calibration", None):
            self._matcher_for({})  # refuses policies the calibration cannot apply, now

        location = os.fspath(path_or_url)
        if location.startswith(POSTGRES_SCHEMES):
            from signver_keras.gallery.postgres_store import PostgresStore

            self.store: GalleryStore = PostgresStore(
                location, use_pgvector=use_pgvector, create=create
            )
        else:
            self.store = SQLiteStore(location, create=create)
        self.index = PersonIndex(approximate_from=approximate_from)

    def close(self) -> None:
        """Closes the database connection."""
        self.store.close()

    def __enter__(self) -> SignatureGallery:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SignatureGallery({self.store.location})"

    # --- helpers -------------------------------------------------------------------
    def _require_extractor(self, what: str):
        if self.extractor is None:
            raise GalleryError(
                f"{what} needs an extractor: open the gallery with "
                "SignatureGallery(path, extractor=...) or verifier=...."
            )
        return self.extractor

    def _embed(self, grays: list[np.ndarray]) -> Embeddings:
        self._require_extractor("Embedding images")
        if self.verifier is not None:
            return self.verifier.embed(grays)
        return self.extractor.embed(grays)

    def _check_extractor(self, meta: Mapping[str, str], query_id: str | None = None) -> None:
        stored = meta.get("extractor_id")
        if stored is None:
            return
        checks = ((self._extractor_id, "this gallery's extractor"), (query_id, "the query"))
        for current, whose in checks:
            if current is not None and current != stored:
                raise GalleryExtractorMismatchError(
                    f"The gallery's embeddings come from extractor {stored} "
                    f"({meta.get('extractor_preset')}) but {whose} is {current}. Run "
                    "`gallery.reembed()` (CLI: re-import) with the new extractor before "
                    "searching, or open the gallery with the extractor it was built with."
                )

    def _query_embedding(self, query: ImageInput | np.ndarray) -> Embeddings:
        """An `Embeddings` row or 1-D float array is used as is; anything else is an image."""
        is_vector = isinstance(query, Embeddings) or (
            isinstance(query, np.ndarray)
            and query.ndim == 1
            and np.issubdtype(query.dtype, np.floating)
        )
        if not is_vector:
            return self._embed([load_signature(query)])
        array = np.asarray(query, np.float32).reshape(-1, np.shape(query)[-1])
        if len(array) != 1:
            raise ValueError(f"Pass one query embedding; received {len(array)} rows.")
        return Embeddings(array, extractor_id=extractor_id_of(query))

    def _matcher_for(self, meta: Mapping[str, str]) -> Matcher:
        """The matcher that decides, with this gallery's writer-dependent policies added."""
        matcher = self.matcher
        if matcher is None:
            calibration = getattr(self.extractor, "calibration", None)
            if not calibration and meta.get("calibration"):
                calibration = json.loads(meta["calibration"])
            if not calibration:
                raise GalleryError(
                    "No decision threshold: the extractor carries no calibration. Pass "
                    "`matcher=sv.Matcher(threshold=...)` to SignatureGallery."
                )
            background = getattr(self.extractor, "writer_background", None)
            matcher = Matcher(calibration=calibration, background=background)
        if self.writer_rule is None and self.writer_classifier is None:
            return matcher
        background = matcher.background
        if background is None:
            background = getattr(self.extractor, "writer_background", None)
        return Matcher(
            matcher.fixed_threshold,
            matcher.calibration,
            background=background,
            writer_rule=self.writer_rule or matcher.writer_rule,
            writer_classifier=self.writer_classifier or matcher.writer_classifier,
        )

    def _load_grays(self, person_id: str, images) -> list[np.ndarray]:
        batch = [images] if is_single_image(images) else list(images)
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

    # --- enrollment ----------------------------------------------------------------
    def enroll(
        self,
        person_id: str,
        images: ImageInput | Sequence[ImageInput],
        metadata: Mapping[str, Any] | None = None,
        source: Any = None,
    ) -> int:
        """Adds reference signatures for a person (created on first enrollment).

        All images are loaded, checked and embedded first, then stored in one
        transaction: on any error (a corrupt image, a duplicate) nothing is
        enrolled, and a process killed meanwhile leaves the gallery as before.

        Args:
            person_id: str. Any non-empty identifier.
            images: one image or a list (paths, PIL images or arrays).
            metadata: dict or None. JSON-serialisable; replaces the stored
                metadata when given.
            source: where the images come from: None (an image's own path),
                a document path, `{"document": path, "box": [x0, y0, x1, y1]}`,
                or a list of those, one per image.

        Returns:
            The number of references added.

        Raises:
            InvalidImageError / ImageNotFoundError: naming the image.
            DuplicateReferenceError: an image (same pixels) is already enrolled
                for this person, or appears twice in the batch.
            GalleryExtractorMismatchError: the gallery was built with another extractor.
        """
        if not isinstance(person_id, str) or not person_id.strip():
            raise ValueError(f"person_id must be a non-empty string; received {person_id!r}.")
        self._require_extractor("enroll")
        if metadata is not None:
            metadata = json.loads(json.dumps(dict(metadata)))  # refuses what JSON cannot store
        batch = [images] if is_single_image(images) else list(images)
        grays = self._load_grays(person_id, images)
        if isinstance(source, (list, tuple)):
            if len(source) != len(grays):
                raise ValueError(
                    f"source has {len(source)} entries for {len(grays)} images; pass one per image."
                )
            sources = [_source_of(s, image) for s, image in zip(source, batch, strict=True)]
        else:
            sources = [_source_of(source, image) for image in batch]
        hashes = [_image_hash(gray) for gray in grays]
        seen: dict[str, int] = {}
        for position, digest in enumerate(hashes, 1):
            if digest in seen:
                raise DuplicateReferenceError(
                    f"enroll('{person_id}'): images {seen[digest]} and {position} are the same "
                    "image. Nothing was enrolled."
                )
            seen[digest] = position
        with self.store.read() as cur:
            self._check_extractor(self.store.meta(cur))
        embeddings = np.asarray(self._embed(grays), np.float32)
        crops = [_encode_png(gray) for gray in grays]
        now = time.time()
        with self.store.write() as cur:
            meta = self.store.meta(cur)
            self._check_extractor(meta)
            if "extractor_id" not in meta:
                self._record_extractor(cur, embeddings.shape[1])
            pk = self.store.upsert_person(cur, person_id, metadata)
            existing = self.store.hashes(cur, pk)
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
                self.store.insert_reference(
                    cur,
                    pk,
                    {
                        "image_sha256": digest,
                        "crop_png": gray_png,
                        "embedding": vector,
                        "extractor_id": self._extractor_id,
                        "extractor_preset": self.extractor_preset,
                        "source_document": document,
                        "box": box,
                        "enrolled_at": now,
                    },
                )
            self.store.after_person_changed(cur, pk)
            self.store.bump_generation(cur, [person_id])
        return len(grays)

    def _record_extractor(self, cur, dim: int) -> None:
        self.store.set_meta(cur, "extractor_id", self._extractor_id)
        self.store.set_meta(cur, "extractor_preset", str(self.extractor_preset))
        self.store.set_meta(cur, "embedding_dim", str(dim))
        calibration = getattr(self.extractor, "calibration", None)
        if self.matcher is not None:
            calibration = self.matcher.calibration
        if calibration:
            self.store.set_meta(cur, "calibration", json.dumps(calibration, default=str))

    def remove(self, person_id: str) -> int:
        """Removes a person and all their references; returns how many references went."""
        with self.store.write() as cur:
            pk = self.store.person_pk(cur, person_id)
            if pk is None:
                raise PersonNotFoundError(self._unknown(cur, person_id))
            count = len(self.store.hashes(cur, pk))
            self.store.delete_person(cur, pk)
            self.store.bump_generation(cur, [person_id])
        return count

    def _unknown(self, cur, person_id: str) -> str:
        known = [row[0] for row in self.store.persons(cur)]
        if not known:
            return f"No person '{person_id}' in {self.store.location}: the gallery is empty."
        more = ", ..." if len(known) > 5 else ""
        hint = f" Enrolled: {', '.join(known[:5])}{more}."
        return f"No person '{person_id}' in {self.store.location}.{hint}"

    # --- reading -------------------------------------------------------------------
    def persons(self) -> list[Person]:
        """All enrolled persons, sorted by id."""
        with self.store.read() as cur:
            rows = self.store.persons(cur)
        return [Person(p, json.loads(m), int(n), float(t)) for p, m, t, n in rows]

    def __len__(self) -> int:
        return len(self.persons())

    def __contains__(self, person_id: object) -> bool:
        with self.store.read() as cur:
            return self.store.person_pk(cur, str(person_id)) is not None

    def references(self, person_id: str) -> list[Reference]:
        """A person's references with provenance, oldest first."""
        with self.store.read() as cur:
            if self.store.person_pk(cur, person_id) is None:
                raise PersonNotFoundError(self._unknown(cur, person_id))
            rows = self.store.references(cur, [person_id])
        return [self._reference(row) for row in rows]

    def _reference(self, row: tuple) -> Reference:
        ref_id, person, digest, extractor_id, preset, document, box, at, crop, raw = row
        return Reference(
            id=int(ref_id),
            person_id=person,
            image_sha256=digest,
            extractor_id=extractor_id,
            extractor_preset=preset,
            source_document=document,
            box=None if box is None else json.loads(box),
            enrolled_at=float(at),
            crop_png=None if crop is None else bytes(crop),
            embedding=self.store.decode_embeddings([raw])[0],
        )

    # --- decisions -------------------------------------------------------------------
    def verify(self, person_id: str, query: ImageInput | np.ndarray) -> GalleryVerification:
        """Decides whether `query` was signed by `person_id`, using all their references.

        The decision is the `Matcher`'s (`Matcher.verify`) on the person's
        references: its score rule and the threshold calibrated for their
        number, with the gallery's policies (`writer_threshold_min_references`,
        `writer_classifier`) when set. Without those policies it is exactly
        `SignatureVerifier.verify` on the same references.

        `query` is an image, or an `Embeddings` row / 1-D float array.
        """
        q = self._query_embedding(query)
        with self.store.read() as cur:
            meta = self.store.meta(cur)
            self._check_extractor(meta, extractor_id_of(q))
            ids, refs = self.store.embeddings(cur, [person_id])
            if not ids:
                raise PersonNotFoundError(self._unknown(cur, person_id))
            matcher = self._matcher_for(meta)
            others = None
            classifier = matcher.writer_classifier
            if classifier is not None and classifier.applies(len(refs)):
                others = self.store.other_embeddings(cur, person_id, self.classifier_negatives)
        references = Embeddings(refs, extractor_id=meta.get("extractor_id"))
        result = matcher.verify(q, references, other_references=others)
        z_score = None
        if result.rule == "writer":
            mu, sigma = reference_spread(refs)
            z_score = (result.score - mu) / sigma
        return GalleryVerification(**asdict(result), person_id=person_id, z_score=z_score)

    def identify(self, query: ImageInput | np.ndarray, k: int = 5) -> list[Match]:
        """The `k` enrolled persons most similar to `query`, best first (Matcher's score)."""
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer; received {k!r}.")
        q = self._query_embedding(query)
        with self.store.read() as cur:
            meta = self.store.meta(cur)
            self._check_extractor(meta, extractor_id_of(q))
            dim = meta.get("embedding_dim")
            if dim is not None and int(dim) != q.shape[1]:
                raise GalleryExtractorMismatchError(
                    f"The query embedding has {q.shape[1]} dimensions; the gallery's have {dim}. "
                    "Embed the query with the gallery's extractor."
                )
            served = self.store.search_persons(cur, q[0], k)
        if served is not None:
            return [Match(p, s) for p, s in served]
        self.index.refresh(self.store)
        return [Match(p, s) for p, s in self.index.search(q[0], k)]

    # --- model upgrades, export, import ------------------------------------------------
    def reembed(self, batch_size: int = 64, force: bool = False) -> int:
        """Recomputes every embedding from the stored crops with this gallery's extractor.

        Run it after upgrading the extractor; until then the gallery refuses
        queries from the new one. One transaction: all references or none.
        Returns the number of references re-embedded (0 when already current).
        """
        self._require_extractor("reembed")
        with self.store.read() as cur:
            meta = self.store.meta(cur)
            if not force and meta.get("extractor_id") in (None, self._extractor_id):
                return 0
            rows = self.store.crops(cur)
        ids = [row[0] for row in rows]
        if any(row[1] is None for row in rows):
            raise GalleryError(
                "Some references were stored without their crop (imported from embeddings "
                "only); they cannot be re-embedded. Remove and re-enroll those persons."
            )
        vectors = []
        for start in range(0, len(rows), batch_size):
            grays = [_decode_png(bytes(row[1])) for row in rows[start : start + batch_size]]
            vectors.append(np.asarray(self._embed(grays), np.float32))
        with self.store.write() as cur:
            if [row[0] for row in self.store.crops(cur)] != ids:
                raise GalleryError(
                    "The gallery changed while re-embedding (a concurrent enrollment); "
                    "nothing was changed. Run reembed() again."
                )
            for ref_id, vector in zip(ids, (v for chunk in vectors for v in chunk), strict=True):
                self.store.update_embedding(
                    cur, ref_id, vector, self._extractor_id, self.extractor_preset
                )
            if vectors:
                self._record_extractor(cur, vectors[0].shape[1])
            else:
                self.store.set_meta(cur, "extractor_id", self._extractor_id)
            persons = self.store.persons(cur)
            for person_id, *_ in persons:
                self.store.after_person_changed(cur, self.store.person_pk(cur, person_id))
            self.store.bump_generation(cur, [row[0] for row in persons])
        return len(ids)

    def export(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Writes the whole gallery (crops, embeddings, provenance) to a SQLite gallery file.

        The file is written next to its target and renamed at the end, so an
        interrupted export never leaves a partial file. It opens with
        `SignatureGallery(path)` or merges into another gallery with `import_`.
        """
        target = Path(path)
        if target.exists() and not overwrite:
            raise FileExistsError(f"'{target}' exists; pass overwrite=True to replace it.")
        with self.store.read() as cur:
            meta = self.store.meta(cur)
            persons = self.store.persons(cur)
            rows = self.store.references(cur)
        with atomic_path(target) as partial:
            out = SQLiteStore(partial)
            try:
                with out.write() as ocur:
                    _copy_into(out, ocur, meta, persons, rows, self.store)
                out._connection.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                out.close()
        return target

    def import_(self, path: str | os.PathLike) -> dict[str, int]:
        """Merges a gallery file written by `export` into this gallery (one transaction).

        Persons are created as needed; references already enrolled (same image
        for the same person) are skipped. If the file's embeddings come from
        another extractor, its crops are re-embedded with this gallery's
        extractor (which must then be given).

        Returns:
            `{"persons": ..., "references": ..., "skipped": ...}`.
        """
        source_path = Path(path)
        if not source_path.is_file():
            raise GalleryError(f"Gallery file '{source_path}' does not exist.")
        source = SQLiteStore(source_path)
        try:
            with source.read() as cur:
                their_meta = source.meta(cur)
                persons = source.persons(cur)
                rows = source.references(cur)
        finally:
            source.close()
        with self.store.read() as cur:
            my_meta = self.store.meta(cur)
        mine = my_meta.get("extractor_id") or self._extractor_id
        theirs = their_meta.get("extractor_id")
        vectors = None
        if rows and theirs != mine and mine is not None:
            if self.extractor is None or self._extractor_id != mine:
                raise GalleryExtractorMismatchError(
                    f"'{source_path}' holds embeddings of extractor {theirs}; this gallery's are "
                    f"from {mine}. Open this gallery with its extractor to re-embed the imported "
                    "crops."
                )
            vectors = np.asarray(
                self._embed([_decode_png(bytes(row[8])) for row in rows]), np.float32
            )
            their_meta = dict(my_meta)
        with self.store.write() as cur:
            return _copy_into(
                self.store, cur, their_meta, persons, rows, source, vectors, self._extractor_id
            )

    # --- document questions ------------------------------------------------------------
    def signer_report(self, document: ImageInput, expected: Sequence[str] = (), **kwargs):
        """Who signed where on a page. See `document_questions.signer_report`."""
        from signver_keras.gallery.document_questions import signer_report

        return signer_report(self, document, expected, **kwargs)

    def find_documents(self, person_id: str, folder: str | os.PathLike, **kwargs):
        """Pages in `folder` carrying `person_id`'s signature. See `document_questions`."""
        from signver_keras.gallery.document_questions import find_documents

        return find_documents(self, person_id, folder, **kwargs)


def _describe(image: Any) -> str:
    if isinstance(image, (str, os.PathLike)):
        return f"'{os.fspath(image)}'"
    return type(image).__name__


def _copy_into(
    store: GalleryStore,
    cur,
    meta: Mapping[str, str],
    persons: list[tuple],
    rows: list[tuple],
    source: GalleryStore,
    vectors: np.ndarray | None = None,
    extractor_id: str | None = None,
) -> dict[str, int]:
    """Copies persons and reference rows (as read by `GalleryStore.references`) into `store`."""
    current = store.meta(cur)
    for key in ("extractor_id", "extractor_preset", "embedding_dim", "calibration"):
        if key not in current and key in meta:
            store.set_meta(cur, key, meta[key])
    pks: dict[str, int] = {}
    for person_id, metadata, created_at, _ in persons:
        pk = store.person_pk(cur, person_id)
        if pk is None:
            pk = store.upsert_person(cur, person_id, json.loads(metadata))
            store.q(cur, "UPDATE persons SET created_at = ? WHERE id = ?", [created_at, pk])
        pks[person_id] = pk
    added = skipped = 0
    existing: dict[int, set[str]] = {}
    for position, row in enumerate(rows):
        _, person_id, digest, their_id, preset, document, box, at, crop, raw = row
        pk = pks[person_id]
        hashes = existing.setdefault(pk, store.hashes(cur, pk))
        if digest in hashes:
            skipped += 1
            continue
        hashes.add(digest)
        vector = source.decode_embeddings([raw])[0] if vectors is None else vectors[position]
        store.insert_reference(
            cur,
            pk,
            {
                "image_sha256": digest,
                "crop_png": None if crop is None else bytes(crop),
                "embedding": vector,
                "extractor_id": their_id if vectors is None else extractor_id,
                "extractor_preset": preset if vectors is None else meta.get("extractor_preset"),
                "source_document": document,
                "box": None if box is None else json.loads(box),
                "enrolled_at": at,
            },
        )
        added += 1
    for pk in pks.values():
        store.after_person_changed(cur, pk)
    store.bump_generation(cur, pks)
    return {"persons": len(pks), "references": added, "skipped": skipped}
