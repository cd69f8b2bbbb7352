"""Prim's algorithm of tda/mst.py against scipy's minimum spanning tree."""

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial.distance import cdist

from tda_pipe.tda.mst import dense_mst_edges, prim


def _is_spanning_tree(edges: np.ndarray, n: int) -> bool:
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    return len(edges) == n - 1 and connected_components(graph, directed=False)[0] == 1


@pytest.mark.parametrize(("n", "dim"), [(2, 1), (3, 2), (50, 1), (256, 2), (200, 101)])
def test_dense_mst_edges_is_a_minimum_spanning_tree(n, dim):
    X = np.random.default_rng(n + dim).standard_normal((n, dim))
    D = cdist(X, X)
    edges = dense_mst_edges(D)
    assert _is_spanning_tree(edges, n)
    assert D[edges[:, 0], edges[:, 1]].sum() == pytest.approx(minimum_spanning_tree(D).sum())
    # any increasing transform of the distances gives the same tree
    assert {tuple(e) for e in np.sort(dense_mst_edges(D**2), axis=1)} == {
        tuple(e) for e in np.sort(edges, axis=1)
    }


def test_dense_mst_edges_with_ties_on_a_grid():
    grid = np.array([(i, j) for i in range(12) for j in range(9)], dtype=float)
    D = cdist(grid, grid)
    edges = dense_mst_edges(D)
    assert _is_spanning_tree(edges, len(grid))
    assert D[edges[:, 0], edges[:, 1]].sum() == pytest.approx(len(grid) - 1)


def test_prim_values_and_disconnected_components():
    D = np.full((5, 5), np.inf)
    np.fill_diagonal(D, 0.0)
    for i, j, v in [(0, 1, 1.0), (1, 2, 3.0), (0, 2, 2.0), (3, 4, 5.0)]:
        D[i, j] = D[j, i] = v
    edges, values = prim(D.__getitem__, 5)
    assert np.array_equal(values, [1.0, 2.0, np.inf, 5.0])
    assert np.array_equal(edges, [[0, 1], [0, 2], [-1, 3], [3, 4]])
