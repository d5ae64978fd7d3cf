"""Evaluation protocols and metrics behind `signver-keras evaluate`."""
