"""Input checks: one clear :class:`InputError` line each, the one vocabulary of tda-pipe.

Option values go through :func:`check_int`, :func:`check_real` and :func:`check_choice`, with
one meaning everywhere: an integer is a Python or NumPy integer, never a ``bool``; a number is
an integer or a Python or NumPy float, never a ``bool``, never NaN (nor infinite unless asked).
Arrays go through :func:`check_points`, :func:`check_image`, :func:`check_distance_matrix` and
:func:`check_diagram`. Messages say what is wrong and how to fix it; the caller (the CLI)
prefixes the file name.

Examples
--------
>>> import numpy as np
>>> check_int(np.int64(3), "epochs", low=1), check_real(1, "lr", low=0, low_open=True)
(3, 1.0)
>>> check_int(True, "epochs", low=1)
Traceback (most recent call last):
...
tda_pipe.errors.InputError: epochs must be an integer >= 1, not True
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np

from tda_pipe.errors import InputError

if TYPE_CHECKING:
    from scipy import sparse

__all__ = [
    "available_memory",
    "check_choice",
    "check_diagram",
    "check_distance_matrix",
    "check_image",
    "check_int",
    "check_max_dim",
    "check_metric",
    "check_points",
    "check_real",
    "format_bytes",
]


# ------------------------------------------------------------------ option values


def check_int(value: object, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an ``int`` if it is an integer (Python or NumPy, not ``bool``) in range.

    Raises :class:`InputError` ``"<name> must be an integer >= <low>, not <value>"`` (or
    ``<= high``, ``in [low, high]``) otherwise.

    Examples
    --------
    >>> check_int(2.0, "k")
    Traceback (most recent call last):
    ...
    tda_pipe.errors.InputError: k must be an integer, not 2.0
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        ok = False
    else:
        ok = (low is None or value >= low) and (high is None or value <= high)
    if not ok:
        raise InputError(
            f"{name} must be an integer{_range(low, high, False, False)}, not {value!r}"
        )
    return int(value)


def check_real(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """``value`` as a ``float`` if it is a number (not ``bool``, not NaN) in range.

    Infinite values pass only with ``allow_inf`` (and the bounds still apply). ``low_open`` and
    ``high_open`` make the bounds strict. Raises :class:`InputError` ``"<name> must be a number
    > 0, not <value>"`` (or ``>= low``, ``in (low, high)``, ...) otherwise.

    Examples
    --------
    >>> check_real(0.3, "test_fraction", low=0, high=1, low_open=True, high_open=True)
    0.3
    >>> check_real(float("nan"), "lam", low=0)
    Traceback (most recent call last):
    ...
    tda_pipe.errors.InputError: lam must be a number >= 0, not nan
    """
    ok = isinstance(value, Real) and not isinstance(value, bool) and not math.isnan(value)
    if ok and not allow_inf:
        ok = math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        where = _range(low, high, low_open, high_open)
        raise InputError(f"{name} must be a number{where}, not {value!r}")
    return float(value)


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``; else :class:`InputError` naming them.

    Examples
    --------
    >>> check_choice("alpha", "mode", ("learned", "rips"))
    Traceback (most recent call last):
    ...
    tda_pipe.errors.InputError: unknown mode 'alpha'; choose learned, rips
    """
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise InputError(f"unknown {name} {value!r}; choose {', '.join(choices)}")
    return value


def _range(low, high, low_open: bool, high_open: bool) -> str:
    """`` >= 1``, `` in (0, 1)``, ... : the words of a range for a message."""
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""


# ------------------------------------------------------------------ arrays


def _check_finite(array: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        kind = "NaN" if np.isnan(array).any() else "infinite"
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"{what} has {int(bad.sum())} {kind} value(s), first at index {first}; "
            "remove or impute them before computing persistence"
        )


def _as_float_array(data, what: str) -> np.ndarray:
    try:
        return np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{what} is not numeric ({exc})") from exc


