"""One entry point for persistent homology: :func:`persistence`."""

from __future__ import annotations

import logging
import math

import numpy as np

from tda_pipe.errors import InputError
from tda_pipe.tda import backends
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.filtrations import Filtration, build_filtration
from tda_pipe.tda.resources import format_seconds
from tda_pipe.tda.validation import check_max_dim

__all__ = ["ALL_BACKENDS", "BACKENDS", "check_coeff", "persistence", "rips_seconds"]

logger = logging.getLogger("tda_pipe")

#: Backends by name, as declared in :data:`tda_pipe.tda.backends.REGISTRY`.
BACKENDS: dict[str, backends.Backend] = {b.name: b for b in backends.REGISTRY}
ALL_BACKENDS = ("auto", *BACKENDS)


def _is_prime(p: int) -> bool:
    return p >= 2 and all(p % k for k in range(2, math.isqrt(p) + 1))


def check_coeff(coeff, option: str = "coeff") -> int:
    """``coeff`` as an int if it is a prime ``>= 2`` (homology over Z/coeff), else an
    :class:`InputError` naming ``option``."""
    if (
        isinstance(coeff, bool)
        or not isinstance(coeff, (int, np.integer))
        or not _is_prime(int(coeff))
    ):
        raise InputError(
            f"{option}={coeff!r} is not a prime >= 2; homology is over Z/p for a prime p: "
            "use 2, 3, 5, 7, ..."
        )
    return int(coeff)


def _cannot(b: backends.Backend, filt: Filtration, max_dim: int, pairs: bool, coeff: int) -> str:
    """Why ``b`` cannot do what is asked (empty: it can)."""
    kind = filt.kind
    if kind not in b.compute:
        return f"cannot compute a {kind} filtration"
    if b.point_dims is not None and filt.points.shape[1] not in b.point_dims:
        return f"takes points in R^{' or R^'.join(map(str, b.point_dims))} only"
    if b.max_dim is not None and max_dim > b.max_dim:
        return f"computes H0..H{b.max_dim} only (max_dim={max_dim} asked)"
    if pairs and not b.pairs:
        return "returns no persistence pairs"
    if coeff != 2 and not b.coefficients:
        return f"computes over Z/2 only (coeff={coeff} asked)"
    if not b.available():
        return f"is not installed (its module {b.module} does not import)"
    return ""


def _choose_backend(
    filt: Filtration, backend: str, max_dim: int, return_pairs: bool, coeff: int
) -> str:
    if backend not in ALL_BACKENDS:
        raise InputError(f"unknown backend {backend!r}; choose one of {', '.join(ALL_BACKENDS)}")
    able = [b.name for b in backends.REGISTRY if not _cannot(b, filt, max_dim, return_pairs, coeff)]
    if backend == "auto":
        if not able:
            raise InputError(f"no installed backend computes a {filt.kind} filtration")
        return next((b for b in able if filt.n_vertices >= BACKENDS[b].auto_from), able[0])
    why = _cannot(BACKENDS[backend], filt, max_dim, return_pairs, coeff)
    if why:
        instead = f"use {' or '.join(able)} (or auto)" if able else "use another filtration"
        raise InputError(f"backend {backend!r} {why}; {instead}")
    return backend


SLOW_RIPS_SECONDS = 30.0
"""A full Rips computation estimated to take longer than this is announced before it starts."""

#: Top simplices (dimension ``max_dim + 1``) a full Rips complex gets through per second, by
#: ``max_dim``: giotto-ph, one thread (H1 and above run single-threaded), on the project's
#: 2-core machine. giotto-ph and ripser scan only the simplices within the enclosing radius
#: (the smallest of the points' largest distances): counted against those, sphere samples,
#: uniform cubes and a torus ran at H2 0.8-2.2e8/s (sphere 300 points 3.6 s, 400 points 12.6
#: s; cube in R^3 400 points 1.25 s; torus 300 points 0.5 s), H3 0.6-0.7e8/s (sphere and cube
#: 150 points: 5.7 s and 2.0 s), H4 1.7-4.4e7/s (sphere 70 and 120 points 2.1 s and 47 s, cube
#: in R^4 80 points 2.7 s). Beyond H4 the rate is taken twice lower per dimension (as from H3
#: to H4). Checks of the whole estimate: sphere 600 points H2 estimated 50 s, took 65 s; cube
#: 600 points H2 17 s, took 6 s; sphere 120 points H4 68 s, took 47 s.
RIPS_SIMPLICES_PER_SECOND = {2: 1.0e8, 3: 6.5e7, 4: 3.0e7}
#: Speed of the other Rips backends relative to giotto-ph, measured at H2: ripser.py 0.35
#: (sphere 300 points 10.7 s, cube 400 points 7.0 s); gudhi's Ripser 0.83 where edge collapse
#: removes little (sphere 300 points 4.46 s against giotto-ph's 3.72 s), 5 on a uniform cube
#: (400 points 0.20 s against 1.07 s): the estimate takes the slower case. All three stop at
#: the enclosing radius.
RIPS_BACKEND_SPEED = {"giotto-ph": 1.0, "ripser": 0.35, "gudhi": 0.83}


def _rips_rate(max_dim: int, backend: str) -> float:
    top = max(RIPS_SIMPLICES_PER_SECOND)
    rate = RIPS_SIMPLICES_PER_SECOND[min(max_dim, top)] / 2.0 ** max(max_dim - top, 0)
    return rate * RIPS_BACKEND_SPEED.get(backend, 1.0)


