"""Loaders of real signature collections and detection datasets, and their file formats."""
