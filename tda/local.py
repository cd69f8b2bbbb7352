"""Local topology of a point in a datastore: the persistent homology of its neighbourhood.

Following

    B. M. Ruppik, M. Heck, C. van Niekerk, R. Vukovic, H. Lin, S. Feng, M. Zibrowius and
    M. Gašić, *Local Topology Measures of Contextual Language Model Latent Spaces With
    Applications to Dialogue Term Extraction*, SIGDIAL 2024,

each query ``q`` is described by the Vietoris–Rips persistent homology of its neighbourhood
in a datastore: ``q`` with its ``k`` nearest datastore points (:func:`~tda_pipe.tda.neighbors.knn`,
exact; with ``radius``, only those of them within ``radius`` of ``q``). A datastore point
queried against the datastore (``transform(None)``, ``fit_transform``) leaves itself out, so
its row equals that of the same vector queried against the datastore without it.

The diagrams (H0 up to ``max_dim``, at most 2) become features through :mod:`tda_pipe.tda.features`:

=====================  ===================================================================
feature                columns
=====================  ===================================================================
``wasserstein_norm``   ``H{p}_wasserstein_norm``: p-Wasserstein distance (``wasserstein_order``,
                       L-inf ground metric) to the empty diagram, ``(sum (l/2)^p)^(1/p)``
``image``              ``H{p}_pixel_{r}_{c}``: a persistence image (ranges fitted on the datastore)
``codensity``          ``codensity``: the distance from ``q`` to its ``k``-th neighbour
``total_persistence``  ``H{p}_total_persistence``: the sum of lifetimes
``entropy``            ``H{p}_entropy``: persistence entropy
``longest``            ``H{p}_longest``: the longest lifetime
``local_dimension``    ``local_dimension``: the persistent intrinsic dimension of
                       :mod:`tda_pipe.tda.singularity`, from annuli inside the neighbourhood
``euclidicity``        ``euclidicity``: Euclidicity against ``R^dim``, from the same annuli
=====================  ===================================================================

Essential classes are dropped (the one H0 class of a neighbourhood carries nothing). With
``normalize=True`` each neighbourhood's distances are divided by the distance from ``q`` to
its farthest neighbour in it (``codensity`` in the k-NN case), so the diagrams describe shape
without scale (the paper compares both). The annuli of ``local_dimension`` and
``euclidicity`` lie in the query's ``k``-NN ball: radii ``r`` from 0.4 to 0.6 and ``s`` from
0.8 to 1.0 of its codensity, so each is whole and holds a share of the ``k`` points that
does not depend on the density. (:mod:`~tda_pipe.tda.singularity` uses one global radius
instead, over balls as large as needed; here the ball is the neighbourhood.)

How it is fast. The neighbours come from one blocked BLAS search; each neighbourhood's
distance matrix from one batched product of the neighbours centred at the query; H0 is the
minimum spanning tree (:func:`~tda_pipe.tda.mst.dense_prim`, numba's Prim; no complex
built); H1 (and H2) come from gudhi's Ripser on the ``(k+1) x (k+1)`` matrices, threads over
the block (gudhi releases the GIL; ``n_jobs``). Points outside ``radius`` are replaced by
copies of ``q``, which changes no diagram (a copy of a vertex is dominated by it) beyond
zero-length H0 classes, dropped; so every matrix of a block has one size. No row depends on
the others: :meth:`LocalTopology.transform_rows` computes any range of them alone, the same
values, so :func:`tda_pipe.commands.local.local_features` spreads chunks of queries over the
batch engine's executor (Dask worker processes, or a cluster) and the rows never depend on
``n_jobs``, ``block_size`` or the number of workers. Fitted on a ``.npy`` file, the
datastore is memory-mapped and shared by the workers, not sent to each.

Examples
--------
>>> from tda_pipe.datasets import circle
>>> X = circle(300, noise=0.01, seed=0)
>>> lt = LocalTopology(k=16, features=("codensity", "longest")).fit(X)
>>> F = lt.transform(None)  # every point against the other 299
>>> F.shape, lt.get_feature_names_out().tolist()
((300, 3), ['codensity', 'H0_longest', 'H1_longest'])
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from tda_pipe.errors import InputError
from tda_pipe.progress import phase
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.features import PersistenceImage, SummaryStatistics, total_persistence
from tda_pipe.tda.mst import dense_prim
from tda_pipe.tda.neighbors import check_knn_inputs, knn
from tda_pipe.tda.sampling import random_rows
from tda_pipe.tda.singularity import AnnulusGrid, annulus_pairs, ball_scores
from tda_pipe.tda.validation import check_int, check_points, check_real

__all__ = ["DEFAULT_FEATURES", "FEATURES", "LocalTopology", "neighbourhood_diagrams"]

#: Every feature LocalTopology computes, in a fixed vocabulary.
FEATURES = (
    "wasserstein_norm",
    "image",
    "codensity",
    "total_persistence",
    "entropy",
    "longest",
    "local_dimension",
    "euclidicity",
)
#: The paper's measures and the cheap diagram statistics (the annulus scores cost more).
DEFAULT_FEATURES = FEATURES[:6]
#: Annulus radii of local_dimension and euclidicity, as fractions of the query's codensity.
R_FRACTIONS = (0.4, 0.6)
S_FRACTIONS = (0.8, 1.0)
#: SummaryStatistics' column behind each per-dimension statistic.
_STATISTIC = {
    "total_persistence": "total_persistence",
    "entropy": "entropy",
    "longest": "max_lifetime",
}
_ANNULUS_MAX_POINTS, _ANNULUS_MIN_POINTS = 80, 10


# -- neighbourhood diagrams ---------------------------------------------------------------


def _distance_matrices(centred: np.ndarray) -> np.ndarray:
    """``(B, k + 1, k + 1)`` distances among each query (vertex 0) and its neighbours.

    ``centred[b]`` holds query ``b``'s neighbours minus the query (small values, little
    cancellation), one ``(k, d)`` block; the query's own row is measured exactly.
    """
    batch, k, _ = centred.shape
    sq = np.einsum("bij,bij->bi", centred, centred)
    D = np.empty((batch, k + 1, k + 1))
    inner = D[:, 1:, 1:]
    np.add(sq[:, :, None], sq[:, None, :], out=inner)
    inner -= 2.0 * _gram(centred)
    np.maximum(inner, 0.0, out=inner)
    np.sqrt(inner, out=inner)
    D[:, np.arange(k + 1), np.arange(k + 1)] = 0.0
    D[:, 0, 1:] = D[:, 1:, 0] = np.sqrt(sq)
    return D


def _gram(points: np.ndarray) -> np.ndarray:
    """``points[b] @ points[b].T`` for every ``b``, by torch's batched product, symmetrised.

    numpy's stacked matmul makes one small multithreaded BLAS call per matrix: measured on
    2 busy cores, (256, 65, 768) took 11 ms per matrix, torch.bmm 0.9 ms.
    """
    import torch

    t = torch.from_numpy(points)
    gram = torch.bmm(t, t.transpose(1, 2))
    return ((gram + gram.transpose(1, 2)) / 2).numpy()  # exactly symmetric: Ripser needs it


def _mst_values(D: np.ndarray) -> np.ndarray:
    """``(B, n - 1)`` edge values of a minimum spanning tree of each ``D[b]``, ascending
    (:func:`~tda_pipe.tda.mst.dense_prim`, numba's compiled Prim)."""
    values = np.stack([dense_prim(d)[1][1:] for d in D])
    values.sort(axis=1)
    return values


def _h0(values: np.ndarray) -> np.ndarray:
    """H0 diagram from MST edge values: a class dies at each, one lives forever."""
    deaths = values[values > 0]  # zero-length classes (copies) are left out, as everywhere
    dgm = np.zeros((len(deaths) + 1, 2))
    dgm[:-1, 1] = deaths
    dgm[-1, 1] = np.inf
    return dgm


def neighbourhood_diagrams(D: np.ndarray, max_dim: int, n_jobs: int = 1) -> list[Diagrams]:
    """Vietoris–Rips diagrams ``H0 .. H{max_dim}`` of a batch of distance matrices.

    Parameters
    ----------
    D : ndarray of shape (B, n, n)
        Symmetric distance matrices with zero diagonals.
    max_dim : int
        Highest homology dimension, 0, 1 or 2.
    n_jobs : int
        Threads for H1 and up (gudhi's Ripser; ``-1``: all cores).

    Returns
    -------
    list of Diagrams
        H0 from minimum spanning trees, H1 and up from gudhi's Ripser; zero-length classes
        left out.

    Examples
    --------
    >>> square = np.array([[0, 1, 2 ** 0.5, 1], [1, 0, 1, 2 ** 0.5],
    ...                    [2 ** 0.5, 1, 0, 1], [1, 2 ** 0.5, 1, 0]])
    >>> d = neighbourhood_diagrams(square[None], 1)[0]
    >>> d[0].tolist(), d[1].round(4).tolist()
    ([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, inf]], [[1.0, 1.4142]])
    """
    h0 = [_h0(v) for v in _mst_values(D)]
    if max_dim == 0:
        return [Diagrams([d], filtration="rips", backend="mst") for d in h0]
    from gudhi.sklearn.rips_persistence import RipsPersistence

    rips = RipsPersistence(
        list(range(1, max_dim + 1)), input_type="full distance matrix", n_jobs=n_jobs
    )
    higher = rips.fit_transform(list(D))
    out = []
    for d0, rest in zip(h0, higher):
        rest = [np.asarray(d, dtype=np.float64).reshape(-1, 2) for d in rest]
        dgms = [d0, *(d[d[:, 1] > d[:, 0]] for d in rest)]
        out.append(Diagrams(dgms, filtration="rips", backend="gudhi"))
    return out


def _open_datastore(path: str) -> np.ndarray:
    """The ``.npy`` file ``path``, memory-mapped read-only."""
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path}: not a readable .npy array ({exc}); save it with numpy.save"
        ) from exc


