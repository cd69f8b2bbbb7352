"""Filtration builders: the objects :func:`tda_pipe.tda.persistence.persistence` consumes.

Each builder validates its input and returns a small filtration object; nothing heavy is
computed until persistence is asked for.

=================  ===========================  ==============================================
kind               builder                      filtration value of a simplex
=================  ===========================  ==============================================
``rips``           :func:`rips`                 its longest edge (any scikit-learn metric, or a
                                                precomputed distance matrix)
``sparse-rips``    :func:`sparse_rips`          gudhi's (1 + epsilon)-approximate sparse Rips
``alpha``          :func:`alpha`                the alpha value, on the diameter scale
                                                ``2 * sqrt(alpha^2)`` so it shares units with Rips
``cubical``        :func:`cubical`              pixel / voxel values (top cells, gudhi)
``weighted-rips``  :func:`weighted_rips`        vertex ``w_i``; edge ``max(w_i, w_j, (d_ij + w_i +
                                                w_j) / 2)`` (Anai et al., p = 1); flag above
``dtm``            :func:`dtm`                  weighted Rips with distance-to-measure weights
``landmark-rips``  :func:`~tda_pipe.tda.        Rips of maxmin landmarks, within ``2 eps`` (the
                   landmark_rips.landmark_rips` cover radius) of Rips of all the points
``lower-star``     :func:`lower_star_graph`,    the largest vertex value of the simplex
                   :func:`lower_star_mesh`
=================  ===========================  ==============================================

On the alpha scale: a Rips edge enters at its length ``d``, an alpha (Cech) edge at radius
``d / 2``; reporting alpha values as diameters makes the H0 diagrams of alpha and Rips equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from tda_pipe.errors import InputError
from tda_pipe.tda.alpha_delaunay import DIMENSIONS
from tda_pipe.tda.resources import (
    DELAUNAY_FROM,
    MEMORY_MARGIN,
    TIME_LIMIT_S,
    Estimate,
    alpha_estimate,
    check_cubical,
    check_fits,
    format_seconds,
    intrinsic_dimension,
    mst_estimate,
    rips_estimate,
    sparse_rips_estimate,
    weighted_rips_estimate,
)
from tda_pipe.tda.validation import (
    available_memory,
    check_distance_matrix,
    check_image,
    check_metric,
    check_points,
    is_sparse,
)

if TYPE_CHECKING:
    from scipy.sparse import coo_matrix

__all__ = [
    "AUTO_ALPHA_MIN_POINTS",
    "AUTO_LANDMARK_MIN_POINTS",
    "AUTO_SECONDS",
    "AlphaFiltration",
    "BUILDERS",
    "CubicalFiltration",
    "Filtration",
    "KINDS",
    "LowerStarFiltration",
    "RipsFiltration",
    "SPARSE_EPSILON",
    "SparseRipsFiltration",
    "alpha",
    "build_filtration",
    "cubical",
    "dtm",
    "dtm_weights",
    "lower_star_graph",
    "lower_star_mesh",
    "rips",
    "sparse_rips",
    "weighted_rips",
]

#: Under ``auto``, a cloud in R^2 or R^3 with more points than this goes to the alpha complex,
#: by the highest homology dimension asked. Measured with giotto-ph on 2 cores: Rips H1 of
#: 2000 points takes 1.5 s; Rips H2 takes 3.4 s for 300 points on a sphere and 56 s for 600.
AUTO_ALPHA_MIN_POINTS = {1: 2000, 2: 300}
#: Under ``auto``, a cloud in R^4 and above goes to Rips on maxmin landmarks (within a stated
#: bottleneck distance of the full Rips diagrams) when, for H1 and above, it has more points
#: than this or its exact Rips would not fit in memory, and for H0 when the spanning tree
#: would take longer than :data:`AUTO_SECONDS`. Measured: Rips H1 of 5000 points in R^50 took
#: 87 s; of 2000 points 13.6 s (2 cores under a load average of 13).
AUTO_LANDMARK_MIN_POINTS = 5000
AUTO_SECONDS = 60.0


@dataclass(eq=False)
class Filtration:
    """Base of every filtration; ``reason`` says why ``kind="auto"`` chose it."""

    kind: ClassVar[str] = ""
    reason: str = field(default="", kw_only=True)

    @property
    def n_vertices(self) -> int:
        raise NotImplementedError

    @property
    def approximation(self) -> dict | None:
        """How far its diagrams may be from the exact ones (``None``: they are exact)."""
        return None

    def describe(self) -> str:
        """One line: the kind, the size, and the reason it was chosen."""
        text = f"{self.kind} filtration on {self.n_vertices} vertices"
        return f"{text} ({self.reason})" if self.reason else text


#: Up to this many coordinate differences (``n^2 d``, 16 MB) :func:`euclidean_matrix` takes
#: them with numpy; above it scipy's ``cdist``, some ten times faster, whose import (0.2 s,
#: scipy.spatial) is then the smaller cost.
NUMPY_DIFFERENCES = 1 << 21


def euclidean_matrix(X: np.ndarray) -> np.ndarray:
    """Euclidean distances between the rows of ``X``, exact: each the square root of summed
    squared differences in coordinate order (no dot-product form, whose cancellation gives
    duplicate points a distance of 1e-8): the bits of scipy's ``cdist``, ``D[i, j] == D[j, i]``
    and duplicates exactly 0.

    Examples
    --------
    >>> euclidean_matrix(np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 4.0]])).tolist()
    [[0.0, 5.0, 5.0], [5.0, 0.0, 0.0], [5.0, 0.0, 0.0]]
    """
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    if n * n * d > NUMPY_DIFFERENCES:
        from scipy.spatial.distance import cdist

        return cdist(X, X)
    squares = X[:, None, :] - X[None, :, :]
    squares *= squares
    total = np.zeros((n, n))
    for k in range(d):  # summed in coordinate order, as cdist sums: the same bits
        total += squares[:, :, k]
    return np.sqrt(total)


def _sparse_to_dense(D) -> np.ndarray:
    """Dense matrix of a sparse graph: stored entries are edges, missing ones are ``inf``."""
    from scipy import sparse

    coo = sparse.coo_matrix(D)
    dense = np.full(coo.shape, np.inf)
    dense[coo.col, coo.row] = coo.data
    dense[coo.row, coo.col] = coo.data
    diagonal = np.zeros(coo.shape[0])
    on_diag = coo.row == coo.col
    diagonal[coo.row[on_diag]] = coo.data[on_diag]
    np.fill_diagonal(dense, diagonal)
    return dense


@dataclass(eq=False)
class RipsFiltration(Filtration):
    """Vietoris–Rips (flag) filtration of points or of a distance matrix.

    Exactly one of ``points`` and ``distances`` is set. ``weights`` (if set) turns it into the
    weighted Rips filtration of Anai et al. with ``p = 1``.
    """

    kind: ClassVar[str] = "rips"
    points: np.ndarray | None = None
    distances: np.ndarray | coo_matrix | None = None
    metric: str = "euclidean"
    threshold: float = math.inf
    weights: np.ndarray | None = None

    @property
    def n_vertices(self) -> int:
        source = self.points if self.points is not None else self.distances
        return source.shape[0]

    @property
    def is_weighted(self) -> bool:
        return self.weights is not None

    def vertex_values(self, idx: np.ndarray) -> np.ndarray:
        """Values at which vertices ``idx`` enter (0, or their weight)."""
        idx = np.asarray(idx, dtype=np.int64)
        if self.weights is not None:
            return self.weights[idx]
        if self.distances is not None and not is_sparse(self.distances):
            return np.asarray(self.distances)[idx, idx]
        if self.distances is not None:
            return np.asarray(self.distances.tocsr()[idx, idx]).ravel()
        return np.zeros(len(idx))

    def distances_between(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Distances ``d(x_i, x_j)`` for index arrays ``i``, ``j`` (float64)."""
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        if self.distances is not None:
            if is_sparse(self.distances):
                return np.asarray(self.distances.tocsr()[i, j]).ravel()
            return np.asarray(self.distances)[i, j]
        if self.metric == "euclidean":
            return np.linalg.norm(self.points[i] - self.points[j], axis=1)
        from sklearn.metrics.pairwise import PAIRED_DISTANCES, paired_distances

        if self.metric in PAIRED_DISTANCES:
            return paired_distances(self.points[i], self.points[j], metric=self.metric)
        from scipy.spatial.distance import cdist

        return np.array(
            [
                cdist(self.points[a, None], self.points[b, None], self.metric)[0, 0]
                for a, b in zip(i, j)
            ]
        )

    def edge_values(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Filtration values of edges ``(i, j)``; ``j == -1`` means the vertex ``i``."""
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        out = self.vertex_values(i)
        edge = j >= 0
        if edge.any():
            d = self.distances_between(i[edge], j[edge])
            if self.weights is not None:
                wi, wj = self.weights[i[edge]], self.weights[j[edge]]
                d = np.maximum(np.maximum(wi, wj), (d + wi + wj) / 2.0)
            out[edge] = d
        return out

    def dense_matrix(self) -> np.ndarray:
        """The full ``(n, n)`` matrix of filtration values (edge values, vertex values on the
        diagonal). Needs ``8 n^2`` bytes."""
        self.check_memory()
        if self.distances is not None and is_sparse(self.distances):
            D = _sparse_to_dense(self.distances)
        elif self.distances is not None:
            D = np.array(self.distances, dtype=np.float64)
        elif self.metric == "euclidean":
            D = euclidean_matrix(self.points)
        else:
            from sklearn.metrics import pairwise_distances

            D = pairwise_distances(self.points, metric=self.metric)
        if self.weights is not None:
            w = self.weights
            D = np.maximum(np.maximum.outer(w, w), (D + w[:, None] + w[None, :]) / 2.0)
            np.fill_diagonal(D, w)
        return D

    def check_memory(self, max_dim: int | None = None) -> None:
        """Raise :class:`InputError` if the dense distance matrix would take more than 80% of
        the available memory (:func:`~tda_pipe.tda.resources.check_fits`).

        With ``max_dim``, the estimate is that of Rips persistence up to H``max_dim``: the
        matrix (unless a dense one was given) plus giotto-ph's complex
        (:func:`~tda_pipe.tda.resources.rips_estimate`); where vertices have values (weighted
        Rips, DTM, a matrix with a non-zero diagonal), gudhi's simplex tree after its edge
        collapse (:func:`~tda_pipe.tda.resources.weighted_rips_estimate`), refused also beyond
        :data:`~tda_pipe.tda.resources.TIME_LIMIT_S`.
        """
        matrix = max_dim is None or self.points is not None or self.is_weighted
        if max_dim and self._has_vertex_values():
            check_fits(
                weighted_rips_estimate(
                    self.n_vertices,
                    None if self.points is None else self.points.shape[1],
                    max_dim,
                    matrix=matrix,
                ),
                available_memory(),
                "use --threshold T (only edges up to T), --max-dim 0 (H0 by a spanning tree, "
                "no complex), or subsample the points (--sample N)",
                time_limit=TIME_LIMIT_S,
            )
            return
        fixes = ["--threshold T (only edges up to T)", "--sparse EPS (sparse Rips)"]
        if self.points is not None and self.points.shape[1] <= 3:
            fixes.insert(0, "--filtration alpha")
        check_fits(
            rips_estimate(self.n_vertices, max_dim, matrix=matrix),
            available_memory(),
            f"use {' or '.join(fixes)}, or subsample the points (--sample N)",
        )

    def _has_vertex_values(self) -> bool:
        """Whether some vertex enters after 0 (then gudhi builds an explicit simplex tree)."""
        if self.is_weighted:
            return True
        dense = self.distances is not None and not is_sparse(self.distances)
        return dense and bool(np.asarray(self.distances).diagonal().any())


#: The sparse Rips approximation parameter when none is given: diagrams within a factor 1.5.
SPARSE_EPSILON = 0.5


@dataclass(eq=False)
class SparseRipsFiltration(Filtration):
    """gudhi's sparse Rips complex: a (1 + epsilon)-interleaving approximation of Rips."""

    kind: ClassVar[str] = "sparse-rips"
    points: np.ndarray | None = None
    distances: np.ndarray | None = None
    epsilon: float = SPARSE_EPSILON
    threshold: float = math.inf

    @property
    def n_vertices(self) -> int:
        source = self.points if self.points is not None else self.distances
        return source.shape[0]

    def check_memory(self, max_dim: int) -> None:
        """Raise :class:`InputError` if gudhi's sparse Rips complex up to dimension
        ``max_dim + 1`` would take more than 80% of the available memory or more than
        :data:`~tda_pipe.tda.resources.TIME_LIMIT_S`
        (:func:`~tda_pipe.tda.resources.sparse_rips_estimate`, at the points' intrinsic
        dimension: :func:`~tda_pipe.tda.resources.intrinsic_dimension`, at most ``d``)."""
        dim = intrinsic_dimension(self.points, self.distances)
        if self.points is not None:
            dim = self.points.shape[1] if math.isnan(dim) else min(dim, self.points.shape[1])
        elif math.isnan(dim):
            dim = 1.0  # every sampled point has a duplicate: a few distinct points
        check_fits(
            sparse_rips_estimate(
                self.n_vertices, dim, self.epsilon, max_dim, matrix=self.points is None
            ),
            available_memory(),
            "use a larger --sparse EPS (fewer simplices), --threshold T, a lower --max-dim, "
            "or subsample the points (--sample N)",
            time_limit=TIME_LIMIT_S,
        )


@dataclass(eq=False)
class AlphaFiltration(Filtration):
    """Alpha complex of points in R^d (gudhi), values on the diameter scale."""

    kind: ClassVar[str] = "alpha"
    points: np.ndarray = None  # type: ignore[assignment]

    @property
    def n_vertices(self) -> int:
        return self.points.shape[0]


@dataclass(eq=False)
class CubicalFiltration(Filtration):
    """Sublevel-set filtration of a 1-D, 2-D or 3-D array whose cells are the pixels / voxels."""

    kind: ClassVar[str] = "cubical"
    image: np.ndarray = None  # type: ignore[assignment]

    @property
    def n_vertices(self) -> int:
        return int(self.image.size)


@dataclass(eq=False)
class LowerStarFiltration(Filtration):
    """Lower-star filtration of vertex values on a simplicial complex (graph or mesh).

    ``simplices[k]`` is an ``(m_k, k + 2)`` int array of the complex's ``(k + 1)``-simplices
    (edges first, then triangles, ...). A simplex enters at its largest vertex value.
    """

    kind: ClassVar[str] = "lower-star"
    values: np.ndarray = None  # type: ignore[assignment]
    simplices: list[np.ndarray] = field(default_factory=list)

    @property
    def n_vertices(self) -> int:
        return len(self.values)


# -- builders ------------------------------------------------------------------------------


def _threshold(threshold: float | None) -> float:
    t = math.inf if threshold is None else float(threshold)
    if not t > 0:
        raise InputError(f"threshold must be > 0, got {threshold}")
    return t


def _points_or_distances(data, metric: str) -> tuple[np.ndarray | None, object]:
    check_metric(metric)
    if metric == "precomputed":
        return None, check_distance_matrix(data)
    return check_points(data), None


def rips(data, *, metric: str = "euclidean", threshold: float | None = None) -> RipsFiltration:
    """Vietoris–Rips filtration of points (``metric`` any scikit-learn metric) or of a distance
    matrix (``metric="precomputed"``, dense or scipy sparse), up to ``threshold``.

    Examples
    --------
    >>> from tda_pipe.datasets import circle
    >>> rips(circle(100, seed=0)).describe()
    'rips filtration on 100 vertices'
    """
    points, distances = _points_or_distances(data, metric)
    return RipsFiltration(
        points=points, distances=distances, metric=metric, threshold=_threshold(threshold)
    )


def weighted_rips(
    data, weights, *, metric: str = "euclidean", threshold: float | None = None
) -> RipsFiltration:
    """Weighted Rips filtration (Anai et al. 2020, p = 1) with vertex weights ``w_i >= 0``:
    vertex ``i`` enters at ``w_i``, edge ``{i, j}`` at ``max(w_i, w_j, (d_ij + w_i + w_j) / 2)``.

    This is the radius scale of Anai et al.; gudhi's ``WeightedRipsComplex`` and giotto-ph's
    ``weights=`` report the same filtration at twice these values.
    """
    filt = rips(data, metric=metric, threshold=threshold)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != (filt.n_vertices,):
        raise InputError(
            f"weights must hold one value per point ({filt.n_vertices}), got {w.shape[0]}"
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputError("weights must be finite and >= 0")
    filt.weights = w
    return filt


def dtm_weights(data, k: int = 10, power: float = 2.0, *, metric: str = "euclidean") -> np.ndarray:
    """Empirical distance-to-measure of every point: ``(mean_{j<=k} d(x, x_(j))^power)^(1/power)``
    over its ``k`` nearest sample points, the point itself included (so ``k = 1`` gives 0,
    gudhi's convention)."""
    from sklearn.neighbors import NearestNeighbors

    points, distances = _points_or_distances(data, metric)
    n = (points if points is not None else distances).shape[0]
    if not 1 <= k <= n:
        raise InputError(f"DTM needs 1 <= k <= number of points ({n}), got k={k}")
    if distances is not None:
        D = _sparse_to_dense(distances) if is_sparse(distances) else distances
        knn = np.sort(D, axis=1)[:, :k]
    else:
        nn = NearestNeighbors(n_neighbors=k, metric=metric).fit(points)
        knn, _ = nn.kneighbors(points)
    return np.mean(knn**power, axis=1) ** (1.0 / power)


def dtm(
    data,
    k: int = 10,
    power: float = 2.0,
    *,
    metric: str = "euclidean",
    threshold: float | None = None,
) -> RipsFiltration:
    """DTM filtration: weighted Rips with :func:`dtm_weights` (robust to outliers)."""
    filt = weighted_rips(
        data, dtm_weights(data, k, power, metric=metric), metric=metric, threshold=threshold
    )
    filt.reason = f"DTM weights, k={k}"
    return filt


def sparse_rips(
    data,
    epsilon: float = SPARSE_EPSILON,
    *,
    metric: str = "euclidean",
    threshold: float | None = None,
) -> SparseRipsFiltration:
    """gudhi's sparse Rips complex; ``epsilon`` is the approximation parameter (its diagrams
    are within a multiplicative ``1 + epsilon`` of the Rips diagrams)."""
    if not epsilon > 0:
        raise InputError(f"sparse Rips epsilon must be > 0, got {epsilon}")
    points, distances = _points_or_distances(data, metric)
    if points is not None and metric != "euclidean":
        n = len(points)
        check_fits(
            Estimate(f"the {metric} distances of {n} points", (("the matrix", 8.0 * n * n),)),
            available_memory(),
            "use the euclidean metric (gudhi computes those itself, no matrix) or subsample "
            "the points (--sample N)",
        )
        from sklearn.metrics import pairwise_distances

        points, distances = None, pairwise_distances(points, metric=metric)
    if distances is not None and is_sparse(distances):
        distances = _sparse_to_dense(distances)
    return SparseRipsFiltration(
        points=points, distances=distances, epsilon=float(epsilon), threshold=_threshold(threshold)
    )


def alpha(data) -> AlphaFiltration:
    """Alpha complex of a point cloud (gudhi); best for large clouds in R^2 and R^3.

    The Delaunay triangulation under it explodes with the dimension: a cloud whose complex
    would take more than 80% of the available memory or more than 10 minutes
    (:func:`~tda_pipe.tda.resources.alpha_estimate`) is an :class:`InputError`.
    """
    points = check_points(data)
    n, d = points.shape
    # the route auto takes (backend "delaunay"): R^2/R^3, enough points
    delaunay = d in DIMENSIONS and n >= DELAUNAY_FROM
    check_fits(
        alpha_estimate(n, d, delaunay=delaunay),
        available_memory(),
        "use --filtration rips with --threshold T, sparse Rips (--sparse EPS), "
        "or fewer points (--sample N)",
        time_limit=TIME_LIMIT_S,
    )
    return AlphaFiltration(points=points)


def cubical(image) -> CubicalFiltration:
    """Sublevel filtration of a greyscale image or voxel grid (pixels are the top cells).

    An image whose cubical complex would take more than 80% of the available memory
    (:func:`~tda_pipe.tda.resources.check_cubical`) is an :class:`InputError`.
    """
    img = check_image(image)
    check_cubical(img.shape, available_memory())
    return CubicalFiltration(image=img)


def _check_values(values, n: int) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.shape != (n,):
        raise InputError(f"lower-star values must hold one value per vertex ({n}), got {v.size}")
    if not np.isfinite(v).all():
        raise InputError("lower-star values must be finite")
    return v


def lower_star_graph(graph, values=None, *, attribute: str = "value") -> LowerStarFiltration:
    """Lower-star filtration of a function on a networkx graph (a 1-dimensional complex).

    ``values`` is an array in ``graph.nodes`` order; if omitted, the node attribute
    ``attribute`` is used. H1 classes of a graph are its independent cycles (all essential).
    """
    nodes = list(graph.nodes)
    if not nodes:
        raise InputError("the graph has no nodes")
    if values is None:
        missing = [u for u in nodes if attribute not in graph.nodes[u]]
        if missing:
            raise InputError(f"node {missing[0]!r} has no {attribute!r} attribute; pass values=")
        values = [graph.nodes[u][attribute] for u in nodes]
    index = {u: i for i, u in enumerate(nodes)}
    edges = np.array([(index[u], index[v]) for u, v in graph.edges if u != v], dtype=np.int64)
    return LowerStarFiltration(
        values=_check_values(values, len(nodes)), simplices=[edges.reshape(-1, 2)]
    )


def lower_star_mesh(mesh, values=None) -> LowerStarFiltration:
    """Lower-star filtration of a function on a triangle mesh (trimesh, or ``(vertices, faces)``).

    ``values`` defaults to the height (last coordinate) of each vertex.
    """
    if isinstance(mesh, tuple):
        vertices, faces = mesh
    else:
        vertices, faces = mesh.vertices, mesh.faces
    vertices = check_points(vertices, "mesh vertices", min_points=1)
    faces = np.sort(np.asarray(faces, dtype=np.int64).reshape(-1, 3), axis=1)
    if faces.size and (faces.min() < 0 or faces.max() >= len(vertices)):
        raise InputError("mesh faces refer to vertices that do not exist")
    edges = np.unique(
        np.concatenate([faces[:, [0, 1]], faces[:, [0, 2]], faces[:, [1, 2]]]), axis=0
    )
    if values is None:
        values = vertices[:, -1]
    return LowerStarFiltration(
        values=_check_values(values, len(vertices)), simplices=[edges, faces]
    )


def _build_rips(data, o: dict) -> Filtration:
    return rips(data, metric=o["metric"], threshold=o["threshold"])


def _build_sparse_rips(data, o: dict) -> Filtration:
    epsilon = SPARSE_EPSILON if o["epsilon"] is None else o["epsilon"]
    return sparse_rips(data, epsilon, metric=o["metric"], threshold=o["threshold"])


def _build_alpha(data, o: dict) -> Filtration:
    if o["metric"] == "precomputed":
        raise InputError(
            "the alpha complex needs point coordinates, not a distance matrix; use rips"
        )
    if o["metric"] != "euclidean":
        raise InputError(f"the alpha complex is Euclidean; metric {o['metric']!r} needs rips")
    return alpha(data)


def _build_landmark_rips(data, o: dict) -> Filtration:
    from tda_pipe.tda.landmark_rips import landmark_rips  # it builds on RipsFiltration

    return landmark_rips(data, o["landmarks"], max_dim=o["max_dim"], metric=o["metric"])


def _build_cubical(data, o: dict) -> Filtration:
    return cubical(data)


def _build_weighted_rips(data, o: dict) -> Filtration:
    if o["weights"] is None:
        raise InputError("weighted-rips needs weights (one per point); or use dtm")
    return weighted_rips(data, o["weights"], metric=o["metric"], threshold=o["threshold"])


def _build_dtm(data, o: dict) -> Filtration:
    return dtm(data, o["k"], metric=o["metric"], threshold=o["threshold"])


#: Every filtration kind :func:`build_filtration` builds, declared once: the option values,
#: the stage parameter's choices and the error messages read it.
BUILDERS = {
    "rips": _build_rips,
    "sparse-rips": _build_sparse_rips,
    "alpha": _build_alpha,
    "landmark-rips": _build_landmark_rips,
    "cubical": _build_cubical,
    "weighted-rips": _build_weighted_rips,
    "dtm": _build_dtm,
}
KINDS = ("auto", *BUILDERS)


def build_filtration(
    data,
    kind: str = "auto",
    *,
    max_dim: int = 1,
    metric: str = "euclidean",
    threshold: float | None = None,
    epsilon: float | None = None,
    weights=None,
    k: int = 10,
    landmarks: int | None = None,
) -> Filtration:
    """Build the filtration ``kind`` of ``data``; ``"auto"`` picks one and says why.

    ``auto`` chooses: Rips for a precomputed matrix; sparse Rips if ``epsilon`` is given; the
    alpha complex for clouds in R^2 or R^3 larger than :data:`AUTO_ALPHA_MIN_POINTS` (2000
    points for H1, 300 for H2; never in R^4 and above, where the Delaunay triangulation
    explodes); Rips on ``landmarks`` maxmin landmarks (default 1000) for clouds in R^4 and
    above whose exact Rips would not fit, or take long (:data:`AUTO_LANDMARK_MIN_POINTS`,
    :data:`AUTO_SECONDS`), or if ``landmarks`` is given; Rips otherwise. Images go to
    ``kind="cubical"`` explicitly.

    A Rips filtration without a threshold, for ``max_dim >= 1``, is refused here if its matrix
    and complex would not fit in memory (:meth:`RipsFiltration.check_memory`); H0 goes through
    a spanning tree that needs no matrix. Where vertices have values (weighted Rips, DTM) the
    estimate is that of gudhi's collapsed simplex tree, in memory and time; sparse Rips without
    a threshold is estimated too (:meth:`SparseRipsFiltration.check_memory`).

    Examples
    --------
    >>> import numpy as np
    >>> f = build_filtration(np.random.default_rng(0).random((5000, 3)))
    >>> f.kind, f.reason
    ('alpha', 'auto: 5000 points in R^3, more than 2000 for Rips H1')
    """
    if kind not in KINDS:
        raise InputError(f"unknown filtration {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "auto":
        kind, reason = _auto_kind(
            data,
            max_dim=max_dim,
            metric=metric,
            epsilon=epsilon,
            weights=weights,
            landmarks=landmarks,
            threshold=threshold,
        )
    else:
        reason = ""
    options = {"metric": metric, "threshold": threshold, "epsilon": epsilon, "weights": weights}
    filt = BUILDERS[kind](data, options | {"k": k, "landmarks": landmarks, "max_dim": max_dim})
    if (
        isinstance(filt, RipsFiltration)
        and max_dim >= 1
        and np.isinf(filt.threshold)
        and not is_sparse(filt.distances)  # giotto-ph keeps a sparse graph sparse
    ):
        filt.check_memory(max_dim)
    if isinstance(filt, SparseRipsFiltration) and np.isinf(filt.threshold):
        filt.check_memory(max_dim)
    if reason:
        filt.reason = reason
    return filt


def _auto_kind(
    data, *, max_dim: int, metric: str, epsilon, weights, landmarks, threshold
) -> tuple[str, str]:
    if weights is not None:
        return "weighted-rips", "auto: weights given"
    if metric == "precomputed":
        return "rips", "auto: precomputed distances"
    if epsilon is not None:
        return "sparse-rips", f"auto: epsilon={epsilon} given"
    if landmarks is not None:
        return "landmark-rips", f"auto: landmarks={landmarks} given"
    shape = np.shape(data)
    if len(shape) == 2 and metric == "euclidean" and shape[1] >= 4 and threshold is None:
        why = _exact_rips_too_big(*shape, max_dim)
        if why:
            return "landmark-rips", f"auto: {why}"
    if len(shape) == 2 and metric == "euclidean" and 2 <= shape[1] <= 3 and max_dim >= 1:
        limit = AUTO_ALPHA_MIN_POINTS[min(max_dim, 2)]
        if shape[0] > limit:
            return (
                "alpha",
                f"auto: {shape[0]} points in R^{shape[1]}, more than {limit} for Rips H{max_dim}",
            )
    return "rips", ""


def _exact_rips_too_big(n: int, d: int, max_dim: int) -> str:
    """Why ``auto`` passes over exact Rips of ``n`` points in R^d up to H``max_dim`` (or ``""``)."""
    if max_dim == 0:
        seconds = mst_estimate(n, d).seconds
        if seconds > AUTO_SECONDS:
            return (
                f"{n} points in R^{d}: H0 by a spanning tree would take about "
                f"{format_seconds(seconds)}"
            )
        return ""
    if n > AUTO_LANDMARK_MIN_POINTS:
        return f"{n} points in R^{d}, more than {AUTO_LANDMARK_MIN_POINTS} for Rips H{max_dim}"
    if rips_estimate(n, max_dim).bytes > MEMORY_MARGIN * available_memory():
        return f"{n} points in R^{d}: the exact Rips H{max_dim} would not fit in memory"
    return ""
