"""`SignatureVerifier`: document -> detect -> crop -> clean -> embed -> verify / identify."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from signver_keras import families, hub, presets
from signver_keras.embeddings import Embeddings
from signver_keras.errors import EmptyReferencesError, PresetNotFoundError
from signver_keras.images import ImageInput, load_image, load_images, load_signatures
from signver_keras.model_card import render_pipeline_card
from signver_keras.models.matcher.matcher import Matcher, Verification
from signver_keras.utils.atomic import atomic_folder

PIPELINE_FILE = "pipeline.json"
STAGES = families.STAGES


def pipeline_card(name: str, spec: dict[str, Any]) -> str:
    """The model card of a pipeline preset from its `pipeline.json` content."""
    return render_pipeline_card(name, {stage: spec[stage] for stage in STAGES if stage in spec})


@dataclass
class FoundSignatures:
    """Signatures found on one page, in the page's pixel coordinates."""

    boxes: np.ndarray  # (N, 4) float32 xyxy
    scores: np.ndarray  # (N,)
    labels: np.ndarray  # (N,) int
    names: list[str]
    crops: list[np.ndarray]  # uint8 grayscale, as cut from the page
    embeddings: Embeddings | None  # (N, D), or None without an extractor

    def __len__(self) -> int:
        return len(self.boxes)


def _load_stage(stage: str, preset: str, cached_graphs: bool):
    if cached_graphs:
        from signver_keras.runtime.numpy_tasks import load_stage

        return load_stage(stage, preset)
    return families.family(stage).load_task_class().from_preset(preset)


def crop_boxes(page: np.ndarray, boxes: np.ndarray, padding: float = 0.02) -> list[np.ndarray]:
    """Cuts boxes (xyxy pixels) out of a page with a small relative padding."""
    height, width = page.shape[:2]
    crops = []
    for x0, y0, x1, y1 in np.asarray(boxes, np.float32).reshape(-1, 4):
        pad = padding * max(x1 - x0, y1 - y0)
        left, top = int(max(np.floor(x0 - pad), 0)), int(max(np.floor(y0 - pad), 0))
        right, bottom = int(min(np.ceil(x1 + pad), width)), int(min(np.ceil(y1 + pad), height))
        crops.append(page[top : max(bottom, top + 1), left : max(right, left + 1)])
    return crops


