"""Reading and writing object-detection labels: YOLO txt, COCO json, Pascal VOC xml.

Every reader returns `DetectionRecord`s with boxes in absolute pixel `xyxy`
(the `"xyxy"` format of `keras.utils.bounding_boxes`) and integer labels, so the
detector family sees one layout whatever the source. Readers never drop data
silently: a malformed line, a box outside the image, a label file without its
image raise `AnnotationFormatError` naming the file and line; the only things
skipped (non-image files in an image folder) are counted in a warning.

Conversions are plain numpy rather than `keras.utils.bounding_boxes.convert_format`:
that function returns backend tensors in float32 and imports the backend
(TensorFlow by default) into data-loading workers; the tests check that both
agree.

Example:
```python
from signver_keras.data.collections.detection_formats import read_yolo
from signver_keras.data.paths import data_root

records = read_yolo(data_root() / "tobacco800_signatures_valid" / "valid", num_classes=1)
print(len(records), records[0].boxes)  # 420 pages, (N, 4) float32 xyxy pixels
```
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from signver_keras.errors import AnnotationFormatError, DatasetNotFoundError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass
class DetectionRecord:
    """The boxes of one image.

    Args:
        image_path: str. Path of the image file.
        boxes: float32 array (N, 4), `xyxy` in pixels (x1 < x2, y1 < y2).
        labels: int32 array (N,), class indices starting at 0.
        width: int. Image width in pixels.
        height: int. Image height in pixels.

    Example:
    ```python
    import numpy as np
    from signver_keras.data.collections.detection_formats import DetectionRecord
    record = DetectionRecord("page.png", np.array([[10, 20, 110, 60]]), np.array([0]), 850, 1100)
    ```
    """

    image_path: str
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    labels: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int32))
    width: int = 0
    height: int = 0

    def __post_init__(self) -> None:
        self.image_path = os.fspath(self.image_path)
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        self.labels = np.asarray(self.labels, dtype=np.int32).reshape(-1)
        if self.boxes.shape[0] != self.labels.shape[0]:
            raise ValueError(
                f"DetectionRecord for '{self.image_path}': boxes should have shape (N, 4) and "
                f"labels (N,) with the same N. Got boxes.shape={self.boxes.shape}, "
                f"labels.shape={self.labels.shape}."
            )
        self.width, self.height = int(self.width), int(self.height)

    def __len__(self) -> int:
        return int(self.labels.shape[0])


# --- numpy box conversions ---------------------------------------------------------------------


def yolo_to_xyxy(yolo: np.ndarray, width: int, height: int) -> np.ndarray:
    """Converts normalized (cx, cy, w, h) rows to pixel `xyxy` (keras' `rel_center_xywh`)."""
    yolo = np.asarray(yolo, dtype=np.float64).reshape(-1, 4)
    cx, cy, w, h = yolo[:, 0] * width, yolo[:, 1] * height, yolo[:, 2] * width, yolo[:, 3] * height
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)


