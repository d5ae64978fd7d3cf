"""Declared cleaner presets; a preset ships when its folder exists in `signver_keras/presets`."""

backbone_presets = {
    "signver_cleaner_base": {
        "description": (
            "U-Net (16-32-64-96 filters), grayscale crops up to 512 px, per-pixel ink "
            "probability; removes background, printed lines and stamps."
        ),
    },
}
