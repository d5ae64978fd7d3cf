"""Contact sheet of simulated phone photos and hand-filled cheques and forms.

    python scripts/photo_contact_sheet.py                 # docs/images/photo_simulation.png
    python scripts/photo_contact_sheet.py --compare /tmp/photos_vs_real.png

The committed sheet shows only generated pages (`photo_simulation`,
`filled_documents`) with their boxes. `--compare` also writes a sheet that
puts the most photo-like real pages of the shared tobacco800 splits beside
simulated ones, for checking the simulator by eye; real pages must never be
committed, so write it outside the repository.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from signver_keras.data.collections.detection_data import CHEQUE_PHOTO
from signver_keras.data.paths import data_root
from signver_keras.data.synthetic.page_elements import get_font
from signver_keras.data.synthetic.synthetic_documents import (
    CLASS_COLORS,
    CLASS_NAMES,
    generate_page,
)

OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "photo_simulation.png"
REAL_FOLDERS = ("tobacco800_signatures_train/train", "tobacco800_signatures_valid/valid")
THUMB = 300
# (layout, page size, photographed) of the sheet's pages, seeds 0, 1, 2, ...
PAGES = [
    ("letter", (1100, 850), True),
    ("contract", (1100, 850), True),
    ("filled_form", (1100, 850), True),
    ("form", (1100, 850), True),
    ("filled_cheque", CHEQUE_PHOTO, True),
    ("filled_cheque", CHEQUE_PHOTO, True),
    ("letter", (1100, 850), True),
    ("filled_form", (1100, 850), False),
    ("cheque", (1100, 850), True),
    ("filled_cheque", (1100, 850), False),
    ("contract", (1100, 850), True),
    ("filled_form", (1100, 850), True),
]


def thumbnail(image: np.ndarray, boxes=(), labels=()) -> Image.Image:
    """A page fitted into a THUMB x THUMB square, with class-coloured boxes."""
    page = Image.fromarray(image).convert("RGB")
    scale = THUMB / max(page.size)
    thumb = page.resize((round(page.width * scale), round(page.height * scale)), Image.LANCZOS)
    draw = ImageDraw.Draw(thumb)
    for box, label in zip(boxes, labels, strict=True):
        draw.rectangle([v * scale for v in box], outline=CLASS_COLORS[label], width=2)
    return thumb


def simulated(count: int, seed: int = 0) -> list[Image.Image]:
    thumbs = []
    for index in range(count):
        layout, size, photographed = PAGES[index % len(PAGES)]
        page = generate_page(seed + index, size, layout=layout, photographed=photographed)
        thumbs.append(thumbnail(page.image, page.boxes, page.labels))
    return thumbs


def photo_likeness(path: Path) -> float:
    """High for pages lit unevenly on a darker surround (phone photos), low for flat scans."""
    gray = np.asarray(Image.open(path).convert("L").resize((128, 128)), np.float32)
    border = np.concatenate([gray[:8].ravel(), gray[-8:].ravel(), gray[:, :8].ravel()])
    paper = Image.fromarray(gray.astype(np.uint8)).filter(ImageFilter.MaxFilter(9))
    unevenness = float(np.asarray(paper, np.float32)[16:-16, 16:-16].std())
    return unevenness + 0.5 * max(0.0, float(np.percentile(gray, 90) - np.median(border)))


def real_photos(count: int) -> list[Image.Image]:
    paths = [p for f in REAL_FOLDERS for p in sorted((data_root() / f / "images").glob("*"))]
    if not paths:
        raise SystemExit(f"No real pages under {data_root()}; --compare needs the shared data.")
    ranked = sorted(paths, key=photo_likeness, reverse=True)[:count]
    return [thumbnail(np.asarray(Image.open(path).convert("RGB"))) for path in ranked]


def sheet(rows: list[tuple[str, list[Image.Image]]], columns: int) -> Image.Image:
    """Rows of thumbnails, each row titled, with the class legend on top."""
    font = get_font("sans", 13)
    title, legend, pad = 18, 22, 6
    cell = THUMB + pad
    canvas = Image.new(
        "RGB", (columns * cell + pad, legend + len(rows) * (cell + title) + pad), "white"
    )
    draw = ImageDraw.Draw(canvas)
    x = 8
    for name, colour in zip(CLASS_NAMES, CLASS_COLORS, strict=True):
        draw.rectangle((x, 5, x + 12, 17), fill=colour)
        draw.text((x + 16, 3), name, fill=(0, 0, 0), font=font)
        x += 30 + int(draw.textlength(name, font=font))
    y = legend
    for name, thumbs in rows:
        draw.text((8, y + 2), name, fill=(0, 0, 0), font=font)
        y += title
        for column, thumb in enumerate(thumbs[:columns]):
            left = pad + column * cell + (THUMB - thumb.width) // 2
            canvas.paste(thumb, (left, y + (THUMB - thumb.height) // 2))
        y += cell
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--compare", type=Path, help="also write real photos beside simulated")
    parser.add_argument("--columns", type=int, default=6)
    args = parser.parse_args()
    thumbs = simulated(2 * args.columns)
    rows = [
        (
            "simulated phone photos; hand-filled forms and cheques",
            thumbs[: args.columns],
        ),
        ("", thumbs[args.columns :]),
    ]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    # An adaptive 256-colour palette keeps the committed sheet small and the ink colours.
    sheet(rows, args.columns).quantize(256, dither=Image.Dither.NONE).save(args.output)
    print(f"wrote {args.output}")
    if args.compare:
        if args.compare.resolve().is_relative_to(Path(__file__).resolve().parents[1]):
            raise SystemExit("--compare shows real pages: write it outside the repository.")
        real = real_photos(2 * args.columns)
        others = simulated(2 * args.columns, seed=100)
        compare = [
            ("real (most photo-like pages of the shared splits)", real[: args.columns]),
            ("simulated", others[: args.columns]),
            ("real", real[args.columns :]),
            ("simulated", others[args.columns :]),
        ]
        sheet(compare, args.columns).save(args.compare)
        print(f"wrote {args.compare} (real pages: do not commit)")


if __name__ == "__main__":
    main()
