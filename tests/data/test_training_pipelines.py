"""Numpy PyDataset and tf.data pipelines: same batches, deterministic, identity at strength 0."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from signver_keras.data.training.extractor_inputs import ExtractorInputs
from signver_keras.data.training.pipelines import (
    SignaturePyDataset,
    augment_numpy,
    record_labels,
    signature_tf_dataset,
)
from tests.conftest import saved_records

SIZE = (24, 48)


@pytest.fixture(scope="module")
def records(tmp_path_factory, scribbles):
    writers = [f"w{i % 3}" for i in range(7)]
    root = tmp_path_factory.mktemp("pipeline")
    return saved_records(root, scribbles[:7], writers, genuine=lambda i: i % 2 == 0)


def _batches(dataset):
    return [(np.asarray(x), np.asarray(y)) for x, y in dataset]


def test_pydataset_and_tf_data_give_identical_unaugmented_batches(records):
    py = SignaturePyDataset(records, batch_size=3, target_size=SIZE, shuffle=False)
    tf_batches = _batches(signature_tf_dataset(records, 3, SIZE, shuffle_buffer=0))
    py_batches = [py[i] for i in range(len(py))]
    assert len(py) == len(tf_batches) == 3
    for (px, py_labels), (tx, tf_labels) in zip(py_batches, tf_batches, strict=True):
        assert px.shape == tx.shape and px.shape[1:] == (*SIZE, 1)
        assert px.dtype == tx.dtype == np.float32
        assert py_labels.dtype == tf_labels.dtype == np.int32
        np.testing.assert_array_equal(px, tx)
        np.testing.assert_array_equal(py_labels, tf_labels)
    assert 0.0 <= py_batches[0][0].min() and py_batches[0][0].max() <= 1.0


def test_augmented_batches_keep_shapes_and_dtypes(records):
    py = SignaturePyDataset(records, 4, SIZE, augment_strength=1.0, drop_remainder=True)
    tf_x, tf_y = next(iter(signature_tf_dataset(records, 4, SIZE, augment_strength=1.0)))
    x, y = py[0]
    assert len(py) == 1
    assert x.shape == tuple(tf_x.shape) == (4, *SIZE, 1) and x.dtype == tf_x.dtype.as_numpy_dtype
    assert y.shape == tuple(tf_y.shape) and y.dtype == tf_y.dtype.as_numpy_dtype
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_strength_zero_is_the_identity(records):
    plain = SignaturePyDataset(records, 7, SIZE, shuffle=False)[0][0]
    zero = SignaturePyDataset(records, 7, SIZE, shuffle=False, augment_strength=0.0)[0][0]
    np.testing.assert_array_equal(plain, zero)
    np.testing.assert_array_equal(augment_numpy(plain, np.random.default_rng(0), 0.0), plain)
    # The math itself tends to the identity, not only the shortcut at exactly 0.
    nearly = augment_numpy(plain, np.random.default_rng(0), 1e-7)
    np.testing.assert_allclose(nearly, plain, atol=1e-4)
    tf_zero = _batches(signature_tf_dataset(records, 7, SIZE, shuffle_buffer=0))[0][0]
    np.testing.assert_array_equal(tf_zero, plain)


def test_pydataset_is_deterministic_per_seed_and_epoch(records):
    def epoch_batches(dataset):
        return [dataset[i][0] for i in range(len(dataset))]

    a = SignaturePyDataset(records, 3, SIZE, augment_strength=1.0, seed=5)
    b = SignaturePyDataset(records, 3, SIZE, augment_strength=1.0, seed=5)
    first = epoch_batches(a)
    for x, y in zip(first, epoch_batches(b), strict=True):
        np.testing.assert_array_equal(x, y)
    a.on_epoch_end()
    assert any(not np.array_equal(x, y) for x, y in zip(first, epoch_batches(a), strict=True))
    other = SignaturePyDataset(records, 3, SIZE, augment_strength=1.0, seed=6)
    assert not np.array_equal(first[0], other[0][0])


def test_numpy_augmentation_geometry_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    from scipy import ndimage

    from signver_keras.data.training.pipelines import _affine_numpy

    # Ink up to the borders: tf's CONSTANT fill interpolates against zeros outside.
    image = np.random.default_rng(0).uniform(0.2, 1.0, (32, 64)).astype(np.float32)
    matrix, offset = _affine_numpy(image, np.random.default_rng(1), 1.0)
    ours = ndimage.affine_transform(
        image, matrix, offset, order=1, mode="grid-constant", prefilter=False
    )
    row = [matrix[1, 1], matrix[1, 0], offset[1], matrix[0, 1], matrix[0, 0], offset[0], 0, 0]
    theirs = tf.raw_ops.ImageProjectiveTransformV3(
        images=image[None, ..., None],
        transforms=tf.constant([row], tf.float32),
        output_shape=[32, 64],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    ).numpy()[0, ..., 0]
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_labels_modes_and_validation(records):
    assert record_labels(records, "writer").tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert record_labels(records, "genuine").tolist() == [1, 0, 1, 0, 1, 0, 1]
    assert len(set(record_labels(records).tolist())) == 6
    custom = SignaturePyDataset(records, 7, SIZE, labels=np.arange(7) * 10, shuffle=False)
    assert custom[0][1].tolist() == list(range(0, 70, 10))
    with pytest.raises(ValueError, match=r"shape \(7,\)"):
        SignaturePyDataset(records, labels=[1, 2])
    with pytest.raises(ValueError, match="mode should be one of"):
        record_labels(records, "forger")
    with pytest.raises(ValueError, match="at least one record"):
        SignaturePyDataset([])
    with pytest.raises(IndexError):
        SignaturePyDataset(records, 4)[2]


def test_pydataset_needs_no_tensorflow(records):
    code = (
        "import sys; sys.modules['tensorflow'] = None\n"
        "from signver_keras.data.training.pipelines import SignaturePyDataset\n"
        "from signver_keras.data.collections.verification import SignatureRecord\n"
        f"records = [SignatureRecord({records[0].path!r}, 'a', True)] * 3\n"
        "x, y = SignaturePyDataset(records, 3, (24, 48), augment_strength=1.0)[0]\n"
        "assert x.shape == (3, 24, 48, 1), x.shape\n"
        "assert 'tensorflow' not in {m.split('.')[0] for m in sys.modules if sys.modules[m]}\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"KERAS_BACKEND": "jax", "PATH": "", "JAX_PLATFORMS": "cpu"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_prepared_inputs_show_one_rendering_per_visit(records):
    # Record i has two images: constant i and constant 100 + i.
    images = np.stack([np.full(SIZE, v, np.uint8) for i in range(7) for v in (i, 100 + i)])
    inputs = ExtractorInputs(images, np.arange(7) * 2, np.full(7, 2))
    batches = SignaturePyDataset(records, 7, SIZE, shuffle=False, inputs=inputs)
    seen = set()
    for _ in range(6):
        x, _ = batches[0]
        values = np.round(x[:, 0, 0, 0] * 255).astype(int)
        assert all(v % 100 == i for i, v in enumerate(values))
        seen |= set(values.tolist())
        batches.on_epoch_end()
    assert len(seen) > 7  # both renderings of some records were drawn
    with pytest.raises(ValueError, match="images of the 7 records"):
        SignaturePyDataset(records, 7, SIZE, inputs=ExtractorInputs.from_images(images[:3]))
