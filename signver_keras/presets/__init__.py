"""Bundled presets: discovery, name resolution and `list_presets`.

Each family (`signver_keras.families`) declares its presets in `<family>_presets.py`
(name and description).
A preset is *bundled* when its folder exists here (written by the family's
training recipe with `save_to_preset`); everything else about it (parameter
count, calibration, metrics) is read from that folder, so `list_presets`, the
README table and the model cards share one source of truth.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from signver_keras import families
from signver_keras.errors import PresetNotFoundError

BUNDLED_DIR = Path(__file__).resolve().parent
FAMILIES = tuple(families.FAMILIES)
HUB_SCHEMES = ("hf://", "kaggle://", "gs://", "modelscope://")

# name -> {"family": ..., "description": ...} for every declared preset.
_DECLARED: dict[str, dict[str, str]] = {}


def bundled_path(name: str) -> Path | None:
    """Folder of a bundled preset, or None if the preset is not shipped."""
    folder = BUNDLED_DIR / name
    return folder if folder.is_dir() else None


def declare(family: str, presets: dict[str, dict[str, str]]) -> None:
    """Declares a family's presets (name -> {"description": ...})."""
    for name, info in presets.items():
        _DECLARED[name] = {"family": family, **info}


def declared_description(name: str) -> str:
    """The description a family declared for a preset name ('' if undeclared)."""
    return _DECLARED.get(name, {}).get("description", "")


def _read_json(folder: Path, filename: str) -> dict[str, Any]:
    path = folder / filename
    return json.loads(path.read_text()) if path.exists() else {}


def available(family: str | None = None) -> list[str]:
    """Names of the bundled (shipped) presets of a family, or of all families."""
    return sorted(
        name
        for name, info in _DECLARED.items()
        if bundled_path(name) and (family is None or info["family"] == family)
    )


def resolve(preset: str | os.PathLike, family: str) -> str:
    """Turns a preset argument into a handle KerasHub can load.

    Accepts a bundled name, a local folder, or a hub handle (`hf://org/name`,
    `hf://org/name@revision`, `kaggle://...`). Raises `PresetNotFoundError`
    naming the available presets for anything else.
    """
    preset = os.fspath(preset)
    if preset.startswith(HUB_SCHEMES):
        return preset
    folder = bundled_path(preset) if preset in _DECLARED else None
    if folder is not None:
        check_family(preset, _DECLARED[preset]["family"], family)
        return str(folder)
    if os.path.isdir(preset):
        if not os.path.exists(os.path.join(preset, "config.json")) and family != "pipeline":
            raise PresetNotFoundError(
                f"Folder '{preset}' is not a {family} preset: it has no config.json. "
                "Create one with `save_to_preset(folder)`."
            )
        return preset
    names = ", ".join(available(family)) or "none shipped yet"
    declared = _DECLARED.get(preset)
    if declared is not None:
        reason = f"'{preset}' is a {declared['family']} preset that is not shipped in this install."
    else:
        reason = f"Unknown {family} preset '{preset}'."
    raise PresetNotFoundError(
        f"{reason} Available {family} presets: {names}. You can also pass a local folder "
        "written by `save_to_preset`, or a Hub handle such as 'hf://org/name'."
    )


def check_family(preset: str | os.PathLike, found: str, family: str) -> None:
    """Raises `PresetNotFoundError` when a preset of family `found` is loaded as `family`."""
    if found != family:
        names = ", ".join(available(family)) or "none shipped yet"
        raise PresetNotFoundError(
            f"'{os.fspath(preset)}' is a {found} preset, not a {family} preset. Available "
            f"{family} presets: {names}."
        )


def preset_info(name: str) -> dict[str, Any]:
    """Everything known about one bundled preset, read from its folder."""
    folder = bundled_path(name)
    if folder is None or name not in _DECLARED:
        raise PresetNotFoundError(f"'{name}' is not a bundled preset. Bundled: {available()}.")
    declared = _DECLARED[name]
    metadata = _read_json(folder, "metadata.json")
    task_config = _read_json(folder, "task.json").get("config", {})
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    return {
        "name": name,
        "family": declared["family"],
        "description": declared["description"],
        "parameter_count": metadata.get("parameter_count"),
        "size_mb": round(size / 2**20, 2),
        "calibration": task_config.get("calibration"),
        "metrics": _read_json(folder, "metrics.json") or None,
        "path": str(folder),
    }


def list_presets(family: str | None = None) -> list[dict[str, Any]]:
    """Lists bundled presets with their description, size, metrics and calibration.

    Args:
        family: one of "detector", "cleaner", "extractor", "pipeline", or None for all.

    Example:
    ```python
    import signver_keras as sv
    for preset in sv.list_presets("extractor"):
        print(preset["name"], preset["metrics"])
    ```
    """
    if family is not None and family not in FAMILIES:
        raise ValueError(f"Unknown family '{family}'. Expected one of {FAMILIES} or None.")
    return [preset_info(name) for name in available(family)]


def _declare_families() -> None:
    # Plain dicts beside each family's code; importing them loads no backend.
    for entry in families.FAMILIES.values():
        declare(entry.name, entry.load_declared_presets())


_declare_families()
