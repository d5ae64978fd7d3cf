"""Scan-like augmentation of preprocessed signature batches, as a `tf.data` map.

Works on ink-intensity batches (N, H, W, 1) in [0, 1] on a zero background,
the extractor preprocessor's output: small affine changes of pose and size,
pen width changes by dilation/erosion, and ink darkness changes.
"""

from __future__ import annotations

import math

import tensorflow as tf


def _affine_transforms(batch_size: tf.Tensor, height: int, width: int, strength: float):
    """Projective transform rows (a0..a7) mapping output to input coordinates."""
    angle = tf.random.uniform([batch_size], -8.0, 8.0) * strength * math.pi / 180
    scale = tf.exp(tf.random.uniform([batch_size], -0.2, 0.08) * strength)
    shear = tf.random.uniform([batch_size], -0.25, 0.25) * strength
    aspect = tf.exp(tf.random.uniform([batch_size], -0.15, 0.15) * strength)
    shift_x = tf.random.uniform([batch_size], -0.06, 0.06) * width * strength
    shift_y = tf.random.uniform([batch_size], -0.06, 0.06) * height * strength
    cos, sin = tf.cos(angle), tf.sin(angle)
    sx, sy = 1.0 / (scale * aspect), aspect / scale
    a0 = sx * cos
    a1 = sx * (sin + shear * cos)
    a3 = -sy * sin
    a4 = sy * (cos - shear * sin)
    cx, cy = width / 2.0, height / 2.0
    a2 = cx - a0 * cx - a1 * cy + shift_x
    a5 = cy - a3 * cx - a4 * cy + shift_y
    zeros = tf.zeros([batch_size])
    return tf.stack([a0, a1, a2, a3, a4, a5, zeros, zeros], axis=1)


def augment_signatures(images: tf.Tensor, strength: float = 1.0) -> tf.Tensor:
    """Randomly perturbs a float batch (N, H, W, 1) of ink intensities.

    `strength` scales every change: 1 is the training default, 0 leaves the
    batch unchanged (up to float rounding of the identity warp).
    """
    shape = tf.shape(images)
    batch_size, height, width = shape[0], images.shape[1], images.shape[2]
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=_affine_transforms(batch_size, height, width, strength),
        output_shape=tf.stack([height, width]),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    # Pen width: dilate a third of the batch, erode a sixth (erosion can break thin
    # strokes); like every change here it scales with `strength` (0: identity).
    choice = tf.random.uniform([batch_size, 1, 1, 1])
    dilated = tf.nn.max_pool2d(images, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
    images = tf.where(
        choice < 0.33 * strength,
        dilated,
        tf.where(choice > 1.0 - 0.17 * strength, eroded, images),
    )
    # Ink darkness: gamma and gain, keeping the zero background at zero.
    gamma = tf.exp(tf.random.uniform([batch_size, 1, 1, 1], -0.4, 0.4) * strength)
    gain = 1.0 - 0.25 * strength * tf.random.uniform([batch_size, 1, 1, 1])
    return tf.clip_by_value(tf.pow(tf.maximum(images, 1e-6), gamma) * gain, 0.0, 1.0) * tf.cast(
        images > 1e-3, images.dtype
    )
