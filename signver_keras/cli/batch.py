"""`signver-keras batch`: detections and embeddings of many pages into one Parquet file."""

from __future__ import annotations

import argparse
import importlib
import sys


def _require(module: str, extra: str, what: str) -> None:
    """Fails with the pip command of the extra that provides `module`."""
    try:
        importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{what} needs {module}, which is not installed: pip install 'signver-keras[{extra}]'."
        ) from error


def cmd_batch(args: argparse.Namespace) -> None:
    try:
        # Before anything loads: the optional extras this command needs.
        _require("pyarrow", "batch", "Batch output (Parquet)")
        if args.engine == "ray":
            _require("ray", "ray", "--engine ray")
        _run(args)
    except ImportError as error:
        print(f"signver-keras batch: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _run(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from signver_keras.batch import collect_pages, run_batch
    from signver_keras.cli.output import emit

    total = len(collect_pages(args.inputs))
    with tqdm(total=total, desc="batch", unit="page", file=sys.stderr, disable=total < 2) as bar:
        common = {
            "preset": args.preset,
            "workers": args.workers,
            "chunk_size": args.chunk_size,
            "score_threshold": args.threshold,
            "progress": bar.update,
        }
        if args.engine == "ray":
            from signver_keras.batch.ray_runner import run_batch_ray

            summary = run_batch_ray(args.inputs, args.out, address=args.ray_address, **common)
        else:
            summary = run_batch(args.inputs, args.out, **common)
    payload = {**vars(summary), "pages_per_second": round(summary.pages_per_second, 3)}
    emit(
        args,
        payload,
        lambda: (
            f"{summary.processed} page(s) processed ({summary.skipped} already done, "
            f"{summary.errors} unreadable), {summary.rows} rows in {summary.out} "
            f"({summary.pages_per_second:.2f} pages/s)"
        ),
    )


def add_batch_parser(commands) -> None:
    batch = commands.add_parser(
        "batch", help="find and embed signatures on many pages into a Parquet file"
    )
    batch.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="folders, globs, manifests, files"
    )
    batch.add_argument(
        "--out", required=True, help="Parquet file (pages already in it are skipped)"
    )
    batch.add_argument("--preset", default="signver_base", help="pipeline preset with a detector")
    batch.add_argument("--workers", type=int, default=1, help="processes, each loads the pipeline")
    batch.add_argument("--chunk-size", type=int, default=8, help="pages per part file")
    batch.add_argument("--threshold", type=float, help="score threshold (default: preset's)")
    batch.add_argument("--engine", choices=["local", "ray"], default="local")
    batch.add_argument("--ray-address", help="Ray cluster to join (default: start a local one)")
    batch.set_defaults(run=cmd_batch)
