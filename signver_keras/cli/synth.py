"""`signver-keras synth documents|pairs|writers`: write synthetic training data to a folder.

- `documents`: scanned-looking pages with signature, initials, redaction and date
  boxes (`synthetic_documents.generate_pages`): `images/`, `labels/` (YOLO),
  `data.yaml` and `annotations.coco.json`.
- `pairs`: (noisy, clean) cleaner training pairs made from synthetic writers'
  genuine signatures (`cleaning_pairs.make_pair`): `noisy/pair_NNNNN.png` and
  `clean/pair_NNNNN.png`.
- `writers`: N synthetic writers, each with genuine signatures and skilled
  forgeries (`synthetic_writers.SyntheticWriter`), as `wNNNNN/genuine_NN.png`,
  `wNNNNN/forgery_NN.png` and a `MANIFEST.csv` that `load_verification_data`
  reads with the `manifest:` layout.

Everything is deterministic from `--seed`; item `i` depends only on (seed, i).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from signver_keras.utils.atomic import atomic_path

if TYPE_CHECKING:
    import numpy as np

KINDS = ("documents", "pairs", "writers")


def _item_seed(seed: int, index: int, stream: int = 0) -> int:
    import numpy as np  # here, not at the top: `signver-keras --help` should not load numpy

    return int(np.random.SeedSequence([seed, stream, index]).generate_state(1)[0])


def _save_png(image: np.ndarray, path: Path) -> None:
    from PIL import Image

    with atomic_path(path) as partial:
        Image.fromarray(image).save(partial)


def _bar(total: int, desc: str, unit: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=total < 2, file=sys.stderr)


def write_documents(n: int, out: str | os.PathLike, seed: int = 0) -> dict:
    """`n` synthetic pages as YOLO + COCO under `out` (see `generate_pages`)."""
    from signver_keras.data.synthetic.synthetic_documents import generate_pages

    with _bar(n, "documents", "page") as bar:
        records = generate_pages(n, seed, out, on_page=lambda _: bar.update())
    return {
        "kind": "documents",
        "out": str(out),
        "images": len(records),
        "boxes": int(sum(len(r) for r in records)),
        "files": ["images/", "labels/", "data.yaml", "annotations.coco.json"],
    }


def write_pairs(n: int, out: str | os.PathLike, seed: int = 0) -> dict:
    """`n` (noisy, clean) PNG pairs under `out/noisy/` and `out/clean/`."""
    from signver_keras.data.synthetic.cleaning_pairs import make_pair
    from signver_keras.data.synthetic.synthetic_writers import SyntheticWriter

    out = Path(out)
    for folder in ("noisy", "clean"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    with _bar(n, "pairs", "pair") as bar:
        for index in range(n):
            writer = SyntheticWriter(seed=_item_seed(seed, index, 1))
            noisy, clean = make_pair(writer.genuine(0), seed=_item_seed(seed, index, 2))
            _save_png(noisy, out / "noisy" / f"pair_{index:05d}.png")
            _save_png(clean, out / "clean" / f"pair_{index:05d}.png")
            bar.update()
    return {"kind": "pairs", "out": str(out), "images": 2 * n, "files": ["noisy/", "clean/"]}


def write_writers(
    n: int, out: str | os.PathLike, seed: int = 0, genuine: int = 4, forgeries: int = 4
) -> dict:
    """`n` writers x (`genuine` signatures, `forgeries` skilled forgeries) + `MANIFEST.csv`."""
    from signver_keras.data.synthetic.synthetic_writers import SyntheticWriter

    if genuine < 1 or forgeries < 0:
        raise ValueError(
            f"--genuine should be >= 1 and --forgeries >= 0; got {genuine} and {forgeries}."
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with _bar(n, "writers", "writer") as bar:
        for index in range(n):
            writer = SyntheticWriter(seed=_item_seed(seed, index))
            folder = f"w{index:05d}"
            (out / folder).mkdir(exist_ok=True)
            writer_id = f"synth{seed}_{index:05d}"
            samples = [("genuine", i, writer.genuine(i)) for i in range(genuine)]
            samples += [
                ("forgery", i, writer.skilled_forgery(i, forger=i)) for i in range(forgeries)
            ]
            for label, i, image in samples:
                path = f"{folder}/{label}_{i:02d}.png"
                _save_png(image, out / path)
                rows.append(
                    {"path": path, "writer_id": writer_id, "label": label, "subset": "synthetic"}
                )
            bar.update()
    manifest = out / "MANIFEST.csv"
    with atomic_path(manifest) as partial, open(partial, "w", newline="", encoding="utf-8") as file:
        table = csv.DictWriter(file, ["path", "writer_id", "label", "forger_id", "subset"])
        table.writeheader()
        table.writerows(rows)
    return {
        "kind": "writers",
        "out": str(out),
        "writers": n,
        "images": len(rows),
        "manifest": str(manifest),
    }


def cmd_synth(args: argparse.Namespace) -> None:
    from signver_keras.cli.output import emit

    if args.n < 1:
        raise ValueError(f"--n should be at least 1; got {args.n}.")
    if args.kind == "documents":
        payload = write_documents(args.n, args.out, args.seed)
    elif args.kind == "pairs":
        payload = write_pairs(args.n, args.out, args.seed)
    else:
        payload = write_writers(args.n, args.out, args.seed, args.genuine, args.forgeries)
    emit(args, payload, lambda: f"Wrote {payload['images']} images ({args.kind}) to {args.out}.")


def add_synth_parser(commands) -> None:
    """Adds the `synth` sub-command to the CLI's sub-parsers."""
    synth = commands.add_parser("synth", help="write synthetic documents, cleaning pairs, writers")
    synth.add_argument("kind", choices=KINDS)
    synth.add_argument("--n", type=int, required=True, help="pages, pairs or writers to write")
    synth.add_argument("--out", required=True, help="output folder (created if missing)")
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument("--genuine", type=int, default=4, help="writers: genuine per writer")
    synth.add_argument("--forgeries", type=int, default=4, help="writers: forgeries per writer")
    synth.set_defaults(run=cmd_synth)
