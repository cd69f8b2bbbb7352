"""Diagrams from every filtration and backend, checked against gudhi and ripser called directly."""

from __future__ import annotations

import gudhi
import networkx as nx
import numpy as np
import pytest
import ripser
from scipy import sparse

import tda_pipe as tp
from tda_pipe.errors import InputError
from tda_pipe.tda import filtrations as F
from tda_pipe.tda.diagrams import Diagrams, bottleneck

from .references import GIOTTO, GIOTTO_INSTALLED, gudhi_matrix, requires_giotto

# giotto-ph's and gudhi's values are float64 and exact; ripser.py returns float32
# values, so it is compared at about 1e-6 of the data's scale (DESIGN.md).
FLOAT64_TOL = 1e-9
FLOAT32_TOL = 1e-6


def _ref(intervals_by_dim) -> Diagrams:
    return Diagrams([np.asarray(d, dtype=float).reshape(-1, 2) for d in intervals_by_dim])


def gudhi_rips(X: np.ndarray, max_dim: int, threshold: float = np.inf) -> Diagrams:
    st = gudhi.RipsComplex(points=X, max_edge_length=threshold).create_simplex_tree(
        max_dimension=max_dim + 1
    )
    st.compute_persistence()
    return _ref(st.persistence_intervals_in_dimension(p) for p in range(max_dim + 1))


@pytest.fixture(scope="module")
def cloud() -> np.ndarray:
    return np.random.default_rng(7).random((40, 3))


@pytest.mark.parametrize(
    "backend,tol",
    [
        pytest.param("giotto-ph", FLOAT64_TOL, marks=requires_giotto),
        ("gudhi", FLOAT64_TOL),
        ("ripser", FLOAT32_TOL),
    ],
)
def test_rips_equals_gudhi_and_ripser(cloud, backend, tol, same_diagrams):
    ours = tp.persistence(cloud, max_dim=2, filtration="rips", backend=backend)
    assert ours.filtration == "rips" and ours.backend == backend
    same_diagrams(ours, gudhi_rips(cloud, 2), tol)
    ref_ripser = _ref(ripser.ripser(cloud, maxdim=2)["dgms"])
    same_diagrams(ours, ref_ripser, FLOAT32_TOL)
    assert len(ours[1]) > 0 and len(ours[2]) > 0  # the comparison is not vacuous


@pytest.mark.parametrize("backend", [GIOTTO, "gudhi", "ripser"])
def test_rips_threshold_and_other_metric(cloud, backend, same_diagrams):
    ours = tp.persistence(cloud, max_dim=1, threshold=0.3, backend=backend)
    same_diagrams(ours, gudhi_rips(cloud, 1, threshold=0.3), FLOAT32_TOL)
    assert np.isinf(ours[0][:, 1]).sum() > 1  # the threshold leaves several components
    D = np.abs(cloud[:, None, :] - cloud[None, :, :]).sum(-1)
    manhattan = tp.persistence(cloud, max_dim=1, metric="manhattan", backend=backend)
    same_diagrams(manhattan, gudhi_matrix(D, 1), FLOAT32_TOL)


@pytest.mark.parametrize("backend", [GIOTTO, "gudhi", "ripser", "mst"])
def test_precomputed_matrix_dense_and_sparse(cloud, backend, same_diagrams):
    D = np.linalg.norm(cloud[:, None] - cloud[None], axis=-1)
    max_dim = 0 if backend == "mst" else 1
    ref = gudhi_matrix(D, max_dim)
    tol = FLOAT32_TOL if backend == "ripser" else FLOAT64_TOL
    same_diagrams(tp.persistence(D, max_dim, metric="precomputed", backend=backend), ref, tol)
    if backend in ("giotto-ph", "mst"):
        dense_as_sparse = sparse.coo_matrix(np.triu(D, 1) + np.triu(D, 1).T)
        got = tp.persistence(dense_as_sparse, max_dim, metric="precomputed", backend=backend)
        same_diagrams(got, ref, tol)


def test_mst_h0_is_rips_h0_and_the_default_for_h0(cloud, same_diagrams):
    d = tp.persistence(cloud, max_dim=0, return_pairs=True)
    assert d.backend == "mst"
    same_diagrams(d, gudhi_rips(cloud, 0), FLOAT64_TOL)
    births, deaths = d.pairs[0]
    finite = np.isfinite(d[0][:, 1])
    lengths = np.linalg.norm(cloud[deaths[finite, 0]] - cloud[deaths[finite, 1]], axis=1)
    np.testing.assert_allclose(lengths, d[0][finite, 1])


