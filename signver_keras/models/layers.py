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


def _layers_by_name(model: keras.Model) -> dict[str, layers.Layer]:
    """Every weighted layer of `model`, nested models (a task's backbone) flattened."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.update(_layers_by_name(layer))
        elif layer.weights:
            found[layer.name] = layer
    return found


def grow_from(target: keras.Model, source: keras.Model) -> list[str]:
    """Starts `target` as `source`: a deeper network initialised to compute the same function.

    Every layer of `target` whose name and weight shapes match a layer of
    `source` takes its weights. A `residual_block` that `source` lacks starts as
    an identity map: its last BatchNorm scale and offset are zero, so the block
    adds nothing to its (already rectified) input until training moves them.

    Args:
        target: the model to initialise (modified in place).
        source: a model with the same layer names, e.g. the preset being grown.

    Returns:
        The names of the `target` layers not taken from `source`, sorted.

    Raises:
        ValueError: when a layer of `source` has no same-named, same-shaped
            layer in `target` (the target would drop what the source learned).
    """
    wanted, given = _layers_by_name(target), _layers_by_name(source)
    dropped = [
        name
        for name, layer in given.items()
        if name not in wanted
        or [w.shape for w in wanted[name].weights] != [w.shape for w in layer.weights]
    ]
    if dropped:
        raise ValueError(
            f"Expected every layer of the source model in the target with the same weight "
            f"shapes; received a target without {', '.join(sorted(dropped))}."
        )
    for name, layer in given.items():
        wanted[name].set_weights(layer.get_weights())
    new = sorted(set(wanted) - set(given))
    for name in new:
        if name.endswith("_b_bn"):
            bn = wanted[name]
            for variable in (bn.gamma, bn.beta):
                variable.assign(ops.zeros(variable.shape, variable.dtype))
    return new
