"""Synthetic writers: a stable signature design per writer, genuine variation, skilled forgeries.

A `SyntheticWriter` owns pen trajectories (`page_elements.signature_strokes`),
a slant, a pen width and a size. `genuine` redraws the design the way one
person's signatures vary: small smooth wobble of the trajectory, slightly
different size, slant and pressure. `skilled_forgery` is another hand imitating
the design: proportions off, slant of the forger's own, slow-drawing tremor and
flatter pressure.

Example:
```python
from signver_keras.data.synthetic.synthetic_writers import SyntheticWriter
writer = SyntheticWriter(seed=7)
references = [writer.genuine(i) for i in range(3)]  # uint8, ink dark on white
forgery = writer.skilled_forgery(0)
```
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from signver_keras.data.synthetic.page_elements import render_strokes, signature_strokes

Strokes = list[tuple[np.ndarray, np.ndarray]]


def _smooth_offsets(rng: np.random.Generator, length: int, knots: int, scale: float) -> np.ndarray:
    """(length, 2) offsets interpolated from a few random knots: a slow wobble."""
    anchors = rng.normal(0, scale, size=(knots, 2))
    positions = np.linspace(0, knots - 1, length)
    return np.stack([np.interp(positions, np.arange(knots), anchors[:, i]) for i in (0, 1)], 1)


def _to_image(ink: np.ndarray, darkness: float, margin: int = 12) -> np.ndarray:
    padded = np.pad(ink, margin)
    return np.clip(255.0 * (1.0 - padded * darkness), 0, 255).astype(np.uint8)


@dataclass
class SyntheticWriter:
    """One synthetic person's signature design, deterministic from `seed`."""

    seed: int
    strokes: Strokes = field(init=False, repr=False)
    slant: float = field(init=False)
    pen_width: float = field(init=False)
    height: int = field(init=False)

    def __post_init__(self) -> None:
        rng = np.random.default_rng([self.seed, 0])
        self.strokes = signature_strokes(rng)
        self.slant = float(rng.uniform(-10, 35))
        self.pen_width = float(rng.uniform(1.4, 3.2))
        self.height = int(rng.integers(70, 120))

    def _draw(
        self,
        rng: np.random.Generator,
        wobble: float,
        stroke_jitter: float,
        tremor: float,
        slant: float,
        pressure_flatness: float,
        pen_width: float,
    ) -> np.ndarray:
        strokes = []
        for points, pressure in self.strokes:
            n = len(points)
            moved = points * (1 + rng.normal(0, stroke_jitter, 2)) + rng.normal(0, stroke_jitter, 2)
            moved = moved + _smooth_offsets(rng, n, max(2, n // 12), wobble)
            if tremor:
                moved = moved + rng.normal(0, tremor, size=moved.shape)
            flat = pressure + pressure_flatness * (pressure.mean() - pressure)
            strokes.append((moved, np.clip(flat * rng.uniform(0.9, 1.1), 0.2, 1.0)))
        height = int(self.height * np.exp(rng.normal(0, 0.06)))
        ink = render_strokes(strokes, rng, height, slant=slant, pen_width=pen_width)
        return _to_image(ink, darkness=float(rng.uniform(0.75, 0.95)))

    def genuine(self, sample: int) -> np.ndarray:
        """One genuine signature (uint8 grayscale, ink dark on white)."""
        rng = np.random.default_rng([self.seed, 1, sample])
        return self._draw(
            rng,
            wobble=0.05,
            stroke_jitter=0.02,
            tremor=0.0,
            slant=self.slant + rng.normal(0, 2.0),
            pressure_flatness=0.0,
            pen_width=self.pen_width * rng.uniform(0.9, 1.1),
        )

    def skilled_forgery(self, sample: int, forger: int = 0) -> np.ndarray:
        """An imitation of this writer's design by another hand (uint8 grayscale)."""
        rng = np.random.default_rng([self.seed, 2, forger, sample])
        return self._draw(
            rng,
            wobble=0.12,
            stroke_jitter=0.08,
            tremor=0.015,
            slant=self.slant + rng.normal(0, 7.0),
            pressure_flatness=0.6,
            pen_width=float(rng.uniform(1.4, 3.2)),
        )
