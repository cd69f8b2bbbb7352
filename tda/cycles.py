"""Representative cycles: for each persistence class of H1 and above, a cycle that is born and
dies with it, from a reduced boundary matrix (oineus, an optional extra).

========================  ==================================================================
class                     representative
========================  ==================================================================
finite ``(b, d)``         column ``R[:, tau]`` of the reduced boundary matrix ``R = D V`` for
                          the simplex ``tau`` that kills the class: a cycle of simplices
                          entering at most at ``b``, holding the simplex that creates the class
                          (so its largest value is ``b``), not a boundary before ``d``, the
                          boundary of the chain ``V[:, tau]`` at ``d``
essential ``(b, inf)``    column ``V[:, sigma]`` for the simplex ``sigma`` that creates it: a
                          cycle at ``b`` that is never a boundary
========================  ==================================================================

These are the plain reduction cycles of the standard algorithm, not the shortest ones of their
class: on a clean loop they follow it, on noisy data they can take detours. The homology is
over Z/2, so a cycle is a set of simplices (H1: every vertex of even degree; H2: every edge in
an even number of triangles).

The reduction runs in two passes on one filtration order: a cohomology pass (fast on flag
complexes) finds which top-dimensional simplices kill a class; the simplices that kill none
are dropped (their columns reduce to zero and never take part in reducing another); a homology
pass on the rest gives ``R`` (and ``V`` where essential classes need it). Measured on a torus
(2 cores shared with other jobs, so rough): Rips H1, 300 points 1.2 s with cycles; 1000 points
16 s without, 56 s with (3.1e6 simplices up to the last death, 1 GB); alpha H1 of 5000 points
7 s without, 18 s with; alpha H2 of 20000 points 39 s without, 61 s with.

Simplices are vertex-index rows: point indices for Rips and alpha. A cubical complex (pixels
or voxels as top cells, the values of :func:`tda_pipe.tda.filtrations.cubical`) is written on
its grid of corners: an image of shape ``(h, w)`` has ``(h + 1) x (w + 1)`` corners, corner
``(r, c)`` (flat index ``r * (w + 1) + c``) is the top-left corner of pixel ``(r, c)``, at
``(r - 0.5, c - 0.5)`` in pixel coordinates; an H1 cycle is a closed path of unit edges (two
corners each) around the hole, an H2 cycle of a voxel grid a closed surface of unit squares
(four corners each).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tda_pipe.errors import InputError
from tda_pipe.progress import phase
from tda_pipe.tda.filtrations import (
    AlphaFiltration,
    CubicalFiltration,
    Filtration,
    RipsFiltration,
)

__all__ = ["CYCLE_KINDS", "MAX_CELLS", "check_cycles", "representatives"]

#: Filtration kinds with representative cycles.
CYCLE_KINDS = ("rips", "alpha", "cubical")

MAX_CELLS = 10_000_000
"""Most cells of the top dimension (triangles for H1) a cycle computation takes on. The
cohomology pass ran at about 1.5e5 triangles per second (Rips H1 of a 1000-point torus,
3.0e6 triangles, 20 s), so this is a few minutes and a few GB."""


def _oineus():
    try:
        import oineus
    except ImportError as exc:
        raise InputError(
            "representative cycles need oineus: pip install 'tda-pipe[cycles]' (Linux and "
            "macOS only; oineus has no Windows wheels)"
        ) from exc
    return oineus


def check_cycles(filt: Filtration, max_dim: int, coeff: int, backend: str = "auto") -> str:
    """The backend whose diagrams the cycles are matched to (``"gudhi"``: the float64 values of
    the same complex oineus reduces), or an :class:`InputError` where cycles cannot be
    computed for ``filt`` up to ``max_dim`` over Z/``coeff`` with ``backend``, naming what
    would work."""
    if getattr(filt, "is_weighted", False) or filt.kind not in CYCLE_KINDS:
        kind = "weighted-rips" if getattr(filt, "is_weighted", False) else filt.kind
        raise InputError(
            f"representative cycles need a {', '.join(CYCLE_KINDS)} filtration, not {kind}; "
            "use the rips filtration (or alpha for points in R^2 or R^3)"
        )
    if max_dim < 1:
        raise InputError(
            "representative cycles need max_dim >= 1: H0 classes are components, not cycles"
        )
    if coeff != 2:
        raise InputError(f"cycles are computed over Z/2, not Z/{coeff}; use coeff=2")
    if isinstance(filt, RipsFiltration) and np.any(filt.vertex_values(np.arange(filt.n_vertices))):
        raise InputError(
            "representative cycles need a distance matrix with a zero diagonal (every point at "
            "0); set the diagonal to 0"
        )
    if backend not in ("auto", "gudhi"):
        raise InputError(
            f"representative cycles are matched to their classes by gudhi's float64 values, so "
            f"cycles=True takes backend 'gudhi' (or auto), not {backend!r}"
        )
    _oineus()
    return "gudhi"


# -- the filtrations, as oineus takes them ----------------------------------------------------


def _last_value(dgms: Sequence[np.ndarray]) -> float:
    """The largest finite value of the classes of H1 and above: every one of them is born and
    (if ever) dies by then, so the complex is cut there."""
    values = np.concatenate([np.ravel(d) for d in dgms[1:]] + [np.zeros(1)])
    return float(values[np.isfinite(values)].max())


def _estimated_flag_cells(D: np.ndarray, t: float, k: int, samples: int = 20_000) -> float:
    """Simplices of ``k`` vertices with diameter ``<= t``: ``C(n, k)`` times the share of
    ``samples`` random ``k``-sets of distinct points within ``t``."""
    n = len(D)
    if n < k:
        return 0.0
    sets = np.random.default_rng(0).integers(0, n, size=(samples, k))
    sets = sets[(np.diff(np.sort(sets, axis=1), axis=1) > 0).all(axis=1)]
    if not len(sets):
        return 0.0
    i, j = np.triu_indices(k, 1)
    within = (D[sets[:, i], sets[:, j]] <= t).all(axis=1)
    return math.comb(n, k) * float(within.mean())


def _too_large(cells: float, what: str, fixes: str) -> None:
    if cells > MAX_CELLS:
        raise InputError(
            f"cycles need about {cells:.1e} {what}, more than the {MAX_CELLS:.0e} they can take "
            f"on; {fixes}"
        )


def _rips(filt: RipsFiltration, max_dim: int, t: float):
    D = filt.dense_matrix()
    top = max_dim + 2
    fixes = "subsample the points (--sample N) or lower --max-dim"
    if filt.points is not None and filt.points.shape[1] <= 3:
        fixes = "use --filtration alpha, " + fixes
    _too_large(_estimated_flag_cells(D, t, top), f"simplices of dimension {top - 1}", fixes)
    D = np.where(np.isfinite(D), D, 2.0 * t + 1.0)  # missing edges: beyond the cut
    return _oineus().vr_filtration(D, from_pwdists=True, max_dim=max_dim + 1, max_diameter=t)


def _alpha(filt: AlphaFiltration, max_dim: int, t: float):
    import gudhi

    st = gudhi.AlphaComplex(points=filt.points).create_simplex_tree()
    if max_dim + 1 < st.dimension():
        st.prune_above_dimension(max_dim + 1)
    # cut by the diagrams' own transform of the values (alpha^2 to the diameter scale)
    cells = [(s, v) for s, v in st.get_filtration() if 2.0 * math.sqrt(max(v, 0.0)) <= t]
    _too_large(len(cells), "simplices", "subsample the points (--sample N)")
    return _oineus().list_to_filtration([(k, s, v) for k, (s, v) in enumerate(cells)])


def _cubical(filt: CubicalFiltration):
    img = filt.image
    _too_large(float(np.prod(np.asarray(img.shape) * 2 + 1)), "cells", "--downsample K")
    return _oineus().cube_filtration(img, values_on="cells")  # every cell: oineus takes no cut


# -- reduction ---------------------------------------------------------------------------------


def _reduce(fil, top: int, essential: bool):
    """The homology decomposition of ``fil`` without the top-dimensional cells that kill no
    class, and the filtration it was reduced on."""
    oin = _oineus()
    first_top = fil.size() - fil.size_in_dimension(top)
    with phase("cycles: pairing (cohomology)"):
        dual = oin.reduce(fil, dualize=True, n_threads=1)
        diagrams = (dual.diagram(fil, include_inf_points=False), dual.zero_pers_diagram(fil))
        killers = [
            np.asarray(d.index_diagram_in_dimension(top - 1), dtype=np.int64).reshape(-1, 2)
            for d in diagrams
        ]
    killing = np.zeros(fil.size_in_dimension(top), dtype=bool)
    for pairs in killers:
        killing[pairs[:, 1] - first_top] = True
    sub = fil.without_cells((first_top + np.flatnonzero(~killing)).tolist())
    with phase("cycles: reducing"):
        return oin.reduce(sub, n_threads=1, compute_v=essential), sub


def _corner_index(shape: tuple[int, ...]):
    corners = tuple(s + 1 for s in shape)

    def index(vertices) -> list[int]:
        return [int(np.ravel_multi_index(tuple(v), corners)) for v in vertices]

    return index


def _rows(fil, chain: list[int], vertices) -> np.ndarray:
    """The cells of ``chain`` as sorted vertex rows, in lexicographic order."""
    rows = np.sort(np.array([vertices(fil.cell(k).vertices) for k in chain], dtype=np.int64))
    return rows[np.lexsort(rows.T[::-1])] if len(rows) else rows


def representatives(
    filt: Filtration, dgms: Sequence[np.ndarray], max_dim: int
) -> list[list[np.ndarray] | None]:
    """Per dimension ``0..max_dim``, one representative cycle per row of ``dgms[p]`` (rows in
    the order given; ``None`` for H0): an int array of vertex-index rows (see the module
    docstring).

    ``dgms`` are the diagrams of ``filt`` (any exact backend, float64 values); each class is
    matched to the reduction's by its ``(birth, death)``, and classes with equal values share
    them in any order. Call :func:`check_cycles` first.

    Examples
    --------
    >>> from tda_pipe.tda.filtrations import rips
    >>> from tda_pipe.tda.persistence import persistence
    >>> angle = np.linspace(0, 2 * np.pi, 8, endpoint=False)  # a regular octagon
    >>> filt = rips(np.column_stack([np.cos(angle), np.sin(angle)]))
    >>> cycles = representatives(filt, persistence(filt, max_dim=1), max_dim=1)
    >>> cycles[0] is None, [z.tolist() for z in cycles[1]]  # its 8 sides
    (True, [[[0, 1], [0, 7], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7]]])
    """
    out: list[list[np.ndarray] | None] = [None] + [[] for _ in range(max_dim)]
    if not any(len(d) for d in dgms[1:]):
        return out
    t = _last_value(dgms)
    scale, vertices = (lambda v: v), (lambda v: [int(x) for x in v])
    if isinstance(filt, RipsFiltration):
        fil = _rips(filt, max_dim, t)
    elif isinstance(filt, AlphaFiltration):
        fil = _alpha(filt, max_dim, t)
        scale = lambda v: 2.0 * np.sqrt(np.maximum(v, 0.0))  # noqa: E731
    else:
        fil = _cubical(filt)
        vertices = _corner_index(filt.image.shape)
    top = fil.max_dim
    essential = any(np.isinf(d[:, 1]).any() for d in dgms[1:])
    decomposition, sub = _reduce(fil, top, essential)
    diagram = decomposition.diagram(sub, include_inf_points=True)
    for p in range(1, max_dim + 1):
        if p >= top and not len(dgms[p]):
            continue
        points = [q for q in diagram.in_dimension(p, as_numpy=False)]
        values = scale(np.array([(q.birth, q.death) for q in points]).reshape(-1, 2))
        keep = values[:, 1] > values[:, 0]
        points, values = [q for q, k in zip(points, keep) if k], values[keep]
        order = np.lexsort((values[:, 1], values[:, 0]))
        if not np.array_equal(values[order], dgms[p]):
            raise RuntimeError(f"the reduction's H{p} diagram differs from the one computed")
        for q in (points[k] for k in order):
            if math.isinf(q.death):
                chain = decomposition.v_col(q.birth_index)
            else:
                chain = decomposition.r_col(q.death_index)
            out[p].append(_rows(sub, chain, vertices))
    return out
