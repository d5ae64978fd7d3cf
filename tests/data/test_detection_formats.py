"""YOLO / COCO / VOC round trips, the real tobacco800 layout, and bad-input errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from signver_keras.data.collections.detection_formats import (
    DetectionRecord,
    read_coco,
    read_voc,
    read_voc_dir,
    read_yolo,
    write_coco,
    write_voc_dir,
    write_yolo,
    xyxy_to_yolo,
    yolo_to_xyxy,
)
from signver_keras.data.paths import data_root
from signver_keras.errors import AnnotationFormatError, DatasetNotFoundError, SignverError

NAMES = ("signature", "initials", "redaction", "date")


def _dataset(tmp_path, n=3):
    (tmp_path / "images").mkdir()
    records = []
    for i in range(n):
        path = tmp_path / "images" / f"page_{i}.png"
        Image.new("L", (200 + 10 * i, 100), 255).save(path)
        boxes = np.array([[10, 20, 60.5, 40.25], [100, 5, 180, 95]], np.float32)[: i % 3]
        labels = np.array([0, 3], np.int32)[: i % 3]
        records.append(DetectionRecord(str(path), boxes, labels, 200 + 10 * i, 100))
    return records


def _assert_same(a, b, atol):
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert (x.width, x.height) == (y.width, y.height)
        np.testing.assert_array_equal(x.labels, y.labels)
        np.testing.assert_allclose(x.boxes, y.boxes, atol=atol)


def test_yolo_round_trip(tmp_path):
    records = _dataset(tmp_path)
    write_yolo(records, tmp_path, class_names=NAMES)
    assert (tmp_path / "data.yaml").exists()
    _assert_same(records, read_yolo(tmp_path, num_classes=4), atol=1e-3)


def test_coco_round_trip(tmp_path):
    records = _dataset(tmp_path)
    write_coco(records, tmp_path / "ann.json", NAMES)
    back, names = read_coco(tmp_path / "ann.json")
    assert names == NAMES
    assert [r.image_path for r in back] == [r.image_path for r in records]
    _assert_same(records, back, atol=1e-3)


def test_voc_round_trip(tmp_path):
    records = _dataset(tmp_path)
    write_voc_dir(records, tmp_path / "images", NAMES)
    _assert_same(records, read_voc_dir(tmp_path / "images", NAMES), atol=1e-6)


def test_numpy_conversion_matches_keras():
    keras = pytest.importorskip("keras")
    yolo = np.array([[0.5, 0.25, 0.2, 0.1], [0.1, 0.9, 0.05, 0.2]])
    ours = yolo_to_xyxy(yolo, 640, 480)
    theirs = keras.ops.convert_to_numpy(
        keras.utils.bounding_boxes.convert_format(
            yolo.astype("float32"), "rel_center_xywh", "xyxy", height=480, width=640
        )
    )
    np.testing.assert_allclose(ours, theirs, atol=1e-3)
    np.testing.assert_allclose(xyxy_to_yolo(ours, 640, 480), yolo, atol=1e-6)


def test_reads_real_tobacco800_layout():
    root = data_root() / "tobacco800_signatures_valid" / "valid"
    if not root.is_dir():
        pytest.skip(f"tobacco800_signatures_valid not found at {root} (set SIGNVER_DATA).")
    records = read_yolo(root, num_classes=1)
    assert len(records) == 420
    assert sum(len(r) for r in records) == 455
    assert sum(len(r) == 0 for r in records) > 0  # negatives are kept, not dropped
    for record in records[:20]:
        assert (record.width, record.height) == (640, 640)
        assert np.all(record.labels == 0)
        assert np.all(record.boxes[:, 2:] > record.boxes[:, :2])


def test_missing_folder(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        read_yolo(tmp_path / "nope")
    (tmp_path / "images").mkdir()
    with pytest.raises(DatasetNotFoundError, match="labels"):
        read_yolo(tmp_path)


def _write_label(tmp_path, text, stem="page_1"):
    records = _dataset(tmp_path)
    write_yolo(records, tmp_path)
    path = tmp_path / "labels" / f"{stem}.txt"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        ("0 0.5 0.5 0.2\n", "expected 5 fields"),
        ("0 0.5 0.5 0.2 0.1\n0 0.5 x 0.2 0.1\n", "4 numbers"),
        ("a 0.5 0.5 0.2 0.1\n", "non-negative integer"),
        ("7 0.5 0.5 0.2 0.1\n", r"in \[0, 3\]"),
        ("0 0.95 0.5 0.2 0.1\n", "must lie in"),
        ("0 0.5 0.5 0 0.1\n", "width and height"),
    ],
)
def test_malformed_yolo_line_names_file_and_line(tmp_path, text, message):
    path = _write_label(tmp_path, text)
    with pytest.raises(AnnotationFormatError, match=message) as info:
        read_yolo(tmp_path, num_classes=4)
    line = text.count("\n")
    assert info.value.path == str(path) and info.value.line == line
    assert f"{path}:{line}:" in str(info.value)
    assert isinstance(info.value, SignverError) and isinstance(info.value, ValueError)


def test_label_without_image(tmp_path):
    path = _write_label(tmp_path, "0 0.5 0.5 0.2 0.1\n", stem="orphan")
    with pytest.raises(AnnotationFormatError, match="no matching image") as info:
        read_yolo(tmp_path)
    assert info.value.path == str(path)


def test_missing_label_policy(tmp_path):
    records = _dataset(tmp_path)
    write_yolo(records, tmp_path)
    (tmp_path / "labels" / "page_0.txt").unlink()
    assert len(read_yolo(tmp_path)[0]) == 0
    with pytest.raises(AnnotationFormatError, match="no label file"):
        read_yolo(tmp_path, missing_labels="error")


def test_non_images_are_counted_not_silently_dropped(tmp_path):
    records = _dataset(tmp_path)
    write_yolo(records, tmp_path)
    (tmp_path / "images" / "notes.txt").write_text("x")
    with pytest.warns(UserWarning, match="ignored 1 non-image"):
        assert len(read_yolo(tmp_path)) == 3


def test_coco_errors(tmp_path):
    records = _dataset(tmp_path)
    path = write_coco(records, tmp_path / "ann.json", NAMES)
    text = path.read_text()
    path.write_text(
        text.replace('"bbox": [100.0, 5.0, 80.0, 90.0]', '"bbox": [100.0, 5.0, 180.0, 90.0]', 1)
    )
    with pytest.raises(AnnotationFormatError, match=r"ann.json: annotations\[\d\].*outside"):
        read_coco(path)
    path.write_text('{\n  "images": [,]\n}')
    with pytest.raises(AnnotationFormatError, match="ann.json:2: invalid JSON"):
        read_coco(path)


def test_voc_errors(tmp_path):
    records = _dataset(tmp_path)
    write_voc_dir(records, tmp_path, NAMES)
    path = tmp_path / "page_2.xml"
    text = path.read_text()
    path.write_text(text.replace("<name>date</name>", "<name>stamp</name>"))
    with pytest.raises(AnnotationFormatError, match="'stamp'") as info:
        read_voc(path, NAMES)
    assert (
        info.value.line
        == text.split("\n").index("  <object>", text.split("\n").index("  <object>") + 1) + 1
    )
    path.write_text(text.replace("<xmax>180</xmax>", "<xmax>oops</xmax>"))
    with pytest.raises(AnnotationFormatError, match="numeric"):
        read_voc(path, NAMES)


def test_record_shape_mismatch():
    with pytest.raises(ValueError, match="same N"):
        DetectionRecord("x.png", np.zeros((2, 4)), np.zeros(3), 10, 10)


def test_synthetic_evaluation_pages_flat_and_photographed():
    from signver_keras.data.collections.detection_data import load_detection_data
    from signver_keras.data.synthetic.synthetic_documents import CLASS_NAMES

    flat = load_detection_data("synthetic:2", CLASS_NAMES)
    photo = load_detection_data("synthetic-photo:2", CLASS_NAMES)
    assert [p.name for p in flat] == [p.name for p in photo]
    for a, b in zip(flat, photo, strict=True):
        assert not np.array_equal(a.image, b.image)  # the same page, warped as a photo
        height, width = b.image.shape[:2]
        assert len(b.boxes) and (b.boxes[:, 2] <= width).all() and (b.boxes[:, 3] <= height).all()
    with pytest.raises(ValueError, match="synthetic-photo:N needs a positive page count"):
        load_detection_data("synthetic-photo:x", CLASS_NAMES)


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        ("synthetic-300dpi:1", (3507, 2480)),
        ("synthetic-cheque:1", (700, 1600, 3)),
        ("synthetic-form:2", (1100, 850)),
    ],
)
def test_new_synthetic_evaluation_sets(spec, shape):
    from signver_keras.data.collections.detection_data import load_detection_data
    from signver_keras.data.synthetic.synthetic_documents import CLASS_NAMES

    pages = load_detection_data(spec, CLASS_NAMES)
    assert len(pages) == int(spec.split(":")[1])
    assert pages[0].image.shape == shape  # A4 at 300 dpi; a photographed cheque; a form
    assert all(0 in page.labels.tolist() for page in pages)  # every page is signed
    again = load_detection_data(spec, CLASS_NAMES)
    np.testing.assert_array_equal(pages[-1].image, again[-1].image)


def test_unknown_layout_lists_the_synthetic_sets():
    from signver_keras.data.collections.detection_data import load_detection_data

    with pytest.raises(ValueError, match="synthetic-300dpi:N"):
        load_detection_data("pdf:pages", ["signature"])


def test_page_scale_resamples_pages_and_boxes_together(tmp_path):
    from signver_keras.data.collections.detection_data import load_detection_data

    (tmp_path / "images").mkdir()
    path = tmp_path / "images" / "page.png"
    image = np.full((100, 200), 255, np.uint8)
    image[20:40, 10:60] = 0  # the labelled ink
    Image.fromarray(image).save(path)
    box = np.array([[10, 20, 60, 40]], np.float32)
    write_yolo([DetectionRecord(str(path), box, np.array([0]), 200, 100)], tmp_path, NAMES)
    [full] = load_detection_data(f"yolo:{tmp_path}", NAMES)
    [half] = load_detection_data(f"yolo:{tmp_path}@0.5", NAMES)
    assert half.image.shape == (50, 100) and half.name == full.name
    np.testing.assert_allclose(half.boxes, full.boxes / 2, atol=1e-3)
    x0, y0, x1, y1 = np.round(half.boxes[0]).astype(int)
    assert half.image[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2].max() < 60  # the box still frames the ink


def test_page_scale_out_of_range_is_refused_and_paths_with_at_signs_load(tmp_path):
    from signver_keras.data.collections.detection_data import load_detection_data

    with pytest.raises(ValueError, match="between 0.05 and 8; received '0'"):
        load_detection_data("synthetic:1@0", NAMES)
    folder = tmp_path / "scans@office"
    folder.mkdir()
    write_yolo(_dataset(folder, n=1), folder, class_names=NAMES)
    assert len(load_detection_data(f"yolo:{folder}", NAMES)) == 1
