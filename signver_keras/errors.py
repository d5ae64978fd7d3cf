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
