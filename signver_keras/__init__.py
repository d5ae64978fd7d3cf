"""signver-keras: a Keras 3 model zoo for offline handwritten signature verification.

```python
import signver_keras as sv
verifier = sv.SignatureVerifier.from_preset("signver_base")
result = verifier.verify("cheque.png", ["ref1.png", "ref2.png", "ref3.png"])
```

Names are loaded on first use (PEP 562): `import signver_keras` is fast and
imports no backend; the first model class used prepares one
(`signver_keras.utils.backend`).
"""

import importlib

from signver_keras.utils.backend import choose_default_backend

# JAX is the default backend; respect an explicit choice made before import.
choose_default_backend()

from signver_keras.errors import (  # noqa: E402
    EmbeddingMismatchError,
    EmptyReferencesError,
    HubUnavailableError,
    ImageNotFoundError,
    ImageTooLargeError,
    InvalidImageError,
    PresetNotFoundError,
    SignverError,
)
from signver_keras.version import __version__  # noqa: E402

# Public name -> module that defines it, imported when the name is first used.
_LAZY = {
    "Embeddings": "signver_keras.embeddings",
    "FoundSignatures": "signver_keras.pipeline.signature_verifier",
    "Matcher": "signver_keras.models.matcher.matcher",
    "ScoreRule": "signver_keras.models.matcher.matcher",
    "SignatureCleaner": "signver_keras.models",
    "SignatureDetector": "signver_keras.models",
    "SignatureExtractor": "signver_keras.models",
    "SignatureGallery": "signver_keras.gallery",
    "SignatureVerifier": "signver_keras.pipeline.signature_verifier",
    "Verification": "signver_keras.models.matcher.matcher",
    "WriterClassifier": "signver_keras.models.matcher.writer_classifier",
    "WriterThresholdRule": "signver_keras.models.matcher.matcher",
    "calibrate_extractor": "signver_keras.evaluation.calibration",
    "calibrate_matcher": "signver_keras.evaluation.calibration",
    "list_presets": "signver_keras.presets",
    "load_image": "signver_keras.images",
    "load_images": "signver_keras.images",
}
_SUBMODULES = ("models", "presets")

__all__ = [
    "EmbeddingMismatchError",
    "EmptyReferencesError",
    "HubUnavailableError",
    "ImageNotFoundError",
    "ImageTooLargeError",
    "InvalidImageError",
    "PresetNotFoundError",
    "SignverError",
    "__version__",
    *_LAZY,
    *_SUBMODULES,
]


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
