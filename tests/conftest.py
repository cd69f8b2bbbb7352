"""Shared test set-up: every test gets its own stage cache, never the user's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Point ``TDA_PIPE_CACHE_DIR`` at a fresh folder for each test."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("TDA_PIPE_CACHE_DIR", str(folder))
    return folder
