"""Representative cycles (tda/cycles.py): every long class's representative is a cycle, born
with the class, not a boundary at its birth, around its own hole; the diagrams are gudhi's.

Boundaries are checked here by our own rank computation over Z/2 on the complex at the birth
scale, built in the test from the distances (Rips), from gudhi's simplex tree (alpha) or from
the pixels (cubical)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from tda_pipe.errors import InputError
from tda_pipe.tda import cycles as cycles_module
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.filtrations import rips
from tda_pipe.tda.persistence import persistence

pytest.importorskip("oineus", reason="representative cycles need oineus (Linux and macOS)")
gudhi = pytest.importorskip("gudhi")


# -- independent checks ----------------------------------------------------------------------


def faces(simplices: np.ndarray) -> list[tuple[int, ...]]:
    """The codimension-1 faces of each row, with multiplicity."""
    k = simplices.shape[1]
    return [
        tuple(row[list(f)]) for row in simplices for f in itertools.combinations(range(k), k - 1)
    ]


def is_cycle(z: np.ndarray) -> bool:
    """Over Z/2: every face of the simplices lies in an even number of them."""
    counts: dict[tuple[int, ...], int] = {}
    for f in faces(np.sort(z, axis=1)):
        counts[f] = counts.get(f, 0) + 1
    return len(z) > 0 and all(c % 2 == 0 for c in counts.values())


def simplex_boundaries(cofaces: np.ndarray) -> list[list[tuple[int, ...]]]:
    return [faces(c[None, :]) for c in np.sort(cofaces, axis=1)]


def is_boundary(z: np.ndarray, boundaries) -> bool:
    """Whether the Z/2 chain ``z`` is a sum of ``boundaries`` (each the face rows of one cell
    of the complex): the rank of the boundary matrix does not grow when ``z`` joins its
    columns (Gaussian elimination on bit sets, pivots by the highest row)."""
    index: dict[tuple[int, ...], int] = {}

    def column(rows) -> int:
        bits = 0
        for f in rows:
            bits ^= 1 << index.setdefault(tuple(int(v) for v in f), len(index))
        return bits

    pivots: dict[int, int] = {}

    def reduce(bits: int) -> int:
        while bits and (bits.bit_length() - 1) in pivots:
            bits ^= pivots[bits.bit_length() - 1]
        return bits

    target = column(np.sort(z, axis=1))
    for rows in boundaries:
        bits = reduce(column(rows))
        if bits:
            pivots[bits.bit_length() - 1] = bits
    return reduce(target) == 0


def rips_cliques(D: np.ndarray, scale: float, k: int) -> np.ndarray:
    """The simplices of ``k`` vertices of the Rips complex at ``scale``, grown from its edges."""
    adjacent = D <= scale
    np.fill_diagonal(adjacent, False)
    found = [(i,) for i in range(len(D))]
    for _ in range(k - 1):
        found = [
            (*s, j) for s in found for j in range(s[-1] + 1, len(D)) if adjacent[list(s), j].all()
        ]
    return np.array(found, dtype=np.int64).reshape(-1, k)


def crossings(z: np.ndarray, X: np.ndarray, centre) -> int:
    """Parity of the edges of ``z`` that cross the ray from ``centre`` in the +x direction: the
    winding number mod 2 of the Z/2 cycle about ``centre``."""
    a, b = X[z[:, 0]], X[z[:, 1]]
    straddle = (a[:, 1] > centre[1]) != (b[:, 1] > centre[1])
    dy = np.where(straddle, b[:, 1] - a[:, 1], 1.0)
    x = a[:, 0] + (centre[1] - a[:, 1]) * (b[:, 0] - a[:, 0]) / dy
    return int((straddle & (x > centre[0])).sum() % 2)


def encloses(z: np.ndarray, X: np.ndarray, point) -> int:
    """Parity of the triangles of ``z`` that a ray from ``point`` (a fixed generic direction)
    passes through: 1 where the Z/2 surface encloses ``point`` (Moller-Trumbore test)."""
    direction = np.array([0.267, 0.535, 0.802])
    a, b, c = X[z[:, 0]] - point, X[z[:, 1]] - point, X[z[:, 2]] - point
    e1, e2 = b - a, c - a
    h = np.cross(direction, e2)
    det = np.einsum("ij,ij->i", e1, h)
    u = -np.einsum("ij,ij->i", a, h) / det
    q = np.cross(-a, e1)
    v = np.einsum("j,ij->i", direction, q) / det
    t = np.einsum("ij,ij->i", e2, q) / det
    return int(((u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)).sum() % 2)


def check_rips_class(cycle, D: np.ndarray) -> None:
    z = cycle.simplices
    assert z.shape[1] == 2 and is_cycle(z)
    lengths = D[z[:, 0], z[:, 1]]
    assert lengths.max() == cycle.birth  # the longest edge is the one that creates the class
    assert (lengths <= cycle.death).all()
    assert not is_boundary(z, simplex_boundaries(rips_cliques(D, cycle.birth, 3)))


def circle(n: int, radius: float, centre, rng, noise: float = 0.02) -> np.ndarray:
    angle = rng.uniform(0, 2 * np.pi, n)
    ring = radius * np.column_stack([np.cos(angle), np.sin(angle)]) + centre
    return ring + noise * rng.normal(size=ring.shape)


# -- Rips --------------------------------------------------------------------------------------


def test_two_circles_of_different_radii(same_diagrams):
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [4.0, 0.0]])
    X = np.concatenate([circle(50, 1.0, centres[0], rng), circle(35, 0.6, centres[1], rng)])
    d = persistence(X, max_dim=1, filtration="rips", cycles=True)
    reference = gudhi.RipsComplex(points=X).create_simplex_tree(max_dimension=2)
    reference.compute_persistence()
    same_diagrams(d, [reference.persistence_intervals_in_dimension(p) for p in (0, 1)], 1e-9)
    D = cdist(X, X)
    long = d.cycles(1)[:2]
    assert all(c.death - c.birth > 0.4 for c in long)
    for c in long:
        check_rips_class(c, D)
    # the bigger circle lives longer; each loop runs round its own centre only
    assert [crossings(long[0].simplices, X, centres[k]) for k in (0, 1)] == [1, 0]
    assert [crossings(long[1].simplices, X, centres[k]) for k in (0, 1)] == [0, 1]
    assert set(long[0].simplices.ravel()) <= set(range(50))


def test_figure_eight_loops_wind_round_their_own_hole():
    rng = np.random.default_rng(3)
    centres = np.array([[-1.0, 0.0], [0.8, 0.0]])  # radii 1 and 0.8: they touch at x = 0
    X = np.concatenate([circle(70, 1.0, centres[0], rng), circle(60, 0.8, centres[1], rng)])
    d = persistence(X, max_dim=1, filtration="rips", cycles=True)
    D = cdist(X, X)
    long = d.cycles(1)[:2]
    for c in long:
        check_rips_class(c, D)
    windings = sorted(tuple(crossings(c.simplices, X, o) for o in centres) for c in long)
    assert windings == [(0, 1), (1, 0)]


def test_torus_long_classes(same_diagrams):
    rng = np.random.default_rng(1)
    u, v = rng.uniform(0, 2 * np.pi, (2, 150))
    X = np.column_stack([(2 + np.cos(v)) * np.cos(u), (2 + np.cos(v)) * np.sin(u), np.sin(v)])
    d = persistence(X, max_dim=1, filtration="rips", cycles=True)
    plain = persistence(X, max_dim=1, filtration="rips")
    same_diagrams(d, plain, 0.0)
    D = cdist(X, X)
    lifetimes = d.lifetimes(1)
    assert (np.sort(lifetimes)[-2:] > 0.6).all()
    for c in d.cycles(1)[:2]:
        check_rips_class(c, D)


def test_ties_and_duplicates_regular_grid():
    """A 6 x 6 grid (every edge length tied many times over) with a duplicated point: the one
    loop round the missing centre block is still found, exactly."""
    grid = np.array(
        [(i, j) for i in range(6) for j in range(6) if not (2 <= i <= 3 and 2 <= j <= 3)]
    )
    X = np.concatenate([grid, grid[:1]]).astype(float)
    d = persistence(X, max_dim=1, filtration="rips", cycles=True)
    D = cdist(X, X)
    for c in d.cycles(1):
        check_rips_class(c, D)
    assert d.cycles(1)[0].birth == 1.0


def test_essential_class_under_a_threshold():
    rng = np.random.default_rng(2)
    X = circle(40, 1.0, (0.0, 0.0), rng)
    d = persistence(X, max_dim=1, filtration="rips", threshold=1.0, cycles=True)
    (c,) = [c for c in d.cycles(1) if np.isinf(c.death)]
    D = cdist(X, X)
    assert is_cycle(c.simplices) and D[c.simplices[:, 0], c.simplices[:, 1]].max() == c.birth
    assert not is_boundary(
        c.simplices, simplex_boundaries(rips_cliques(D, 1.0, 3))
    )  # not even at the threshold
    assert crossings(c.simplices, X, (0.0, 0.0)) == 1


def test_h2_of_a_sampled_sphere_rips(same_diagrams):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    d = persistence(X, max_dim=2, filtration="rips", cycles=True)
    reference = gudhi.RipsComplex(points=X).create_simplex_tree(max_dimension=3)
    reference.compute_persistence()
    same_diagrams(d, [reference.persistence_intervals_in_dimension(p) for p in (0, 1, 2)], 1e-9)
    void = d.cycles(2)[0]
    assert void.death - void.birth > 0.2
    z = void.simplices
    assert z.shape[1] == 3 and is_cycle(z)  # a closed surface: each edge in an even number
    D = cdist(X, X)
    diameters = np.max([D[z[:, a], z[:, b]] for a, b in ((0, 1), (0, 2), (1, 2))], axis=0)
    assert diameters.max() == void.birth
    assert not is_boundary(z, simplex_boundaries(rips_cliques(D, void.birth, 4)))
    assert encloses(z, X, np.zeros(3)) == 1  # it wraps round the centre, not a small pocket


# -- alpha -------------------------------------------------------------------------------------


def alpha_complex_at(X: np.ndarray, scale: float, k: int) -> np.ndarray:
    """The simplices of ``k`` vertices of the alpha complex at ``scale`` (diameter units)."""
    st = gudhi.AlphaComplex(points=X).create_simplex_tree()
    rows = [s for s, v in st.get_skeleton(k - 1) if len(s) == k and 2 * np.sqrt(max(v, 0)) <= scale]
    return np.array(rows, dtype=np.int64).reshape(-1, k)


def test_alpha_two_circles_and_sphere(same_diagrams):
    rng = np.random.default_rng(4)
    centres = np.array([[0.0, 0.0], [3.0, 0.0]])
    X = np.concatenate([circle(80, 1.0, centres[0], rng), circle(60, 0.5, centres[1], rng)])
    d = persistence(X, max_dim=1, filtration="alpha", cycles=True)
    same_diagrams(d, persistence(X, max_dim=1, filtration="alpha"), 1e-9)
    for c, own in zip(d.cycles(1)[:2], (0, 1)):
        assert is_cycle(c.simplices)
        assert not is_boundary(c.simplices, simplex_boundaries(alpha_complex_at(X, c.birth, 3)))
        assert [crossings(c.simplices, X, o) for o in centres] == [int(k == own) for k in (0, 1)]

    S = rng.normal(size=(300, 3))
    S /= np.linalg.norm(S, axis=1, keepdims=True)
    d = persistence(S, max_dim=2, filtration="alpha", cycles=True)
    st = gudhi.AlphaComplex(points=S).create_simplex_tree()
    st.compute_persistence()
    reference = [2 * np.sqrt(st.persistence_intervals_in_dimension(p)) for p in (0, 1, 2)]
    same_diagrams(d, reference, 1e-9)
    void = d.cycles(2)[0]
    assert is_cycle(void.simplices) and encloses(void.simplices, S, np.zeros(3)) == 1
    assert not is_boundary(void.simplices, simplex_boundaries(alpha_complex_at(S, void.birth, 4)))


# -- cubical -----------------------------------------------------------------------------------


def pixel_edges(shape: tuple[int, int]) -> np.ndarray:
    """For each pixel (C order) its four unit edges, as corner pairs on the corner grid."""
    h, w = shape
    W = w + 1
    r, c = np.divmod(np.arange(h * w), w)
    corner = r * W + c
    edges = np.stack(
        [
            np.column_stack([corner, corner + 1]),  # top
            np.column_stack([corner + W, corner + W + 1]),  # bottom
            np.column_stack([corner, corner + W]),  # left
            np.column_stack([corner + 1, corner + W + 1]),  # right
        ],
        axis=1,
    )
    return edges


def test_cubical_image_with_two_holes(same_diagrams):
    rng = np.random.default_rng(5)
    image = rng.uniform(0.0, 0.2, (30, 40))
    image[8:14, 8:14] = 1.0  # hole A, filled at 1.0
    image[16:22, 24:32] = 0.7  # hole B, filled at 0.7
    d = persistence(image, max_dim=1, filtration="cubical", cycles=True)
    cc = gudhi.CubicalComplex(top_dimensional_cells=image)
    cc.compute_persistence()
    same_diagrams(d, [cc.persistence_intervals_in_dimension(p) for p in (0, 1)], 1e-12)

    squares = pixel_edges(image.shape)  # (pixels, 4 edges, 2 corners)
    value = {}  # an edge enters with the first pixel that holds it
    for pixel, v in zip(squares, image.ravel()):
        for e in map(tuple, np.sort(pixel, axis=1)):
            value[e] = min(value.get(e, np.inf), v)
    W = image.shape[1] + 1
    corners = np.stack(np.divmod(np.arange((image.shape[0] + 1) * W), W), axis=1) - 0.5
    corners = corners[:, ::-1]  # (x, y) = (column, row) in pixel coordinates
    centres = {"A": (10.5, 10.5), "B": (27.5, 18.5)}  # (x, y) of each block's middle
    long = d.cycles(1)[:2]
    assert [c.death for c in long] == [1.0, 0.7]
    for c, own in zip(long, "AB"):
        z = c.simplices
        assert z.shape[1] == 2 and is_cycle(z)
        values = np.array([value[tuple(e)] for e in z])
        assert values.max() == c.birth and (values <= c.death).all()
        pixels = squares[image.ravel() <= c.birth]  # the pixels in at the birth
        assert not is_boundary(z, [list(map(tuple, np.sort(s, axis=1))) for s in pixels])
        assert [crossings(z, corners, centres[k]) for k in "AB"] == [int(k == own) for k in "AB"]


# -- bad input and storage ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"filtration": "sparse-rips"}, "not sparse-rips"),
        ({"filtration": "dtm"}, "not weighted-rips"),
        ({"coeff": 3}, "use coeff=2"),
        ({"max_dim": 0}, "max_dim >= 1"),
        ({"backend": "ripser"}, "takes backend 'gudhi'"),
    ],
)
def test_unsupported_requests_say_what_works(kwargs, words):
    X = np.random.default_rng(0).random((30, 2))
    with pytest.raises(InputError, match=words) as info:
        persistence(X, **({"max_dim": 1, "filtration": "rips"} | kwargs), cycles=True)
    assert "\n" not in str(info.value)


def test_a_complex_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(cycles_module, "MAX_CELLS", 1000)
    X = np.random.default_rng(0).random((60, 2))
    with pytest.raises(InputError, match="alpha.*--sample"):
        persistence(X, max_dim=1, filtration="rips", cycles=True)


def test_no_cycles_asked_and_h0(tmp_path):
    X = np.random.default_rng(0).random((20, 2))
    with pytest.raises(InputError, match="cycles=True"):
        persistence(X, max_dim=1).cycles(1)
    d = persistence(X, max_dim=1, cycles=True)
    with pytest.raises(InputError, match="H1 hold cycles"):
        d.cycles(0)


def test_save_load_and_filter_keep_the_cycles(tmp_path):
    rng = np.random.default_rng(6)
    X = circle(40, 1.0, (0.0, 0.0), rng, noise=0.1)
    d = persistence(X, max_dim=1, filtration="rips", cycles=True)
    back = Diagrams.load(d.save(tmp_path / "d.npz"))
    assert back.cycle_dims == (1,)
    for a, b in zip(d.cycles(1), back.cycles(1)):
        assert (a.birth, a.death) == (b.birth, b.death) and np.array_equal(a.simplices, b.simplices)
    kept = d.filter(min_persistence=0.5)
    assert [c.simplices.tolist() for c in kept.cycles(1)] == [
        c.simplices.tolist() for c in d.cycles(1) if c.death - c.birth > 0.5
    ]


def test_rips_filtration_object_and_matrix_input():
    rng = np.random.default_rng(7)
    X = circle(30, 1.0, (0.0, 0.0), rng)
    D = cdist(X, X)
    from_matrix = persistence(rips(D, metric="precomputed"), max_dim=1, cycles=True)
    from_points = persistence(X, max_dim=1, filtration="rips", cycles=True)
    assert [c.simplices.tolist() for c in from_matrix.cycles(1)] == [
        c.simplices.tolist() for c in from_points.cycles(1)
    ]


def _circle(n: int, center: float) -> np.ndarray:
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([np.cos(angle) + center, np.sin(angle)])


def test_the_rips_size_estimate_counts_the_triangles_within_the_cut(monkeypatch):
    """With H1 asked, the complex is cut at the last finite value of H1 (H0's values do not
    matter) and sized by its triangles: the estimate in the refusal is within 5% of the
    triangles counted one by one."""
    import re

    X = np.random.default_rng(1).random((60, 2))
    t = persistence(X, 1)[1][:, 1].max()
    D = cdist(X, X)
    exact = sum(
        max(D[a, b], D[a, c], D[b, c]) <= t for a, b, c in itertools.combinations(range(60), 3)
    )
    monkeypatch.setattr(cycles_module, "MAX_CELLS", 1)
    with pytest.raises(InputError, match="simplices of dimension 2") as info:
        persistence(X, max_dim=1, filtration="rips", cycles=True)
    estimate = float(re.search(r"about (\S+) simplices", str(info.value)).group(1))
    assert estimate == pytest.approx(exact, rel=0.05)


def test_far_apart_components_do_not_enlarge_the_complex(monkeypatch):
    """Two circles 10 apart: H0's last death (8) is far beyond the loops' (1.73); cut there,
    the complex would hold every triangle of each circle (6.8e4 estimated, 2.2e4 at 1.73)."""
    monkeypatch.setattr(cycles_module, "MAX_CELLS", 50_000)
    X = np.vstack([_circle(60, 0.0), _circle(60, 10.0)])
    d = persistence(X, max_dim=1, filtration="rips", cycles=True)
    assert len(d[1]) == 2 and all(len(c.simplices) == 60 for c in d.cycles(1))


def test_a_cloud_without_loops_has_no_cycles_to_compute():
    d = persistence(np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]]), max_dim=1, cycles=True)
    assert len(d[1]) == 0 and d.cycles(1) == []


def test_more_cells_than_the_limit_are_refused_the_limit_itself_is_not():
    cycles_module._too_large(cycles_module.MAX_CELLS, "cells", "")
    with pytest.raises(InputError, match="about 1.0e\\+07 cells, more than the 1e\\+07"):
        cycles_module._too_large(cycles_module.MAX_CELLS + 1, "cells", "")


@pytest.mark.parametrize("scale", [0.3, 30.0])
def test_missing_edges_stay_beyond_the_cut_at_any_scale(scale):
    """The edges a sparse distance matrix leaves out are given a value beyond the cut, not one
    that a scale below 1, or above 2, would bring inside it: the loop stays essential."""
    from scipy import sparse

    X = circle(40, scale, (0.0, 0.0), np.random.default_rng(2))
    D = cdist(X, X)
    D[D > scale] = 0.0  # no edge
    d = persistence(sparse.csr_matrix(D), max_dim=1, metric="precomputed", cycles=True)
    (c,) = [c for c in d.cycles(1) if np.isinf(c.death)]
    assert is_cycle(c.simplices) and crossings(c.simplices, X, (0.0, 0.0)) == 1


def test_alpha_cycles_in_r3_take_the_simplices_up_to_triangles_within_the_cut(monkeypatch):
    """H1 of an alpha complex in R^3 needs its triangles, not its tetrahedra, and only those
    within the last finite value: exactly that many cells are within the limit."""
    X = np.random.default_rng(3).random((40, 3))
    plain = persistence(X, max_dim=1, filtration="alpha")
    t = np.ravel(plain[1])[np.isfinite(np.ravel(plain[1]))].max()
    st = gudhi.AlphaComplex(points=X).create_simplex_tree()
    cells = [s for s, v in st.get_filtration() if len(s) <= 3 and 2 * np.sqrt(max(v, 0)) <= t]
    monkeypatch.setattr(cycles_module, "MAX_CELLS", len(cells))
    d = persistence(X, max_dim=1, filtration="alpha", cycles=True)
    np.testing.assert_array_equal(d[1], plain[1])
    assert all(is_cycle(c.simplices) for c in d.cycles(1))


def test_an_image_is_sized_by_all_its_cells(monkeypatch):
    img = np.random.default_rng(0).random((5, 6))
    monkeypatch.setattr(cycles_module, "MAX_CELLS", 11 * 13)  # (2h + 1)(2w + 1)
    assert len(persistence(img, 1, filtration="cubical", cycles=True).cycles(1)) > 0
    monkeypatch.setattr(cycles_module, "MAX_CELLS", 11 * 13 - 1)
    with pytest.raises(InputError, match="about 1.4e\\+02 cells.*--downsample"):
        persistence(img, 1, filtration="cubical", cycles=True)


@pytest.mark.parametrize("dim, alpha", [(3, True), (4, False)])
def test_a_rips_complex_too_large_suggests_alpha_for_points_in_r3_only(monkeypatch, dim, alpha):
    monkeypatch.setattr(cycles_module, "MAX_CELLS", 1)
    X = np.random.default_rng(0).random((30, dim))
    with pytest.raises(InputError, match="--sample") as info:
        persistence(X, max_dim=1, filtration="rips", cycles=True)
    assert ("--filtration alpha" in str(info.value)) is alpha
