"""Small layers shared by the backbones, registered so presets deserialize safely."""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="signver_keras")
class L2Normalize(layers.Layer):
    """Scales each vector along the last axis to unit L2 norm."""

    def call(self, inputs):
        return inputs / ops.sqrt(
            ops.maximum(ops.sum(inputs * inputs, axis=-1, keepdims=True), 1e-12)
        )


def conv_bn_relu(x, filters: int, kernel_size: int = 3, strides: int = 1, name: str = ""):
    """Conv2D (no bias) -> BatchNorm -> ReLU, the building block of every backbone here."""
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def residual_block(x, filters: int, strides: int = 1, name: str = ""):
    """Two 3x3 convs with a projection shortcut when the shape changes (ResNet basic block)."""
    shortcut = x
    y = conv_bn_relu(x, filters, 3, strides, name=f"{name}_a")
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_b_conv")(y)
    y = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_b_bn")(y)
    if strides != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(
            filters, 1, strides=strides, use_bias=False, name=f"{name}_proj_conv"
        )(x)
        shortcut = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_proj_bn")(
            shortcut
        )
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([y, shortcut]))
