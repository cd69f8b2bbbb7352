"""One entry point for persistent homology: :func:`persistence`."""

from __future__ import annotations

import logging

import numpy as np

from tda_pipe.errors import InputError
from tda_pipe.tda import backends
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.filtrations import Filtration, build_filtration
from tda_pipe.tda.validation import check_max_dim

__all__ = ["BACKENDS", "persistence"]

logger = logging.getLogger("tda_pipe")

#: Backends by filtration kind; the first is the default (``backend="auto"``).
BACKENDS: dict[str, dict[str, object]] = {
    "rips": {
        "giotto-ph": backends.rips_giotto,
        "gudhi": backends.rips_gudhi,
        "ripser": backends.rips_ripser,
        "mst": backends.rips_mst,
    },
    "sparse-rips": {"gudhi": backends.sparse_rips_gudhi},
    "alpha": {"gudhi": backends.alpha_gudhi},
    "cubical": {"gudhi": backends.cubical_gudhi},
    "lower-star": {"gudhi": backends.lower_star_gudhi},
}
ALL_BACKENDS = ("auto", "giotto-ph", "gudhi", "ripser", "mst")


def _choose_backend(filt: Filtration, backend: str, max_dim: int, return_pairs: bool) -> str:
    if backend not in ALL_BACKENDS:
        raise InputError(f"unknown backend {backend!r}; choose one of {', '.join(ALL_BACKENDS)}")
    offered = BACKENDS[filt.kind]
    if backend == "auto":
        if filt.kind == "rips":
            return "mst" if max_dim == 0 else "giotto-ph"
        return next(iter(offered))
    if backend not in offered:
        raise InputError(
            f"backend {backend!r} cannot compute a {filt.kind} filtration; "
            f"use {' or '.join(offered)} (or auto)"
        )
    if backend == "mst" and max_dim != 0:
        raise InputError("backend 'mst' computes H0 only; use max_dim=0 or another backend")
    if backend == "ripser" and return_pairs:
        raise InputError("ripser returns no persistence pairs; use backend giotto-ph or gudhi")
    return backend


SLOW_RIPS_SIMPLICES = 10**9
"""A full Rips complex with more top simplices than this takes tens of seconds or more:
giotto-ph scans about 5e7 of them a second in H2 and above (measured on sphere samples, one
thread: 400 points H2 20 s, 600 points H2 78 s, 120 points H4 57 s)."""


def _warn_if_slow(filt: Filtration, max_dim: int, backend: str) -> None:
    """Say, before it starts, that a full Rips complex of H2 or above will take long."""
    if filt.kind != "rips" or max_dim < 2:
        return
    if backend == "giotto-ph" and backends.giotto_refuses(filt, max_dim):
        return  # refused with its own message
    count = backends.full_rips_top_simplices(filt, max_dim)
    if count > SLOW_RIPS_SIMPLICES:
        logger.warning(
            "Rips H%d on %d points without a threshold: %.1e simplices of dimension %d to scan, "
            "which can take minutes or more; a threshold, a lower max_dim, or the alpha "
            "filtration (points in R^2 or R^3) is faster",
            max_dim,
            filt.n_vertices,
            count,
            max_dim + 1,
        )


def _sorted(dgm: np.ndarray, pairs):
    order = np.lexsort((dgm[:, 1], dgm[:, 0]))
    if pairs is None:
        return dgm[order], None
    return dgm[order], (pairs[0][order], pairs[1][order])


def persistence(
    data,
    max_dim: int = 1,
    *,
    filtration: str | Filtration = "auto",
    backend: str = "auto",
    metric: str = "euclidean",
    threshold: float | None = None,
    epsilon: float | None = None,
    weights=None,
    return_pairs: bool = False,
    n_threads: int = -1,
) -> Diagrams:
    """Persistence diagrams of a point cloud, distance matrix, image or filtration object.

    Parameters
    ----------
    data : array-like or Filtration
        ``(n, d)`` points, an ``(n, n)`` distance matrix (with ``metric="precomputed"``), an
        image (with ``filtration="cubical"``), or a filtration from
        :mod:`tda_pipe.tda.filtrations` (then ``filtration`` and the build options are unused).
    max_dim : int
        Highest homology dimension computed.
    filtration : str or Filtration
        ``"auto"``, ``"rips"``, ``"sparse-rips"``, ``"alpha"``, ``"cubical"``,
        ``"weighted-rips"`` or ``"dtm"``; ``auto`` picks by size and dimension and says what it
        picked (``logging`` at INFO, and ``Diagrams.filtration``).
    backend : str
        ``"auto"``, ``"giotto-ph"`` (default for Rips, all cores), ``"gudhi"``, ``"ripser"``, or
        ``"mst"`` (H0 of Rips by a minimum spanning tree; the default when ``max_dim == 0``).
    metric : str
        Any scikit-learn / scipy metric name, or ``"precomputed"``.
    threshold : float, optional
        Rips: only edges up to this value (sparse, saves memory).
    epsilon : float, optional
        Sparse Rips approximation parameter (``filtration="sparse-rips"``).
    weights : array-like, optional
        Vertex weights for ``filtration="weighted-rips"``.
    return_pairs : bool
        Keep the simplices that give each birth and death (``Diagrams.pairs``).
    n_threads : int
        Threads for giotto-ph (``-1``: all cores) when only H0 is asked; H1 and above run
        single-threaded, since giotto-ph's multithreaded generators are unreliable.

    Returns
    -------
    Diagrams
        One float64 ``(k, 2)`` array per dimension ``0..max_dim``, rows sorted by
        (birth, death), ``inf`` deaths for essential classes, zero-length classes left out.

    Examples
    --------
    >>> from tda_pipe.datasets import circle
    >>> d = persistence(circle(100, seed=0), max_dim=1)
    >>> d.betti(1.0)
    [1, 1]
    >>> d.filtration, d.backend
    ('rips', 'giotto-ph')
    """
    max_dim = check_max_dim(max_dim)
    if isinstance(data, Filtration):
        filt = data
    elif isinstance(filtration, Filtration):
        filt = filtration
    else:
        filt = build_filtration(
            data,
            filtration,
            max_dim=max_dim,
            metric=metric,
            threshold=threshold,
            epsilon=epsilon,
            weights=weights,
        )
    chosen = _choose_backend(filt, backend, max_dim, return_pairs)
    logger.info("%s, backend %s", filt.describe(), chosen)
    _warn_if_slow(filt, max_dim, chosen)
    compute = BACKENDS[filt.kind][chosen]
    if filt.kind == "alpha":
        dgms, pairs = compute(filt, max_dim, n_threads, with_pairs=return_pairs)
    else:
        dgms, pairs = compute(filt, max_dim, n_threads)
    if not return_pairs:
        pairs = None
    ordered = [_sorted(d, None if pairs is None else pairs[p]) for p, d in enumerate(dgms)]
    kind = "weighted-rips" if getattr(filt, "is_weighted", False) else filt.kind
    return Diagrams(
        [d for d, _ in ordered],
        None if pairs is None else [pr for _, pr in ordered],
        filtration=kind,
        backend=chosen,
    )
