"""One place where every image entering signver-keras is loaded and checked.

All model families, the CLI and the gallery call `load_image` / `load_images`
first, so every input type (path, PIL image, numpy array) and every bad input
gets the same treatment and the same error messages.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from signver_keras.errors import ImageNotFoundError, ImageTooLargeError, InvalidImageError

ImageInput = str | os.PathLike | Image.Image | np.ndarray

#: Largest image accepted, in pixels (about 13000 x 13000). A 600 dpi A3 scan is
#: about 50 MP; anything much larger is more likely a decompression bomb.
MAX_PIXELS = 170_000_000

#: Shortest side, in pixels, of an image used as a signature (a crop to verify,
#: embed, clean or enroll); smaller images cannot hold a readable signature.
MIN_SIGNATURE_SIDE = 8

#: An image used as a signature whose gray levels span less than this (darkest to
#: lightest, of 255) holds no ink: a blank crop.
MIN_INK_CONTRAST = 16


def _describe(image: object) -> str:
    if isinstance(image, (str, os.PathLike)):
        return f"'{os.fspath(image)}'"
    if isinstance(image, Image.Image):
        return f"PIL image ({image.mode}, {image.width}x{image.height})"
    if isinstance(image, np.ndarray):
        return f"array of shape {image.shape} and dtype {image.dtype}"
    return type(image).__name__


def _check_pixel_count(width: int, height: int, source: str, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise InvalidImageError(f"Image {source} is empty: it has size {width}x{height}.")
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"Image {source} has {width}x{height} = {width * height:,} pixels, more than the "
            f"limit of {max_pixels:,}. Downscale it first, or raise "
            "`signver_keras.images.MAX_PIXELS` if you trust the file."
        )


def _pil_to_gray(image: Image.Image, source: str) -> np.ndarray:
    """Converts any PIL mode to 8-bit grayscale, transparency composited on white."""
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16/32-bit grayscale scans: rescale by the type's range, not by clipping.
        array = np.asarray(image, dtype=np.float64)
        scale = 65535.0 if mode.startswith("I;16") or array.max() > 255 else 255.0
        return np.clip(np.round(array / scale * 255.0), 0, 255).astype(np.uint8)
    if mode == "F":
        return _array_to_gray(np.asarray(image), source)
    if mode == "P":
        image = image.convert("RGBA")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV", "1"):
        image = image.convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image.convert("RGBA"))
    return np.asarray(image.convert("L"), dtype=np.uint8)


def _array_to_gray(array: np.ndarray, source: str) -> np.ndarray:
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    ):
        raise InvalidImageError(
            f"Image {source} has dtype {array.dtype}; expected uint8, or float in [0, 1]."
        )
    if array.ndim == 3 and array.shape[-1] not in (1, 3, 4) and array.shape[0] in (1, 3, 4):
        raise InvalidImageError(
            f"Image {source} looks channels-first; expected HxW or HxWxC with C in (1, 3, 4). "
            "Transpose it with `array.transpose(1, 2, 0)`."
        )
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (1, 3, 4)):
        raise InvalidImageError(
            f"Image {source} has shape {array.shape}; expected HxW or HxWxC with C in (1, 3, 4)."
        )
    _check_pixel_count(array.shape[1], array.shape[0], source, MAX_PIXELS)
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            raise InvalidImageError(f"Image {source} contains NaN or infinite values.")
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 1.0:
            raise InvalidImageError(
                f"Image {source} is float with values in [{low:.3g}, {high:.3g}]; float images "
                "must lie in [0, 1]. Divide by 255 or pass a uint8 array."
            )
        array = np.round(array * 255.0).astype(np.uint8)
    elif array.dtype == np.uint16:
        array = np.round(array.astype(np.float64) / 65535.0 * 255.0).astype(np.uint8)
    elif array.dtype != np.uint8:
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > 255:
            raise InvalidImageError(
                f"Image {source} is {array.dtype} with values in [{low}, {high}]; integer "
                "images must lie in [0, 255] (or be uint16)."
            )
        array = array.astype(np.uint8)
    if array.ndim == 2:
        return np.ascontiguousarray(array)
    channels = array.shape[-1]
    if channels == 1:
        return np.ascontiguousarray(array[..., 0])
    mode = "RGBA" if channels == 4 else "RGB"
    return _pil_to_gray(Image.fromarray(np.ascontiguousarray(array), mode), source)


def _check_file(path: Path, source: str) -> None:
    """A missing, folder or empty path, named before anything tries to decode it."""
    if not path.exists():
        raise ImageNotFoundError(f"Image file {source} does not exist.")
    if path.is_dir():
        raise InvalidImageError(f"Image path {source} is a folder, not an image file.")
    if path.stat().st_size == 0:
        raise InvalidImageError(f"Image file {source} is empty (0 bytes).")


def _open_path(path: Path, max_pixels: int) -> np.ndarray:
    source = f"'{path}'"
    _check_file(path, source)
    try:
        with warnings.catch_warnings():
            # We enforce our own pixel limit below with a clearer message.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                _check_pixel_count(image.width, image.height, source, max_pixels)
                image.load()
                return _pil_to_gray(image, source)
    except Image.DecompressionBombError as error:
        # Pillow refuses images over twice its own limit before we can count pixels.
        raise ImageTooLargeError(
            f"Image file {source} is too large to open safely ({error}). Downscale it first, "
            "or raise `signver_keras.images.MAX_PIXELS` if you trust the file."
        ) from error
    except UnidentifiedImageError as error:
        raise InvalidImageError(
            f"Image file {source} is not a readable image ({error})."
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, InvalidImageError):
            raise
        raise InvalidImageError(
            f"Image file {source} is corrupt or truncated ({error})."
        ) from error


def check_image_file(path: str | os.PathLike) -> None:
    """Checks that `path` is an image file Pillow recognises, reading only its header.

    A fast check for commands that read large pages later (after loading a
    model): the same errors as `load_image`, without decoding the pixels.
    """
    path = Path(path)
    source = f"'{path}'"
    _check_file(path, source)
    try:
        with Image.open(path):
            pass
    except (UnidentifiedImageError, OSError) as error:
        raise InvalidImageError(
            f"Image file {source} is not a readable image ({error})."
        ) from error


def load_image(image: ImageInput, max_pixels: int | None = None) -> np.ndarray:
    """Loads one image as an 8-bit grayscale array of shape (H, W).

    Args:
        image: a path (str or `os.PathLike`), a PIL image, or a numpy array of
            shape (H, W) or (H, W, C) with C in 1, 3, 4; uint8 (or uint16, or
            integers in [0, 255]), bool, or float in [0, 1]. Transparent pixels
            are composited on white; 16-bit scans are rescaled, not clipped.
        max_pixels: int. Largest accepted image; defaults to `MAX_PIXELS`.

    Returns:
        A C-contiguous `uint8` array of shape (H, W).

    Raises:
        ImageNotFoundError: the path does not exist.
        InvalidImageError: unreadable, corrupt, empty, wrong type, dtype, shape or range.
        ImageTooLargeError: more pixels than `max_pixels`.

    Example:
    ```python
    from signver_keras.images import load_image
    gray = load_image("cheque.png")  # (H, W) uint8
    ```
    """
    limit = MAX_PIXELS if max_pixels is None else max_pixels
    if isinstance(image, (str, os.PathLike)):
        return _open_path(Path(image), limit)
    if isinstance(image, Image.Image):
        source = f"PIL image ({image.mode}, {image.width}x{image.height})"
        _check_pixel_count(image.width, image.height, source, limit)
        return _pil_to_gray(image, source)
    if isinstance(image, np.ndarray):
        return _array_to_gray(image, _describe(image))
    raise InvalidImageError(
        f"Expected an image path, a PIL image or a numpy array; received {_describe(image)}."
    )


def check_signature(gray: np.ndarray, source: str) -> np.ndarray:
    """Refuses a loaded (H, W) uint8 image that cannot be a signature; returns it unchanged.

    Raises `InvalidImageError` naming `source` when a side is shorter than
    `MIN_SIGNATURE_SIDE` pixels or the image has no ink (gray levels spanning less
    than `MIN_INK_CONTRAST`).
    """
    height, width = gray.shape[:2]
    if min(height, width) < MIN_SIGNATURE_SIDE:
        raise InvalidImageError(
            f"Image {source} is too small to hold a signature: {width}x{height} pixels; "
            f"expected at least {MIN_SIGNATURE_SIDE}x{MIN_SIGNATURE_SIDE}."
        )
    darkest, lightest = int(gray.min()), int(gray.max())
    if lightest - darkest < MIN_INK_CONTRAST:
        raise InvalidImageError(
            f"Image {source} has no ink: its gray levels only span {darkest}..{lightest}, "
            f"expected a contrast of at least {MIN_INK_CONTRAST} (is it a blank crop?)."
        )
    return gray


def load_signature(image: ImageInput) -> np.ndarray:
    """`load_image`, then `check_signature`: an (H, W) uint8 image fit to be a signature.

    Example:
    ```python
    from signver_keras.images import load_signature
    gray = load_signature("query.png")  # InvalidImageError if tiny or blank
    ```
    """
    return check_signature(load_image(image), _describe(image))


def is_single_image(images: object) -> bool:
    """Tells one image from a batch: a list/tuple is a batch, a 4-D array is a batch."""
    if isinstance(images, np.ndarray):
        return images.ndim < 4
    return not (isinstance(images, Sequence) and not isinstance(images, (str, bytes)))


def load_images(images: ImageInput | Sequence[ImageInput]) -> list[np.ndarray]:
    """Loads one image or a batch of images as a list of (H, W) uint8 arrays.

    A list, a tuple or a 4-D array (N, H, W, C) is a batch; anything else is
    one image. An empty batch raises `InvalidImageError`.
    """
    if is_single_image(images):
        return [load_image(images)]
    batch = list(images)
    if not batch:
        raise InvalidImageError("Received an empty list of images; pass at least one image.")
    return [load_image(image) for image in batch]


def load_signatures(images: ImageInput | Sequence[ImageInput]) -> list[np.ndarray]:
    """`load_images` for signatures: each one also passes `check_signature`."""
    if is_single_image(images):
        return [load_signature(images)]
    batch = list(images)
    if not batch:
        raise InvalidImageError("Received an empty list of images; pass at least one image.")
    return [load_signature(image) for image in batch]


#: File suffixes read by `load_document_pages` as PDF documents.
PDF_SUFFIXES = (".pdf",)


def _render_pdf(path: Path, dpi: float, max_pages: int | None, max_pixels: int) -> list[np.ndarray]:
    try:
        import pypdfium2 as pdfium
    except ImportError as error:
        raise ImportError(
            "Reading PDF pages needs pypdfium2: pip install 'signver-keras[ui]' (or pypdfium2)."
        ) from error
    source = f"'{path}'"
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        with open(path, "rb") as file:
            is_pdf = file.read(5) == b"%PDF-"
        # PDFium refuses a well-formed PDF whose page tree is empty, as it does a damaged one.
        reason = "has no pages, or is damaged" if is_pdf else "is not a PDF"
        raise InvalidImageError(f"PDF file {source} {reason} ({error}).") from error
    try:
        if len(document) == 0:
            raise InvalidImageError(f"PDF file {source} has no pages.")
        scale = dpi / 72.0
        pages = []
        for index in range(min(len(document), max_pages or len(document))):
            page = document[index]
            width, height = page.get_size()
            _check_pixel_count(
                round(width * scale),
                round(height * scale),
                f"{source} page {index + 1}",
                max_pixels,
            )
            pages.append(np.asarray(page.render(scale=scale, grayscale=True).to_pil().convert("L")))
        return pages
    finally:
        document.close()


def load_document_pages(
    document: ImageInput,
    dpi: float = 150.0,
    max_pages: int | None = None,
    max_pixels: int | None = None,
) -> list[np.ndarray]:
    """Loads a document as a list of 8-bit grayscale pages.

    A path ending in `.pdf` is rendered page by page with pypdfium2 (optional:
    `pip install 'signver-keras[ui]'`); anything else is one page read by
    `load_image`.

    Args:
        document: a path (image or PDF), a PIL image or a numpy array.
        dpi: float. Resolution PDF pages are rendered at. Defaults to 150.
        max_pages: int or None. Render at most this many PDF pages.
        max_pixels: int or None. Largest page accepted; defaults to `MAX_PIXELS`.

    Raises:
        InvalidImageError: a corrupt PDF, or a PDF with no pages (and every
            error of `load_image`).
        ImportError: a PDF without pypdfium2 installed.

    Example:
    ```python
    from signver_keras.images import load_document_pages
    pages = load_document_pages("contract.pdf")  # [(H, W) uint8, ...]
    ```
    """
    limit = MAX_PIXELS if max_pixels is None else max_pixels
    if isinstance(document, (str, os.PathLike)) and Path(document).suffix.lower() in PDF_SUFFIXES:
        path = Path(document)
        if not path.exists():
            raise ImageNotFoundError(f"PDF file '{path}' does not exist.")
        if path.stat().st_size == 0:
            raise InvalidImageError(f"PDF file '{path}' is empty (0 bytes).")
        return _render_pdf(path, dpi, max_pages, limit)
    return [load_image(document, max_pixels=limit)]
