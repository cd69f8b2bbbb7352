"""The libraries that compute persistence, each wrapped to return diagrams and pairs.

Every function takes a filtration object and ``max_dim`` and returns ``(dgms, pairs)``: per
dimension a float64 ``(k, 2)`` array and a ``(birth_simplices, death_simplices)`` tuple (see
:mod:`tda_pipe.tda.diagrams`), or ``pairs=None`` where the library gives none (ripser).

For flag filtrations the pairing comes from the backend and the values are recomputed in
float64 from the filtration's own edge values, so giotto-ph (which works in float32) returns the
same numbers as gudhi. Every Rips backend gets float64 distances from us, never coordinates
(ripser.py computes float32 distances from points, 3e-8 between duplicates: spurious H0 bars),
and a threshold is applied by us in float64 (:func:`threshold_graph`): an edge of length
exactly ``threshold`` is in the complex on every backend.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import sparse

from tda_pipe.errors import InputError
from tda_pipe.tda.filtrations import (
    AlphaFiltration,
    CubicalFiltration,
    LowerStarFiltration,
    RipsFiltration,
    SparseRipsFiltration,
)
from tda_pipe.tda.mst import mst_h0

__all__ = [
    "alpha_gudhi",
    "cubical_gudhi",
    "full_rips_top_simplices",
    "giotto_refuses",
    "lower_star_gudhi",
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


def threshold_graph(filt: RipsFiltration) -> sparse.coo_matrix:
    """The edges of ``filt`` whose float64 value is ``<= filt.threshold``, as an upper-triangular
    sparse matrix with the vertex values on its diagonal (what giotto-ph, ripser and gudhi take).

    A backend handed a threshold compares in its own precision: giotto-ph rounds to float32,
    and lost an edge of length exactly the threshold in 3 of 200 random clouds (once an
    essential H1 class). Here candidate edges come from a radius search a relative 1e-6 wider
    (far above the ulps by which two implementations of one metric differ), and the values
    :meth:`RipsFiltration.edge_values` gives, the ones the diagrams report, decide.
    """
    t, n = filt.threshold, filt.n_vertices
    if filt.points is None and not sparse.issparse(filt.distances):
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
    values = X.data if sparse.issparse(X) else np.asarray(X)
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    if top == 0.0 or 1 / FLOAT32_SAFE <= top <= FLOAT32_SAFE:
        return X, 0
    exponent = int(np.frexp(top)[1])
    if sparse.issparse(X):
        X = X.copy()
        X.data = np.ldexp(X.data, -exponent)
        return X, exponent
    return np.ldexp(values, -exponent), exponent


def rips_mst(filt: RipsFiltration, max_dim: int, n_threads: int = -1) -> Result:
    """H0 only, by a minimum spanning tree (no complex, O(n) memory).

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


def rips_giotto(filt: RipsFiltration, max_dim: int, n_threads: int = -1) -> Result:
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
        X, maxdim=max_dim, metric="precomputed", n_threads=threads, return_generators=True
    )
    return _flag_result(result["gens"], max_dim, filt.edge_values)


def rips_ripser(filt: RipsFiltration, max_dim: int, n_threads: int = -1) -> Result:
    """ripser.py on our float64 matrix (it computes in float32; no pairs)."""
    from ripser import ripser

    X, exponent = _float32_matrix(filt)
    result = ripser(X, maxdim=max_dim, distance_matrix=True)
    dgms = [np.ldexp(np.asarray(d, dtype=np.float64), exponent) for d in result["dgms"]]
    return [d[d[:, 1] > d[:, 0]] for d in dgms], None


def _st_flag_result(st, max_dim: int, edge_values) -> Result:
    st.compute_persistence(homology_coeff_field=2, persistence_dim_max=True)
    return _flag_result(st.flag_persistence_generators(), max_dim, edge_values)


def rips_gudhi(filt: RipsFiltration, max_dim: int, n_threads: int = -1) -> Result:
    """gudhi's Rips complex (float64 throughout; slow for large clouds)."""
    import gudhi

    if np.isfinite(filt.threshold):
        graph = threshold_graph(filt)
        rows, cols = graph.row.astype(np.int64), graph.col.astype(np.int64)  # gudhi 3.13
        vertex = rows == cols  # misreads int32 vertex arrays in insert_batch
        st = gudhi.SimplexTree()
        st.insert_batch(rows[vertex][None, :], graph.data[vertex])
        st.insert_batch(np.vstack([rows[~vertex], cols[~vertex]]), graph.data[~vertex])
        st.expansion(max_dim + 1)
    elif filt.points is not None and filt.metric == "euclidean" and not filt.is_weighted:
        st = gudhi.RipsComplex(points=filt.points).create_simplex_tree(max_dimension=max_dim + 1)
    else:
        # missing edges of a sparse graph are inf in the dense matrix: never inserted
        cap = np.finfo(np.float64).max
        st = gudhi.SimplexTree.create_from_array(filt.dense_matrix(), max_filtration=cap)
        st.expansion(max_dim + 1)
    return _st_flag_result(st, max_dim, filt.edge_values)


def sparse_rips_gudhi(filt: SparseRipsFiltration, max_dim: int, n_threads: int = -1) -> Result:
    """gudhi's sparse Rips complex; edge values read back from the simplex tree."""
    import gudhi

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

    return _st_flag_result(st, max_dim, edge_values)


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
    filt: AlphaFiltration, max_dim: int, n_threads: int = -1, *, with_pairs: bool = True
) -> Result:
    """gudhi's alpha complex; values reported as diameters ``2 sqrt(alpha^2)``."""
    import gudhi

    st = gudhi.AlphaComplex(points=filt.points).create_simplex_tree()
    st.compute_persistence(homology_coeff_field=2, persistence_dim_max=True)
    if not with_pairs:
        return _intervals(st, max_dim, _alpha_scale), None
    return _simplex_pairs_result(st, max_dim, filt.points.shape[1] + 1, _alpha_scale)


def lower_star_gudhi(filt: LowerStarFiltration, max_dim: int, n_threads: int = -1) -> Result:
    """gudhi simplex tree of the graph / mesh, every simplex at its largest vertex value."""
    import gudhi

    st = gudhi.SimplexTree()
    v = filt.values
    st.insert_batch(np.arange(len(v))[None, :], v)
    for simplices in filt.simplices:
        if len(simplices):
            st.insert_batch(simplices.T, v[simplices].max(axis=1))
    st.compute_persistence(homology_coeff_field=2, persistence_dim_max=True)
    finite, essential = st.lower_star_persistence_generators()
    return _cell_result(finite, essential, max_dim, v)


def cubical_gudhi(filt: CubicalFiltration, max_dim: int, n_threads: int = -1) -> Result:
    """gudhi's cubical complex with the pixels / voxels as top cells.

    Pairs are flat C-order pixel indices (gudhi reports Fortran order; converted here).
    """
    import gudhi

    img = filt.image
    cc = gudhi.CubicalComplex(top_dimensional_cells=img)
    cc.compute_persistence(homology_coeff_field=2, min_persistence=0.0)
    regular, essential = cc.cofaces_of_persistence_pairs()

    def to_c(idx: np.ndarray) -> np.ndarray:
        return np.ravel_multi_index(np.unravel_index(idx, img.shape, order="F"), img.shape)

    return _cell_result(
        [to_c(np.asarray(f, dtype=np.int64)) for f in regular],
        [to_c(np.asarray(e, dtype=np.int64)) for e in essential],
        max_dim,
        img.ravel(),
    )