def check_points(points, what: str = "point cloud", min_points: int = 2) -> np.ndarray:
    """Return ``points`` as a finite float64 ``(n, d)`` array with ``n >= min_points``.

    Points whose distances float64 cannot hold are refused rather than rescaled: where the
    squared coordinates or squared coordinate differences (which every Euclidean distance
    sums) overflow, distances would be ``inf``; where the largest squared difference is below
    the smallest normal float64 (about 2.2e-308), distances would be 0 or lose their digits.
    The message says to rescale the data (persistence scales with it).
    """
    X = _as_float_array(points, what)
    if X.ndim != 2:
        hint = (
            "; reshape a single column to (n, 1) with X.reshape(-1, 1)"
            if X.ndim == 1
            else "; for an image or voxel grid use --filtration cubical"
        )
        raise InputError(
            f"{what} must be a 2-D (n_points, n_dims) array, got shape {X.shape}{hint}"
        )
    if X.shape[0] < min_points:
        raise InputError(f"{what} has {X.shape[0]} point(s); at least {min_points} are needed")
    if X.shape[1] == 0:
        raise InputError(f"{what} has points with 0 coordinates")
    _check_finite(X, what)
    _check_scale(X, what)
    return X


def _check_scale(X: np.ndarray, what: str) -> None:
    """An :class:`InputError` if the squares in a distance of ``X`` over- or underflow float64."""
    with np.errstate(over="ignore", under="ignore"):
        extent = X.max(axis=0) - X.min(axis=0)  # per coordinate, the largest difference
        largest = np.sum(np.maximum(extent, np.abs(X).max(axis=0)) ** 2)
        spread = np.sum(extent**2)
    size = float(np.abs(X).max())
    if not np.isfinite(largest):
        raise InputError(
            f"{what} has coordinates up to {size:.3g}: their squares overflow float64, so "
            f"distances would be infinite; rescale the data (e.g. divide it by {size:.0e})"
        )
    if extent.any() and spread < np.finfo(np.float64).tiny:
        span = float(extent.max())
        raise InputError(
            f"{what} spans only {span:.3g}: squared coordinate differences underflow float64, "
            f"so distances would be 0 or imprecise; rescale the data (e.g. divide it by "
            f"{span:.0e})"
        )


def check_diagram(dgm, what: str = "the diagram") -> np.ndarray:
    """Return one persistence diagram as a float64 ``(k, 2)`` array of ``(birth, death)`` rows.

    Births must be finite, deaths ``>= birth`` (``inf`` for an essential class); NaN anywhere
    is an :class:`InputError` naming ``what`` (e.g. ``"H1"``) and the first bad row.
    """
    dgm = _as_float_array(dgm, what)
    if dgm.size == 0:
        return np.empty((0, 2))
    if dgm.ndim != 2 or dgm.shape[1] != 2:
        raise InputError(
            f"{what} must be a (k, 2) array of (birth, death) rows, got shape {dgm.shape} "
            "(one diagram as Diagrams: Diagrams([array]))"
        )
    dgm = np.ascontiguousarray(dgm)
    problems = (
        (np.isnan(dgm).any(axis=1), "NaN value(s)", "remove those rows or recompute"),
        (
            np.isinf(dgm[:, 0]),
            "infinite birth(s)",
            "births must be finite (inf deaths are the essential classes)",
        ),
        (dgm[:, 1] < dgm[:, 0], "death(s) before birth", "check the column order (birth, death)"),
    )
    for bad, kind, fix in problems:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            b, d = dgm[row]
            raise InputError(
                f"{what} has {int(bad.sum())} row(s) with {kind}, first row {row} "
                f"({b:g}, {d:g}); {fix}"
            )
    return dgm


def is_sparse(x: object) -> bool:
    """Whether ``x`` is a scipy sparse matrix or array, without importing scipy.sparse (0.2 s
    of start-up): where no module has imported it, no sparse matrix can exist."""
    module = sys.modules.get("scipy.sparse")
    return module is not None and module.issparse(x)


