"""The filtration builders' options, defaults and refusals: DTM weights against a brute-force
computation, sparse input, the sparse Rips memory check, the auto choice at its limits, and
the filtration objects themselves."""

import math

import numpy as np
import pytest
from scipy import sparse
from scipy.spatial.distance import cdist

from tda_pipe.errors import InputError
from tda_pipe.tda import filtrations as F
from tda_pipe.tda.resources import Estimate


def _cloud(n: int = 40, d: int = 2, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, d))


def _brute_dtm(X: np.ndarray, k: int, power: float = 2.0) -> np.ndarray:
    D = np.sort(cdist(X, X), axis=1)[:, :k]  # the point itself first, at 0
    return np.mean(D**power, axis=1) ** (1.0 / power)


def test_dtm_weights_by_brute_force_from_points_dense_and_sparse_matrices():
    distinct = _cloud(30)
    X = distinct.copy()
    X[5] = X[6]  # a duplicate: a zero distance
    for k in (1, 2, 10, 30):
        expected = _brute_dtm(X, k)
        np.testing.assert_allclose(F.dtm_weights(X, k), expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(F.dtm_weights(cdist(X, X), k, metric="precomputed"), expected)
        graph = sparse.csr_matrix(cdist(distinct, distinct))  # every pair stored
        np.testing.assert_allclose(
            F.dtm_weights(graph, k, metric="precomputed"), _brute_dtm(distinct, k)
        )
    assert (F.dtm_weights(X, 1) == 0).all()  # k = 1: the point itself, gudhi's convention
    np.testing.assert_allclose(F.dtm_weights(X), _brute_dtm(X, 10))  # k = 10 by default
    assert F.dtm(X).reason == "DTM weights, k=10"


@pytest.mark.parametrize("k", [0, 31])
def test_dtm_k_out_of_range_is_refused(k):
    with pytest.raises(
        InputError, match=rf"^DTM needs 1 <= k <= number of points \(30\), got k={k}$"
    ):
        F.dtm_weights(_cloud(30), k)


def test_weights_of_the_wrong_length_are_refused_with_both_lengths():
    with pytest.raises(InputError, match=r"^weights must hold one value per point \(40\), got 39$"):
        F.weighted_rips(_cloud(), np.zeros(39))


def test_sparse_rips_epsilon_and_sparse_input():
    X = _cloud()
    assert F.sparse_rips(X).epsilon == 0.5  # the documented default, everywhere
    assert F.build_filtration(X, "sparse-rips").epsilon == 0.5
    assert F.SparseRipsFiltration(points=X).epsilon == 0.5
    for bad in (0, -0.1):
        with pytest.raises(InputError, match="sparse Rips epsilon must be > 0"):
            F.sparse_rips(X, bad)
    X[3] = X[4]  # a zero distance: missing from a sparse matrix, yet not an infinite one
    D = cdist(X, X)
    from_dense = F.sparse_rips(D, metric="precomputed").distances
    from_sparse = F.sparse_rips(sparse.csr_matrix(D), metric="precomputed").distances
    assert isinstance(from_sparse, np.ndarray)
    np.testing.assert_array_equal(from_dense, D)
    missing = (D == 0) & ~np.eye(len(D), dtype=bool)  # the duplicate pair, not the diagonal
    np.testing.assert_array_equal(np.isinf(from_sparse), missing)
    np.testing.assert_array_equal(from_sparse[~missing], D[~missing])


def test_a_sparse_graph_becomes_a_matrix_with_missing_edges_at_infinity():
    graph = sparse.coo_matrix(([1.0, 2.0, 0.5], ([0, 1, 2], [1, 2, 2])), shape=(4, 4))
    dense = F.dtm_weights(graph, 2, metric="precomputed")  # through the same conversion
    # the two nearest of each row: 0 -> 0, 1; 1 -> 0, 1; 2 -> 0.5 (its stored diagonal), 2;
    # 3 -> 0, inf (no edge)
    np.testing.assert_allclose(dense, [math.sqrt(0.5), math.sqrt(0.5), math.sqrt(2.125), np.inf])


def _sparse_message(monkeypatch, data, dim: float, metric: str = "euclidean") -> str:
    monkeypatch.setattr(F, "intrinsic_dimension", lambda points, distances: dim)
    monkeypatch.setattr(F, "available_memory", lambda: 1.0)
    with pytest.raises(InputError) as info:
        F.build_filtration(data, "sparse-rips", metric=metric)
    return str(info.value)


def test_the_sparse_rips_memory_check_estimates_at_the_intrinsic_dimension(monkeypatch):
    X = _cloud(50, 3)
    D = cdist(X, X)
    assert "50 points of dimension 2 " in _sparse_message(monkeypatch, X, 2.0)
    assert "50 points of dimension 3 " in _sparse_message(monkeypatch, X, 5.0)  # at most d
    assert "50 points of dimension 3 " in _sparse_message(monkeypatch, X, math.nan)
    matrix = _sparse_message(monkeypatch, D, 2.0, "precomputed")
    assert "50 points of dimension 2 " in matrix
    assert "gudhi's copy of the distance matrix" in matrix
    assert "distance matrix" not in _sparse_message(monkeypatch, X, 2.0)
    # every sampled point duplicated: a few distinct points, estimated as a curve
    assert "50 points of dimension 1 " in _sparse_message(monkeypatch, D, math.nan, "precomputed")


def test_the_memory_refusal_suggests_alpha_only_where_it_exists(monkeypatch):
    monkeypatch.setattr(F, "available_memory", lambda: 1.0)
    for d, offered in ((3, True), (4, False)):
        with pytest.raises(InputError) as info:
            F.build_filtration(_cloud(60, d), "rips")
        assert ("--filtration alpha" in str(info.value)) is offered


def test_auto_takes_alpha_above_its_documented_sizes():
    for max_dim, limit in ((1, 2000), (2, 300)):
        assert F.build_filtration(_cloud(limit, 2), max_dim=max_dim).kind == "rips"
        above = F.build_filtration(_cloud(limit + 1, 2), max_dim=max_dim)
        assert above.kind == "alpha"
        assert (
            above.reason
            == f"auto: {limit + 1} points in R^2, more than {limit} for Rips H{max_dim}"
        )


@pytest.mark.parametrize("seconds,kind", [(59.9, "rips"), (60.5, "landmark-rips")])
def test_auto_passes_over_the_spanning_tree_past_a_minute(monkeypatch, seconds, kind):
    monkeypatch.setattr(F, "mst_estimate", lambda n, d: Estimate("H0", (), seconds))
    assert F.build_filtration(_cloud(100, 5), max_dim=0).kind == kind


def test_filtrations_are_compared_and_hashed_by_identity():
    """They hold arrays, whose equality is elementwise: two filtrations are the same only when
    they are one object, and each can key a dict (a cache of their complexes)."""
    X = _cloud(30, 3)
    made = [
        F.rips(X),
        F.rips(X),
        F.sparse_rips(X),
        F.alpha(X),
        F.cubical(np.random.default_rng(1).random((6, 6))),
        F.lower_star_mesh((X[:4], np.array([[0, 1, 2], [1, 2, 3]]))),
    ]
    assert len({f: i for i, f in enumerate(made)}) == len(made)
    assert made[0] == made[0] and made[0] != made[1]


def test_a_rips_filtration_takes_its_points_first():
    X = _cloud()
    filt = F.RipsFiltration(X)
    assert filt.points is X and filt.reason == ""  # the reason is keyword-only


def test_the_alpha_memory_check_takes_the_delaunay_route_from_its_size(monkeypatch):
    from tda_pipe.tda.resources import DELAUNAY_FROM, alpha_estimate

    monkeypatch.setattr(F, "available_memory", lambda: 1.0)
    for n, delaunay in ((DELAUNAY_FROM - 1, False), (DELAUNAY_FROM, True)):
        with pytest.raises(InputError) as info:
            F.alpha(_cloud(n, 2))
        assert str(info.value).startswith(alpha_estimate(n, 2, delaunay=delaunay).describe())


def test_a_graph_without_the_value_attribute_is_refused_by_name():
    import networkx as nx

    graph = nx.path_graph(4)
    nx.set_node_attributes(graph, {0: 1.0, 1: 2.0, 3: 0.5}, "height")
    with pytest.raises(InputError, match=r"^node 2 has no 'height' attribute; pass values=$"):
        F.lower_star_graph(graph, attribute="height")
    graph.nodes[2]["height"] = 3.0
    assert F.lower_star_graph(graph, attribute="height").values.tolist() == [1.0, 2.0, 3.0, 0.5]


def test_a_mesh_gives_the_edges_of_its_faces_and_heights_by_default():
    vertices = np.array([[0, 0, 5], [1, 0, 6], [0, 1, 7], [1, 1, 8]], dtype=float)
    filt = F.lower_star_mesh((vertices, [[2, 1, 0], [1, 2, 3]]))
    edges, faces = filt.simplices
    assert edges.tolist() == [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]
    assert faces.tolist() == [[0, 1, 2], [1, 2, 3]]
    assert filt.values.tolist() == [5, 6, 7, 8]  # the last coordinate


@pytest.mark.parametrize("faces", [[[0, 1, 4]], [[0, 1, -1]], [[-1, 0, 5]]])
def test_mesh_faces_outside_the_vertices_are_refused(faces):
    vertices = np.random.default_rng(0).random((4, 3))
    with pytest.raises(InputError, match="^mesh faces refer to vertices that do not exist$"):
        F.lower_star_mesh((vertices, faces))


def test_a_mesh_without_vertices_is_refused():
    with pytest.raises(InputError, match="mesh vertices"):
        F.lower_star_mesh((np.empty((0, 3)), np.empty((0, 3), dtype=int)))


def test_build_filtration_takes_dtm_with_ten_neighbours_by_default():
    assert F.build_filtration(_cloud(), "dtm").reason == "DTM weights, k=10"
