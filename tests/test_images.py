"""Every image input goes through signver_keras.images: accepted types and clear errors."""

import io

import numpy as np
import pytest
from PIL import Image

import signver_keras as sv
from signver_keras import images
from signver_keras.images import load_image, load_images


def test_path_pil_and_array_give_the_same_gray(tmp_path, scribbles):
    gray = scribbles[0]
    Image.fromarray(gray).save(tmp_path / "a.png")
    assert np.array_equal(load_image(tmp_path / "a.png"), gray)
    assert np.array_equal(load_image(str(tmp_path / "a.png")), gray)
    assert np.array_equal(load_image(Image.fromarray(gray)), gray)
    assert np.array_equal(load_image(gray / 255.0), gray)
    assert np.array_equal(load_image(gray[..., None]), gray)


def test_color_alpha_palette_16bit_and_cmyk_become_8bit_gray():
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent: composited on white paper
    assert load_image(rgba).min() == 255
    assert load_image(Image.new("P", (8, 8), 3)).shape == (8, 8)
    assert load_image(Image.new("CMYK", (8, 8), (0, 0, 0, 255))).max() < 10
    sixteen = np.full((4, 4), 65535, np.uint16)
    assert load_image(sixteen).min() == 255
    assert load_image(Image.fromarray(np.full((4, 4), 32768, np.uint16))).max() == 128


def test_batches_are_lists_or_4d_arrays(scribbles):
    assert len(load_images(scribbles[:3])) == 3
    assert len(load_images(np.stack([scribbles[0], scribbles[0]])[..., None])) == 2
    assert len(load_images(scribbles[0])) == 1


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(sv.ImageNotFoundError, match="nope.png"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(FileNotFoundError):
        load_image(tmp_path / "nope.png")


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"not an image at all", "not a readable image")],
)
def test_empty_and_corrupt_files(tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(sv.InvalidImageError, match=message):
        load_image(path)


def test_truncated_file_is_reported_as_corrupt(tmp_path, scribbles):
    buffer = io.BytesIO()
    Image.fromarray(scribbles[0]).save(buffer, format="PNG")
    path = tmp_path / "truncated.png"
    path.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(sv.InvalidImageError, match="truncated.png"):
        load_image(path)


def test_huge_image_is_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 10_000)
    Image.new("L", (200, 200), 255).save(tmp_path / "big.png")
    with pytest.raises(sv.ImageTooLargeError, match="40,000 pixels"):
        load_image(tmp_path / "big.png")


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((0, 5), np.uint8), "empty"),
        (np.zeros((5, 5, 2), np.uint8), "shape"),
        (np.zeros((3, 20, 20), np.uint8), "channels-first"),
        (np.full((5, 5), 2.0), r"\[0, 1\]"),
        (np.full((5, 5), np.nan), "NaN"),
        (np.full((5, 5), 300, np.int32), r"\[0, 255\]"),
        (np.array([["a"]]), "dtype"),
    ],
)
def test_bad_arrays(array, message):
    with pytest.raises(sv.InvalidImageError, match=message):
        load_image(array)


def test_wrong_types_and_empty_batches():
    with pytest.raises(sv.InvalidImageError, match="Expected an image path"):
        load_image(42)
    with pytest.raises(sv.InvalidImageError, match="empty list"):
        load_images([])


def test_load_document_pages_reads_an_image_as_one_page(tmp_path, scribbles):
    Image.fromarray(scribbles[0]).save(tmp_path / "page.png")
    [page] = images.load_document_pages(tmp_path / "page.png")
    assert np.array_equal(page, scribbles[0])


def test_load_document_pages_renders_pdf_pages(tmp_path, scribbles):
    pytest.importorskip("pypdfium2")
    Image.fromarray(scribbles[0]).save(
        tmp_path / "doc.pdf", save_all=True, append_images=[Image.fromarray(scribbles[1])]
    )
    pages = images.load_document_pages(tmp_path / "doc.pdf", dpi=72)
    assert len(pages) == 2 and pages[0].dtype == np.uint8
    (tmp_path / "bad.pdf").write_bytes(b"hello")
    with pytest.raises(sv.InvalidImageError, match="is not a PDF"):
        images.load_document_pages(tmp_path / "bad.pdf")


def test_pillow_decompression_bomb_is_image_too_large(tmp_path):
    Image.new("1", (20000, 20000), 1).save(tmp_path / "huge.png")
    with pytest.raises(sv.ImageTooLargeError):
        load_image(tmp_path / "huge.png")


@pytest.mark.parametrize(
    ("size", "message"), [((1, 1), "too small"), ((5, 200), "too small"), ((7, 7), "8x8")]
)
def test_images_too_small_for_a_signature_name_the_file(tmp_path, size, message):
    path = tmp_path / "tiny.png"
    Image.fromarray(np.zeros(size, np.uint8)).save(path)
    assert load_image(path).shape == size  # an image, just not a signature
    with pytest.raises(sv.InvalidImageError, match=message) as info:
        images.load_signature(path)
    assert "tiny.png" in str(info.value)


def test_blank_crop_has_no_ink(tmp_path, scribbles):
    path = tmp_path / "blank.png"
    noise = np.random.default_rng(0).integers(240, 240 + images.MIN_INK_CONTRAST - 1, (60, 120))
    Image.fromarray(noise.astype(np.uint8)).save(path)
    with pytest.raises(sv.InvalidImageError, match="no ink") as info:
        images.load_signatures([scribbles[0], path])
    assert "blank.png" in str(info.value)
    assert images.load_signature(scribbles[0]).shape == scribbles[0].shape


def test_signature_checks_guard_the_extractor_and_verifier(tiny_extractor, scribbles):
    blank = np.full((40, 80), 255, np.uint8)
    with pytest.raises(sv.InvalidImageError, match="no ink"):
        tiny_extractor.embed(blank)
    with pytest.raises(sv.InvalidImageError, match="too small"):
        sv.SignatureVerifier(tiny_extractor).verify(np.zeros((1, 1), np.uint8), scribbles[:2])
    # Crops already checked (or cut by a detector) can skip the check.
    assert tiny_extractor.embed(blank, check_input=False).shape[0] == 1


def test_check_image_file_reads_only_the_header(tmp_path, scribbles):
    path = tmp_path / "page.png"
    Image.fromarray(scribbles[0]).save(path)
    images.check_image_file(path)
    with pytest.raises(sv.ImageNotFoundError, match="nope.png"):
        images.check_image_file(tmp_path / "nope.png")
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(sv.InvalidImageError, match="not a readable image"):
        images.check_image_file(tmp_path / "text.png")
