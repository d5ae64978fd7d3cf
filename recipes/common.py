"""What every recipe shares: config loading, run folders, resumable checkpoints."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import yaml

from signver_keras.data.collections.verification import (
    SignatureRecord,
    load_verification_data,
    split_writers,
)
from signver_keras.data.paths import RUNS_DIR, collection_spec
from signver_keras.utils.atomic import atomic_path, atomic_write_text


def parse_args(description: str, default_config: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--config", default=default_config, help="YAML recipe configuration")
    parser.add_argument("--run-dir", help="checkpoints and logs (default: $SIGNVER_RUNS/<config>)")
    parser.add_argument("--resume", action="store_true", help="continue from the run's checkpoint")
    parser.add_argument(
        "--from-preset", help="fine-tune this preset instead of training from scratch"
    )
    parser.add_argument(
        "--grow",
        action="store_true",
        help="with --from-preset: train the config's deeper network, started from the preset "
        "(detector)",
    )
    parser.add_argument("--data", action="append", help="LAYOUT:PATH of the user's own data")
    parser.add_argument("--output", help="preset folder to write at the end (overrides config)")
    parser.add_argument("--epochs", type=int, help="override train.epochs")
    parser.add_argument("--max-minutes", type=float, help="override train.max_minutes")
    parser.add_argument(
        "--learning-rate", type=float, help="override train.learning_rate (lower to fine-tune)"
    )
    parser.add_argument(
        "--pack", help="train from this input pack instead of the data folder (extractor)"
    )
    parser.add_argument(
        "--distribution",
        choices=["none", "data_parallel"],
        default="none",
        help="data_parallel: split each batch over all local devices (see recipes/distribution.py)",
    )
    return parser.parse_args()


def read_config(path: str | os.PathLike, overrides: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """A YAML recipe configuration with `{(section, key): value}` overrides (None: keep)."""
    config = yaml.safe_load(Path(path).read_text())
    for (section, key), value in overrides.items():
        if value is not None:
            config[section][key] = value
    return config


def load_config(args: argparse.Namespace) -> dict[str, Any]:
    return read_config(
        args.config,
        {
            ("train", "epochs"): args.epochs,
            ("train", "max_minutes"): args.max_minutes,
            ("train", "learning_rate"): args.learning_rate,
            ("output", "preset"): args.output,
        },
    )


def run_dir(args: argparse.Namespace) -> Path:
    folder = Path(args.run_dir) if args.run_dir else RUNS_DIR / Path(args.config).stem
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def load_split(
    config: dict[str, Any], load: Callable[[str], list[SignatureRecord]] | None = None
) -> dict[str, list[SignatureRecord]]:
    """Writer-disjoint train / calibration / test records, plus train-only and test-only data.

    `data.datasets` are split by writer; `data.train_only` collections train
    whole (e.g. two sub-corpora that may share people, which a split could put
    on both sides); `data.test_only` and `data.report_only` collections are
    never trained on (`parts["test:NAME"]`; recipes may select models on the
    former, never on the latter).

    Every recipe that trains on the real datasets uses this split with the same
    `data.split` and `data.split_seed`, so no model trains on the writers that
    another model is calibrated or tested on. `load` reads a collection by name
    (default `load_collection`; an `InputPack`'s `records` off the data machine).
    """
    load = load or load_collection
    parts: dict[str, list[SignatureRecord]] = {"train": [], "calibration": [], "test": []}
    data = config["data"]
    for name in data["datasets"]:
        records = load(name)
        for key, part in zip(
            parts, split_writers(records, data["split"], data["split_seed"]), strict=True
        ):
            parts[key] += part
    for name in data.get("train_only", []):
        parts["train"] += load(name)
    for name in data.get("test_only", []) + data.get("report_only", []):
        parts[f"test:{name}"] = load(name)
    return parts


def load_collection(name: str) -> list[SignatureRecord]:
    """A collection under `data_root()`, e.g. `sigcomp2011_dutch` or `online/biosecurid`."""
    return load_verification_data(collection_spec(name))


def write_json_atomically(path: Path, payload: dict) -> None:
    atomic_write_text(path, json.dumps(payload, indent=2))


def save_best(model: keras.Model, weights_path: Path, state_path: Path, state: dict) -> None:
    """Saves the best weights so far and their scores; a kill mid-save keeps the previous best."""
    with atomic_path(weights_path) as partial:
        model.save_weights(partial)
    write_json_atomically(state_path, state)


class ResumableCheckpoint(keras.callbacks.Callback):
    """Saves the whole training model (weights + optimizer) and the epoch reached.

    Written to a temporary file and renamed, so a kill mid-save keeps the last
    good checkpoint. `--resume` reloads it and continues from the next epoch.
    """

    def __init__(self, folder: Path, every_minutes: float = 0.0):
        super().__init__()
        self.folder = folder
        self.every_seconds = every_minutes * 60
        self._last = time.monotonic()

    @property
    def model_path(self) -> Path:
        return self.folder / "checkpoint.keras"

    @property
    def state_path(self) -> Path:
        return self.folder / "state.json"

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if time.monotonic() - self._last < self.every_seconds:
            return
        self._last = time.monotonic()
        with atomic_path(self.model_path) as partial:
            self.model.save(partial)
        state = {"epoch": epoch + 1, "logs": {k: float(v) for k, v in (logs or {}).items()}}
        write_json_atomically(self.state_path, state)

    def restore(self, model: keras.Model) -> int:
        """Loads the checkpoint's weights *and optimizer state* into a compiled `model`.

        `keras.models.load_model` skips the optimizer's variables while the
        optimizer is unbuilt (it warns "Skipping variable loading for
        optimizer"), which would restart AdamW's moments and the schedule's
        step; building the optimizer first and loading into it keeps both.
        Returns the epoch to continue from.
        """
        model.optimizer.build(model.trainable_variables)
        model.load_weights(self.model_path)
        epoch = self.initial_epoch()
        print(
            f"Resuming from epoch {epoch} ({self.model_path}); optimizer at step "
            f"{int(model.optimizer.iterations)}.",
            flush=True,
        )
        return epoch

    def initial_epoch(self) -> int:
        if not self.state_path.exists():
            return 0
        return int(json.loads(self.state_path.read_text())["epoch"])


class TimeBudget(keras.callbacks.Callback):
    """Stops training after `minutes` of wall-clock time (at an epoch boundary)."""

    def __init__(self, minutes: float):
        super().__init__()
        self.seconds = minutes * 60
        self._start = time.monotonic()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if time.monotonic() - self._start > self.seconds:
            print(f"Time budget of {self.seconds / 60:.0f} min reached; stopping.")
            self.model.stop_training = True


class CosineByProgress(keras.callbacks.Callback):
    """Cosine learning-rate decay over the run's progress: steps done or wall time, whichever
    is further along.

    On a CPU shared with other jobs the number of steps that fit in
    `max_minutes` is unknown in advance; a step-based schedule would be cut
    off at a high learning rate. Progress is `max(step / total_steps,
    elapsed / max_minutes)`, so the rate reaches `alpha * initial` by the end
    either way. (After `--resume`, wall time counts from the restart.)
    """

    def __init__(self, initial: float, total_steps: int, max_minutes: float, alpha: float = 0.05):
        super().__init__()
        self.initial, self.total_steps, self.alpha = initial, total_steps, alpha
        self.seconds = max_minutes * 60
        self._start = time.monotonic()

    def rate(self, step: int) -> float:
        progress = max(step / self.total_steps, (time.monotonic() - self._start) / self.seconds)
        cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        return self.initial * (self.alpha + (1 - self.alpha) * cosine)

    def on_train_batch_begin(self, batch, logs=None):
        optimizer = self.model.optimizer
        optimizer.learning_rate.assign(self.rate(int(optimizer.iterations)))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


def run_callbacks(folder: Path, checkpoint: keras.callbacks.Callback, max_minutes: float) -> list:
    """The callbacks every recipe's `fit` ends with: checkpoint, CSV log, wall-clock budget."""
    return [
        checkpoint,
        keras.callbacks.CSVLogger(folder / "log.csv", append=True),
        TimeBudget(max_minutes),
    ]


def compute_description() -> str:
    """What a run trains on, for the training record: the backend and its accelerators or cores."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        accelerators = [d for d in jax.devices() if d.platform != "cpu"]
        if accelerators:
            kinds = ", ".join(sorted({d.device_kind for d in accelerators}))
            return f"jax on {len(accelerators)} x {kinds}"
    return f"{backend} on {os.cpu_count()} CPU cores"


def fit_verbosity() -> int:
    """Keras' progress bar on a terminal; one line per epoch in log files and CI."""
    return 2 if os.environ.get("CI") or not sys.stdout.isatty() else 1
