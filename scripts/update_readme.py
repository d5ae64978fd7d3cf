"""Regenerates generated docs from the bundled presets: README tables and model cards.

python scripts/update_readme.py          # rewrite README.md, each preset's README.md card and
                                         # its copy in model_cards/ (one folder to browse them all)
python scripts/update_readme.py --check  # exit 1 if any of them is out of date
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import signver_keras as sv
from signver_keras.model_card import render_model_card
from signver_keras.pipeline.signature_verifier import PIPELINE_FILE, pipeline_card

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
MODEL_CARDS = REPO_ROOT / "model_cards"
START, END = "<!-- presets:start -->", "<!-- presets:end -->"


def presets_section() -> str:
    rows = sv.list_presets()
    if not rows:
        return "No presets are bundled yet: the training recipes have not produced any."
    lines = [
        "| preset | family | parameters | size (MB) | description |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        params = f"{row['parameter_count']:,}" if row["parameter_count"] else "-"
        lines.append(
            f"| `{row['name']}` | {row['family']} | {params} | {row['size_mb']} | "
            f"{row['description']} |"
        )
    for row in rows:
        metrics = row["metrics"]
        if metrics and metrics.get("table"):
            lines += [
                "",
                f"**{row['name']}**, measured by `{metrics['command']}`:",
                "",
                metrics["table"],
            ]
    return "\n".join(lines)


def render(text: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    return pattern.sub(f"{START}\n{presets_section()}\n{END}", text)


def model_card(row: dict) -> str:
    if row["family"] == "pipeline":
        return pipeline_card(
            row["name"], json.loads((Path(row["path"]) / PIPELINE_FILE).read_text())
        )
    return render_model_card(row["path"], row["name"], row["family"], row["description"])


def cards_index(rows: list[dict]) -> str:
    lines = [
        "# Model cards",
        "",
        "One card per bundled preset, generated from its measured metrics by",
        "`python scripts/update_readme.py` (the same text is the preset folder's README.md, which",
        "`push_to_hub` uploads). Each card compares the measurements with the project's targets.",
        "",
        "| preset | family | description |",
        "|---|---|---|",
    ]
    lines += [
        f"| [{row['name']}]({row['name']}.md) | {row['family']} | {row['description']} |"
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def generated_files() -> dict[Path, str]:
    """Every generated document with the content it should have."""
    rows = sv.list_presets()
    files = {README: render(README.read_text()), MODEL_CARDS / "README.md": cards_index(rows)}
    for row in rows:
        card = model_card(row)
        files[Path(row["path"]) / "README.md"] = card
        files[MODEL_CARDS / f"{row['name']}.md"] = card
    return files


def main() -> int:
    stale = [
        path
        for path, text in generated_files().items()
        if not path.exists() or path.read_text() != text
    ]
    if "--check" in sys.argv:
        for path in stale:
            print(f"{path} is out of date: run python scripts/update_readme.py")
        return 1 if stale else 0
    MODEL_CARDS.mkdir(exist_ok=True)
    for path, text in generated_files().items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
