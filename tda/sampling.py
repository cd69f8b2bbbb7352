"""Choosing points: random rows and farthest-point (maxmin) landmarks, written once.

Examples
--------
>>> X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [10.0, 0.0]])
>>> marks = maxmin_landmarks(X, 3, seed=0)
>>> sorted(marks.indices.tolist()), round(marks.cover_radius, 3)
([0, 2, 3], 0.1)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["POOL_SIZE", "Landmarks", "maxmin_landmarks", "random_rows"]


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


#: Points whose nearest-landmark distance is kept exact between full passes (see
#: :func:`maxmin_landmarks`); the full pass is one matrix product against the landmarks added
#: since the last one.
POOL_SIZE = 2048
#: Rows of ``X`` centred and multiplied at a time in a full pass (bounds the temporaries).
_BLOCK_ROWS = 8192


def maxmin_landmarks(X: np.ndarray, n: int, seed: int = 0, metric: str = "euclidean") -> Landmarks:
    """``n`` farthest-point (maxmin) landmarks of the points ``X``, and their cover radius.

    The first landmark is a random row (from ``seed``); each next one is the point farthest
    from those already chosen. With ``metric="precomputed"``, ``X`` is a square distance
    matrix, read one row a landmark. The cover radius is exact in float64 (computed by
    subtraction for every point that could hold it), so it can state a bound.

    Euclidean points are handled in rounds, so that most of the work is matrix products
    rather than one pass over ``X`` a landmark: the nearest-landmark distances of all points
    are brought up to date by one product with the landmarks of the last round, then the
    :data:`POOL_SIZE` farthest points are kept exact against each new landmark while the
    farthest of them is at least as far as the stale (so upper) distance of every point
    outside the pool; when it is not, a new round starts. The landmarks are those of the
    one-pass-a-landmark algorithm up to rounding; memory O(rows + pool x columns).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((3000, 5))
    >>> marks = maxmin_landmarks(X, 50)
    >>> from scipy.spatial.distance import cdist
    >>> bool(cdist(X, X[marks.indices]).min(axis=1).max() == marks.cover_radius)
    True
    """
    X = np.asarray(X)
    rows = len(X)
    n = min(n, rows)
    if rows == 0 or n <= 0:
        return Landmarks(np.empty(0, dtype=np.int64), math.inf if rows else 0.0)
    first = int(np.random.default_rng(seed).integers(rows))
    if metric == "precomputed":
        return _maxmin_precomputed(X, n, first)
    return _maxmin_euclidean(np.asarray(X, dtype=np.float64), n, first)


def _maxmin_precomputed(D: np.ndarray, n: int, first: int) -> Landmarks:
    chosen = np.empty(n, dtype=np.int64)
    chosen[0] = first
    nearest = np.array(D[first], dtype=np.float64)
    for i in range(1, n):
        chosen[i] = int(nearest.argmax())
        np.minimum(nearest, D[chosen[i]], out=nearest)
    nearest[chosen] = 0.0
    return Landmarks(chosen, float(nearest.max()))


class _Centred:
    """Squared distances by ``|x - c|^2 + |y - c|^2 - 2 (x - c).(y - c)``, ``c`` the mean of the
    points (the cancellation of that formula grows with the norms), blocks of rows at a time.
    The products take ``x`` as it is: ``x.(y - c) - c.(y - c)``, no centred copy of ``X``."""

    def __init__(self, X: np.ndarray) -> None:
        self.X, self.mean = X, X.mean(axis=0)
        self.sq = np.concatenate(
            [
                np.einsum("ij,ij->i", b - self.mean, b - self.mean)
                for b in (X[s : s + _BLOCK_ROWS] for s in range(0, len(X), _BLOCK_ROWS))
            ]
        )

    def rows(self, idx: np.ndarray) -> np.ndarray:
        return self.X[idx] - self.mean

    def update(self, nearest: np.ndarray, idx: list[int]) -> None:
        """``nearest = min(nearest, squared distances to rows idx)``, by blocks of rows."""
        Y = self.rows(np.asarray(idx)).T
        shift = self.sq[idx] + 2.0 * (self.mean @ Y)  # |y - c|^2 + 2 c.(y - c)
        for start in range(0, len(self.X), _BLOCK_ROWS):
            stop = min(start + _BLOCK_ROWS, len(self.X))
            d2 = (self.sq[start:stop, None] + shift) - 2.0 * (self.X[start:stop] @ Y)
            np.minimum(nearest[start:stop], d2.min(axis=1), out=nearest[start:stop])

    def error(self, landmark_sq_max: float) -> np.ndarray:
        """A bound on the rounding error of every point's squared distances to the landmarks:
        twice ``(d + 4) u`` times the sizes of the terms summed, ``|x - c|^2 + |y - c|^2 +
        2 |c| |y - c| + 2 |x| |y - c|``, with ``|x| <= |x - c| + |c|``; ``|c|`` is never
        squared, so a cloud far from the origin keeps a tight bound."""
        d = self.X.shape[1]
        reach = math.sqrt(landmark_sq_max)  # the largest |y - c| of a landmark
        far = float(np.linalg.norm(self.mean))
        terms = (np.sqrt(self.sq) + reach) ** 2 + 4.0 * far * reach
        return 2.0 * (d + 4) * 2.0**-53 * terms


def _maxmin_euclidean(X: np.ndarray, n: int, first: int) -> Landmarks:
    points = _Centred(X)
    rows = len(X)
    chosen = [first]
    pending = [first]  # landmarks not yet applied to `nearest`
    nearest = np.full(rows, np.inf)  # squared distance to the nearest applied landmark
    while True:
        points.update(nearest, pending)
        nearest[pending] = -np.inf
        pending = []
        if len(chosen) == n:
            break
        size = min(POOL_SIZE, rows)
        pool = np.argpartition(nearest, rows - size)[rows - size :]
        outside = np.delete(nearest, pool).max() if size < rows else -np.inf
        pool_near = nearest[pool]
        pool_x = points.rows(pool)
        while len(chosen) < n:
            k = int(pool_near.argmax())
            if pool_near[k] < outside:  # a point outside may be farther: new round
                break
            chosen.append(int(pool[k]))
            pending.append(int(pool[k]))
            d2 = points.sq[pool] + points.sq[pool[k]] - 2.0 * (pool_x @ pool_x[k])
            np.minimum(pool_near, d2, out=pool_near)
            pool_near[k] = -np.inf  # never chosen twice (a duplicate point still can be)
    return Landmarks(np.array(chosen, dtype=np.int64), _cover_radius(points, nearest, chosen))


def _cover_radius(points: _Centred, nearest: np.ndarray, chosen: list[int]) -> float:
    """The exact largest distance from a point to its nearest landmark: ``nearest`` (squared,
    by the dot-product formula) picks the points that may hold it, within its error bound;
    their distances to every landmark are measured by subtraction."""
    from scipy.spatial.distance import cdist

    chosen_idx = np.array(chosen)
    err = points.error(float(points.sq[chosen_idx].max()))
    lowest_max = float((nearest - err).max())
    candidates = np.flatnonzero(nearest + err >= lowest_max)
    landmarks = points.X[chosen_idx]
    radius = 0.0
    for start in range(0, len(candidates), 1024):
        block = points.X[candidates[start : start + 1024]]
        radius = max(radius, float(cdist(block, landmarks).min(axis=1).max()))
    return radius
