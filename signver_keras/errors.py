"""Exception types raised by signver-keras.

Every error derives from `SignverError` and from the closest built-in type, so
`except ValueError` and `except FileNotFoundError` keep working for callers who
do not know this library.
"""


class SignverError(Exception):
    """Base class of every error raised on purpose by signver-keras."""


class ImageNotFoundError(SignverError, FileNotFoundError):
    """An image path does not exist."""


class InvalidImageError(SignverError, ValueError):
    """An image cannot be used: corrupt, empty, wrong type, shape or range."""


class ImageTooLargeError(InvalidImageError):
    """An image has more pixels than the configured limit (decompression bomb guard)."""


class PresetNotFoundError(SignverError, ValueError):
    """A preset name is neither bundled, a local folder, nor a Hub handle."""


class HubUnavailableError(SignverError, ConnectionError):
    """The model hub could not be reached while loading or uploading a preset."""


class EmptyReferencesError(SignverError, ValueError):
    """Verification was asked for with no reference signatures."""


class EmbeddingMismatchError(SignverError, ValueError):
    """Embeddings from different extractors (or of different sizes) were mixed."""


class DatasetNotFoundError(SignverError, FileNotFoundError):
    """A dataset folder or annotation file is missing."""


class AnnotationFormatError(SignverError, ValueError):
    """An annotation file (YOLO, COCO, Pascal VOC) is malformed or inconsistent.

    `path` and `line` (1-based; `None` where the format has no lines, e.g. JSON)
    say where the problem is, and are also part of the message.
    """

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
        self.path = path
        self.line = line


class GalleryError(SignverError, ValueError):
    """A gallery cannot be opened or changed as asked (base of the gallery errors)."""


class GalleryNotFoundError(GalleryError, FileNotFoundError):
    """A gallery was to be read but does not exist (reading never creates one)."""


class NotAGalleryError(GalleryError):
    """A database exists but is not a signver-keras gallery (or the file is not a database)."""


class GallerySchemaError(GalleryError):
    """A gallery's schema version is unknown to this version of signver-keras."""


class PersonNotFoundError(GalleryError, LookupError):
    """No person with this id is enrolled in the gallery."""


class DuplicateReferenceError(GalleryError):
    """The same image (same pixels) was enrolled twice for the same person."""


class GalleryExtractorMismatchError(EmbeddingMismatchError, GalleryError):
    """The gallery's embeddings come from another extractor; run `reembed()` first."""