def test_duplicate_points_give_no_zero_length_classes():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    for backend in ("mst", "gudhi", "ripser", *GIOTTO.values[:GIOTTO_INSTALLED]):
        d = tp.persistence(X, max_dim=0, filtration="rips", backend=backend)
        np.testing.assert_allclose(d[0], [[0.0, 1.0], [0.0, 3.0], [0.0, np.inf]])


@pytest.mark.parametrize("backend", [GIOTTO, "gudhi", "ripser", "mst"])
def test_weighted_rips_equals_gudhi_on_the_same_filtration(cloud, backend, same_diagrams):
    w = np.random.default_rng(1).random(len(cloud)) * 0.3
    max_dim = 0 if backend == "mst" else 1
    ours = tp.persistence(cloud, max_dim, filtration="weighted-rips", weights=w, backend=backend)
    D = np.linalg.norm(cloud[:, None] - cloud[None], axis=-1)
    M = np.maximum(np.maximum.outer(w, w), (D + w[:, None] + w[None, :]) / 2)
    np.fill_diagonal(M, w)
    tol = FLOAT32_TOL if backend == "ripser" else FLOAT64_TOL
    assert ours.filtration == "weighted-rips"
    same_diagrams(ours, gudhi_matrix(M, max_dim), tol)
    assert ours[0][:, 0].max() > 0  # births at the weights, not all at 0


def test_weighted_rips_formula_matches_gudhi_weighted_rips_complex(cloud, same_diagrams):
    """gudhi's own WeightedRipsComplex (p = 1) builds the same filtration at twice our scale."""
    from gudhi.weighted_rips_complex import WeightedRipsComplex

    w = np.random.default_rng(2).random(len(cloud)) * 0.3
    D = np.linalg.norm(cloud[:, None] - cloud[None], axis=-1)
    st = WeightedRipsComplex(distance_matrix=D, weights=w).create_simplex_tree(max_dimension=2)
    st.compute_persistence()
    ref = _ref(st.persistence_intervals_in_dimension(p) / 2 for p in range(2))
    ours = tp.persistence(cloud, 1, filtration="weighted-rips", weights=w)
    same_diagrams(ours, ref, FLOAT64_TOL)


def test_dtm_weights_match_gudhi_dtm(cloud, same_diagrams):
    from gudhi.dtm_rips_complex import DTMRipsComplex

    st = DTMRipsComplex(points=cloud, k=5).create_simplex_tree(max_dimension=2)
    st.compute_persistence()
    ref = _ref(st.persistence_intervals_in_dimension(p) / 2 for p in range(2))
    ours = tp.persistence(F.dtm(cloud, k=5), max_dim=1)
    same_diagrams(ours, ref, FLOAT64_TOL)


def test_sparse_rips_is_a_1_plus_epsilon_approximation():
    """gudhi's sparse Rips starts its farthest-point order at a random point, so two builds
    differ; what holds for every build is the (1 + epsilon) interleaving with exact Rips."""
    # a (1 + epsilon)-interleaving of the exact Rips filtration: close on the log scale
    X = np.random.default_rng(7).random((300, 2))
    approx = tp.persistence(X, 1, filtration="sparse-rips", epsilon=0.5)
    exact = tp.persistence(X, 1, filtration="rips")
    log_gap = bottleneck(Diagrams([np.log(approx[1])]), Diagrams([np.log(exact[1])]))
    assert 0 < log_gap <= np.log(1.5)


def test_alpha_equals_gudhi_on_the_diameter_scale(cloud, same_diagrams):
    st = gudhi.AlphaComplex(points=cloud).create_simplex_tree()
    st.compute_persistence()
    ref = _ref(2 * np.sqrt(st.persistence_intervals_in_dimension(p)) for p in range(3))
    for pairs in (False, True):
        ours = tp.persistence(cloud, 2, filtration="alpha", return_pairs=pairs)
        same_diagrams(ours, ref, FLOAT64_TOL)
    # MST edges are Gabriel edges: alpha H0 on the diameter scale equals Rips H0 exactly
    same_diagrams(Diagrams([ours[0]]), gudhi_rips(cloud, 0), FLOAT64_TOL)


