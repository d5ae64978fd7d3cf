"""Regenerates the bundled samples in signver_keras/samples/ (all synthetic, seed-fixed).

    python scripts/make_samples.py

The demo uses them: a contract page signed by synthetic writer A, three of A's
reference signatures, one more genuine signature of A, a skilled forgery of A, and
a genuine signature of another writer (a random forgery for A).
No real dataset image is involved (their licences forbid redistribution).
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from signver_keras.data.synthetic.synthetic_documents import CLASS_NAMES, generate_page
from signver_keras.data.synthetic.synthetic_writers import SyntheticWriter

SAMPLES = Path(__file__).resolve().parents[1] / "signver_keras" / "samples"
WRITER_SEED, PAGE_SEED, OTHER_WRITER_SEED = 2024, 2, 3


def main() -> None:
    SAMPLES.mkdir(exist_ok=True)
    writer = SyntheticWriter(WRITER_SEED)
    for index in range(3):
        Image.fromarray(writer.genuine(index)).save(SAMPLES / f"reference_{index + 1}.png")
    Image.fromarray(writer.genuine(10)).save(SAMPLES / "query_genuine.png")
    Image.fromarray(writer.skilled_forgery(0)).save(SAMPLES / "query_forgery.png")
    other = SyntheticWriter(OTHER_WRITER_SEED)
    Image.fromarray(other.genuine(0)).save(SAMPLES / "query_other_writer.png")
    page = generate_page(
        PAGE_SEED, signature_pool=[writer.genuine(20)], layout="contract", photographed=False
    )
    Image.fromarray(page.image).save(SAMPLES / "document.jpg", quality=88)
    truth = [
        {"box": [round(float(v), 1) for v in box], "class": CLASS_NAMES[label]}
        for box, label in zip(page.boxes, page.labels, strict=True)
    ]
    (SAMPLES / "document_boxes.json").write_text(json.dumps(truth, indent=2))


if __name__ == "__main__":
    main()
