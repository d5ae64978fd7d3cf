"""Questions about documents answered with a gallery: who signed this page, where does a
person's signature appear.

Both use the pipeline's detector through `SignatureVerifier.find_signatures`
(any object with the detector's `detect()` contract works: it returns, per
page, a dict with `boxes` (N, 4) xyxy pixels, `scores`, `labels` and `names`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from signver_keras.errors import GalleryError, ImageNotFoundError, InvalidImageError
from signver_keras.images import ImageInput

DOCUMENT_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


@dataclass(frozen=True)
class SignatureOnPage:
    """One signature found on a page and who signed it.

    `person_id` is the best-scoring enrolled person whose verification accepts
    the signature, or None when nobody enrolled matches; `candidates` lists
    the verifications considered (the top identify results and every expected
    signer), best score first.
    """

    box: list[float]
    detection_score: float
    person_id: str | None
    score: float
    accepted: bool
    candidates: list = field(repr=False, default_factory=list)


@dataclass(frozen=True)
class SignerReport:
    """Who signed where on one page.

    `signatures` has one entry per detected signature; `signed` maps each
    recognised person to the indices of their signatures; `missing` lists the
    expected signers with no accepted signature; `unknown` the indices of the
    signatures that match nobody enrolled.
    """

    document: str
    signatures: list[SignatureOnPage]
    signed: dict[str, list[int]]
    missing: list[str]
    unknown: list[int]

    def to_dict(self) -> dict:
        return {
            "document": self.document,
            "signatures": [
                {
                    "box": [round(v, 1) for v in s.box],
                    "detection_score": round(s.detection_score, 4),
                    "person_id": s.person_id,
                    "score": round(s.score, 4),
                    "accepted": s.accepted,
                }
                for s in self.signatures
            ],
            "signed": self.signed,
            "missing": self.missing,
            "unknown": self.unknown,
        }


@dataclass(frozen=True)
class DocumentMatch:
    """A page where a person's signature was found: the box, its score and threshold."""

    document: str
    box: list[float]
    score: float
    threshold: float


def _require_detector(gallery) -> None:
    if gallery.verifier is None or gallery.verifier.detector is None:
        raise GalleryError(
            "Document questions need a detector: open the gallery with "
            "SignatureGallery(path, verifier=sv.SignatureVerifier.from_preset('signver_base'))."
        )


def _document_name(document: ImageInput) -> str:
    if isinstance(document, (str, os.PathLike)):
        return os.fspath(document)
    return f"<{type(document).__name__}>"


def signer_report(
    gallery,
    document: ImageInput,
    expected: Sequence[str] = (),
    k: int = 5,
    score_threshold: float | None = None,
) -> SignerReport:
    """Detects the signatures on a page and says who signed each one.

    Each signature is verified against its top-`k` identify candidates and
    against every expected signer (by `gallery.verify`'s rule, writer-dependent
    thresholds included); its signer is the best-scoring accepted candidate.

    Args:
        gallery: a `SignatureGallery` opened with a verifier that has a detector.
        document: the page (path, PIL image or array).
        expected: person ids who should have signed.
        k: int. Identify candidates checked per signature.
        score_threshold: float or None. Detector score threshold (None: preset's).

    Raises:
        PersonNotFoundError: an expected person is not enrolled.
    """
    _require_detector(gallery)
    expected = list(dict.fromkeys(expected))
    for person in expected:
        if person not in gallery:
            from signver_keras.errors import PersonNotFoundError

            raise PersonNotFoundError(f"Expected signer '{person}' is not enrolled in {gallery}.")
    found = gallery.verifier.find_signatures(document, score_threshold=score_threshold)
    signatures: list[SignatureOnPage] = []
    for position in range(len(found)):
        query = found.embeddings[position : position + 1]
        names = [m.person_id for m in gallery.identify(query[0], k=k)]
        candidates = sorted(
            (gallery.verify(person, query[0]) for person in dict.fromkeys(names + expected)),
            key=lambda v: v.score,
            reverse=True,
        )
        accepted = [c for c in candidates if c.accepted]
        best = accepted[0] if accepted else (candidates[0] if candidates else None)
        signatures.append(
            SignatureOnPage(
                box=[float(v) for v in found.boxes[position]],
                detection_score=float(found.scores[position]),
                person_id=best.person_id if best is not None and best.accepted else None,
                score=float(best.score) if best is not None else float("nan"),
                accepted=bool(best is not None and best.accepted),
                candidates=candidates,
            )
        )
    signed: dict[str, list[int]] = {}
    for position, signature in enumerate(signatures):
        if signature.person_id is not None:
            signed.setdefault(signature.person_id, []).append(position)
    return SignerReport(
        document=_document_name(document),
        signatures=signatures,
        signed=signed,
        missing=[person for person in expected if person not in signed],
        unknown=[i for i, s in enumerate(signatures) if s.person_id is None],
    )


def find_documents(
    gallery,
    person_id: str,
    folder: str | os.PathLike,
    suffixes: Sequence[str] = DOCUMENT_SUFFIXES,
    recursive: bool = True,
    score_threshold: float | None = None,
) -> list[DocumentMatch]:
    """Every page image in `folder` with a signature that `gallery.verify` accepts as
    `person_id`'s, one `DocumentMatch` per accepted signature, in path order.

    Files that are not readable images are skipped with a warning.
    """
    _require_detector(gallery)
    if person_id not in gallery:
        from signver_keras.errors import PersonNotFoundError

        raise PersonNotFoundError(f"No person '{person_id}' in {gallery}.")
    root = Path(folder)
    if not root.is_dir():
        raise ImageNotFoundError(f"Folder '{root}' does not exist or is not a folder.")
    pattern = "**/*" if recursive else "*"
    pages = sorted(p for p in root.glob(pattern) if p.is_file() and p.suffix.lower() in suffixes)
    matches: list[DocumentMatch] = []
    for page in pages:
        try:
            found = gallery.verifier.find_signatures(page, score_threshold=score_threshold)
        except (InvalidImageError, ImageNotFoundError) as error:
            warnings.warn(f"Skipping {page}: {error}", stacklevel=2)
            continue
        for position in range(len(found)):
            result = gallery.verify(person_id, np.asarray(found.embeddings[position]))
            if result.accepted:
                matches.append(
                    DocumentMatch(
                        str(page),
                        [float(v) for v in found.boxes[position]],
                        result.score,
                        result.threshold,
                    )
                )
    return matches
