"""Memory and time a filtration will take, estimated from its size before anything is built.

Each estimate is a model fitted to measured runs (figures beside each constant; peak RSS
from ``resource.getrusage`` in a fresh process, minus the RSS before the call, on the project's
2-core machine). :func:`check_fits` turns an estimate that will not fit into one
:class:`~tda_pipe.errors.InputError` line: the size, the estimate, the margin, the fix.

Examples
--------
>>> est = cubical_estimate((10_000, 10_000))
>>> est.describe()
'cubical persistence of a 10000 x 10000 image needs about 39.1 GiB for the cubical complex \
(420 bytes a pixel, gudhi) and about 13 min'
>>> check_fits(est, available=16 * 2**30, fixes="downsample it")
Traceback (most recent call last):
...
tda_pipe.errors.InputError: cubical persistence of a 10000 x 10000 image needs about 39.1 GiB \
for the cubical complex (420 bytes a pixel, gudhi) and about 13 min, more than 80% of the \
16.0 GiB available (20% is kept for the rest of the run); downsample it
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tda_pipe.errors import InputError
from tda_pipe.tda.validation import format_bytes

__all__ = [
    "ALPHA_BYTES_PER_SIMPLEX",
    "ALPHA_SECONDS_PER_SIMPLEX",
    "CUBICAL_BYTES_PER_PIXEL",
    "MEMORY_MARGIN",
    "RIPS_COMPLEX_BYTES_PER_PAIR",
    "SPARSE_BYTES_PER_SIMPLEX",
    "TIME_LIMIT_S",
    "WEIGHTED_BYTES_PER_PAIR",
    "WEIGHTED_BYTES_PER_SIMPLEX",
    "Estimate",
    "alpha_estimate",
    "alpha_simplices",
    "check_cubical",
    "check_fits",
    "cubical_estimate",
    "downsampled_shape",
    "format_seconds",
    "intrinsic_dimension",
    "landmark_estimate",
    "mst_estimate",
    "rips_estimate",
    "sparse_rips_estimate",
    "sparse_rips_simplices",
    "weighted_rips_estimate",
    "weighted_rips_simplices",
]

#: Share of the available memory an estimate may take; the rest is left to the run around it
#: (the input, the diagrams, the features, other processes).
MEMORY_MARGIN = 0.8
#: Longest estimated run accepted where the time explodes with the size (alpha in R^d).
TIME_LIMIT_S = 600.0


def format_seconds(seconds: float) -> str:
    """Human-readable duration.

    Examples
    --------
    >>> format_seconds(0.3), format_seconds(90), format_seconds(600), format_seconds(4e4)
    ('0.3 s', '90 s', '10 min', '11 h')
    >>> format_seconds(3.2e9)
    '3.7e+04 days'
    """
    if seconds < 10:
        return f"{seconds:.2g} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.2g} days"


@dataclass(frozen=True)
class Estimate:
    """Memory (by part) and time a computation is expected to take.

    Attributes
    ----------
    what : str
        The computation and its size, e.g. ``"alpha complex of 50000 points in R^10"``.
    parts : tuple of (str, float)
        ``(what the memory is for, bytes)``, summed by :attr:`bytes`.
    seconds : float or None
        Expected run time on the measuring machine; ``None`` where no time model is kept.
    """

    what: str
    parts: tuple[tuple[str, float], ...]
    seconds: float | None = None

    @property
    def bytes(self) -> float:
        """All the memory the computation needs."""
        return sum(size for _, size in self.parts)

    def describe(self) -> str:
        """One clause: ``"<what> needs about <bytes> for <part> ... and about <time>"``."""
        needs = " and ".join(f"{format_bytes(size)} for {label}" for label, size in self.parts)
        if len(self.parts) > 1:
            needs += f", {format_bytes(self.bytes)} in all"
        time = "" if self.seconds is None else f" and about {format_seconds(self.seconds)}"
        return f"{self.what} needs about {needs}{time}"


def check_fits(
    estimate: Estimate, available: float, fixes: str, *, time_limit: float | None = None
) -> None:
    """Raise :class:`InputError` if ``estimate`` takes more than :data:`MEMORY_MARGIN` of the
    ``available`` bytes, or (given ``time_limit``) more than ``time_limit`` seconds.

    The message is one line: the estimate, which limit it passes, then ``fixes``.
    """
    reasons = []
    if estimate.bytes > MEMORY_MARGIN * available:
        reasons.append(
            f"more than {MEMORY_MARGIN:.0%} of the {format_bytes(available)} available "
            f"({1 - MEMORY_MARGIN:.0%} is kept for the rest of the run)"
        )
    if time_limit is not None and estimate.seconds is not None and estimate.seconds > time_limit:
        reasons.append(f"longer than the {format_seconds(time_limit)} allowed")
    if reasons:
        raise InputError(f"{estimate.describe()}, {' and '.join(reasons)}; {fixes}")


# -- cubical ---------------------------------------------------------------------------------

#: Peak memory of gudhi's ``CubicalComplex`` + ``compute_persistence`` + the pairs, through
#: :func:`~tda_pipe.tda.persistence.persistence`, per pixel of a 1-, 2- or 3-D image, the
#: float64 image (8 bytes) included. Measured (gudhi 3.13): 1-D 10^5 and 10^6 pixels, 133-214
#: bytes; 2-D 500^2 to 2000^2, 328-347 random and 403-411 constant; 3-D 50^3 to 150^3, 539-553
#: random and 766-815 constant. The complex has about 2^d cells a pixel, ~100 bytes each.
CUBICAL_BYTES_PER_PIXEL = {1: 220, 2: 420, 3: 820}
#: Seconds per pixel, same runs: 1-D 0.7-2.2 us, 2-D 1.8-8.2 us (random images are the slow
#: ones, slightly slower per pixel as they grow), 3-D 4.6-17.8 us.
_CUBICAL_SECONDS_PER_PIXEL = {1: 2.5e-6, 2: 8e-6, 3: 18e-6}


def cubical_estimate(shape: tuple[int, ...]) -> Estimate:
    """Memory and time of the cubical persistence of an image of ``shape`` (1 to 3 axes).

    Examples
    --------
    >>> est = cubical_estimate((1000, 1000))
    >>> round(est.bytes / 2**20), round(est.seconds)
    (401, 8)
    """
    pixels = math.prod(shape)
    d = min(max(len(shape), 1), 3)
    name = {1: "signal", 2: "image", 3: "voxel grid"}[d]
    return Estimate(
        f"cubical persistence of a {' x '.join(map(str, shape))} {name}",
        (
            (
                f"the cubical complex ({CUBICAL_BYTES_PER_PIXEL[d]} bytes a pixel, gudhi)",
                float(pixels * CUBICAL_BYTES_PER_PIXEL[d]),
            ),
        ),
        pixels * _CUBICAL_SECONDS_PER_PIXEL[d],
    )


# -- alpha -----------------------------------------------------------------------------------

#: Simplices of gudhi's alpha complex (``AlphaComplex(points).create_simplex_tree()``, all
#: dimensions) per point, on standard Gaussian points (uniform ones in the unit cube give 1-15%
#: fewer), as ``d: (n, simplices per point at n, exponent)``; the count per point grows like
#: ``n^exponent``, the exponent fitted on the two largest clouds measured. The Delaunay
#: triangulation explodes with the dimension (and on small clouds nearly every subset is a
#: simplex, hence the exponents). Measured (gudhi 3.13), simplices per point:
#:
#: ====  ============================================================
#: d     n: simplices per point
#: ====  ============================================================
#: 2     1000: 6.0, 4000: 6.0
#: 3     1000: 27.8, 4000: 28.7
#: 4     300: 147, 1000: 167, 4000: 183
#: 5     200: 767, 500: 988, 1000: 1141
#: 6     100: 2975, 200: 4545, 300: 5536
#: 7     50: 6569, 100: 14494, 150: 20487
#: 8     40: 15056, 60: 35337, 80: 53742 (24.5 s for 60 points, 44.5 s for 80)
#: ====  ============================================================
#:
#: Beyond R^8 the count per point is taken five times larger per dimension (the ratio from R^6
#: to R^7 and from R^7 to R^8 at the same n), with the exponent of R^8.
_ALPHA_SIMPLICES = {
    1: (1000, 2.0, 0.0),
    2: (4000, 6.0, 0.0),
    3: (4000, 28.7, 0.02),
    4: (4000, 183.0, 0.066),
    5: (1000, 1141.0, 0.21),
    6: (300, 5536.0, 0.49),
    7: (150, 20487.0, 0.85),
    8: (80, 53742.0, 1.46),
}
_ALPHA_GROWTH_PER_DIM = 5.0
#: Peak memory per simplex of the same runs (building the simplex tree and its persistence):
#: 306-350 bytes on clouds of 10^5 simplices and more, up to 441 on the smallest.
ALPHA_BYTES_PER_SIMPLEX = 350
#: Seconds per simplex of the same runs: 1.4-6 us in R^2 to R^4, 4.5-11 us in R^5 and R^6,
#: 8-20 us in R^7 and R^8 (building the tree is 60-75% of it).
ALPHA_SECONDS_PER_SIMPLEX = 10e-6


def alpha_simplices(n: int, d: int) -> float:
    """Estimated number of simplices of the alpha complex of ``n`` points in general position
    in R^d (see :data:`_ALPHA_SIMPLICES`), at most the number of subsets of up to ``d + 1``
    points.

    Examples
    --------
    >>> round(alpha_simplices(4000, 3)), round(alpha_simplices(3, 10))
    (114800, 7)
    >>> alpha_simplices(50_000, 10) > 1e12
    True
    """
    n_ref, per_point, exponent = _ALPHA_SIMPLICES[min(max(d, 1), 8)]
    log_count = (
        math.log(n)
        + math.log(per_point)
        + exponent * math.log(n / n_ref)
        + max(d - 8, 0) * math.log(_ALPHA_GROWTH_PER_DIM)
    )
    return min(math.exp(min(log_count, 700.0)), _subsets(n, d + 1))


def _subsets(n: int, k_max: int) -> float:
    """Subsets of 1 to ``k_max`` of ``n`` points (in floats: the counts overflow integers)."""
    log_n = math.lgamma(n + 1)
    return math.fsum(
        math.exp(min(log_n - math.lgamma(k + 1) - math.lgamma(n - k + 1), 700.0))
        for k in range(1, min(n, k_max) + 1)
    )


#: From this many points in R^2 and R^3, alpha persistence over Z/2 goes through the Delaunay
#: triangulation (:mod:`tda_pipe.tda.alpha_delaunay`): importing numba and loading its
#: cached loops take 1.8 s once per process, so gudhi is faster below about 1.5e4 points
#: (torus in R^3, 2 cores: 1e4 points 2.1 s against gudhi's 1.4 s, 1e5 points 11.8 s against
#: 28.7 s; benchmarks/bench_scale.py).
DELAUNAY_FROM = 20_000
#: Peak bytes and CPU seconds per point of that route (noisy torus in R^3, 1e5 to 1e6 points:
#: 0.45 GB and 2.8 GB peak; 86 s CPU at 1e6, 51 s of it qhull's triangulation).
DELAUNAY_BYTES_PER_POINT = 3000
DELAUNAY_SECONDS_PER_POINT = 1e-4


def alpha_estimate(n: int, d: int, *, delaunay: bool = False) -> Estimate:
    """Memory and time of the alpha complex and its persistence, ``n`` points in R^d: by gudhi,
    or (``delaunay``, R^2 and R^3) by union-find on the Delaunay triangulation.

    Examples
    --------
    >>> alpha_estimate(50_000, 10).seconds > 1e6
    True
    >>> alpha_estimate(10**6, 3, delaunay=True).bytes / 2**30 < 3
    True
    """
    if delaunay:
        return Estimate(
            f"alpha persistence of {n} points in R^{d} on the Delaunay triangulation",
            (
                (
                    f"the triangulation and its union-finds ({DELAUNAY_BYTES_PER_POINT} bytes "
                    "a point)",
                    n * DELAUNAY_BYTES_PER_POINT,
                ),
            ),
            n * DELAUNAY_SECONDS_PER_POINT,
        )
    simplices = alpha_simplices(n, d)
    return Estimate(
        f"the alpha complex of {n} points in R^{d}",
        (
            (
                f"its ~{simplices:.2g} simplices ({ALPHA_BYTES_PER_SIMPLEX} bytes each, gudhi)",
                simplices * ALPHA_BYTES_PER_SIMPLEX,
            ),
        ),
        simplices * ALPHA_SECONDS_PER_SIMPLEX,
    )


# -- Rips ------------------------------------------------------------------------------------

#: giotto-ph's memory for Rips persistence from a dense float64 matrix, beyond the matrix, per
#: pair of points (bytes times ``n^2``): its float32 copy, the sorted edges and the reduction.
#: Measured (one thread, uniform points in R^3): H0 18-22 (1000 to 4000 points), H1 26-47 (1000
#: to 8000 points), H2 62 (300 points); H2 and above need more on larger clouds.
RIPS_COMPLEX_BYTES_PER_PAIR = 48


def rips_estimate(n: int, max_dim: int | None = None, *, matrix: bool = True) -> Estimate:
    """Memory of Rips persistence on ``n`` points: the dense float64 distance matrix (if
    ``matrix``, i.e. it is still to be computed) and, given ``max_dim``, giotto-ph's complex.

    Examples
    --------
    >>> rips_estimate(20_000).describe()
    'Rips on 20000 points needs about 3.0 GiB for the distance matrix'
    >>> rips_estimate(20_000, 1).describe()  # doctest: +NORMALIZE_WHITESPACE
    'Rips H1 on 20000 points needs about 3.0 GiB for the distance matrix and 17.9 GiB for the
    complex (48 bytes a pair of points, giotto-ph), 20.9 GiB in all'
    """
    parts = [("the distance matrix", 8.0 * n * n)] if matrix else []
    if max_dim is not None:
        parts.append(
            (
                f"the complex ({RIPS_COMPLEX_BYTES_PER_PAIR} bytes a pair of points, giotto-ph)",
                float(RIPS_COMPLEX_BYTES_PER_PAIR) * n * n,
            )
        )
    what = f"Rips on {n} points" if max_dim is None else f"Rips H{max_dim} on {n} points"
    return Estimate(what, tuple(parts))


# -- sparse Rips -----------------------------------------------------------------------------

#: Simplices per point of gudhi's sparse Rips complex up to dimension 2 (H1), at 1000 points
#: and ``epsilon = 0.5``, with how the log of the count grows per unit of ``1 / epsilon`` and
#: the exponent of its growth with ``n``, as ``d: (per point, slope, exponent)``. Measured
#: (gudhi 3.13) on uniform points in the unit cube, simplices per point:
#:
#: ====  =============================================================================
#: d     epsilon (n): simplices per point
#: ====  =============================================================================
#: 1     0.75 (1000, 4000): 12.6, 12.6; 0.5: 14.1, 14.2; 0.25: 32.8, 33.5
#: 2     0.75: 119, 133; 0.5 (500, 1000, 2000, 4000): 213, 249, 271, 288; 0.25: 1506, 1981
#: 3     0.75: 690, 976; 0.5 (500, 1000, 2000): 1700, 2406, 3224
#: 4     0.75 (1000): 3035; 0.5 (500): 7862
#: 5     0.75 (500): 5198; 0.5 (500): 20139
#: ====  =============================================================================
#:
#: The complex's size depends on the doubling dimension of the points, not on the space they
#: lie in: a cloud is counted at its intrinsic dimension (:func:`intrinsic_dimension`, rounded
#: up, at most ``d``), as is a distance matrix. Beyond R^3 the count per point is taken ten
#: times larger per dimension, the slope 0.75 larger, the exponent 0.5 (R^4 and R^5: 1.4-3.5
#: times the counts measured). Below 1000 points the count per point is taken as at 1000 (it
#: falls more slowly there: 300 points in R^3 at 0.75, 486 a point). An ``epsilon`` above
#: 0.75 is counted as 0.75 (at 1 the count is 0.7-1.7 times that at 0.75 from R^2 up; in R^1
#: gudhi's complex grows again, to 61 a point). H2 and above: times ``7 d`` per dimension
#: (measured 1.6 in R^1, 4.7-7.1 in R^2, 11.6-19.6 in R^3). Against these counts the model is
#: 0.85 (R^1) to 4.5 times as large.
_SPARSE_SIMPLICES = {1: (14.1, 0.42, 0.02), 2: (249.0, 1.11, 0.2), 3: (2406.0, 1.87, 0.5)}
#: Peak bytes per simplex of building and reducing it (64-107 measured, the least on the
#: largest complexes), and seconds: gudhi compares every pair of points (per ``n^2``) and then
#: spends 3-7 us a simplex.
SPARSE_BYTES_PER_SIMPLEX = 110
_SPARSE_SECONDS_PER_PAIR = 2e-8
_SPARSE_SECONDS_PER_SIMPLEX = 8e-6


def intrinsic_dimension(
    points: np.ndarray | None = None,
    distances: np.ndarray | None = None,
    sample: int = 1000,
    seed: int = 0,
) -> float:
    """The TwoNN estimate of the intrinsic dimension (Facco et al., Sci. Rep. 2017) of points
    or of a dense distance matrix, on a random ``sample`` of them: the maximum-likelihood
    ``m / sum(log(r2 / r1))`` over the sampled points' distances ``r1 <= r2`` to their two
    nearest other sampled points (points with a duplicate left out); ``nan`` if none is left.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = rng.uniform(0, 2 * np.pi, 2000)
    >>> circle = np.column_stack([np.cos(t), np.sin(t)]) @ rng.standard_normal((2, 50))
    >>> round(intrinsic_dimension(circle), 1), round(intrinsic_dimension(rng.random((2000, 3))))
    (1.0, 3)
    """
    n = len(points if points is not None else distances)
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(n, size=min(n, sample), replace=False))
    if len(idx) < 3:
        return math.nan
    if points is not None:  # squared distances by one product, to find the two neighbours
        Y = np.asarray(points, dtype=np.float64)[idx]
        sq = np.einsum("ij,ij->i", Y, Y)
        D = sq[:, None] + sq[None, :] - 2.0 * (Y @ Y.T)
    else:
        D = np.asarray(distances, dtype=np.float64)[np.ix_(idx, idx)]
    np.fill_diagonal(D, np.inf)
    two = np.argpartition(D, 1, axis=1)[:, :2]
    if points is not None:  # their distances exactly (the product is 1e-8 off at duplicates)
        nearest = np.linalg.norm(Y[two] - Y[:, None, :], axis=2)
    else:
        nearest = np.take_along_axis(D, two, axis=1)
    nearest = np.sort(nearest, axis=1)
    nearest = nearest[nearest[:, 0] > 0]
    if not len(nearest):
        return math.nan
    return len(nearest) / float(np.sum(np.log(nearest[:, 1] / nearest[:, 0])))


def sparse_rips_simplices(n: int, d: float, epsilon: float, max_dim: int = 1) -> float:
    """Estimated simplices of gudhi's sparse Rips complex (up to dimension ``max_dim + 1``) of
    ``n`` points of intrinsic dimension ``d`` (see :data:`_SPARSE_SIMPLICES`), at most the
    number of subsets of up to ``max_dim + 2`` points.

    Examples
    --------
    >>> round(sparse_rips_simplices(1000, 2, 0.5)), round(sparse_rips_simplices(4000, 2, 0.25))
    (249000, 12100549)
    """
    d = min(max(math.ceil(d), 1), 64)
    per_point, slope, exponent = _SPARSE_SIMPLICES[min(d, 3)]
    beyond = max(d - 3, 0)
    log_count = (
        math.log(n)
        + math.log(per_point)
        + beyond * math.log(10.0)
        + (slope + 0.75 * beyond) * (max(1.0 / epsilon, 4 / 3) - 2.0)
        + (0.5 if beyond else exponent) * math.log(max(n, 1000) / 1000)
        + max(max_dim - 1, 0) * math.log(7.0 * d)
    )
    return min(math.exp(min(log_count, 700.0)), _subsets(n, max_dim + 2))


def sparse_rips_estimate(
    n: int, d: float, epsilon: float, max_dim: int, *, matrix: bool = False
) -> Estimate:
    """Memory and time of gudhi's sparse Rips persistence up to H``max_dim``, ``n`` points of
    intrinsic dimension ``d``; with ``matrix``, gudhi's lower-triangular copy of a distance
    matrix (4 bytes a pair of points).

    Examples
    --------
    >>> sparse_rips_estimate(10**5, 2, 0.5, 1).describe()  # doctest: +NORMALIZE_WHITESPACE
    'sparse Rips (epsilon 0.5) H1 on 100000 points of dimension 2 needs about 6.4 GiB for its
    ~6.3e+07 simplices (110 bytes each, gudhi) and about 12 min'
    """
    simplices = sparse_rips_simplices(n, d, epsilon, max_dim)
    parts = [("gudhi's copy of the distance matrix", 4.0 * n * n)] if matrix else []
    parts.append(
        (
            f"its ~{simplices:.2g} simplices ({SPARSE_BYTES_PER_SIMPLEX} bytes each, gudhi)",
            simplices * SPARSE_BYTES_PER_SIMPLEX,
        )
    )
    return Estimate(
        f"sparse Rips (epsilon {epsilon:g}) H{max_dim} on {n} points of dimension {math.ceil(d)}",
        tuple(parts),
        _SPARSE_SECONDS_PER_PAIR * float(n) ** 2 + _SPARSE_SECONDS_PER_SIMPLEX * simplices,
    )


# -- weighted Rips ---------------------------------------------------------------------------

#: Simplices of the weighted Rips complex up to dimension 2 (H1) as gudhi builds it for a flag
#: filtration with vertex values (every edge inserted, ``collapse_edges``, ``expansion``;
#: :func:`~tda_pipe.tda.backends.rips_gudhi`), per point, as ``d: (n, per point at n,
#: exponent)`` like :data:`_ALPHA_SIMPLICES`. Measured (gudhi 3.13) on uniform points in the
#: unit cube with uniform weights in [0, 0.05], simplices per point:
#:
#: ====  ====================================================
#: d     n: simplices per point
#: ====  ====================================================
#: 2     400: 5.3, 500: 5.2, 1000: 4.7 (taken as 6 at any n)
#: 3     250: 24, 500: 43, 1000: 52, 2000: 58
#: 5     250: 206, 500: 777, 1000: 2251
#: 10    250: 1109, 500: 3605, 700: 10933
#: 20    250: 3079, 400: 11800
#: ====  ====================================================
#:
#: DTM weights (k = 10) collapse further: 500 points, 51 a point in R^3, 327 in R^10. A cloud
#: is counted at the next measured dimension up; above R^20, or for a distance matrix (no
#: dimension), as every subset (the complex before the collapse). H2 and above: the H1 count
#: times :data:`_WEIGHTED_HIGHER` per dimension (measured: 1.09 in R^2, 2.0-2.7 in R^3, 6.3
#: in R^5, 15.5 in R^10; R^20 taken as twice R^10). 1000
#: points in R^10 (not in the fit): 3.52e7 simplices, 2.0 GiB, 253 s; estimated 3.5e7, 2.7 GiB.
_WEIGHTED_HIGHER = {2: 1.5, 3: 3.0, 5: 7.0, 10: 16.0, 20: 32.0}
_WEIGHTED_SIMPLICES = {
    2: (1000, 6.0, 0.0),
    3: (2000, 58.0, 0.17),
    5: (1000, 2251.0, 1.53),
    10: (700, 10933.0, 3.3),
    20: (400, 11800.0, 2.9),
}
#: Peak bytes of the same runs: per pair of points beyond the matrix (the ranked edges, all of
#: them in the simplex tree before the collapse; 43-51 measured from 1000 points), and per
#: simplex left (44-76 from 10^6 simplices).
WEIGHTED_BYTES_PER_PAIR = 56
WEIGHTED_BYTES_PER_SIMPLEX = 80
#: Seconds: gudhi's edge collapse, per ``n^3`` (6e-9 to 1.9e-8 up to R^5, up to 5e-8 above;
#: 2000 points in R^3 took 50 s), and persistence per simplex (3.3-6.3 us).
_COLLAPSE_SECONDS_PER_N3 = {5: 2e-8, None: 5e-8}
_WEIGHTED_SECONDS_PER_SIMPLEX = 6e-6


def _table_key(table: dict, d: int | None) -> int | None:
    """The first measured dimension ``>= d`` of ``table``; ``None`` beyond it or unknown."""
    return next((k for k in sorted(table) if d is not None and d <= k), None)


def weighted_rips_simplices(n: int, d: int | None, max_dim: int = 1) -> float:
    """Estimated simplices of the weighted Rips complex (up to dimension ``max_dim + 1``,
    after gudhi's edge collapse) of ``n`` points in R^d (``None``: a distance matrix), at most
    the number of subsets of up to ``max_dim + 2`` points (see :data:`_WEIGHTED_SIMPLICES`).

    Examples
    --------
    >>> round(weighted_rips_simplices(1000, 3))
    51553
    >>> weighted_rips_simplices(1000, None) == _subsets(1000, 3)
    True
    """
    key = _table_key(_WEIGHTED_SIMPLICES, d)
    if key is None:
        return _subsets(n, max_dim + 2)
    n_ref, per_point, exponent = _WEIGHTED_SIMPLICES[key]
    count = n * per_point * (n / n_ref) ** exponent * _WEIGHTED_HIGHER[key] ** max(max_dim - 1, 0)
    return min(count, _subsets(n, max_dim + 2))


def weighted_rips_estimate(n: int, d: int | None, max_dim: int, *, matrix: bool = True) -> Estimate:
    """Memory and time of weighted Rips persistence (vertex values: weighted Rips, DTM, a
    distance matrix with a non-zero diagonal) up to H``max_dim`` on ``n`` points in R^d:
    the matrix (if ``matrix``), the ranked edges, the simplices after the collapse.

    Examples
    --------
    >>> weighted_rips_estimate(5000, 3, 1).describe()  # doctest: +NORMALIZE_WHITESPACE
    'weighted Rips H1 on 5000 points in R^3 needs about 190.7 MiB for the distance matrix and
    1.3 GiB for the ranked edges (56 bytes a pair of points) and 25.9 MiB for its ~3.4e+05
    simplices after the edge collapse (80 bytes each, gudhi), 1.5 GiB in all and about 42 min'
    """
    simplices = weighted_rips_simplices(n, d, max_dim)
    parts = [("the distance matrix", 8.0 * n * n)] if matrix else []
    parts += [
        (
            f"the ranked edges ({WEIGHTED_BYTES_PER_PAIR} bytes a pair of points)",
            float(WEIGHTED_BYTES_PER_PAIR) * n * n,
        ),
        (
            f"its ~{simplices:.2g} simplices after the edge collapse "
            f"({WEIGHTED_BYTES_PER_SIMPLEX} bytes each, gudhi)",
            simplices * WEIGHTED_BYTES_PER_SIMPLEX,
        ),
    ]
    collapse = _COLLAPSE_SECONDS_PER_N3[5 if d is not None and d <= 5 else None]
    where = "" if d is None else f" in R^{d}"
    return Estimate(
        f"weighted Rips H{max_dim} on {n} points{where}",
        tuple(parts),
        collapse * float(n) ** 3 + _WEIGHTED_SECONDS_PER_SIMPLEX * simplices,
    )


# -- H0 by a spanning tree -------------------------------------------------------------------

#: Seconds per ``n^2 d`` (the products) and per ``n^2`` (the vector steps) of H0 by Prim's
#: algorithm on rows computed on the fly (:mod:`tda_pipe.tda.mst`). Measured on 2 cores under
#: a load average of 19 from other work (so slow figures): 20000 points in R^50 349 s, 5000
#: points in R^768 124 s (the model: 331 s and 139 s).
_MST_SECONDS_PER_N2D = 6.5e-9
_MST_SECONDS_PER_N2 = 5.5e-7


def mst_estimate(n: int, d: int) -> Estimate:
    """Memory and time of H0 of Rips on ``n`` points in R^d by a minimum spanning tree.

    Examples
    --------
    >>> mst_estimate(100_000, 768).describe()
    'H0 of Rips on 100000 points in R^768 by a spanning tree needs about 6.1 MiB for its \
vectors and about 15 h'
    """
    seconds = n * n * (d * _MST_SECONDS_PER_N2D + _MST_SECONDS_PER_N2)
    return Estimate(
        f"H0 of Rips on {n} points in R^{d} by a spanning tree",
        (("its vectors", 8.0 * 8 * n),),
        seconds,
    )


# -- landmark Rips ---------------------------------------------------------------------------

#: Float64 multiply-adds a second of the maxmin landmark search (its matrix products), and
#: seconds of gudhi's Rips H1 on 1000 landmarks, growing like the cube of their number.
#: Measured on 2 cores under a load average of 12-16 from other work (so slow figures): 1000
#: landmarks of 10^5 points in R^768 in 28-46 s (a noisy torus, 8 Gaussian blobs); Rips H1 of
#: 1000 landmarks 4-9 s, of 2000 landmarks 40-56 s.
_LANDMARK_FLOPS = 5e9
_LANDMARK_RIPS_H1_SECONDS = 9.0


def landmark_estimate(n: int, d: int, m: int, max_dim: int = 1) -> Estimate:
    """Memory and time of Rips persistence up to H``max_dim`` on ``m`` maxmin landmarks of
    ``n`` points in R^d: the search (a few vectors of ``n``, blocks of products, the pool of
    :data:`~tda_pipe.tda.sampling.POOL_SIZE` points) and Rips on the landmarks
    (:func:`rips_estimate`).

    Examples
    --------
    >>> landmark_estimate(100_000, 768, 1000).describe()  # doctest: +NORMALIZE_WHITESPACE
    'Rips H1 on 1000 maxmin landmarks of 100000 points in R^768 needs about 83.4 MiB for the
    landmark search and 53.4 MiB for Rips on the landmarks, 136.8 MiB in all and about 40 s'
    """
    from tda_pipe.tda.sampling import POOL_SIZE

    search = 8.0 * (4 * n + 8192 * m + min(POOL_SIZE, n) * d + m * d)
    rips = rips_estimate(m, max_dim)
    seconds = 2.0 * n * m * d / _LANDMARK_FLOPS
    if max_dim >= 1:
        seconds += _LANDMARK_RIPS_H1_SECONDS * (m / 1000) ** 3
    return Estimate(
        f"Rips H{max_dim} on {m} maxmin landmarks of {n} points in R^{d}",
        (("the landmark search", search), ("Rips on the landmarks", rips.bytes)),
        seconds,
    )


# -- images ----------------------------------------------------------------------------------


def downsampled_shape(shape: tuple[int, ...], factor: int) -> tuple[int, ...]:
    """Shape of the block mean of ``shape`` by ``factor``: ``ceil(s / factor)`` along each axis
    (the last block of an axis holds what is left).

    Examples
    --------
    >>> downsampled_shape((10_000, 9_999), 3)
    (3334, 3333)
    """
    return tuple(-(-int(s) // factor) for s in shape)


def check_cubical(shape: tuple[int, ...], available: float, downsample: int = 1) -> None:
    """Raise :class:`InputError` if the cubical persistence of an image of ``shape``, block-mean
    downsampled by ``downsample``, would not fit in memory; the message names the smallest
    ``--downsample`` factor that fits.

    Examples
    --------
    >>> check_cubical((10_000, 10_000), available=8 * 2**30, downsample=2)
    Traceback (most recent call last):
    ...
    tda_pipe.errors.InputError: cubical persistence of a 5000 x 5000 image needs about 9.8 GiB \
for the cubical complex (420 bytes a pixel, gudhi) and about 3 min, more than 80% of the 8.0 \
GiB available (20% is kept for the rest of the run); downsample it with --downsample 3 (the \
load parameter downsample=3: means of 3 x 3 pixel blocks) or crop it
    """
    limit = MEMORY_MARGIN * available
    estimate = cubical_estimate(downsampled_shape(shape, downsample))
    if estimate.bytes <= limit:
        return
    factor = downsample + 1
    while cubical_estimate(downsampled_shape(shape, factor)).bytes > limit and factor < max(shape):
        factor += 1
    blocks = " x ".join([str(factor)] * len(shape))
    check_fits(
        estimate,
        available,
        f"downsample it with --downsample {factor} (the load parameter downsample={factor}: "
        f"means of {blocks} pixel blocks) or crop it",
    )
