"""The cleaning protocol: image quality of cleaned crops, and whether cleaning helps verification.

Held-out (noisy, clean) pairs are made with `make_pair` from real signatures of
writers the cleaner never trained on, with fixed seeds. Each pair is scored as
PSNR and SSIM against the clean target for three candidates: the noisy input
itself, a global Otsu binarisation of it (the simple baseline), and the
cleaner's output. When an extractor is given, the verification protocol runs
on the test writers' signatures four times: the original images, their noisy
versions, the Otsu-binarised noisy versions and the cleaned noisy versions.
The EER of "cleaned" against "noisy" says whether running the cleaner before
the extractor is worth it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from signver_keras.data.collections.verification import SignatureRecord
from signver_keras.data.synthetic.cleaning_pairs import make_pair
from signver_keras.evaluation.verification import summarize, trial_scores
from signver_keras.images import load_image
from signver_keras.utils.ink import otsu_threshold

#: Candidates scored against the clean target, in table order.
CANDIDATES = ("noisy", "otsu", "cleaned")
#: Inputs of the verification comparison, in table order.
CONDITIONS = ("original", "noisy", "otsu", "cleaned")
#: Per-image PSNR is capped here before averaging (an exact match would be infinite).
PSNR_CAP_DB = 100.0


def _pair_of_images(image: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    image, reference = np.asarray(image), np.asarray(reference)
    if image.shape != reference.shape or image.ndim != 2:
        raise ValueError(
            "Expected two grayscale images (H, W) of the same shape; received "
            f"image.shape={image.shape} and reference.shape={reference.shape}."
        )
    return image.astype(np.float64), reference.astype(np.float64)


def psnr(image: np.ndarray, reference: np.ndarray, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio in dB, `10 log10(data_range^2 / MSE)`; inf for equal images."""
    image, reference = _pair_of_images(image, reference)
    mse = float(np.mean((image - reference) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range**2 / mse))


