"""Singular points of a point cloud: Euclidicity and persistent intrinsic dimension.

Near a point ``x`` of an ``n``-manifold, the *annulus* ``{y : r <= d(x, y) <= s}`` looks like
``S^(n-1) x [r, s]``: the annulus of the model space ``R^n``. At a singular point (the wedge
point of two spheres, the pinch of a pinched torus, the line where two planes cross) it does
not. Following

    J. von Rohrscheidt and B. Rieck, *Topological Singularity Detection at Multiple Scales*,
    Proceedings of the 40th International Conference on Machine Learning (ICML), PMLR 202,
    2023,

the **Euclidicity** of ``x`` compares, over a grid of radii ``r < s``, the Vietoris–Rips
persistent homology of the data's annulus with that of a uniform sample of the same annulus in
``R^n`` holding the same number of points (bottleneck distance, homology dimensions
``0 .. n-1``, the ones an ``S^(n-1)`` carries); the score is the mean over the grid (high =
singular), with its maximum and the radii where it peaks. The **persistent intrinsic
dimension** of ``x`` is read off the same local barcodes: ``1 +`` the highest homology
dimension with a (reduced) class alive at filtration value ``r``, the most frequent value over
the grid.

Scales. Unless given, the radii are fractions of one *global* reference radius, the median
over all points of the distance to the ``k``-th nearest neighbour: ``r`` from 0.5 to 0.8 and
``s`` from 1.0 to 1.3 of it. Per-point radii (each point's own ``k``-th neighbour distance)
shrink exactly where two sheets meet and the density doubles, and small radii see two sheets
that touch tangentially as one: on sparse samples both rank the singular region low.
Annuli are searched in a KD-tree; one holding more than ``max_points`` points is thinned to a
seeded random ``max_points`` of them, and one holding fewer than ``min_points`` is left out,
with a warning naming how many points had no usable annulus at all.

Annuli run in parallel across points in worker processes (``n_jobs``); model-space barcodes
are cached per (dimension, number of points, ratio ``r / s``) at unit scale and rescaled.
Every random draw is seeded from ``seed`` and the point or model it serves, so the scores do
not depend on ``n_jobs`` or on the order the work is done in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral, Real

import numpy as np
from scipy.spatial.distance import pdist, squareform
from sklearn.neighbors import KDTree, NearestNeighbors

from tda_pipe.errors import InputError
from tda_pipe.tda.diagrams import Diagrams, bottleneck
from tda_pipe.tda.validation import check_points

__all__ = [
    "AnnulusGrid",
    "SingularityScores",
    "annulus_pairs",
    "ball_scores",
    "euclidicity",
    "persistent_intrinsic_dimension",
]

logger = logging.getLogger("tda_pipe")

#: Default radii as fractions of the reference radius (median k-th neighbour distance).
R_FRACTIONS = (0.5, 0.8)
S_FRACTIONS = (1.0, 1.3)
#: Additive error allowed in the bottleneck distance, relative to the outer radius ``s``.
BOTTLENECK_ERROR = 1e-3
_CHUNKS_PER_JOB = 4


@dataclass(frozen=True)
class SingularityScores:
    """Per-point scores of :func:`euclidicity`.

    Attributes
    ----------
    euclidicity : numpy.ndarray
        ``(n,)`` mean bottleneck distance to the model annulus over the usable scale pairs;
        high = singular; NaN where no annulus held ``min_points`` points.
    euclidicity_max : numpy.ndarray
        ``(n,)`` the largest of those distances.
    peak_r, peak_s : numpy.ndarray
        ``(n,)`` the radii ``(r, s)`` at which the largest distance occurs.
    intrinsic_dim : numpy.ndarray
        ``(n,)`` int persistent intrinsic dimension (at most ``dim``); -1 where undetermined.
    n_scales : numpy.ndarray
        ``(n,)`` int number of usable scale pairs ``r < s`` per point.
    r, s : numpy.ndarray
        The grids of inner and outer radii.
    dim : int
        Dimension of the model space ``R^dim``.
    """

    euclidicity: np.ndarray
    euclidicity_max: np.ndarray
    peak_r: np.ndarray
    peak_s: np.ndarray
    intrinsic_dim: np.ndarray
    n_scales: np.ndarray
    r: np.ndarray
    s: np.ndarray
    dim: int

    def most_singular(self, k: int = 10) -> np.ndarray:
        """Indices of the ``k`` points of highest Euclidicity, highest first (NaN last)."""
        score = np.where(np.isnan(self.euclidicity), -np.inf, self.euclidicity)
        return np.argsort(-score, kind="stable")[:k]


@dataclass(frozen=True)
class AnnulusGrid:
    """How one ball is scored by :func:`ball_scores`: the radii and the annulus sizes.

    Attributes
    ----------
    pairs : numpy.ndarray
        ``(p, 2)`` radii ``(r, s)`` with ``r < s`` (:func:`annulus_pairs`).
    dim : int
        Dimension of the model space ``R^dim``.
    max_points, min_points : int
        Annuli with more points are thinned to ``max_points`` (seeded); with fewer than
        ``min_points`` they are left out.
    seed : int
        Seed of the model samples and the thinning.
    compare : bool
        Compute Euclidicity (else only the intrinsic dimension, from barcodes cut at ``r``).
    """

    pairs: np.ndarray
    dim: int
    max_points: int
    min_points: int
    seed: int
    compare: bool


@dataclass(frozen=True)
class _Plan:
    """Everything a worker needs besides the point indices it scores."""

    X: np.ndarray
    tree: KDTree
    grid: AnnulusGrid


# -- argument checks ------------------------------------------------------------------------


def _check_int(name: str, value, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise InputError(f"{name} must be an integer >= {low}, got {value!r}")
    if high is not None and value > high:
        raise InputError(f"{name}={value} is too large; use {name} <= {high}")
    return int(value)


def _check_range(name: str, value) -> tuple[float, float]:
    """A radius or a ``(low, high)`` range of them, non-negative and finite."""
    lo, hi = (value, value) if isinstance(value, Real) else tuple(value)
    if not all(isinstance(v, Real) and np.isfinite(v) and v >= 0 for v in (lo, hi)) or lo > hi:
        raise InputError(
            f"{name} must be a radius or a (low, high) pair with 0 <= low <= high, "
            f"got {value!r}; e.g. {name}=(0.1, 0.3)"
        )
    return float(lo), float(hi)


def _check_dim(dim, ambient: int) -> int:
    dim = _check_int("dim", dim, 1)
    if dim > ambient:
        raise InputError(
            f"dim={dim} exceeds the ambient dimension {ambient} of the points; use dim <= {ambient}"
        )
    return dim


def _scale_pairs(X: np.ndarray, r, s, steps: int, k: int) -> np.ndarray:
    """The ``(p, 2)`` radii pairs ``r < s`` of the grid; defaults from k-NN distances."""
    if r is None or s is None:
        reference = _reference_radius(X, k)
        r = r if r is not None else tuple(f * reference for f in R_FRACTIONS)
        s = s if s is not None else tuple(f * reference for f in S_FRACTIONS)
    return annulus_pairs(r, s, steps)


def annulus_pairs(r, s, steps: int) -> np.ndarray:
    """The ``(p, 2)`` radii ``(r, s)``, ``r < s``, of a ``steps x steps`` grid over two ranges.

    ``r`` and ``s`` are radii or ``(low, high)`` ranges; an :class:`InputError` if no pair
    has ``r < s``.

    Examples
    --------
    >>> annulus_pairs((0.5, 1.0), (1.0, 2.0), 2).tolist()
    [[0.5, 1.0], [0.5, 2.0], [1.0, 2.0]]
    """
    r_range, s_range = _check_range("r", r), _check_range("s", s)
    if r_range[0] >= s_range[1]:
        raise InputError(
            f"r={r!r} must start below the largest s={s_range[1]:g} (annuli need r < s); "
            f"e.g. r=({s_range[1] / 10:.3g}, {s_range[1] / 2:.3g})"
        )
    r_grid = np.linspace(*r_range, steps)
    s_grid = np.linspace(*s_range, steps)
    rr, ss = np.meshgrid(r_grid, s_grid, indexing="ij")
    keep = rr < ss
    return np.column_stack([rr[keep], ss[keep]])


def _reference_radius(X: np.ndarray, k: int) -> float:
    """Median over the points of the distance to the ``k``-th nearest other point."""
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    return float(np.median(dist[:, -1]))


# -- the model space --------------------------------------------------------------------------


def _rips(points: np.ndarray, hom_dim: int, thresh: float = np.inf) -> list[np.ndarray]:
    """Vietoris–Rips diagrams ``0 .. hom_dim`` of reduced homology (one H0 class less).

    gudhi's Ripser, float64 (measured, H0-H2 of Gaussian points in R^3: 0.4 / 1.5 / 3.6 ms at
    30 / 60 / 80 points, ripser.py 1.5 / 18 / 47 ms; giotto-ph, used before, is optional).
    """
    from gudhi.sklearn.rips_persistence import RipsPersistence

    D = squareform(pdist(points))
    rips = RipsPersistence(
        list(range(hom_dim + 1)), threshold=thresh, input_type="full distance matrix"
    )
    dgms = [np.asarray(d, dtype=np.float64).reshape(-1, 2) for d in rips.fit_transform([D])[0]]
    h0 = dgms[0][np.argsort(dgms[0][:, 1], kind="stable")]
    return [h0[:-1], *dgms[1:]]


def _model_annulus(n: int, m: int, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """``m`` points uniform (by volume) in ``{y in R^n : ratio <= |y| <= 1}``."""
    direction = rng.standard_normal((m, n))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    radius = (ratio**n + rng.uniform(size=m) * (1.0 - ratio**n)) ** (1.0 / n)
    return direction * radius[:, None]


@lru_cache(maxsize=65_536)
def _model_diagrams(n: int, m: int, ratio_key: int, seed: int) -> tuple[np.ndarray, ...]:
    """Diagrams (dimensions ``0 .. n-1``) of a model annulus with outer radius 1, cached."""
    rng = np.random.default_rng([seed, n, m, ratio_key])
    return tuple(_rips(_model_annulus(n, m, ratio_key / 1000, rng), n - 1))


def _bottleneck(a: list[np.ndarray], b: list[np.ndarray], error: float) -> float:
    """Within ``error`` of the exact distance (gudhi's own approximation is not, on ties)."""
    return bottleneck(Diagrams(list(a)), Diagrams(list(b)), e=error)


# -- local barcodes ------------------------------------------------------------------------------


def _local_dimension(dgms: list[np.ndarray], t: float) -> int:
    """``1 +`` the highest dimension with a reduced class alive at ``t`` (0 if none)."""
    for p in range(len(dgms) - 1, -1, -1):
        d = dgms[p]
        if ((d[:, 0] <= t) & (d[:, 1] > t)).any():
            return p + 1
    return 0


def _annulus(
    grid: AnnulusGrid, key: int, dist: np.ndarray, points: np.ndarray, r: float, s: float, j: int
) -> np.ndarray | None:
    """Points of the annulus ``r <= d <= s`` of a ball (thinned to ``max_points``), or None."""
    inside = np.flatnonzero((dist >= r) & (dist <= s))
    if len(inside) < grid.min_points:
        return None
    if len(inside) > grid.max_points:
        rng = np.random.default_rng([grid.seed, key, j])
        inside = rng.choice(inside, grid.max_points, replace=False)
    return points[inside]


def ball_scores(grid: AnnulusGrid, key: int, dist: np.ndarray, points: np.ndarray) -> tuple:
    """Euclidicity and intrinsic dimension of one point, from a ball of points around it.

    Parameters
    ----------
    grid : AnnulusGrid
    key : int
        The point's number, which seeds its thinning (same key, same subsets).
    dist : numpy.ndarray
        ``(m,)`` distances from the point to ``points``; the ball must reach the largest
        ``s`` of ``grid`` for the outer annuli to be whole.
    points : numpy.ndarray
        ``(m, d)`` the points of the ball.

    Returns
    -------
    tuple
        ``(mean, max, peak r, peak s, intrinsic dimension, usable pairs)``; ``(nan, nan, nan,
        nan, -1, 0)`` where no annulus holds ``min_points`` points. Without ``compare`` the
        first four are NaN.

    Examples
    --------
    >>> from tda_pipe.datasets import circle
    >>> X = circle(200, seed=0)
    >>> grid = AnnulusGrid(annulus_pairs(0.2, 0.4, 1), 1, 80, 5, 0, compare=True)
    >>> dist = np.linalg.norm(X - X[0], axis=1)
    >>> mean, _, _, _, dim, usable = ball_scores(grid, 0, dist, X)
    >>> dim, usable, bool(mean < 0.1)
    (1, 1, True)
    """
    scores, dims = [], []
    best = (-np.inf, np.nan, np.nan)
    for j, (r, s) in enumerate(grid.pairs):
        Y = _annulus(grid, key, dist, points, r, s, j)
        if Y is None:
            continue
        thresh = np.inf if grid.compare else r * (1 + 1e-9)
        dgms = _rips(Y, grid.dim - 1, thresh)
        dims.append(_local_dimension(dgms, r))
        if grid.compare:
            model = _model_diagrams(grid.dim, len(Y), round(1000 * r / s), grid.seed)
            score = _bottleneck(dgms, [s * d for d in model], BOTTLENECK_ERROR * s)
            scores.append(score)
            if score > best[0]:
                best = (score, r, s)
    if not dims:
        return np.nan, np.nan, np.nan, np.nan, -1, 0
    dim = int(np.bincount(dims).argmax())
    mean = float(np.mean(scores)) if scores else np.nan
    top = best[0] if scores else np.nan
    return mean, top, best[1], best[2], dim, len(dims)


def _score_chunk(plan: _Plan, idx: np.ndarray) -> np.ndarray:
    """Rows ``(mean, max, peak r, peak s, dimension, usable pairs)`` for points ``idx``."""
    s_max = float(plan.grid.pairs[:, 1].max())
    nbrs, dists = plan.tree.query_radius(plan.X[idx], s_max, return_distance=True)
    rows = [ball_scores(plan.grid, i, d, plan.X[nb]) for i, d, nb in zip(idx, dists, nbrs)]
    return np.array(rows, dtype=np.float64).reshape(len(idx), 6)


def _run(plan: _Plan, n_jobs: int) -> np.ndarray:
    from joblib import Parallel, delayed, effective_n_jobs

    n = len(plan.X)
    jobs = min(effective_n_jobs(n_jobs), n)
    if jobs == 1:
        return _score_chunk(plan, np.arange(n))
    chunks = np.array_split(np.arange(n), min(n, jobs * _CHUNKS_PER_JOB))
    parts = Parallel(n_jobs=jobs)(delayed(_score_chunk)(plan, c) for c in chunks)
    return np.concatenate(parts)


def _warn_uncovered(result: np.ndarray, min_points: int) -> None:
    bare = int((result[:, 5] == 0).sum())
    if bare == len(result):
        raise InputError(
            f"every annulus holds fewer than min_points={min_points} points; widen them "
            "(a larger s, a smaller r, or leave r and s unset) or lower min_points "
            "(--min-points)"
        )
    if bare:
        logger.warning(
            "%d of %d points have no annulus with min_points=%d points (score NaN); "
            "widen the annuli (larger s) to score them",
            bare,
            len(result),
            min_points,
        )


def _plan(X, dim, r, s, steps, k, max_points, min_points, seed, compare) -> _Plan:
    X = check_points(X, "points", min_points=3)
    n, ambient = X.shape
    dim = _check_dim(dim, ambient)
    steps = _check_int("steps", steps, 1)
    k = _check_int("k", k, 2, n - 1)
    min_points = _check_int("min_points", min_points, 2)
    max_points = _check_int("max_points", max_points, min_points)
    seed = _check_int("seed", seed, 0)
    pairs = _scale_pairs(X, r, s, steps, k)
    return _Plan(X, KDTree(X), AnnulusGrid(pairs, dim, max_points, min_points, seed, compare))


# -- public entry points ----------------------------------------------------------------------


def euclidicity(
    X,
    dim: int,
    r: float | tuple[float, float] | None = None,
    s: float | tuple[float, float] | None = None,
    steps: int = 3,
    k: int = 100,
    n_jobs: int = 1,
    seed: int = 0,
    max_points: int = 80,
    min_points: int = 10,
) -> SingularityScores:
    """Euclidicity of every point: how far its annuli are from annuli of ``R^dim``.

    Parameters
    ----------
    X : array-like
        ``(n, d)`` points.
    dim : int
        Assumed intrinsic dimension ``n`` (the model space is ``R^n``), at most ``d``.
    r, s : float or (float, float), optional
        Inner and outer radii (one value, or a range sampled at ``steps`` values); only
        pairs ``r < s`` are used. Default: fractions of the median ``k``-th neighbour
        distance, ``r`` 0.5–0.8 and ``s`` 1.0–1.3 of it.
    steps : int, default 3
        Grid values per radius range (work grows with ``steps ** 2``).
    k : int, default 100
        Neighbours whose distances set the default radii.
    n_jobs : int, default 1
        Worker processes (``-1``: all cores).
    seed : int, default 0
        Seed for the model samples and the thinning; same seed, same scores.
    max_points : int, default 80
        Annuli with more points are thinned to this many (a seeded random subset).
    min_points : int, default 10
        Annuli with fewer points are left out.

    Returns
    -------
    SingularityScores

    Raises
    ------
    InputError
        Bad points, ``dim`` above the ambient dimension, no pair ``r < s``, ``k`` not below
        the number of points, or fewer than ``min_points`` points in every annulus.

    Examples
    --------
    >>> from tda_pipe.datasets import wedge_of_spheres
    >>> import numpy as np
    >>> X = wedge_of_spheres(600, seed=0)
    >>> scores = euclidicity(X, dim=2, steps=2)
    >>> scores.euclidicity.shape, scores.dim
    ((600,), 2)
    >>> near = np.linalg.norm(X, axis=1) < 0.6  # around the wedge point, the origin
    >>> bool(scores.euclidicity[near].mean() > 1.5 * scores.euclidicity[~near].mean())
    True
    """
    plan = _plan(X, dim, r, s, steps, k, max_points, min_points, seed, True)
    result = _run(plan, n_jobs)
    _warn_uncovered(result, plan.grid.min_points)
    return SingularityScores(
        euclidicity=result[:, 0],
        euclidicity_max=result[:, 1],
        peak_r=result[:, 2],
        peak_s=result[:, 3],
        intrinsic_dim=result[:, 4].astype(np.int64),
        n_scales=result[:, 5].astype(np.int64),
        r=np.unique(plan.grid.pairs[:, 0]),
        s=np.unique(plan.grid.pairs[:, 1]),
        dim=plan.grid.dim,
    )


def persistent_intrinsic_dimension(
    X,
    max_dim: int | None = None,
    r: float | tuple[float, float] | None = None,
    s: float | tuple[float, float] | None = None,
    steps: int = 3,
    k: int = 100,
    n_jobs: int = 1,
    seed: int = 0,
    max_points: int = 80,
    min_points: int = 10,
) -> np.ndarray:
    """Local dimension of every point, read off the persistent homology of its annuli.

    Near a point of an ``n``-manifold each annulus is ``S^(n-1) x [r, s]``: its highest
    homology class alive at filtration value ``r`` sits in dimension ``n - 1``. The estimate
    is ``1 +`` that dimension, the most frequent value over the scale grid.

    Parameters
    ----------
    X : array-like
        ``(n, d)`` points.
    max_dim : int, optional
        Largest dimension that can be found (homology up to ``max_dim - 1`` is computed);
        default ``min(d, 3)``.
    r, s, steps, k, n_jobs, seed, max_points, min_points
        As for :func:`euclidicity`.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int dimensions; -1 where no annulus held ``min_points`` points.

    Examples
    --------
    >>> from tda_pipe.datasets import circle
    >>> dims = persistent_intrinsic_dimension(circle(300, seed=0), steps=3, k=30)
    >>> int((dims == 1).mean() > 0.9)
    1
    """
    if max_dim is None:
        max_dim = min(np.shape(X)[1] if np.ndim(X) == 2 else 1, 3)
    plan = _plan(X, max_dim, r, s, steps, k, max_points, min_points, seed, False)
    result = _run(plan, n_jobs)
    _warn_uncovered(result, plan.grid.min_points)
    return result[:, 4].astype(np.int64)
