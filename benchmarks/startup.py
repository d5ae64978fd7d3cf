"""Cold-process start-up of the `signver-keras` CLI, first and second run, and the install size.

    python benchmarks/startup.py                        # KERAS_BACKEND unset, as most users run
    python benchmarks/startup.py --backends default jax tensorflow
    python benchmarks/startup.py --repeat 3             # the second-run column is a median

Every timing is a fresh process, as a user running one command sees it: the
wall time of `signver-keras ...` from start to exit. The first run starts from
an empty compilation cache (a new `SIGNVER_KERAS_CACHE` folder, as on a fresh
install); the second run is the same command again, reusing what the first
one cached. Inputs are the bundled samples: `verify` is 1 query against 3
references, `detect` is the sample page, the gallery commands ask a gallery
of two persons (enrolled before the timings). The install size counts the files of
signver-keras and every distribution its default install pulls in (no extras).
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from signver_keras import samples  # noqa: E402

GALLERY = "{tmp}/gallery.db"
COMMANDS = {
    "--help": ["--help"],
    "presets": ["presets"],
    "verify": [
        "verify",
        str(samples.QUERY_GENUINE),
        "--refs",
        *(str(path) for path in samples.REFERENCES),
    ],
    "detect": ["detect", str(samples.DOCUMENT)],
    "demo": ["demo", "--out", "{tmp}/demo_overlay.png"],
    "gallery verify": ["gallery", "verify", GALLERY, "alice", str(samples.QUERY_GENUINE)],
    "gallery identify": ["gallery", "identify", GALLERY, str(samples.QUERY_GENUINE)],
}
#: Run once per backend before the timings: the gallery the gallery commands read.
SETUP = [
    ["gallery", "enroll", GALLERY, "alice", *(str(path) for path in samples.REFERENCES)],
    ["gallery", "enroll", GALLERY, "bob", str(samples.QUERY_OTHER_WRITER)],
]


def cli() -> list[str]:
    """The installed entry point, or the module when run from a source checkout."""
    script = Path(sys.executable).with_name("signver-keras")
    return [str(script)] if script.exists() else [sys.executable, "-m", "signver_keras.cli.main"]


def run_once(argv: list[str], env: dict[str, str], tmp: str) -> float:
    command = cli() + [arg.format(tmp=tmp) for arg in argv]
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return seconds


def time_backend(backend: str, repeat: int) -> dict[str, tuple[float, float]]:
    """{command: (first run, median of the next `repeat` runs)} for one backend."""
    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
        env["SIGNVER_KERAS_CACHE"] = f"{tmp}/cache"
        if backend != "default":  # "default": the user chose no backend
            env["KERAS_BACKEND"] = backend
        for argv in SETUP:  # with a cache of its own, so the timed first runs start cold
            run_once(argv, {**env, "SIGNVER_KERAS_CACHE": f"{tmp}/setup_cache"}, tmp)
        for name, argv in COMMANDS.items():
            first = run_once(argv, env, tmp)
            later = [run_once(argv, env, tmp) for _ in range(repeat)]
            timings[name] = (first, statistics.median(later))
            print(f"  {backend} {name}: {first:.2f} s, then {timings[name][1]:.2f} s", flush=True)
    return timings


def _requirement_names(distribution: str) -> list[str]:
    names = []
    for requirement in metadata.requires(distribution) or []:
        if "extra ==" in requirement:
            continue
        names.append(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0])
    return names


def install_size_mb(root: str = "signver-keras") -> tuple[float, int]:
    """(MB on disk, number of distributions) of `root` and its default dependency tree."""
    seen: set[str] = set()
    pending = [root]
    total = 0
    while pending:
        name = pending.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a dependency for another platform
        for file in distribution.files or []:
            path = Path(distribution.locate_file(file))
            if path.is_file():
                total += path.stat().st_size
        pending.extend(_requirement_names(name))
    return total / 2**20, len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--backends", nargs="+", default=["default"], help="'default' leaves KERAS_BACKEND unset"
    )
    parser.add_argument("--repeat", type=int, default=1, help="second runs to take the median of")
    args = parser.parse_args()
    results = {backend: time_backend(backend, args.repeat) for backend in args.backends}
    header = "| command | " + " | ".join(
        f"{backend} first run (s) | {backend} second run (s)" for backend in args.backends
    )
    print()
    print(header + " |")
    print("|---" * (1 + 2 * len(args.backends)) + "|")
    for name in COMMANDS:
        cells = [f"{results[b][name][0]:.2f} | {results[b][name][1]:.2f}" for b in args.backends]
        print(f"| `signver-keras {name}` | " + " | ".join(cells) + " |")
    size, count = install_size_mb()
    print(f"\nDefault install (signver-keras and {count - 1} dependencies): {size:,.0f} MB")


if __name__ == "__main__":
    main()
