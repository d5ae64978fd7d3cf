"""Model cards (Hugging Face README.md with YAML front matter) generated from a preset folder.

Numbers in a card come only from the preset's `metrics.json`, which the
`evaluate` command writes; nothing here is typed by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

FAMILY_TASKS = {
    "detector": ("object-detection", "Finds signatures, initials, redactions and dates on pages."),
    "cleaner": ("image-to-image", "Removes lines, printed text, stamps and noise from crops."),
    "extractor": (
        "image-feature-extraction",
        "Maps a signature crop to an L2-normalized embedding for writer-independent verification.",
    ),
}

INTENDED_USE = (
    "Assisting people who check handwritten signatures (cheques, contracts, forms, archives). "
    "Scores are evidence for a human reviewer, **not a sole basis for legal or financial "
    "decisions**; accuracy varies with script, pen, scanner and the writer's consistency."
)


def _model_index(name: str, task: str, metrics: dict[str, Any]) -> list[dict[str, Any]]:
    results = []
    for dataset, values in metrics.get("results", {}).items():
        results.append(
            {
                "task": {"type": task},
                "dataset": {"name": dataset, "type": dataset},
                "metrics": [
                    {"type": key, "value": value, "name": key}
                    for key, value in values.items()
                    if isinstance(value, (int, float))
                ],
            }
        )
    return [{"name": name, "results": results}] if results else []


def _protocol_details(metrics: dict[str, Any]) -> str:
    """The protocol settings a report's table depends on, as a parenthetical."""
    if metrics.get("task") == "detection":
        return (
            f" (precision and recall at the preset's score threshold {metrics.get('threshold')}; "
            f"AP over IoU {metrics.get('iou_thresholds', '0.50:0.05:0.95')})"
        )
    if metrics.get("task") == "cleaning":
        details = (
            f"{metrics.get('pairs_per_dataset', '?')} held-out (noisy, clean) pairs per dataset"
        )
        if metrics.get("extractor"):
            details += (
                f"; verification with `{metrics['extractor']}`, "
                f"{metrics.get('references', '?')} references per writer"
            )
        return f" ({details})"
    return (
        f" ({metrics.get('references', '?')} references per writer, threshold "
        f"{metrics.get('threshold')})"
    )


def render_model_card(preset_dir: str | Path, name: str, family: str, description: str) -> str:
    """Renders README.md for a saved preset folder from the files inside it."""
    folder = Path(preset_dir)
    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    metadata_path = folder / "metadata.json"
    metadata = json.loads(metadata_path.read_text()) if metadata_path.exists() else {}
    task, summary = FAMILY_TASKS.get(family, ("other", ""))
    front = {
        "library_name": "keras-hub",
        "license": "apache-2.0",
        "pipeline_tag": task,
        "tags": ["keras", "signature-verification", "signver-keras", family],
    }
    index = _model_index(name, task, metrics)
    if index:
        front["model-index"] = index
    lines = [
        "---",
        yaml.safe_dump(front, sort_keys=False).strip(),
        "---",
        f"# {name}",
        "",
        f"{description} {summary}",
        "",
        f"Family: `{family}`. Parameters: {metadata.get('parameter_count', 'unknown')}.",
        "",
        "## Intended use",
        "",
        INTENDED_USE,
        "",
        "## How to load",
        "",
        "```python",
        "import signver_keras as sv",
        f'model = sv.Signature{family.capitalize()}.from_preset("{name}")',
        "```",
        "",
    ]
    if metrics:
        lines += [
            "## Evaluation",
            "",
            f"Produced by `{metrics.get('command', 'signver-keras evaluate')}`"
            + _protocol_details(metrics)
            + ".",
            "",
            metrics.get("table")
            or "```json\n" + json.dumps(metrics.get("results"), indent=2) + "\n```",
            "",
        ]
    else:
        lines += ["## Evaluation", "", "Not evaluated yet: no metrics.json in this preset.", ""]
    return "\n".join(lines)


def write_model_card(
    preset_dir: str | Path, name: str, family: str, description: str | None = None
) -> Path:
    """Writes README.md into a preset folder (description defaults to the declared one)."""
    from signver_keras import presets

    if description is None:
        description = presets.declared_description(name)
    path = Path(preset_dir) / "README.md"
    path.write_text(render_model_card(preset_dir, name, family, description))
    return path


def render_pipeline_card(name: str, stages: dict[str, str]) -> str:
    """README.md of a pipeline preset: which stage folders it holds and how to load it."""
    front = {
        "library_name": "keras-hub",
        "license": "apache-2.0",
        "tags": ["keras", "signature-verification", "signver-keras", "pipeline"],
    }
    rows = [f"- `{stage}/`: see its own README.md" for stage in stages]
    return "\n".join(
        [
            "---",
            yaml.safe_dump(front, sort_keys=False).strip(),
            "---",
            f"# {name}",
            "",
            "A signver-keras verification pipeline (detect -> clean -> embed -> verify).",
            "",
            *rows,
            "",
            "## Intended use",
            "",
            INTENDED_USE,
            "",
            "## How to load",
            "",
            "```python",
            "import signver_keras as sv",
            f'verifier = sv.SignatureVerifier.from_preset("{name}")',
            "```",
            "",
        ]
    )
