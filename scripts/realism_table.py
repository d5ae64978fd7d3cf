"""Issue 4: how realistic are the synthetic writers? Real vs synthetic vs both, same budget.

    KERAS_BACKEND=tensorflow python scripts/realism_table.py --minutes 8 --update-readme
    python scripts/realism_table.py --steps 300 --writers 200 --output realism.json

Trains the same extractor (`recipes/configs/extractor_realism.yaml`, the extractor
recipe's CosFace training and augmentation) from the same seed for the same number
of steps (`--steps`, capped by `--minutes`; with only `--minutes`, the steps that fill
them, measured once by a timing probe) on
(a) the real training writers of the extractor recipe's writer-disjoint split,
(b) `--writers` synthetic writers (genuine signatures and skilled forgeries of
    `signver_keras.data.synthetic.synthetic_writers`, generated once and cached outside the
    repository), and
(c) both (real images repeated to `synthetic.real_share` of the mix),
then reports EER (skilled and random forgeries, 5 references, seed-fixed draw) on the
split's SigComp2011 test writers with each condition's final weights (no model
selection: selecting on real calibration writers would let real data into (b)).
Prints a markdown table, writes it to a JSON file, and with `--update-readme`
replaces the README block of the generator, between `<!-- realism:GENERATOR:start -->` and
`<!-- realism:GENERATOR:end -->`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from recipes.common import fit_verbosity, load_split, read_config  # noqa: E402
from recipes.train_extractor import (  # noqa: E402
    build_backbone,
    build_trainer,
    class_labels,
    embed_arrays,
    learning_schedule,
    preprocessed,
    training_dataset,
)
from signver_keras.data.paths import CACHE_DIR  # noqa: E402
from signver_keras.data.training.extractor_inputs import ExtractorInputs  # noqa: E402
from signver_keras.data.training.synthetic_mix import GENERATORS, mix, synthetic_set  # noqa: E402
from signver_keras.evaluation.verification import summarize, trial_scores  # noqa: E402

README = REPO_ROOT / "README.md"
MARKERS = "<!-- realism:{generator}:start -->", "<!-- realism:{generator}:end -->"
CONDITIONS = {
    "real": "(a) real writers",
    "synthetic": "(b) synthetic writers",
    "both": "(c) real + synthetic",
}
PROBE_STEPS = 25  # timing probe when only --minutes is given (the first 5 are warm-up)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", default=str(REPO_ROOT / "recipes/configs/extractor_realism.yaml")
    )
    parser.add_argument("--steps", type=int, help="training steps per condition")
    parser.add_argument("--minutes", type=float, help="wall-clock cap per condition")
    parser.add_argument("--writers", type=int, help="number of synthetic writers")
    parser.add_argument(
        "--generator",
        choices=sorted(GENERATORS),
        help=(
            "synthetic writer generator (signver_keras/data/training/synthetic_mix.py; "
            "default: the config's)"
        ),
    )
    parser.add_argument(
        "--conditions",
        default=",".join(CONDITIONS),
        help="comma-separated subset of: " + ", ".join(CONDITIONS),
    )
    parser.add_argument(
        "--output",
        default=str(CACHE_DIR / "realism" / "realism_table.json"),
        help="JSON file for the results (default outside the repository)",
    )
    parser.add_argument("--cache-dir", default=str(CACHE_DIR), help="preprocessed-array cache")
    parser.add_argument("--update-readme", action="store_true", help="write the table to README")
    parser.add_argument("--readme", default=str(README), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def load_config(args: argparse.Namespace) -> dict:
    config = read_config(
        args.config,
        {
            ("train", "steps"): args.steps,
            ("train", "minutes"): args.minutes,
            ("synthetic", "writers"): args.writers,
            ("synthetic", "generator"): args.generator,
        },
    )
    if not config["train"].get("steps") and not config["train"].get("minutes"):
        raise SystemExit("Give a budget: --steps and/or --minutes (train.steps / train.minutes).")
    return config


class Budget(keras.callbacks.Callback):
    """Stops after `steps` batches or `minutes` of wall-clock time, whichever comes first."""

    def __init__(self, steps: int | None, minutes: float | None, skip: int = 0):
        super().__init__()
        self.max_steps = steps
        self.seconds = minutes * 60 if minutes else None
        self.skip = skip  # steps excluded from `timed_seconds` (warm-up, compilation)
        self.steps = 0
        self.timed_from: float | None = None

    def on_train_begin(self, logs=None):
        self.start = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        now = time.monotonic()
        if self.steps == self.skip:
            self.timed_from = now
        self.elapsed = now - self.start
        if (self.max_steps and self.steps >= self.max_steps) or (
            self.seconds and self.elapsed >= self.seconds
        ):
            self.model.stop_training = True

    @property
    def seconds_per_step(self) -> float:
        timed = self.steps - self.skip
        return (time.monotonic() - self.timed_from) / timed if timed > 0 else float("nan")


def fit(
    records: list,
    arrays: np.ndarray,
    labels: np.ndarray,
    config: dict,
    steps: int,
    minutes: float | None,
    skip: int = 0,
) -> tuple[keras.Model, Budget, list[dict]]:
    """Trains a fresh backbone (same seed every time) and returns it with its budget record."""
    train_cfg = config["train"]
    batch_size = train_cfg["batch_size"]
    if len(arrays) < batch_size:
        raise SystemExit(f"{len(arrays)} training images are less than one batch ({batch_size}).")
    keras.utils.set_random_seed(train_cfg["seed"])
    backbone = build_backbone(config["model"])
    trainer = build_trainer(backbone, int(labels.max()) + 1, train_cfg)
    dataset = training_dataset(
        records, ExtractorInputs.from_images(arrays), labels, batch_size, train_cfg["seed"]
    )
    schedule = learning_schedule({**train_cfg, "max_minutes": minutes or math.inf}, steps)
    budget = Budget(steps, minutes, skip)
    chunk = max(1, min(100, steps, len(dataset)))  # an "epoch" here is only a logging interval
    history = trainer.fit(
        dataset,
        steps_per_epoch=chunk,
        epochs=math.ceil(steps / chunk),
        callbacks=[schedule, budget],
        verbose=fit_verbosity(),
    )
    log = [
        {key: float(values[i]) for key, values in history.history.items()}
        for i in range(len(history.history.get("loss", [])))
    ]
    return backbone, budget, log


def fmt(value: float | None) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{100 * value:.1f} %"


def markdown_table(result: dict) -> str:
    lines = [
        "| training data | writers | images | real share | steps | minutes | EER skilled "
        "| EER random |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['label']} | {row['writers']} | {row['images']} | "
            f"{100 * row['real_share']:.0f} % | {row['steps']} | "
            f"{row['minutes']:.1f} | {fmt(row.get('eer_skilled'))} | {fmt(row.get('eer_random'))} |"
        )
    return "\n".join(lines)


def readme_block(result: dict) -> str:
    test = result["test"]
    return (
        f"Generated by `{result['command']}` ({result['date']}, Keras backend "
        f"{result['backend']}, {result['cpu']}): each row trains the same extractor "
        f"(`{result['config']}`) from the same seed for the same number of steps; EER on "
        f"{test['writers']} writer-disjoint {test['dataset']} test writers "
        f"({test['reference_count']} references, {test['genuine_trials']} genuine, "
        f"{test['skilled_trials']} skilled and {test['random_trials']} random-forgery trials).\n\n"
        + markdown_table(result)
    )


def update_readme(path: Path, block: str, generator: str) -> None:
    """Replaces the README block of this generator's table (one block per generator)."""
    start, end = (marker.format(generator=generator) for marker in MARKERS)
    text = path.read_text()
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path} has no {start} ... {end} block.")
    path.write_text(pattern.sub(lambda _: f"{start}\n{block}\n{end}", text))


