"""Preset stages run as NumPy programs, kept in the user cache folder.

A one-off command spends most of its time starting JAX or TensorFlow, Keras and
KerasHub and building the models, not computing. The first time a preset is loaded
through `load_stage`, its network is recorded as a NumPy `Graph` with the settings its
`detect` / `clean` / `embed` need, under `cache_root()/graphs/<family>-<hash of the
preset's files>`; from then on `load_stage` returns a NumPy stage that does the same
work with NumPy, SciPy and Pillow only. Outputs match the Keras model to float32
rounding (tests compare them). `SIGNVER_KERAS_CACHE=` (empty) turns this off.

Example:
```python
from signver_keras.runtime.numpy_tasks import load_stage
extractor = load_stage("extractor", "signver_extractor_base")  # Keras the first time
embeddings = extractor.embed(["ref1.png", "query.png"])
```
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from signver_keras import families, hub
from signver_keras.models.cleaner.cleaner_inference import CleanerInference, CleanerInputs
from signver_keras.models.detector.detector_inference import DetectorInference, DetectorInputs
from signver_keras.models.extractor.extractor_inference import (
    WRITER_BACKGROUND_FILE,
    ExtractorInference,
    extractor_batch,
    read_writer_background,
)
from signver_keras.runtime.graph import FORMAT_VERSION, Graph, UnsupportedGraphError, export_graph
from signver_keras.utils.atomic import atomic_folder
from signver_keras.utils.backend import cache_root
from signver_keras.version import __version__

SETTINGS_FILE = "settings.json"
#: Preset files that do not change what a stage computes.
_IGNORED = {hub.MODEL_CARD_FILE, "metrics.json", "training.json"}


class NumpyStage:
    """A stage's network as a NumPy `Graph` plus the settings its family needs."""

    family = ""

    def __init__(self, graph: Graph, settings: dict[str, Any], folder: Path | None = None):
        self.graph = graph
        self.settings = settings

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        return self.graph(batch)

    @staticmethod
    def settings_of(task) -> dict[str, Any]:
        """What the NumPy stage needs of a Keras task besides its network."""
        raise NotImplementedError


def _check_preprocessor(task, cls_name: str) -> None:
    """Refuses a preprocessor other than the family's own class (its settings are unknown)."""
    preprocessor = task.preprocessor
    if preprocessor is not None and type(preprocessor).__name__ != cls_name:
        raise UnsupportedGraphError(f"A custom preprocessor ({type(preprocessor).__name__}).")


class NumpyExtractor(ExtractorInference, NumpyStage):
    """`SignatureExtractor.embed` (and its calibration) as a NumPy program."""

    family = "extractor"

    def __init__(self, graph: Graph, settings: dict[str, Any], folder: Path | None = None):
        super().__init__(graph, settings)
        self.image_shape = tuple(settings["image_shape"])
        self.embedding_dim = int(settings["embedding_dim"])
        self.calibration = settings["calibration"]
        self.writer_background = read_writer_background(folder) if folder else None

    def fingerprint(self) -> str:
        return self.settings["fingerprint"]

    def _preprocess(self, grays: list[np.ndarray]) -> np.ndarray:
        return extractor_batch(grays, self.settings["target_size"], self.settings["margin"])

    @staticmethod
    def settings_of(task) -> dict[str, Any]:
        _check_preprocessor(task, "SignatureExtractorPreprocessor")
        inputs = task._extractor_inputs()
        return {
            "image_shape": [int(side) for side in task.image_shape],
            "embedding_dim": int(task.embedding_dim),
            "calibration": task.calibration,
            "fingerprint": task.fingerprint(),
            "target_size": [int(side) for side in inputs.target_size],
            "margin": float(inputs.margin),
        }


class NumpyCleaner(CleanerInference, NumpyStage):
    """`SignatureCleaner.clean` as a NumPy program."""

    family = "cleaner"

    def __init__(self, graph: Graph, settings: dict[str, Any], folder: Path | None = None):
        super().__init__(graph, settings)
        self.stride = int(settings["stride"])

    def _cleaner_inputs(self) -> CleanerInputs:
        return CleanerInputs(self.settings["max_side"], self.settings["pad_multiple"])

    @staticmethod
    def settings_of(task) -> dict[str, Any]:
        _check_preprocessor(task, "SignatureCleanerPreprocessor")
        inputs = task._cleaner_inputs()
        return {"stride": task.stride, "max_side": inputs.max_side,
                "pad_multiple": inputs.pad_multiple}  # fmt: skip


