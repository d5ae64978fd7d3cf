"""ROC and DET curves with the operating point marked (matplotlib, optional extra)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from signver_keras.evaluation.metrics import rates_at, roc


def plot_verification_curves(
    genuine: np.ndarray, negatives: dict[str, np.ndarray], threshold: float | None, path: Path
) -> Path:
    """Writes a PNG with ROC (left) and DET (right) curves for each kind of negative."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import norm

    figure, (roc_axis, det_axis) = plt.subplots(1, 2, figsize=(11, 4.6))
    ticks = np.array([0.001, 0.01, 0.05, 0.2, 0.5])
    clip = lambda v: np.clip(v, 1e-4, 1 - 1e-4)  # noqa: E731
    for kind, scores in negatives.items():
        if len(scores) == 0:
            continue
        curve = roc(genuine, scores)
        (line,) = roc_axis.plot(curve.far, 1 - curve.frr, label=f"{kind} forgeries")
        det_axis.plot(
            norm.ppf(clip(curve.far)),
            norm.ppf(clip(curve.frr)),
            color=line.get_color(),
            label=f"{kind} forgeries",
        )
        if threshold is not None:
            rates = rates_at(genuine, scores, threshold)
            roc_axis.plot(rates["far"], 1 - rates["frr"], "o", color=line.get_color())
            det_axis.plot(
                norm.ppf(clip(rates["far"])),
                norm.ppf(clip(rates["frr"])),
                "o",
                color=line.get_color(),
                label=f"threshold {threshold:.3f}",
            )
    roc_axis.set(
        xscale="log",
        xlim=(1e-3, 1),
        ylim=(0, 1.01),
        xlabel="false accept rate",
        ylabel="true accept rate",
        title="ROC",
    )
    det_axis.set(
        xticks=norm.ppf(ticks),
        yticks=norm.ppf(ticks),
        xlabel="false accept rate",
        ylabel="false reject rate",
        title="DET",
    )
    det_axis.set_xticklabels([f"{t:g}" for t in ticks])
    det_axis.set_yticklabels([f"{t:g}" for t in ticks])
    for axis in (roc_axis, det_axis):
        axis.grid(alpha=0.3)
        axis.legend(loc="lower right" if axis is roc_axis else "upper right", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