def reproducing_arguments(argv: list[str]) -> str:
    """The command-line arguments that decide the table (not where it is written)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--output", "--cache-dir", "--readme"):
            skip = True
        elif arg != "--update-readme" and not arg.startswith(("--output=", "--cache-dir=")):
            kept.append(arg)
    return " ".join(kept)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    config = load_config(args)
    conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    unknown = set(conditions) - set(CONDITIONS)
    if unknown:
        raise SystemExit(f"Unknown conditions {sorted(unknown)}; choose from {list(CONDITIONS)}.")
    cache_dir = Path(args.cache_dir)
    target_size = tuple(config["model"]["target_size"])

    parts = load_split(config)
    test_name = config["data"]["test_dataset"]
    test = [r for r in parts["test"] if r.dataset == test_name]
    if not test:
        raise SystemExit(f"No test writers of {test_name} in the split.")
    real = parts["train"]
    real_arrays = preprocessed(real, target_size, cache_dir) if real else None
    test_arrays = preprocessed(test, target_size, cache_dir)
    synth, synth_arrays = (
        synthetic_set(config["synthetic"], target_size, cache_dir)
        if {"synthetic", "both"} & set(conditions)
        else ([], None)
    )
    data = {"real": (real, real_arrays), "synthetic": (synth, synth_arrays), "both": ([], None)}
    if real and synth:
        data["both"] = mix(
            real, real_arrays, synth, synth_arrays, config["synthetic"].get("real_share")
        )

    train_cfg = config["train"]
    steps, minutes = train_cfg.get("steps"), train_cfg.get("minutes")
    probe = None
    if not steps:
        # Same number of steps for every condition: measure the speed once, on the
        # condition with the most classes (the largest head), and fill the minutes.
        name = max(conditions, key=lambda c: len({(r.writer_id, r.genuine) for r in data[c][0]}))
        records, arrays = data[name]
        _, timing, _ = fit(
            records, arrays, class_labels(records), config, PROBE_STEPS, None, skip=5
        )
        probe = {"condition": name, "seconds_per_step": timing.seconds_per_step}
        steps = max(1, int(minutes * 60 / timing.seconds_per_step * 0.97))
        print(f"timing probe: {timing.seconds_per_step:.3f} s/step -> {steps} steps per condition")
        # The measured steps are now the budget; the minutes only guard against a run
        # slowed down by other load, so that every condition gets the same steps.
        minutes = minutes * 1.5

    rows = []
    for name in conditions:
        records, arrays = data[name]
        if not records:
            raise SystemExit(f"Condition '{name}' has no training data.")
        labels = class_labels(records)
        print(
            f"\n== {CONDITIONS[name]}: {len({r.path for r in records})} images "
            f"({len(arrays)} with repeats), "
            f"{len({r.writer_id for r in records})} writers, {labels.max() + 1} classes"
        )
        backbone, budget, log = fit(records, arrays, labels, config, steps, minutes)
        summary = summarize(
            trial_scores(
                test,
                embed_arrays(backbone, test_arrays),
                config["evaluation"]["reference_count"],
                seed=config["evaluation"]["seed"],
            )
        )
        row = {
            "condition": name,
            "label": CONDITIONS[name]
            + (f" [{config['synthetic']['generator']}]" if name != "real" else ""),
            "writers": len({r.writer_id for r in records}),
            "classes": int(labels.max()) + 1,
            "images": len({r.path for r in records}),
            "real_share": sum(r.dataset != "synthetic_writers" for r in records) / len(records),
            "steps": budget.steps,
            "minutes": budget.elapsed / 60,
            "final_loss": log[-1].get("loss") if log else None,
            **{k: float(v) for k, v in summary.items()},
        }
        rows.append(row)
        print(
            f"{CONDITIONS[name]}: EER skilled {fmt(row.get('eer_skilled'))}, "
            f"random {fmt(row.get('eer_random'))} after {row['steps']} steps"
        )

    command = "python scripts/realism_table.py " + reproducing_arguments(
        argv if argv is not None else sys.argv[1:]
    )
    first = rows[0]
    result = {
        "command": command.strip(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "backend": keras.backend.backend(),
        "cpu": f"{os.cpu_count()} CPU cores",
        "config": os.path.relpath(Path(args.config).resolve(), REPO_ROOT),
        "model": config["model"],
        "train": {**train_cfg, "steps": steps, "minutes": minutes},
        "synthetic": config["synthetic"],
        "timing_probe": probe,
        "test": {
            "dataset": test_name,
            "writers": len({r.writer_id for r in test}),
            "reference_count": config["evaluation"]["reference_count"],
            "seed": config["evaluation"]["seed"],
            "split": config["data"]["split"],
            "split_seed": config["data"]["split_seed"],
            **{k: int(first[k]) for k in ("genuine_trials", "skilled_trials", "random_trials")},
        },
        "rows": rows,
    }
    result["table"] = markdown_table(result)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2))
    print("\n" + result["table"])
    print(f"\nWrote {output}")
    if args.update_readme:
        update_readme(Path(args.readme), readme_block(result), config["synthetic"]["generator"])
        print(f"Updated {args.readme}")
    return result


if __name__ == "__main__":
    main()
