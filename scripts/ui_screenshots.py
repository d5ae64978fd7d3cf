"""Screenshots of the four tabs of `signver-keras ui` for docs/images/ui_<tab>.png.

Synthetic inputs only: the bundled sample page and signatures, and a small
synthetic verification set drawn here. Without `--preset`, the app runs a tiny
random pipeline (tests/ui/tiny_pipeline.py): its boxes and scores are
meaningless; rerun with `--preset signver_base` once that preset ships.

    python scripts/ui_screenshots.py [--preset signver_base] [--out docs/images]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from signver_keras import samples  # noqa: E402
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, start_app, stop_app  # noqa: E402
from tests.ui.tiny_pipeline import build_tiny_pipeline  # noqa: E402


def synthetic_dataset(folder: Path, writers: int = 4, genuine: int = 7, forged: int = 3) -> Path:
    """csv:FILE of random-stroke 'writers': genuine = small jitter, forgery = large jitter."""
    rows = []
    for writer in range(writers):
        base = np.random.default_rng(writer).uniform([10, 10], [230, 70], size=(3, 6, 2))
        for kind, count, jitter in (("genuine", genuine, 2.0), ("forged", forged, 9.0)):
            for i in range(count):
                rng = np.random.default_rng(1000 * writer + 100 * (kind == "forged") + i)
                image = Image.new("L", (240, 80), 255)
                draw = ImageDraw.Draw(image)
                for stroke in base + rng.normal(0, jitter, base.shape):
                    draw.line([tuple(p) for p in stroke], fill=20, width=2)
                path = folder / f"w{writer}_{kind}_{i}.png"
                image.save(path)
                rows.append({"path": path.name, "writer_id": f"w{writer}", "label": kind})
    manifest = folder / "synthetic.csv"
    with open(manifest, "w", newline="") as file:
        writer_csv = csv.DictWriter(file, ["path", "writer_id", "label"])
        writer_csv.writeheader()
        writer_csv.writerows(rows)
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", help="pipeline preset (default: a tiny random one)")
    parser.add_argument("--eval-preset", help="extractor preset for the Evaluate tab")
    parser.add_argument("--out", default="docs/images")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="signver-shots-"))
    preset = Path(args.preset) if args.preset else build_tiny_pipeline(root / "pipeline")
    eval_preset = args.eval_preset or str(preset / "extractor")
    data = root / "data"
    data.mkdir()
    manifest = synthetic_dataset(data)
    (root / "tmp").mkdir()
    process, url, log = start_app(preset, root / "people.db", root / "tmp")
    out = Path(args.out)
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(
                str(root / "profile"),
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1400, "height": 1000},
            )
            page = context.new_page()
            page.set_default_timeout(120_000)
            page.goto(url)

            def upload(elem_id, files):
                files = files if isinstance(files, list) else [files]
                page.locator(f"#{elem_id} input[type=file]").set_input_files(
                    [str(f) for f in files]
                )

            # Gallery first, so the Documents tab can say who signed.
            page.get_by_role("tab", name="Gallery").click()
            for person, files in (("alice", samples.REFERENCES), ("bob", [samples.QUERY_FORGERY])):
                page.locator("#enroll-id").get_by_role("textbox").fill(person)
                upload("enroll-files", list(files))
                page.locator("#enroll-btn").click()
                page.locator("#gallery-status").get_by_text(f"for '{person}'").wait_for()
            upload("identify-in", samples.QUERY_GENUINE)
            page.locator("#identify-btn").click()
            page.locator("#identify-summary").get_by_text("Best match").wait_for()
            page.wait_for_timeout(1000)
            page.screenshot(path=out / "ui_gallery.png", full_page=True)

            page.get_by_role("tab", name="Documents").click()
            upload("pages-in", samples.DOCUMENT)
            page.locator("#tags").get_by_text("signatures:").wait_for()
            page.get_by_label("Expected signers (person ids, comma separated)").fill("alice, bob")
            page.get_by_role("button", name="Who signed? / all expected signed?").click()
            page.locator("#signer-report").get_by_text("expected parties").wait_for()
            page.wait_for_timeout(1000)
            page.screenshot(path=out / "ui_documents.png", full_page=True)

            page.get_by_role("tab", name="Verify").click()
            upload("query-in", samples.QUERY_GENUINE)
            upload("refs-in", list(samples.REFERENCES))
            page.locator("#verify-btn").click()
            page.locator("#verdict").get_by_text("threshold").wait_for()
            page.wait_for_timeout(1000)
            page.screenshot(path=out / "ui_verify.png", full_page=True)

            page.get_by_role("tab", name="Evaluate").click()
            page.get_by_label("Preset (name, folder or hf://)").fill(eval_preset)
            page.get_by_label("Datasets, one LAYOUT:PATH per line").fill(f"csv:{manifest}")
            page.get_by_role("button", name="Evaluate", exact=True).click()
            page.get_by_text("EER skilled").first.wait_for()
            page.wait_for_timeout(1500)
            page.screenshot(path=out / "ui_evaluate.png", full_page=True)
            context.close()
    finally:
        stop_app(process, log)
    print("wrote", *(out / f"ui_{t}.png" for t in ("documents", "verify", "gallery", "evaluate")))


if __name__ == "__main__":
    main()
