import numpy as np
import pytest

import signver_keras as sv
from signver_keras.models.layers import grow_from
from tests.tiny_models import tiny_detector


def detector_with_blocks(stage_blocks, stage_filters=(8, 8, 16)) -> sv.SignatureDetector:
    backbone = sv.models.SignatureDetectorBackbone(
        image_shape=(64, 64, 1),
        stem_filters=4,
        stage_filters=stage_filters,
        stage_blocks=stage_blocks,
        fpn_filters=8,
    )
    return sv.SignatureDetector(backbone, head_filters=8)


def test_grown_detector_starts_with_the_same_predictions():
    source = tiny_detector()
    pages = np.random.default_rng(0).random((2, 64, 64, 1)).astype("float32")
    # Move BatchNorm statistics off their defaults so copied weights matter.
    for layer in source.backbone.layers:
        if hasattr(layer, "moving_mean"):
            layer.moving_mean.assign(np.full(layer.moving_mean.shape, 0.1, "float32"))
    target = detector_with_blocks((1, 2, 3))

    new = grow_from(target, source)

    assert new == sorted(
        f"stage{stage}_block{block}_{part}"
        for stage, block in [(1, 1), (2, 1), (2, 2)]
        for part in ("a_bn", "a_conv", "b_bn", "b_conv")
    )
    np.testing.assert_allclose(
        np.asarray(target(pages)), np.asarray(source(pages)), rtol=1e-5, atol=1e-5
    )
    assert target.count_params() > source.count_params()


def test_grow_refuses_a_target_that_drops_learned_layers():
    with pytest.raises(ValueError, match="stage2_block0_a_conv"):
        grow_from(detector_with_blocks((1, 1, 1), stage_filters=(8, 8, 24)), tiny_detector())
