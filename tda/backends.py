"""The libraries that compute persistence, each wrapped to return diagrams and pairs, and
declared once with what it can do (:data:`REGISTRY`).

Every function takes a filtration object, ``max_dim``, ``n_threads``, ``coeff`` (a prime: the
field Z/p) and ``with_pairs``, and returns ``(dgms, pairs)``: per dimension a float64 ``(k, 2)``
array and a ``(birth_simplices, death_simplices)`` tuple (see :mod:`tda_pipe.tda.diagrams`),
or ``pairs=None`` where the library gives none (ripser) or none were asked.

Rips goes to gudhi's Ripser (``RipsPersistence``, float64, edge collapse from H2 up). Its
diagrams carry values only; pairs come from ranks (:func:`rank_flag`): every distance replaced
by its rank in one total order of the edges, each birth and death rank read back as one edge.
Every Rips backend gets float64 distances from us, never coordinates (ripser.py computes
float32 distances from points, 3e-8 between duplicates: spurious H0 bars), and a threshold is
applied by us in float64 (:func:`threshold_graph`): an edge of length exactly ``threshold`` is
in the complex on every backend. giotto-ph (AGPL, an optional extra) is used only when asked.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from tda_pipe.errors import InputError
from tda_pipe.tda.alpha_delaunay import DIMENSIONS, alpha_delaunay
from tda_pipe.tda.filtrations import (
    AlphaFiltration,
    CubicalFiltration,
    LowerStarFiltration,
    RipsFiltration,
    SparseRipsFiltration,
)
from tda_pipe.tda.mst import mst_h0
from tda_pipe.tda.resources import DELAUNAY_FROM
from tda_pipe.tda.validation import is_sparse

if TYPE_CHECKING:
    from scipy.sparse import coo_matrix

__all__ = [
    "REGISTRY",
    "Backend",
    "RankedFlag",
    "alpha_gudhi",
    "alpha_union_find",
    "cubical_gudhi",
    "full_rips_top_simplices",
    "giotto_refuses",
    "lower_star_gudhi",
    "rank_flag",
    "rips_giotto",
    "rips_gudhi",
    "rips_mst",
    "rips_ripser",
    "sparse_rips_gudhi",
    "threshold_graph",
]

Result = tuple[list[np.ndarray], list[tuple[np.ndarray, np.ndarray]] | None]


def _drop_zero_length(dgm, births, deaths):
    keep = dgm[:, 1] > dgm[:, 0]
    return dgm[keep], (births[keep], deaths[keep])


def _flag_result(gens, max_dim: int, edge_values) -> Result:
    """Diagrams from flag-complex generators (giotto-ph's and gudhi's shared format).

    ``edge_values(i, j)`` gives the float64 value of edge ``(i, j)`` (``j == -1``: vertex ``i``).
    """
    h0_finite, higher, h0_essential, higher_essential = gens
    h0_finite = np.asarray(h0_finite, dtype=np.int64).reshape(-1, 3)
    h0_essential = np.asarray(h0_essential, dtype=np.int64).ravel()
    births = np.column_stack(
        [
            np.concatenate([h0_finite[:, 0], h0_essential]),
            np.full(len(h0_finite) + len(h0_essential), -1),
        ]
    )
    deaths = np.concatenate([h0_finite[:, 1:], np.full((len(h0_essential), 2), -1)])
    dgm, pr = _flag_values(births, deaths, edge_values)
    dgms, pairs = [dgm], [pr]
    for p in range(1, max_dim + 1):
        fin = _generator_array(higher, p - 1, 4)
        ess = _generator_array(higher_essential, p - 1, 2)
        births = np.concatenate([fin[:, :2], ess])
        deaths = np.concatenate([fin[:, 2:], np.full((len(ess), 2), -1)])
        dgm, pr = _flag_values(births, deaths, edge_values)
        dgms.append(dgm)
        pairs.append(pr)
    return dgms, pairs


def _generator_array(arrays: list, index: int, width: int) -> np.ndarray:
    """``arrays[index]`` as an int ``(k, width)`` array; empty where the backend gave none."""
    if index < len(arrays):
        return np.asarray(arrays[index], dtype=np.int64).reshape(-1, width)
    return np.empty((0, width), dtype=np.int64)


def _cell_result(finite: list, essential: list, max_dim: int, values: np.ndarray) -> Result:
    """Diagrams of a filtration whose every value sits on one cell of ``values``.

    ``finite[p]`` holds (birth cell, death cell) index rows and ``essential[p]`` birth cells;
    used for lower-star filtrations (vertices) and cubical complexes (pixels).
    """
    dgms, pairs = [], []
    for p in range(max_dim + 1):
        fin = _generator_array(finite, p, 2)
        ess = _generator_array(essential, p, 1)
        births = np.concatenate([fin[:, :1], ess])
        deaths = np.concatenate([fin[:, 1:], np.full((len(ess), 1), -1)])
        d = np.where(deaths[:, 0] >= 0, values[np.maximum(deaths[:, 0], 0)], np.inf)
        dgm, pr = _drop_zero_length(np.column_stack([values[births[:, 0]], d]), births, deaths)
        dgms.append(dgm)
        pairs.append(pr)
    return dgms, pairs


def _flag_values(births: np.ndarray, deaths: np.ndarray, edge_values):
    b = edge_values(births[:, 0], births[:, 1]) if len(births) else np.empty(0)
    d = np.full(len(deaths), np.inf)
    finite = deaths[:, 0] >= 0
    if finite.any():
        d[finite] = edge_values(deaths[finite, 0], deaths[finite, 1])
    return _drop_zero_length(np.column_stack([b, d]), births, deaths)


def threshold_graph(filt: RipsFiltration) -> coo_matrix:
    """The edges of ``filt`` whose float64 value is ``<= filt.threshold``, as an upper-triangular
    sparse matrix with the vertex values on its diagonal (what giotto-ph, ripser and gudhi take).

    A backend handed a threshold compares in its own precision: giotto-ph rounds to float32,
    and lost an edge of length exactly the threshold in 3 of 200 random clouds (once an
    essential H1 class). Here candidate edges come from a radius search a relative 1e-6 wider
    (far above the ulps by which two implementations of one metric differ), and the values
    :meth:`RipsFiltration.edge_values` gives, the ones the diagrams report, decide.
    """
    from scipy import sparse

    t, n = filt.threshold, filt.n_vertices
    if filt.points is None and not is_sparse(filt.distances):
        M = filt.dense_matrix()
        i, j = np.nonzero(np.triu(M <= t, 1))
    else:
        if filt.points is None:
            candidates = sparse.triu(filt.distances, 1).tocoo()
        else:
            from sklearn.neighbors import radius_neighbors_graph

            # a weighted edge (d + w_i + w_j) / 2 <= t has d <= 2 t
            reach = (2 * t if filt.is_weighted else t) * (1 + 1e-6)
            graph = radius_neighbors_graph(filt.points, reach, metric=filt.metric)
            candidates = sparse.triu(graph, 1).tocoo()
        i, j = candidates.row.astype(np.int64), candidates.col.astype(np.int64)
        keep = filt.edge_values(i, j) <= t
        i, j = i[keep], j[keep]
    vertices = np.arange(n)
    return sparse.coo_matrix(
        (
            np.concatenate([filt.vertex_values(vertices), filt.edge_values(i, j)]),
            (np.concatenate([vertices, i]), np.concatenate([vertices, j])),
        ),
        shape=(n, n),
    )


def _float64_matrix(filt: RipsFiltration):
    """What a Rips backend computes from: the threshold graph, the given distance matrix, or
    our float64 matrix (never the points, whose distances a backend would compute itself)."""
    if np.isfinite(filt.threshold):
        return threshold_graph(filt)
    if filt.distances is not None and not filt.is_weighted:
        return filt.distances
    return filt.dense_matrix()


FLOAT32_SAFE = 2.0**64
"""giotto-ph and ripser round values to float32 (normal from 1.2e-38 to 3.4e38): a matrix whose
largest value is beyond ``2^±64`` is scaled by a power of two first. Unscaled, a circle of 100
points at 1e40 gave 56 components and no loop, at 1e-100 one component and no loop."""


def _float32_matrix(filt: RipsFiltration) -> tuple[object, int]:
    """:func:`_float64_matrix` for a float32 backend, times ``2^-exponent`` (exact) where its
    largest finite value lies outside ``[1 / FLOAT32_SAFE, FLOAT32_SAFE]``; and ``exponent``."""
    X = _float64_matrix(filt)
    values = X.data if is_sparse(X) else np.asarray(X)
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    if top == 0.0 or 1 / FLOAT32_SAFE <= top <= FLOAT32_SAFE:
        return X, 0
    exponent = int(np.frexp(top)[1])
    if is_sparse(X):
        X = X.copy()
        X.data = np.ldexp(X.data, -exponent)
        return X, exponent
    return np.ldexp(values, -exponent), exponent


def rips_mst(
    filt: RipsFiltration, max_dim: int, *, n_threads: int, coeff: int, with_pairs: bool
) -> Result:
    """H0 only, by a minimum spanning tree (no complex, O(n) memory; H0 is the same over every
    coefficient field).

    The tree's values come from dot products (fast, but 1e-8 between duplicate points), so
    the values are recomputed exactly from the tree's edges, zero-length classes dropped, and
    the threshold applied to them: a class killed by an edge longer than the threshold never
    dies (the spanning forest of the edges ``<= t`` is the spanning tree cut at ``t``).
    """
    if max_dim != 0:
        raise ValueError("the MST backend computes H0 only")
    _, births, deaths = mst_h0(dataclasses.replace(filt, threshold=math.inf))
    dgm, (births, deaths) = _flag_values(births, deaths, filt.edge_values)
    beyond = dgm[:, 1] > filt.threshold
    dgm[beyond, 1] = np.inf
    deaths[beyond] = -1
    return [dgm], [(births, deaths)]


GIOTTO_MAX_INDEX = 2**55 - 1
"""giotto-ph numbers simplices in 55 bits; a larger index is an OverflowError mid-computation."""


def full_rips_top_simplices(filt: RipsFiltration, max_dim: int) -> int:
    """``C(n, max_dim + 2)``: the simplices of dimension ``max_dim + 1`` that H``max_dim`` of a
    Rips complex without a threshold scans; ``0`` when ``filt`` has a threshold."""
    return math.comb(filt.n_vertices, max_dim + 2) if np.isinf(filt.threshold) else 0


def giotto_refuses(filt: RipsFiltration, max_dim: int) -> bool:
    """Whether the full complex has top simplices that giotto-ph cannot number."""
    return full_rips_top_simplices(filt, max_dim) > GIOTTO_MAX_INDEX


def _check_giotto_index(filt: RipsFiltration, max_dim: int) -> None:
    """A full Rips complex whose top simplices giotto-ph cannot number is an :class:`InputError`."""
    if not giotto_refuses(filt, max_dim):
        return
    n = filt.n_vertices
    largest = max(d for d in range(max_dim) if not giotto_refuses(filt, d))
    raise InputError(
        f"max_dim={max_dim} on {n} points: the Rips complex has C({n}, {max_dim + 2}) = "
        f"{full_rips_top_simplices(filt, max_dim):.2e} simplices of dimension {max_dim + 1}, "
        f"more than giotto-ph can number (2^55); use max_dim <= {largest} or a --threshold"
    )


def rips_giotto(
    filt: RipsFiltration, max_dim: int, *, n_threads: int, coeff: int, with_pairs: bool
) -> Result:
    """giotto-ph's Ripser, generators on, values recomputed in float64 (see the note inside)."""
    from gph import ripser_parallel

    _check_giotto_index(filt, max_dim)
    # Our own matrix rather than the points: from points giotto-ph computes distances with
    # multithreaded BLAS, so two worker processes pairing a batch ran no faster than one
    # (16 clouds of 512 points: 1.26 s in 2 processes vs 1.13 s in 1; 0.72 s from a matrix).
    X, _ = _float32_matrix(filt)  # the order of its values is all giotto-ph must get right
    # Multithreaded giotto-ph (0.2.x) gives correct float32 diagrams but wrong H1+ generators:
    # the birth edge of a class is often another edge (measured on 500 uniform points in R^3
    # with 2 threads: birth values off by up to 2e-3; on 120-point shapes, 11 runs in 200).
    # Births and pairs come from the generators, so H1 and above run single-threaded.
    threads = n_threads if max_dim == 0 else 1
    result = ripser_parallel(
        X,
        maxdim=max_dim,
        metric="precomputed",
        coeff=coeff,
        n_threads=threads,
        return_generators=True,
    )
    return _flag_result(result["gens"], max_dim, filt.edge_values)


