"""Packs what `recipes.train_extractor` reads into one file, to train where the data is not.

    python scripts/pack_extractor_inputs.py --config recipes/configs/extractor_online.yaml \\
        --levels 16 --out /tmp/extractor_online.npz
    # elsewhere, with the code but without the data folder:
    python -m recipes.train_extractor --config recipes/configs/extractor_online.yaml \\
        --pack /tmp/extractor_online.npz

Every collection the configs name is stored with its records; images are stored
for the collections a run embeds (`data.datasets`, `data.train_only` with
`data.renderings` renderings, `data.test_only`), not for `data.report_only`
(evaluate those where the data is). The file holds research-licensed data:
keep it out of the repository.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from recipes.common import load_collection, read_config  # noqa: E402
from signver_keras.data.paths import CACHE_DIR  # noqa: E402
from signver_keras.data.training.extractor_inputs import save_input_pack  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", required=True, help="recipe config(s)")
    parser.add_argument("--out", required=True, help="the .npz file to write")
    parser.add_argument(
        "--levels", type=int, default=256, help="grey levels kept (16: about half the size)"
    )
    args = parser.parse_args()

    collections, renderings, target_size = {}, {}, None
    for path in args.config:
        config = read_config(path, {})
        data = config["data"]
        size = tuple(config["model"]["target_size"])
        if target_size not in (None, size):
            raise SystemExit(f"{path}: target_size {size} differs from {target_size}.")
        target_size = size
        for name in data.get("train_only", []):
            renderings[name] = data.get("renderings", 1)
        for name in data["datasets"] + data.get("test_only", []):
            renderings.setdefault(name, 1)
        for name in data["datasets"] + data.get("train_only", []) + data.get("test_only", []):
            collections.setdefault(name, load_collection(name))
        for name in data.get("report_only", []):
            collections.setdefault(name, load_collection(name))
    save_input_pack(args.out, collections, renderings, target_size, args.levels, CACHE_DIR)
    mib = Path(args.out).stat().st_size / 2**20
    print(
        f"{args.out}: {len(collections)} collections ({len(renderings)} with images), {mib:.1f} MiB"
    )


if __name__ == "__main__":
    main()
