"""Shared pytest fixtures: tiny models, synthetic signatures, datasets, a local Hub."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")
# oneDNN's custom kernels crashed ("double free or corruption") on some tiny test
# configurations under TensorFlow on this CPU; the plain kernels are stable.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from signver_keras.data.paths import data_root  # noqa: E402
from tests.hub_server import hub_env_fixture, local_hub_fixture  # noqa: E402


def draw_scribble(seed: int, size: tuple[int, int] = (160, 80)) -> np.ndarray:
    """A synthetic signature: random dark strokes on white paper, uint8 grayscale (H, W)."""
    rng = np.random.default_rng(seed)
    width, height = size
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(2, 5))):
        points = [
            (float(rng.uniform(5, width - 5)), float(rng.uniform(5, height - 5)))
            for _ in range(int(rng.integers(4, 9)))
        ]
        draw.line(points, fill=int(rng.integers(0, 60)), width=int(rng.integers(1, 4)))
    return np.asarray(image, np.uint8)


def saved_records(folder, images, writer_ids, **fields) -> list:
    """Saves `images` as PNGs in `folder`; one SignatureRecord per image (genuine unless told)."""
    from signver_keras.data.collections.verification import SignatureRecord

    records = []
    for i, (image, writer_id) in enumerate(zip(images, writer_ids, strict=True)):
        path = folder / f"s{i}.png"
        Image.fromarray(image).save(path)
        extra = {key: value(i) if callable(value) else value for key, value in fields.items()}
        records.append(SignatureRecord(str(path), writer_id, **{"genuine": True, **extra}))
    return records


@pytest.fixture(scope="session")
def scribbles() -> list[np.ndarray]:
    """Eight synthetic signatures of a few different sizes."""
    sizes = [(160, 80), (200, 90), (120, 60), (240, 100)]
    return [draw_scribble(seed, sizes[seed % len(sizes)]) for seed in range(8)]


@pytest.fixture(scope="session")
def tiny_extractor():
    """A small, randomly initialised extractor calibrated at threshold 0.5."""
    from tests.tiny_models import tiny_extractor as build

    return build()


@pytest.fixture(scope="session")
def shared_data():
    """The real datasets (../shared/data or $SIGNVER_DATA); skips where they are absent."""
    root = data_root()
    if not root.is_dir():
        pytest.skip(f"real datasets not found at {root} (set SIGNVER_DATA)")
    return root


@pytest.fixture(scope="session")
def local_hub():
    """A running olah server (real Hub HTTP API on 127.0.0.1); skips if it cannot start."""
    yield from local_hub_fixture()


@pytest.fixture
def hub_env(monkeypatch, tmp_path):
    """`hub_env.use(url, offline=False)`: HF_ENDPOINT, fresh HF_HOME, constants reloaded."""
    yield from hub_env_fixture(monkeypatch, tmp_path)