def rips_ripser(
    filt: RipsFiltration, max_dim: int, *, n_threads: int, coeff: int, with_pairs: bool
) -> Result:
    """ripser.py on our float64 matrix (it computes in float32; no pairs)."""
    from ripser import ripser

    X, exponent = _float32_matrix(filt)
    result = ripser(X, maxdim=max_dim, coeff=coeff, distance_matrix=True)
    dgms = [np.ldexp(np.asarray(d, dtype=np.float64), exponent) for d in result["dgms"]]
    return [d[d[:, 1] > d[:, 0]] for d in dgms], None


def _simplex_tree_persistence(st, max_dim: int, coeff: int) -> None:
    """Persistence of gudhi simplex tree ``st`` in dimensions ``0..max_dim`` only.

    H``p`` needs the simplices of dimension ``p + 1`` (they kill its classes), none above: the
    tree is pruned to dimension ``max_dim + 1``, whose own homology is then skipped
    (``persistence_dim_max=False``), and computed only where the tree is no higher than
    ``max_dim`` (a graph's essential loops, a closed surface's void). The pairs in dimensions
    ``0..max_dim`` are those of the whole tree (tests/test_dim_max.py). Alpha H0-H1 of a noisy
    torus in R^3, one thread under load: persistence of 20000 points 1.64 s pruned against
    2.00 s whole (medians of 3 interleaved pairs), of 100000 points 13.8 s against 16.1 s.
    """
    st.prune_above_dimension(max_dim + 1)
    st.compute_persistence(
        homology_coeff_field=coeff, persistence_dim_max=st.dimension() <= max_dim
    )


