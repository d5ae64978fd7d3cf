"""Regenerates generated docs from the bundled presets: README tables and model cards.

python scripts/update_readme.py          # rewrite README.md and each preset's README.md
python scripts/update_readme.py --check  # exit 1 if any of them is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import signver_keras as sv
from signver_keras.model_card import render_model_card

README = Path(__file__).resolve().parents[1] / "README.md"
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


def generated_files() -> dict[Path, str]:
    """Every generated document with the content it should have."""
    files = {README: render(README.read_text())}
    for row in sv.list_presets():
        if row["family"] != "pipeline":
            card = render_model_card(row["path"], row["name"], row["family"], row["description"])
            files[Path(row["path"]) / "README.md"] = card
    return files


def main() -> int:
    stale = [path for path, text in generated_files().items() if path.read_text() != text]
    if "--check" in sys.argv:
        for path in stale:
            print(f"{path} is out of date: run python scripts/update_readme.py")
        return 1 if stale else 0
    for path, text in generated_files().items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
