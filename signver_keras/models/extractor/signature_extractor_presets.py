"""Declared extractor presets; a preset ships when its folder exists in `signver_keras/presets`."""

backbone_presets = {
    "signver_extractor_base": {
        "description": (
            "Residual CNN (48-96-192-384 filters), 96x192 grayscale input, 128-d embedding; "
            "trained by recipes/train_extractor.py on writer-disjoint scanned signatures and 205 "
            "online writers rendered as scans, chosen on collections it never trained on."
        ),
    },
}
