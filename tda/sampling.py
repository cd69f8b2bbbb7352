"""Choosing points: random rows and farthest-point (maxmin) landmarks, written once.

Examples
--------
>>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [10.0, 0.0]])
>>> marks = maxmin_landmarks(X, 3, seed=0)
>>> sorted(marks.indices.tolist()), round(marks.cover_radius, 3)
([0, 2, 3], 0.1)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Landmarks", "maxmin_landmarks", "random_rows"]


def random_rows(n_rows: int, size: int, seed: int | np.random.Generator | None = 0) -> np.ndarray:
    """Sorted indices of ``size`` distinct rows out of ``n_rows``, drawn uniformly.

    All rows (``arange``) when ``size >= n_rows``. ``seed`` is a seed or a generator.

    Examples
    --------
    >>> random_rows(10, 4, seed=1).tolist()
    [3, 4, 6, 9]
    """
    if size >= n_rows:
        return np.arange(n_rows)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size, replace=False))


class Landmarks(NamedTuple):
    """Landmark rows, in the order chosen, and their cover radius: every point lies within
    ``cover_radius`` of a landmark (the Hausdorff distance from the landmarks to the set)."""

    indices: np.ndarray
    cover_radius: float


def maxmin_landmarks(X: np.ndarray, n: int, seed: int = 0, metric: str = "euclidean") -> Landmarks:
    """``n`` farthest-point (maxmin) landmarks of the points ``X``, and their cover radius.

    The first landmark is a random row (from ``seed``); each next one is the point farthest
    from those already chosen. With ``metric="precomputed"``, ``X`` is a square distance
    matrix. Cost: ``n`` passes over ``X``, memory O(rows).
    """
    X = np.asarray(X)
    rows = len(X)
    n = min(n, rows)
    chosen = np.empty(n, dtype=np.int64)
    chosen[0] = int(np.random.default_rng(seed).integers(rows))
    if metric == "precomputed":

        def distances(i: int) -> np.ndarray:
            return np.asarray(X[i], dtype=np.float64)
    else:
        squared = np.einsum("ij,ij->i", X, X, dtype=np.float64)

        def distances(i: int) -> np.ndarray:
            d2 = squared - 2.0 * (X @ X[i]) + squared[i]
            return np.sqrt(np.maximum(d2, 0.0))

    nearest = distances(chosen[0])
    for i in range(1, n):
        chosen[i] = int(nearest.argmax())
        np.minimum(nearest, distances(chosen[i]), out=nearest)
    nearest[chosen] = 0.0
    return Landmarks(chosen, float(nearest.max()) if rows else 0.0)
