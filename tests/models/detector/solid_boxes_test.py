import numpy as np
from PIL import Image, ImageDraw

from signver_keras.evaluation.detection import pairwise_iou
from signver_keras.models.detector.solid_boxes import fit_solid_boxes, fit_to_solid_region

CLASS_NAMES = ("signature", "initials", "redaction", "date")


def tilted_bar_page() -> tuple[np.ndarray, np.ndarray]:
    """A page with text lines and a 400 x 30 px bar tilted by 5 degrees; and the bar's extent."""
    page = Image.new("L", (800, 400), 225)
    draw = ImageDraw.Draw(page)
    for y in range(40, 380, 24):  # lines of "text" crossing the bar's surroundings
        draw.line([(20, y), (780, y)], fill=40, width=2)
    angle = np.deg2rad(5)
    center = np.array([400.0, 200.0])
    along = np.array([np.cos(angle), np.sin(angle)])
    across = np.array([-np.sin(angle), np.cos(angle)])
    corners = [center + sx * 200 * along + sy * 15 * across for sx in (-1, 1) for sy in (-1, 1)]
    corners = np.array([corners[0], corners[1], corners[3], corners[2]])
    draw.polygon([tuple(c) for c in corners], fill=10)
    extent = np.concatenate([corners.min(0), corners.max(0)])
    return np.asarray(page), extent


def iou(a, b) -> float:
    return float(pairwise_iou(a, b)[0, 0])


def test_a_box_as_thin_as_a_tilted_bar_grows_to_the_bar():
    gray, extent = tilted_bar_page()
    thin = np.array([210, 185, 590, 215], np.float32)  # the bar's thickness, not its extent
    assert iou(thin, extent) < 0.5
    fitted = fit_to_solid_region(gray, thin)
    assert iou(fitted, extent) > 0.9


def test_boxes_over_text_paper_or_a_block_taller_than_a_bar_are_kept():
    gray, _ = tilted_bar_page()
    over_text = np.array([40, 30, 160, 70], np.float32)  # only thin lines there
    np.testing.assert_array_equal(fit_to_solid_region(gray, over_text), over_text)
    block = np.full((400, 400), 230, np.uint8)
    block[50:350, 50:350] = 10  # a black logo block, much taller than the box
    inside_block = np.array([150, 60, 250, 80], np.float32)  # near its top edge
    np.testing.assert_array_equal(fit_to_solid_region(block, inside_block), inside_block)
    blank = np.full((100, 100), 230, np.uint8)
    np.testing.assert_array_equal(fit_to_solid_region(blank, [10, 10, 50, 30]), [10, 10, 50, 30])


def test_only_redaction_boxes_are_fitted():
    gray, extent = tilted_bar_page()
    thin = [210, 185, 590, 215]
    boxes = np.array([thin, thin, thin], np.float32)
    fitted = fit_solid_boxes(gray, boxes, np.array([0, 2, 3]), CLASS_NAMES)
    np.testing.assert_array_equal(fitted[[0, 2]], boxes[[0, 2]])
    assert iou(fitted[1], extent) > 0.9
    np.testing.assert_array_equal(boxes[1], thin)  # the caller's array is left alone
