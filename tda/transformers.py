"""Persistence as a scikit-learn transformer: a list of inputs in, a list of Diagrams out.

:class:`Persistence` (any filtration kind) and the thin named ones :class:`RipsPersistence`,
:class:`AlphaPersistence` and :class:`CubicalPersistence` sit at the head of a scikit-learn
pipeline: ``transform`` computes :func:`tda_pipe.tda.persistence.persistence` of every input
(a point cloud, a distance matrix with ``metric="precomputed"``, or an image), in parallel
threads (gudhi releases the GIL), and returns a list of
:class:`~tda_pipe.tda.diagrams.Diagrams` that the vectorisers of :mod:`tda_pipe.tda.features`
take. They follow scikit-learn's estimator rules: ``__init__`` stores the parameters,
:meth:`~Persistence.fit` checks them (an :class:`~tda_pipe.errors.InputError` in
scikit-learn's message shape, naming the parameter) and ``transform`` refuses to run unfitted.
Nothing is learned: ``fit`` only checks, so ``fit_transform`` equals ``fit(X).transform(X)``.

Examples
--------
>>> import numpy as np
>>> from sklearn.model_selection import cross_val_score
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.svm import SVC
>>> from tda_pipe.datasets import circle
>>> from tda_pipe.tda.features import PersistenceImage
>>> rng = np.random.default_rng(0)
>>> rings = [circle(60, noise=0.05, seed=s) for s in range(10)]
>>> blobs = [rng.normal(scale=0.5, size=(60, 2)) for _ in range(10)]
>>> model = make_pipeline(RipsPersistence(max_dim=1), PersistenceImage(), SVC())
>>> cross_val_score(model, rings + blobs, [1] * 10 + [0] * 10, cv=5).mean()  # circles vs blobs
np.float64(1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral, Real

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tda_pipe.errors import InputError
from tda_pipe.progress import phase
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.filtrations import KINDS, build_filtration
from tda_pipe.tda.persistence import ALL_BACKENDS, check_coeff, persistence
from tda_pipe.tda.validation import check_metric

__all__ = ["AlphaPersistence", "CubicalPersistence", "Persistence", "RipsPersistence"]

#: Filtration kinds a transformer computes: weighted Rips needs weights per input (use
#: ``"dtm"``, or :func:`~tda_pipe.tda.persistence.persistence` with ``weights=``).
FILTRATIONS = tuple(k for k in KINDS if k != "weighted-rips")


# -- parameter checks, one per parameter name ------------------------------------------------


def _integer(value: object, low: int) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and value >= low


def _positive_or_none(value: object) -> bool:
    return value is None or (isinstance(value, Real) and not isinstance(value, bool) and value > 0)


def _known_metric(value: object) -> bool:
    try:
        check_metric(value)
    except InputError:
        return False
    return True


def _prime(value: object) -> bool:
    try:
        check_coeff(value)
    except InputError:
        return False
    return True


#: Per parameter: the test a value must pass and what the message says it must be.
_CHECKS: dict[str, tuple[Callable[[object], bool], str]] = {
    "filtration": (lambda v: v in FILTRATIONS, f"one of {', '.join(map(repr, FILTRATIONS))}"),
    "max_dim": (lambda v: _integer(v, 0), "an int >= 0"),
    "metric": (_known_metric, "a scikit-learn/scipy metric name, a callable or 'precomputed'"),
    "threshold": (_positive_or_none, "a number > 0 or None"),
    "epsilon": (_positive_or_none, "a number > 0 or None"),
    "k": (lambda v: _integer(v, 1), "an int >= 1"),
    "backend": (lambda v: v in ALL_BACKENDS, f"one of {', '.join(map(repr, ALL_BACKENDS))}"),
    "coeff": (_prime, "a prime (homology over Z/p): 2, 3, 5, 7, ..."),
    "n_jobs": (
        lambda v: v is None or (isinstance(v, Integral) and not isinstance(v, bool) and v != 0),
        "None, -1 (all cores) or an int >= 1",
    ),
}

#: Parameters that go to :func:`~tda_pipe.tda.filtrations.build_filtration`.
_BUILD_OPTIONS = ("metric", "threshold", "epsilon", "k")


class _PersistenceTransformer(TransformerMixin, BaseEstimator):
    """Checks, input handling and the parallel map shared by the persistence transformers.

    A subclass's ``__init__`` stores its parameters (a subset of :data:`_CHECKS`'s names) and
    either has a ``filtration`` parameter or sets the class attribute ``_kind``.
    """

    _kind = "auto"

    def _options(self) -> dict:
        """The parameters, each checked, as :func:`build_filtration` and
        :func:`persistence` take them."""
        params = self.get_params(deep=False)
        for name, value in params.items():
            accepts, expected = _CHECKS[name]
            if not accepts(value):
                raise InputError(
                    f"The {name!r} parameter of {type(self).__name__} must be {expected}. "
                    f"Got {value!r} instead."
                )
        params.setdefault("filtration", self._kind)
        return params

    def _inputs(self, X: object, kind: str) -> list:
        """``X`` as a non-empty list of inputs (a 3-D array is a stack of them)."""
        if isinstance(X, np.ndarray) and X.ndim == 2:
            what = (
                "pass [X] for one image, or list(X) for its rows as 1-D signals"
                if kind == "cubical"
                else "pass [X] for one point cloud (or distance matrix)"
            )
            raise InputError(
                f"X is one array of shape {X.shape}; {type(self).__name__} takes a list of "
                f"inputs: {what}"
            )
        if isinstance(X, (str, bytes, Diagrams)) or not isinstance(X, (Sequence, np.ndarray)):
            raise InputError(f"X must be a list of arrays (one per input), got {type(X).__name__}")
        if len(X) == 0:
            raise InputError("X is empty: pass a non-empty list of point clouds or images")
        return list(X)

    def fit(self, X: Sequence, y: object = None) -> _PersistenceTransformer:
        """Check the parameters and that ``X`` is a list of inputs; nothing is learned.

        Parameters
        ----------
        X : list of array-like
            Point clouds ``(n_i, d)``, distance matrices ``(n_i, n_i)`` (with
            ``metric="precomputed"``) or images, one per sample; or a 3-D array of them.
        y : ignored

        Returns
        -------
        self
        """
        options = self._options()
        self._inputs(X, options["filtration"])
        self.homology_dimensions_ = tuple(range(options["max_dim"] + 1))
        return self

    def transform(self, X: Sequence) -> list[Diagrams]:
        """Persistence diagrams of every input of ``X``, in order.

        Parameters
        ----------
        X : list of array-like
            As in :meth:`fit`.

        Returns
        -------
        list of Diagrams
            One per input, dimensions ``0 .. max_dim``.

        Raises
        ------
        InputError
            An input is invalid (NaN, wrong shape, too few points, ...); the message names
            its position in ``X``.
        """
        check_is_fitted(self, "homology_dimensions_")
        options = self._options()
        inputs = self._inputs(X, options["filtration"])
        workers = min(len(inputs), effective_n_jobs(options["n_jobs"]))

        def diagrams(i: int) -> Diagrams:
            try:
                filt = build_filtration(
                    inputs[i],
                    options["filtration"],
                    max_dim=options["max_dim"],
                    **{k: options[k] for k in _BUILD_OPTIONS if k in options},
                )
                return persistence(
                    filt,
                    options["max_dim"],
                    backend=options.get("backend", "auto"),
                    coeff=options["coeff"],
                    n_threads=1,
                )
            except InputError as exc:
                raise InputError(f"input {i} of X: {exc}") from None

        with phase("persistence of each input", total=len(inputs)) as progress:
            if workers <= 1:
                return [_counted(diagrams(i), progress) for i in range(len(inputs))]
            with ThreadPoolExecutor(workers) as pool:
                return [_counted(d, progress) for d in pool.map(diagrams, range(len(inputs)))]


def _counted(value: Diagrams, progress) -> Diagrams:
    progress.advance()
    return value


class Persistence(_PersistenceTransformer):
    """Persistence diagrams of a list of inputs, for any filtration kind.

    Parameters
    ----------
    filtration : str
        ``"auto"`` (by size and dimension, per input: see
        :func:`~tda_pipe.tda.filtrations.build_filtration`), ``"rips"``, ``"sparse-rips"``,
        ``"alpha"``, ``"cubical"`` (each input an image) or ``"dtm"``.
    max_dim : int
        Highest homology dimension computed.
    metric : str
        A scikit-learn/scipy metric name, or ``"precomputed"`` (each input a distance matrix).
    threshold : float, optional
        Rips: only edges up to this value.
    epsilon : float, optional
        Sparse Rips approximation parameter.
    k : int
        Neighbours of the DTM weights (``filtration="dtm"``), the point itself included.
    backend : str
        As for :func:`~tda_pipe.tda.persistence.persistence`.
    coeff : int
        A prime p: homology over Z/p.
    n_jobs : int, optional
        Threads computing the inputs' diagrams (scikit-learn's convention: ``None`` is 1
        unless in a ``joblib.parallel_config`` context, ``-1`` all cores).

    Attributes
    ----------
    homology_dimensions_ : tuple of int
        ``(0, ..., max_dim)``, set by :meth:`fit`.

    Examples
    --------
    >>> from tda_pipe.datasets import circle
    >>> dgms = Persistence(filtration="alpha").fit_transform([circle(100, seed=0)])
    >>> dgms[0].filtration, dgms[0].betti(1.0)
    ('alpha', [1, 1])
    """

    def __init__(
        self,
        filtration: str = "auto",
        max_dim: int = 1,
        *,
        metric: str = "euclidean",
        threshold: float | None = None,
        epsilon: float | None = None,
        k: int = 10,
        backend: str = "auto",
        coeff: int = 2,
        n_jobs: int | None = None,
    ) -> None:
        self.filtration = filtration
        self.max_dim = max_dim
        self.metric = metric
        self.threshold = threshold
        self.epsilon = epsilon
        self.k = k
        self.backend = backend
        self.coeff = coeff
        self.n_jobs = n_jobs


class RipsPersistence(_PersistenceTransformer):
    """Vietoris–Rips persistence of a list of point clouds or distance matrices.

    Parameters
    ----------
    max_dim : int
        Highest homology dimension computed.
    metric : str
        A scikit-learn/scipy metric name, or ``"precomputed"`` (each input a distance matrix).
    threshold : float, optional
        Only edges up to this value (sparse, saves memory).
    backend : str
        ``"auto"``, ``"gudhi"``, ``"ripser"``, ``"mst"`` (H0) or ``"giotto-ph"``.
    coeff : int
        A prime p: homology over Z/p.
    n_jobs : int, optional
        Threads computing the inputs' diagrams (``None``: 1, ``-1``: all cores).

    Attributes
    ----------
    homology_dimensions_ : tuple of int
        ``(0, ..., max_dim)``, set by :meth:`fit`.

    Examples
    --------
    >>> from tda_pipe.datasets import circle
    >>> rips = RipsPersistence(max_dim=1)
    >>> [d.betti(1.0) for d in rips.fit_transform([circle(60, seed=0), circle(80, seed=1)])]
    [[1, 1], [1, 1]]
    >>> rips.set_params(max_dim=0).fit_transform([circle(60, seed=0)])[0].max_dim
    0
    """

    _kind = "rips"

    def __init__(
        self,
        max_dim: int = 1,
        *,
        metric: str = "euclidean",
        threshold: float | None = None,
        backend: str = "auto",
        coeff: int = 2,
        n_jobs: int | None = None,
    ) -> None:
        self.max_dim = max_dim
        self.metric = metric
        self.threshold = threshold
        self.backend = backend
        self.coeff = coeff
        self.n_jobs = n_jobs


class AlphaPersistence(_PersistenceTransformer):
    """Alpha-complex persistence (diameter scale, as Rips) of a list of clouds in R^2 or R^3.

    Parameters
    ----------
    max_dim : int
        Highest homology dimension computed.
    coeff : int
        A prime p: homology over Z/p.
    n_jobs : int, optional
        Threads computing the inputs' diagrams (``None``: 1, ``-1``: all cores).

    Attributes
    ----------
    homology_dimensions_ : tuple of int
        ``(0, ..., max_dim)``, set by :meth:`fit`.

    Examples
    --------
    >>> from tda_pipe.datasets import sphere
    >>> d = AlphaPersistence(max_dim=2).fit_transform([sphere(300, dim=2, seed=0)])[0]
    >>> d.betti(1.0)
    [1, 0, 1]
    """

    _kind = "alpha"

    def __init__(self, max_dim: int = 1, *, coeff: int = 2, n_jobs: int | None = None) -> None:
        self.max_dim = max_dim
        self.coeff = coeff
        self.n_jobs = n_jobs


class CubicalPersistence(_PersistenceTransformer):
    """Sublevel persistence of a list of images or voxel grids (pixels are the top cells).

    Each input is a 1-D signal, a 2-D image or a 3-D voxel grid; dark (low) pixels enter
    first. A 3-D array is read as a stack of 2-D images.

    Parameters
    ----------
    max_dim : int
        Highest homology dimension computed.
    coeff : int
        A prime p: homology over Z/p.
    n_jobs : int, optional
        Threads computing the inputs' diagrams (``None``: 1, ``-1``: all cores).

    Attributes
    ----------
    homology_dimensions_ : tuple of int
        ``(0, ..., max_dim)``, set by :meth:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> ring = np.ones((7, 7)); ring[1:6, 1:6] = 0.0; ring[2:5, 2:5] = 1.0
    >>> CubicalPersistence().fit_transform([ring])[0][1].tolist()  # the dark ring's hole
    [[0.0, 1.0]]
    """

    _kind = "cubical"

    def __init__(self, max_dim: int = 1, *, coeff: int = 2, n_jobs: int | None = None) -> None:
        self.max_dim = max_dim
        self.coeff = coeff
        self.n_jobs = n_jobs