def test_cubical_equals_flag_complex_of_the_pixel_king_graph(same_diagrams):
    """Closed pixels meeting at a corner pairwise share a point, so by the nerve theorem the
    sublevel sets of the T-construction are homotopy equivalent to the flag complex of the
    8-neighbour graph with lower-star values: ripser.py computes the latter independently."""
    img = np.random.default_rng(3).random((12, 15))
    ours = tp.persistence(img, max_dim=1, filtration="cubical", return_pairs=True)
    h, w = img.shape
    ys, xs = np.divmod(np.arange(img.size), w)
    rows, cols = [], []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        ny, nx = ys + dy, xs + dx
        inside = (ny < h) & (nx >= 0) & (nx < w)
        rows.append(np.flatnonzero(inside))
        cols.append(ny[inside] * w + nx[inside])
    r, c = np.concatenate(rows), np.concatenate(cols)
    v = img.ravel()
    M = sparse.coo_matrix(
        (
            np.concatenate([np.maximum(v[r], v[c]), v]),
            (np.concatenate([r, np.arange(v.size)]), np.concatenate([c, np.arange(v.size)])),
        ),
        shape=(v.size, v.size),
    )
    ref = _ref(ripser.ripser(M, maxdim=1, distance_matrix=True)["dgms"])
    same_diagrams(ours, ref, FLOAT32_TOL)
    assert len(ours[1]) > 10
    births, deaths = ours.pairs[0]
    np.testing.assert_array_equal(img.ravel()[births[:, 0]], ours[0][:, 0])


def test_lower_star_graph_and_mesh(same_diagrams):
    G = nx.grid_2d_graph(6, 7)  # triangle-free: its flag complex is the graph itself
    values = np.random.default_rng(4).random(G.number_of_nodes())
    ours = tp.persistence(F.lower_star_graph(G, values), max_dim=1, return_pairs=True)
    nodes = list(G.nodes)
    index = {u: i for i, u in enumerate(nodes)}
    e = np.array([(index[u], index[v]) for u, v in G.edges])
    M = sparse.coo_matrix(
        (
            np.concatenate([np.maximum(values[e[:, 0]], values[e[:, 1]]), values]),
            (
                np.concatenate([e[:, 0], np.arange(len(values))]),
                np.concatenate([e[:, 1], np.arange(len(values))]),
            ),
        ),
    )
    ref = _ref(ripser.ripser(M, maxdim=1, distance_matrix=True)["dgms"])
    same_diagrams(ours, ref, FLOAT32_TOL)
    # independent cycles of the grid: E - V + 1, all essential
    assert np.isinf(ours[1][:, 1]).sum() == G.number_of_edges() - G.number_of_nodes() + 1

    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=2)
    d = tp.persistence(F.lower_star_mesh(sphere), max_dim=2)  # height function
    assert d.betti(10.0) == [1, 0, 1]
    height = sphere.vertices[:, 2]
    assert d[0][np.isinf(d[0][:, 1]), 0] == pytest.approx(height.min())
    assert d[2][0, 0] == pytest.approx(height.max())


@pytest.mark.parametrize(
    "shape,max_dim,betti",
    [("circle", 1, [1, 1]), ("sphere", 2, [1, 0, 1]), ("torus", 2, [1, 2, 1])],
)
def test_betti_numbers_of_sampled_manifolds(shape, max_dim, betti):
    """The most persistent classes of Rips (sphere, circle) or alpha (torus) diagrams."""
    if shape == "circle":
        X, filt = tp.datasets.circle(100, noise=0.02, seed=0), "rips"
    elif shape == "sphere":
        X, filt = tp.datasets.sphere(300, noise=0.0, seed=0), "rips"
    else:
        X, filt = tp.datasets.torus(2000, R=2.0, r=1.0, seed=0), "alpha"
    d = tp.persistence(X, max_dim=max_dim, filtration=filt)
    # classes living longer than half of the longest finite lifetime in any dimension
    finite = np.concatenate([d.lifetimes(p) for p in range(max_dim + 1)])
    cutoff = 0.5 * finite[np.isfinite(finite)].max()
    found = [int((d.lifetimes(p) > cutoff).sum()) for p in range(max_dim + 1)]
    assert found == betti