def xyxy_to_yolo(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Converts pixel `xyxy` rows to normalized (cx, cy, w, h), float64 for exact text output."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    x1, y1, x2, y2 = boxes.T
    return np.stack(
        [(x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height],
        axis=1,
    )


def _check_box(
    box: Sequence[float],
    width: int,
    height: int,
    tolerance: float,
    path: str,
    line: int | None,
    what: str,
) -> list[float]:
    """Validates one pixel xyxy box; clips overshoot within `tolerance` pixels, else raises."""
    x1, y1, x2, y2 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise AnnotationFormatError(f"{what} has a non-finite coordinate: {box}.", path, line)
    if x2 <= x1 or y2 <= y1:
        raise AnnotationFormatError(
            f"{what} is empty or inverted: xyxy=({x1:g}, {y1:g}, {x2:g}, {y2:g}); expected "
            "x1 < x2 and y1 < y2.",
            path,
            line,
        )
    if x1 < -tolerance or y1 < -tolerance or x2 > width + tolerance or y2 > height + tolerance:
        raise AnnotationFormatError(
            f"{what} lies outside the {width}x{height} image: xyxy=({x1:g}, {y1:g}, {x2:g}, "
            f"{y2:g}). Check the image size and the coordinate convention.",
            path,
            line,
        )
    return [max(x1, 0.0), max(y1, 0.0), min(x2, float(width)), min(y2, float(height))]


def _image_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as image:
            return image.size
    except (UnidentifiedImageError, OSError) as error:
        raise AnnotationFormatError(f"cannot read the image size ({error}).", str(path)) from error


def _require_dir(path: Path, what: str) -> None:
    if not path.is_dir():
        raise DatasetNotFoundError(
            f"{what} '{path}' does not exist or is not a folder"
            + (" (check SIGNVER_DATA or the dataset path)." if not path.exists() else ".")
        )


# --- YOLO ----------------------------------------------------------------------------------------


def _parse_yolo_file(
    label_path: Path, width: int, height: int, num_classes: int | None, tolerance: float
) -> tuple[np.ndarray, np.ndarray]:
    boxes, labels = [], []
    text = label_path.read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split()
        if not fields:
            continue
        where = (str(label_path), number)
        if len(fields) != 5:
            hint = (
                " It looks like a YOLO segmentation polygon; convert it to boxes first."
                if len(fields) > 5 and len(fields) % 2 == 1
                else ""
            )
            raise AnnotationFormatError(
                f"expected 5 fields 'class cx cy w h', got {len(fields)}: {raw.strip()!r}.{hint}",
                *where,
            )
        try:
            label = int(fields[0])
        except ValueError:
            raise AnnotationFormatError(
                f"class should be a non-negative integer, got {fields[0]!r} in {raw.strip()!r}.",
                *where,
            ) from None
        if label < 0 or (num_classes is not None and label >= num_classes):
            limit = f" in [0, {num_classes - 1}]" if num_classes is not None else " >= 0"
            raise AnnotationFormatError(f"class should be{limit}, got {label}.", *where)
        try:
            cx, cy, w, h = (float(v) for v in fields[1:])
        except ValueError:
            raise AnnotationFormatError(
                f"coordinates should be 4 numbers, got {fields[1:]} in {raw.strip()!r}.", *where
            ) from None
        if not all(math.isfinite(v) for v in (cx, cy, w, h)):
            raise AnnotationFormatError(f"non-finite coordinate in {raw.strip()!r}.", *where)
        if w <= 0 or h <= 0:
            raise AnnotationFormatError(
                f"box width and height should be > 0, got w={w:g}, h={h:g}.", *where
            )
        x1, y1, x2, y2 = cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
        if x1 < -tolerance or y1 < -tolerance or x2 > 1 + tolerance or y2 > 1 + tolerance:
            raise AnnotationFormatError(
                f"box {raw.strip()!r} spans x [{x1:.4g}, {x2:.4g}], y [{y1:.4g}, {y2:.4g}]; "
                "normalized YOLO boxes must lie in [0, 1]. Are the coordinates in pixels?",
                *where,
            )
        box = yolo_to_xyxy([[cx, cy, w, h]], width, height)[0]
        boxes.append(np.clip(box, 0, [width, height, width, height]))
        labels.append(label)
    return (
        np.asarray(boxes, np.float32).reshape(-1, 4),
        np.asarray(labels, np.int32).reshape(-1),
    )


def read_yolo(
    root: str | os.PathLike,
    images_dir: str = "images",
    labels_dir: str = "labels",
    num_classes: int | None = None,
    missing_labels: str = "empty",
    tolerance: float = 1e-3,
) -> list[DetectionRecord]:
    """Reads a YOLO folder (`root/images/*.jpg` + `root/labels/*.txt`).

    Args:
        root: folder holding `images_dir` and `labels_dir`, e.g. the `valid`
            folder of a Roboflow export.
        images_dir: str, default `"images"`.
        labels_dir: str, default `"labels"`.
        num_classes: int or None. When given, class ids must be below it.
        missing_labels: `"empty"` (default; an image without a label file is a
            page with no objects, the YOLO convention) or `"error"`.
        tolerance: float, default 1e-3. Normalized overshoot beyond [0, 1]
            that is clipped; more raises.

    Returns:
        One `DetectionRecord` per image, sorted by file name.

    Raises:
        DatasetNotFoundError: `root`, its images or labels folder is missing.
        AnnotationFormatError: a label file without an image, a malformed line,
            a bad class id, an empty box or one outside the image (file:line given).

    Example:
    ```python
    records = read_yolo("datasets/pages/valid", num_classes=1)
    ```
    """
    if missing_labels not in ("empty", "error"):
        raise ValueError(f"missing_labels should be 'empty' or 'error', got {missing_labels!r}.")
    root = Path(root)
    _require_dir(root, "YOLO dataset folder")
    image_folder, label_folder = root / images_dir, root / labels_dir
    _require_dir(image_folder, "YOLO images folder")
    _require_dir(label_folder, "YOLO labels folder")

    images: dict[str, Path] = {}
    ignored = []
    for path in sorted(image_folder.iterdir()):
        if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
            if path.stem in images:
                raise AnnotationFormatError(
                    f"two images share the stem '{path.stem}' ({images[path.stem].name}, "
                    f"{path.name}); YOLO pairs images and labels by stem.",
                    str(path),
                )
            images[path.stem] = path
        else:
            ignored.append(path.name)
    if ignored:
        warnings.warn(
            f"read_yolo: ignored {len(ignored)} non-image entries in '{image_folder}' "
            f"(e.g. {ignored[:3]}).",
            stacklevel=2,
        )
    label_files = {p.stem: p for p in sorted(label_folder.glob("*.txt")) if p.is_file()}
    orphans = sorted(set(label_files) - set(images))
    if orphans:
        raise AnnotationFormatError(
            f"label file has no matching image in '{image_folder}' ({len(orphans)} such label "
            f"files in all, first: {orphans[:3]}).",
            str(label_files[orphans[0]]),
        )

    records = []
    for stem, image_path in images.items():
        width, height = _image_size(image_path)
        label_path = label_files.get(stem)
        if label_path is None:
            if missing_labels == "error":
                raise AnnotationFormatError(
                    f"no label file '{label_folder / (stem + '.txt')}' for this image.",
                    str(image_path),
                )
            boxes, labels = np.zeros((0, 4), np.float32), np.zeros((0,), np.int32)
        else:
            boxes, labels = _parse_yolo_file(label_path, width, height, num_classes, tolerance)
        records.append(DetectionRecord(str(image_path), boxes, labels, width, height))
    return records


def read_yolo_names(data_yaml: str | os.PathLike) -> tuple[str, ...]:
    """Reads class names from a YOLO `data.yaml` (`names:` as a list or an {id: name} map)."""
    import yaml

    path = Path(data_yaml)
    if not path.is_file():
        raise DatasetNotFoundError(f"YOLO data file '{path}' does not exist.")
    content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = content.get("names") if isinstance(content, dict) else None
    if isinstance(names, dict):
        names = [names[key] for key in sorted(names)]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise AnnotationFormatError(
            f"expected 'names:' to be a list of strings, got {names!r}.", str(path)
        )
    return tuple(names)


def write_yolo(
    records: Iterable[DetectionRecord],
    root: str | os.PathLike,
    class_names: Sequence[str] | None = None,
    copy_images: bool = False,
) -> list[Path]:
    """Writes `root/labels/<image stem>.txt` for each record (an empty file when no boxes).

    Args:
        records: the records to write; image stems must be unique.
        root: output folder; images are expected in (or copied to) `root/images`.
        class_names: optional; when given, `root/data.yaml` is written too.
        copy_images: bool, default False. Copy each `image_path` into
            `root/images` when it is not already there.

    Returns:
        The label file paths, in the order of `records`.

    Example:
    ```python
    write_yolo(records, "out/train", class_names=("signature",), copy_images=True)
    ```
    """
    root = Path(root)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    if copy_images:
        (root / "images").mkdir(parents=True, exist_ok=True)
    written, seen = [], set()
    for record in records:
        stem = Path(record.image_path).stem
        if stem in seen:
            raise ValueError(f"Two records share the image stem '{stem}'; YOLO needs unique stems.")
        seen.add(stem)
        for number, box in enumerate(record.boxes, start=1):
            _check_box(
                box, record.width, record.height, 1e-3, record.image_path, None, f"box #{number}"
            )
        rows = xyxy_to_yolo(record.boxes, record.width, record.height)
        lines = [
            f"{int(label)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}"
            for label, (cx, cy, w, h) in zip(record.labels, rows, strict=True)
        ]
        path = root / "labels" / f"{stem}.txt"
        path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
        written.append(path)
        if copy_images:
            target = root / "images" / Path(record.image_path).name
            if Path(record.image_path).resolve() != target.resolve():
                shutil.copyfile(record.image_path, target)
    if class_names is not None:
        names = ", ".join(json.dumps(str(n)) for n in class_names)
        (root / "data.yaml").write_text(
            f"path: .\ntrain: images\nval: images\nnc: {len(class_names)}\nnames: [{names}]\n",
            encoding="utf-8",
        )
    return written


# --- COCO ----------------------------------------------------------------------------------------


def write_coco(
    records: Iterable[DetectionRecord],
    path: str | os.PathLike,
    class_names: Sequence[str],
    image_root: str | os.PathLike | None = None,
) -> Path:
    """Writes a COCO detection json (bbox = [x, y, w, h] pixels, category id = label + 1).

    `file_name` is the image path relative to `image_root` (default: the json's
    folder) when the image lies under it, else the path as stored.

    Example:
    ```python
    write_coco(records, "out/annotations.json", class_names=("signature",))
    ```
    """
    path = Path(path)
    base = Path(image_root) if image_root is not None else path.parent
    images, annotations = [], []
    for image_id, record in enumerate(records, start=1):
        try:
            file_name = Path(record.image_path).resolve().relative_to(base.resolve()).as_posix()
        except ValueError:
            file_name = Path(record.image_path).as_posix()
        images.append(
            {"id": image_id, "file_name": file_name, "width": record.width, "height": record.height}
        )
        for box, label in zip(record.boxes.tolist(), record.labels.tolist(), strict=True):
            if not 0 <= label < len(class_names):
                raise ValueError(
                    f"Record '{record.image_path}' has label {label}; expected labels in "
                    f"[0, {len(class_names) - 1}] for class_names={tuple(class_names)}."
                )
            x1, y1, x2, y2 = box
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": label + 1,
                    "bbox": [round(x1, 4), round(y1, 4), round(x2 - x1, 4), round(y2 - y1, 4)],
                    "area": round((x2 - x1) * (y2 - y1), 4),
                    "iscrowd": 0,
                }
            )
    categories = [{"id": i + 1, "name": str(n)} for i, n in enumerate(class_names)]
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"images": images, "annotations": annotations, "categories": categories}
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def read_coco(
    path: str | os.PathLike,
    image_root: str | os.PathLike | None = None,
    tolerance: float = 1.0,
) -> tuple[list[DetectionRecord], tuple[str, ...]]:
    """Reads a COCO detection json.

    Categories are sorted by id and numbered 0, 1, ... in that order (so files
    written by `write_coco` read back with the same labels). Images without
    annotations become records with no boxes.

    Args:
        path: the json file.
        image_root: folder that `file_name`s are relative to; default the json's folder.
        tolerance: float, default 1.0. Pixels of overshoot that are clipped.

    Returns:
        (records in the order of `images`, class names).

    Example:
    ```python
    records, names = read_coco("out/annotations.json")
    ```
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"COCO annotation file '{path}' does not exist.")
    source = str(path)
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise AnnotationFormatError(f"invalid JSON ({error.msg}).", source, error.lineno) from None
    if not isinstance(content, dict) or not all(
        isinstance(content.get(key), list) for key in ("images", "annotations", "categories")
    ):
        raise AnnotationFormatError(
            "expected a JSON object with lists 'images', 'annotations' and 'categories'.", source
        )
    base = Path(image_root) if image_root is not None else path.parent
    try:
        categories = sorted(content["categories"], key=lambda c: c["id"])
        label_of = {c["id"]: index for index, c in enumerate(categories)}
        names = tuple(str(c["name"]) for c in categories)
    except (KeyError, TypeError) as error:
        raise AnnotationFormatError(
            f"each category needs 'id' and 'name' ({error!r}).", source
        ) from None
    images: dict[int, dict] = {}
    for index, image in enumerate(content["images"]):
        try:
            images[image["id"]] = {
                "path": str(base / image["file_name"]),
                "width": int(image["width"]),
                "height": int(image["height"]),
                "boxes": [],
                "labels": [],
            }
        except (KeyError, TypeError, ValueError) as error:
            raise AnnotationFormatError(
                f"images[{index}] needs 'id', 'file_name', 'width', 'height' ({error!r}).", source
            ) from None
    for index, annotation in enumerate(content["annotations"]):
        what = f"annotations[{index}] (id {annotation.get('id')!r})"
        image = images.get(annotation.get("image_id"))
        if image is None:
            raise AnnotationFormatError(
                f"{what} refers to image_id {annotation.get('image_id')!r}, not in 'images'.",
                source,
            )
        if annotation.get("category_id") not in label_of:
            raise AnnotationFormatError(
                f"{what} has category_id {annotation.get('category_id')!r}; known ids are "
                f"{sorted(label_of)}.",
                source,
            )
        bbox = annotation.get("bbox")
        if not isinstance(bbox, list) or len(bbox) != 4:
            raise AnnotationFormatError(
                f"{what} should have bbox [x, y, w, h], got {bbox!r}.", source
            )
        try:
            x, y, w, h = (float(v) for v in bbox)
        except (TypeError, ValueError):
            raise AnnotationFormatError(f"{what} has non-numeric bbox {bbox!r}.", source) from None
        box = _check_box(
            (x, y, x + w, y + h), image["width"], image["height"], tolerance, source, None, what
        )
        image["boxes"].append(box)
        image["labels"].append(label_of[annotation["category_id"]])
    records = [
        DetectionRecord(i["path"], i["boxes"], i["labels"], i["width"], i["height"])
        for i in images.values()
    ]
    return records, names


# --- Pascal VOC ----------------------------------------------------------------------------------


def _format_number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def write_voc(record: DetectionRecord, path: str | os.PathLike, class_names: Sequence[str]) -> Path:
    """Writes one Pascal VOC xml. Coordinates are the record's 0-based pixel xyxy (2 decimals).

    Example:
    ```python
    write_voc(record, "out/page_0001.xml", class_names=("signature",))
    ```
    """
    path = Path(path)
    annotation = ET.Element("annotation")
    ET.SubElement(annotation, "folder").text = Path(record.image_path).parent.name
    ET.SubElement(annotation, "filename").text = Path(record.image_path).name
    ET.SubElement(annotation, "path").text = record.image_path
    size = ET.SubElement(annotation, "size")
    ET.SubElement(size, "width").text = str(record.width)
    ET.SubElement(size, "height").text = str(record.height)
    ET.SubElement(size, "depth").text = "1"
    for box, label in zip(record.boxes.tolist(), record.labels.tolist(), strict=True):
        if not 0 <= label < len(class_names):
            raise ValueError(
                f"Record '{record.image_path}' has label {label}; expected labels in "
                f"[0, {len(class_names) - 1}] for class_names={tuple(class_names)}."
            )
        obj = ET.SubElement(annotation, "object")
        ET.SubElement(obj, "name").text = str(class_names[label])
        ET.SubElement(obj, "pose").text = "Unspecified"
        ET.SubElement(obj, "truncated").text = "0"
        ET.SubElement(obj, "difficult").text = "0"
        bndbox = ET.SubElement(obj, "bndbox")
        for key, value in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True):
            ET.SubElement(bndbox, key).text = _format_number(value)
    ET.indent(annotation)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(annotation).write(path, encoding="utf-8", xml_declaration=False)
    return path


def read_voc(
    path: str | os.PathLike,
    class_names: Sequence[str],
    image_root: str | os.PathLike | None = None,
    tolerance: float = 1.0,
) -> DetectionRecord:
    """Reads one Pascal VOC xml into a `DetectionRecord`.

    Args:
        path: the xml file.
        class_names: object names in label order; an unknown name raises.
        image_root: folder holding `filename`; default the xml's folder.
        tolerance: float, default 1.0. Pixels of overshoot that are clipped.

    Example:
    ```python
    record = read_voc("out/page_0001.xml", class_names=("signature",))
    ```
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"Pascal VOC file '{path}' does not exist.")
    source = str(path)
    text = path.read_text(encoding="utf-8")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        raise AnnotationFormatError(f"invalid XML ({error}).", source, error.position[0]) from None
    # ElementTree keeps no line numbers: the k-th <object> element is the k-th start tag.
    object_lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"<object[\s>]", text)]
    try:
        width = int(float(root.findtext("size/width")))
        height = int(float(root.findtext("size/height")))
    except (TypeError, ValueError):
        raise AnnotationFormatError(
            "expected <size> with numeric <width> and <height>.", source
        ) from None
    filename = root.findtext("filename")
    if not filename:
        raise AnnotationFormatError("expected a non-empty <filename>.", source)
    label_of = {name: index for index, name in enumerate(class_names)}
    boxes, labels = [], []
    for index, obj in enumerate(root.findall("object")):
        line = object_lines[index] if index < len(object_lines) else None
        name = obj.findtext("name")
        if name not in label_of:
            raise AnnotationFormatError(
                f"object #{index + 1} has name {name!r}; expected one of {tuple(class_names)}.",
                source,
                line,
            )
        try:
            values = [
                float(obj.findtext(f"bndbox/{key}")) for key in ("xmin", "ymin", "xmax", "ymax")
            ]
        except (TypeError, ValueError):
            raise AnnotationFormatError(
                f"object #{index + 1} needs numeric <bndbox> xmin, ymin, xmax, ymax.", source, line
            ) from None
        boxes.append(
            _check_box(values, width, height, tolerance, source, line, f"object #{index + 1}")
        )
        labels.append(label_of[name])
    base = Path(image_root) if image_root is not None else path.parent
    return DetectionRecord(str(base / filename), boxes, labels, width, height)


def write_voc_dir(
    records: Iterable[DetectionRecord], out_dir: str | os.PathLike, class_names: Sequence[str]
) -> list[Path]:
    """Writes `out_dir/<image stem>.xml` for every record."""
    out_dir = Path(out_dir)
    return [write_voc(r, out_dir / f"{Path(r.image_path).stem}.xml", class_names) for r in records]


def read_voc_dir(
    folder: str | os.PathLike,
    class_names: Sequence[str],
    image_root: str | os.PathLike | None = None,
) -> list[DetectionRecord]:
    """Reads every `*.xml` in `folder` (sorted by name)."""
    folder = Path(folder)
    _require_dir(folder, "Pascal VOC annotation folder")
    return [read_voc(p, class_names, image_root) for p in sorted(folder.glob("*.xml"))]
