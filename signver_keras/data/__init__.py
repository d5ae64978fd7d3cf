"""Datasets: loaders for real collections and generators for synthetic data."""
