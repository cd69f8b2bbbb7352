"""Exact k nearest neighbours in blocks: float32 BLAS to find candidates, float64 to rank them.

:func:`knn` answers, for every query row, its ``k`` nearest datastore rows in the Euclidean
metric, exactly as a brute-force float64 search ordered by ``(distance, index)`` would: ties
go to the smaller datastore index. Memory stays bounded by the blocks, never ``n_queries x
n_datastore``.

How. Squared distances ``|x|^2 - 2 q.x`` of a block of queries against a block of the
(centred) datastore come from one float32 matrix product; the ``m = k + margin`` smallest per
query (``torch.topk``) are the candidates, re-measured in float64 as ``sum((q - x)^2)`` and
sorted by ``(distance, index)``. A rigorous bound ``E`` on the float32 error (rounding of the
inputs, a length-``d`` dot product, the subtraction: ``(2d + 8) u (|q| + max|x|)^2``, ``u =
2^-24``) says when that is the answer: if the ``k``-th float64 distance is below the smallest
float32 value left out minus ``E``, nothing outside the candidates can come closer or tie.
Rows where it is not (many points tied at the ``k``-th distance, duplicates, tight clusters
far from the data's mean) take every datastore row whose float32 value is within ``E`` of
that bound and rank them all in float64.

Measured (``benchmarks/bench_local.py --knn``; 2 cores shared with other jobs, so noisy):
the float32 product is the cost, the float64 re-ranking a few per cent. Against faiss-cpu's
exact ``IndexFlatL2`` (float32 throughout, ties in no fixed order) and pynndescent
(approximate, a graph built per datastore, numba compilation on first use), see the
benchmark's table; the choice and why are in the README section on local topology.

Examples
--------
>>> X = np.array([[0.0], [1.0], [2.0], [4.0]])
>>> dist, idx = knn(X, None, 2)  # every point against the rest
>>> idx.tolist()  # point 1 is 1 from both 0 and 2: the tie goes to the smaller index
[[1, 2], [0, 2], [1, 0], [2, 1]]
>>> dist[3].tolist()
[2.0, 3.0]
>>> knn(X, np.array([[1.4]]), 1)[1].tolist()
[[1]]
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from tda_pipe.errors import InputError
from tda_pipe.tda.validation import check_points

__all__ = ["check_knn_inputs", "knn"]

#: float32 unit roundoff
_U32 = 2.0**-24
#: float64 elements in one block of re-ranking differences (2 MiB: the gather is memory-bound)
_RERANK_ELEMENTS = 1 << 18


def check_knn_inputs(
    datastore, queries, k, exclude_self: bool | np.ndarray
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]:
    """Validated ``(datastore, queries, k, excluded)`` for :func:`knn`.

    Finite float64 arrays of one width and a ``k`` that fits; ``queries=None`` means the
    datastore itself. ``excluded`` is the datastore row each query leaves out (``None``:
    none): ``exclude_self=True`` pairs query ``i`` with row ``i``; an int array names one row
    per query. With exclusions ``k`` may be at most ``n - 1``.
    """
    X = check_points(datastore, "datastore", min_points=1)
    Q = X if queries is None else check_points(queries, "queries", min_points=1)
    if Q.shape[1] != X.shape[1]:
        raise InputError(
            f"queries have {Q.shape[1]} coordinates but the datastore has {X.shape[1]}; "
            "pass queries embedded like the datastore"
        )
    excluded = None
    if isinstance(exclude_self, np.ndarray):
        excluded = exclude_self.astype(np.int64, copy=False).ravel()
        if len(excluded) != len(Q) or ((excluded < 0) | (excluded >= len(X))).any():
            raise InputError(
                f"exclude_self must hold one datastore row (0 to {len(X) - 1}) per query, "
                f"{len(Q)} in all"
            )
    elif exclude_self:
        if len(Q) != len(X):
            raise InputError(
                f"exclude_self pairs query i with datastore row i, but there are {len(Q)} "
                f"queries and {len(X)} datastore rows; pass queries=None or exclude_self=False"
            )
        excluded = np.arange(len(X))
    available = len(X) - int(excluded is not None)
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise InputError(f"k must be an integer >= 1, got {k!r}")
    if k > available:
        rest = " other" if excluded is not None else ""
        raise InputError(
            f"k={k} neighbours asked but the datastore has only {available}{rest} point(s); "
            f"use k <= {available} or a larger datastore"
        )
    return X, Q, int(k), excluded


def knn(
    datastore,
    queries=None,
    k: int = 10,
    *,
    exclude_self: bool | np.ndarray | None = None,
    block_size: int = 1024,
    datastore_block: int = 16_384,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest datastore rows of every query, exact, in bounded memory.

    Parameters
    ----------
    datastore : array-like of shape (n, d)
    queries : array-like of shape (n_queries, d), optional
        Default: the datastore itself.
    k : int
        Neighbours per query, at most ``n`` (``n - 1`` with ``exclude_self``).
    exclude_self : bool or array of int, optional
        True: query ``i`` is datastore row ``i`` and leaves itself out (a duplicate of it at
        another index stays). An int array of length ``n_queries``: query ``i`` leaves out
        datastore row ``exclude_self[i]`` (queries that are some of the datastore's rows).
        Default: True when ``queries`` is None, else False.
    block_size : int
        Queries per block.
    datastore_block : int
        Datastore rows per block; the float32 working set is about
        ``4 * block_size * datastore_block`` bytes plus a float32 copy of the datastore.

    Returns
    -------
    distances : ndarray of shape (n_queries, k), float64
        Euclidean distances, ascending per row.
    indices : ndarray of shape (n_queries, k), int64
        Datastore rows; among equal distances the smaller index comes first.

    Raises
    ------
    InputError
        NaN or inf, not 2-D, widths that differ, ``k`` larger than the datastore allows.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X, Q = rng.normal(size=(500, 16)), rng.normal(size=(20, 16))
    >>> from scipy.spatial.distance import cdist
    >>> D = cdist(Q, X)
    >>> dist, idx = knn(X, Q, 5)
    >>> bool((idx == np.argsort(D, axis=1, kind="stable")[:, :5]).all())
    True
    """
    if exclude_self is None:
        exclude_self = queries is None
    X, Q, k, excluded = check_knn_inputs(datastore, queries, k, exclude_self)
    for name, value in (("block_size", block_size), ("datastore_block", datastore_block)):
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise InputError(f"{name} must be an integer >= 1, got {value!r}")
    search = _Search(X, k, excluded is not None, int(datastore_block))
    dist = np.empty((len(Q), k))
    idx = np.empty((len(Q), k), dtype=np.int64)
    for start in range(0, len(Q), block_size):
        rows = np.arange(start, min(start + block_size, len(Q)))
        dist[rows], idx[rows] = search.block(Q[rows], None if excluded is None else excluded[rows])
    return dist, idx


