"""Datasets (in progress)."""
