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


def _split(dgm, tol: float):
    import numpy as np

    dgm = np.asarray(dgm, dtype=np.float64).reshape(-1, 2)
    finite = dgm[np.isfinite(dgm[:, 1])]
    finite = finite[finite[:, 1] - finite[:, 0] > tol]  # zero-length bars carry nothing
    return finite[np.lexsort((finite[:, 1], finite[:, 0]))], np.sort(dgm[np.isinf(dgm[:, 1]), 0])


@pytest.fixture
def same_diagrams():
    """``same_diagrams(ours, reference, tol)``: equal diagrams, checked dimension by dimension
    without the project's own distance: the same dimensions, the same number of essential
    classes with the same births, the same number of bars longer than ``tol``, and rows equal
    to ``tol`` once sorted (or, where float rounding reorders near-ties, gudhi's bottleneck
    distance of that dimension within ``tol``)."""
    import gudhi
    import numpy as np

    def check(ours, reference, tol: float) -> None:
        ours, reference = list(ours), list(reference)
        assert len(ours) == len(reference), (
            f"dimensions H0..H{len(ours) - 1} vs H{len(reference) - 1}"
        )
        for p, (mine, theirs) in enumerate(zip(ours, reference)):
            (fa, ea), (fb, eb) = _split(mine, tol), _split(theirs, tol)
            assert len(ea) == len(eb), f"H{p}: {len(ea)} essential classes, reference {len(eb)}"
            np.testing.assert_allclose(ea, eb, atol=tol, err_msg=f"H{p} essential births")
            assert len(fa) == len(fb), f"H{p}: {len(fa)} finite bars, reference {len(fb)}"
            if not np.allclose(fa, fb, atol=tol, rtol=0):
                assert gudhi.bottleneck_distance(fa, fb) <= tol, f"H{p} bars differ"

    return check


@pytest.fixture
def projective_plane():
    """``projective_plane(n)``: the Veronese image in R^4 of ``n`` points on the sphere (seed 0),
    a sample of RP^2, whose H1 differs over Z/2 (one class) and Z/3 (none)."""
    import numpy as np

    def sample(n: int) -> np.ndarray:
        v = np.random.default_rng(0).normal(size=(n, 3))
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        x, y, z = v.T
        return np.column_stack([x * y, x * z, y * z, x * x - y * y])

    return sample