def ssim(
    image: np.ndarray,
    reference: np.ndarray,
    data_range: float = 255.0,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> float:
    """Mean structural similarity (Wang et al. 2004) with a gaussian window.

    Local means, variances and covariance are gaussian-weighted (`sigma` 1.5,
    window 11x11) with the population normalisation of the paper; the mean is
    taken away from a border of half a window, where the window is truncated.
    Identical images give 1.

    Args:
        image, reference: grayscale arrays (H, W) of the same shape.
        data_range: float. Value range of the pixels (255 for uint8).
        sigma: float. Standard deviation of the gaussian window.
        k1, k2: float. Stabilising constants; `C1 = (k1 L)^2`, `C2 = (k2 L)^2`.
    """
    x, y = _pair_of_images(image, reference)

    def blur(array: np.ndarray) -> np.ndarray:
        return ndimage.gaussian_filter(array, sigma, mode="reflect", truncate=3.5)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    pad = int(3.5 * sigma + 0.5)
    if min(x.shape) > 2 * pad:
        ssim_map = ssim_map[pad:-pad, pad:-pad]
    return float(ssim_map.mean())


def otsu_binarize(gray: np.ndarray) -> np.ndarray:
    """The baseline: pixels at or below Otsu's threshold become ink (0), the rest paper (255)."""
    return np.where(gray <= otsu_threshold(gray), 0, 255).astype(np.uint8)


def _limit_side(gray: np.ndarray, max_side: int | None) -> np.ndarray:
    if max_side is None or max(gray.shape) <= max_side:
        return gray
    factor = max_side / max(gray.shape)
    size = (max(8, round(gray.shape[1] * factor)), max(8, round(gray.shape[0] * factor)))
    return np.asarray(Image.fromarray(gray).resize(size, Image.LANCZOS))


def _pair_seed(seed: int, dataset: str, index: int) -> int:
    # Stable across runs and Python versions (no hash()); distinct per dataset and image.
    return int(np.random.SeedSequence([seed, sum(map(ord, dataset)), index]).generate_state(1)[0])


def held_out_pairs(
    records: Sequence[SignatureRecord],
    count: int,
    seed: int = 0,
    max_side: int | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`count` (noisy, clean) pairs from records chosen with a fixed seed (all if fewer)."""
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(records), min(count, len(records)), replace=False).tolist())
    pairs = []
    for index in chosen:
        gray = _limit_side(load_image(records[index].path), max_side)
        pairs.append(make_pair(gray, _pair_seed(seed, records[index].dataset, index)))
    return pairs


def image_quality(
    cleaner, pairs: Sequence[tuple[np.ndarray, np.ndarray]]
) -> tuple[dict[str, float], list[np.ndarray]]:
    """Mean PSNR / SSIM of each candidate against the clean targets, and the cleaned images.

    PSNR is capped at `PSNR_CAP_DB` per image, so one exact match cannot make the mean infinite.
    """
    start = time.perf_counter()
    cleaned = cleaner.clean([noisy for noisy, _ in pairs])
    seconds = time.perf_counter() - start
    scores: dict[str, list[float]] = {}
    for (noisy, clean), output in zip(pairs, cleaned, strict=True):
        candidates = {"noisy": noisy, "otsu": otsu_binarize(noisy), "cleaned": output}
        for name, candidate in candidates.items():
            scores.setdefault(f"psnr_{name}", []).append(min(psnr(candidate, clean), PSNR_CAP_DB))
            scores.setdefault(f"ssim_{name}", []).append(ssim(candidate, clean))
    summary = {key: float(np.mean(values)) for key, values in scores.items()}
    summary["clean_images_per_second"] = round(len(pairs) / seconds, 2)
    return summary, cleaned


def verification_with_cleaning(
    cleaner,
    extractor,
    records: Sequence[SignatureRecord],
    reference_count: int = 5,
    seed: int = 0,
    max_side: int | None = None,
    chunk: int = 64,
) -> dict[str, float]:
    """EERs of the verification protocol on original, noisy, Otsu and cleaned images."""
    embeddings: dict[str, list[np.ndarray]] = {name: [] for name in CONDITIONS}
    for start in range(0, len(records), chunk):
        originals, noisy = [], []
        for index in range(start, min(start + chunk, len(records))):
            gray = _limit_side(load_image(records[index].path), max_side)
            originals.append(gray)
            noisy.append(make_pair(gray, _pair_seed(seed, records[index].dataset, index))[0])
        inputs = {
            "original": originals,
            "noisy": noisy,
            "otsu": [otsu_binarize(gray) for gray in noisy],
            "cleaned": cleaner.clean(noisy),
        }
        for name, images in inputs.items():
            # A condition may leave a crop blank (a cleaner that erased it): embed it anyway.
            embeddings[name].append(np.asarray(extractor.embed(images, check_input=False)))
    results: dict[str, float] = {}
    for name, parts in embeddings.items():
        summary = summarize(trial_scores(records, np.concatenate(parts), reference_count, seed))
        for kind in ("skilled", "random"):
            if f"eer_{kind}" in summary:
                results[f"eer_{kind}_{name}"] = summary[f"eer_{kind}"]
    return results


def first_writers(records: Sequence[SignatureRecord], count: int | None) -> list[SignatureRecord]:
    """The records of the first `count` writers (sorted ids); all records if count is None."""
    if count is None:
        return list(records)
    keep = set(sorted({r.writer_id for r in records})[:count])
    return [r for r in records if r.writer_id in keep]


def evaluate_cleaning(
    cleaner,
    datasets: dict[str, list[SignatureRecord]],
    pairs: int = 40,
    extractor=None,
    reference_count: int = 5,
    seed: int = 0,
    max_writers: int | None = None,
    max_side: int | None = 1000,
    out_dir: str | os.PathLike | None = None,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """Runs the cleaning protocol (see the module docstring) on each dataset.

    Args:
        cleaner: a `SignatureCleaner`.
        datasets: name -> records of held-out writers.
        pairs: int. (noisy, clean) pairs per dataset for PSNR / SSIM.
        extractor: a `SignatureExtractor`, or None to skip the verification comparison.
        reference_count: int. Enrolled genuine signatures per writer.
        seed: int. Chooses the pairs, their clutter and the references.
        max_writers: int or None. Writers per dataset in the verification comparison.
        max_side: int or None. Longer images are scaled down first (as the real data is).
        out_dir: folder for `cleaning.json` and `cleaning_grid.png`, or None.
        notes: lines stored in the report (e.g. why a part was skipped).

    Returns:
        A report dict with `results` (per dataset) and a markdown `table`.
    """
    results: dict[str, dict[str, Any]] = {}
    examples = []
    for name, records in datasets.items():
        held_out = held_out_pairs(records, pairs, seed, max_side)
        quality, cleaned = image_quality(cleaner, held_out)
        results[name] = {
            "writers": len({r.writer_id for r in records}),
            "pairs": len(held_out),
            **quality,
        }
        examples += [
            (noisy, otsu_binarize(noisy), output, clean)
            for (noisy, clean), output in list(zip(held_out, cleaned, strict=True))[:2]
        ]
        if extractor is not None:
            subset = first_writers(records, max_writers)
            results[name]["verification_writers"] = len({r.writer_id for r in subset})
            results[name].update(
                verification_with_cleaning(
                    cleaner, extractor, subset, reference_count, seed, max_side
                )
            )
    report: dict[str, Any] = {
        "task": "cleaning",
        "pairs_per_dataset": pairs,
        "reference_count": reference_count if extractor is not None else None,
        "threshold": None,
        "seed": seed,
        "notes": list(notes),
        "results": results,
    }
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        report["grid"] = str(comparison_grid(examples, out / "cleaning_grid.png"))
        _write_json(report, out / "cleaning.json")
    report["table"] = cleaning_table(report)
    return report


def _fmt(value: Any, scale: float = 1.0, digits: int = 2) -> str:
    if isinstance(value, (int, float)) and np.isfinite(value):
        return f"{scale * value:.{digits}f}"
    return "-"


def cleaning_table(report: dict[str, Any]) -> str:
    """Markdown table of a cleaning report (model cards embed it)."""
    header = (
        "| data | pairs | PSNR dB noisy / Otsu / cleaned | SSIM noisy / Otsu / cleaned | "
        "EER skilled % original / noisy / Otsu / cleaned | "
        "EER random % original / noisy / Otsu / cleaned |\n|---|---|---|---|---|---|"
    )
    rows = []
    for name, r in report["results"].items():
        cells = [
            " / ".join(_fmt(r.get(f"psnr_{c}")) for c in CANDIDATES),
            " / ".join(_fmt(r.get(f"ssim_{c}"), digits=3) for c in CANDIDATES),
            " / ".join(_fmt(r.get(f"eer_skilled_{c}"), 100) for c in CONDITIONS),
            " / ".join(_fmt(r.get(f"eer_random_{c}"), 100) for c in CONDITIONS),
        ]
        rows.append(f"| {name} | {r['pairs']} | " + " | ".join(cells) + " |")
    lines = [header, *rows]
    lines += [f"\n{note}" for note in report.get("notes", [])]
    return "\n".join(lines)


def comparison_grid(
    rows: Sequence[tuple[np.ndarray, ...]], path: str | os.PathLike, cell_width: int = 220
) -> Path:
    """Writes a PNG with one row per example: noisy | Otsu | cleaned | clean target."""
    if not rows:
        raise ValueError("comparison_grid needs at least one row; received none.")
    titles = ("noisy input", "Otsu", "cleaned", "clean target")
    header, gap = 18, 4
    tiles = []
    for row in rows:
        height = max(1, round(row[0].shape[0] * cell_width / row[0].shape[1]))
        tiles.append(
            [Image.fromarray(image).resize((cell_width, height), Image.LANCZOS) for image in row]
        )
    width = len(titles) * (cell_width + gap) + gap
    sheet = Image.new("L", (width, header + sum(t[0].height + gap for t in tiles) + gap), 160)
    draw = ImageDraw.Draw(sheet)
    for column, title in enumerate(titles):
        draw.text((gap + column * (cell_width + gap), 3), title, fill=255)
    top = header
    for images in tiles:
        for column, image in enumerate(images):
            sheet.paste(image, (gap + column * (cell_width + gap), top))
        top += images[0].height + gap
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, optimize=True)
    return path


#: Extractor used for the verification comparison when none is named.
DEFAULT_EXTRACTOR = "signver_extractor_base"
#: File in a cleaner preset folder recording the writer split it was trained with.
TRAINING_RECORD = "training.json"


def recorded_split(preset_folder: str | os.PathLike) -> dict[str, Any] | None:
    """`{"split", "split_seed", "datasets"}` a cleaner preset was trained with, if recorded."""
    path = Path(preset_folder) / TRAINING_RECORD
    if not path.is_file():
        return None
    data = json.loads(path.read_text()).get("data", {})
    return data if {"split", "split_seed", "datasets"} <= set(data) else None


def evaluate_cleaning_preset(
    preset: str,
    data: Sequence[str],
    out_dir: str | None = None,
    reference_count: int = 5,
    seed: int = 0,
    subset: str | None = None,
    extractor: str | None = DEFAULT_EXTRACTOR,
    pairs: int = 40,
    max_writers: int | None = None,
) -> dict[str, Any]:
    """`signver-keras evaluate cleaning`: loads the presets and data, then `evaluate_cleaning`.

    `subset` keeps the writers of one part of the cleaner's recorded writer split
    (`training.json` in its preset folder; else the extractor's calibration
    record). `extractor` defaults to the bundled `signver_extractor_base`; when
    that is not shipped, the verification comparison is skipped with a note.
    """
    import signver_keras as sv
    from signver_keras import presets
    from signver_keras.data.collections.verification import load_verification_data
    from signver_keras.evaluation.writer_subsets import select_writers
    from signver_keras.hub import load_handle

    handle = load_handle(preset, "cleaner")
    cleaner = sv.SignatureCleaner.from_preset(handle)
    notes, model = [], None
    if extractor == DEFAULT_EXTRACTOR and presets.bundled_path(DEFAULT_EXTRACTOR) is None:
        notes.append(
            f"Verification comparison skipped: {DEFAULT_EXTRACTOR} is not bundled in this "
            "install (pass an extractor preset to run it)."
        )
    elif extractor is not None:
        model = sv.SignatureExtractor.from_preset(extractor)
    split = recorded_split(handle) or (model.calibration if model is not None else None)
    datasets = {}
    for spec in data:
        records, was_split = select_writers(load_verification_data(spec), split, subset)
        datasets[Path(spec.partition(":")[2]).name + (f":{subset}" if was_split else "")] = records
    report = evaluate_cleaning(
        cleaner,
        datasets,
        pairs=pairs,
        extractor=model,
        reference_count=reference_count,
        seed=seed,
        max_writers=max_writers,
        out_dir=out_dir,
        notes=notes,
    )
    report["extractor"] = extractor if model is not None else None
    report["command"] = " ".join(
        ["signver-keras evaluate cleaning", f"--preset {preset}"]
        + [f"--data {spec}" for spec in data]
        + ([f"--subset {subset}"] if subset else [])
        + ([f"--extractor {extractor}"] if model is not None else [])
    )
    if out_dir is not None:
        _write_json(report, Path(out_dir) / "cleaning.json")
    return report


def _write_json(report: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps({k: v for k, v in report.items() if k != "table"}, indent=2))
