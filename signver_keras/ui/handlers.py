"""What the app's buttons do, as plain functions over the Python API (no Gradio here).

Every function takes an `AppContext` (the models loaded once at start-up, the
gallery, the temporary folder) and returns plain values the layout in
`signver_keras.ui.app` shows. Bad input raises the library's named errors;
the layout turns them into messages. The benchmark `benchmarks/ui_roundtrip.py`
times these same functions.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from signver_keras.errors import GalleryError, InvalidImageError
from signver_keras.images import load_document_pages, load_image
from signver_keras.models.detector.detection_results import filter_detections, page_tags
from signver_keras.pipeline.signature_verifier import crop_boxes
from signver_keras.visualize import draw_detections

Progress = Callable[[float, str], None]


def _no_progress(fraction: float, message: str) -> None:
    return None


@dataclass
class AppContext:
    """The state shared by every session: models, gallery, temporary folder.

    The gallery file is opened (and created) only when first needed for
    writing (`gallery(create=True)`, i.e. Enroll), so browsing never writes it.
    `lock` serialises gallery access across the server's worker threads.
    """

    verifier: Any
    workdir: Path
    gallery_path: str | None = None
    preset: str = "signver_base"
    lock: threading.RLock = field(default_factory=threading.RLock)
    _gallery: Any = None

    def gallery(self, create: bool = False):
        if self.gallery_path is None:
            raise GalleryError(
                "No gallery is open: start the app with `signver-keras ui --gallery PATH`."
            )
        if self._gallery is None:
            is_url = "://" in self.gallery_path
            if not (create or is_url or Path(self.gallery_path).exists()):
                return None
            import signver_keras as sv

            self._gallery = sv.SignatureGallery(self.gallery_path, verifier=self.verifier)
        return self._gallery

    def enrolled_gallery(self):
        """The gallery for reading; a clear error while nobody is enrolled yet."""
        gallery = self.gallery()
        if gallery is None:
            raise GalleryError("The gallery is empty: enroll people in the Gallery tab first.")
        return gallery

    def close(self) -> None:
        if self._gallery is not None:
            self._gallery.close()
            self._gallery = None


# --- Documents -----------------------------------------------------------------------------
def detect_documents(
    ctx: AppContext, files: Sequence[str | os.PathLike], progress: Progress = _no_progress
) -> dict:
    """Loads uploaded pages (PDF pages rendered) and detects at score threshold 0, once.

    Returns the document state: `{"pages": [{"name", "path", "detections"}]}`
    where `detections` are the raw detections at threshold 0, re-thresholded by
    `render_page` without running the model again.
    """
    if not files:
        raise InvalidImageError("No file uploaded: choose one or more page images or PDFs.")
    if ctx.verifier.detector is None:
        raise GalleryError("This pipeline has no detector: the Documents tab needs one.")
    pages = []
    folder = Path(ctx.workdir) / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    first_free = len(os.listdir(folder))  # earlier uploads of this session keep their files
    for number, file in enumerate(files):
        name = Path(file).name
        progress(number / len(files), f"Reading {name}")
        loaded = load_document_pages(file)
        for index, gray in enumerate(loaded):
            label = f"{name} (page {index + 1})" if len(loaded) > 1 else name
            path = folder / f"{first_free + len(pages)}.png"
            Image.fromarray(gray).save(path)
            pages.append({"name": label, "path": str(path)})
    for number, page in enumerate(pages):
        progress(number / len(pages), f"Detecting on {page['name']}")
        page["detections"] = ctx.verifier.detector.detect(page["path"], score_threshold=0.0)[0]
    progress(1.0, "Done")
    return {"pages": pages}


def default_threshold(ctx: AppContext) -> float:
    detector = ctx.verifier.detector
    return float(detector.score_threshold) if detector is not None else 0.5


def _tags_text(tags: dict) -> str:
    word = {True: "yes", False: "no"}
    return (
        f"**Signed:** {word[tags['signed']]} · **signatures:** {tags['signatures']} · "
        f"**initials:** {tags['initials']} · **dated:** {word[tags['dated']]} · "
        f"**redacted:** {word[tags['redacted']]}"
    )


def render_page(ctx: AppContext, state: dict | None, page: int, threshold: float) -> dict:
    """Overlay, crops and tags of one page at `threshold`, from the cached detections."""
    if not state or not state.get("pages"):
        return {"overlay": None, "crops": [], "tags": "", "choices": []}
    page = min(max(int(page), 0), len(state["pages"]) - 1)
    entry = state["pages"][page]
    kept = filter_detections(entry["detections"], threshold)
    gray = load_image(entry["path"])
    overlay = draw_detections(gray, kept, Path(ctx.workdir) / f"overlay_{page}.png")
    crops = crop_boxes(gray, kept["boxes"])
    captions = [
        f"#{i + 1} {name} {score:.2f}"
        for i, (name, score) in enumerate(zip(kept["names"], kept["scores"], strict=True))
    ]
    return {
        "overlay": overlay,
        "crops": list(zip(crops, captions, strict=True)),
        "tags": _tags_text(page_tags(kept)),
        "choices": crop_choices(state, threshold),
    }


def crop_choices(state: dict | None, threshold: float) -> list[tuple[str, str]]:
    """(label, value) of every crop above `threshold` on every page; value is 'page:index'."""
    choices = []
    for p, entry in enumerate((state or {}).get("pages", [])):
        scores = np.asarray(entry["detections"]["scores"]).reshape(-1)
        for d, (name, score) in enumerate(zip(entry["detections"]["names"], scores, strict=True)):
            if score >= threshold:
                choices.append((f"{entry['name']} · {name} {score:.2f} (#{d + 1})", f"{p}:{d}"))
    return choices


def get_crop(state: dict | None, choice: str) -> tuple[np.ndarray, dict]:
    """The crop named by a `crop_choices` value, and its source `{"document", "box"}`."""
    try:
        p, d = (int(v) for v in str(choice).split(":"))
        entry = state["pages"][p]
        box = np.asarray(entry["detections"]["boxes"], np.float32).reshape(-1, 4)[d]
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise InvalidImageError(
            f"No crop '{choice}': upload a page in the Documents tab and pick one of its crops."
        ) from error
    crop = crop_boxes(load_image(entry["path"]), box[None])[0]
    return crop, {"document": entry["name"], "box": [float(v) for v in box]}


def parse_ids(text: str | None) -> list[str]:
    """Person ids typed one per line or separated by commas."""
    return [p.strip() for p in (text or "").replace(",", "\n").splitlines() if p.strip()]


def who_signed(
    ctx: AppContext, state: dict | None, page: int, threshold: float, expected: str
) -> str:
    """Markdown: who signed where on the page, and whether every expected party signed."""
    if not state or not state.get("pages"):
        raise InvalidImageError("Upload a page first.")
    with ctx.lock:
        gallery = ctx.enrolled_gallery()
        entry = state["pages"][min(max(int(page), 0), len(state["pages"]) - 1)]
        report = gallery.signer_report(
            entry["path"], expected=parse_ids(expected), score_threshold=threshold
        )
    lines = ["| # | box | signed by | score |", "|---|---|---|---|"]
    for i, s in enumerate(report.signatures, 1):
        box = ", ".join(f"{v:.0f}" for v in s.box)
        lines.append(f"| {i} | {box} | {s.person_id or 'unknown'} | {s.score:.3f} |")
    if not report.signatures:
        lines = ["No signature found at this threshold."]
    if report.missing or parse_ids(expected):
        verdict = (
            "**All expected parties signed.**"
            if not report.missing
            else f"**Not all expected parties signed.** Missing: {', '.join(report.missing)}"
        )
        lines += ["", verdict]
    return "\n".join(lines)


# --- Verify --------------------------------------------------------------------------------
def _query_image(query_file: str | None, crop_choice: str | None, state: dict | None):
    if query_file:
        return load_image(query_file)
    if crop_choice:
        return get_crop(state, crop_choice)[0]
    raise InvalidImageError(
        "No questioned signature: upload one, or pick a crop found in the Documents tab."
    )


def score_plot(calibration: dict | None, score: float, threshold: float) -> Image.Image:
    """The validation score distributions (genuine vs forgeries) with the score and threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    histograms = (calibration or {}).get("score_histograms")
    figure, axis = plt.subplots(figsize=(6, 2.6), dpi=100)
    if histograms:
        edges = np.asarray(histograms["edges"])
        widths = np.diff(edges)
        colors = {"genuine": "#0072B2", "skilled": "#D55E00", "random": "#999999"}
        labels = {"genuine": "genuine", "skilled": "skilled forgery", "random": "random forgery"}
        for kind in ("random", "skilled", "genuine"):
            if kind in histograms:
                counts = np.asarray(histograms[kind], np.float64)
                density = counts / max(counts.sum(), 1) / widths
                axis.stairs(
                    density, edges, fill=True, alpha=0.45, color=colors[kind], label=labels[kind]
                )
        axis.set_ylabel("density")
    else:
        axis.text(
            0.5,
            0.5,
            "this preset stores no validation score distributions",
            ha="center",
            va="center",
            transform=axis.transAxes,
            color="#666666",
        )
        axis.set_yticks([])
    axis.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3f}")
    axis.axvline(score, color="#009E73", linewidth=2.5, label=f"this score {score:.3f}")
    axis.set_xlabel("score (mean cosine similarity to the references)")
    axis.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def verify(
    ctx: AppContext,
    query_file: str | None,
    crop_choice: str | None,
    state: dict | None,
    reference_files: Sequence[str] | None,
    person_id: str | None,
) -> dict:
    """Verdict, score plot and before/after-cleaning images of one verification.

    References are the uploaded files, or else the enrolled person `person_id`.
    """
    query = _query_image(query_file, crop_choice, state)
    if reference_files:
        references = [load_image(f) for f in reference_files]
        result = ctx.verifier.verify(query, references)
        against = f"{len(references)} uploaded reference(s)"
    elif person_id:
        with ctx.lock:
            gallery = ctx.enrolled_gallery()
            result = gallery.verify(person_id.strip(), query)
            references = [r.crop() for r in gallery.references(person_id.strip())]
        against = f"'{person_id.strip()}' ({len(references)} enrolled reference(s))"
    else:
        raise InvalidImageError("No references: upload reference signatures or pick a person.")
    word = "ACCEPTED — same writer" if result.accepted else "REJECTED — possible forgery"
    verdict = (
        f"## {word}\nScore **{result.score:.3f}** vs threshold **{result.threshold:.3f}** "
        f"against {against}."
    )
    originals = [query, *references]
    captions = ["questioned"] + [f"reference {i}" for i in range(1, len(references) + 1)]
    cleaned = ctx.verifier.cleaner.clean(originals) if ctx.verifier.cleaner is not None else []
    pairs = []
    for i, (image, caption) in enumerate(zip(originals, captions, strict=True)):
        pairs.append((image, f"{caption}: before cleaning"))
        if cleaned:
            pairs.append((cleaned[i], f"{caption}: after cleaning"))
    calibration = ctx.verifier.matcher.calibration if ctx.verifier.matcher else None
    return {
        "verdict": verdict,
        "accepted": result.accepted,
        "plot": score_plot(calibration, result.score, result.threshold),
        "images": pairs,
    }


