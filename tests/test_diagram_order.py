"""Every diagram comes sorted by (birth, death), its pairs in the same order: on every
filtration and backend, including births that are not 0 and tied births."""

from __future__ import annotations

import numpy as np
import pytest

import tda_pipe as tp


def _assert_birth_then_death(dgm: np.ndarray) -> None:
    keys = list(map(tuple, dgm.tolist()))
    assert keys == sorted(keys)  # Python's tuple order: birth first, then death


@pytest.mark.parametrize("backend", ["gudhi", "ripser"])
def test_rows_are_sorted_by_birth_then_death(backend):
    X = np.random.default_rng(4).random((60, 2))
    d = tp.persistence(X, max_dim=1, filtration="rips", backend=backend)
    assert len(np.unique(d[1][:, 0])) > 5  # births are not all 0: the order is tested
    for p in range(2):
        _assert_birth_then_death(d[p])


def test_tied_births_are_ordered_by_death_and_pairs_follow_the_rows():
    # three rectangles far apart, a x 2 for a = 2, 1, 1.5: each loop is born at 2 exactly
    # (its long sides) and dies at its diagonal sqrt(a^2 + 4): 2.83, 2.24, 2.5
    corners = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    X = np.vstack([corners * [a, 2.0] + [20.0 * k, 0.0] for k, a in enumerate((2.0, 1.0, 1.5))])
    d = tp.persistence(X, max_dim=1, filtration="rips", return_pairs=True)
    _assert_birth_then_death(d[1])  # loops across the rectangles come later, born near 18
    np.testing.assert_allclose(d[1][:3], [[2.0, np.sqrt(5.0)], [2.0, 2.5], [2.0, np.sqrt(8.0)]])
    born, died = d.pairs[1]
    D = np.linalg.norm(X[:, None] - X[None], axis=-1)
    # the pairs are permuted with the rows: each row's edges give that row's values
    finite = np.isfinite(d[1][:, 1])
    np.testing.assert_array_equal(D[born[:, 0], born[:, 1]], d[1][:, 0])
    np.testing.assert_array_equal(D[died[finite, 0], died[finite, 1]], d[1][finite, 1])


def test_cubical_and_alpha_diagrams_are_sorted_too():
    image = np.random.default_rng(1).random((12, 12))
    for dgm in tp.persistence(image, 1, filtration="cubical"):
        _assert_birth_then_death(dgm)
    X = np.random.default_rng(2).random((80, 2))
    for dgm in tp.persistence(X, 1, filtration="alpha"):
        _assert_birth_then_death(dgm)
