"""Trains a tiny extractor a few steps under a given backend, device count and distribution.

    python -m tests.recipes.distribution_worker BACKEND DEVICES DISTRIBUTION OUT.npz

Run in its own process: the device count must be fixed before the backend is imported.
"""

from __future__ import annotations

import os
import sys

BACKEND, DEVICES, KIND, OUT = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
os.environ["KERAS_BACKEND"] = BACKEND
if BACKEND == "jax":
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={DEVICES}"
    os.environ["JAX_PLATFORMS"] = "cpu"
if BACKEND == "tensorflow":
    import tensorflow as tf

    [cpu] = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(DEVICES)]
    )

import keras  # noqa: E402
import numpy as np  # noqa: E402

import signver_keras as sv  # noqa: E402
from recipes.distribution import setup_distribution  # noqa: E402

GLOBAL_BATCH, STEPS = 8, 3

dist = setup_distribution(KIND)
dist.check_batch_size(GLOBAL_BATCH)
rng = np.random.default_rng(0)
images = rng.random((GLOBAL_BATCH * STEPS, 32, 64, 1)).astype("float32")
targets = rng.normal(size=(GLOBAL_BATCH * STEPS, 16)).astype("float32")
targets /= np.linalg.norm(targets, axis=1, keepdims=True)
with dist.scope():
    keras.utils.set_random_seed(0)
    model = sv.models.SignatureExtractorBackbone(
        image_shape=(32, 64, 1),
        stem_filters=8,
        stage_filters=(8, 16),
        embedding_dim=16,
        dropout=0.0,
    )
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mean_squared_error")
with dist.training(model):
    history = model.fit(
        images, targets, batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0
    )
np.savez(
    OUT,
    replicas=dist.num_replicas,
    loss=history.history["loss"][-1],
    **{f"w{i}": keras.ops.convert_to_numpy(w) for i, w in enumerate(model.weights)},
)