def test_auto_chooses_and_says_why():
    rng = np.random.default_rng(0)
    big = F.build_filtration(rng.random((2001, 3)))
    assert big.kind == "alpha" and "R^3" in big.reason
    assert F.build_filtration(rng.random((400, 3)), max_dim=2).kind == "alpha"
    assert F.build_filtration(rng.random((400, 3)), max_dim=1).kind == "rips"
    assert F.build_filtration(rng.random((100, 3))).kind == "rips"
    assert F.build_filtration(rng.random((5000, 8))).kind == "rips"  # alpha is for low dimensions
    assert F.build_filtration(rng.random((5000, 3)), max_dim=0).kind == "rips"  # MST is cheap
    d = tp.persistence(rng.random((2001, 2)), max_dim=1)
    assert d.filtration == "alpha"


@pytest.mark.parametrize(
    "data,kwargs,message",
    [
        (np.array([[0.0, np.nan], [1.0, 1.0]]), {}, "NaN"),
        (np.array([[0.0, np.inf], [1.0, 1.0]]), {}, "infinite"),
        (np.arange(5.0), {}, "2-D"),
        (np.zeros((3, 3, 3)), {}, "2-D"),
        (np.zeros((1, 3)), {}, "at least 2"),
        (np.zeros((3, 4)), {"metric": "precomputed"}, "square"),
        (np.array([[0.0, 1.0], [2.0, 0.0]]), {"metric": "precomputed"}, "symmetric"),
        (np.zeros((4, 2)), {"metric": "nonsense"}, "unknown metric"),
        (np.zeros((4, 2)), {"filtration": "nonsense"}, "unknown filtration"),
        (np.zeros((4, 2)), {"backend": "nonsense"}, "unknown backend"),
        (np.zeros((4, 2)), {"filtration": "alpha", "backend": "ripser"}, "cannot compute"),
        (np.zeros((4, 2)), {"backend": "ripser", "return_pairs": True}, "no persistence pairs"),
        (np.zeros((4, 2)), {"max_dim": -1}, "max_dim"),
        pytest.param(
            np.random.default_rng(0).random((400, 3)),
            {"max_dim": 9, "filtration": "rips", "backend": "giotto-ph"},
            r"max_dim=9 on 400 points.*more than giotto-ph can number.*max_dim <= 6",
            marks=requires_giotto,
        ),
        (np.zeros((4, 2)), {"coeff": 4}, r"coeff=4 is not a prime >= 2.*use 2, 3, 5"),
        (np.zeros((4, 2)), {"coeff": 1}, r"coeff=1 is not a prime"),
        (np.zeros((4, 2)), {"coeff": 2.5}, r"coeff=2.5 is not a prime"),
        (np.zeros((4, 2)), {"backend": "mst", "max_dim": 1}, r"'mst' computes H0..H0 only.*gudhi"),
    ],
)
def test_bad_input_is_one_clear_line(data, kwargs, message):
    with pytest.raises(InputError, match=message) as info:
        tp.persistence(data, **kwargs)
    assert "\n" not in str(info.value)


def test_rips_too_large_for_memory_says_how_much_and_what_to_do(monkeypatch):
    monkeypatch.setattr(F, "available_memory", lambda: 2**30)
    X = np.random.default_rng(0).random((20_000, 3))
    with pytest.raises(InputError, match=r"needs about 3\.0 GiB.*--filtration alpha.*--threshold"):
        tp.persistence(X, max_dim=1, filtration="rips")
    # a threshold avoids the dense matrix; H0 by MST needs no matrix at all
    assert tp.persistence(X[:3000], max_dim=0, filtration="rips").backend == "mst"


def test_pairs_reproduce_the_diagram_values(cloud):
    for backend in ("gudhi", *GIOTTO.values[:GIOTTO_INSTALLED]):
        d = tp.persistence(cloud, max_dim=2, backend=backend, return_pairs=True)
        D = np.linalg.norm(cloud[:, None] - cloud[None], axis=-1)
        for p in range(1, 3):
            b, e = d.pairs[p]
            np.testing.assert_allclose(D[b[:, 0], b[:, 1]], d[p][:, 0])
            finite = e[:, 0] >= 0
            np.testing.assert_allclose(D[e[finite, 0], e[finite, 1]], d[p][finite, 1])


@pytest.mark.parametrize("backend", [GIOTTO, "gudhi", "ripser", "mst"])
def test_sparse_graph_stored_once_with_missing_edges(backend):
    """A scipy sparse matrix is a weighted graph: each edge may be stored in one orientation
    only, and a missing entry is an absent edge (not a zero distance)."""
    M = sparse.coo_matrix(([1.0, 2.0], ([0, 2], [1, 3])), shape=(4, 4))
    d = tp.persistence(M, 0 if backend == "mst" else 1, metric="precomputed", backend=backend)
    np.testing.assert_array_equal(d[0], [[0, 1], [0, 2], [0, np.inf], [0, np.inf]])


