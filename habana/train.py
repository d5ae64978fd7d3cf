"""Runs a signver-keras training recipe on Intel Gaudi (HPU) through Keras 3's torch backend.

    # one card
    python habana/train.py --recipe extractor -- --config recipes/configs/extractor_base.yaml
    # eight cards, one process each (HCCL all-reduce of the gradients)
    torchrun --nproc_per_node 8 habana/train.py --recipe extractor --bf16 -- --config ...
    # the same code path on a machine without Gaudi software (CPU, gloo), for CI
    python habana/train.py --dry-run -- --config recipes/configs/extractor_tiny.yaml

Everything after `--` goes to the recipe (`recipes/train_<recipe>.py`) unchanged.
The wrapper only sets up the device: it must run before Keras is imported, so it
sets KERAS_BACKEND=torch and KERAS_TORCH_DEVICE=hpu, chooses lazy or eager mode
(PT_HPU_LAZY_MODE, read when `habana_frameworks.torch` is imported), starts
torch.distributed from torchrun's or mpirun's environment, and sets the bf16
mixed-precision policy. See habana/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import runpy
import sys
from pathlib import Path

from signver_keras.data.paths import RUNS_DIR
from signver_keras.families import FAMILIES, TRAINABLE

ROOT = Path(__file__).resolve().parents[1]
RECIPES = TRAINABLE
EXIT_BAD_INPUT = 2


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    recipe_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, recipe_args = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", choices=RECIPES, default="extractor")
    parser.add_argument(
        "--mode",
        choices=["eager", "lazy"],
        default="eager",
        help="eager (+torch.compile where used; the default since Gaudi 1.18) or legacy lazy",
    )
    parser.add_argument("--bf16", action="store_true", help="mixed_bfloat16 policy")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="without Gaudi software: run the same code path on the CPU (gloo for "
        "multi-process); without a recipe --config, the recipe's tiny config",
    )
    return parser.parse_args(argv), recipe_args


def dry_run_recipe_args(recipe: str, recipe_args: list[str]) -> list[str]:
    """A dry run checks the code path, so without a `--config` it trains the tiny config
    (the recipe's default, the full base config, runs for many minutes on a CPU)."""
    if "--config" in recipe_args:
        return recipe_args
    config = FAMILIES[recipe].tiny_config
    print(f"habana/train.py: dry run without --config: using {config}.", flush=True)
    return ["--config", str(ROOT / config), *recipe_args]


def has_habana() -> bool:
    return importlib.util.find_spec("habana_frameworks") is not None


def distributed_env() -> tuple[int, int, int]:
    """(rank, local_rank, world_size) from torchrun (RANK...) or Open MPI (OMPI_COMM_WORLD_*)."""
    env = os.environ
    if "OMPI_COMM_WORLD_SIZE" in env and "WORLD_SIZE" not in env:
        env["WORLD_SIZE"] = env["OMPI_COMM_WORLD_SIZE"]
        env["RANK"] = env["OMPI_COMM_WORLD_RANK"]
        env["LOCAL_RANK"] = env.get("OMPI_COMM_WORLD_LOCAL_RANK", env["RANK"])
        env.setdefault("MASTER_ADDR", "localhost")
        env.setdefault("MASTER_PORT", "12355")
    return int(env.get("RANK", 0)), int(env.get("LOCAL_RANK", 0)), int(env.get("WORLD_SIZE", 1))


def configure(args: argparse.Namespace) -> dict[str, object]:
    """Sets the environment and imports the Gaudi bridge; returns what was chosen."""
    habana = has_habana()
    if not habana and not args.dry_run:
        raise SystemExit(
            "habana/train.py: error: habana_frameworks is not installed: run inside an Intel "
            "Gaudi PyTorch container (see habana/README.md), or pass --dry-run to run the same "
            "code path on the CPU."
        )
    device = "hpu" if habana else "cpu"
    os.environ["KERAS_BACKEND"] = "torch"
    os.environ["KERAS_TORCH_DEVICE"] = device
    os.environ["PT_HPU_LAZY_MODE"] = "1" if args.mode == "lazy" else "0"
    if habana:
        import habana_frameworks.torch.core  # noqa: F401  (registers the "hpu" device)
    else:
        print(
            "habana/train.py: habana_frameworks not found; dry run on the CPU "
            "(KERAS_TORCH_DEVICE=cpu, gloo instead of HCCL).",
            flush=True,
        )
    rank, local_rank, world = distributed_env()
    dist_backend = None
    if world > 1:
        import torch.distributed as dist

        if habana:
            import habana_frameworks.torch.distributed.hccl  # noqa: F401  (registers "hccl")

            dist_backend = "hccl"
        else:
            dist_backend = "gloo"
        dist.init_process_group(backend=dist_backend, rank=rank, world_size=world)
    import keras

    if args.bf16:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    return {
        "device": device,
        "mode": args.mode,
        "policy": keras.mixed_precision.global_policy().name,
        "rank": rank,
        "local_rank": local_rank,
        "world_size": world,
        "dist_backend": dist_backend,
    }


def other_rank_args(recipe_args: list[str], rank: int) -> list[str]:
    """Ranks > 0 keep checkpoints in their own sub-folder and write no preset.

    All ranks hold the same weights (gradients are averaged), so rank 0's
    checkpoint and preset are the run's; argparse keeps the last occurrence.
    """
    if "--run-dir" in recipe_args:
        run_dir = recipe_args[recipe_args.index("--run-dir") + 1]
        recipe_args = [*recipe_args, "--run-dir", str(Path(run_dir) / f"rank{rank}")]
    else:
        os.environ["SIGNVER_RUNS"] = str(RUNS_DIR / f"rank{rank}")
    return [*recipe_args, "--output", ""]


def main(argv: list[str] | None = None) -> None:
    args, recipe_args = parse_args(sys.argv[1:] if argv is None else argv)
    setup = configure(args)
    if setup["rank"] == 0:
        print("habana/train.py:", " ".join(f"{k}={v}" for k, v in setup.items()), flush=True)
    if args.dry_run:
        recipe_args = dry_run_recipe_args(args.recipe, recipe_args)
    if setup["world_size"] > 1 and "--distribution" not in recipe_args:
        recipe_args += ["--distribution", "data_parallel"]
    if setup["rank"] > 0:
        recipe_args = other_rank_args(recipe_args, int(setup["rank"]))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    module = FAMILIES[args.recipe].recipe
    sys.argv = [module, *recipe_args]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        if setup["world_size"] > 1:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


if __name__ == "__main__":
    main()
