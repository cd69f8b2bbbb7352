"""The Delaunay route for alpha persistence in R^2 and R^3 against gudhi's AlphaComplex.

gudhi's values are squared radii, computed exactly and rounded; ours are float64 formulas on
the diameter scale ``2 sqrt(alpha^2)``. Diagrams are compared dimension by dimension with
gudhi's bottleneck distance at float64 rounding (``TOL``) and bar counts, on random clouds,
clouds with duplicate points, and degenerate ones full of ties: grids (where qhull's
triangulation has flat tetrahedra and differs from CGAL's) and cospherical integer points.
"""

from __future__ import annotations

import gudhi
import numpy as np
import pytest

import tda_pipe as tp
from tda_pipe.errors import InputError
from tda_pipe.tda.alpha_delaunay import alpha_delaunay

TOL = 1e-9  # bottleneck at float64 rounding; the clouds are of unit scale


def gudhi_alpha(X: np.ndarray, max_dim: int) -> list[np.ndarray]:
    st = gudhi.AlphaComplex(points=X).create_simplex_tree()
    st.compute_persistence(persistence_dim_max=True)
    out = []
    for p in range(max_dim + 1):
        d = 2 * np.sqrt(np.asarray(st.persistence_intervals_in_dimension(p)).reshape(-1, 2))
        out.append(d[d[:, 1] > d[:, 0]])
    return out


def assert_same(ours: list[np.ndarray], theirs: list[np.ndarray], tol: float = TOL) -> None:
    """Bottleneck within ``tol`` and as many bars longer than ``tol`` in each dimension
    (gudhi's own values carry rounding: on cospherical points it has bars of 1e-15)."""
    assert len(ours) == len(theirs)
    for p, (a, b) in enumerate(zip(ours, theirs)):
        long_a, long_b = (np.sum(d[:, 1] - d[:, 0] > tol) for d in (a, b))
        assert long_a == long_b, f"H{p}: {long_a} bars against gudhi's {long_b}"
        assert gudhi.bottleneck_distance(a, b) <= tol, f"H{p}"


def torus(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, (n, 2))
    ring = 2 + 0.7 * np.cos(t[:, 1])
    X = np.column_stack([ring * np.cos(t[:, 0]), ring * np.sin(t[:, 0]), 0.7 * np.sin(t[:, 1])])
    return X + rng.normal(0, 0.05, X.shape)


def grid(*sizes: int) -> np.ndarray:
    axes = np.meshgrid(*[np.arange(k, dtype=float) for k in sizes], indexing="ij")
    return np.stack(axes, -1).reshape(-1, len(sizes))


def integer_sphere(r2: int) -> np.ndarray:
    """Every integer point at squared distance ``r2`` from 0: exactly cospherical."""
    k = int(np.ceil(np.sqrt(r2)))
    g = grid(2 * k + 1, 2 * k + 1, 2 * k + 1) - k
    return g[(g**2).sum(axis=1) == r2]


CLOUDS_3D = {
    "uniform": lambda: np.random.default_rng(0).random((400, 3)),
    "gaussian": lambda: np.random.default_rng(1).normal(size=(400, 3)),
    "torus": lambda: torus(500, 2),
    "duplicates": lambda: np.repeat(np.random.default_rng(3).random((150, 3)), [1, 2, 3] * 50, 0),
    "grid 4x4x4": lambda: grid(4, 4, 4),
    "grid 3x4x6 stretched": lambda: grid(3, 4, 6) * [1.0, 1.5, 0.5],
    "lattice with jitter-free duplicates": lambda: np.vstack([grid(3, 3, 3)] * 2),
    "two integer spheres": lambda: np.vstack([integer_sphere(25), integer_sphere(50)]),
    "cube corners and centre": lambda: np.vstack([grid(2, 2, 2), [[0.5, 0.5, 0.5]]]),
}
CLOUDS_2D = {
    "uniform": lambda: np.random.default_rng(4).random((500, 2)),
    "duplicates": lambda: np.repeat(np.random.default_rng(5).random((200, 2)), 2, 0),
    "grid 6x7": lambda: grid(6, 7),
    "integer circle and centre": lambda: np.vstack([integer_sphere(25)[:, :2], [[0, 0]]]),
}


@pytest.mark.parametrize("name", list(CLOUDS_3D))
def test_equals_gudhi_in_r3(name):
    X = CLOUDS_3D[name]()
    dgms, _ = alpha_delaunay(X, max_dim=2)
    assert_same(dgms, gudhi_alpha(X, 2))


@pytest.mark.parametrize("name", list(CLOUDS_2D))
def test_equals_gudhi_in_r2(name):
    X = CLOUDS_2D[name]()
    dgms, _ = alpha_delaunay(X, max_dim=1)
    assert_same(dgms, gudhi_alpha(X, 1))


