"""Pictures of results: detection overlays with a class legend."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image, ImageDraw

from signver_keras.images import ImageInput, load_image
from signver_keras.utils.atomic import atomic_path

#: One colour per detector class (colour-blind-safe Okabe-Ito hues).
CLASS_COLORS = {
    "signature": (0, 114, 178),
    "initials": (230, 159, 0),
    "redaction": (204, 121, 167),
    "date": (0, 158, 115),
}
FALLBACK_COLOR = (213, 94, 0)


def draw_detections(
    image: ImageInput, detections: Mapping[str, np.ndarray | Sequence], path: str | os.PathLike
) -> Image.Image:
    """Draws boxes with class names and scores over a page, adds a legend, saves a PNG.

    Args:
        image: the page the detections were computed on.
        detections: one `SignatureDetector.detect` result (`boxes`, `scores`, `names`).
        path: where to write the PNG (written to a temporary name, then renamed).
    """
    page = Image.fromarray(load_image(image)).convert("RGB")
    draw = ImageDraw.Draw(page)
    width = max(2, round(max(page.size) / 400))
    for box, score, name in zip(
        np.asarray(detections["boxes"]).reshape(-1, 4),
        detections["scores"],
        detections["names"],
        strict=True,
    ):
        color = CLASS_COLORS.get(name, FALLBACK_COLOR)
        draw.rectangle([float(v) for v in box], outline=color, width=width)
        label = f"{name} {float(score):.2f}"
        x0, y0 = float(box[0]), max(float(box[1]) - 12 * width / 2 - 4, 0)
        text_box = draw.textbbox((x0, y0), label)
        draw.rectangle(text_box, fill=color)
        draw.text((x0, y0), label, fill=(255, 255, 255))
    legend_y = 4
    for name, color in CLASS_COLORS.items():
        draw.rectangle([4, legend_y, 16, legend_y + 10], fill=color)
        draw.text((20, legend_y - 1), name, fill=(0, 0, 0))
        legend_y += 14
    with atomic_path(path) as partial:
        page.save(partial, format="PNG")
    return page
