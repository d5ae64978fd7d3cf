"""signver-keras: a Keras 3 model zoo for offline handwritten signature verification.

```python
import signver_keras as sv
verifier = sv.SignatureVerifier.from_preset("signver_base")
result = verifier.verify("cheque.png", ["ref1.png", "ref2.png", "ref3.png"])
```
"""

import os

# JAX is the default backend; respect an explicit choice made before import.
os.environ.setdefault("KERAS_BACKEND", "jax")
# keras-hub imports TensorFlow; keep its C++ start-up chatter out of users' output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from signver_keras import models  # noqa: E402
from signver_keras.embeddings import Embeddings  # noqa: E402
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
from signver_keras.evaluation.calibration import (  # noqa: E402
    calibrate_extractor,
    calibrate_matcher,
)
from signver_keras.gallery import SignatureGallery  # noqa: E402
from signver_keras.images import load_image, load_images  # noqa: E402
from signver_keras.models import (  # noqa: E402
    SignatureCleaner,
    SignatureDetector,
    SignatureExtractor,
)
from signver_keras.models.matcher.matcher import (  # noqa: E402
    Matcher,
    ScoreRule,
    Verification,
    WriterThresholdRule,
)
from signver_keras.models.matcher.writer_classifier import WriterClassifier  # noqa: E402
from signver_keras.pipeline.signature_verifier import (  # noqa: E402
    FoundSignatures,
    SignatureVerifier,
)
from signver_keras.pipeline.signature_verifier_presets import pipeline_presets  # noqa: E402
from signver_keras.presets import declare, list_presets  # noqa: E402
from signver_keras.version import __version__  # noqa: E402

declare("pipeline", pipeline_presets, None)

__all__ = [
    "EmbeddingMismatchError",
    "Embeddings",
    "EmptyReferencesError",
    "HubUnavailableError",
    "ImageNotFoundError",
    "FoundSignatures",
    "ImageTooLargeError",
    "InvalidImageError",
    "Matcher",
    "PresetNotFoundError",
    "ScoreRule",
    "SignatureCleaner",
    "SignatureDetector",
    "SignatureExtractor",
    "SignatureGallery",
    "SignatureVerifier",
    "SignverError",
    "Verification",
    "WriterClassifier",
    "WriterThresholdRule",
    "__version__",
    "calibrate_extractor",
    "calibrate_matcher",
    "list_presets",
    "load_image",
    "load_images",
    "models",
]
