"""Declared pipeline presets; a pipeline ships when its folder (with pipeline.json) exists."""

pipeline_presets = {
    "signver_base": {
        "description": (
            "signver_detector_base -> signver_cleaner_base -> signver_extractor_base, "
            "with the extractor's calibrated threshold."
        ),
    },
}
