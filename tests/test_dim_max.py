"""gudhi simplex trees are pruned to ``max_dim + 1`` and skip the homology of their top
dimension where that is above ``max_dim``: every diagram in dimensions ``0..max_dim`` must equal
that of the whole tree with ``persistence_dim_max=True`` (what was computed before), including
where the tree is no higher than ``max_dim`` (a graph's loops, a closed surface's void)."""

from __future__ import annotations

import gudhi
import gudhi.random
import networkx as nx
import numpy as np
import pytest

import tda_pipe as tp
from tda_pipe.tda import filtrations as F


def whole_tree(st, max_dim: int, coeff: int = 2, transform=lambda d: d) -> list[np.ndarray]:
    """The reference: persistence of the whole tree, its top dimension included."""
    st.compute_persistence(homology_coeff_field=coeff, persistence_dim_max=True)
    out = []
    for p in range(max_dim + 1):
        d = transform(np.asarray(st.persistence_intervals_in_dimension(p)).reshape(-1, 2))
        out.append(d[d[:, 1] > d[:, 0]])
    return out


def assert_equal_by_dimension(ours, theirs) -> None:
    ours = list(ours)
    assert len(ours) == len(theirs)
    for p, (a, b) in enumerate(zip(ours, theirs)):
        a, b = (d[np.lexsort((d[:, 1], d[:, 0]))] for d in (a, b))
        assert a.shape == b.shape, (p, a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12, err_msg=f"H{p}")


def alpha_scale(d: np.ndarray) -> np.ndarray:
    return 2.0 * np.sqrt(np.maximum(d, 0.0))


def noisy_sphere(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X / np.linalg.norm(X, axis=1)[:, None] + 0.02 * rng.standard_normal((n, 3))


@pytest.mark.parametrize("coeff", [2, 3])
@pytest.mark.parametrize("max_dim", [0, 1, 2, 3])
def test_alpha_in_r3_equals_the_whole_tree(max_dim, coeff):
    X = noisy_sphere(300, seed=max_dim)
    ours = tp.persistence(X, max_dim, filtration="alpha", backend="gudhi", coeff=coeff)
    st = gudhi.AlphaComplex(points=X).create_simplex_tree()
    theirs = whole_tree(st, max_dim, coeff, alpha_scale)
    assert_equal_by_dimension(ours, theirs)
    if max_dim >= 2:  # the sphere's void, killed by the last tetrahedron
        assert (theirs[2][:, 1] - theirs[2][:, 0] > 1.0).sum() == 1


def test_alpha_pairs_are_those_of_the_whole_tree():
    X = noisy_sphere(200, seed=5)
    st = gudhi.AlphaComplex(points=X).create_simplex_tree()
    st.compute_persistence(homology_coeff_field=2, persistence_dim_max=True)
    expected = {
        (tuple(b), tuple(d))
        for b, d in st.persistence_pairs()
        if len(b) <= 2 and (not d or st.filtration(d) > st.filtration(b))
    }
    d = tp.persistence(X, 1, filtration="alpha", backend="gudhi", return_pairs=True)
    got = set()
    for p in range(2):
        births, deaths = d.pairs[p]
        for b, e in zip(births, deaths):
            got.add((tuple(int(v) for v in b if v >= 0), tuple(int(v) for v in e if v >= 0)))
    assert got == expected


@pytest.mark.parametrize("max_dim", [1, 2])
def test_alpha_in_r2_where_the_tree_is_no_higher_than_max_dim(max_dim):
    X = np.random.default_rng(1).random((400, 2))
    ours = tp.persistence(X, max_dim, filtration="alpha", backend="gudhi")
    st = gudhi.AlphaComplex(points=X).create_simplex_tree()
    assert_equal_by_dimension(ours, whole_tree(st, max_dim, transform=alpha_scale))
    assert len(ours[0]) == 400 and len(ours[1]) > 0


def test_a_graph_keeps_its_essential_loops():
    """A graph is 1-dimensional: with max_dim=1 its loops are the top dimension, all essential."""
    graph = nx.cycle_graph(12)
    graph.add_edges_from([(0, 6), (3, 9)])  # three independent cycles
    values = np.random.default_rng(0).random(12)
    ours = tp.persistence(F.lower_star_graph(graph, values), 1)
    st = gudhi.SimplexTree()
    st.insert_batch(np.arange(12)[None, :], values)
    edges = np.array(graph.edges).T
    st.insert_batch(edges, values[edges].max(axis=0))
    theirs = whole_tree(st, 1)
    assert_equal_by_dimension(ours, theirs)
    assert np.isinf(ours[1][:, 1]).sum() == 3


@pytest.mark.parametrize("max_dim", [1, 2])
def test_a_closed_surface_keeps_its_void(max_dim):
    """The octahedron's boundary is 2-dimensional: with max_dim=2 its void is essential."""
    vertices = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1.0]])
    faces = np.array([[a, b, c] for a in (0, 1) for b in (2, 3) for c in (4, 5)])
    values = np.array([0.1, 0.5, 0.2, 0.7, 0.3, 0.9])
    ours = tp.persistence(F.lower_star_mesh((vertices, faces), values), max_dim)
    st = gudhi.SimplexTree()
    st.insert_batch(np.arange(6)[None, :], values)
    for face in faces:
        st.insert(face.tolist(), values[face].max())
    for simplex, _ in st.get_simplices():
        st.assign_filtration(simplex, values[simplex].max())
    theirs = whole_tree(st, max_dim)
    assert_equal_by_dimension(ours, theirs)
    if max_dim == 2:
        assert ours[2].tolist() == [[0.9, np.inf]]