class _Search:
    """The datastore prepared once: centred float32 copy, its squared norms, the error scale."""

    def __init__(self, X: np.ndarray, k: int, exclude_self: bool, datastore_block: int) -> None:
        self.X, self.k, self.exclude_self = X, k, exclude_self
        self.centre = X.mean(axis=0)
        self.X32 = (X - self.centre).astype(np.float32)
        self.sq32 = np.einsum("ij,ij->i", self.X32, self.X32, dtype=np.float64).astype(np.float32)
        self.max_norm = float(np.sqrt(self.sq32.max(initial=0.0)))
        self.error_factor = (2 * X.shape[1] + 8) * _U32
        available = len(X) - int(exclude_self)
        self.m = min(available, k + max(8, k // 4))
        self.step = max(datastore_block, self.m)

    # -- one block of queries ---------------------------------------------------------------

    def block(self, Q: np.ndarray, rows: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Neighbours of the queries ``Q``; query ``i`` leaves out datastore row ``rows[i]``."""
        Qc = Q - self.centre
        Q32 = Qc.astype(np.float32)
        q_sq = np.einsum("ij,ij->i", Qc, Qc)
        error = self.error_factor * (np.sqrt(q_sq) + self.max_norm) ** 2
        approx, cand = self._candidates(Q32, rows)
        d2, order = self._rank(Q, cand)
        dist_sq = np.take_along_axis(d2, order, axis=1)[:, : self.k]
        idx = np.take_along_axis(cand, order, axis=1)[:, : self.k]
        if self.m < len(self.X) - int(self.exclude_self):
            left_out = approx.max(axis=1).astype(np.float64) + q_sq  # smallest value left out
            for i in np.flatnonzero(dist_sq[:, -1] >= left_out - error):
                row = None if rows is None else rows[i : i + 1]
                dist_sq[i], idx[i] = self._widened(
                    Q[i], Q32[i], row, q_sq[i], dist_sq[i, -1], error[i]
                )
        return np.sqrt(dist_sq), idx

    def _approx(self, Q32: np.ndarray, rows: np.ndarray | None, lo: int, hi: int) -> np.ndarray:
        """float32 ``|x|^2 - 2 q.x`` of the queries against datastore rows ``lo:hi``."""
        block = Q32 @ self.X32[lo:hi].T
        block *= -2.0
        block += self.sq32[lo:hi]
        if rows is not None:
            own = (rows >= lo) & (rows < hi)
            block[np.flatnonzero(own), rows[own] - lo] = np.inf
        return block

    def _candidates(
        self, Q32: np.ndarray, rows: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``m`` smallest float32 values per query and their datastore rows."""
        import torch

        values, indices = [], []
        for lo in range(0, len(self.X), self.step):
            hi = min(lo + self.step, len(self.X))
            block = torch.from_numpy(self._approx(Q32, rows, lo, hi))
            val, idx = torch.topk(block, min(self.m, hi - lo), dim=1, largest=False, sorted=False)
            values.append(val)
            indices.append(idx + lo)
        if len(values) == 1:
            return values[0].numpy(), indices[0].numpy()
        val, pos = torch.topk(torch.cat(values, dim=1), self.m, dim=1, largest=False, sorted=False)
        return val.numpy(), torch.gather(torch.cat(indices, dim=1), 1, pos).numpy()

    def _rank(self, Q: np.ndarray, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """float64 squared distances to the candidates (sorted by index in place) and the
        order by ``(distance, index)``."""
        cand.sort(axis=1)
        d2 = _exact_sq(Q, self.X, cand)
        return d2, np.argsort(d2, axis=1, kind="stable")

    def _widened(
        self,
        q: np.ndarray,
        q32: np.ndarray,
        row: np.ndarray | None,
        q_sq: float,
        bound: float,
        error: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every datastore row within ``error`` of ``bound`` in float32, ranked in float64."""
        keep = []
        for lo in range(0, len(self.X), self.step):
            hi = min(lo + self.step, len(self.X))
            approx = self._approx(q32[None, :], row, lo, hi)[0]
            keep.append(lo + np.flatnonzero(approx.astype(np.float64) + q_sq <= bound + error))
        cand = np.concatenate(keep)
        d2 = _exact_sq(q[None, :], self.X, cand[None, :])[0]
        order = np.argsort(d2, kind="stable")[: self.k]
        return d2[order], cand[order]


def _exact_sq(Q: np.ndarray, X: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """``sum((Q[i] - X[cand[i, j]])^2)`` in float64, in cache-sized blocks."""
    out = np.empty(cand.shape)
    width = max(1, min(cand.shape[1], _RERANK_ELEMENTS // X.shape[1]))
    step = max(1, _RERANK_ELEMENTS // (width * X.shape[1]))
    for lo in range(0, len(cand), step):
        hi = min(lo + step, len(cand))
        for c0 in range(0, cand.shape[1], width):
            c1 = min(c0 + width, cand.shape[1])
            diff = X[cand[lo:hi, c0:c1]]
            diff -= Q[lo:hi, None, :]
            out[lo:hi, c0:c1] = np.einsum("ijk,ijk->ij", diff, diff)
    return out