def _st_flag_result(st, max_dim: int, edge_values, coeff: int) -> Result:
    _simplex_tree_persistence(st, max_dim, coeff)
    return _flag_result(st.flag_persistence_generators(), max_dim, edge_values)


@dataclasses.dataclass
class RankedFlag:
    """A flag filtration with its vertices and edges in one total order.

    The order is by value, then vertices before edges, vertices by index, edges by ``(i, j)``:
    a refinement of the filtration, the same on every call. ``rows`` holds the vertices
    ``(i, -1)`` (where they are ranked) then the edges ``(i, j)`` in ``(i, j)`` order, with
    float64 ``values``; ``order[k - first]`` is the row of rank ``k``. Where every vertex enters
    at 0, vertices are not ranked (``first == 1``: edges take ranks from 1, rank 0 is unused).
    """

    rows: np.ndarray
    values: np.ndarray
    order: np.ndarray
    first: int
    n: int

    @property
    def vertices_ranked(self) -> bool:
        return self.first == 0

    def simplices(self, ranks: np.ndarray) -> np.ndarray:
        """The vertex or edge rows of ``ranks``."""
        return self.rows[self.order[np.asarray(ranks, dtype=np.int64) - self.first]]

    def value(self, ranks: np.ndarray) -> np.ndarray:
        """The float64 values of ``ranks``."""
        return self.values[self.order[np.asarray(ranks, dtype=np.int64) - self.first]]

    def ranks(self) -> np.ndarray:
        """The rank of each row."""
        out = np.empty(len(self.order), dtype=np.int64)
        out[self.order] = np.arange(self.first, self.first + len(self.order))
        return out

    def vertex_ranks(self) -> np.ndarray:
        return self.ranks()[: self.n]

    def rank_matrix(self, dense: bool = True):
        """The edge ranks as a dense float64 matrix (when every edge is present and ``dense``)
        or an upper-triangular COO graph."""
        ranks = self.ranks()
        edges = self.rows[self.n :] if self.vertices_ranked else self.rows
        if self.vertices_ranked:
            ranks = ranks[self.n :]
        if dense and len(edges) == self.n * (self.n - 1) // 2:
            R = np.zeros((self.n, self.n))
            R[edges[:, 0], edges[:, 1]] = ranks
            return R + R.T
        from scipy import sparse

        return sparse.coo_matrix(
            (ranks.astype(np.float64), (edges[:, 0], edges[:, 1])), shape=(self.n, self.n)
        )


