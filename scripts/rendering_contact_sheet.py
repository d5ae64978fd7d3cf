"""Contact sheet of the trajectory renderer: pens, inks, papers and resolutions side by side.

    python scripts/rendering_contact_sheet.py                 # docs/images/trajectory_rendering.png
    python scripts/rendering_contact_sheet.py --real --out /tmp/renders_vs_scans.png

The committed sheet renders the project's own synthetic trajectories
(`page_elements.signature_strokes`), one row per pen, so it holds no real
data. `--real` instead puts renderings of the shared online collections
next to real scanned signatures of the shared image collections, for your own
visual check: the licences of those collections forbid committing it, so it
must be written outside the repository.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from signver_keras.data.collections.online_signatures import load_online_records, record_image
from signver_keras.data.collections.verification import load_verification_data
from signver_keras.data.paths import REPO_ROOT, data_root
from signver_keras.data.synthetic.trajectory_rendering import (
    PENS,
    RenderStyle,
    render_trajectory,
    synthetic_trajectory,
)
from signver_keras.images import load_image

TILE = (240, 110)
SCANNED = ("sigcomp2011_dutch", "bhsig260_subset", "crossmedia_chinese")
ONLINE = ("biosecurid", "mcyt_online", "susig_visual")


def tile(image: np.ndarray, caption: str) -> Image.Image:
    picture = Image.fromarray(image).convert("RGB")
    picture.thumbnail((TILE[0] - 8, TILE[1] - 22))
    canvas = Image.new("RGB", TILE, "white")
    canvas.paste(picture, ((TILE[0] - picture.width) // 2, 2))
    ImageDraw.Draw(canvas).text((4, TILE[1] - 16), caption, fill=(90, 90, 90))
    return canvas


def sheet(rows: list[list[Image.Image]]) -> Image.Image:
    width = max(len(row) for row in rows) * TILE[0]
    out = Image.new("RGB", (width, len(rows) * TILE[1]), "white")
    for r, row in enumerate(rows):
        for c, picture in enumerate(row):
            out.paste(picture, (c * TILE[0], r * TILE[1]))
    return out


def synthetic_rows(columns: int) -> list[list[Image.Image]]:
    rows = []
    for p, pen in enumerate(PENS):
        row = []
        for c in range(columns):
            rng = np.random.default_rng([p, c])
            style = RenderStyle.sample(rng, color=True)
            style = RenderStyle(**{**style.__dict__, "pen": pen})
            image = render_trajectory(synthetic_trajectory(c), style, seed=c)
            row.append(tile(image, f"{pen}, {style.dpi:.0f} dpi, paper {style.paper}"))
        rows.append(row)
    return rows


def real_rows(columns: int) -> list[list[Image.Image]]:
    rows = []
    for name in ONLINE:
        records = load_online_records(data_root() / "online" / name)
        picks = np.linspace(0, len(records) - 1, columns).astype(int)
        rows.append([tile(record_image(records[i]), f"render: {name}") for i in picks])
    for name in SCANNED:
        records = load_verification_data(f"manifest:{data_root() / name}")
        picks = np.linspace(0, len(records) - 1, columns).astype(int)
        rows.append([tile(load_image(records[i].path), f"scan: {name}") for i in picks])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=REPO_ROOT / "docs/images/trajectory_rendering.png"
    )
    parser.add_argument("--columns", type=int, default=6)
    parser.add_argument(
        "--real", action="store_true", help="renders of the shared online data next to real scans"
    )
    args = parser.parse_args()
    if args.real and REPO_ROOT in args.out.resolve().parents:
        parser.error("--real sheets hold research-only data: write them outside the repository.")
    rows = real_rows(args.columns) if args.real else synthetic_rows(args.columns)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet(rows).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
