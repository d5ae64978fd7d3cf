"""PSNR / SSIM values, the Otsu baseline, and the cleaning protocol end to end on tiny models."""

import json

import keras
import numpy as np
import pytest
from PIL import Image

import signver_keras as sv
from signver_keras.data.collections.verification import load_verification_data
from signver_keras.evaluation.cleaning import (
    evaluate_cleaning,
    otsu_binarize,
    psnr,
    ssim,
)
from signver_keras.evaluation.runner import evaluate
from tests.conftest import draw_scribble


def test_psnr_known_values():
    image = np.random.default_rng(0).integers(0, 256, (20, 30)).astype(np.uint8)
    assert psnr(image, image) == float("inf")
    zeros, tens = np.zeros((8, 8), np.uint8), np.full((8, 8), 10, np.uint8)
    assert psnr(zeros, tens) == pytest.approx(10 * np.log10(255**2 / 100))
    assert psnr(zeros, np.full((8, 8), 255, np.uint8)) == pytest.approx(0.0)


def test_ssim_identical_images_is_one():
    image = np.random.default_rng(1).integers(0, 256, (40, 50)).astype(np.uint8)
    assert ssim(image, image) == pytest.approx(1.0)


def test_ssim_of_constant_images_is_the_luminance_term():
    # No variance: SSIM reduces to (2ab + C1) / (a^2 + b^2 + C1) everywhere.
    a, b, c1 = 100.0, 150.0, (0.01 * 255) ** 2
    got = ssim(np.full((32, 32), a), np.full((32, 32), b))
    assert got == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1))


def test_ssim_matches_an_explicit_gaussian_window():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 256, (26, 31)).astype(np.float64)
    y = np.clip(x + rng.normal(0, 25, x.shape), 0, 255)
    offsets = np.arange(-5, 6)
    g = np.exp(-(offsets**2) / (2 * 1.5**2))
    window = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    values = []
    for i in range(5, x.shape[0] - 5):
        for j in range(5, x.shape[1] - 5):
            px, py = x[i - 5 : i + 6, j - 5 : j + 6], y[i - 5 : i + 6, j - 5 : j + 6]
            mx, my = (window * px).sum(), (window * py).sum()
            vx = (window * px * px).sum() - mx**2
            vy = (window * py * py).sum() - my**2
            cov = (window * px * py).sum() - mx * my
            values.append(
                (2 * mx * my + c1) * (2 * cov + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
            )
    assert ssim(x, y) == pytest.approx(np.mean(values), abs=1e-9)
    assert 0.0 < ssim(x, y) < 1.0
    assert ssim(x, y) == pytest.approx(ssim(y, x))


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        ssim(np.zeros((8, 8)), np.zeros((8, 9)))
    with pytest.raises(ValueError, match="same shape"):
        psnr(np.zeros((8, 8)), np.zeros((8, 8, 3)))


def test_otsu_baseline_is_binary():
    gray = np.full((20, 20), 230, np.uint8)
    gray[5:15, 8:12] = 40
    binary = otsu_binarize(gray)
    assert set(np.unique(binary)) == {0, 255}
    assert (binary[5:15, 8:12] == 0).all() and binary[0, 0] == 255


def tiny_cleaner() -> sv.SignatureCleaner:
    keras.utils.set_random_seed(0)
    return sv.SignatureCleaner(
        sv.models.SignatureCleanerBackbone(level_filters=(4, 8)),
        sv.models.SignatureCleanerPreprocessor(max_side=96, pad_multiple=8),
    )


@pytest.fixture
def signature_folder(tmp_path):
    """A manifest folder: 3 writers x 5 genuine + 1 forgery, synthetic scribbles of one size.

    One size keeps the number of distinct batch shapes (and JAX compilations) small.
    """
    folder = tmp_path / "scribbles"
    folder.mkdir()
    rows = ["path,writer_id,label"]
    for writer in range(3):
        for index in range(6):
            name = f"w{writer}_{index}.png"
            Image.fromarray(draw_scribble(10 * writer + index)).save(folder / name)
            rows.append(f"{name},w{writer},{'genuine' if index < 5 else 'forged'}")
    (folder / "MANIFEST.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_evaluate_cleaning_with_verification(signature_folder, tiny_extractor, tmp_path):
    records = load_verification_data(f"manifest:{signature_folder}")
    report = evaluate_cleaning(
        tiny_cleaner(),
        {"scribbles": records},
        pairs=4,
        extractor=tiny_extractor,
        reference_count=3,
        out_dir=tmp_path / "out",
    )
    result = report["results"]["scribbles"]
    assert result["pairs"] == 4 and result["verification_writers"] == 3
    for key in ("psnr", "ssim"):
        assert {f"{key}_noisy", f"{key}_otsu", f"{key}_cleaned"} <= set(result)
    for condition in ("original", "noisy", "otsu", "cleaned"):
        assert 0.0 <= result[f"eer_random_{condition}"] <= 1.0
        assert 0.0 <= result[f"eer_skilled_{condition}"] <= 1.0
    assert "| scribbles | 4 |" in report["table"]
    saved = json.loads((tmp_path / "out" / "cleaning.json").read_text())
    assert saved["results"]["scribbles"]["pairs"] == 4 and "table" not in saved
    grid = Image.open(tmp_path / "out" / "cleaning_grid.png")
    assert grid.width > 4 * 200 and grid.height > 2 * 50


def test_same_seed_same_pairs(signature_folder):
    records = load_verification_data(f"manifest:{signature_folder}")
    cleaner = tiny_cleaner()
    first = evaluate_cleaning(cleaner, {"s": records}, pairs=3)["results"]["s"]
    again = evaluate_cleaning(cleaner, {"s": records}, pairs=3)["results"]["s"]
    other = evaluate_cleaning(cleaner, {"s": records}, pairs=3, seed=1)["results"]["s"]
    assert first["psnr_noisy"] == again["psnr_noisy"] != other["psnr_noisy"]


def test_evaluate_cleaning_task_skips_a_missing_extractor(signature_folder, tmp_path, monkeypatch):
    tiny_cleaner().save_to_preset(tmp_path / "cleaner")
    monkeypatch.setattr(sv.presets, "bundled_path", lambda name: None)
    report = evaluate(
        "cleaning", str(tmp_path / "cleaner"), [f"manifest:{signature_folder}"], pairs=2
    )
    assert report["command"].startswith("signver-keras evaluate cleaning --preset")
    assert report["extractor"] is None and "skipped" in report["notes"][0]
    assert "eer_random_cleaned" not in report["results"]["scribbles"]
    assert "skipped" in report["table"]
    with pytest.raises(ValueError, match="split"):
        evaluate(
            "cleaning", str(tmp_path / "cleaner"), [f"manifest:{signature_folder}"], subset="test"
        )
