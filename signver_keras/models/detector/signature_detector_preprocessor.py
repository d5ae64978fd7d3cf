"""Letterboxes pages of any size into the detector's square input, and maps boxes back."""

from __future__ import annotations

import keras
import keras_hub

from signver_keras.models.detector.detector_inference import DetectorInputs
from signver_keras.models.detector.signature_detector_backbone import SignatureDetectorBackbone


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureDetectorPreprocessor(DetectorInputs, keras_hub.models.Preprocessor):
    """Grayscale, paper-tone removal and letterboxing to the square network input.

    Accepts what every signver-keras method accepts (paths, PIL images, numpy
    arrays, one or a list; see `signver_keras.images.load_image`). Each page is
    scaled so its longer side equals `letterbox_size`, centered on a zero
    background, and turned into ink intensity in [0, 1] (the median paper tone
    maps to 0). `letterbox` also returns the per-page transforms that
    `letterbox_boxes` / `unletterbox_boxes` use to move boxes between page
    pixels and network pixels.

    Args:
        letterbox_size: int. Side of the square network input. Defaults to 512.
        downscale: str. `"bilinear"` (default) averages pixels as the page shrinks;
            `"min"` averages the page down to k times the input (k <= 3), smooths
            the pixel noise the averaging left (photos, halftone screens, cheque
            patterns) and keeps the darkest pixel of each k x k block, so thin,
            faint strokes of 300-600 dpi scans stay visible while noise does not
            turn into ink.
        normalize: str. `"global"` (default) subtracts one paper level, the page's
            median; `"local"` divides by a paper level estimated around each pixel
            (`local_paper_normalize`), flattening shadows and lighting gradients of
            phone photos.

    Example:
    ```python
    import signver_keras as sv
    preprocessor = sv.models.SignatureDetectorPreprocessor(letterbox_size=512)
    # For high-resolution scans and phone photos:
    ink_preserving = sv.models.SignatureDetectorPreprocessor(downscale="min", normalize="local")
    batch, transforms = preprocessor.letterbox(["page1.png", "page2.png"])  # (2, 512, 512, 1)
    page_boxes = preprocessor.unletterbox_boxes([[10, 20, 200, 80]], transforms[0])
    ```
    """

    backbone_cls = SignatureDetectorBackbone

    def __init__(
        self,
        letterbox_size: int = 512,
        downscale: str = "bilinear",
        normalize: str = "global",
        **kwargs,
    ):
        keras_hub.models.Preprocessor.__init__(self, **kwargs)
        DetectorInputs.__init__(self, letterbox_size, downscale, normalize)

    def call(self, x, y=None, sample_weight=None):
        return keras.utils.pack_x_y_sample_weight(self.letterbox(x)[0], y, sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "letterbox_size": self.letterbox_size,
                "downscale": self.downscale,
                "normalize": self.normalize,
            }
        )
        return config
