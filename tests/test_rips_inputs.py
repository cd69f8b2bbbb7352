"""What each Rips backend is handed, at the edges of its input: weighted distance matrices with
and without a threshold, sparse graphs with vertex values, an edge exactly at the threshold,
values beyond float32's range, and the complexes giotto-ph cannot number. The reference is
gudhi's own simplex tree of the same filtration, built in the test."""

import math

import gudhi
import numpy as np
import pytest
from gudhi.weighted_rips_complex import WeightedRipsComplex
from scipy import sparse
from scipy.spatial.distance import cdist

import tda_pipe as tp
from tda_pipe.errors import InputError
from tda_pipe.tda import filtrations as F

from .references import GIOTTO, gudhi_matrix, requires_giotto

BACKENDS = [GIOTTO, "gudhi", "ripser", "mst"]


def _max_dim(backend: str) -> int:
    return 0 if backend == "mst" else 1


def _tol(backend: str) -> float:
    return 1e-6 if backend == "ripser" else 1e-9  # ripser.py computes in float32


def _intervals(st: gudhi.SimplexTree, max_dim: int, scale: float = 1.0) -> list[np.ndarray]:
    st.compute_persistence()
    return [st.persistence_intervals_in_dimension(p) * scale for p in range(max_dim + 1)]


def _weighted_reference(D: np.ndarray, w: np.ndarray, max_dim: int, t: float = np.inf):
    """gudhi's WeightedRipsComplex builds the filtration at twice our (radius) scale."""
    complex_ = WeightedRipsComplex(distance_matrix=D, weights=w, max_filtration=2 * t)
    return _intervals(complex_.create_simplex_tree(max_dimension=max_dim + 1), max_dim, 0.5)


def _cloud(n: int = 35, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 2))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("threshold", [np.inf, 0.3])
def test_weighted_rips_of_a_distance_matrix(backend, threshold, same_diagrams):
    X = _cloud()
    D = cdist(X, X)
    w = np.random.default_rng(4).random(len(X)) * 0.2
    max_dim = _max_dim(backend)
    ours = tp.persistence(
        F.weighted_rips(D, w, metric="precomputed", threshold=threshold),
        max_dim,
        backend=backend,
    )
    same_diagrams(ours, _weighted_reference(D, w, max_dim, threshold), _tol(backend))
    assert ours[0][:, 0].max() > 0  # births at the weights


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_dense_matrix_with_vertex_values_on_its_diagonal(backend, same_diagrams):
    X = _cloud(25, 9)
    M = cdist(X, X)
    values = np.random.default_rng(10).random(len(X)) * 0.05
    M = np.maximum(M, np.maximum.outer(values, values))
    np.fill_diagonal(M, values)
    max_dim = _max_dim(backend)
    ours = tp.persistence(M, max_dim, metric="precomputed", backend=backend)
    same_diagrams(ours, gudhi_matrix(M, max_dim), _tol(backend))
    assert ours[0][:, 0].max() > 0


@pytest.mark.parametrize("backend", [GIOTTO, "gudhi", "ripser"])
def test_a_sparse_graph_with_vertex_values_and_a_threshold(backend, same_diagrams):
    """Stored entries are edges, missing ones absent, the diagonal holds vertex values."""
    X = _cloud(30, 5)
    D = cdist(X, X)
    D[D > 0.5] = 0  # not stored: no edge
    values = np.random.default_rng(6).random(len(X)) * 0.05
    M = np.maximum(D, np.maximum.outer(values, values))
    M[D == 0] = 0
    graph = sparse.coo_matrix(np.triu(M, 1) + np.diag(values))
    threshold = 0.15
    ours = tp.persistence(graph, 1, metric="precomputed", threshold=threshold, backend=backend)
    dense = np.where(D > 0, M, np.inf)
    dense[dense > threshold] = np.inf
    np.fill_diagonal(dense, values)
    st = gudhi.SimplexTree()
    for i, v in enumerate(values):
        st.insert([i], v)
    for i, j in zip(*np.nonzero(np.isfinite(np.triu(dense, 1)))):
        st.insert([int(i), int(j)], dense[i, j])
    st.expansion(2)
    same_diagrams(ours, _intervals(st, 1), _tol(backend))
    assert np.isinf(ours[0][:, 1]).sum() > 1  # the threshold cut the graph


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_edge_exactly_at_the_threshold_is_in(backend):
    """From points, candidate edges come from a radius search: one of length exactly the
    threshold (a 3-4-5 triangle's hypotenuse) joins two components, and so does a weighted
    edge whose length is twice the threshold (its value (d + 0 + 0) / 2)."""
    X = np.array([[0.0, 0.0], [3.0, 4.0], [30.0, 0.0]])
    plain = tp.persistence(X, 0, filtration="rips", threshold=5.0, backend=backend)
    np.testing.assert_array_equal(plain[0], [[0.0, 5.0], [0.0, np.inf], [0.0, np.inf]])
    weighted = F.weighted_rips(X, np.zeros(3), threshold=2.5)
    got = tp.persistence(weighted, 0, backend=backend)
    np.testing.assert_array_equal(got[0], [[0.0, 2.5], [0.0, np.inf], [0.0, np.inf]])


