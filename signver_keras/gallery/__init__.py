"""Enrollment gallery: durable reference store, 1:N search, document questions."""

from signver_keras.gallery.document_questions import (
    DocumentMatch,
    SignatureOnPage,
    SignerReport,
)
from signver_keras.gallery.signature_gallery import (
    GalleryVerification,
    Match,
    Person,
    Reference,
    SignatureGallery,
)

__all__ = [
    "DocumentMatch",
    "GalleryVerification",
    "Match",
    "Person",
    "Reference",
    "SignatureGallery",
    "SignatureOnPage",
    "SignerReport",
]
