"""Regenerates the generated parts of README.md (presets table, metrics) from the presets.

    python scripts/update_readme.py          # rewrite README.md
    python scripts/update_readme.py --check  # exit 1 if README.md is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import signver_keras as sv

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
            lines += ["", f"**{row['name']}**, measured by `{metrics['command']}`:", "",
                      metrics["table"]]
    return "\n".join(lines)


def render(text: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    return pattern.sub(f"{START}\n{presets_section()}\n{END}", text)


def main() -> int:
    text = README.read_text()
    updated = render(text)
    if "--check" in sys.argv:
        if updated != text:
            print("README.md is out of date: run python scripts/update_readme.py")
            return 1
        return 0
    README.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
