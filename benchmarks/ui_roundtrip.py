"""Page upload -> overlay on the bundled sample page, through the UI's handler functions.

Times what the Documents tab does for one upload (`handlers.detect_documents`:
read + detect at threshold 0) and for one slider move (`handlers.render_page`:
re-threshold, draw the overlay, cut the crops, tags; no model call). Not a test.

    python benchmarks/ui_roundtrip.py [--preset signver_base] [--repeats 5]

Without `--preset` it uses `signver_base` when bundled, else a tiny random pipeline
(tests/ui/tiny_pipeline.py; detector cost is then far below a real preset's).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import signver_keras as sv  # noqa: E402
from signver_keras import samples  # noqa: E402
from signver_keras.presets import bundled_path  # noqa: E402
from signver_keras.ui import handlers  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="signver-ui-bench-"))
    preset = args.preset or ("signver_base" if bundled_path("signver_base") else None)
    if preset is None:
        from tests.ui.tiny_pipeline import build_tiny_pipeline

        preset = str(build_tiny_pipeline(work / "pipeline"))
        label = "tiny random pipeline"
    else:
        label = preset
    start = time.perf_counter()
    ctx = handlers.AppContext(sv.SignatureVerifier.from_preset(preset), work)
    load = time.perf_counter() - start
    handlers.render_page(ctx, handlers.detect_documents(ctx, [samples.DOCUMENT]), 0, 0.5)  # warm

    upload, redraw = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        state = handlers.detect_documents(ctx, [samples.DOCUMENT])
        handlers.render_page(ctx, state, 0, handlers.default_threshold(ctx))
        upload.append(time.perf_counter() - start)
        start = time.perf_counter()
        handlers.render_page(ctx, state, 0, 0.5)
        redraw.append(time.perf_counter() - start)

    print(
        f"preset: {label}; page {samples.DOCUMENT.name}; {args.repeats} repeats; "
        f"models loaded once in {load:.1f} s"
    )
    print("| step | median ms | min ms |")
    print("|---|---|---|")
    for name, times in (
        ("upload -> overlay (detect + draw)", upload),
        ("threshold slider redraw (no model)", redraw),
    ):
        print(f"| {name} | {1000 * statistics.median(times):.0f} | {1000 * min(times):.0f} |")


if __name__ == "__main__":
    main()
