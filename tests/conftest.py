"""Shared test set-up: every test gets its own stage cache, never the user's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Point ``TDA_PIPE_CACHE_DIR`` at a fresh folder for each test."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("TDA_PIPE_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def one_torch_thread():
    """Tiny models train several times faster without intra-op threads on a busy machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
