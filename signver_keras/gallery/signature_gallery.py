"""`SignatureGallery`: a durable store of enrolled persons' reference signatures."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from signver_keras.embeddings import Embeddings, extractor_id_of
from signver_keras.errors import (
    GalleryError,
    GalleryExtractorMismatchError,
    PersonNotFoundError,
)
from signver_keras.gallery import enrollment, gallery_transfer
from signver_keras.gallery.gallery_index import APPROXIMATE_FROM, PersonIndex
from signver_keras.gallery.gallery_records import Person, Reference
from signver_keras.gallery.gallery_store import GalleryStore
from signver_keras.gallery.store_opening import POSTGRES_SCHEMES, open_store
from signver_keras.images import ImageInput, load_signature
from signver_keras.models.matcher.matcher import (
    Matcher,
    Verification,
    WriterThresholdRule,
    reference_spread,
)

__all__ = [
    "POSTGRES_SCHEMES",
    "GalleryVerification",
    "Match",
    "Person",
    "Reference",
    "SignatureGallery",
]


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

        self.store: GalleryStore = open_store(path_or_url, use_pgvector=use_pgvector, create=create)
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
        return enrollment.enroll(self, person_id, images, metadata, source)

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
        known = [person.person_id for person in self.store.persons(cur)]
        if not known:
            return f"No person '{person_id}' in {self.store.location}: the gallery is empty."
        more = ", ..." if len(known) > 5 else ""
        hint = f" Enrolled: {', '.join(known[:5])}{more}."
        return f"No person '{person_id}' in {self.store.location}.{hint}"

    # --- reading -------------------------------------------------------------------
    def persons(self) -> list[Person]:
        """All enrolled persons, sorted by id."""
        with self.store.read() as cur:
            return self.store.persons(cur)

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
            return self.store.references(cur, [person_id])

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
        return gallery_transfer.reembed(self, batch_size, force)

    def export(self, path: str | os.PathLike, overwrite: bool = False) -> Path:
        """Writes the whole gallery (crops, embeddings, provenance) to a SQLite gallery file.

        The file is written next to its target and renamed at the end, so an
        interrupted export never leaves a partial file. It opens with
        `SignatureGallery(path)` or merges into another gallery with `import_`.
        """
        return gallery_transfer.export(self, path, overwrite)

    def import_(self, path: str | os.PathLike) -> dict[str, int]:
        """Merges a gallery file written by `export` into this gallery (one transaction).

        Persons are created as needed; references already enrolled (same image
        for the same person) are skipped. If the file's embeddings come from
        another extractor, its crops are re-embedded with this gallery's
        extractor (which must then be given).

        Returns:
            `{"persons": ..., "references": ..., "skipped": ...}`.
        """
        return gallery_transfer.import_gallery(self, path)

    # --- document questions ------------------------------------------------------------
    def signer_report(self, document: ImageInput, expected: Sequence[str] = (), **kwargs):
        """Who signed where on a page. See `document_questions.signer_report`."""
        from signver_keras.gallery.document_questions import signer_report

        return signer_report(self, document, expected, **kwargs)

    def find_documents(self, person_id: str, folder: str | os.PathLike, **kwargs):
        """Pages in `folder` carrying `person_id`'s signature. See `document_questions`."""
        from signver_keras.gallery.document_questions import find_documents

        return find_documents(self, person_id, folder, **kwargs)
