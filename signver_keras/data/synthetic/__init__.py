"""Synthetic data generators: documents, handwriting, writers, renderings and degradations."""
