"""Bundled synthetic samples (made by scripts/make_samples.py; no real data)."""

from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parent
DOCUMENT = SAMPLES_DIR / "document.jpg"
REFERENCES = [SAMPLES_DIR / f"reference_{i}.png" for i in (1, 2, 3)]
QUERY_GENUINE = SAMPLES_DIR / "query_genuine.png"
QUERY_FORGERY = SAMPLES_DIR / "query_forgery.png"
QUERY_OTHER_WRITER = SAMPLES_DIR / "query_other_writer.png"
