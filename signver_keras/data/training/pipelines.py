"""Training batches of preprocessed ink from `SignatureRecord`s: a PyDataset and a tf.data builder.

Both produce `(images, labels)` batches: float32 images `(N, H, W, 1)` holding
ink intensity in [0, 1] on a zero background (`normalize_signature`, the
extractor preprocessor's output) and int32 labels `(N,)`.

- `SignaturePyDataset` is a `keras.utils.PyDataset` in plain numpy and
  scipy.ndimage: it needs no TensorFlow, so it feeds `model.fit` under the JAX
  (or torch) backend. Augmentation (`augment_numpy`) mirrors
  `augmentation.augment_signatures`; a batch depends only on (seed, epoch,
  index), so runs repeat exactly, with any number of workers.
- `signature_tf_dataset` builds the same batches as a `tf.data.Dataset`
  (cache, shuffle buffer, prefetch) with the TensorFlow augmentation.

Images are decoded and normalised once, then cached as uint8, so both
pipelines see bit-identical unaugmented batches.

Example:
```python
from signver_keras.data.training.pipelines import SignaturePyDataset
from signver_keras.data.collections.verification import load_verification_data

records = load_verification_data("sigcomp2011:/data/sign_data/train")
train = SignaturePyDataset(records, batch_size=64, augment_strength=1.0, seed=0)
images, labels = train[0]  # (64, 96, 192, 1) float32, (64,) int32
model.fit(train, epochs=10)
```
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
from scipy import ndimage

from signver_keras.data.collections.verification import SignatureRecord
from signver_keras.data.training.extractor_inputs import ExtractorInputs
from signver_keras.images import load_image
from signver_keras.utils.ink import normalize_signature

#: How records become integer labels (see `record_labels`).
LABEL_MODES = ("writer_class", "writer", "genuine")


def record_labels(records: Sequence[SignatureRecord], mode: str = "writer_class") -> np.ndarray:
    """Integer labels for records, int32 `(N,)`.

    Args:
        records: the records.
        mode: `"writer_class"` (default): one class per (writer, genuine), so a
            writer's skilled forgeries are a class of their own, as in
            `recipes/train_extractor.py`; `"writer"`: one class per writer;
            `"genuine"`: 1 genuine, 0 forged. Classes are numbered in sorted order.
    """
    if mode == "genuine":
        return np.array([int(r.genuine) for r in records], np.int32)
    if mode not in LABEL_MODES:
        raise ValueError(f"mode should be one of {LABEL_MODES}; received {mode!r}.")
    keys = [(r.writer_id, r.genuine) if mode == "writer_class" else r.writer_id for r in records]
    index = {key: i for i, key in enumerate(sorted(set(keys)))}
    return np.array([index[key] for key in keys], np.int32)


def preprocess_record(record: SignatureRecord | str, target_size: tuple[int, int]) -> np.ndarray:
    """Loads one image and returns its preprocessed ink as uint8 `(H, W)` (255 = full ink)."""
    path = record.path if isinstance(record, SignatureRecord) else record
    ink = normalize_signature(load_image(path), tuple(target_size))
    return np.round(ink * 255.0).astype(np.uint8)


def _resolve_labels(records: Sequence[SignatureRecord], labels) -> np.ndarray:
    if isinstance(labels, str):
        return record_labels(records, labels)
    labels = np.asarray(labels, np.int32)
    if labels.shape != (len(records),):
        raise ValueError(
            f"labels should have shape ({len(records)},) to match the records; got {labels.shape}."
        )
    return labels


# --- numpy augmentation ---------------------------------------------------------------------------


def _affine_numpy(
    image: np.ndarray, rng: np.random.Generator, strength: float
) -> tuple[np.ndarray, np.ndarray]:
    """(matrix, offset) for ndimage.affine_transform: output (row, col) -> input (row, col).

    Same parameter ranges as `augmentation._affine_transforms` (rotation ±8°, scale,
    shear, aspect, shift ±6 %), all scaled by `strength`.
    """
    height, width = image.shape
    angle = rng.uniform(-8.0, 8.0) * strength * math.pi / 180
    scale = math.exp(rng.uniform(-0.2, 0.08) * strength)
    shear = rng.uniform(-0.25, 0.25) * strength
    aspect = math.exp(rng.uniform(-0.15, 0.15) * strength)
    shift_x = rng.uniform(-0.06, 0.06) * width * strength
    shift_y = rng.uniform(-0.06, 0.06) * height * strength
    cos, sin = math.cos(angle), math.sin(angle)
    sx, sy = 1.0 / (scale * aspect), aspect / scale
    # x_in = a0 x + a1 y + a2 ; y_in = a3 x + a4 y + a5 (the tf transform's rows).
    a0, a1 = sx * cos, sx * (sin + shear * cos)
    a3, a4 = -sy * sin, sy * (cos - shear * sin)
    cx, cy = width / 2.0, height / 2.0
    a2 = cx - a0 * cx - a1 * cy + shift_x
    a5 = cy - a3 * cx - a4 * cy + shift_y
    return np.array([[a4, a3], [a1, a0]]), np.array([a5, a2])


def augment_numpy(
    images: np.ndarray, rng: np.random.Generator, strength: float = 1.0
) -> np.ndarray:
    """Randomly perturbs a float batch `(N, H, W, 1)` of ink intensities, in numpy.

    The numpy twin of `augmentation.augment_signatures`: per image an affine change
    of pose and size (bilinear, zero fill), pen width by 3x3 dilation (a third of
    the images) or 2x2 erosion (a sixth), then ink darkness by gamma and gain,
    keeping the background at zero. The distributions match the TensorFlow
    version at every `strength`; `strength=0` returns the batch unchanged.

    Args:
        images: float array `(N, H, W, 1)` (or `(N, H, W)`) in [0, 1].
        rng: `np.random.Generator`; the same generator state gives the same batch.
        strength: float >= 0. 0: identity; 1: the training default.
    """
    if strength < 0:
        raise ValueError(f"strength should be >= 0; received {strength}.")
    images = np.asarray(images, np.float32)
    if strength == 0:
        return images.copy()
    squeeze = images.ndim == 4
    planes = images[..., 0] if squeeze else images
    out = np.empty_like(planes)
    for i, plane in enumerate(planes):
        matrix, offset = _affine_numpy(plane, rng, strength)
        moved = ndimage.affine_transform(
            plane, matrix, offset, order=1, mode="grid-constant", cval=0.0, prefilter=False
        )
        choice = rng.uniform()
        if choice < 0.33 * strength:
            moved = ndimage.maximum_filter(moved, size=3, mode="nearest")
        elif choice > 1.0 - 0.17 * strength:
            # origin -1: the window is (i, i+1) like tf's 2x2 "SAME" pooling.
            moved = ndimage.minimum_filter(moved, size=2, mode="nearest", origin=-1)
        gamma = math.exp(rng.uniform(-0.4, 0.4) * strength)
        gain = 1.0 - 0.25 * strength * rng.uniform()
        inked = moved > 1e-3
        out[i] = np.where(inked, np.clip(np.maximum(moved, 1e-6) ** gamma * gain, 0.0, 1.0), 0.0)
    return out[..., None] if squeeze else out


# --- keras PyDataset -----------------------------------------------------------------------------


class SignaturePyDataset(keras.utils.PyDataset):
    """Batches of preprocessed ink and labels for `model.fit`, in numpy (no TensorFlow).

    Args:
        records: sequence of `SignatureRecord` (e.g. from `load_verification_data`).
        batch_size: int, default 32.
        target_size: `(height, width)` of the preprocessed images, default `(96, 192)`.
        labels: a `record_labels` mode (default `"writer_class"`) or an int array `(N,)`.
        augment_strength: float, default 0 (no augmentation); 1 is the training default.
        shuffle: bool, default True. The order is redrawn each epoch from (seed, epoch).
        seed: int, default 0. Same seed, same batches at each (epoch, index).
        drop_remainder: bool, default False. Drop the last incomplete batch.
        cache: bool, default True. Keep each preprocessed image (uint8) after its first load.
        inputs: optional `ExtractorInputs` of the records, prepared beforehand
            (`extractor_inputs`): no image is loaded, and a record with several
            images (renderings of an online signature) shows one of them, drawn
            afresh at each visit.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` for `PyDataset`.

    Example:
    ```python
    train = SignaturePyDataset(records, batch_size=64, augment_strength=1.0, workers=2)
    model.fit(train, epochs=5)
    ```
    """

    def __init__(
        self,
        records: Sequence[SignatureRecord],
        batch_size: int = 32,
        target_size: tuple[int, int] = (96, 192),
        labels: str | Sequence[int] | np.ndarray = "writer_class",
        augment_strength: float = 0.0,
        shuffle: bool = True,
        seed: int = 0,
        drop_remainder: bool = False,
        cache: bool = True,
        inputs: ExtractorInputs | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not records:
            raise ValueError("SignaturePyDataset needs at least one record; received none.")
        if batch_size < 1:
            raise ValueError(f"batch_size should be >= 1; received {batch_size}.")
        if augment_strength < 0:
            raise ValueError(f"augment_strength should be >= 0; received {augment_strength}.")
        if inputs is not None and len(inputs) != len(records):
            raise ValueError(
                f"inputs should hold images of the {len(records)} records; "
                f"they hold {len(inputs)} records' images."
            )
        self.records = list(records)
        self.inputs = inputs
        self.labels = _resolve_labels(self.records, labels)
        self.batch_size = int(batch_size)
        self.target_size = (int(target_size[0]), int(target_size[1]))
        self.augment_strength = float(augment_strength)
        self.shuffle, self.seed, self.drop_remainder = shuffle, int(seed), drop_remainder
        self.epoch = 0
        self._cache: dict[int, np.ndarray] | None = {} if cache else None
        self._order = self._epoch_order(0)

    def _epoch_order(self, epoch: int) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.records))
        return np.random.default_rng([self.seed, epoch]).permutation(len(self.records))

    def __len__(self) -> int:
        count = len(self.records) / self.batch_size
        return max(1, int(count)) if self.drop_remainder else math.ceil(count)

    def _image(self, index: int, rng: np.random.Generator) -> np.ndarray:
        if self.inputs is not None:
            offset = rng.integers(self.inputs.counts[index])
            return self.inputs.images[self.inputs.starts[index] + offset]
        if self._cache is not None and index in self._cache:
            return self._cache[index]
        image = preprocess_record(self.records[index], self.target_size)
        if self._cache is not None:
            self._cache[index] = image
        return image

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches.")
        chosen = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        pick = np.random.default_rng([self.seed, self.epoch, index, 2])
        images = np.stack([self._image(int(i), pick) for i in chosen]).astype(np.float32) / 255.0
        images = images[..., None]
        if self.augment_strength:
            rng = np.random.default_rng([self.seed, self.epoch, index, 1])
            images = augment_numpy(images, rng, self.augment_strength)
        return images, self.labels[chosen]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._order = self._epoch_order(self.epoch)


# --- tf.data -------------------------------------------------------------------------------------


def signature_tf_dataset(
    records: Sequence[SignatureRecord],
    batch_size: int = 32,
    target_size: tuple[int, int] = (96, 192),
    labels: str | Sequence[int] | np.ndarray = "writer_class",
    augment_strength: float = 0.0,
    shuffle_buffer: int | None = None,
    seed: int = 0,
    cache: bool | str = True,
    drop_remainder: bool = False,
    prefetch: int | None = None,
    num_parallel_calls: int | None = None,
):
    """The same `(images, labels)` batches as a `tf.data.Dataset` (needs TensorFlow).

    Pipeline: decode + `normalize_signature` (in `tf.numpy_function`), `cache`,
    `shuffle`, `batch`, augmentation (`augmentation.augment_signatures`), `prefetch`.

    Args:
        records, batch_size, target_size, labels: as in `SignaturePyDataset`.
        augment_strength: float, default 0 (no augmentation map at all).
        shuffle_buffer: int or None. None: the whole dataset (a full shuffle);
            0: no shuffling (records in order).
        seed: int, default 0, for the shuffle.
        cache: True (memory), a file path prefix (on disk), or False (decode every epoch).
        drop_remainder: bool, default False.
        prefetch: batches to prefetch; None: `tf.data.AUTOTUNE`; 0: none.
        num_parallel_calls: parallel decode calls; None: `tf.data.AUTOTUNE`.

    Example:
    ```python
    train = signature_tf_dataset(records, batch_size=64, augment_strength=1.0)
    model.fit(train, epochs=5)
    ```
    """
    import tensorflow as tf

    from signver_keras.data.training.augmentation import augment_signatures

    if not records:
        raise ValueError("signature_tf_dataset needs at least one record; received none.")
    if augment_strength < 0:
        raise ValueError(f"augment_strength should be >= 0; received {augment_strength}.")
    records = list(records)
    label_array = _resolve_labels(records, labels)
    height, width = int(target_size[0]), int(target_size[1])
    autotune = tf.data.AUTOTUNE

    def load(path):
        return preprocess_record(
            path.decode() if isinstance(path, bytes) else str(path), (height, width)
        )

    def decode(path, label):
        image = tf.numpy_function(load, [path], tf.uint8, stateful=False)
        image.set_shape((height, width))
        return image, label

    paths = [r.path for r in records]
    dataset = tf.data.Dataset.from_tensor_slices((paths, label_array)).map(
        decode, num_parallel_calls=autotune if num_parallel_calls is None else num_parallel_calls
    )
    if cache is not False:
        dataset = dataset.cache("" if cache is True else str(cache))
    buffer = len(records) if shuffle_buffer is None else int(shuffle_buffer)
    if buffer > 0:
        dataset = dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)

    def to_float(images, labels):
        images = tf.cast(images, tf.float32)[..., None] / 255.0
        if augment_strength:
            images = augment_signatures(images, augment_strength)
        return images, labels

    dataset = dataset.map(to_float, num_parallel_calls=1)
    if prefetch != 0:
        dataset = dataset.prefetch(autotune if prefetch is None else prefetch)
    return dataset