def _flag_elements(filt: RipsFiltration) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The vertex values and the finite edges ``(m, 2)`` in ``(i, j)`` order with their values."""
    n = filt.n_vertices
    if np.isfinite(filt.threshold) or is_sparse(filt.distances):
        graph = threshold_graph(filt)
        rows, cols = graph.row.astype(np.int64), graph.col.astype(np.int64)
        vertex = rows == cols
        vertex_values = np.zeros(n)
        vertex_values[rows[vertex]] = graph.data[vertex]
        edges = np.column_stack([rows[~vertex], cols[~vertex]])
        values = graph.data[~vertex]
        order = np.lexsort((edges[:, 1], edges[:, 0]))
        edges, values = edges[order], values[order]
    else:
        M = filt.dense_matrix() if filt.distances is None or filt.is_weighted else filt.distances
        M = np.asarray(M, dtype=np.float64)
        i, j = np.triu_indices(n, 1)
        edges, values, vertex_values = np.column_stack([i, j]), M[i, j], M.diagonal().copy()
    return vertex_values, edges, values  # finite: a dense matrix was checked, a graph cut at t


def _stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")``: ties by position. Quicksort first (1.6x faster on
    130k distances), kept where no two values tie, since then every sort gives the same order."""
    order = np.argsort(values)
    ordered = values[order]
    if len(ordered) > 1 and (ordered[1:] == ordered[:-1]).any():
        return np.argsort(values, kind="stable")
    return order