@pytest.mark.parametrize("max_dim", [0, 1, 2])
def test_sparse_rips_equals_the_whole_tree(max_dim):
    X = noisy_sphere(120 if max_dim < 2 else 70, seed=2)
    ours = tp.persistence(X, max_dim, filtration="sparse-rips", epsilon=0.4)
    assert_equal_by_dimension(
        tp.persistence(X, max_dim, filtration="sparse-rips", epsilon=0.4), ours
    )
    gudhi.random.set_seed(0)  # the random start of the greedy permutation, as the backend sets it
    st = gudhi.RipsComplex(points=X, sparse=0.4).create_simplex_tree(max_dimension=max_dim + 1)
    assert_equal_by_dimension(ours, whole_tree(st, max_dim))


@pytest.mark.parametrize("max_dim", [0, 1, 2])
def test_weighted_rips_equals_the_whole_flag_tree(max_dim):
    rng = np.random.default_rng(3)
    X = noisy_sphere(60, seed=3)
    w = 0.1 * rng.random(60)
    ours = tp.persistence(X, max_dim, filtration="weighted-rips", weights=w, backend="gudhi")
    D = np.linalg.norm(X[:, None] - X[None], axis=2)
    M = np.maximum(np.maximum.outer(w, w), (D + w[:, None] + w[None, :]) / 2.0)
    np.fill_diagonal(M, w)
    st = gudhi.SimplexTree.create_from_array(M)
    st.expansion(max_dim + 1)
    assert_equal_by_dimension(ours, whole_tree(st, max_dim))


def test_cubical_keeps_the_top_dimension():
    """Cubical complexes are left whole: a hollow cube's void (H2 of a 3-D grid) is found."""
    image = np.zeros((7, 7, 7))
    image[1:6, 1:6, 1:6] = 1.0
    image[2:5, 2:5, 2:5] = 0.5
    ours = tp.persistence(image, 2, filtration="cubical")
    cc = gudhi.CubicalComplex(top_dimensional_cells=image)
    cc.compute_persistence(homology_coeff_field=2)
    theirs = [np.asarray(cc.persistence_intervals_in_dimension(p)).reshape(-1, 2) for p in range(3)]
    assert_equal_by_dimension(ours, [d[d[:, 1] > d[:, 0]] for d in theirs])
    assert ours[2].tolist() == [[0.0, 1.0]] and ours[0].tolist() == [[0.0, np.inf], [0.5, 1.0]]