# --- Gallery -------------------------------------------------------------------------------
def persons_table(ctx: AppContext) -> list[list]:
    with ctx.lock:
        gallery = ctx.gallery() if ctx.gallery_path else None
        if gallery is None:
            return []
        return [[p.person_id, p.reference_count] for p in gallery.persons()]


def enroll(
    ctx: AppContext,
    person_id: str,
    files: Sequence[str] | None,
    crop_values: Sequence[str] | None,
    state: dict | None,
) -> str:
    """Enrolls uploaded images and picked page crops for `person_id` (one transaction)."""
    person_id = (person_id or "").strip()
    if not person_id:
        raise ValueError("Type the person's id before enrolling.")
    images: list = [load_image(f) for f in files or []]
    sources: list = [{"document": Path(f).name, "box": None} for f in files or []]
    for value in crop_values or []:
        crop, source = get_crop(state, value)
        images.append(crop)
        sources.append(source)
    if not images:
        raise InvalidImageError("Nothing to enroll: upload signatures or pick crops of a page.")
    with ctx.lock:
        gallery = ctx.gallery(create=True)
        added = gallery.enroll(person_id, images, source=sources)
        total = len(gallery.references(person_id))
    return f"Enrolled {added} reference(s) for '{person_id}' ({total} in all)."


