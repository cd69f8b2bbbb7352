"""The arithmetic of the diagram vectorisations, importable without scikit-learn.

:mod:`tda_pipe.tda.features` puts scikit-learn's estimator protocol (``get_params``,
``clone``, pipelines) over these classes and documents them; the command line's features
stage uses them directly, so that ``tda-pipe analyze`` starts without importing
scikit-learn (and, through it, ``scipy.stats``: half a second).

Memory stays O(bars + grid) per diagram whatever its size (a cloud of 10^6 points has some
3.5 million bars): Betti curves are counted with two sorted searches, landscapes keep the top
``n_landscapes`` tents block by block (bars that cover no grid point left out: their tents are
0 there), and persistence images sum separable Gaussians block by block.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tda_pipe.errors import InputError
from tda_pipe.tda.diagrams import Diagrams, check_diagrams
from tda_pipe.tda.validation import check_diagram

DiagramsLike = Diagrams | Sequence[Diagrams]
ESSENTIAL = ("drop", "clip")


def _finite_lifetimes(dgm: np.ndarray) -> np.ndarray:
    if isinstance(dgm, Diagrams):
        raise InputError("pass one dimension's (k, 2) array, e.g. diagrams[1], not Diagrams")
    dgm = check_diagram(dgm, "the diagram")
    life = dgm[:, 1] - dgm[:, 0]
    return life[np.isfinite(life)]


def total_persistence(dgm: np.ndarray, order: float = 1.0) -> float:
    r"""Total persistence of the finite classes of one diagram.

    .. math:: \operatorname{Pers}_q(D) = \sum_{(b, d) \in D,\; d < \infty} (d - b)^q

    Parameters
    ----------
    dgm : array of shape (k, 2)
        ``(birth, death)`` rows; rows with an infinite death are ignored. NaN, an infinite
        birth or a death before its birth is an :class:`~tda_pipe.errors.InputError`.
    order : float
        The exponent ``q``.

    Returns
    -------
    float
        ``0.0`` for a diagram without finite classes.

    Examples
    --------
    >>> total_persistence(np.array([[0.0, 1.0], [0.5, 2.5], [0.0, np.inf]]))
    3.0
    >>> total_persistence(np.array([[0.0, 1.0], [0.5, 2.5]]), order=2)
    5.0
    """
    return float(np.sum(_finite_lifetimes(dgm) ** order))


def persistence_entropy(dgm: np.ndarray) -> float:
    r"""Shannon entropy (natural log) of the normalised lifetimes of the finite classes.

    With lifetimes :math:`\ell_i = d_i - b_i` of the classes with :math:`d_i < \infty`,

    .. math:: E(D) = -\sum_i p_i \ln p_i, \qquad p_i = \ell_i / \textstyle\sum_j \ell_j,

    where a zero lifetime contributes :math:`0 \ln 0 = 0`. ``n`` equal lifetimes give
    :math:`\ln n`; one dominant class gives about 0.

    Parameters
    ----------
    dgm : array of shape (k, 2)
        ``(birth, death)`` rows; rows with an infinite death are ignored. NaN, an infinite
        birth or a death before its birth is an :class:`~tda_pipe.errors.InputError`.

    Returns
    -------
    float
        ``0.0`` for a diagram without finite classes of positive lifetime.

    Examples
    --------
    >>> import math
    >>> persistence_entropy(np.array([[0.0, 1.0], [2.0, 3.0], [0.0, np.inf]])) == math.log(2)
    True
    >>> persistence_entropy(np.empty((0, 2)))
    0.0
    """
    life = _finite_lifetimes(dgm)
    life = life[life > 0]
    if life.size == 0:
        return 0.0
    p = life / life.sum()
    return float(-np.sum(p * np.log(p)) + 0.0)  # + 0.0 turns -0.0 into 0.0


def _as_list(X: DiagramsLike) -> list[Diagrams]:
    """``X`` as a non-empty list of valid :class:`Diagrams` (a bare array is refused)."""
    if isinstance(X, np.ndarray):
        check_diagrams(X, "X")  # refused, with what to pass instead
    dgms = [X] if isinstance(X, Diagrams) else list(X)
    if not dgms:
        raise InputError("no diagrams given: pass a Diagrams or a non-empty list of them")
    return [check_diagrams(d, f"diagram {i}") for i, d in enumerate(dgms)]


def _span(values: np.ndarray) -> tuple[float, float] | None:
    """``(min, max)`` of the finite ``values``, widened to length 1 if degenerate."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    lo, hi = float(values.min()), float(values.max())
    return lo, hi if hi > lo else lo + 1.0


