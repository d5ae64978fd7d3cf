"""Folder loaders of published verification datasets on tiny generated trees and real copies."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from signver_keras.data.collections.verification import (
    DatasetLayoutError,
    load_verification_data,
    read_csv,
)
from signver_keras.data.collections.verification_layouts import (
    LAYOUT_LOADERS,
    SkippedFilesWarning,
    guess_layout,
    load_layout,
)
from signver_keras.errors import DatasetNotFoundError, InvalidImageError


def _image(path: Path, seed: int = 0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.full((12, 24), 255, np.uint8)
    pixels[4:8, 3 + seed % 5 : 20] = 0
    Image.fromarray(pixels).save(path)


def _tree(root: Path, files: list[str]) -> Path:
    for i, name in enumerate(files):
        _image(root / name, i)
    return root


TREES = {
    "cedar": [
        "full_org/original_1_1.png",
        "full_org/original_1_2.png",
        "full_org/original_12_1.png",
        "full_forg/forgeries_1_1.png",
        "full_forg/forgeries_12_1.png",
    ],
    "sigcomp2011": [
        "001/001_01.png",
        "001/001_02.png",
        "013/01_013.png",
        "001_forg/0119001_01.png",
        "013_forg/02_0203013.png",
    ],
    "bhsig260": [
        "Bengali/001/B-S-1-G-01.tif",
        "Bengali/001/B-S-1-F-01.tif",
        "Hindi/2/H-S-2-G-01.png",
        "Hindi/2/H-S-2-F-03.png",
    ],
    "gpds": ["001/c-001-01.bmp", "001/cf-001-01.bmp", "002/c-002-01.bmp"],
    "gpds_synthetic": ["001/c-001-01.jpg", "1001/c-1001-02.jpg", "1001/cf-1001-01.jpg"],
    "mcyt75": ["0000/0000v00.bmp", "0000/0000f01.bmp", "0001/0001V03.bmp", "0001/0001F00.bmp"],
}

EXPECTED = {  # (file, writer_id, genuine, forger_id)
    "cedar": [
        ("original_1_1.png", "cedar_001", True, None),
        ("forgeries_12_1.png", "cedar_012", False, None),
    ],
    "sigcomp2011": [
        ("001_02.png", "signdata_001", True, None),
        ("01_013.png", "signdata_013", True, None),
        ("0119001_01.png", "signdata_001", False, "0119"),
        ("02_0203013.png", "signdata_013", False, "0203"),
    ],
    "bhsig260": [
        ("B-S-1-G-01.tif", "bhsig_B001", True, None),
        ("H-S-2-F-03.png", "bhsig_H002", False, None),
    ],
    "gpds": [("c-001-01.bmp", "gpds_001", True, None), ("cf-001-01.bmp", "gpds_001", False, None)],
    "gpds_synthetic": [("cf-1001-01.jpg", "gpdssynth_1001", False, None)],
    "mcyt75": [("0001V03.bmp", "mcyt_0001", True, None), ("0000f01.bmp", "mcyt_0000", False, None)],
}


@pytest.mark.parametrize("layout", sorted(TREES))
def test_loader_reads_every_file_with_writer_label_and_forger(tmp_path, layout):
    root = _tree(tmp_path / layout, TREES[layout])
    records, report = load_layout(layout, root)
    assert len(records) == len(TREES[layout]) == report.records
    assert report.genuine + report.forged == report.records and not report.skipped
    by_name = {Path(r.path).name: r for r in records}
    for name, writer, genuine, forger in EXPECTED[layout]:
        record = by_name[name]
        assert (record.writer_id, record.genuine, record.forger_id) == (writer, genuine, forger)
        assert record.dataset == layout
    assert guess_layout(root) in (layout, "gpds" if layout == "gpds_synthetic" else layout)
    # Registered: the LAYOUT:PATH spec used by `evaluate --data` gives the same records.
    assert load_verification_data(f"{layout}:{root}") == records


def test_bhsig_subset_is_the_script(tmp_path):
    root = _tree(tmp_path / "b", TREES["bhsig260"])
    records, _ = load_layout("bhsig260", root)
    assert {r.subset for r in records} == {"Bengali", "Hindi"}
    only_hindi, _ = load_layout("bhsig260", root / "Hindi")
    assert {r.writer_id for r in only_hindi} == {"bhsig_H002"}


def test_system_and_non_image_files_are_counted_and_warned(tmp_path):
    root = _tree(tmp_path / "c", TREES["cedar"])
    (root / "full_org" / "Thumbs.db").write_bytes(b"\0" * 10)
    (root / "full_forg" / ".DS_Store").write_bytes(b"x")
    (root / "README.txt").write_text("CEDAR")
    records, report = load_layout("cedar", root)
    assert len(records) == 5
    assert report.skipped_count == 3
    assert sorted(report.skipped) == ["non-image files", "system files"]
    assert "skipped" in report.summary() and "Thumbs.db" in report.summary() + str(report.skipped)
    with pytest.warns(SkippedFilesWarning, match="3 images|5 images"):
        load_verification_data(f"cedar:{root}")


def test_clean_tree_loads_without_warning(tmp_path):
    root = _tree(tmp_path / "g", TREES["gpds"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_verification_data(f"gpds:{root}")) == 3


@pytest.mark.parametrize(
    ("layout", "name", "message"),
    [
        ("cedar", "full_org/original_1.png", "original_1.png' does not match"),
        ("cedar", "full_org/forgeries_1_1.png", "belongs in full_forg/"),
        ("cedar", "scans/original_1_3.png", "unexpected folder"),
        ("sigcomp2011", "001/scan_01.png", "scan_01.png' does not match"),
        ("sigcomp2011", "001/002_01.png", "names writer 002 but lies in folder 001/"),
        ("sigcomp2011", "001_forg/001_01.png", "4-digit forger"),
        ("sigcomp2011", "misc/001_01.png", "neither <id>/"),
        ("bhsig260", "Bengali/001/B-S-2-G-01.tif", "names B writer 2"),
        ("bhsig260", "Hindi/002/B-S-2-G-01.tif", "names B writer 2"),
        ("bhsig260", "Bengali/001/sig1.tif", "sig1.tif' does not match"),
        ("gpds", "001/c-002-01.bmp", "names writer 002"),
        ("gpds", "001/x-001-01.bmp", "does not match"),
        ("gpds", "001/sub/c-001-01.bmp", "unexpected folder"),
        ("mcyt75", "0000/0001v00.bmp", "names writer 0001"),
        ("mcyt75", "0000/0000s00.bmp", "does not match"),
    ],
)
def test_unknown_or_misplaced_file_names_the_file(tmp_path, layout, name, message):
    root = _tree(tmp_path / layout, [*TREES[layout], name])
    with pytest.raises(DatasetLayoutError, match=message) as error:
        load_layout(layout, root)
    assert str(root) in str(error.value)


def test_image_beside_writer_folders_is_an_error(tmp_path):
    root = _tree(tmp_path / "s", [*TREES["sigcomp2011"], "stray.png"])
    with pytest.raises(DatasetLayoutError, match="stray.png' lies outside a writer folder"):
        load_layout("sigcomp2011", root)


@pytest.mark.parametrize("check", ["header", "decode"])
def test_unreadable_image_names_the_file(tmp_path, check):
    root = _tree(tmp_path / "m", TREES["mcyt75"])
    (root / "0000" / "0000v05.bmp").write_bytes(b"not a bitmap")
    with pytest.raises(InvalidImageError, match=r"0000v05.bmp' is not a readable image"):
        load_layout("mcyt75", root, check=check)
    (root / "0000" / "0000v05.bmp").write_bytes(b"")
    with pytest.raises(InvalidImageError, match="0000v05.bmp' is empty"):
        load_layout("mcyt75", root, check=check)
    assert len(load_layout("mcyt75", root, check="none").records) == 5


def test_truncated_image_fails_full_decode(tmp_path):
    root = _tree(tmp_path / "g", TREES["gpds"])
    path = root / "002" / "c-002-02.png"
    big = np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8)
    Image.fromarray(big).save(path)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(InvalidImageError, match="c-002-02.png"):
        load_layout("gpds", root, check="decode")


def test_missing_folder_and_wrong_layout(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        load_layout("cedar", tmp_path / "nowhere")
    cedar = _tree(tmp_path / "cedar", TREES["cedar"])
    with pytest.raises(DatasetLayoutError, match="try cedar:") as error:
        load_layout("sigcomp2011", cedar)
    assert "full_forg/, full_org/" in str(error.value)
    half = _tree(tmp_path / "half", ["full_org/original_1_1.png"])
    with pytest.raises(DatasetLayoutError, match="full_forg/"):
        load_layout("cedar", half)
    empty = tmp_path / "empty"
    (empty / "001").mkdir(parents=True)
    with pytest.raises(DatasetLayoutError, match="no signature images"):
        load_layout("gpds", empty)
    with pytest.raises(DatasetLayoutError, match="Known: .*cedar"):
        load_verification_data(f"nosuch:{empty}")


def test_csv_layout_checks_images(tmp_path):
    _tree(tmp_path, ["a.png", "b.png"])
    (tmp_path / "c.png").write_bytes(b"junk")
    table = tmp_path / "list.csv"
    table.write_text("path,writer_id,label\na.png,w1,genuine\nb.png,w1,forged\n")
    records, report = load_layout("csv", table)
    assert [r.genuine for r in records] == [True, False] and report.writers == 1
    table.write_text("path,writer_id,label\na.png,w1,genuine\nc.png,w1,forged\n")
    with pytest.raises(InvalidImageError, match="c.png"):
        load_layout("csv", table)


def test_every_registered_layout_has_a_fixture():
    # Aliases share their layout's fixture; `online` is tested in test_online_signatures.py.
    assert set(LAYOUT_LOADERS) - set(TREES) <= {"sign_data", "mcyt", "online"}


# --- the real copies in ../shared/data ------------------------------------------------------------


def _keys(records):
    return sorted((r.path, r.writer_id, r.genuine, r.forger_id) for r in records)


def test_real_sigcomp2011_train_folder(shared_data):
    folder = shared_data / "sigcomp2011_dutch" / "Dataset" / "train"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    records, report = load_layout("sigcomp2011", folder)
    assert (report.records, report.genuine, report.forged, report.writers) == (1649, 887, 762, 64)
    assert not report.skipped
    assert _keys(records) == _keys(read_csv(shared_data / "sigcomp2011_dutch" / "MANIFEST.csv"))


def test_real_bhsig260_subset(shared_data):
    folder = shared_data / "bhsig260_subset"
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    records, report = load_layout("bhsig260", folder)
    assert (report.records, report.genuine, report.forged, report.writers) == (216, 96, 120, 4)
    assert report.skipped == {
        "non-image files": [str(folder / "MANIFEST.csv"), str(folder / "PROVENANCE.md")]
    }
    assert _keys(records) == _keys(read_csv(folder / "MANIFEST.csv"))
