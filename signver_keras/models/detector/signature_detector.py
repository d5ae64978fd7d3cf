"""`SignatureDetector`: document pages in, signature / initials / redaction / date boxes out."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

from signver_keras.models.detector.detector_inference import (
    CLASS_NAMES,
    DetectorInference,
    DetectorInputs,
    check_threshold,
)
from signver_keras.models.detector.signature_detector_backbone import SignatureDetectorBackbone
from signver_keras.models.detector.signature_detector_label_encoder import (
    SignatureDetectorLabelEncoder,
)
from signver_keras.models.detector.signature_detector_loss import SignatureDetectorLoss
from signver_keras.models.detector.signature_detector_preprocessor import (
    SignatureDetectorPreprocessor,
)
from signver_keras.models.layers import conv_bn_relu
from signver_keras.models.signver_task import SignverTask

#: Heatmap bias so every location starts at probability 0.01 (focal-loss prior).
_HEATMAP_PRIOR_BIAS = -math.log((1 - 0.01) / 0.01)


@keras.saving.register_keras_serializable(package="signver_keras")
class SignatureDetector(DetectorInference, SignverTask):
    """Finds signatures, initials, redactions and dates on document pages.

    An anchor-free, CenterNet-style detector: the backbone's stride-4 feature
    map feeds one head predicting a per-class center heatmap (sigmoid) and one
    predicting each object's log width/height and sub-cell center offset.
    `detect` letterboxes each page to the square input, finds heatmap peaks
    (3x3 max), keeps the top `max_detections`, thresholds them, applies
    class-wise NMS and maps the boxes back to the pixels of the page passed in.

    The model's raw output is `(B, h, w, C + 4)`: heatmap logits, log size and
    offset (see `signature_detector_label_encoder`). `fit`, `evaluate` and
    `predict` take *preprocessed* batches (`preprocessor.letterbox`) and
    targets from `label_encoder()`.

    Args:
        backbone: a `SignatureDetectorBackbone`.
        preprocessor: a `SignatureDetectorPreprocessor` or None.
        class_names: tuple of str. Class of each heatmap channel, in order.
            Defaults to `("signature", "initials", "redaction", "date")`.
        score_threshold: float. Default minimum score of a returned box. Defaults to 0.3.
        iou_threshold: float. Class-wise NMS overlap threshold. Defaults to 0.5.
        max_detections: int. Peaks kept per page before thresholding. Defaults to 100.
        head_filters: int. Channels of the 3x3 conv of each head. Defaults to 48.

    Example:
    ```python
    import signver_keras as sv
    detector = sv.SignatureDetector.from_preset("signver_detector_base")
    [page] = detector.detect("contract.png")
    for box, name, score in zip(page["boxes"], page["names"], page["scores"]):
        print(name, score, box)  # xyxy in pixels of contract.png

    # Fine-tuning on your own pages (boxes in page pixels, labels as class indices).
    batch, transforms = detector.preprocessor.letterbox(["page1.png"])
    boxes = [detector.preprocessor.letterbox_boxes([[120, 900, 640, 1080]], transforms[0])]
    targets = detector.label_encoder()(boxes, [[0]])
    detector.fit(batch, targets, epochs=5)
    ```
    """

    family = "detector"
    backbone_cls = SignatureDetectorBackbone
    preprocessor_cls = SignatureDetectorPreprocessor

    def __init__(
        self,
        backbone: SignatureDetectorBackbone,
        preprocessor: SignatureDetectorPreprocessor | None = None,
        class_names: Sequence[str] = CLASS_NAMES,
        score_threshold: float = 0.3,
        iou_threshold: float = 0.5,
        max_detections: int = 100,
        head_filters: int = 48,
        **kwargs,
    ):
        class_names = tuple(class_names)
        if not class_names or len(set(class_names)) != len(class_names):
            raise ValueError(f"class_names must be unique and non-empty; received {class_names}.")
        check_threshold(score_threshold, "score_threshold")
        check_threshold(iou_threshold, "iou_threshold")

        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor

        # === Functional Model ===
        inputs = backbone.input
        features = backbone(inputs)
        heat = conv_bn_relu(features, head_filters, 3, name="heatmap_head")
        heat = layers.Conv2D(
            len(class_names),
            1,
            bias_initializer=keras.initializers.Constant(_HEATMAP_PRIOR_BIAS),
            name="heatmap_logits",
        )(heat)
        box = conv_bn_relu(features, head_filters, 3, name="box_head")
        box = layers.Conv2D(4, 1, name="box_size_offset")(box)
        outputs = layers.Concatenate(name="predictions")([heat, box])
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.class_names = class_names
        self.score_threshold = float(score_threshold)
        self.iou_threshold = float(iou_threshold)
        self.max_detections = int(max_detections)
        self.head_filters = head_filters

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "class_names": list(self.class_names),
                "score_threshold": self.score_threshold,
                "iou_threshold": self.iou_threshold,
                "max_detections": self.max_detections,
                "head_filters": self.head_filters,
            }
        )
        return config

    def compile(self, optimizer="auto", loss="auto", *, metrics=None, **kwargs):
        """Configures the detector for fine-tuning.

        Args:
            optimizer: `"auto"` (AdamW, learning rate 5e-4, weight decay 1e-4) or any
                Keras optimizer.
            loss: `"auto"` (`SignatureDetectorLoss()`) or any Keras loss taking
                `(targets (B, h, w, C + 5), predictions (B, h, w, C + 4))`.
            metrics: Keras metrics, or None. Compute mAP outside `fit`.
            **kwargs: passed to `keras.Model.compile`.
        """
        if optimizer == "auto":
            optimizer = keras.optimizers.AdamW(learning_rate=5e-4, weight_decay=1e-4)
        if loss == "auto":
            loss = SignatureDetectorLoss()
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    @property
    def image_size(self) -> int:
        return int(self.backbone.image_shape[0])

    @property
    def output_stride(self) -> int:
        return int(self.backbone.output_stride)

    def label_encoder(self) -> SignatureDetectorLabelEncoder:
        """The target encoder matching this model's classes, input size and stride."""
        return SignatureDetectorLabelEncoder(
            len(self.class_names), self.image_size, self.output_stride
        )

    def _detector_inputs(self) -> DetectorInputs:
        return self.preprocessor or SignatureDetectorPreprocessor(self.image_size)
