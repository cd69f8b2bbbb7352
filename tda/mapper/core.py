"""Mapper graphs of point clouds (Singh, Mémoli & Carlsson, 2007), as networkx graphs.

A *lens* ``f: X -> R^m`` maps each point to one or more values; a *cover* of ``f(X)`` by
overlapping intervals (``m = 1``) or rectangles (``m >= 2``) cuts the cloud into preimages; each
preimage is *clustered*. Every cluster becomes a node; two nodes are joined when their clusters
share points. Topological attributes of the nodes and edges are added by
:mod:`tda_pipe.tda.mapper.attributes`, views and exports live in :mod:`tda_pipe.tda.mapper.views`.

The uniform cover follows KeplerMapper's convention (van Veen et al., JOSS 2019), so both give
the same graph for the same lens, cover and clusterer: with the lens range ``[lo, hi]`` of
length ``r``, ``n`` intervals and overlap ``p``, interval ``i`` is the closed interval of radius
``r / (2 n (1 - p))`` around ``lo + r (2 i + 1) / (2 n)``; neighbours then share the fraction
``p`` of their length.

Examples
--------
>>> from tda_pipe.datasets import circle
>>> X = circle(200, noise=0.05, seed=0)
>>> G = Mapper(lens="coordinate:1", cover=(8, 0.3)).fit(X).graph
>>> summarize_graph(G)["independent_cycles"]
1
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from tda_pipe.errors import InputError
from tda_pipe.tda.validation import check_points

__all__ = [
    "CLUSTERERS",
    "COVER_KINDS",
    "LENSES",
    "Cover",
    "Cube",
    "Mapper",
    "lens_values",
    "parse_lens",
    "single_linkage_labels",
    "summarize_graph",
]

#: Lens names understood by :func:`lens_values` (``name`` or ``name:K``).
LENSES = ("pca", "coordinate", "eccentricity", "density", "distance")
#: Clusterer names understood by :class:`Mapper` (or pass a scikit-learn clusterer).
CLUSTERERS = ("single-linkage", "dbscan")
COVER_KINDS = ("uniform", "balanced")

Lens = str | np.ndarray | Callable[[np.ndarray], np.ndarray]


# -- lenses ---------------------------------------------------------------------------------


def parse_lens(text: str) -> tuple[str, int | None]:
    """Split a lens name ``"name"`` or ``"name:K"`` into ``(name, K)``, checking both.

    Examples
    --------
    >>> parse_lens("pca:2"), parse_lens("eccentricity")
    (('pca', 2), ('eccentricity', None))
    """
    name, _, arg = text.strip().partition(":")
    if name not in LENSES:
        raise InputError(
            f"unknown lens {text!r}; use pca, pca:K, coordinate:K, eccentricity, density, "
            "distance:I or a .npy file of lens values"
        )
    if not arg:
        if name in ("coordinate", "distance"):
            raise InputError(f"lens {name!r} needs an index, as in {name}:0")
        return name, None
    if name in ("eccentricity", "density") or not arg.isdigit():
        raise InputError(f"bad lens {text!r}; only pca:K, coordinate:K and distance:I take K >= 0")
    k = int(arg)
    if name == "pca" and k < 1:
        raise InputError(f"lens {text!r}: pca takes K >= 1 components")
    return name, k


def _pca(X: np.ndarray, k: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    if k > min(X.shape):
        raise InputError(f"lens pca:{k} asks for more components than the {X.shape} data allow")
    return PCA(n_components=k, random_state=0).fit_transform(X)


def _eccentricity(X: np.ndarray) -> np.ndarray:
    """Mean distance from each point to all points (eccentricity with p = 1, Singh et al.)."""
    from sklearn.metrics import pairwise_distances_chunked

    chunks = pairwise_distances_chunked(X, reduce_func=lambda D, start: D.mean(axis=1))
    return np.concatenate(list(chunks))


def _density(X: np.ndarray, k: int) -> np.ndarray:
    """kNN density: one over the mean distance to the ``k`` nearest other points."""
    k = min(k, len(X) - 1)
    dist, _ = cKDTree(X).query(X, k=k + 1)
    mean = dist[:, 1:].mean(axis=1)
    return 1.0 / np.maximum(mean, np.finfo(float).tiny)


def _named_lens(X: np.ndarray, text: str, n_neighbors: int) -> np.ndarray:
    name, k = parse_lens(text)
    n, d = X.shape
    if name == "pca":
        return _pca(X, k or 1)
    if name == "coordinate":
        if k >= d:
            raise InputError(f"lens {text!r}: the points have {d} coordinate(s), 0..{d - 1}")
        return X[:, k]
    if name == "distance":
        if k >= n:
            raise InputError(f"lens {text!r}: the cloud has {n} points, 0..{n - 1}")
        return np.linalg.norm(X - X[k], axis=1)
    if name == "eccentricity":
        return _eccentricity(X)
    return _density(X, n_neighbors)


def lens_values(X: np.ndarray, lens: Lens = "pca", *, n_neighbors: int = 15) -> np.ndarray:
    """Lens values of the points ``X``: an ``(n, m)`` float64 array.

    Parameters
    ----------
    X : array of shape (n, d)
        The point cloud.
    lens : str, array or callable
        ``"pca"`` / ``"pca:K"`` (first ``K`` principal components), ``"coordinate:K"``,
        ``"eccentricity"`` (mean distance to all points), ``"density"`` (one over the mean
        distance to the ``n_neighbors`` nearest points), ``"distance:I"`` (distance to point
        ``I``); an array of ``n`` values or ``(n, m)`` rows; or a callable ``f(X)`` returning one.
    n_neighbors : int
        Neighbours of the density lens.

    Returns
    -------
    numpy.ndarray
        ``(n, m)`` finite lens values.

    Examples
    --------
    >>> X = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    >>> lens_values(X, "distance:0").ravel().tolist()
    [0.0, 1.0, 3.0]
    >>> lens_values(X, lambda P: P.sum(axis=1)).shape
    (3, 1)
    """
    X = check_points(X, min_points=2)
    if isinstance(lens, str):
        values = _named_lens(X, lens, n_neighbors)
    elif callable(lens):
        values = lens(X)
    else:
        values = lens
    values = np.asarray(values, dtype=np.float64)
    values = values.reshape(len(values), -1) if values.ndim == 1 else values
    if values.ndim != 2 or len(values) != len(X) or values.shape[1] == 0:
        raise InputError(
            f"lens values have shape {np.shape(values)}; need {len(X)} values or rows, one a point"
        )
    if not np.isfinite(values).all():
        raise InputError("lens values hold NaN or infinite entries")
    return values


# -- cover ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cube:
    """One element of a cover: its grid index, its bounds and the points it holds.

    Attributes
    ----------
    index : tuple of int
        Position in the grid of intervals, one entry per lens dimension.
    bounds : numpy.ndarray
        ``(m, 2)`` closed ``[low, high]`` lens bounds per lens dimension.
    members : numpy.ndarray
        Indices of the points whose lens values lie in the cube, ascending.
    """

    index: tuple[int, ...]
    bounds: np.ndarray
    members: np.ndarray


def _per_dim(value: object, m: int, what: str) -> list:
    values = list(value) if isinstance(value, (tuple, list, np.ndarray)) else [value] * m
    if len(values) != m:
        raise InputError(f"{what} has {len(values)} entries for a {m}-dimensional lens")
    return values


def _uniform_intervals(lo: float, hi: float, n: int, overlap: float) -> np.ndarray:
    """``(n, 2)`` closed intervals: centres evenly inset in ``[lo, hi]``, common radius."""
    span = hi - lo
    if span == 0:
        return np.array([[lo, hi]])
    inset = (span - ((n - 1) / n) * span) / 2
    centres = np.linspace(lo + inset, hi - inset, num=n)
    radius = span / (2 * n * (1 - overlap))
    return np.column_stack([centres - radius, centres + radius])


@dataclass(frozen=True)
class Cover:
    """Overlapping intervals (1-D lens) or rectangles (m-D lens) covering the lens values.

    Parameters
    ----------
    n_intervals : int or sequence of int
        Intervals per lens dimension.
    overlap : float or sequence of float
        Fraction of an interval's length shared with its neighbour, in ``[0, 1)``.
    kind : {"uniform", "balanced"}
        ``"uniform"``: equal lengths over the lens range (KeplerMapper's cover).
        ``"balanced"``: the same construction on the ranks of the lens values, so every
        interval holds about the same number of points (bounds are the matching quantiles).

    Examples
    --------
    >>> cubes = Cover(4, 0.5).cubes(np.linspace(0.0, 1.0, 9).reshape(-1, 1))
    >>> [c.members.tolist() for c in cubes]
    [[0, 1, 2, 3], [1, 2, 3, 4, 5], [3, 4, 5, 6, 7], [5, 6, 7, 8]]
    >>> cubes[1].bounds.tolist()
    [[0.125, 0.625]]
    """

    n_intervals: int | tuple[int, ...] = 10
    overlap: float | tuple[float, ...] = 0.3
    kind: str = "uniform"

    def check(self, m: int) -> tuple[list[int], list[float]]:
        """Per lens dimension ``(n_intervals, overlap)``, or :class:`InputError`."""
        if self.kind not in COVER_KINDS:
            raise InputError(f"unknown cover {self.kind!r}; use uniform or balanced")
        counts = _per_dim(self.n_intervals, m, "n_intervals")
        overlaps = _per_dim(self.overlap, m, "overlap")
        for n in counts:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise InputError(f"the number of intervals must be an integer >= 1, got {n!r}")
        for p in overlaps:
            if not 0 <= p < 1:
                raise InputError(f"overlap must be in [0, 1), got {p!r}")
        return [int(n) for n in counts], [float(p) for p in overlaps]

    def intervals(self, lens: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per lens dimension, ``(values compared, (k, 2) bounds)``: lens or rank units."""
        counts, overlaps = self.check(lens.shape[1])
        out = []
        for values, n, p in zip(lens.T, counts, overlaps):
            if self.kind == "balanced":
                values = _ranks(values)
            out.append((values, _uniform_intervals(values.min(), values.max(), n, p)))
        return out

    def cubes(self, lens: np.ndarray) -> list[Cube]:
        """The non-empty cubes of the cover of ``lens`` (``(n, m)``), first dimension slowest."""
        per_dim = self.intervals(lens)
        masks = [(v >= b[:, :1]) & (v <= b[:, 1:]) for v, b in per_dim]
        cubes = []
        for index in itertools.product(*(range(len(b)) for _, b in per_dim)):
            inside = np.logical_and.reduce([mask[i] for mask, i in zip(masks, index)])
            members = np.flatnonzero(inside)
            if members.size:
                bounds = np.array([b[i] for (_, b), i in zip(per_dim, index)])
                if self.kind == "balanced":
                    bounds = _rank_bounds_to_lens(bounds, lens)
                cubes.append(Cube(tuple(index), bounds, members))
        return cubes


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks scaled to ``[0, 1]``, ties sharing their mean rank."""
    from scipy.stats import rankdata

    if len(values) < 2:
        return np.zeros(len(values))
    return (rankdata(values) - 1.0) / (len(values) - 1.0)


def _rank_bounds_to_lens(bounds: np.ndarray, lens: np.ndarray) -> np.ndarray:
    q = np.clip(bounds, 0.0, 1.0)
    return np.array([np.quantile(v, row) for v, row in zip(lens.T, q)])


# -- clustering -----------------------------------------------------------------------------


def single_linkage_labels(points: np.ndarray, min_gap: float) -> np.ndarray:
    """Single-linkage clusters cut in the largest gap between successive merge heights.

    The merge heights ``0 = h_0 <= h_1 <= ... <= h_{m-1}`` of the dendrogram are compared; if
    the largest step ``h_{i} - h_{i-1}`` exceeds ``min_gap`` the tree is cut in its middle,
    otherwise all points form one cluster (a variant of the gap heuristic of Singh et al.).

    Examples
    --------
    >>> P = np.array([[0.0], [0.1], [0.2], [5.0], [5.1]])
    >>> single_linkage_labels(P, min_gap=1.0).tolist()
    [0, 0, 0, 1, 1]
    >>> single_linkage_labels(P, min_gap=10.0).tolist()
    [0, 0, 0, 0, 0]
    """
    from sklearn.cluster import AgglomerativeClustering

    n = len(points)
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    # scikit-learn's single-linkage tree (a spanning tree computed on the fly, merges in
    # increasing height) is twice as fast as scipy's linkage, which stores all n^2 distances
    tree = AgglomerativeClustering(
        n_clusters=None, distance_threshold=0.0, linkage="single", compute_distances=True
    ).fit(points)
    steps = np.diff(np.concatenate([[0.0], tree.distances_]))
    i = int(np.argmax(steps))
    if steps[i] <= min_gap:
        return np.zeros(n, dtype=np.int64)
    # the clusters below the cut: the first i merges, joined leaf to leaf
    leaf = np.arange(2 * n - 1)
    for k, a in enumerate(tree.children_[:i, 0].tolist()):
        leaf[n + k] = leaf[a]
    pairs = leaf[tree.children_[:i]]
    graph = sparse.coo_matrix((np.ones(i), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    labels = connected_components(graph, directed=False)[1]
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inverse]  # numbered in order of first appearance


def _connectivity_scale(X: np.ndarray, k: int = 1) -> float:
    """The 99th percentile of the distances to the ``k``-th nearest neighbour of the cloud."""
    k = min(max(k, 1), len(X) - 1)
    dist, _ = cKDTree(X).query(X, k=k + 1)
    scale = float(np.quantile(dist[:, k], 0.99))
    return scale if scale > 0 else float(np.ptp(X, axis=0).max()) * 1e-9


def _min_cluster_points(estimator: object) -> int:
    """Points a cube needs before it is clustered (KeplerMapper's rule for sklearn clusterers)."""
    params = estimator.get_params() if hasattr(estimator, "get_params") else {}
    for name in ("n_clusters", "min_cluster_size", "min_samples"):
        value = params.get(name)
        if isinstance(value, int) and value:
            return value
    return 2


# -- the Mapper -----------------------------------------------------------------------------


class Mapper(BaseEstimator):
    """The Mapper graph of a point cloud: a lens, a cover of its values, a clusterer.

    A scikit-learn estimator: the constructor only stores its parameters, :meth:`fit`
    validates them and sets the fitted attributes (ending in ``_``), and ``get_params``,
    ``set_params`` and :func:`sklearn.base.clone` work as for any estimator.

    Parameters
    ----------
    lens : str, array or callable
        Anything :func:`lens_values` takes: ``"pca"``, ``"pca:K"``, ``"coordinate:K"``,
        ``"eccentricity"``, ``"density"``, ``"distance:I"``, ``(n,)`` / ``(n, m)`` values, or a
        callable. An ``m``-dimensional lens gets a cover by rectangles.
    cover : (n_intervals, overlap) or Cover
        A :class:`Cover`, or the arguments of a uniform one.
    clusterer : str or scikit-learn clusterer
        ``"single-linkage"`` (cut in the largest gap of merge heights, see
        :func:`single_linkage_labels`), ``"dbscan"`` (``eps = min_gap``), or an estimator
        with ``fit_predict`` (cloned per cube; label ``-1`` is noise, left out).
    min_gap : float, optional
        Single linkage splits a cube only at a gap larger than this; DBSCAN's ``eps``.
        Default: the 99th percentile over the whole cloud of the distance to the nearest
        neighbour (single linkage), or twice that of the distance to the ``min_samples - 1``-th
        neighbour (DBSCAN: a point at the edge of a cube, half of whose neighbourhood the cube
        cuts away, is still a core point). On a noisy circle and the example torus both give
        the graph single linkage gives; the nearest-neighbour scale broke DBSCAN's graph of the
        torus into 6 components.
    min_samples : int
        DBSCAN's ``min_samples``.
    n_neighbors : int
        Neighbours of the density lens.

    Attributes
    ----------
    graph_ : networkx.Graph
        Nodes ``0..N-1``, one per cluster, with ``members`` (point indices), ``size``,
        ``cube`` (grid index), ``interval`` (``[[low, high]]`` per lens dimension) and ``lens``
        (mean of the first lens component over the members; ``lens_1``, ... for the others).
        Edges join clusters sharing points, with ``shared`` (how many). ``graph_.graph`` holds
        the lens, cover and clusterer used. Also read as :attr:`graph`.
    lens_ : numpy.ndarray
        ``(n, m)`` lens values.
    cover_ : Cover
        The cover used (``cover``, or the uniform cover it describes).
    cubes_ : list of Cube
        The non-empty cubes of the cover.
    min_gap_ : float or None
        The gap threshold used (``None`` with a scikit-learn clusterer).

    Examples
    --------
    >>> from tda_pipe.datasets import circle
    >>> X = circle(300, noise=0.03, seed=1)
    >>> G = Mapper(lens="eccentricity", cover=(10, 0.3), clusterer="single-linkage").fit(X).graph
    >>> G.number_of_nodes() > 0, all(G.nodes[u]["size"] > 0 for u in G)
    (True, True)
    >>> Mapper(cover=(8, 0.4))
    Mapper(cover=(8, 0.4))
    """

    def __init__(
        self,
        lens: Lens = "pca",
        cover: tuple[int, float] | Cover = (10, 0.3),
        clusterer: str | object = "single-linkage",
        *,
        min_gap: float | None = None,
        min_samples: int = 3,
        n_neighbors: int = 15,
    ) -> None:
        self.lens = lens
        self.cover = cover
        self.clusterer = clusterer
        self.min_gap = min_gap
        self.min_samples = min_samples
        self.n_neighbors = n_neighbors

    @property
    def graph(self) -> nx.Graph:
        """The fitted graph, :attr:`graph_` (``Mapper(...).fit(X).graph``)."""
        check_is_fitted(self, "graph_")
        return self.graph_

    def _checked_cover(self) -> Cover:
        """The :class:`Cover` that ``cover`` describes, or :class:`InputError`."""
        if isinstance(self.cover, Cover):
            return self.cover
        if isinstance(self.cover, (tuple, list)) and len(self.cover) == 2:
            return Cover(*self.cover)
        raise _bad_parameter("cover", "a Cover or an (n_intervals, overlap) pair", self.cover)

    def _check_parameters(self) -> None:
        if isinstance(self.clusterer, str):
            if self.clusterer not in CLUSTERERS:
                raise _bad_parameter(
                    "clusterer",
                    "'single-linkage', 'dbscan' or a scikit-learn clusterer",
                    self.clusterer,
                )
        elif not hasattr(self.clusterer, "fit_predict"):
            raise _bad_parameter(
                "clusterer",
                "a name or an object with fit_predict (scikit-learn API)",
                self.clusterer,
            )
        if self.min_gap is not None and not (
            isinstance(self.min_gap, Real)
            and not isinstance(self.min_gap, bool)
            and self.min_gap > 0
        ):
            raise _bad_parameter("min_gap", "a number > 0 or None", self.min_gap)
        for name in ("min_samples", "n_neighbors"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise _bad_parameter(name, "an int >= 1", value)

    def fit(self, X: np.ndarray, y: object = None) -> Mapper:
        """Build the graph of the point cloud ``X`` (``(n, d)``); ``y`` is ignored.

        Returns
        -------
        Mapper
            ``self``, with :attr:`graph_`, :attr:`lens_`, :attr:`cover_`, :attr:`cubes_`,
            :attr:`min_gap_`.

        Raises
        ------
        InputError
            A parameter or ``X`` is invalid; the message names it.
        """
        cover = self._checked_cover()
        self._check_parameters()
        X = check_points(X, min_points=2)
        lens = lens_values(X, self.lens, n_neighbors=self.n_neighbors)
        try:
            cover.check(lens.shape[1])
        except InputError as exc:
            raise InputError(f"The 'cover' parameter of Mapper: {exc}") from None
        self.cover_, self.lens_ = cover, lens
        self.min_gap_ = self.min_gap
        if self.min_gap is None and isinstance(self.clusterer, str):
            if self.clusterer == "dbscan":
                self.min_gap_ = 2.0 * _connectivity_scale(X, self.min_samples - 1)
            else:
                self.min_gap_ = _connectivity_scale(X)
        self.cubes_ = self.cover_.cubes(self.lens_)
        clusters = [(cube, part) for cube in self.cubes_ for part in self._clusters(X, cube)]
        self.graph_ = self._graph(clusters, len(X))
        return self

    def fit_transform(self, X: np.ndarray, y: object = None) -> nx.Graph:
        """:meth:`fit` and return :attr:`graph_`."""
        return self.fit(X).graph_

    def _labels(self, points: np.ndarray) -> np.ndarray:
        if self.clusterer == "single-linkage":
            return single_linkage_labels(points, self.min_gap_)
        if self.clusterer == "dbscan":
            from sklearn.cluster import DBSCAN

            if len(points) < self.min_samples:
                return np.full(len(points), -1)
            return DBSCAN(eps=self.min_gap_, min_samples=self.min_samples).fit_predict(points)
        if len(points) < _min_cluster_points(self.clusterer):
            return np.full(len(points), -1)
        return np.asarray(clone(self.clusterer).fit_predict(points))

    def _clusters(self, X: np.ndarray, cube: Cube) -> list[np.ndarray]:
        labels = self._labels(X[cube.members])
        return [cube.members[labels == k] for k in np.unique(labels) if k != -1]

    def _graph(self, clusters: list[tuple[Cube, np.ndarray]], n_points: int) -> nx.Graph:
        G = nx.Graph(
            lens=self.lens if isinstance(self.lens, str) else "custom",
            n_intervals=self.cover_.n_intervals,
            overlap=self.cover_.overlap,
            cover=self.cover_.kind,
            clusterer=self.clusterer if isinstance(self.clusterer, str) else repr(self.clusterer),
            min_gap=None if self.min_gap_ is None else float(self.min_gap_),
            n_points=n_points,
        )
        for node, (cube, members) in enumerate(clusters):
            G.add_node(node, **self._node_attributes(cube, members))
        for u, v, shared in _shared_members([m for _, m in clusters], n_points):
            G.add_edge(u, v, shared=shared)
        return G

    def _node_attributes(self, cube: Cube, members: np.ndarray) -> dict:
        means = self.lens_[members].mean(axis=0)
        attrs = {
            "members": members,
            "size": int(members.size),
            "cube": list(cube.index),
            "interval": cube.bounds.tolist(),
            "lens": float(means[0]),
        }
        attrs.update({f"lens_{j}": float(v) for j, v in enumerate(means[1:], start=1)})
        return attrs


def _bad_parameter(name: str, expected: str, got: object) -> InputError:
    """scikit-learn's message shape for a parameter of :class:`Mapper`."""
    return InputError(f"The {name!r} parameter of Mapper must be {expected}. Got {got!r} instead.")


def _shared_members(clusters: list[np.ndarray], n_points: int) -> list[tuple[int, int, int]]:
    """``(u, v, count)`` for every pair of clusters sharing ``count > 0`` points."""
    if not clusters:
        return []
    rows = np.repeat(np.arange(len(clusters)), [len(m) for m in clusters])
    incidence = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (rows, np.concatenate(clusters))),
        shape=(len(clusters), n_points),
    )
    shared = sparse.triu(incidence @ incidence.T, k=1).tocoo()
    return [(int(u), int(v), int(c)) for u, v, c in zip(shared.row, shared.col, shared.data)]


def summarize_graph(G: nx.Graph) -> dict:
    """Counts of a Mapper graph: nodes, edges, components, independent cycles, branch points.

    ``independent_cycles`` is the first Betti number ``E - V + C``; ``branch_points`` counts
    nodes of degree 3 or more, ``leaves`` those of degree 1.

    Examples
    --------
    >>> summarize_graph(nx.cycle_graph(5))["independent_cycles"]
    1
    """
    degrees = np.array([d for _, d in G.degree()], dtype=np.int64)
    sizes = [G.nodes[u].get("size", 0) for u in G]
    components = nx.number_connected_components(G) if len(G) else 0
    return {
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "components": components,
        "independent_cycles": G.number_of_edges() - G.number_of_nodes() + components,
        "branch_points": int((degrees >= 3).sum()),
        "leaves": int((degrees == 1).sum()),
        "max_degree": int(degrees.max()) if degrees.size else 0,
        "node_size": {
            "min": int(min(sizes, default=0)),
            "mean": float(np.mean(sizes)) if sizes else 0.0,
            "max": int(max(sizes, default=0)),
        },
    }
