"""Model families. Import from here (or from `signver_keras`), never from submodules."""

from signver_keras import presets
from signver_keras.models.extractor.signature_extractor import SignatureExtractor
from signver_keras.models.extractor.signature_extractor_backbone import (
    SignatureExtractorBackbone,
)
from signver_keras.models.extractor.signature_extractor_preprocessor import (
    SignatureExtractorPreprocessor,
)
from signver_keras.models.extractor.signature_extractor_presets import (
    backbone_presets as _extractor_presets,
)

presets.declare("extractor", _extractor_presets, SignatureExtractorBackbone)

__all__ = [
    "SignatureExtractor",
    "SignatureExtractorBackbone",
    "SignatureExtractorPreprocessor",
]
