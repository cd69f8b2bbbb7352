"""Mapper graphs: KeplerMapper agreement, known shapes, attributes, views, the job, the GNN."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.base import clone
from sklearn.cluster import DBSCAN, AgglomerativeClustering
from sklearn.model_selection import ParameterGrid

import tda_pipe as tp
from tda_pipe.commands.mapper import FILES, MapperOptions, run_mapper
from tda_pipe.commands.mapper_gnn import GNNOptions, train_mapper_gnn_job
from tda_pipe.datasets import circle
from tda_pipe.errors import InputError
from tda_pipe.models.mapper_gnn import (
    MapperGNN,
    _collate,
    graph_tensors,
    train_mapper_gnn,
)
from tda_pipe.tda.mapper import (
    Cover,
    Mapper,
    lens_values,
    single_linkage_labels,
    summarize_graph,
)
from tda_pipe.tda.mapper.attributes import attribute_graph, cloud_scale, feature_names
from tda_pipe.tda.mapper.views import to_html, write_graphml, write_json


def member_sets(G: nx.Graph) -> tuple[set, set]:
    """Nodes as sets of point indices, edges as pairs of those sets."""
    node = {u: frozenset(np.asarray(G.nodes[u]["members"]).tolist()) for u in G}
    return set(node.values()), {frozenset((node[u], node[v])) for u, v in G.edges}


def kepler_sets(lens: np.ndarray, X: np.ndarray, n: int, p: float, clusterer) -> tuple[set, set]:
    import kmapper as km  # a test dependency: the comparison never skips

    graph = km.KeplerMapper(verbose=0).map(
        lens, X, cover=km.Cover(n_cubes=n, perc_overlap=p), clusterer=clusterer
    )
    node = {k: frozenset(v) for k, v in graph["nodes"].items()}
    edges = {frozenset((node[a], node[b])) for a, ends in graph["links"].items() for b in ends}
    return set(node.values()), edges


def y_shape(n: int, noise: float, seed: int) -> np.ndarray:
    """A "Y": a stem down from the origin and two arms up at 45 degrees, each of length 1."""
    rng = np.random.default_rng(seed)
    arms = np.array([[0.0, -1.0], [np.sqrt(0.5), np.sqrt(0.5)], [-np.sqrt(0.5), np.sqrt(0.5)]])
    points = rng.uniform(0, 1, (n, 1)) * arms[rng.integers(0, 3, n)]
    return points + rng.normal(scale=noise, size=points.shape)


@pytest.fixture(scope="module")
def cloud() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(600, 3))


# -- KeplerMapper agreement: our cover arithmetic ----------------------------------------------


@pytest.mark.parametrize(
    ("lens_dims", "n", "p", "clusterer"),
    [
        (1, 10, 0.3, DBSCAN(eps=0.6, min_samples=3)),
        (1, 7, 0.55, AgglomerativeClustering(n_clusters=2, linkage="single")),
        (2, 6, 0.35, DBSCAN(eps=0.7, min_samples=3)),
    ],
)
def test_same_graph_as_kepler_mapper(cloud, lens_dims, n, p, clusterer):
    lens = cloud[:, :lens_dims] @ np.eye(lens_dims) * 1.7 + 0.3
    ours = member_sets(Mapper(lens=lens, cover=(n, p), clusterer=clusterer).fit(cloud).graph)
    theirs = kepler_sets(lens, cloud, n, p, clusterer)
    assert len(ours[0]) > 5 and len(ours[1]) > 4
    assert ours == theirs


def test_uniform_cover_shares_the_overlap_fraction():
    cubes = Cover(5, 0.25).cubes(np.linspace(-1.0, 3.0, 101).reshape(-1, 1))
    lo, hi = np.array([c.bounds[0] for c in cubes]).T
    assert np.allclose((hi[:-1] - lo[1:]) / (hi - lo)[0], 0.25)
    assert lo[0] < -1.0 and hi[-1] > 3.0


def test_balanced_cover_holds_equal_counts():
    values = np.random.default_rng(1).exponential(size=(1000, 1))
    counts = [len(c.members) for c in Cover(8, 0.2, "balanced").cubes(values)]
    inner, ends = counts[1:-1], counts[::7]
    assert max(inner) - min(inner) <= 3  # the end intervals stick out of the range
    assert min(ends) >= 0.85 * min(inner)


@pytest.mark.parametrize("seed", range(5))
def test_largest_gap_cut_equals_scipy_single_linkage_cut_there(seed):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(c, 0.1, (30, 2)) for c in rng.uniform(-3, 3, (4, 2))])
    tree = linkage(X, "single")
    heights = np.concatenate([[0.0], tree[:, 2]])
    i = int(np.argmax(np.diff(heights)))
    expected = fcluster(tree, (heights[i] + heights[i + 1]) / 2, "distance")
    labels = single_linkage_labels(X, min_gap=0.01)
    assert len(set(labels)) > 1
    pairs = set(zip(labels.tolist(), expected.tolist()))  # the same partition
    assert len(pairs) == len(set(labels)) == len(set(expected))


# -- known shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize("clusterer", ["single-linkage", "dbscan"])
@pytest.mark.parametrize("seed", range(3))
def test_noisy_circle_with_height_lens_is_one_cycle(seed, clusterer):
    X = circle(400, noise=0.05, seed=seed)
    G = Mapper(lens="coordinate:1", cover=(8, 0.3), clusterer=clusterer).fit(X).graph
    summary = summarize_graph(G)
    assert summary["independent_cycles"] == 1
    assert summary["components"] == 1


@pytest.mark.parametrize("seed", range(3))
def test_y_shape_has_one_branch_point(seed):
    G = Mapper(lens="coordinate:1", cover=(8, 0.3)).fit(y_shape(600, 0.03, seed)).graph
    summary = summarize_graph(G)
    assert [d for _, d in G.degree()].count(3) == 1
    assert (summary["independent_cycles"], summary["components"], summary["leaves"]) == (0, 1, 3)


def test_eccentricity_lens_and_usage_from_the_issue():
    X = circle(300, noise=0.03, seed=2)
    G = Mapper(lens="eccentricity", cover=(10, 0.3), clusterer="single-linkage").fit(X).graph
    assert G.number_of_nodes() >= 2
    members = np.concatenate([G.nodes[u]["members"] for u in G])
    assert set(members.tolist()) == set(range(len(X)))  # single linkage drops nothing


def test_lens_values_equal_their_definitions(cloud):
    """Each named lens against a reference computed here (scikit-learn, scipy, loops)."""
    from scipy.spatial.distance import cdist
    from sklearn.decomposition import PCA

    D = cdist(cloud, cloud)
    reference = PCA(2).fit_transform(cloud)
    ours = lens_values(cloud, "pca:2")
    for j in range(2):  # a component's sign is arbitrary
        assert min(np.abs(ours[:, j] - s * reference[:, j]).max() for s in (1, -1)) < 1e-9
    np.testing.assert_allclose(lens_values(cloud, "eccentricity").ravel(), D.mean(axis=1))
    np.testing.assert_allclose(lens_values(cloud, "distance:7").ravel(), D[7])
    nearest = np.sort(D, axis=1)[:, 1:16]  # 15 other points: the point itself left out
    density = lens_values(cloud, "density", n_neighbors=15).ravel()
    np.testing.assert_allclose(density, 1.0 / nearest.mean(axis=1), rtol=1e-9)


def test_lenses_shapes_and_rectangular_cover(cloud):
    assert lens_values(cloud, "pca:2").shape == (600, 2)
    assert lens_values(cloud, "density").shape == (600, 1)
    assert np.allclose(lens_values(cloud, "distance:3")[3], 0.0)
    assert np.array_equal(lens_values(cloud, "coordinate:2").ravel(), cloud[:, 2])
    mapper = Mapper(lens="pca:2", cover=(4, 0.3), clusterer="dbscan").fit(cloud)
    assert all(len(c.index) == 2 for c in mapper.cubes_)
    assert all(np.shape(mapper.graph.nodes[u]["interval"]) == (2, 2) for u in mapper.graph)


@pytest.mark.parametrize(
    "lens", ["pca:0", "coordinate", "coordinate:9", "distance:x", "eccentricity:2", "bogus"]
)
def test_bad_lens_strings_raise_input_error(cloud, lens):
    with pytest.raises(InputError):
        Mapper(lens=lens).fit(cloud)


def test_bad_cover_and_clusterer_raise_input_error(cloud):
    for kwargs in ({"cover": (0, 0.3)}, {"cover": (5, 1.0)}, {"clusterer": "kmeans"}):
        with pytest.raises(InputError):
            Mapper(lens="pca", **kwargs).fit(cloud)


def test_clones_over_a_parameter_grid_match_direct_construction(cloud):
    """The scikit-learn path (clone, set_params, fit) builds the graphs the constructor does."""
    base = Mapper(lens="pca", cover=(10, 0.3))
    grid = ParameterGrid(
        {"lens": ["pca", "coordinate:0"], "cover": [(4, 0.3), Cover(6, 0.4, "balanced")]}
    )
    for params in grid:
        via_clone = clone(base).set_params(**params).fit(cloud).graph
        assert member_sets(via_clone) == member_sets(Mapper(**params).fit(cloud).graph)
    assert base.get_params()["cover"] == (10, 0.3) and not hasattr(base, "graph_")


# -- attributes --------------------------------------------------------------------------------


def test_attributes_are_stable_under_small_noise():
    """Rips diagrams move by at most twice the largest displacement (bottleneck stability),
    so each longest lifetime moves by at most 4 delta; features are in units of the scale."""
    X = circle(300, noise=0.02, seed=3)
    G = Mapper(lens="coordinate:0", cover=(6, 0.3)).fit(X).graph
    delta = 0.004
    shift = np.random.default_rng(0).uniform(-1, 1, X.shape)
    Y = X + delta * shift / np.linalg.norm(shift, axis=1, keepdims=True)
    A = attribute_graph(G.copy(), X)
    B = attribute_graph(G.copy(), Y)
    bound = 4 * delta / min(cloud_scale(X), cloud_scale(Y)) + 1e-5
    tops = [n for n in feature_names() if "_top" in n]
    for u in G:
        for name in tops:
            assert abs(A.nodes[u][name] - B.nodes[u][name]) <= bound, (u, name)
    loops = [g.graph["lens_persistence"]["extended"]["extended_minus"] for g in (A, B)]
    assert len(loops[0]) == len(loops[1]) == 1


def test_attributes_on_nodes_edges_and_graph():
    X = circle(300, noise=0.02, seed=0)
    G = attribute_graph(Mapper(lens="coordinate:1", cover=(6, 0.3)).fit(X).graph, X)
    width = len(feature_names())
    assert all(len(G.nodes[u]["topology"]) == width for u in G)
    assert all(len(G.edges[e]["topology"]) == width for e in G.edges)
    ordinary = G.graph["lens_persistence"]["ordinary"]["diagrams"]
    assert len(ordinary["h1"]) == 1 and ordinary["h1"][0][1] is None


# -- views -------------------------------------------------------------------------------------


def test_html_holds_every_node_and_no_url(tmp_path):
    X = circle(300, noise=0.02, seed=0)
    G = attribute_graph(Mapper(lens="coordinate:1", cover=(6, 0.3)).fit(X).graph, X)
    page = to_html(G, color="h1_total")
    assert all(f'id="node-{i}"' in page for i in range(len(G)))
    assert "http://" not in page and "https://" not in page
    assert "<script src" not in page and '"h1_total"' in page


def test_graphml_and_json_round_trip(tmp_path):
    X = circle(200, noise=0.02, seed=0)
    G = attribute_graph(Mapper(lens="coordinate:1", cover=(6, 0.3)).fit(X).graph, X)
    H = nx.read_graphml(write_graphml(G, tmp_path / "g.graphml"))
    assert (H.number_of_nodes(), H.number_of_edges()) == (len(G), G.number_of_edges())
    data = json.loads(write_json(G, tmp_path / "g.json").read_text())
    J = nx.node_link_graph(data, edges="links")
    assert sorted(J.nodes[0]["members"]) == G.nodes[0]["members"].tolist()


# -- the job -----------------------------------------------------------------------------------


def test_job_writes_its_files(tmp_path):
    np.save(tmp_path / "ring.npy", circle(300, noise=0.03, seed=0))
    opts = MapperOptions(lens="coordinate:1", intervals=8, overlap=0.3)
    result = run_mapper(tmp_path / "ring.npy", tmp_path / "out", opts)
    assert sorted(p.name for p in result.out_dir.iterdir()) == sorted(
        [*FILES, "run.json", ".tda-pipe.json"]
    )
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["graph"]["independent_cycles"] == 1
    assert "h1_total" in summary["node_attributes"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_job_takes_lens_values_from_npy(tmp_path):
    X = circle(300, noise=0.03, seed=0)
    np.save(tmp_path / "ring.npy", X)
    np.save(tmp_path / "height.npy", X[:, 1])
    opts = MapperOptions(lens=str(tmp_path / "height.npy"), intervals=8, attributes=False)
    by_file = run_mapper(tmp_path / "ring.npy", tmp_path / "a", opts).graph
    by_name = Mapper(lens="coordinate:1", cover=(8, 0.3)).fit(X).graph
    assert member_sets(by_file) == member_sets(by_name)


@pytest.mark.parametrize(
    "options",
    [
        {"lens": "pca:x"},
        {"lens": "coordinate:5"},
        {"lens": "missing.npy"},
        {"intervals": 0},
        {"overlap": 1.5},
        {"cover": "square"},
        {"clusterer": "kmeans"},
    ],
)
def test_job_rejects_bad_options_and_writes_nothing(tmp_path, options):
    np.save(tmp_path / "ring.npy", circle(100, seed=0))
    with pytest.raises(InputError):
        run_mapper(tmp_path / "ring.npy", tmp_path / "out", MapperOptions(**options))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ring.npy"]


# -- the graph neural network ------------------------------------------------------------------


def _graphs(kind: str, count: int, seed: int) -> list[nx.Graph]:
    """Attributed Mapper graphs of noisy circles or of filled discs."""
    rng = np.random.default_rng(seed)
    graphs = []
    for _ in range(count):
        if kind == "circle":
            X = circle(200, noise=0.03, seed=int(rng.integers(1 << 30)))
        else:
            r, t = np.sqrt(rng.uniform(0, 1, 200)), rng.uniform(0, 2 * np.pi, 200)
            X = np.column_stack([r * np.cos(t), r * np.sin(t)])
        G = Mapper(lens="coordinate:0", cover=(5, 0.3)).fit(X).graph
        graphs.append(attribute_graph(G, X, edges=False))
    return graphs


def test_gnn_forward_and_backward():
    graphs = _graphs("circle", 2, seed=0)
    samples = [graph_tensors(G, "topological") for G in graphs]
    model = MapperGNN(samples[0][0].shape[1], n_classes=3)
    logits = model(*_collate(samples), len(samples))
    assert logits.shape == (2, 3)
    logits.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_gnn_learns_an_easy_two_class_set():
    train = _graphs("circle", 8, 1) + _graphs("disc", 8, 2)
    test = _graphs("circle", 5, 3) + _graphs("disc", 5, 4)
    labels = np.repeat([0, 1], [8, 8])
    model = train_mapper_gnn(train, labels, features="topological", epochs=80, seed=0)
    accuracy = (model.predict(test) == np.repeat([0, 1], [5, 5])).mean()
    assert accuracy >= 0.8


def test_gnn_needs_attributes_for_topological_features():
    G = Mapper(lens="coordinate:0", cover=(4, 0.3)).fit(circle(100, seed=0)).graph
    with pytest.raises(InputError):
        graph_tensors(G, "topological")
    assert graph_tensors(G, "plain")[0].shape == (len(G), 1)


def test_train_job_writes_model_and_summary(tmp_path):
    opts = GNNOptions(per_class=2, folds=0, epochs=5, intervals=5)
    result = train_mapper_gnn_job("shapes", tmp_path / "gnn", opts)
    assert sorted(p.name for p in result.out_dir.iterdir()) == [
        ".tda-pipe.json",
        "model.pt",
        "summary.json",
    ]
    saved = torch.load(result.out_dir / "model.pt")
    assert saved["classes"][0] == "sphere" and result.summary["clouds"] == 14


@pytest.mark.parametrize("options", [{"folds": 1}, {"features": "degree"}, {"lens": "x.npy"}])
def test_train_job_rejects_bad_options(tmp_path, options):
    with pytest.raises(InputError):
        train_mapper_gnn_job("shapes", tmp_path / "gnn", GNNOptions(**options))
    assert list(tmp_path.iterdir()) == []


def test_gnn_training_is_seeded_and_leaves_torch_state_alone():
    train = _graphs("circle", 3, 1) + _graphs("disc", 3, 2)
    labels = np.repeat([0, 1], [3, 3])
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    models = [train_mapper_gnn(train, labels, epochs=3, seed=5) for _ in range(2)]
    assert torch.equal(torch.random.get_rng_state(), state)
    probs = [m.predict_proba(train) for m in models]
    np.testing.assert_array_equal(probs[0], probs[1])


def test_default_dbscan_keeps_the_example_torus_in_one_piece():
    """With eps from the nearest-neighbour distance DBSCAN broke it into 6 components."""
    X = np.load(Path(tp.__file__).parent / "examples" / "torus.npy")
    G = Mapper(lens="pca", cover=(10, 0.3), clusterer="dbscan").fit(X).graph
    assert summarize_graph(G)["components"] == 1
