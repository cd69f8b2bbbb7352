"""Declarative pipeline stages and batch execution (see the pipelines issue)."""
