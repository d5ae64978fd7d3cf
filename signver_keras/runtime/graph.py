"""A network as a NumPy program: run a trained model without importing a Keras backend.

Importing JAX and Keras and building a model takes several seconds on a small CPU,
longer than a one-off `verify` computes. `export_graph` records a built model once as a
flat list of layer calls with their weights (`Graph`); `Graph.__call__` then runs the
same inference in NumPy. Only the layer types the signver-keras backbones use are
supported; anything else raises `UnsupportedGraphError`, and callers keep using Keras.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from signver_keras.utils.atomic import atomic_path, atomic_write_text

GRAPH_FILE = "graph.json"
WEIGHTS_FILE = "weights.npz"
#: Bumped whenever the recorded format or an op's meaning changes: older graphs are ignored.
FORMAT_VERSION = 1


class UnsupportedGraphError(ValueError):
    """The model holds a layer or setting the NumPy runner does not implement."""


@dataclass
class Node:
    """One layer call: `op` applied to the named inputs, producing `name`."""

    name: str
    op: str
    inputs: list[str]
    config: dict[str, Any]
    weights: list[np.ndarray]


@dataclass
class Graph:
    """A model's inference as layer calls in execution order."""

    inputs: list[str]
    outputs: list[str]
    nodes: list[Node]

    def __call__(self, *arrays: np.ndarray) -> np.ndarray | list[np.ndarray]:
        """Runs the graph on float32 NHWC inputs; one array per model output."""
        values = {
            name: np.asarray(array, np.float32)
            for name, array in zip(self.inputs, arrays, strict=True)
        }
        for node in self.nodes:
            values[node.name] = OPS[node.op](
                [values[name] for name in node.inputs], node.config, node.weights
            )
        outputs = [values[name] for name in self.outputs]
        return outputs[0] if len(outputs) == 1 else outputs

    def save(self, folder: str | Path) -> None:
        """Writes `graph.json` and `weights.npz` (weights last: a folder with both is whole)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        spec = {
            "format": FORMAT_VERSION,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "nodes": [
                {"name": n.name, "op": n.op, "inputs": n.inputs, "config": n.config}
                for n in self.nodes
            ],
        }
        arrays = {f"{i}/{j}": w for i, n in enumerate(self.nodes) for j, w in enumerate(n.weights)}
        atomic_write_text(folder / GRAPH_FILE, json.dumps(spec))
        with atomic_path(folder / WEIGHTS_FILE) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, folder: str | Path) -> Graph | None:
        """The graph saved in `folder`, or None when there is none of this format."""
        folder = Path(folder)
        try:
            spec = json.loads((folder / GRAPH_FILE).read_text())
            if spec.get("format") != FORMAT_VERSION:
                return None
            with np.load(folder / WEIGHTS_FILE) as arrays:
                stored = {key: arrays[key] for key in arrays.files}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None  # a damaged cache entry is rebuilt, never trusted
        nodes = []
        for i, node in enumerate(spec["nodes"]):
            weights, j = [], 0
            while f"{i}/{j}" in stored:
                weights.append(stored[f"{i}/{j}"])
                j += 1
            nodes.append(Node(node["name"], node["op"], node["inputs"], node["config"], weights))
        return cls(spec["inputs"], spec["outputs"], nodes)


# --- export (needs Keras) -------------------------------------------------------------

#: Keras layer class -> (op name, the config keys the op reads).
_LAYERS = {
    "Conv2D": (
        "conv2d",
        ("strides", "padding", "dilation_rate", "groups", "use_bias", "activation", "data_format"),
    ),
    "Dense": ("dense", ("use_bias", "activation")),
    "BatchNormalization": ("batch_norm", ("axis", "epsilon", "center", "scale")),
    "ReLU": ("relu", ("max_value", "negative_slope", "threshold")),
    "Activation": ("activation", ("activation",)),
    "MaxPooling2D": ("max_pool", ("pool_size", "strides", "padding", "data_format")),
    "UpSampling2D": ("upsample", ("size", "interpolation", "data_format")),
    "Add": ("add", ()),
    "Concatenate": ("concatenate", ("axis",)),
    "GlobalAveragePooling2D": ("global_mean", ("keepdims", "data_format")),
    "GlobalMaxPooling2D": ("global_max", ("keepdims", "data_format")),
    "Dropout": ("identity", ()),
    "L2Normalize": ("l2_normalize", ()),
}


def export_graph(model) -> Graph:
    """Records a built Keras functional model (nested functional models inlined) as a `Graph`.

    Raises:
        UnsupportedGraphError: a layer type or setting the NumPy runner lacks.
    """
    nodes: list[Node] = []

    def inline(function, input_names: list[str]) -> list[str]:
        names = {id(t): n for t, n in zip(function.inputs, input_names, strict=True)}
        pending = [op for op in function.operations if type(op).__name__ != "InputLayer"]
        while pending:
            progressed = []
            for op in pending:
                # An operation may be called in several graphs: take its call made on
                # tensors of this one. (Keras keeps each call as a node in `_inbound_nodes`;
                # its public API offers no walk over a functional graph.)
                calls = [
                    node
                    for node in op._inbound_nodes
                    if node.input_tensors and all(id(t) in names for t in node.input_tensors)
                ]
                if not calls:
                    continue
                if len(calls) > 1:
                    raise UnsupportedGraphError(f"Layer {op.name} is called more than once.")
                call = calls[0]
                inputs = [names[id(t)] for t in call.input_tensors]
                if hasattr(op, "operations") and hasattr(op, "inputs"):
                    outputs = inline(op, inputs)
                else:
                    outputs = [_record(op, inputs, nodes)]
                for tensor, name in zip(call.outputs, outputs, strict=True):
                    names[id(tensor)] = name
                progressed.append(op)
            if not progressed:
                raise UnsupportedGraphError(
                    f"Could not order the layers of {function.name}: "
                    f"{[op.name for op in pending]} never receive their inputs."
                )
            pending = [op for op in pending if op not in progressed]
        return [names[id(t)] for t in function.outputs]

    input_names = [f"input_{i}" for i in range(len(model.inputs))]
    outputs = inline(model, input_names)
    return _fuse(Graph(input_names, outputs, nodes))


def _fuse(graph: Graph) -> Graph:
    """Folds each BatchNorm and ReLU that alone reads a convolution into that convolution.

    Same results to float32 rounding, with two fewer passes over the largest arrays.
    """
    uses = Counter(name for node in graph.nodes for name in node.inputs)
    uses.update(graph.outputs)
    kept: dict[str, Node] = {}
    renamed: dict[str, str] = {}
    for node in graph.nodes:
        node.inputs = [renamed.get(name, name) for name in node.inputs]
        source = kept.get(node.inputs[0]) if len(node.inputs) == 1 else None
        foldable = (
            source is not None
            and source.op == "conv2d"
            and source.config["activation"] == "linear"
            and uses[source.name] == 1
            and node.op in ("batch_norm", "relu")
        )
        if not foldable:
            kept[node.name] = node
            continue
        if node.op == "batch_norm":
            scale, offset = node.weights
            bias = source.weights[1] if source.config["use_bias"] else 0.0
            source.weights = [source.weights[0] * scale, (bias * scale + offset).astype(np.float32)]
            source.config["use_bias"] = True
        else:
            source.config["activation"] = "relu"
        renamed[node.name] = source.name
        uses[source.name] = uses[node.name]
    outputs = [renamed.get(name, name) for name in graph.outputs]
    return Graph(graph.inputs, outputs, list(kept.values()))


def _record(layer, inputs: list[str], nodes: list[Node]) -> str:
    kind = type(layer).__name__
    if kind not in _LAYERS:
        raise UnsupportedGraphError(f"Layer {layer.name} of type {kind} is not supported.")
    op, keys = _LAYERS[kind]
    full = layer.get_config()
    config = {key: full[key] for key in keys if key in full}
    if config.get("data_format", "channels_last") != "channels_last":
        raise UnsupportedGraphError(f"Layer {layer.name}: only channels_last is supported.")
    weights = [np.asarray(w, np.float32) for w in layer.get_weights()]
    if op == "batch_norm":
        # Inference-time BatchNorm is one scale and offset per channel.
        config["epsilon"] = float(full["epsilon"])
        weights = _batch_norm_affine(weights, full)
    name = f"{len(nodes)}_{layer.name}"
    _check_config(name, op, config)
    nodes.append(Node(name, op, inputs, config, weights))
    return name


def _batch_norm_affine(weights: list[np.ndarray], config: dict) -> list[np.ndarray]:
    weights = list(weights)
    gamma = weights.pop(0) if config["scale"] else None
    beta = weights.pop(0) if config["center"] else None
    mean, variance = weights
    scale = 1.0 / np.sqrt(variance + config["epsilon"])
    if gamma is not None:
        scale = scale * gamma
    offset = -mean * scale + (beta if beta is not None else 0.0)
    return [scale.astype(np.float32), offset.astype(np.float32)]


def _check_config(name: str, op: str, config: dict) -> None:
    problems = []
    if op == "conv2d":
        if tuple(config["dilation_rate"]) != (1, 1) or config["groups"] != 1:
            problems.append("dilation or groups")
    if op in ("conv2d", "dense", "activation") and config["activation"] not in ACTIVATIONS:
        problems.append(f"activation {config['activation']!r}")
    if op == "relu" and (config["max_value"] is not None or config["negative_slope"] != 0
                         or config["threshold"] != 0):  # fmt: skip
        problems.append("a clipped or leaky ReLU")
    if op == "upsample" and config["interpolation"] != "nearest":
        problems.append(f"{config['interpolation']} upsampling")
    if op == "batch_norm" and config["axis"] not in (-1, 3, [3], [-1]):
        problems.append(f"axis {config['axis']}")
    if op in ("global_mean", "global_max") and config["keepdims"]:
        problems.append("keepdims")
    if problems:
        raise UnsupportedGraphError(f"Layer {name}: {', '.join(problems)} not supported.")


# --- NumPy ops -----------------------------------------------------------------------

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
}


def _same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    # TensorFlow/XLA "same": the extra pixel of an odd total goes after.
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad_spatial(x: np.ndarray, kernel, strides, padding: str, value: float) -> np.ndarray:
    if padding == "valid":
        return x
    (top, bottom), (left, right) = (
        _same_padding(x.shape[axis], kernel[axis - 1], strides[axis - 1]) for axis in (1, 2)
    )
    if top == bottom == left == right == 0:
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def _windows(x: np.ndarray, kernel, strides, padding: str, value: float = 0.0):
    """The padded input and the output size of a sliding window."""
    x = _pad_spatial(x, kernel, strides, padding, value)
    out_h = (x.shape[1] - kernel[0]) // strides[0] + 1
    out_w = (x.shape[2] - kernel[1]) // strides[1] + 1
    return x, out_h, out_w


def conv2d(inputs, config, weights):
    (x,) = inputs
    kernel = weights[0]
    kh, kw, channels, filters = kernel.shape
    sh, sw = config["strides"]
    x, out_h, out_w = _windows(x, (kh, kw), (sh, sw), config["padding"])
    if (kh, kw, sh, sw) == (1, 1, 1, 1):
        out = x.reshape(-1, channels) @ kernel[0, 0]
    elif (sh, sw) == (1, 1) and channels >= _SHIFTED_MIN_CHANNELS:
        return _finish(_shifted_conv(x, kernel)[:, :out_h, :out_w], config, weights)
    else:
        # im2col: one matrix product over all kernel taps.
        columns = np.empty((x.shape[0], out_h, out_w, kh, kw, channels), np.float32)
        for i in range(kh):
            for j in range(kw):
                columns[:, :, :, i, j] = x[
                    :, i : i + sh * (out_h - 1) + 1 : sh, j : j + sw * (out_w - 1) + 1 : sw
                ]
        out = columns.reshape(-1, kh * kw * channels) @ kernel.reshape(-1, filters)
    return _finish(out.reshape(x.shape[0], out_h, out_w, filters), config, weights)


#: From this many input channels a stride-1 convolution sums shifted products
#: (`_shifted_conv`) instead of building the im2col matrix.
_SHIFTED_MIN_CHANNELS = 8


def _shifted_conv(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A stride-1 convolution of an already padded batch, on the padded grid.

    Flattened, the input at tap (i, j) of every output pixel is the contiguous slice
    starting i * width + j rows later: one matrix product per tap on a view, where
    im2col would copy the input kh * kw times. Rows past the image are cut by the caller.
    """
    kh, kw, channels, filters = kernel.shape
    batch, height, width, _ = x.shape
    flat = x.reshape(-1, channels)
    length = len(flat) - (kh - 1) * width - (kw - 1)
    out = np.zeros((len(flat), filters), np.float32)
    for i in range(kh):
        for j in range(kw):
            start = i * width + j
            out[:length] += flat[start : start + length] @ kernel[i, j]
    return out.reshape(batch, height, width, filters)