def rank_flag(filt: RipsFiltration) -> RankedFlag:
    """Vertices and edges of ``filt`` ranked in one total order (see :class:`RankedFlag`).

    The pairs of a flag filtration depend only on the order of its simplices' values: ranks make
    every value a unique vertex or edge, so a backend that returns values alone (gudhi's Ripser)
    gives the pairs exactly, ties included.
    """
    n = filt.n_vertices
    vertex_values, edges, values = _flag_elements(filt)
    if not vertex_values.any():
        return RankedFlag(edges, values, _stable_argsort(values), 1, n)
    vertices = np.column_stack([np.arange(n), np.full(n, -1)])
    rows = np.concatenate([vertices, edges])
    every = np.concatenate([vertex_values, values])  # vertices first: before an equal edge
    return RankedFlag(rows, every, _stable_argsort(every), 0, n)


def _elder_h0(ranked: RankedFlag, death_ranks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Birth vertices of the H0 classes killed by ``death_ranks`` and the vertices of the
    essential classes, by the elder rule with every vertex at 0 (the older vertex: the smaller
    index)."""
    parent = np.arange(ranked.n)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    births = np.empty(len(death_ranks), dtype=np.int64)
    for k, r in enumerate(death_ranks):
        i, j = ranked.rows[ranked.order[r - 1]]
        a, b = find(i), find(j)
        births[k] = max(a, b)
        parent[max(a, b)] = min(a, b)
    roots = np.array([v for v in range(ranked.n) if find(v) == v], dtype=np.int64)
    return births, roots


def _ranked_result(ranked: RankedFlag, rank_dgms: list[np.ndarray]) -> Result:
    """Diagrams and pairs from diagrams in ranks: each rank is one vertex or edge."""
    dgms, pairs = [], []
    for p, dgm in enumerate(rank_dgms):
        dgm = np.asarray(dgm, dtype=np.float64).reshape(-1, 2)
        finite = np.isfinite(dgm[:, 1])
        death_ranks = np.where(finite, dgm[:, 1], 0).astype(np.int64)
        if p == 0 and not ranked.vertices_ranked:
            fin = np.sort(death_ranks[finite])
            births, roots = _elder_h0(ranked, fin)
            birth_rows = np.column_stack(
                [np.concatenate([births, roots]), np.full(len(births) + len(roots), -1)]
            )
            death_ranks = np.concatenate([fin, np.zeros(len(roots), dtype=np.int64)])
            finite = np.arange(len(death_ranks)) < len(fin)
            b = np.zeros(len(death_ranks))
        else:
            birth_ranks = dgm[:, 0].astype(np.int64)
            birth_rows = ranked.simplices(birth_ranks)
            b = ranked.value(birth_ranks)
        death_rows = np.full((len(death_ranks), 2), -1, dtype=np.int64)
        death_rows[finite] = ranked.simplices(death_ranks[finite])
        d = np.full(len(death_ranks), np.inf)
        d[finite] = ranked.value(death_ranks[finite])
        dgm, pr = _drop_zero_length(np.column_stack([b, d]), birth_rows, death_rows)
        dgms.append(dgm)
        pairs.append(pr)
    return dgms, pairs


def _ripser_gudhi(matrix, max_dim: int, coeff: int) -> list[np.ndarray]:
    """gudhi's Ripser on a dense or COO matrix.

    Up to H1 its kernel runs directly, as gudhi's ``RipsPersistence`` runs it, a dense matrix
    cut at its enclosing radius (the smallest row maximum: beyond it the complex is a cone and
    only zero-length pairs are born): that wrapper imports scikit-learn and scipy.spatial, 0.6
    s of every command's start-up. From H2 up the wrapper runs, collapsing edges first (its
    own choice).
    """
    if max_dim >= 2:
        from gudhi.sklearn.rips_persistence import RipsPersistence

        dense = not is_sparse(matrix)
        rp = RipsPersistence(
            list(range(max_dim + 1)),
            input_type="full distance matrix" if dense else "distance coo_matrix",
            homology_coeff_field=coeff,
        )
        return rp.fit_transform([matrix])[0]
    try:
        from gudhi._ripser_ext import _full, _sparse  # gudhi 3.12 and later
    except ImportError:  # gudhi 3.11: the last with macOS wheels for Python 3.10
        from gudhi._ripser import _full, _sparse

    n = matrix.shape[0]
    top = min(max_dim, max(0, n - 3))  # as RipsPersistence: no higher class on n points
    if is_sparse(matrix):
        dgms = _sparse(
            matrix.row,
            matrix.col,
            matrix.data,
            n,
            max_dimension=top,
            max_edge_length=math.inf,
            homology_coeff_field=coeff,
        )
    else:
        matrix = np.ascontiguousarray(matrix, dtype=np.float64)
        dgms = _full(
            matrix,
            max_dimension=top,
            max_edge_length=float(matrix.max(axis=1).min()),
            homology_coeff_field=coeff,
        )
    return [np.asarray(dgms[p]) if p < len(dgms) else np.empty((0, 2)) for p in range(max_dim + 1)]


def _ranked_simplex_tree(ranked: RankedFlag, max_dim: int, coeff: int) -> list[np.ndarray]:
    """Diagrams in ranks of a flag filtration with vertex values: a gudhi simplex tree of the
    ranks (gudhi's Ripser takes no vertex values), edges collapsed from H1 up (RP^2 in R^4, 300
    points, H1: 16.7 s without collapse, under 1 s with)."""
    import gudhi

    st = gudhi.SimplexTree()
    st.insert_batch(
        np.arange(ranked.n, dtype=np.int64)[None, :], ranked.vertex_ranks().astype(float)
    )
    st.insert_edges_from_coo_matrix(ranked.rank_matrix(dense=False))
    if max_dim >= 1:
        st.collapse_edges()
    st.expansion(max_dim + 1)
    _simplex_tree_persistence(st, max_dim, coeff)
    return [st.persistence_intervals_in_dimension(p) for p in range(max_dim + 1)]


def _unvalued_vertices_matrix(filt: RipsFiltration):
    """The float64 input of gudhi's Ripser for diagrams: the full matrix, or the COO graph of
    the edges (a threshold or a sparse input); ``None`` where vertices have values (then
    :func:`rank_flag` and a simplex tree)."""
    if filt.is_weighted:
        return None
    if np.isfinite(filt.threshold) or is_sparse(filt.distances):
        graph = threshold_graph(filt)
        vertex = graph.row == graph.col
        if graph.data[vertex].any():
            return None
        keep = ~vertex
        from scipy import sparse  # here: the dense route never needs it (0.2 s to import)

        return sparse.coo_matrix(
            (graph.data[keep], (graph.row[keep], graph.col[keep])), shape=graph.shape
        )
    M = (
        filt.dense_matrix()
        if filt.distances is None
        else np.asarray(filt.distances, dtype=np.float64)
    )
    if M.diagonal().any():
        return None
    return M  # finite: checked when the filtration was built


def rips_gudhi(
    filt: RipsFiltration,
    max_dim: int,
    *,
    n_threads: int,
    coeff: int,
    with_pairs: bool,
) -> Result:
    """gudhi's Ripser (``RipsPersistence``, float64, edge collapse where it pays).

    Diagrams alone come from the float64 values. Pairs come from the ranks of
    :func:`rank_flag`: the diagram in ranks names each birth and death's vertex or edge.
    Vertex values (weighted Rips, a non-zero diagonal) go to a gudhi simplex tree, ranked.
    """
    if not with_pairs:
        matrix = _unvalued_vertices_matrix(filt)
        if matrix is not None:
            dgms = [
                np.asarray(d, dtype=np.float64).reshape(-1, 2)
                for d in _ripser_gudhi(matrix, max_dim, coeff)
            ]
            return [d[d[:, 1] > d[:, 0]] for d in dgms], None
    ranked = rank_flag(filt)
    if not ranked.vertices_ranked:
        rank_dgms = _ripser_gudhi(ranked.rank_matrix(), max_dim, coeff)
    else:
        rank_dgms = _ranked_simplex_tree(ranked, max_dim, coeff)
    dgms, pairs = _ranked_result(ranked, rank_dgms)
    return dgms, pairs if with_pairs else None


def sparse_rips_gudhi(
    filt: SparseRipsFiltration,
    max_dim: int,
    *,
    n_threads: int,
    coeff: int,
    with_pairs: bool,
) -> Result:
    """gudhi's sparse Rips complex; edge values read back from the simplex tree.

    Its greedy permutation starts from a random point: gudhi's generator is seeded first, so
    the same points give the same complex and diagrams (unseeded, one cloud of 120 points gave
    2979 simplices, then 3100, and H0 deaths 2% apart).
    """
    import gudhi
    import gudhi.random

    gudhi.random.set_seed(0)
    source = (
        {"points": filt.points} if filt.points is not None else {"distance_matrix": filt.distances}
    )
    st = gudhi.RipsComplex(
        **source, max_edge_length=filt.threshold, sparse=filt.epsilon
    ).create_simplex_tree(max_dimension=max_dim + 1)

    def edge_values(i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return np.array(
            [st.filtration([a] if b < 0 else [a, b]) for a, b in zip(i, j)], dtype=np.float64
        )

    return _st_flag_result(st, max_dim, edge_values, coeff)


def _simplex_pairs_result(st, max_dim: int, width: int, transform) -> Result:
    """Diagrams and creator/destroyer simplices from a computed gudhi simplex tree."""
    rows: list[list] = [[] for _ in range(max_dim + 1)]
    for birth, death in st.persistence_pairs():
        p = len(birth) - 1
        if p > max_dim:
            continue
        b = st.filtration(birth)
        d = st.filtration(death) if death else np.inf
        rows[p].append((b, d, birth, death))
    dgms, pairs = [], []
    for p in range(max_dim + 1):
        dgm = transform(
            np.array([(b, d) for b, d, _, _ in rows[p]], dtype=np.float64).reshape(-1, 2)
        )
        bs = np.full((len(rows[p]), width), -1, dtype=np.int64)
        ds = np.full((len(rows[p]), width), -1, dtype=np.int64)
        for r, (_, _, birth, death) in enumerate(rows[p]):
            bs[r, : len(birth)] = birth
            ds[r, : len(death)] = death
        dgm, pr = _drop_zero_length(dgm, bs, ds)
        dgms.append(dgm)
        pairs.append(pr)
    return dgms, pairs


def _intervals(st, max_dim: int, transform) -> list[np.ndarray]:
    out = []
    for p in range(max_dim + 1):
        dgm = transform(
            np.asarray(st.persistence_intervals_in_dimension(p), dtype=np.float64).reshape(-1, 2)
        )
        out.append(dgm[dgm[:, 1] > dgm[:, 0]])
    return out


def _alpha_scale(dgm: np.ndarray) -> np.ndarray:
    return 2.0 * np.sqrt(np.maximum(dgm, 0.0))


def alpha_gudhi(
    filt: AlphaFiltration,
    max_dim: int,
    *,
    n_threads: int,
    coeff: int,
    with_pairs: bool,
) -> Result:
    """gudhi's alpha complex; values reported as diameters ``2 sqrt(alpha^2)``."""
    import gudhi

    st = gudhi.AlphaComplex(points=filt.points).create_simplex_tree()
    _simplex_tree_persistence(st, max_dim, coeff)
    if not with_pairs:
        return _intervals(st, max_dim, _alpha_scale), None
    return _simplex_pairs_result(st, max_dim, filt.points.shape[1] + 1, _alpha_scale)