class SignatureVerifier:
    """Composes detector, cleaner, extractor and matcher; every stage but the extractor is optional.

    Args:
        extractor: a `SignatureExtractor`.
        matcher: a `Matcher`; defaults to `Matcher.from_extractor(extractor)` (the
            extractor's calibration: score rule and a threshold per number of
            references). The gallery decides with the same matcher.
        detector: a `SignatureDetector`, or None (then `find_signatures` is unavailable).
        cleaner: a `SignatureCleaner`, or None to embed crops as they are.
        signature_classes: detector classes treated as signatures by `find_signatures`.

    Example:
    ```python
    import signver_keras as sv
    verifier = sv.SignatureVerifier.from_preset("signver_base")
    result = verifier.verify("cheque.png", ["ref1.png", "ref2.png", "ref3.png"])
    print(result.accepted, result.score, result.threshold, result.calibrated_reference_count)
    page = verifier.find_signatures("contract.jpg")
    print(page.boxes, page.names)
    ```
    """

    def __init__(
        self,
        extractor,
        matcher: Matcher | None = None,
        detector=None,
        cleaner=None,
        signature_classes: Sequence[str] = ("signature", "initials"),
    ):
        self.extractor = extractor
        self.detector = detector
        self.cleaner = cleaner
        self.signature_classes = tuple(signature_classes)
        if matcher is None and extractor is not None and extractor.calibration:
            matcher = Matcher.from_extractor(extractor)
        self.matcher = matcher

    @classmethod
    def from_preset(
        cls,
        preset: str | os.PathLike = "signver_base",
        cached_graphs: bool = False,
        **overrides: Any,
    ) -> SignatureVerifier:
        """Loads a pipeline preset: a folder (bundled, local or on the Hub) with `pipeline.json`.

        `pipeline.json` names a preset per stage (`detector`, `cleaner`,
        `extractor`): a bundled name, a Hub handle, or a folder relative to the
        pipeline's own folder; an optional `matcher` entry holds a calibration
        and/or a fixed `threshold` (else the extractor's calibration is used). Keyword
        overrides replace a stage: pass a model, another preset name, or None to
        skip that stage (e.g. `cleaner=None`).

        `cached_graphs=True` runs each stage named by a preset as a NumPy program kept
        in the user cache folder (`signver_keras.runtime.numpy_tasks.load_stage`): the
        first load records it with Keras, later processes start without a backend.
        Results match to float32 rounding; the stages cannot be fine-tuned.
        """
        folder = presets.resolve(preset, "pipeline")
        if folder.startswith(hub.HF_PREFIX):
            folder = hub.download_preset(folder)
        spec_path = Path(folder) / PIPELINE_FILE
        if not spec_path.exists():
            raise PresetNotFoundError(
                f"'{preset}' is not a pipeline preset: it has no {PIPELINE_FILE}. Load single "
                "models with SignatureDetector/SignatureCleaner/SignatureExtractor.from_preset."
            )
        spec = json.loads(spec_path.read_text())
        unknown = set(overrides) - set(STAGES) - {"matcher"}
        if unknown:
            raise TypeError(f"Unknown stages {sorted(unknown)}; expected {STAGES} or 'matcher'.")
        stages: dict[str, Any] = {}
        for stage in STAGES:
            choice = overrides.get(stage, spec.get(stage))
            if isinstance(choice, str):
                local = Path(folder) / choice
                choice = _load_stage(stage, str(local) if local.is_dir() else choice, cached_graphs)
            stages[stage] = choice
        matcher = overrides.get("matcher")
        if matcher is None and "matcher" in spec:
            extractor = stages["extractor"]
            matcher = Matcher(
                spec["matcher"].get("threshold"),
                spec["matcher"].get("calibration"),
                background=getattr(extractor, "writer_background", None),
            )
        return cls(matcher=matcher, **stages)

    def save_to_preset(self, preset_dir: str | os.PathLike) -> None:
        """Writes `pipeline.json` and one sub-folder per stage; loads back with `from_preset`."""

        def write(folder: Path) -> None:
            spec = {}
            for stage in STAGES:
                model = getattr(self, stage)
                if model is not None:
                    model.save_to_preset(folder / stage)
                    spec[stage] = stage
            if self.matcher is not None:
                spec["matcher"] = {"calibration": self.matcher.calibration}
                if self.matcher.fixed_threshold is not None:
                    spec["matcher"]["threshold"] = self.matcher.fixed_threshold
            (folder / PIPELINE_FILE).write_text(json.dumps(spec, indent=2))
            card = pipeline_card(Path(preset_dir).name, spec)
            (folder / hub.MODEL_CARD_FILE).write_text(card)

        atomic_folder(preset_dir, write)

    def push_to_hub(self, repo_id: str, private: bool = False) -> str:
        """Uploads the whole pipeline (all stages) to one Hub repository."""
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "pipeline"
            self.save_to_preset(folder)
            return hub.upload_folder(folder, repo_id, private=private)

    def embed(
        self, images: ImageInput | Sequence[ImageInput], check_input: bool = True
    ) -> Embeddings:
        """Cleans (when a cleaner is set) and embeds signature crops.

        `check_input` refuses images too small or blank to be a signature
        (`InvalidImageError` naming the file); detector crops skip it.
        """
        grays = load_signatures(images) if check_input else load_images(images)
        if self.cleaner is not None:
            grays = self.cleaner.clean(grays)
        # Checked above: a crop the cleaner left blank is embedded, not refused.
        return self.extractor.embed(grays, check_input=False)

    def _require_matcher(self) -> Matcher:
        if self.matcher is None:
            raise ValueError(
                "This extractor carries no calibrated threshold; pass "
                "`matcher=sv.Matcher(threshold=...)` to SignatureVerifier."
            )
        return self.matcher

    def verify(
        self, query: ImageInput, references: ImageInput | Sequence[ImageInput]
    ) -> Verification:
        """Decides whether `query` was written by the writer of `references`.

        The matcher's decision for this number of references: the result says
        which threshold (`calibrated_reference_count`) and policy (`rule`) decided.
        """
        matcher = self._require_matcher()
        if references is None or (isinstance(references, (list, tuple)) and not references):
            raise EmptyReferencesError("No reference signatures: pass at least one reference.")
        images = load_signatures([query]) + load_signatures(references)
        embeddings = self.embed(images, check_input=False)
        return matcher.verify(embeddings[:1], embeddings[1:])

    def identify(
        self, query: ImageInput, gallery: Mapping[str, np.ndarray], k: int = 5
    ) -> list[tuple[str, float]]:
        """Ranks enrolled persons ({person_id: reference embeddings}) for a query signature."""
        return self._require_matcher().identify(self.embed(query), gallery, k)

    def find_signatures(
        self, document: ImageInput, score_threshold: float | None = None
    ) -> FoundSignatures:
        """Detects signatures (and initials) on a page, crops, cleans and embeds them."""
        if self.detector is None:
            raise ValueError(
                "find_signatures needs a detector; this pipeline was built without one."
            )
        page = load_image(document)
        found = self.detector.detect(page, score_threshold=score_threshold)[0]
        keep = np.array([name in self.signature_classes for name in found["names"]], bool)
        boxes = found["boxes"][keep] if len(keep) else found["boxes"]
        crops = crop_boxes(page, boxes)
        return FoundSignatures(
            boxes=boxes,
            scores=found["scores"][keep] if len(keep) else found["scores"],
            labels=found["labels"][keep] if len(keep) else found["labels"],
            names=[n for n, k in zip(found["names"], keep, strict=True) if k],
            crops=crops,
            embeddings=(
                self.embed(crops, check_input=False)
                if crops and self.extractor is not None
                else None
            ),
        )