def remove(ctx: AppContext, person_id: str) -> str:
    person_id = (person_id or "").strip()
    with ctx.lock:
        gallery = ctx.gallery()
        if gallery is None or not person_id:
            raise ValueError("Pick an enrolled person to remove.")
        removed = gallery.remove(person_id)
    return f"Removed '{person_id}' and {removed} reference(s)."


def identify(
    ctx: AppContext, query_file: str | None, crop_choice: str | None, state: dict | None, k: int
) -> dict:
    """Ranked candidates (thumbnail of their first reference, score) for a query."""
    query = _query_image(query_file, crop_choice, state)
    with ctx.lock:
        gallery = ctx.enrolled_gallery()
        matches = gallery.identify(query, k=int(k))
        thumbnails = [
            (gallery.references(m.person_id)[0].crop(), f"{rank}. {m.person_id} — {m.score:.3f}")
            for rank, m in enumerate(matches, 1)
        ]
        # Ranking is by mean cosine similarity; the decision is the matcher's own score
        # against the threshold for the person's number of references.
        verdict = gallery.verify(matches[0].person_id, query) if matches else None
    lines = ["No enrolled person."]
    if verdict is not None:
        word = "accepted" if verdict.accepted else "rejected"
        lines = [
            f"Best match: **{matches[0].person_id}** (similarity {matches[0].score:.3f}); "
            f"verified: {word} (score {verdict.score:.3f}, threshold {verdict.threshold:.3f} "
            f"for {verdict.calibrated_reference_count or verdict.reference_count} references)"
        ]
    return {"candidates": thumbnails, "summary": "\n".join(lines), "matches": matches}