def alpha_union_find(
    filt: AlphaFiltration,
    max_dim: int,
    *,
    n_threads: int,
    coeff: int,
    with_pairs: bool,
) -> Result:
    """The alpha complex in R^2 or R^3 by union-find on its Delaunay triangulation and the
    dual graph (:mod:`tda_pipe.tda.alpha_delaunay`); gudhi's where qhull cannot triangulate
    the points (too few, or all on a line or a plane)."""
    from scipy.spatial import QhullError

    try:
        return alpha_delaunay(filt.points, max_dim, with_pairs)
    except QhullError:
        return alpha_gudhi(filt, max_dim, n_threads=n_threads, coeff=coeff, with_pairs=with_pairs)


def lower_star_gudhi(
    filt: LowerStarFiltration,
    max_dim: int,
    *,
    n_threads: int,
    coeff: int,
    with_pairs: bool,
) -> Result:
    """gudhi simplex tree of the graph / mesh, every simplex at its largest vertex value."""
    import gudhi

    st = gudhi.SimplexTree()
    v = filt.values
    st.insert_batch(np.arange(len(v))[None, :], v)
    for simplices in filt.simplices:
        if len(simplices):
            st.insert_batch(simplices.T, v[simplices].max(axis=1))
    _simplex_tree_persistence(st, max_dim, coeff)
    finite, essential = st.lower_star_persistence_generators()
    return _cell_result(finite, essential, max_dim, v)


