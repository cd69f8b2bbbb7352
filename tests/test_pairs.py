"""Persistence pairs of Rips filtrations: exact, ties included, with or without giotto-ph.

Pairs come from gudhi's Ripser run on the ranks of the edges in one total order (by value,
then ``(i, j)``). The reference here is independent of that code: the same order computed by
``np.lexsort``, a gudhi SimplexTree filled by hand with those ranks, its diagram in ranks. Ours
must be exactly that diagram: each pair's edges give the class's birth and death, and the
pairing is the persistence pairing of one consistent total order of the edges. Before this,
pairs came from giotto-ph only (no wheel beyond Python 3.12) or from a value lookup that was
ambiguous on ties. giotto-ph's one-thread pairs are a second reference where it is installed.
"""

from __future__ import annotations

import gudhi
import numpy as np
import pytest
from scipy.spatial.distance import cdist

import tda_pipe as tp

from .references import requires_giotto


def grid(n: int, seed: int) -> np.ndarray:
    """Points of a 4 x 4 x 4 integer grid, many repeated: distances tie everywhere."""
    return np.random.default_rng(seed).integers(0, 4, size=(n, 3)).astype(float)


def duplicates(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.random((n // 2, 3))
    return np.vstack([X, X[rng.integers(0, len(X), n - len(X))]])


def tied_matrix(n: int, seed: int) -> np.ndarray:
    """A precomputed matrix of noisy circle distances rounded to 0.1: few distinct values."""
    X = tp.datasets.circle(n, noise=0.1, seed=seed)
    return np.round(cdist(X, X), 1)


def generic(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 3))


def reference_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..m of the edges ``values`` (``(n, n)``, upper triangle) by value, then (i, j)."""
    i, j = np.triu_indices(len(values), 1)
    order = np.lexsort((j, i, values[i, j]))
    R = np.zeros(values.shape)
    R[i[order], j[order]] = np.arange(1, len(order) + 1)
    return R + R.T


def simplex_tree_rank_diagrams(R: np.ndarray, max_dim: int, vertex: np.ndarray | None = None):
    """Diagrams in ranks of the flag complex of ``R``, from a SimplexTree filled by hand."""
    n = len(R)
    i, j = np.triu_indices(n, 1)
    st = gudhi.SimplexTree()
    st.insert_batch(
        np.arange(n, dtype=np.int64)[None, :], np.zeros(n) if vertex is None else vertex
    )
    st.insert_batch(np.vstack([i, j]).astype(np.int64), R[i, j])
    st.collapse_edges()  # keeps the diagram; every value is still one edge's rank
    st.expansion(max_dim + 1)
    st.compute_persistence(persistence_dim_max=True)
    return [
        np.asarray(st.persistence_intervals_in_dimension(p)).reshape(-1, 2)
        for p in range(max_dim + 1)
    ]


def check_pairs(D: np.ndarray, ours, R: np.ndarray, reference) -> None:
    """Our pairs, read as ranks, are exactly the reference diagram in ranks (less the bars of
    float64 length 0), and their edges give exactly our values."""
    sorted_values = np.concatenate([[0.0], np.sort(D[np.triu_indices(len(D), 1)])])
    for p, want in enumerate(reference):
        births, deaths = ours.pairs[p]
        finite = deaths[:, 0] >= 0
        if p > 0:
            np.testing.assert_array_equal(D[births[:, 0], births[:, 1]], ours[p][:, 0])
        else:
            np.testing.assert_array_equal(births[:, 1], -1)
        np.testing.assert_array_equal(D[deaths[finite, 0], deaths[finite, 1]], ours[p][finite, 1])
        got_b = R[births[:, 0], births[:, 1]] if p > 0 else np.zeros(len(births))
        got_d = np.where(finite, R[deaths[:, 0], np.maximum(deaths[:, 1], 0)], np.inf)
        got = np.column_stack([got_b, got_d])
        b = sorted_values[want[:, 0].astype(np.int64)]
        d = np.where(
            np.isfinite(want[:, 1]),
            sorted_values[np.nan_to_num(want[:, 1], posinf=0).astype(np.int64)],
            np.inf,
        )
        want = want[d > b]
        order = lambda a: a[np.lexsort((a[:, 1], a[:, 0]))]  # noqa: E731
        np.testing.assert_array_equal(order(got), order(want), err_msg=f"H{p}")


CASES = [
    (grid, 120, 2),
    (duplicates, 120, 2),
    (generic, 120, 2),
    (grid, 400, 1),
    (duplicates, 400, 1),
]


@pytest.mark.parametrize("make,n,max_dim", CASES)
def test_pairs_are_the_ranked_simplex_tree_diagram(make, n, max_dim):
    for seed in range(2):
        X = make(n, seed)
        D = cdist(X, X)
        ours = tp.persistence(D, max_dim, metric="precomputed", return_pairs=True)
        assert ours.backend == "gudhi"
        R = reference_ranks(D)
        check_pairs(D, ours, R, simplex_tree_rank_diagrams(R, max_dim))
        from_points = tp.persistence(X, max_dim, filtration="rips", return_pairs=True)
        for p in range(max_dim + 1):
            np.testing.assert_array_equal(from_points[p], ours[p])


def test_pairs_of_a_precomputed_matrix_with_repeated_values():
    for seed, (n, max_dim) in enumerate([(60, 2), (200, 1)]):
        D = tied_matrix(n, seed)
        ours = tp.persistence(D, max_dim, metric="precomputed", return_pairs=True)
        R = reference_ranks(D)
        check_pairs(D, ours, R, simplex_tree_rank_diagrams(R, max_dim))
        assert len(ours[1]) > 0


def test_pairs_of_2000_grid_points_h1():
    X = np.random.default_rng(5).integers(0, 12, size=(2000, 2)).astype(float)
    D = cdist(X, X)
    ours = tp.persistence(D, 1, metric="precomputed", threshold=3.0, return_pairs=True)
    i, j = np.triu_indices(len(D), 1)
    keep = D[i, j] <= 3.0
    # the reference: the thresholded graph ranked by (value, i, j), every other edge last
    big = np.where(D <= 3.0, D, 10.0 * D.max())
    R = reference_ranks(big)
    R[~(D <= 3.0)] = np.inf
    st = gudhi.SimplexTree()
    st.insert_batch(np.arange(len(D), dtype=np.int64)[None, :], np.zeros(len(D)))
    st.insert_batch(np.vstack([i[keep], j[keep]]).astype(np.int64), R[i[keep], j[keep]])
    st.collapse_edges()
    st.expansion(2)
    st.compute_persistence(persistence_dim_max=True)
    reference = [
        np.asarray(st.persistence_intervals_in_dimension(p)).reshape(-1, 2) for p in range(2)
    ]
    check_pairs(np.where(D <= 3.0, D, big), ours, R, reference)
    assert len(ours[1]) > 50


def test_weighted_pairs_rank_vertices_and_edges_together():
    X = grid(80, 3)
    w = np.random.default_rng(3).integers(0, 3, 80) * 0.5  # ties between weights and edges
    ours = tp.persistence(X, 2, filtration="weighted-rips", weights=w, return_pairs=True)
    D = cdist(X, X)
    M = np.maximum(np.maximum.outer(w, w), (D + w[:, None] + w[None, :]) / 2)
    values = np.concatenate([w, M[np.triu_indices(80, 1)]])
    order = np.argsort(values, kind="mergesort")  # vertices first, then edges in (i, j) order
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    R = np.zeros((80, 80))
    iu = np.triu_indices(80, 1)
    R[iu] = ranks[80:]
    R = R + R.T
    rank_dgms = simplex_tree_rank_diagrams(R, 2, vertex=ranks[:80])
    rank_of = {("v", v): ranks[v] for v in range(80)}
    for p in range(3):
        births, deaths = ours.pairs[p]
        b = [rank_of[("v", s[0])] if s[1] < 0 else R[s[0], s[1]] for s in births]
        d = [np.inf if s[0] < 0 else R[s[0], s[1]] for s in deaths]
        got = np.column_stack([b, d]).reshape(-1, 2)
        want = rank_dgms[p]
        sv = np.sort(values)
        lengths = np.where(
            np.isfinite(want[:, 1]), sv[np.nan_to_num(want[:, 1], posinf=0).astype(int)], np.inf
        )
        want = want[lengths > sv[want[:, 0].astype(int)]]
        key = lambda a: a[np.lexsort((a[:, 1], a[:, 0]))]  # noqa: E731
        np.testing.assert_array_equal(key(got), key(want), err_msg=f"H{p}")
        np.testing.assert_array_equal(sv[got[:, 0].astype(int)], ours[p][:, 0])
    assert ours[0][:, 0].max() > 0


@requires_giotto
@pytest.mark.parametrize("make,n,max_dim", [*CASES, (tied_matrix, 200, 1)])
def test_pairs_agree_with_giotto_one_thread(make, n, max_dim, same_diagrams):
    """The same diagrams always; on generic clouds (no ties) the same edges too."""
    X = make(n, 11)
    D = X if make is tied_matrix else cdist(X, X)
    ours = tp.persistence(D, max_dim, metric="precomputed", return_pairs=True)
    theirs = tp.persistence(
        D, max_dim, metric="precomputed", return_pairs=True, backend="giotto-ph"
    )
    same_diagrams(ours, theirs, 0.0)
    if make is generic:
        for p in range(1, max_dim + 1):
            for a, b in zip(ours.pairs[p], theirs.pairs[p]):
                np.testing.assert_array_equal(np.sort(a, axis=1), np.sort(b, axis=1))