def check_distance_matrix(D, what: str = "distance matrix"):
    """Return a square, symmetric, finite, non-negative distance matrix (dense or sparse).

    The diagonal may hold non-negative vertex weights (the values at which vertices enter).
    """
    if is_sparse(D):
        from scipy import sparse

        D = sparse.coo_matrix(D, dtype=np.float64)
        D.sum_duplicates()
        shape, values = D.shape, D.data
    else:
        D = _as_float_array(D, what)
        shape, values = D.shape, D
    if len(shape) != 2 or shape[0] != shape[1]:
        raise InputError(
            f"{what} must be square (n, n), got shape {shape}; "
            "drop --metric precomputed if the rows are points"
        )
    if shape[0] < 2:
        raise InputError(f"{what} describes {shape[0]} point(s); at least 2 are needed")
    _check_finite(values, what)
    if (values < 0).any():
        raise InputError(f"{what} has negative entries; distances must be >= 0")
    if is_sparse(D):
        # a sparse graph may store each edge once; stored twice, the two values must agree
        A = D.tocsr()
        B = A.T.tocsr()
        asym = abs(A.multiply(B != 0) - B.multiply(A != 0)).max() if D.nnz else 0.0
        scale = np.abs(D.data).max() if D.nnz else 1.0
    else:
        asym = np.abs(D - D.T).max()
        scale = np.abs(D).max()
    if asym > 1e-9 * max(scale, 1.0):
        raise InputError(
            f"{what} is not symmetric (largest |D - D.T| = {asym:.3g}); "
            "pass a symmetric matrix, e.g. (D + D.T) / 2"
        )
    return _symmetric_csr(D) if is_sparse(D) else D


def _symmetric_csr(D: sparse.coo_matrix) -> sparse.csr_matrix:
    """Each stored edge in both orientations (the first stored value), the diagonal once."""
    from scipy import sparse

    lo, hi = np.minimum(D.row, D.col), np.maximum(D.row, D.col)
    _, first = np.unique(lo * D.shape[0] + hi, return_index=True)
    lo, hi, data = lo[first], hi[first], D.data[first]
    off = lo != hi
    rows = np.concatenate([lo, hi[off]])
    cols = np.concatenate([hi, lo[off]])
    return sparse.csr_matrix((np.concatenate([data, data[off]]), (rows, cols)), shape=D.shape)


def check_image(image, what: str = "image") -> np.ndarray:
    """Return a finite float64 array of 1 to 3 dimensions (pixels or voxels)."""
    img = _as_float_array(image, what)
    if not 1 <= img.ndim <= 3 or img.size < 2:
        raise InputError(
            f"{what} must be a 1-D signal, 2-D image or 3-D voxel grid, got shape {img.shape}"
        )
    _check_finite(img, what)
    return img


def check_max_dim(max_dim: int) -> int:
    """Homology dimensions are integers from 0 up."""
    return check_int(max_dim, "max_dim", low=0)


#: Metric names every supported scikit-learn accepts: known without importing it (0.5 s).
COMMON_METRICS = ("euclidean", "sqeuclidean", "manhattan", "cityblock", "cosine", "chebyshev")


def check_metric(metric) -> str:
    """A metric scikit-learn's ``pairwise_distances`` knows, a callable, or ``"precomputed"``."""
    if metric == "precomputed" or callable(metric) or metric in COMMON_METRICS:
        return metric
    from sklearn.metrics.pairwise import pairwise_distances

    try:
        pairwise_distances(np.eye(2), metric=metric)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"unknown metric {metric!r}; use a scikit-learn/scipy metric name such as "
            "'euclidean', 'manhattan', 'cosine', or 'precomputed'"
        ) from exc
    return metric


def available_memory() -> int:
    """Bytes of memory available to a new allocation (``MemAvailable``, else free pages)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def format_bytes(n: float) -> str:
    """Human-readable size, in powers of ten beyond 10^5 TiB (estimates of hopeless requests).

    >>> format_bytes(3 * 2**30), format_bytes(1e40)
    ('3.0 GiB', '9.1e+27 TiB')
    """
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    i = 0
    while n >= 1024 and i < len(units) - 1:
        n /= 1024
        i += 1
    return f"{n:.1f} {units[i]}" if n < 1e5 else f"{n:.1e} {units[i]}"