def _finish(out: np.ndarray, config: dict, weights: list[np.ndarray]) -> np.ndarray:
    """Bias and activation of a product `out` that nothing else holds (so changed in place)."""
    if config["use_bias"]:
        out = out + weights[1]
    if config["activation"] == "relu":
        return np.maximum(out, 0.0, out=out)
    return ACTIVATIONS[config["activation"]](out)


def dense(inputs, config, weights):
    return _finish(inputs[0] @ weights[0], config, weights)


def max_pool(inputs, config, weights):
    (x,) = inputs
    (ph, pw), (sh, sw) = config["pool_size"], config["strides"] or config["pool_size"]
    x, out_h, out_w = _windows(x, (ph, pw), (sh, sw), config["padding"], -np.inf)
    out = None
    for i in range(ph):
        for j in range(pw):
            tap = x[:, i : i + sh * (out_h - 1) + 1 : sh, j : j + sw * (out_w - 1) + 1 : sw]
            out = tap.copy() if out is None else np.maximum(out, tap, out=out)
    return out


def upsample(inputs, config, weights):
    rows, cols = config["size"]
    return inputs[0].repeat(rows, axis=1).repeat(cols, axis=2)


def l2_normalize(inputs, config, weights):
    (x,) = inputs
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), 1e-12))


OPS: dict[str, Callable[[list[np.ndarray], dict, list[np.ndarray]], np.ndarray]] = {
    "conv2d": conv2d,
    "dense": dense,
    "batch_norm": lambda inputs, config, weights: inputs[0] * weights[0] + weights[1],
    "relu": lambda inputs, config, weights: np.maximum(inputs[0], 0.0),
    "activation": lambda inputs, config, weights: ACTIVATIONS[config["activation"]](inputs[0]),
    "max_pool": max_pool,
    "upsample": upsample,
    "add": lambda inputs, config, weights: sum(inputs[1:], inputs[0]),
    "concatenate": lambda inputs, config, weights: np.concatenate(inputs, axis=config["axis"]),
    "global_mean": lambda inputs, config, weights: inputs[0].mean(axis=(1, 2)),
    "global_max": lambda inputs, config, weights: inputs[0].max(axis=(1, 2)),
    "identity": lambda inputs, config, weights: inputs[0],
    "l2_normalize": l2_normalize,
}