def test_threads_never_change_the_diagram(same_diagrams):
    """giotto-ph's multithreaded generators name wrong birth edges; ours must not follow them."""
    X = np.random.default_rng(0).random((500, 3))
    single = tp.persistence(X, max_dim=1, n_threads=1)
    many = tp.persistence(X, max_dim=1, n_threads=2)
    same_diagrams(single, many, 1e-12)
    reference = ripser.ripser(X, maxdim=1)["dgms"]
    same_diagrams(many, reference, 1e-6)


def test_a_long_full_rips_computation_is_announced(caplog):
    from tda_pipe.tda.persistence import _warn_if_slow

    def warned(n: int, max_dim: int, threshold: float | None = None) -> bool:
        caplog.clear()
        points = tp.datasets.sphere(n, dim=2, seed=0)
        with caplog.at_level("WARNING", logger="tda_pipe"):
            _warn_if_slow(F.rips(points, threshold=threshold), max_dim, "giotto-ph")
        return "without a threshold" in caplog.text

    assert warned(600, 2)  # C(600, 4) = 5.3e9 tetrahedra: over a minute here
    assert warned(120, 4)
    assert not warned(300, 2)  # 3.3e8: seconds
    assert not warned(3000, 1)  # H1 scans few of its triangles
    assert not warned(600, 2, threshold=0.3)
    assert not warned(163, 9)  # giotto-ph refuses it outright (InputError)


def _equidistant(n: int) -> F.RipsFiltration:
    """n points all at distance 1: every simplex lies within the enclosing radius."""
    return F.rips(np.ones((n, n)) - np.eye(n), metric="precomputed")


def test_the_rips_time_model_is_the_count_over_the_measured_rate():
    import math

    from tda_pipe.tda.persistence import rips_seconds

    # top simplices per second by max_dim (halved per dimension above H4), relative speeds
    rates = {2: 1.0e8, 3: 6.5e7, 4: 3.0e7, 5: 1.5e7, 6: 0.75e7}
    speeds = {"giotto-ph": 1.0, "ripser": 0.35, "gudhi": 0.83, "mst": 1.0}  # others as giotto-ph
    filt = _equidistant(40)
    for max_dim, rate in rates.items():
        for backend, speed in speeds.items():
            seconds, count, share = rips_seconds(filt, max_dim, backend)
            assert count == math.comb(40, max_dim + 2) and share == 1.0
            assert seconds == pytest.approx(count / (rate * speed), rel=1e-12)
    with pytest.raises(ValueError, match="no time model below H2"):
        rips_seconds(filt, 1, "gudhi")


def test_a_rips_computation_is_announced_from_30_estimated_seconds(caplog):
    from tda_pipe.tda.persistence import _warn_if_slow

    def warned(n: int) -> str:
        caplog.clear()
        with caplog.at_level("WARNING", logger="tda_pipe"):
            _warn_if_slow(_equidistant(n), 2, "ripser")
        return caplog.text

    assert warned(399) == ""  # C(399, 4) at ripser.py's rate: 29.7 s
    assert "about 30 s with ripser (1.1e+09 simplices of dimension 3);" in warned(400)
    assert "within the enclosing radius" not in warned(400)  # all of them are


def test_auto_takes_the_delaunay_alpha_route_from_20000_points():
    from types import SimpleNamespace

    from tda_pipe.tda.persistence import _choose_backend

    def chosen(n: int) -> str:
        filt = SimpleNamespace(kind="alpha", points=np.zeros((n, 3)), n_vertices=n)
        return _choose_backend(filt, "auto", 2, False, 2)

    assert chosen(19_999) == "gudhi" and chosen(20_000) == "delaunay"


def test_an_absent_backend_is_one_line_naming_what_works(monkeypatch):
    from tda_pipe.tda import backends

    monkeypatch.setattr(backends.Backend, "available", lambda self: self.name != "giotto-ph")
    with pytest.raises(InputError, match=r"'giotto-ph' is not installed.*use gudhi or ripser"):
        tp.persistence(np.zeros((4, 2)), 1, backend="giotto-ph")
    assert tp.persistence(np.eye(4), 1).backend == "gudhi"  # auto never needs it