def cubical_gudhi(
    filt: CubicalFiltration,
    max_dim: int,
    *,
    n_threads: int,
    coeff: int,
    with_pairs: bool,
) -> Result:
    """gudhi's cubical complex with the pixels / voxels as top cells.

    Pairs are flat C-order pixel indices (gudhi reports Fortran order; converted here).
    """
    import gudhi

    img = filt.image
    cc = gudhi.CubicalComplex(top_dimensional_cells=img)
    cc.compute_persistence(homology_coeff_field=coeff, min_persistence=0.0)
    regular, essential = cc.cofaces_of_persistence_pairs()

    def to_c(idx: np.ndarray) -> np.ndarray:
        return np.ravel_multi_index(np.unravel_index(idx, img.shape, order="F"), img.shape)

    return _cell_result(
        [to_c(np.asarray(f, dtype=np.int64)) for f in regular],
        [to_c(np.asarray(e, dtype=np.int64)) for e in essential],
        max_dim,
        img.ravel(),
    )


@dataclasses.dataclass(frozen=True)
class Backend:
    """What one persistence library can do; ``auto``, the errors and the help read this."""

    name: str
    compute: dict[str, Callable[..., Result]]  # by filtration kind
    module: str  # what must import for it to be available
    max_dim: int | None = None  # the highest homology dimension it computes (None: any)
    pairs: bool = True  # returns the simplices of each birth and death
    coefficients: bool = True  # takes any prime field Z/p
    point_dims: tuple[int, ...] | None = None  # alpha: the dimensions of space it takes
    auto_from: int = 0  # auto passes it over for fewer vertices (a fixed start-up cost)
    note: str = ""  # one line for the help

    def available(self) -> bool:
        """Whether its library is installed."""
        return importlib.util.find_spec(self.module) is not None


