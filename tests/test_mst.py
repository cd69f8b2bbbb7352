"""Prim's algorithm of tda/mst.py against scipy's minimum spanning tree."""

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree
from scipy.spatial.distance import cdist

from tda_pipe.tda import mst
from tda_pipe.tda.mst import dense_mst_edges, dense_prim, prim, prim_order


def _numpy_prim(D: np.ndarray):
    """dense_prim's result from :func:`prim_order`, the numpy Prim of point clouds' H0."""
    parent = np.empty(len(D), dtype=np.int64)
    order, values = prim_order(D.__getitem__, len(D), parent)
    return order, values, parent


@pytest.fixture(params=["compiled", "numpy"])
def path(request, monkeypatch):
    """Run a test on dense_prim (numba's compiled loop) and on prim_order in its place."""
    if request.param == "numpy":
        monkeypatch.setattr(mst, "_compiled_prim", lambda: _numpy_prim)
    return request.param


def _is_spanning_tree(edges: np.ndarray, n: int) -> bool:
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    return len(edges) == n - 1 and connected_components(graph, directed=False)[0] == 1


@pytest.mark.parametrize(("n", "dim"), [(2, 1), (3, 2), (50, 1), (256, 2), (200, 101)])
def test_dense_mst_edges_is_a_minimum_spanning_tree(n, dim, path):
    X = np.random.default_rng(n + dim).standard_normal((n, dim))
    D = cdist(X, X)
    edges = dense_mst_edges(D)
    assert _is_spanning_tree(edges, n)
    assert D[edges[:, 0], edges[:, 1]].sum() == pytest.approx(minimum_spanning_tree(D).sum())
    # any increasing transform of the distances gives the same tree
    assert {tuple(e) for e in np.sort(dense_mst_edges(D**2), axis=1)} == {
        tuple(e) for e in np.sort(edges, axis=1)
    }


def test_dense_mst_edges_with_ties_on_a_grid(path):
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


def _scipy_values(D: np.ndarray) -> np.ndarray:
    """scipy's spanning tree weights of integer distances, sorted (the same multiset for every
    minimum spanning tree). scipy reads a dense 0 as no edge: the distances go up by 1 first."""
    return np.sort(minimum_spanning_tree(np.triu(D + 1, 1)).data) - 1


@pytest.mark.parametrize("levels", [2, 3, 7])
def test_dense_prim_equals_scipy_on_ties_and_duplicates(levels, path):
    """Integer distances from few levels: most edges tie, duplicates (distance 0) included."""
    rng = np.random.default_rng(levels)
    for n in (2, 5, 40, 256):
        D = rng.integers(0, levels, size=(n, n)).astype(float)
        D = np.triu(D, 1) + np.triu(D, 1).T
        order, values, parent = dense_prim(D)
        assert sorted(order.tolist()) == list(range(n)) and order[0] == 0
        edges = np.stack([parent[order[1:]], order[1:]], axis=1)
        assert _is_spanning_tree(edges, n)
        np.testing.assert_array_equal(D[edges[:, 0], edges[:, 1]], values[1:])
        np.testing.assert_array_equal(np.sort(values[1:]), _scipy_values(D))


def test_compiled_and_numpy_prim_give_the_same_tree():
    rng = np.random.default_rng(0)
    for D in (cdist(*[rng.standard_normal((300, 5))] * 2), rng.integers(0, 3, (300, 300)) * 1.0):
        D = np.minimum(D, D.T)
        for a, b in zip(dense_prim(D), _numpy_prim(D)):
            np.testing.assert_array_equal(a, b)


def test_dense_prim_of_a_disconnected_matrix(path):
    D = np.full((5, 5), np.inf)
    np.fill_diagonal(D, 0.0)
    for i, j, v in [(0, 1, 1.0), (1, 2, 3.0), (0, 2, 2.0), (3, 4, 5.0)]:
        D[i, j] = D[j, i] = v
    order, values, parent = dense_prim(D)
    assert order.tolist() == [0, 1, 2, 3, 4]
    assert values.tolist() == [0.0, 1.0, 2.0, np.inf, 5.0]
    assert parent[order].tolist() == [-1, 0, 0, -1, 3]


@pytest.mark.parametrize("metric", ["cityblock", "chebyshev", "cosine"])
def test_h0_of_points_under_any_metric_equals_ripser_on_their_distance_matrix(metric):
    """The spanning tree of a cloud reads its edge values row by row; under a metric other
    than the Euclidean one, scikit-learn's (not the Euclidean shortcut)."""
    import ripser

    import tda_pipe as tp

    X = np.random.default_rng(3).random((80, 3)) + 0.1
    ours = tp.persistence(X, 0, metric=metric, backend="mst")
    D = cdist(X, X, metric=metric)
    reference = ripser.ripser(D, maxdim=0, distance_matrix=True)["dgms"][0]
    # (cdist leaves about 1e-16 on the diagonal of cosine distances: births of 1e-16)
    np.testing.assert_allclose(ours[0], reference[np.argsort(reference[:, 1])], 1e-6, 1e-12)


def test_h0_of_weighted_rips_by_spanning_tree_equals_ripser_on_the_weighted_matrix():
    """Vertex i enters at w_i, edge ij at max(w_i, w_j, (d_ij + w_i + w_j) / 2): ripser reads
    the vertex values from the diagonal of that matrix."""
    import ripser

    import tda_pipe as tp

    rng = np.random.default_rng(4)
    X, w = rng.random((70, 2)), 2 * rng.random(70)  # weights that often decide the value
    ours = tp.persistence(X, 0, filtration="weighted-rips", weights=w, backend="mst")
    W = np.maximum(np.maximum.outer(w, w), (cdist(X, X) + w[:, None] + w[None, :]) / 2)
    np.fill_diagonal(W, w)
    reference = ripser.ripser(W, maxdim=0, distance_matrix=True)["dgms"][0]
    order = np.lexsort((reference[:, 1], reference[:, 0]))
    np.testing.assert_allclose(ours[0], reference[order], rtol=1e-6)


def test_mst_h0_keeps_an_edge_at_the_threshold_and_drops_longer_ones():
    from tda_pipe.tda import filtrations as F

    X = np.array([[0.0], [1.0], [3.0], [7.0]])  # tree edges 1, 2 and 4
    dgm, births, deaths = mst.mst_h0(F.rips(X, threshold=2.0))
    np.testing.assert_array_equal(dgm, [[0.0, 1.0], [0.0, 2.0], [0.0, np.inf], [0.0, np.inf]])
    np.testing.assert_array_equal(deaths[-2:], [[-1, -1], [-1, -1]])


def test_mst_h0_leaves_out_the_zero_length_class_of_a_duplicate_point():
    from tda_pipe.tda import filtrations as F

    dgm, births, deaths = mst.mst_h0(F.rips(np.array([[0.0], [1.0], [1.0], [3.0]])))
    np.testing.assert_array_equal(dgm, [[0.0, 1.0], [0.0, 2.0], [0.0, np.inf]])
    assert len(births) == len(deaths) == 3