class NumpyDetector(DetectorInference, NumpyStage):
    """`SignatureDetector.detect` as a NumPy program."""

    family = "detector"
    _ATTRIBUTES = ("class_names", "score_threshold", "iou_threshold", "max_detections",
                   "image_size", "output_stride")  # fmt: skip

    def __init__(self, graph: Graph, settings: dict[str, Any], folder: Path | None = None):
        super().__init__(graph, settings)
        for name in self._ATTRIBUTES:
            setattr(self, name, settings[name])
        self.class_names = tuple(self.class_names)

    def _detector_inputs(self) -> DetectorInputs:
        return DetectorInputs(**self.settings["inputs"])

    @staticmethod
    def settings_of(task) -> dict[str, Any]:
        _check_preprocessor(task, "SignatureDetectorPreprocessor")
        inputs = task._detector_inputs()
        settings = {name: getattr(task, name) for name in NumpyDetector._ATTRIBUTES}
        settings["class_names"] = list(settings["class_names"])
        settings["inputs"] = {
            "letterbox_size": inputs.letterbox_size,
            "downscale": inputs.downscale,
            "normalize": inputs.normalize,
        }
        return settings


NUMPY_STAGES: dict[str, type[NumpyStage]] = {
    cls.family: cls for cls in (NumpyDetector, NumpyCleaner, NumpyExtractor)
}


def graph_folder(preset_folder: str | os.PathLike, family: str) -> Path | None:
    """Where the NumPy stage of a local preset folder is cached; None with the cache off.

    Named by a hash of the preset's files, so an edited or retrained preset (same
    path, new weights) never reuses a stale graph.
    """
    root = cache_root()
    if root is None:
        return None
    digest = hashlib.sha256(f"{family} {FORMAT_VERSION} {__version__}".encode())
    folder = Path(preset_folder)
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name not in _IGNORED:
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return root / "graphs" / f"{family}-{digest.hexdigest()[:24]}"


def load_numpy_stage(folder: Path, family: str) -> NumpyStage | None:
    """The NumPy stage cached in `folder`, or None when there is none (or it is unreadable)."""
    graph = Graph.load(folder)
    if graph is None:
        return None
    try:
        settings = json.loads((folder / SETTINGS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return NUMPY_STAGES[family](graph, settings, folder)


def save_numpy_stage(task, family: str, folder: Path) -> None:
    """Records a Keras task as a NumPy stage in `folder` (written whole or not at all).

    Raises:
        UnsupportedGraphError: the network or preprocessor has parts the NumPy stage lacks.
    """
    settings = NUMPY_STAGES[family].settings_of(task)
    graph = export_graph(task)

    def write(tmp: Path) -> None:
        graph.save(tmp)
        (tmp / SETTINGS_FILE).write_text(json.dumps(settings))
        background = getattr(task, "writer_background", None)
        if background is not None:
            np.save(tmp / WRITER_BACKGROUND_FILE, background)

    folder.parent.mkdir(parents=True, exist_ok=True)
    atomic_folder(folder, write)


def load_stage(family: str, preset: str | os.PathLike):
    """A detector, cleaner or extractor preset as its NumPy stage, cached per preset.

    The first load builds the Keras task to record its NumPy stage in the cache; later
    processes skip Keras. The Keras task is returned when the cache is turned off or the
    model has parts the NumPy runner lacks. Errors (unknown preset, wrong family, Hub
    failures) are those of `from_preset`.
    """
    handle = hub.load_handle(preset, family)
    cached = graph_folder(handle, family) if os.path.isdir(handle) else None
    if cached is not None:
        stage = load_numpy_stage(cached, family)
        if stage is not None:
            return stage
    # Keras's NumPy backend (the CLI records stages with it) evaluates layers on
    # placeholder data while building: overflow warnings there mean nothing.
    with np.errstate(all="ignore"):
        task = families.family(family).load_task_class().from_preset(handle)
    if cached is None:
        return task
    try:
        save_numpy_stage(task, family, cached)
    except (UnsupportedGraphError, OSError):
        return task  # the Keras task still works; only later starts stay slow
    # Run the NumPy stage from the first call too: one program per process, and no
    # backend compilation at all (JAX would compile every input shape first).
    return load_numpy_stage(cached, family) or task
