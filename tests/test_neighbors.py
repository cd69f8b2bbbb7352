"""Exact k nearest neighbours: equal to a brute-force float64 search, ties by index."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from tda_pipe.errors import InputError
from tda_pipe.tda.neighbors import knn


def brute_force(X, Q, k, excluded=None):
    """Sorted by (distance, index): a stable sort of float64 distances in index order."""
    D = cdist(Q, X)
    if excluded is not None:
        D[np.arange(len(Q)), excluded] = np.inf
    order = np.argsort(D, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(D, order, axis=1), order


def lattice():
    axes = np.meshgrid(np.arange(6), np.arange(5), np.arange(3), indexing="ij")
    return np.stack(axes, -1).reshape(-1, 3).astype(float)


RNG = np.random.default_rng(7)
CASES = {
    # every point has many neighbours at exactly the same distance
    "lattice": (lattice(), None, 9),
    # each point 4 times: the k-th distance is shared by several rows
    "duplicates": (np.repeat(RNG.normal(size=(25, 4)), 4, axis=0), None, 6),
    # a tight cluster far from the origin: float32 cannot separate its distances
    "far cluster": (1e4 + 1e-3 * RNG.normal(size=(200, 3)), None, 5),
    "gaussian, new queries": (RNG.normal(size=(600, 40)), RNG.normal(size=(50, 40)), 12),
    "queries on the lattice": (lattice(), lattice()[::7] + 0.5, 8),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("blocks", [(1000, 16384), (7, 50)])
def test_equals_brute_force(name, blocks):
    X, Q, k = CASES[name]
    block_size, datastore_block = blocks
    dist, idx = knn(X, Q, k, block_size=block_size, datastore_block=datastore_block)
    excluded = np.arange(len(X)) if Q is None else None
    ref_dist, ref_idx = brute_force(X, X if Q is None else Q, k, excluded)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_allclose(dist, ref_dist, rtol=1e-12, atol=1e-12)


def test_ties_go_to_the_smaller_index():
    X = np.array([[0.0], [-1.0], [1.0], [1.0], [-2.0]])
    _, idx = knn(X, np.array([[0.0]]), 4)
    assert idx.tolist() == [[0, 1, 2, 3]]


def test_a_duplicate_of_the_query_stays_when_it_leaves_itself_out():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [3.0, 0.0]])
    dist, idx = knn(X, None, 1)
    assert idx[:, 0].tolist() == [1, 0, 0]
    assert dist[:, 0].tolist() == [0.0, 0.0, 3.0]


def test_excluded_rows_per_query():
    X = RNG.normal(size=(300, 5))
    rows = np.array([3, 10, 299])
    dist, idx = knn(X, X[rows], 4, exclude_self=rows)
    full_dist, full_idx = knn(X, None, 4)
    np.testing.assert_array_equal(idx, full_idx[rows])
    np.testing.assert_array_equal(dist, full_dist[rows])


def test_k_equal_to_everything_left():
    X = RNG.normal(size=(20, 3))
    _, idx = knn(X, None, 19)
    assert all(sorted(row) == sorted(set(range(20)) - {i}) for i, row in enumerate(idx.tolist()))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda X: knn(X, None, 10), "only 9 other point"),
        (lambda X: knn(X, X[:2], 11), "only 10 point"),
        (lambda X: knn(X, X[:, :2], 3), "queries have 2 coordinates but the datastore has 3"),
        (lambda X: knn(np.where(X > 1, np.nan, X), None, 3), "NaN"),
        (lambda X: knn(X, X[:3], 2, exclude_self=True), "exclude_self pairs"),
        (lambda X: knn(X, X[:3], 2, exclude_self=np.array([0, 1])), "one datastore row"),
        (lambda X: knn(X, None, 0), "k must be an integer >= 1"),
    ],
)
def test_bad_input_is_one_line(call, message):
    X = np.random.default_rng(0).normal(size=(10, 3)) * 3
    with pytest.raises(InputError, match=message) as err:
        call(X)
    assert "\n" not in str(err.value)


def test_a_near_tie_far_from_the_mean_is_ranked_exactly():
    """Half the datastore on a unit sphere around the query 1000 from the datastore's mean,
    radii 1e-10 apart: float32 cannot order them (its error is near 1 in squared distance
    there); the error bound must send the search wide enough for float64 to."""
    rng = np.random.default_rng(11)
    directions = rng.normal(size=(300, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    radii = 1.0 + 1e-10 * rng.permutation(300)
    q = np.array([[2000.0, 0.0, 0.0]])
    X = np.vstack([q + directions * radii[:, None], rng.normal(size=(300, 3))])
    for k in (1, 5, 40):
        dist, idx = knn(X, q, k)
        ref_dist, ref_idx = brute_force(X, q, k)
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_allclose(dist, ref_dist, rtol=1e-14)


def test_knn_defaults_to_ten_neighbours_of_every_point_but_itself():
    X = RNG.normal(size=(50, 3))
    dist, idx = knn(X)
    assert idx.shape == (50, 10) and not (idx == np.arange(50)[:, None]).any()
    np.testing.assert_array_equal(idx, brute_force(X, X, 10, np.arange(50))[1])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda X: knn(X, None, True), r"^k must be an integer >= 1, got True$"),
        (lambda X: knn(X, X[:2], 2, block_size=0), r"^block_size must be an integer >= 1, got 0$"),
        (lambda X: knn(X, X[:2], 2, block_size=True), r"^block_size must be an integer >= 1"),
        (lambda X: knn(X, X[:2], 2, datastore_block=2.0), r"^datastore_block must be an integer"),
        (lambda X: knn(X, X[:0], 2), "queries"),
        (lambda X: knn(X[:0], X[:2], 1), "datastore"),
        (
            lambda X: knn(X, X[:2], 2, exclude_self=np.array([0, 10])),
            r"^exclude_self must hold one datastore row \(0 to 9\) per query, 2 in all$",
        ),
    ],
)
def test_bad_sizes_and_rows_are_one_line_naming_them(call, message):
    X = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(InputError, match=message):
        call(X)


def test_blocks_of_one_give_the_same_neighbours():
    X = RNG.normal(size=(40, 4))
    np.testing.assert_array_equal(
        knn(X, None, 3, block_size=1, datastore_block=1)[1], knn(X, None, 3)[1]
    )