class _Vectorizer:
    """Dimension selection, essential classes and block concatenation shared by all.

    Subclasses define ``__init__`` (storing ``dims``, ``essential`` and their own
    parameters), ``_fit_blocks``, ``_transform_block`` and ``_block_names``.
    """

    dims: Sequence[int]
    essential: str

    def _columns(self, X: DiagramsLike, dims: Sequence[int]) -> list[list[np.ndarray]]:
        """Per dimension of ``dims``, the ``(k, 2)`` arrays of every diagram in ``X``."""
        dgms = _as_list(X)
        for i, d in enumerate(dgms):
            if len(d) <= max(dims):
                raise InputError(
                    f"diagram {i} holds H0..H{len(d) - 1} but dims asks for H{max(dims)}; "
                    "compute it with a higher max_dim or pass smaller dims"
                )
        return [[np.asarray(d[p], dtype=np.float64).reshape(-1, 2) for d in dgms] for p in dims]

    def _prepare(self, dgm: np.ndarray) -> np.ndarray:
        """``dgm`` without essential classes, or with their deaths clipped at ``clip_value_``."""
        essential = np.isinf(dgm[:, 1])
        if self.essential == "drop":
            return dgm[~essential]
        out = dgm.copy()
        out[essential, 1] = np.maximum(self.clip_value_, dgm[essential, 0])
        return out

    def _prepared(self, column: list[np.ndarray]) -> list[np.ndarray]:
        return [self._prepare(d) for d in column]

    def _ranges(self, columns: list[list[np.ndarray]]) -> list[tuple[float, float]]:
        """Per dimension ``(smallest birth, largest death)``, falling back to the global span."""
        spans = [_span(np.concatenate([np.ravel(d) for d in col])) for col in columns]
        return [span if span is not None else self.span_ for span in spans]

    def fit(self, X: DiagramsLike, y: object = None) -> _Vectorizer:
        """Learn ``clip_value_`` and the per-dimension ranges from the diagrams ``X``.

        Parameters
        ----------
        X : Diagrams or list of Diagrams
        y : ignored

        Returns
        -------
        self
        """
        if self.essential not in ESSENTIAL:
            raise ValueError(f"essential must be one of {ESSENTIAL}, got {self.essential!r}")
        dims = tuple(int(p) for p in self.dims)
        if not dims or min(dims) < 0:
            raise ValueError(f"dims must be non-empty homology dimensions >= 0, got {self.dims}")
        columns = self._columns(X, dims)
        values = np.concatenate([np.ravel(d) for col in columns for d in col])
        self.dims_ = dims
        self.span_ = _span(values) or (0.0, 1.0)
        self.clip_value_ = self.span_[1]
        self._fit_blocks([self._prepared(col) for col in columns])
        return self

    def transform(self, X: DiagramsLike) -> np.ndarray:
        """Feature matrix of ``X``: one row per diagram, dimension blocks side by side.

        Parameters
        ----------
        X : Diagrams or list of Diagrams

        Returns
        -------
        ndarray of shape (n_diagrams, n_features), float64
        """
        self._check_fitted()
        columns = self._columns(X, self.dims_)
        blocks = [self._transform_block(i, col) for i, col in enumerate(columns)]
        return np.hstack(blocks).astype(np.float64)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names ``H{p}_{feature}`` of the output columns, in order."""
        self._check_fitted()
        return np.array(
            [f"H{p}_{name}" for i, p in enumerate(self.dims_) for name in self._block_names(i)],
            dtype=object,
        )

    def fit_transform(self, X: DiagramsLike, y: object = None) -> np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same diagrams."""
        return self.fit(X, y).transform(X)

    def _check_fitted(self) -> None:
        if not hasattr(self, "dims_"):
            raise AttributeError(f"this {type(self).__name__} is not fitted: call fit first")

    def _fit_blocks(self, columns: list[list[np.ndarray]]) -> None:
        """Learn what each dimension's block needs from the prepared diagrams."""

    def _transform_block(self, i: int, column: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def _block_names(self, i: int) -> list[str]:
        raise NotImplementedError


class BettiCurve(_Vectorizer):
    """The arithmetic of :class:`tda_pipe.tda.features.BettiCurve`."""

    def __init__(
        self, dims: Sequence[int] = (0, 1), essential: str = "drop", resolution: int = 100
    ) -> None:
        self.dims = dims
        self.essential = essential
        self.resolution = resolution

    def _fit_blocks(self, columns: list[list[np.ndarray]]) -> None:
        self.grids_ = [np.linspace(lo, hi, self.resolution) for lo, hi in self._ranges(columns)]

    def _transform_block(self, i: int, column: list[np.ndarray]) -> np.ndarray:
        grid = self.grids_[i]
        return np.array([_alive(d, grid) for d in self._prepared(column)], dtype=np.float64)

    def _block_names(self, i: int) -> list[str]:
        return [f"betti_{j}" for j in range(self.resolution)]


class PersistenceLandscape(_Vectorizer):
    """The arithmetic of :class:`tda_pipe.tda.features.PersistenceLandscape`."""

    def __init__(
        self,
        dims: Sequence[int] = (0, 1),
        essential: str = "drop",
        n_landscapes: int = 5,
        resolution: int = 100,
    ) -> None:
        self.dims = dims
        self.essential = essential
        self.n_landscapes = n_landscapes
        self.resolution = resolution

    def _fit_blocks(self, columns: list[list[np.ndarray]]) -> None:
        self.ranges_ = self._ranges(columns)
        self.grids_ = [np.linspace(lo, hi, self.resolution) for lo, hi in self.ranges_]

    def _transform_block(self, i: int, column: list[np.ndarray]) -> np.ndarray:
        grid, k = self.grids_[i], self.n_landscapes
        rows = []
        for dgm in self._prepared(column):
            top = np.zeros((k, len(grid)))
            for start in range(0, len(dgm), _chunk(len(grid))):
                bars = dgm[start : start + _chunk(len(grid))]
                tents = np.minimum(grid - bars[:, :1], bars[:, 1:] - grid).clip(min=0.0)
                top = _top(np.vstack([top, tents]), k)
            rows.append(top.ravel())
        return np.array(rows, dtype=np.float64).reshape(len(column), k * len(grid))

    def _block_names(self, i: int) -> list[str]:
        return [
            f"landscape{k + 1}_{j}"
            for k in range(self.n_landscapes)
            for j in range(self.resolution)
        ]


#: Bars per block of the landscapes and images: a block holds ``bars x grid`` floats (32 MB).
_BLOCK_FLOATS = 1 << 22


def _chunk(grid_size: int) -> int:
    return max(_BLOCK_FLOATS // max(grid_size, 1), 1)


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest entries of each column of ``values``, largest first."""
    part = -np.partition(-values, k - 1, axis=0)[:k]
    return -np.sort(-part, axis=0)


def _alive(dgm: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Classes with ``birth <= t < death`` at each ``t`` of ``grid`` (gudhi's Betti curve)."""
    births = np.searchsorted(np.sort(dgm[:, 0]), grid, side="right")
    return births - np.searchsorted(np.sort(dgm[:, 1]), grid, side="right")


class PersistenceImage(_Vectorizer):
    """The arithmetic of :class:`tda_pipe.tda.features.PersistenceImage`."""

    def __init__(
        self,
        dims: Sequence[int] = (0, 1),
        essential: str = "drop",
        resolution: tuple[int, int] = (20, 20),
        bandwidth: float | None = None,
        weight: str = "persistence",
    ) -> None:
        self.dims = dims
        self.essential = essential
        self.resolution = resolution
        self.bandwidth = bandwidth
        self.weight = weight

    def _fit_blocks(self, columns: list[list[np.ndarray]]) -> None:
        if self.weight not in ("persistence", "constant"):
            raise ValueError(f"weight must be 'persistence' or 'constant', got {self.weight!r}")
        self.im_ranges_, self.bandwidths_, self.max_persistences_ = [], [], []
        for col, (lo, hi) in zip(columns, self._ranges(columns)):
            dgm = np.concatenate(col)
            if len(dgm):
                b_lo, b_hi = dgm[:, 0].min(), dgm[:, 0].max()
                p_max = max((dgm[:, 1] - dgm[:, 0]).max(), 0.0) or 1.0
            else:
                b_lo, b_hi, p_max = lo, hi, hi - lo
            bw = self.bandwidth or 0.1 * max(b_hi - b_lo, p_max)
            self.im_ranges_.append((b_lo - bw, b_hi + bw, 0.0, p_max + bw))
            self.bandwidths_.append(float(bw))
            self.max_persistences_.append(float(p_max))

    def _transform_block(self, i: int, column: list[np.ndarray]) -> np.ndarray:
        b_lo, b_hi, p_lo, p_hi = self.im_ranges_[i]
        n_birth, n_pers = self.resolution
        births, persistences = np.linspace(b_lo, b_hi, n_birth), np.linspace(p_lo, p_hi, n_pers)
        two_var = 2 * self.bandwidths_[i] ** 2
        rows = []
        for dgm in self._prepared(column):
            image = np.zeros((n_pers, n_birth))
            for start in range(0, len(dgm), _chunk(n_birth + n_pers)):
                block = dgm[start : start + _chunk(n_birth + n_pers)]
                life = block[:, 1] - block[:, 0]
                if self.weight == "persistence":
                    w = np.minimum(life / self.max_persistences_[i], 1.0)
                else:
                    w = np.ones(len(block))
                along_birth = np.exp(-np.square(block[:, :1] - births) / two_var)
                along_pers = np.exp(-np.square(life[:, None] - persistences) / two_var)
                image += (along_pers * w[:, None]).T @ along_birth  # the Gaussian separates
            rows.append(image.ravel() / (np.pi * two_var))
        return np.array(rows).reshape(len(column), n_pers * n_birth)

    def _block_names(self, i: int) -> list[str]:
        n_birth, n_pers = self.resolution
        return [f"pixel_{r}_{c}" for r in range(n_pers) for c in range(n_birth)]


class PersistenceEntropy(_Vectorizer):
    """The arithmetic of :class:`tda_pipe.tda.features.PersistenceEntropy`."""

    def __init__(self, dims: Sequence[int] = (0, 1), essential: str = "drop") -> None:
        self.dims = dims
        self.essential = essential

    def _transform_block(self, i: int, column: list[np.ndarray]) -> np.ndarray:
        return np.array([[persistence_entropy(d)] for d in self._prepared(column)])

    def _block_names(self, i: int) -> list[str]:
        return ["entropy"]


class SummaryStatistics(_Vectorizer):
    """The arithmetic of :class:`tda_pipe.tda.features.SummaryStatistics`."""

    STATISTICS = (
        "count",
        "n_essential",
        "total_persistence",
        "max_lifetime",
        "mean_lifetime",
        "std_lifetime",
        "entropy",
        "mean_birth",
        "mean_death",
    )

    def __init__(self, dims: Sequence[int] = (0, 1), essential: str = "drop") -> None:
        self.dims = dims
        self.essential = essential

    def _statistics(self, raw: np.ndarray) -> list[float]:
        dgm = self._prepare(raw)
        n_essential = float(np.isinf(raw[:, 1]).sum())
        if len(dgm) == 0:
            return [0.0, n_essential] + [0.0] * (len(self.STATISTICS) - 2)
        life = dgm[:, 1] - dgm[:, 0]
        return [
            float(len(dgm)),
            n_essential,
            float(life.sum()),
            float(life.max()),
            float(life.mean()),
            float(life.std()),
            persistence_entropy(dgm),
            float(dgm[:, 0].mean()),
            float(dgm[:, 1].mean()),
        ]

    def _transform_block(self, i: int, column: list[np.ndarray]) -> np.ndarray:
        return np.array([self._statistics(d) for d in column])

    def _block_names(self, i: int) -> list[str]:
        return list(self.STATISTICS)