@pytest.mark.parametrize("backend", [GIOTTO, "ripser"])
@pytest.mark.parametrize("scale", [1e40, 1e-40])
def test_a_thresholded_cloud_beyond_float32_keeps_its_loop(backend, scale):
    """The float32 backends get a sparse graph scaled by an exact power of two."""
    t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
    X = np.column_stack([np.cos(t), np.sin(t)])
    reference = tp.persistence(X, 1, filtration="rips", threshold=1.5, backend="gudhi")
    ours = tp.persistence(X * scale, 1, filtration="rips", threshold=1.5 * scale, backend=backend)
    assert len(ours[1]) == len(reference[1]) == 1
    np.testing.assert_allclose(ours[1] / scale, reference[1], rtol=1e-6)
    assert np.isinf(ours[0][:, 1]).sum() == 1


@requires_giotto
def test_giotto_refuses_a_complex_it_cannot_number_with_the_count():
    X = np.random.default_rng(0).random((400, 3))
    top = math.comb(400, 11)
    expected = (
        f"max_dim=9 on 400 points: the Rips complex has C(400, 11) = {top:.2e} simplices of "
        "dimension 10, more than giotto-ph can number (2^55); use max_dim <= 6 or a --threshold"
    )
    with pytest.raises(InputError) as info:
        tp.persistence(X, 9, filtration="rips", backend="giotto-ph")
    assert str(info.value) == expected


@requires_giotto
def test_giotto_h1_on_two_threads_is_gudhis(same_diagrams):
    """Multithreaded giotto-ph names wrong birth edges for H1 (births off by up to 3e-3 on
    these clouds), so H1 and above run on one thread whatever ``n_threads`` asks."""
    for seed in range(2):
        X = np.random.default_rng(seed).random((500, 3))
        ours = tp.persistence(X, 1, filtration="rips", backend="giotto-ph", n_threads=2)
        reference = tp.persistence(X, 1, filtration="rips", backend="gudhi")
        same_diagrams(ours, reference, 1e-9)


def test_h0_pairs_follow_the_elder_rule():
    """Every vertex at 0: the component of the larger index dies into the smaller one."""
    X = np.array([[0.0], [1.0], [3.0]])  # edges (0, 1) at 1 and (1, 2) at 2
    for backend in ("gudhi", "mst"):
        d = tp.persistence(X, 0, filtration="rips", backend=backend, return_pairs=True)
        births, deaths = d.pairs[0]
        np.testing.assert_array_equal(d[0], [[0.0, 1.0], [0.0, 2.0], [0.0, np.inf]])
        assert births[:, 0].tolist() == [1, 2, 0]
        assert deaths.tolist() == [[0, 1], [1, 2], [-1, -1]]


def test_ties_are_ranked_by_position_whatever_the_sort():
    """Many tied values away from the first: the order is the stable one (by position)."""
    from tda_pipe.tda import backends as B

    values = np.random.default_rng(0).integers(0, 5, 5000).astype(float)
    values[0] = -1.0  # the first value ties with nothing
    np.testing.assert_array_equal(B._stable_argsort(values), np.argsort(values, kind="stable"))
    distinct = np.random.default_rng(1).random(5000)
    np.testing.assert_array_equal(B._stable_argsort(distinct), np.argsort(distinct))


def test_a_graph_given_in_any_entry_order_gives_the_same_pairs():
    """Tied edge lengths on a grid, the COO entries shuffled: the ranks follow (i, j), not the
    order the entries came in, so the pairs are the same."""
    grid = np.array([[x, y] for x in range(4) for y in range(4)], dtype=float)
    D = np.triu(cdist(grid, grid), 1)
    D[D > 1.5] = 0
    graph = sparse.coo_matrix(D)
    shuffle = np.random.default_rng(2).permutation(graph.nnz)
    shuffled = sparse.coo_matrix(
        (graph.data[shuffle], (graph.row[shuffle], graph.col[shuffle])), shape=graph.shape
    )
    a, b = (
        tp.persistence(g, 1, metric="precomputed", backend="gudhi", return_pairs=True)
        for g in (graph, shuffled)
    )
    for p in range(2):
        np.testing.assert_array_equal(a[p], b[p])
        for x, y in zip(a.pairs[p], b.pairs[p]):
            np.testing.assert_array_equal(x, y)


def test_tied_edges_are_ranked_by_i_then_j_whatever_the_entry_order():
    """A square whose last two sides tie: (0, 1) comes first, kills a component; (0, 3) closes
    the loop and is the H1 birth edge, in whichever order the COO entries are given."""
    entries = {(1, 2): 0.5, (2, 3): 0.5, (0, 1): 1.0, (0, 3): 1.0, (0, 2): 2.0, (1, 3): 2.0}
    for order in (list(entries), list(reversed(entries))):
        rows, cols = zip(*order)
        graph = sparse.coo_matrix(([entries[e] for e in order], (rows, cols)), shape=(4, 4))
        d = tp.persistence(graph, 1, metric="precomputed", backend="gudhi", return_pairs=True)
        np.testing.assert_array_equal(d[1], [[1.0, 2.0]])
        assert d.pairs[1][0].tolist() == [[0, 3]]
        assert [0, 1] in d.pairs[0][1].tolist()


@pytest.mark.parametrize("n", [2, 3])
def test_too_few_points_for_a_loop_give_empty_higher_diagrams(n):
    X = np.random.default_rng(n).random((n, 2))
    for max_dim in (1, 2):  # gudhi's kernel, then its RipsPersistence
        for pairs in (False, True):
            d = tp.persistence(X, max_dim, filtration="rips", backend="gudhi", return_pairs=pairs)
            assert all(d[p].shape == (0, 2) for p in range(1, max_dim + 1)) and len(d[0]) == n
