"""Data-parallel training for the recipes, one small switch per Keras backend.

    dist = setup_distribution(args.distribution)   # before any model is built
    with dist.scope():
        model = build(...); model.compile(...)
    with dist.training(model):
        model.fit(x, y, batch_size=global_batch)

- JAX: `keras.distribution.DataParallel` over every local device, set globally,
  so the model's variables are replicated and each batch is split across
  devices inside one jitted step. Batch statistics and gradients are global.
- TensorFlow: `tf.distribute.MirroredStrategy` over the local GPUs, or over the
  logical CPUs when there is no GPU. BatchNormalization layers are switched to
  synchronized statistics for the duration of `training`, so N replicas compute
  what one device computes on the same global batch.
- torch: one process per device, started by `torchrun`/`mpirun` (see
  `habana/train.py`); `training` broadcasts rank 0's weights and averages the
  gradients with `torch.distributed.all_reduce` before every optimizer step.
  Each process feeds its own shard of the data; BatchNormalization uses the
  local batch (as DDP does without SyncBatchNorm).

`--distribution none` (the default) changes nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import keras

CHOICES = ("none", "data_parallel")


@dataclass
class Distribution:
    """What a recipe needs to train data-parallel: a build scope and a training context."""

    kind: str
    backend: str
    num_replicas: int = 1
    rank: int = 0
    strategy: Any = field(default=None, repr=False)

    def scope(self) -> contextlib.AbstractContextManager:
        """Build and compile the model inside this scope."""
        if self.strategy is not None:
            return self.strategy.scope()
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def training(self, model: keras.Model) -> Iterator[keras.Model]:
        """Wraps `fit`: synchronized batch norm (TF), gradient all-reduce (torch)."""
        if self.kind == "none" or self.num_replicas == 1:
            yield model
            return
        if self.backend == "tensorflow":
            with _synchronized_batch_norm(model):
                yield model
        elif self.backend == "torch":
            with _torch_gradient_all_reduce(model):
                yield model
        else:
            yield model

    def check_batch_size(self, batch_size: int) -> None:
        if self.backend != "torch" and batch_size % self.num_replicas:
            raise ValueError(
                f"The global batch size must be a multiple of the {self.num_replicas} devices "
                f"used for data-parallel training; received batch_size={batch_size}."
            )


def setup_distribution(kind: str = "none") -> Distribution:
    """Sets up data-parallel training for the current Keras backend.

    Args:
        kind: `"none"` or `"data_parallel"`.

    Returns:
        A `Distribution`. Call this before building the model: under JAX it sets
        the global Keras distribution that every variable created afterwards uses.
    """
    if kind not in CHOICES:
        raise ValueError(f"distribution must be one of {CHOICES}; received {kind!r}.")
    backend = keras.backend.backend()
    if kind == "none":
        return Distribution(kind, backend)
    if backend == "jax":
        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        return Distribution(kind, backend, num_replicas=len(devices))
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus or tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices=devices)
        return Distribution(kind, backend, strategy.num_replicas_in_sync, strategy=strategy)
    if backend == "torch":
        import torch.distributed as dist

        if not dist.is_available() or not dist.is_initialized():
            world = int(os.environ.get("WORLD_SIZE", "1"))
            if world == 1:
                return Distribution(kind, backend)
            dist.init_process_group(backend=os.environ.get("SIGNVER_TORCH_DIST_BACKEND", "gloo"))
        return Distribution(kind, backend, dist.get_world_size(), rank=dist.get_rank())
    raise ValueError(f"No data-parallel support for the Keras backend {backend!r}.")


@contextlib.contextmanager
def _synchronized_batch_norm(model: keras.Model) -> Iterator[None]:
    # Set on the layer object only for the duration of fit: a saved config keeps
    # `synchronized=False`, which every backend can load.
    layers = [
        layer
        for layer in model._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    for layer in layers:
        layer.synchronized = True
    try:
        yield
    finally:
        for layer in layers:
            layer.synchronized = False


@contextlib.contextmanager
def _torch_gradient_all_reduce(model: keras.Model) -> Iterator[None]:
    import torch
    import torch.distributed as dist

    world = dist.get_world_size()
    with torch.no_grad():
        for variable in model.variables:
            tensor = variable.value
            dist.broadcast(tensor.data, src=0)
    optimizer = model.optimizer
    original_apply = optimizer.apply

    def apply(grads, trainable_variables=None):
        averaged = []
        for grad in grads:
            if grad is not None:
                grad = grad.contiguous()
                dist.all_reduce(grad, op=dist.ReduceOp.SUM)
                grad = grad / world
            averaged.append(grad)
        return original_apply(averaged, trainable_variables)

    optimizer.apply = apply
    try:
        yield
    finally:
        del optimizer.apply
