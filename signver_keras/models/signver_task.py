"""Behaviour shared by the detector, cleaner and extractor tasks.

Each family subclasses `SignverTask` (itself a `keras_hub.models.Task`), so all
three resolve bundled names, local folders and `hf://` handles the same way,
save presets atomically with a model card, and push to the Hugging Face Hub.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import keras
import keras_hub
import numpy as np

from signver_keras import families, hub, presets
from signver_keras.errors import PresetNotFoundError
from signver_keras.model_card import write_model_card
from signver_keras.utils.atomic import atomic_folder


def _check_preset_family(preset: str | os.PathLike, handle: str, family: str) -> None:
    """A detector preset loaded as an extractor (etc.) fails here, naming both families."""
    config_path = Path(handle) / "config.json"
    if not config_path.is_file():
        return
    backbone = json.loads(config_path.read_text()).get("registered_name")
    found = families.family_of_backbone(backbone)
    if found is None:
        raise PresetNotFoundError(
            f"'{os.fspath(preset)}' is not a signver-keras {family} preset: its backbone is "
            f"{backbone!r}, expected '{families.family(family).backbone}'."
        )
    presets.check_family(preset, found, family)


class SignverTask(keras_hub.models.Task):
    """Base class of the signver-keras tasks. Subclasses set `family`."""

    family: str = ""

    @classmethod
    def from_preset(cls, preset: str | os.PathLike, load_weights: bool = True, **kwargs):
        """Loads a task from a bundled name, a local folder or a Hub handle.

        Args:
            preset: a bundled preset name (see `signver_keras.list_presets`), a
                folder written by `save_to_preset`, `hf://org/name[@revision]`, or
                `kaggle://...`.
            load_weights: bool. If False the architecture is built with random weights.
        """
        # Keras deserializes in safe mode by default: a preset can only name
        # registered classes, never run code (lambdas are refused).
        handle = hub.load_handle(preset, cls.family)
        _check_preset_family(preset, handle, cls.family)
        model = super().from_preset(handle, load_weights, **kwargs)
        if load_weights and os.path.isdir(handle):
            model.load_assets(Path(handle))
        return model

    def save_assets(self, folder: Path) -> None:
        """Writes the files a family keeps in its presets beside config and weights."""

    def load_assets(self, folder: Path) -> None:
        """Reads back what `save_assets` wrote (missing files leave defaults)."""

    def save_to_preset(
        self,
        preset_dir: str | os.PathLike,
        max_shard_size: int | None = 10,
        description: str | None = None,
    ) -> None:
        """Saves config, weights, preprocessor and a model card to a folder.

        The folder is written next to its final place and swapped in at the
        end, so an interrupted save never leaves a half-written preset.
        """
        name = Path(preset_dir).name

        def write(folder: Path) -> None:
            super(SignverTask, self).save_to_preset(str(folder), max_shard_size=max_shard_size)
            self.save_assets(folder)
            write_model_card(folder, name, self.family, description)

        atomic_folder(preset_dir, write)

    def push_to_hub(
        self, repo_id: str, private: bool = False, description: str | None = None
    ) -> str:
        """Saves this model as a preset with a model card and uploads it to the Hub.

        Args:
            repo_id: "org/name" of a Hugging Face model repository (created if missing).
            private: create the repository as private.
            description: first line of the model card.

        Returns:
            The repository URL. Load it back with `from_preset("hf://org/name")`.
        """
        name = repo_id.split("/")[-1]
        if description is None:
            description = presets.declared_description(name)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / name
            self.save_to_preset(folder, description=description)
            # The card's "How to load" must name the Hub handle: a bare folder
            # name would not load for someone who finds the model on the Hub.
            write_model_card(folder, f"{hub.HF_PREFIX}{repo_id}", self.family, description)
            return hub.upload_folder(folder, repo_id, private=private)

    def preprocess_samples(self, x, y=None, sample_weight=None):
        # The preprocessors are numpy/PIL (per-image sizes, ink crops, letterbox
        # bookkeeping) and cannot run inside a tf.data map, so `fit`, `evaluate`
        # and `predict` take batches the preprocessor already produced.
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def _forward(self, batch):
        """Runs the network on one preprocessed batch.

        The batch is zero-padded to a power of two, so 1 to 64 images need 7
        compiled programs per image shape instead of 64 (with JAX, each new
        shape compiles for seconds); inference is per image, so padding rows
        change nothing but time.
        """
        count = len(batch)
        padded = 1 << (count - 1).bit_length()
        if padded != count:
            filler = np.zeros((padded - count, *batch.shape[1:]), batch.dtype)
            batch = np.concatenate([batch, filler])
        return keras.tree.map_structure(lambda x: x[:count], self.predict_on_batch(batch))