@pytest.mark.parametrize("seed", range(12))
def test_equals_gudhi_on_many_small_clouds(seed):
    rng = np.random.default_rng(100 + seed)
    d = 2 + seed % 2
    X = rng.random((rng.integers(8, 80), d))
    if seed % 3 == 0:  # snapped to a coarse lattice: ties everywhere
        X = np.round(X * 4) / 4
        X = np.unique(X, axis=0) if len(np.unique(X, axis=0)) > d + 1 else X
    dgms, _ = alpha_delaunay(X, max_dim=d - 1)
    assert_same(dgms, gudhi_alpha(X, d - 1))


def test_pairs_name_simplices_whose_alpha_values_are_the_bars():
    X = torus(300, 7)
    dgms, pairs = alpha_delaunay(X, max_dim=2)
    st = gudhi.AlphaComplex(points=X).create_simplex_tree()
    for p, (dgm, (births, deaths)) in enumerate(zip(dgms, pairs)):
        assert births.shape == deaths.shape == (len(dgm), 4)
        assert ((births >= 0).sum(axis=1) == p + 1).all()
        finite = np.isfinite(dgm[:, 1])
        assert ((deaths[finite] >= 0).sum(axis=1) == p + 2).all()
        assert (deaths[~finite] == -1).all()
        value = lambda rows: np.array(  # noqa: E731
            [2 * np.sqrt(st.filtration([int(v) for v in r if v >= 0])) for r in rows]
        )
        np.testing.assert_allclose(value(births), dgm[:, 0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(value(deaths[finite]), dgm[finite, 1], rtol=1e-12)


@pytest.mark.parametrize("d", [2, 3])
def test_gudhis_alpha_pairs_are_as_wide_as_a_top_simplex(d):
    """The gudhi backend names the same kind of simplices: d + 1 columns, the top dimension's
    classes killed by d-simplices, every one with the value of its bar."""
    X = np.random.default_rng(d).random((150, d))
    ours = tp.persistence(X, d - 1, filtration="alpha", backend="gudhi", return_pairs=True)
    st = gudhi.AlphaComplex(points=X).create_simplex_tree()
    for p in range(d):
        births, deaths = ours.pairs[p]
        assert births.shape == deaths.shape == (len(ours[p]), d + 1)
        finite = np.isfinite(ours[p][:, 1])
        assert ((deaths[finite] >= 0).sum(axis=1) == p + 2).all()
        values = [2 * np.sqrt(st.filtration([int(v) for v in r if v >= 0])) for r in deaths[finite]]
        np.testing.assert_allclose(values, ours[p][finite, 1], rtol=1e-12)


def test_dimensions_beyond_the_space_are_empty_and_max_dim_zero_is_h0():
    X = np.random.default_rng(8).random((100, 2))
    dgms, pairs = alpha_delaunay(X, max_dim=3)
    assert [len(d) for d in dgms][2:] == [0, 0] and pairs[3][0].shape == (0, 3)
    h0, _ = alpha_delaunay(X, max_dim=0)
    assert len(h0) == 1 and np.array_equal(np.sort(h0[0], axis=0), np.sort(dgms[0], axis=0))
    assert alpha_delaunay(X, 1, with_pairs=False)[1] is None


def test_persistence_routes_alpha_in_r2_and_r3_over_z2_here():
    X = torus(3000, 9)
    assert tp.persistence(X, 1).backend == "gudhi"  # auto: alpha; gudhi below 20000 points
    assert tp.persistence(torus(20_000, 9), 0, filtration="alpha").backend == "delaunay"
    assert tp.persistence(X, 1, filtration="alpha", coeff=3).backend == "gudhi"
    X4 = np.random.default_rng(0).random((60, 4))
    assert tp.persistence(X4, 1, filtration="alpha").backend == "gudhi"
    with pytest.raises(InputError, match="R\\^2 or R\\^3 only"):
        tp.persistence(X4, 1, filtration="alpha", backend="delaunay")
    ours = tp.persistence(X[:400], 2, filtration="alpha", backend="delaunay", return_pairs=True)
    assert ours.backend == "delaunay" and ours.pairs is not None
    assert_same(list(ours), gudhi_alpha(X[:400], 2))


def test_points_qhull_cannot_triangulate_go_to_gudhi():
    flat = np.column_stack([np.random.default_rng(1).random((50, 2)), np.zeros(50)])
    few = np.eye(3)
    for X in (flat, few):
        d = tp.persistence(X, 2, filtration="alpha", backend="delaunay")
        assert_same(list(d), gudhi_alpha(X, 2))
