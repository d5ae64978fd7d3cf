"""The model families of signver-keras, in one table.

A family is a kind of model (detector, cleaner, extractor) or the pipeline
that composes them. Everything else that lists families reads this table:
preset discovery (`signver_keras.presets`), the pipeline's stages, model
cards, the CLI, `habana/train.py` and the web app. Adding a family is its
code folder plus one `Family` entry here.

Importing this module imports no backend: classes and preset declarations are
named by dotted path and loaded on use.

Example:
```python
from signver_keras.families import FAMILIES, family
print(list(FAMILIES))                  # ['detector', 'cleaner', 'extractor', 'pipeline']
print(family("extractor").default_preset)  # 'signver_extractor_base'
```
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """One model family and everything the package says about it.

    Attributes:
        name: the family name used in presets, the CLI and model cards.
        task_class: public `signver_keras` class that loads its presets.
        backbone: the registered backbone name in its presets' `config.json`
            (None for the pipeline, which has no backbone).
        preset_prefix: how its preset folder names start.
        default_preset: the bundled preset the CLI and web app load by default.
        declared_presets: `module:attribute` of the dict declaring its presets.
        evaluate_task: the `signver-keras evaluate` task measuring it, or None.
        stage: whether it is a stage of `SignatureVerifier` (in pipeline order).
        card_task: Hugging Face `pipeline_tag` of its model cards.
        card_summary: one line saying what it does, for its model cards.
        card_limitations: the Limitations section of its model cards.
        recipe: training recipe module (`recipes.train_<name>`), or None.
        tiny_config: the recipe's smallest config (relative to the repository), for dry runs.
        fine_tune: the fine-tuning command of its model cards (`{name}`: the preset).
    """

    name: str
    task_class: str
    backbone: str | None
    preset_prefix: str
    default_preset: str
    declared_presets: str
    evaluate_task: str | None = None
    stage: bool = False
    card_task: str = "other"
    card_summary: str = ""
    card_limitations: str = ""
    recipe: str | None = None
    tiny_config: str | None = None
    fine_tune: str = ""

    def load_task_class(self) -> type:
        """The task class (imports the backend)."""
        import signver_keras

        return getattr(signver_keras, self.task_class)

    def load_declared_presets(self) -> dict[str, dict[str, str]]:
        """Its declared presets, name -> {"description": ...} (imports no backend)."""
        module, attribute = self.declared_presets.split(":")
        return getattr(importlib.import_module(module), attribute)


_FAMILIES = (
    Family(
        name="detector",
        task_class="SignatureDetector",
        backbone="signver_keras>SignatureDetectorBackbone",
        preset_prefix="signver_detector_",
        default_preset="signver_detector_base",
        declared_presets="signver_keras.models.detector.signature_detector_presets:backbone_presets",
        evaluate_task="detection",
        stage=True,
        card_task="object-detection",
        card_summary="Finds signatures, initials, redactions and dates on pages.",
        card_limitations=(
            "Real training pages carry only signature boxes (Tobacco-800 business letters); "
            "initials, redactions and dates are learned from synthetic pages. Handwritten notes, "
            "photographed pages at steep angles and non-Latin forms are not covered by real data."
        ),
        recipe="recipes.train_detector",
        tiny_config="recipes/configs/detector_tiny.yaml",
        fine_tune="python -m recipes.train_detector --from-preset {name} --data yolo:my_pages "
        "--output my_detector",
    ),
    Family(
        name="cleaner",
        task_class="SignatureCleaner",
        backbone="signver_keras>SignatureCleanerBackbone",
        preset_prefix="signver_cleaner_",
        default_preset="signver_cleaner_base",
        declared_presets="signver_keras.models.cleaner.signature_cleaner_presets:backbone_presets",
        evaluate_task="cleaning",
        stage=True,
        card_task="image-to-image",
        card_summary="Removes lines, printed text, stamps and noise from crops.",
        card_limitations=(
            "Trained on synthetic clutter (lines, printed text, stamps, noise) laid over real "
            "signature ink; real scans with other artefacts (colour highlights, heavy "
            "bleed-through) may be cleaned less well. It can remove strokes that look like "
            "ruled lines."
        ),
        recipe="recipes.train_cleaner",
        tiny_config="recipes/configs/cleaner_tiny.yaml",
        fine_tune="python -m recipes.train_cleaner --from-preset {name} --data csv:my.csv "
        "--output my_cleaner",
    ),
    Family(
        name="extractor",
        task_class="SignatureExtractor",
        backbone="signver_keras>SignatureExtractorBackbone",
        preset_prefix="signver_extractor_",
        default_preset="signver_extractor_base",
        declared_presets=(
            "signver_keras.models.extractor.signature_extractor_presets:backbone_presets"
        ),
        evaluate_task="verification",
        stage=True,
        card_task="image-feature-extraction",
        card_summary=(
            "Maps a signature crop to an L2-normalized embedding for writer-independent "
            "verification."
        ),
        card_limitations=(
            "Trained on a few hundred real writers (Latin, Chinese and Japanese scripts; "
            "Bengali/Hindi only evaluated), two thirds of them captured on tablets and rendered "
            "as scans: collections rendered the same way score better than real scans. "
            "Skilled-forgery error is far higher than random-forgery error, and the stored "
            "threshold's FAR and FRR drift from a collection's EER, so re-calibrate on your own "
            "writers before relying on the accept/reject decision. Not evaluated on CEDAR or "
            "GPDS scans."
        ),
        recipe="recipes.train_extractor",
        tiny_config="recipes/configs/extractor_tiny.yaml",
        fine_tune="python -m recipes.train_extractor --from-preset {name} --data csv:my.csv "
        "--output my_extractor",
    ),
    Family(
        name="pipeline",
        task_class="SignatureVerifier",
        backbone=None,
        preset_prefix="signver_",
        default_preset="signver_base",
        declared_presets="signver_keras.pipeline.signature_verifier_presets:pipeline_presets",
    ),
)

#: Every family by name, in pipeline order (the pipeline last).
FAMILIES: dict[str, Family] = {entry.name: entry for entry in _FAMILIES}
#: The stages a `SignatureVerifier` composes, in the order a page goes through them.
STAGES: tuple[str, ...] = tuple(entry.name for entry in _FAMILIES if entry.stage)
#: Families with a training recipe.
TRAINABLE: tuple[str, ...] = tuple(entry.name for entry in _FAMILIES if entry.recipe)
#: `signver-keras evaluate` tasks, in family order.
EVALUATE_TASKS: tuple[str, ...] = tuple(
    entry.evaluate_task for entry in _FAMILIES if entry.evaluate_task
)


def family(name: str) -> Family:
    """The family called `name`; `ValueError` naming the known ones otherwise."""
    if name not in FAMILIES:
        raise ValueError(f"Unknown family '{name}'. Expected one of {tuple(FAMILIES)}.")
    return FAMILIES[name]


def family_of_backbone(registered_name: str | None) -> str | None:
    """The family whose presets have this registered backbone name, or None."""
    for entry in _FAMILIES:
        if entry.backbone is not None and entry.backbone == registered_name:
            return entry.name
    return None
