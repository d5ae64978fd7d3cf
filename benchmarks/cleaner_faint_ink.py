"""Does the cleaner keep faint strokes? Stroke recall and false ink on rendered signatures.

    python benchmarks/cleaner_faint_ink.py                       # the bundled cleaner
    python benchmarks/cleaner_faint_ink.py --preset DIR --signatures 40

Renders the project's own synthetic pen trajectories (no real data) with each pen
at several ink darknesses on textured paper, cleans them, and compares the cleaned
ink with the stroke drawn by a black gel pen on white paper from the same
trajectory: `recall` is the share of stroke pixels the cleaner keeps as ink (within
one pixel), `false ink` the share of its ink pixels off the stroke. The `input` row
is the rendering itself thresholded halfway between paper and its darkest ink: how
much of the stroke is visible at all.
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
from scipy import ndimage

import signver_keras as sv
from signver_keras.data.synthetic.trajectory_rendering import (
    RenderStyle,
    render_trajectory,
    synthetic_trajectory,
)

INK_LEVEL = 200  # cleaned output: darker than this is ink (the cleaner draws ink on white)
CONDITIONS = [
    ("gel", 0.9),
    ("ballpoint", 0.6),
    ("ballpoint", 0.35),
    ("pencil", 0.5),
    ("pencil", 0.3),
    ("pencil", 0.2),
]


def stroke_mask(points: np.ndarray, style: RenderStyle) -> np.ndarray:
    """The stroke's pixels: the same geometry drawn dark, clean and sharp."""
    clean = dataclasses.replace(
        style, pen="gel", darkness=1.0, paper=255, texture=0.0, blur=0.0, noise=0.0
    )
    return render_trajectory(points, clean, seed=0) < 160


def scores(ink: np.ndarray, stroke: np.ndarray) -> tuple[float, float]:
    """(recall of stroke pixels within one pixel, share of ink pixels off the stroke)."""
    near_ink = ndimage.binary_dilation(ink, np.ones((3, 3), bool))
    near_stroke = ndimage.binary_dilation(stroke, np.ones((3, 3), bool))
    recall = float((near_ink & stroke).sum() / max(stroke.sum(), 1))
    false = float((ink & ~near_stroke).sum() / max(ink.sum(), 1))
    return recall, false


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="signver_cleaner_base")
    parser.add_argument("--signatures", type=int, default=24)
    args = parser.parse_args()
    cleaner = sv.SignatureCleaner.from_preset(args.preset)

    print(f"{args.preset}: {args.signatures} synthetic signatures per row, 200 dpi, grey paper")
    print(
        f"{'pen':10s} {'darkness':>8s}  {'input recall':>12s}  {'cleaned recall':>14s}  "
        f"{'false ink':>9s}"
    )
    for pen, darkness in CONDITIONS:
        rows = []
        for seed in range(args.signatures):
            points = synthetic_trajectory(seed)
            style = RenderStyle(pen=pen, darkness=darkness, paper=230, texture=0.15, noise=3.0)
            image = render_trajectory(points, style, seed=seed)
            stroke = stroke_mask(points, style)
            if image.shape != stroke.shape or not stroke.any():
                continue
            halfway = (int(np.median(image)) + int(image.min())) / 2
            cleaned = cleaner.clean(image)[0] < INK_LEVEL
            rows.append((scores(image < halfway, stroke)[0], *scores(cleaned, stroke)))
        visible, recall, false = np.mean(rows, axis=0)
        print(f"{pen:10s} {darkness:8.2f}  {visible:12.1%}  {recall:14.1%}  {false:9.1%}")


if __name__ == "__main__":
    main()