def find_documents(ctx: AppContext, person_id: str, folder: str, threshold: float) -> list[list]:
    """Rows (document, box, score, threshold) of every page in `folder` signed by the person."""
    if not (folder or "").strip():
        raise ValueError("Type the path of a folder of page images to search.")
    with ctx.lock:
        gallery = ctx.enrolled_gallery()
        found = gallery.find_documents(
            (person_id or "").strip(), folder.strip(), score_threshold=threshold
        )
    return [
        [m.document, ", ".join(f"{v:.0f}" for v in m.box), round(m.score, 4), round(m.threshold, 4)]
        for m in found
    ]


# --- Evaluate ------------------------------------------------------------------------------
def evaluate(
    ctx: AppContext, task: str, preset: str, data: str, progress: Progress = _no_progress
) -> dict:
    """Runs `signver_keras.evaluation.runner.evaluate`; returns its table and the plots it wrote."""
    from signver_keras.evaluation.runner import evaluate as run_evaluation

    specs = [line.strip() for line in (data or "").splitlines() if line.strip()]
    if not specs:
        raise ValueError("Type at least one dataset as LAYOUT:PATH (e.g. manifest:/data/set).")
    out = Path(ctx.workdir) / "evaluate" / str(len(list((Path(ctx.workdir)).glob("evaluate/*"))))
    progress(0.0, f"Evaluating {preset} on {len(specs)} dataset(s)")
    report = run_evaluation(task, preset.strip(), specs, out_dir=str(out))
    progress(1.0, "Done")
    plots = sorted(out.rglob("*.png"))
    return {"table": report["table"], "plots": [(str(p), p.stem) for p in plots]}
