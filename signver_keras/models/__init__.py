"""Model families. Import from here (or from `signver_keras`), never from submodules."""

from signver_keras import presets
from signver_keras.models.cleaner.signature_cleaner import SignatureCleaner
from signver_keras.models.cleaner.signature_cleaner_backbone import SignatureCleanerBackbone
from signver_keras.models.cleaner.signature_cleaner_preprocessor import (
    SignatureCleanerPreprocessor,
)
from signver_keras.models.cleaner.signature_cleaner_presets import (
    backbone_presets as _cleaner_presets,
)
from signver_keras.models.detector.signature_detector import SignatureDetector
from signver_keras.models.detector.signature_detector_backbone import (
    SignatureDetectorBackbone,
)
from signver_keras.models.detector.signature_detector_label_encoder import (
    SignatureDetectorLabelEncoder,
)
from signver_keras.models.detector.signature_detector_loss import SignatureDetectorLoss
from signver_keras.models.detector.signature_detector_preprocessor import (
    SignatureDetectorPreprocessor,
)
from signver_keras.models.detector.signature_detector_presets import (
    backbone_presets as _detector_presets,
)
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
presets.declare("detector", _detector_presets, SignatureDetectorBackbone)
presets.declare("cleaner", _cleaner_presets, SignatureCleanerBackbone)

__all__ = [
    "SignatureCleaner",
    "SignatureCleanerBackbone",
    "SignatureCleanerPreprocessor",
    "SignatureDetector",
    "SignatureDetectorBackbone",
    "SignatureDetectorLabelEncoder",
    "SignatureDetectorLoss",
    "SignatureDetectorPreprocessor",
    "SignatureExtractor",
    "SignatureExtractorBackbone",
    "SignatureExtractorPreprocessor",
]