# -- the transformer ------------------------------------------------------------------------


class LocalTopology(TransformerMixin, BaseEstimator):
    """Local-topology features of query points against a datastore (one row per query).

    Parameters
    ----------
    k : int, default 64
        Neighbours per query (the neighbourhood holds the query and ``k`` datastore points).
    radius : float, optional
        Keep only the neighbours within ``radius`` of the query (at most ``k``, the nearest).
    max_dim : int, default 1
        Highest homology dimension: 0, 1 or 2.
    features : sequence of str, default DEFAULT_FEATURES
        Names from :data:`FEATURES`, in the order their columns come.
    normalize : bool, default False
        Divide each neighbourhood's distances by the query's farthest neighbour distance.
    wasserstein_order : float, default 2.0
        The ``p`` of the Wasserstein norm.
    image_resolution : (int, int), default (5, 5)
        Pixels (birth, persistence) of each dimension's persistence image.
    dim : int, default 2
        Model space ``R^dim`` of ``euclidicity``; ``local_dimension`` can find at most
        ``min(ambient dimension, 3)``.
    steps : int, default 2
        Radii per range of the annuli of ``local_dimension`` and ``euclidicity``.
    fit_sample : int, default 1000
        Datastore points whose neighbourhoods set the persistence image's ranges (a seeded
        random sample; all of them if fewer).
    block_size : int, default 256
        Queries per chunk (memory ~ ``block_size * k * d`` floats; rows do not depend on it).
    n_jobs : int, default 1
        Threads for the persistent homology of a chunk (``-1``: all cores).
    seed : int, default 0
        Seed of the fit sample and of the annulus thinning and model samples.

    Attributes
    ----------
    datastore_ : ndarray of shape (n, d)
        The fitted datastore (a read-only memory map when fitted on a file).
    datastore_path_ : str or None
        The ``.npy`` file it was fitted on, opened again where the transformer is unpickled.
    n_features_in_ : int
        ``d``.
    image_ : PersistenceImage or None
        The fitted persistence image (with ``"image"``).
    statistics_ : SummaryStatistics
        The fitted statistics behind ``total_persistence``, ``entropy``, ``longest``.

    Notes
    -----
    ``fit_transform(X)`` is ``fit(X).transform(None)``: each datastore point against the
    rest. ``transform(X)`` treats ``X`` as new queries; a query equal to a datastore point
    then finds that point at distance 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> store = rng.normal(size=(400, 8))
    >>> lt = LocalTopology(k=20, features=("wasserstein_norm", "codensity")).fit(store)
    >>> lt.transform(rng.normal(size=(5, 8))).shape
    (5, 3)
    >>> lt.get_feature_names_out().tolist()
    ['H0_wasserstein_norm', 'H1_wasserstein_norm', 'codensity']
    """

    def __init__(
        self,
        k: int = 64,
        radius: float | None = None,
        max_dim: int = 1,
        features: Sequence[str] = DEFAULT_FEATURES,
        normalize: bool = False,
        wasserstein_order: float = 2.0,
        image_resolution: tuple[int, int] = (5, 5),
        dim: int = 2,
        steps: int = 2,
        fit_sample: int = 1000,
        block_size: int = 256,
        n_jobs: int = 1,
        seed: int = 0,
    ) -> None:
        self.k = k
        self.radius = radius
        self.max_dim = max_dim
        self.features = features
        self.normalize = normalize
        self.wasserstein_order = wasserstein_order
        self.image_resolution = image_resolution
        self.dim = dim
        self.steps = steps
        self.fit_sample = fit_sample
        self.block_size = block_size
        self.n_jobs = n_jobs
        self.seed = seed

    # -- scikit-learn interface -----------------------------------------------------------

    def fit(self, X, y: object = None) -> LocalTopology:
        """Keep the datastore ``X`` and fit the feature ranges on a sample of it.

        Parameters
        ----------
        X : array-like of shape (n, d), or the path of a ``.npy`` file
            A path is memory-mapped, read-only, not read into memory; the transformer then
            pickles without the datastore and opens the file again where it is unpickled
            (the workers of a cluster share it). The file must not change afterwards.
        y : ignored

        Returns
        -------
        self
        """
        self.check_params()
        self.datastore_path_ = None
        if isinstance(X, (str, os.PathLike)):
            self.datastore_path_ = str(X)
            X = _open_datastore(self.datastore_path_)
        X = check_points(X, "datastore", min_points=2)
        check_knn_inputs(X, None, self.k, exclude_self=True)  # k fits
        self.datastore_ = X
        self.n_features_in_ = X.shape[1]
        sample = random_rows(len(X), self.fit_sample, seed=self.seed)
        if "euclidicity" in self.features and self.dim > X.shape[1]:
            raise InputError(
                f"dim={self.dim} exceeds the datastore's {X.shape[1]} coordinates; "
                f"use dim <= {X.shape[1]}"
            )
        dist, idx = knn(X, X[sample], self.k, exclude_self=sample)  # against the rest
        dgms = self._diagrams(X[sample], dist, idx)
        dims = tuple(range(self.max_dim + 1))
        self.statistics_ = SummaryStatistics(dims=dims).fit(dgms)
        self.image_ = None
        if "image" in self.features:
            self.image_ = PersistenceImage(dims=dims, resolution=tuple(self.image_resolution))
            self.image_.fit(dgms)
        return self

    def transform(self, X=None) -> np.ndarray:
        """Features of the queries ``X`` (default: each datastore point against the rest).

        Parameters
        ----------
        X : array-like of shape (n_queries, d), optional

        Returns
        -------
        ndarray of shape (n_queries, n_features), float64
            Columns named by :meth:`get_feature_names_out`; NaN for an annulus score where
            no annulus held enough points.
        """
        check_is_fitted(self, "datastore_")
        if X is None:
            return self.transform_rows(0, len(self.datastore_))
        Q = check_points(X, "queries", min_points=1)
        return self.transform_rows(0, len(Q), Q)

    def transform_rows(self, start: int, stop: int, X=None) -> np.ndarray:
        """Rows ``start:stop`` of :meth:`transform`, computed on their own: the same values.

        How the work is split over processes or a cluster
        (:func:`tda_pipe.commands.local.local_features`): each chunk of rows needs only the
        fitted transformer, which pickles small when fitted on a ``.npy`` file.

        Parameters
        ----------
        start, stop : int
            The rows' positions among all the queries (query ``start + b`` seeds the thinning
            of its annuli).
        X : array-like of shape (stop - start, d), optional
            Those queries; default: datastore rows ``start:stop``, each against the rest.

        Returns
        -------
        ndarray of shape (stop - start, n_features), float64

        Examples
        --------
        >>> X = np.random.default_rng(0).normal(size=(60, 3))
        >>> lt = LocalTopology(k=8, features=("codensity",)).fit(X)
        >>> bool((lt.transform_rows(10, 20) == lt.transform(None)[10:20]).all())
        True
        """
        check_is_fitted(self, "datastore_")
        if start == stop:
            return np.empty((0, len(self.get_feature_names_out())))
        if X is None:
            if not 0 <= start <= stop <= len(self.datastore_):
                raise InputError(
                    f"rows {start}:{stop} are not datastore rows; use 0 <= start <= stop <= "
                    f"{len(self.datastore_)}"
                )
            Q, excluded = self.datastore_[start:stop], np.arange(start, stop)
        else:
            Q, excluded = check_points(X, "queries", min_points=1), False
            if len(Q) != stop - start:
                raise InputError(
                    f"rows {start}:{stop} need {stop - start} queries, got {len(Q)}; pass "
                    "the queries of those rows"
                )
        dist, idx = knn(self.datastore_, Q, self.k, exclude_self=excluded)
        rows = []
        with phase("local topology", total=len(Q)) as progress:
            for lo in range(0, len(Q), self.block_size):
                hi = min(lo + self.block_size, len(Q))
                rows.append(self._features(Q[lo:hi], dist[lo:hi], idx[lo:hi], start + lo))
                progress.advance(hi - lo)
        return np.vstack(rows)

    def __getstate__(self) -> dict:
        """The state to pickle: without the datastore when it is a file (opened again)."""
        state = super().__getstate__()
        if getattr(self, "datastore_path_", None) is not None:
            state = {**state, "datastore_": None}
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if getattr(self, "datastore_path_", None) is not None:
            self.datastore_ = np.asarray(_open_datastore(self.datastore_path_), np.float64)

    def fit_transform(self, X, y: object = None) -> np.ndarray:
        """``fit(X).transform(None)``: every datastore point against the rest."""
        return self.fit(X).transform(None)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output columns, in order (see the module's table)."""
        check_is_fitted(self, "datastore_")
        names: list[str] = []
        dims = range(self.max_dim + 1)
        for feature in self.features:
            if feature == "image":
                names += list(self.image_.get_feature_names_out())
            elif feature in ("codensity", "local_dimension", "euclidicity"):
                names.append(feature)
            else:
                names += [f"H{p}_{feature}" for p in dims]
        return np.array(names, dtype=object)

    # -- the work -------------------------------------------------------------------------

    def check_params(self) -> None:
        """Raise :class:`~tda_pipe.errors.InputError` for a parameter out of range (what
        :meth:`fit` checks first; ``k`` against the datastore in :meth:`fit` itself)."""
        check_int(self.max_dim, "max_dim", low=0, high=2)
        for name in ("steps", "fit_sample", "block_size", "dim"):
            check_int(getattr(self, name), name, low=1)
        check_int(self.seed, "seed", low=0)
        if self.n_jobs != -1:
            check_int(self.n_jobs, "n_jobs (or -1, every core)", low=1)
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown or not self.features or isinstance(self.features, str):
            raise InputError(
                f"features must be a non-empty sequence of {', '.join(FEATURES)}; "
                f"got {self.features!r}"
            )
        if self.radius is not None:
            check_real(self.radius, "radius (or None)", low=0, low_open=True)
        check_real(self.wasserstein_order, "wasserstein_order", low=1)
        res = tuple(self.image_resolution)
        if len(res) != 2:
            raise InputError(f"image_resolution must be two integers >= 1, got {res!r}")
        for r in res:
            check_int(r, "each of image_resolution", low=1)

    def _diagrams(self, Q: np.ndarray, dist: np.ndarray, idx: np.ndarray) -> list[Diagrams]:
        """Diagrams of each query's neighbourhood (neighbours beyond ``radius`` made copies
        of the query, distances divided by the farthest one with ``normalize``)."""
        centred = self.datastore_[idx]
        centred -= Q[:, None, :]
        if self.radius is not None:
            centred[dist > self.radius] = 0.0  # copies of the query
        D = _distance_matrices(centred)
        if self.normalize:
            scale = D[:, 0, :].max(axis=1)
            D /= np.where(scale > 0, scale, 1.0)[:, None, None]
        return neighbourhood_diagrams(D, self.max_dim, self.n_jobs)

    def _features(self, Q: np.ndarray, dist: np.ndarray, idx: np.ndarray, first: int):
        dgms = self._diagrams(Q, dist, idx)
        dims = range(self.max_dim + 1)
        stats = self.statistics_.transform(dgms)
        stat_names = list(self.statistics_.get_feature_names_out())
        blocks = []
        for feature in self.features:
            if feature == "image":
                blocks.append(self.image_.transform(dgms))
            elif feature == "codensity":
                blocks.append(dist[:, -1:])
            elif feature == "wasserstein_norm":
                p = float(self.wasserstein_order)
                norms = [[total_persistence(d[q], p) ** (1 / p) / 2 for q in dims] for d in dgms]
                blocks.append(np.array(norms))
            elif feature in _STATISTIC:
                cols = [stat_names.index(f"H{q}_{_STATISTIC[feature]}") for q in dims]
                blocks.append(stats[:, cols])
            else:
                blocks.append(self._annulus_scores(feature, dist, idx, first))
        return np.hstack(blocks).astype(np.float64)

    def _annulus_scores(
        self, feature: str, dist: np.ndarray, idx: np.ndarray, first: int
    ) -> np.ndarray:
        """``(B, 1)`` Euclidicity or local dimension; NaN where no annulus was usable.

        Each query's ball is its ``k`` neighbours, the radii fractions of its codensity; query
        ``first + b`` seeds its thinning.
        """
        compare = feature == "euclidicity"
        unit = annulus_pairs(R_FRACTIONS, S_FRACTIONS, self.steps)
        dim = self.dim if compare else min(self.n_features_in_, 3)
        column = 0 if compare else 4  # ball_scores: (mean, ..., dimension, usable pairs)
        out = np.full((len(idx), 1), np.nan)
        for b in range(len(idx)):
            if not dist[b, -1] > 0:  # every neighbour coincides with the query: no annulus
                continue
            grid = AnnulusGrid(
                unit * dist[b, -1],
                dim,
                _ANNULUS_MAX_POINTS,
                _ANNULUS_MIN_POINTS,
                self.seed,
                compare,
            )
            scores = ball_scores(grid, first + b, dist[b], self.datastore_[idx[b]])
            if scores[5]:
                out[b, 0] = scores[column]
        return out
