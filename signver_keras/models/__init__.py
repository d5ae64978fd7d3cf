"""Model families. Import from here (or from `signver_keras`), never from submodules.

Names are loaded on first use (PEP 562), so `import signver_keras.models` loads no
backend; the first model class looked up prepares it (`signver_keras.utils.backend`).
"""

import importlib

_FAMILY_MODULES = {
    "SignatureCleaner": "cleaner.signature_cleaner",
    "SignatureCleanerBackbone": "cleaner.signature_cleaner_backbone",
    "SignatureCleanerPreprocessor": "cleaner.signature_cleaner_preprocessor",
    "SignatureDetector": "detector.signature_detector",
    "SignatureDetectorBackbone": "detector.signature_detector_backbone",
    "SignatureDetectorLabelEncoder": "detector.signature_detector_label_encoder",
    "SignatureDetectorLoss": "detector.signature_detector_loss",
    "SignatureDetectorPreprocessor": "detector.signature_detector_preprocessor",
    "SignatureExtractor": "extractor.signature_extractor",
    "SignatureExtractorBackbone": "extractor.signature_extractor_backbone",
    "SignatureExtractorPreprocessor": "extractor.signature_extractor_preprocessor",
}

__all__ = sorted(_FAMILY_MODULES)


def __getattr__(name: str):
    if name not in _FAMILY_MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from signver_keras.utils.backend import prepare_backend

    prepare_backend()
    value = getattr(importlib.import_module(f"{__name__}.{_FAMILY_MODULES[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
