"""Declared detector presets; a preset ships when its folder exists in `signver_keras/presets`."""

backbone_presets = {
    "signver_detector_base": {
        "description": (
            "CenterNet-style detector, 512x512 letterboxed grayscale page, stride-4 output; "
            "classes signature, initials, redaction, date."
        ),
    },
}
