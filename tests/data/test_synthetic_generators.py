"""Degradations, page elements, synthetic pages and cleaning pairs: determinism and box geometry."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from signver_keras.data.collections.detection_formats import read_coco, read_yolo
from signver_keras.data.paths import data_root
from signver_keras.data.synthetic import degradations as D
from signver_keras.data.synthetic import page_elements as E
from signver_keras.data.synthetic.cleaning_pairs import contact_sheet as pairs_sheet
from signver_keras.data.synthetic.cleaning_pairs import make_pair
from signver_keras.data.synthetic.synthetic_documents import (
    ALL_LAYOUTS,
    CLASS_NAMES,
    contact_sheet,
    generate_page,
    generate_pages,
)


def _rect_page():
    page = np.full((300, 400), 255, np.uint8)
    page[100:160, 120:260] = 0
    return page, np.array([[120, 100, 260, 160]], np.float32)


def _ink_box(image, level=128):
    ys, xs = np.nonzero(image < level)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


@pytest.mark.parametrize("transform", ["perspective", "rotate"])
def test_filled_rectangle_box_follows_geometry(transform):
    page, boxes = _rect_page()
    rng = np.random.default_rng(3)
    if transform == "perspective":
        out, moved = D.perspective_warp(page, rng, boxes=boxes, strength=0.08, background=255)
    else:
        out, moved = D.rotate(page, rng, angle=7.0, boxes=boxes)
    assert out.shape == page.shape and out.dtype == np.uint8
    np.testing.assert_allclose(moved[0], _ink_box(out), atol=1.5)


def test_label_map_boxes_are_tight_after_warp():
    page, _ = _rect_page()
    label_map = (page == 0).astype(np.uint8)
    matrix = D.random_perspective_matrix(np.random.default_rng(1), page.shape, strength=0.08)
    warped = D.warp_label_map(label_map, matrix)
    np.testing.assert_allclose(
        D.boxes_from_label_map(warped, 1)[0], _ink_box(D.warp(page, matrix)), atol=1.0
    )


@pytest.mark.parametrize(
    "name",
    [
        "gaussian_noise",
        "blur",
        "jpeg_artifacts",
        "contrast_brightness",
        "uneven_illumination",
        "photocopy_speckle",
        "binarize",
        "paper_texture",
    ],
)
def test_photometric_degradations_are_deterministic(name):
    page, _ = _rect_page()
    function = getattr(D, name)
    a = function(page, np.random.default_rng(5))
    b = function(page, np.random.default_rng(5))
    assert a.shape == page.shape and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("method", D.BINARIZATION_METHODS)
def test_binarize_methods_give_black_and_white(method):
    out = D.binarize(_rect_page()[0], np.random.default_rng(0), method)
    assert set(np.unique(out)) <= {0, 255}


def test_degradations_reject_wrong_input():
    with pytest.raises(ValueError, match=r"uint8 grayscale array of shape \(H, W\)"):
        D.blur(np.zeros((4, 4, 3), np.uint8), np.random.default_rng(0))


def test_every_font_kind_ships_with_the_package():
    for kind in E.FONT_KINDS:
        fonts = E.find_fonts(kind)
        assert fonts and all(path.is_relative_to(E.FONT_DIR) for path in fonts), kind
        assert E.get_font(kind, 20).getlength("Ab") > 0
    # Each family travels with its licence.
    for font in E.FONT_DIR.rglob("*.[ot]tf"):
        assert (font.parent / "LICENSE").is_file(), font


def test_fallback_font_without_shipped_fonts(monkeypatch):
    monkeypatch.setattr(E, "find_fonts", lambda kind: [])
    font = E.get_font("script", 20)
    ink = E.handwritten_initials(np.random.default_rng(0), 30)
    assert font is not None and ink.max() > 0.5


def test_handwriting_patches_are_tight_and_deterministic():
    for make in (E.synthetic_signature, E.handwritten_initials):
        a, b = make(np.random.default_rng(9)), make(np.random.default_rng(9))
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.float32 and 0 <= a.min() and a.max() <= 1
        for edge in (a[0], a[-1], a[:, 0], a[:, -1]):
            assert edge.max() > 0.05  # cropped tight: ink on every border
    ink, text = E.handwritten_date(np.random.default_rng(2))
    assert ink.size and any(ch.isdigit() for ch in text)


@pytest.mark.parametrize("layout", ALL_LAYOUTS)
def test_generate_page_is_deterministic_with_valid_boxes(layout):
    a = generate_page(11, layout=layout)
    b = generate_page(11, layout=layout)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    # Scans are grayscale; photos are RGB so the ink colour survives.
    assert a.image.shape == ((1100, 850, 3) if a.photographed else (1100, 850))
    assert a.image.dtype == np.uint8
    assert a.boxes.dtype == np.float32 and a.labels.dtype == np.int32
    assert 0 in a.labels.tolist()  # every layout signs
    assert np.all(a.boxes[:, 2:] > a.boxes[:, :2])
    assert np.all(a.boxes >= 0) and np.all(a.boxes[:, [2, 3]] <= [850, 1100])
    assert set(a.labels.tolist()) <= set(range(len(CLASS_NAMES)))


def test_signing_pages_stack_large_signatures_one_box_each():
    pages = [generate_page(seed, layout="signing_page", photographed=False) for seed in range(8)]
    for page in pages:
        signatures = page.boxes[page.labels == 0]
        assert len(signatures) >= 2 and set(page.labels.tolist()) == {0}
        # Stacked down the page: no two signatures share a row band.
        tops = np.sort(signatures[:, 1])
        assert np.all(np.diff(tops) > 0)
    # Large, as on real signing pages: the widest span over a third of the page.
    widths = np.concatenate([p.boxes[:, 2] - p.boxes[:, 0] for p in pages])
    assert widths.max() > 0.35 * 850


def test_boxes_are_tight_around_ink():
    # Every box edge should touch dark pixels: a loose box would have a blank border.
    page = generate_page(4, layout="letter", photographed=False)
    for box in page.boxes.astype(int):
        x1, y1, x2, y2 = box
        crop = page.image[y1:y2, x1:x2]
        background = np.median(page.image)
        dark = crop < background - 40
        assert dark[:3].any() and dark[-3:].any() and dark[:, :3].any() and dark[:, -3:].any()


def test_photographed_page_and_pool(tmp_path):
    rng = np.random.default_rng(0)
    pool = [(255 - 200 * E.synthetic_signature(rng, 80)).astype(np.uint8) for _ in range(2)]
    page = generate_page(2, size=(700, 540), signature_pool=pool, photographed=True)
    assert page.photographed and page.image.shape == (700, 540, 3)
    assert 0 in page.labels.tolist()
    assert generate_page(2, size=(700, 540), signature_pool=pool).image.shape[:2] == (700, 540)


def test_generate_pages_writes_yolo_and_coco(tmp_path):
    records = generate_pages(2, seed=1, out_dir=tmp_path, size=(550, 425))
    back = read_yolo(tmp_path, num_classes=len(CLASS_NAMES))
    coco, names = read_coco(tmp_path / "annotations.coco.json")
    assert names == CLASS_NAMES and len(back) == len(coco) == 2
    for record, yolo, json_record in zip(records, back, coco, strict=True):
        np.testing.assert_allclose(record.boxes, yolo.boxes, atol=0.01)
        np.testing.assert_allclose(record.boxes, json_record.boxes, atol=0.01)
    sheet = contact_sheet([generate_page(0, size=(550, 425))], tmp_path / "sheet.png")
    assert Image.open(sheet).size[0] > 0


def test_make_pair_shapes_target_and_determinism(tmp_path):
    ink = E.synthetic_signature(np.random.default_rng(1), 70)
    crop = np.full((ink.shape[0] + 20, ink.shape[1] + 20), 235, np.uint8)
    crop[10:-10, 10:-10] = np.clip(235 - 220 * ink, 0, 255).astype(np.uint8)
    noisy, clean = make_pair(crop, seed=4)
    again = make_pair(crop, seed=4)
    np.testing.assert_array_equal(noisy, again[0])
    assert noisy.shape == clean.shape == crop.shape
    assert noisy.dtype == clean.dtype == np.uint8
    assert clean[0].min() == 255 and clean.min() < 60  # white background, dark ink kept
    assert pairs_sheet([(noisy, clean)], tmp_path / "pairs.png").exists()
    with pytest.raises(ValueError, match="uint8 grayscale"):
        make_pair(crop.astype(np.float32), seed=0)


def test_data_root_env_override(monkeypatch, tmp_path):
    monkeypatch.setenv("SIGNVER_DATA", str(tmp_path))
    assert data_root() == tmp_path
    monkeypatch.delenv("SIGNVER_DATA")
    assert data_root().parts[-2:] == ("shared", "data")


def test_some_cleaning_pairs_carry_faint_ink_with_a_dark_target():
    """Faint, grainy ink (pencil) must appear in training pairs, or the cleaner erases it."""
    ink = E.synthetic_signature(np.random.default_rng(3), 120)
    crop = np.clip(255 - 255 * ink, 0, 255).astype(np.uint8)
    faint = 0
    for seed in range(40):
        noisy, clean = make_pair(crop, seed)
        stroke = clean < 100
        paper = np.median(noisy[clean == 255])
        contrast = (paper - np.median(noisy[stroke])) / (255.0 - np.median(clean[stroke]))
        faint += contrast < 0.5
    assert 4 <= faint <= 24, faint