#: Every backend, in the order ``auto`` tries them (the first that is installed, offers the
#: filtration kind and can do what is asked).
REGISTRY: tuple[Backend, ...] = (
    Backend(
        "mst",
        {"rips": rips_mst, "landmark-rips": rips_mst},
        "numpy",
        max_dim=0,
        note="H0 of Rips, a spanning tree",
    ),
    Backend(
        "delaunay",
        {"alpha": alpha_union_find},
        "numba",
        coefficients=False,
        point_dims=DIMENSIONS,
        auto_from=DELAUNAY_FROM,
        note="alpha in R^2 and R^3, union-find on the Delaunay triangulation (numba)",
    ),
    Backend(
        "gudhi",
        {
            "rips": rips_gudhi,
            "landmark-rips": rips_gudhi,
            "sparse-rips": sparse_rips_gudhi,
            "alpha": alpha_gudhi,
            "cubical": cubical_gudhi,
            "lower-star": lower_star_gudhi,
        },
        "gudhi",
        note="gudhi's Ripser for Rips, float64",
    ),
    Backend(
        "ripser",
        {"rips": rips_ripser, "landmark-rips": rips_ripser},
        "ripser",
        pairs=False,
        note="ripser.py, float32",
    ),
    Backend(
        "giotto-ph",
        {"rips": rips_giotto, "landmark-rips": rips_giotto},
        "gph",
        note="optional extra (AGPL, Python <= 3.12)",
    ),
)
