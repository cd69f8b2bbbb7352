"""What several test files share: whether giotto-ph (an optional extra) is there to compare
against, and gudhi's flag complex of a filtration matrix, built without tda-pipe's code."""

from __future__ import annotations

import importlib.util

import gudhi
import numpy as np
import pytest

GIOTTO_INSTALLED = importlib.util.find_spec("gph") is not None
requires_giotto = pytest.mark.skipif(
    not GIOTTO_INSTALLED, reason="giotto-ph (an optional extra) is not installed"
)
#: giotto-ph as a ``backend`` parameter, skipped where it is not installed
GIOTTO = pytest.param("giotto-ph", marks=requires_giotto)


def gudhi_matrix(M: np.ndarray, max_dim: int) -> list[np.ndarray]:
    """gudhi's flag complex of a filtration matrix (vertex values on the diagonal): its
    intervals in dimensions ``0..max_dim``."""
    st = gudhi.SimplexTree.create_from_array(M)
    st.expansion(max_dim + 1)
    st.compute_persistence()
    return [st.persistence_intervals_in_dimension(p) for p in range(max_dim + 1)]