def _enclosed_share(filt: Filtration, max_dim: int, samples: int = 2000) -> float:
    """Share of the top simplices with diameter within the enclosing radius, from a sample:
    the radius from 200 sampled points (an upper bound), the diameters of ``samples`` random
    sets of ``max_dim + 2`` points."""
    n, k = filt.n_vertices, max_dim + 2
    rng = np.random.default_rng(0)
    everyone = np.arange(n)
    radius = min(
        filt.edge_values(np.full(n, i), everyone).max()
        for i in rng.choice(n, size=min(n, 200), replace=False)
    )
    sets = rng.integers(0, n, size=(samples, k))
    sets = sets[(np.diff(np.sort(sets, axis=1), axis=1) > 0).all(axis=1)]  # k distinct points
    if not len(sets):
        return 1.0
    i, j = np.triu_indices(k, 1)
    diameters = filt.edge_values(sets[:, i].ravel(), sets[:, j].ravel()).reshape(len(sets), -1)
    return float((diameters.max(axis=1) <= radius).mean())


def rips_seconds(filt: Filtration, max_dim: int, backend: str) -> tuple[float, int, float]:
    """Estimated seconds of a full Rips computation up to H``max_dim`` (2 or more) with
    ``backend``, the top simplices of its complex and the share of them the backend scans.

    The count of top simplices (0 with a threshold) over the measured rate
    (:data:`RIPS_SIMPLICES_PER_SECOND`, :data:`RIPS_BACKEND_SPEED`), times the sampled share
    within the enclosing radius where the backend stops there and the estimate is long
    enough to matter. Measured estimates were within a factor 3 of the actual times.

    Examples
    --------
    >>> from tda_pipe.datasets import sphere
    >>> from tda_pipe.tda.filtrations import rips
    >>> seconds, count, share = rips_seconds(rips(sphere(600, dim=2, seed=0)), 2, "giotto-ph")
    >>> f"{count:.2e}", round(seconds, -1), round(share, 2)  # it took 65 s (giotto-ph, 2 cores)
    ('5.35e+09', 50.0, 0.93)
    """
    if max_dim < 2:
        raise ValueError("no time model below H2: H1 scans few of its triangles")
    count = backends.full_rips_top_simplices(filt, max_dim)
    seconds = count / _rips_rate(max_dim, backend)
    share = 1.0
    if seconds > SLOW_RIPS_SECONDS:
        share = _enclosed_share(filt, max_dim)
    return seconds * share, count, share


def _warn_if_slow(filt: Filtration, max_dim: int, backend: str) -> None:
    """Say, before it starts, that a full Rips complex of H2 or above will take long: its
    estimated time (:func:`rips_seconds`) is over :data:`SLOW_RIPS_SECONDS`."""
    if filt.kind != "rips" or max_dim < 2:
        return
    if backend == "giotto-ph" and backends.giotto_refuses(filt, max_dim):
        return  # refused with its own message
    seconds, count, share = rips_seconds(filt, max_dim, backend)
    if seconds > SLOW_RIPS_SECONDS:
        scanned = "" if share == 1.0 else f", {share:.0%} of them within the enclosing radius"
        logger.warning(
            "Rips H%d on %d points without a threshold will take about %s with %s "
            "(%.1e simplices of dimension %d%s); a threshold, a lower max_dim, or the alpha "
            "filtration (points in R^2 or R^3) is faster",
            max_dim,
            filt.n_vertices,
            format_seconds(seconds),
            backend,
            count,
            max_dim + 1,
            scanned,
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
    coeff: int = 2,
    cycles: bool = False,
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
        ``"auto"`` (the first of :data:`tda_pipe.tda.backends.REGISTRY` that can do what is
        asked: ``"mst"`` for H0 of Rips, a minimum spanning tree; ``"delaunay"`` for alpha in
        R^2 and R^3 over Z/2 from 20000 points; else ``"gudhi"``), ``"gudhi"`` (gudhi's
        Ripser for Rips), ``"delaunay"`` (:mod:`tda_pipe.tda.alpha_delaunay`), ``"ripser"``
        (ripser.py, float32, no pairs), or ``"giotto-ph"`` (where that optional extra is
        installed).
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
    coeff : int
        A prime p: homology with coefficients in Z/p (default 2).
    cycles : bool
        Also compute one representative cycle per class of H1..H``max_dim``
        (:meth:`Diagrams.cycles`; Rips, alpha and cubical filtrations over Z/2, with the
        optional oineus extra; see :mod:`tda_pipe.tda.cycles`).

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
    ('rips', 'gudhi')
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
    coeff = check_coeff(coeff)
    if cycles:
        from tda_pipe.tda.cycles import check_cycles

        backend = check_cycles(filt, max_dim, coeff, backend)
    chosen = _choose_backend(filt, backend, max_dim, return_pairs, coeff)
    logger.info("%s, backend %s", filt.describe(), chosen)
    _warn_if_slow(filt, max_dim, chosen)
    compute = BACKENDS[chosen].compute[filt.kind]
    dgms, pairs = compute(filt, max_dim, n_threads=n_threads, coeff=coeff, with_pairs=return_pairs)
    if not return_pairs:
        pairs = None
    ordered = [_sorted(d, None if pairs is None else pairs[p]) for p, d in enumerate(dgms)]
    kind = "weighted-rips" if getattr(filt, "is_weighted", False) else filt.kind
    representatives = None
    if cycles:
        from tda_pipe.tda.cycles import representatives as cycles_of

        representatives = cycles_of(filt, [d for d, _ in ordered], max_dim)
    return Diagrams(
        [d for d, _ in ordered],
        None if pairs is None else [pr for _, pr in ordered],
        filtration=kind,
        backend=chosen,
        coeff=coeff,
        cycles=representatives,
        approximation=filt.approximation,
    )
