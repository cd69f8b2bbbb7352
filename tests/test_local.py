"""LocalTopology: what the neighbourhood features must show, and the properties they keep."""

from __future__ import annotations

import numpy as np
import pytest
from gudhi.sklearn.rips_persistence import RipsPersistence
from gudhi.wasserstein import wasserstein_distance
from scipy.spatial.distance import pdist, squareform
from sklearn.base import clone

from tda_pipe.errors import InputError
from tda_pipe.tda.diagrams import bottleneck
from tda_pipe.tda.local import FEATURES, LocalTopology, neighbourhood_diagrams

NO_IMAGE = tuple(f for f in FEATURES if f != "image")


def sphere_with_segment(seed=0):
    """2000 points on the unit 2-sphere and 299 on a segment glued at the north pole."""
    rng = np.random.default_rng(seed)
    S = rng.normal(size=(2000, 3))
    S /= np.linalg.norm(S, axis=1, keepdims=True)
    t = np.linspace(1.0, 2.5, 300)[1:]
    return np.vstack([S, np.column_stack([0 * t, 0 * t, t])])


@pytest.fixture(scope="module")
def glued():
    X = sphere_with_segment()
    lt = LocalTopology(k=100, features=FEATURES, fit_sample=300).fit(X)
    sphere = np.flatnonzero(X[:2000, 2] < -0.3)[:25]  # far from the segment
    segment = np.arange(2050, 2250, 8)  # away from both ends
    F = lt.transform(X[np.r_[sphere, segment]] + 1e-9)
    names = list(lt.get_feature_names_out())
    return {name: (F[: len(sphere), j], F[len(sphere) :, j]) for j, name in enumerate(names)}


def test_sphere_and_segment_differ_as_expected(glued):
    sphere, segment = glued["local_dimension"]
    assert np.median(sphere) == 2 and (segment == 1).all()
    # points on a line: the Rips complex of an interval graph has no H1, ever
    assert (glued["H1_total_persistence"][1] == 0).all()
    assert (glued["H1_total_persistence"][0] > 0).mean() > 0.8
    # H0 of the segment: evenly spaced points die at the spacing 1.5 / 299
    assert np.allclose(glued["H0_longest"][1], 1.5 / 299, rtol=1e-6)
    assert glued["H0_longest"][0].min() > 5 * glued["H0_longest"][1].max()
    assert glued["codensity"][1].max() < glued["codensity"][0].min()
    # Euclidicity against R^2: the segment is not a plane
    assert glued["euclidicity"][1].mean() > 1.5 * glued["euclidicity"][0].mean()


def test_matches_gudhi_on_the_neighbourhood():
    """Each row: gudhi's Rips persistence of the query and its k nearest, vectorised by hand."""
    rng = np.random.default_rng(1)
    X, Q = rng.normal(size=(300, 6)), rng.normal(size=(4, 6))
    lt = LocalTopology(k=20, features=("wasserstein_norm", "total_persistence", "longest"))
    F = lt.fit(X).transform(Q)
    for q, row in zip(Q, F):
        near = np.argsort(np.linalg.norm(X - q, axis=1))[:20]
        D = squareform(pdist(np.vstack([q, X[near]])))
        h0, h1 = RipsPersistence([0, 1], input_type="full distance matrix").fit_transform([D])[0]
        h0 = h0[np.isfinite(h0[:, 1])]
        empty = np.empty((0, 2))
        expected = [wasserstein_distance(h, empty, order=2.0) for h in (h0, h1)]
        expected += [np.sum(h[:, 1] - h[:, 0]) for h in (h0, h1)]
        expected += [np.max(h[:, 1] - h[:, 0], initial=0.0) for h in (h0, h1)]
        np.testing.assert_allclose(row, expected, rtol=1e-9, atol=1e-12)


def test_neighbourhood_diagrams_equal_gudhi_in_h0_and_h1():
    rng = np.random.default_rng(2)
    D = np.stack([squareform(pdist(rng.normal(size=(30, 4)))) for _ in range(5)])
    D[0, 3], D[0, :, 3] = D[0, 5], D[0, :, 5]  # vertex 3 a copy of vertex 5: ties, a zero
    D[0, 3, 3] = D[0, 3, 5] = D[0, 5, 3] = 0.0
    ours = neighbourhood_diagrams(D, 1)
    theirs = RipsPersistence([0, 1], input_type="full distance matrix").fit_transform(list(D))
    for a, (h0, h1) in zip(ours, theirs):
        h0 = h0[h0[:, 1] > h0[:, 0]]
        np.testing.assert_array_equal(np.sort(a[0][:, 1]), np.sort(h0[:, 1]))
        assert bottleneck(type(a)([a[1]]), type(a)([h1])) < 1e-12


def test_invariant_to_rotation_and_translation():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(250, 5))
    R, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    lt = LocalTopology(k=24, features=FEATURES, dim=2, fit_sample=250)
    a = clone(lt).fit_transform(X)
    b = clone(lt).fit_transform(X @ R.T + 10.0)
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_equivariant_to_permutation():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 4))
    perm = rng.permutation(200)
    lt = LocalTopology(k=16, fit_sample=200)  # the whole set fits the image: no sample
    np.testing.assert_allclose(
        clone(lt).fit_transform(X)[perm], clone(lt).fit_transform(X[perm]), rtol=1e-9, atol=1e-12
    )


def test_a_datastore_point_against_the_rest_is_a_query_without_it():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(150, 3))
    lt = LocalTopology(k=30, features=NO_IMAGE, dim=2)
    own = clone(lt).fit_transform(X)
    for i in (0, 77, 149):
        rest = clone(lt).fit(np.delete(X, i, axis=0))
        alone = rest.transform(X[i : i + 1])  # (annuli of k=30 points are never thinned)
        np.testing.assert_allclose(alone[0], own[i], rtol=1e-9, atol=1e-12)


def test_the_same_rows_for_any_number_of_threads_and_chunk_size():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(160, 8))
    kw = {"k": 20, "features": FEATURES, "max_dim": 2, "fit_sample": 100}
    a = LocalTopology(**kw, n_jobs=1, block_size=160).fit_transform(X)
    b = LocalTopology(**kw, n_jobs=2, block_size=37).fit_transform(X)
    np.testing.assert_array_equal(a, b)


def test_radius_keeps_the_neighbours_inside_it():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(200, 3))
    q = np.zeros((1, 3))
    radius = 0.6
    row = LocalTopology(k=40, radius=radius, features=("total_persistence",)).fit(X).transform(q)
    inside = np.linalg.norm(X, axis=1) <= radius
    assert 3 < inside.sum() < 40
    D = squareform(pdist(np.vstack([q, X[inside]])))
    h0, h1 = RipsPersistence([0, 1], input_type="full distance matrix").fit_transform([D])[0]
    h0 = h0[np.isfinite(h0[:, 1])]
    np.testing.assert_allclose(row[0], [np.ptp(h0, axis=1).sum(), np.ptp(h1, axis=1).sum()])


def test_normalize_removes_the_scale():
    rng = np.random.default_rng(9)
    X = rng.normal(size=(200, 3))
    lt = LocalTopology(k=20, normalize=True, features=("wasserstein_norm", "image", "longest"))
    np.testing.assert_allclose(
        clone(lt).fit_transform(X), clone(lt).fit_transform(7.0 * X), rtol=1e-9, atol=1e-12
    )


def test_feature_names_and_shape():
    X = np.random.default_rng(10).normal(size=(100, 3))
    lt = LocalTopology(k=10, image_resolution=(3, 2)).fit(X)
    names = list(lt.get_feature_names_out())
    assert names[:2] == ["H0_wasserstein_norm", "H1_wasserstein_norm"]
    assert names[2:14] == [
        f"H{p}_pixel_{r}_{c}" for p in (0, 1) for r in range(2) for c in range(3)
    ]
    assert names[14:] == [
        "codensity",
        "H0_total_persistence",
        "H1_total_persistence",
        "H0_entropy",
        "H1_entropy",
        "H0_longest",
        "H1_longest",
    ]
    assert lt.transform(X[:7]).shape == (7, len(names))


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda X: LocalTopology(k=60).fit(X),
            "k=60 neighbours asked but the datastore has only 49",
        ),
        (lambda X: LocalTopology(k=5).fit(X).transform(X[:, :2]), "queries have 2 coordinates"),
        (lambda X: LocalTopology(k=5).fit(np.where(X > 1, np.nan, X)), "datastore has .* NaN"),
        (lambda X: LocalTopology(k=5).fit(X).transform(X[:3] * np.nan), "queries has .* NaN"),
        (lambda X: LocalTopology(features=("images",)).fit(X), "features must be"),
        (
            lambda X: LocalTopology(max_dim=3).fit(X),
            r"max_dim must be an integer in \[0, 2\], not 3",
        ),
        (lambda X: LocalTopology(k=5, features=("euclidicity",), dim=4).fit(X), "dim=4"),
    ],
)
def test_bad_input_is_one_line(make, message):
    X = np.random.default_rng(11).normal(size=(50, 3)) * 3
    with pytest.raises(InputError, match=message) as err:
        make(X)
    assert "\n" not in str(err.value)


def test_the_job_returns_table_summary_and_figure():
    import io
    import json

    import pyarrow.parquet as pq

    from tda_pipe.commands.local import LocalOptions, local_features_table

    rng = np.random.default_rng(12)
    store, queries = rng.normal(size=(120, 2)), rng.normal(size=(9, 2))
    opts = LocalOptions(k=10, features=("codensity", "longest"), colour_by="H1_longest")
    files = local_features_table(queries, store, opts)
    table = pq.read_table(io.BytesIO(files["features.parquet"])).to_pydict()
    assert list(table) == ["index", "codensity", "H0_longest", "H1_longest"]
    expected = opts.transformer().fit(store).transform(queries)
    np.testing.assert_array_equal(np.column_stack([table[c] for c in list(table)[1:]]), expected)
    summary = json.loads(files["summary.json"])
    assert summary["queries"] == {"shape": [9, 2], "against_rest": False}
    assert summary["statistics"]["codensity"]["max"] == pytest.approx(expected[:, 0].max())
    assert files["local.png"].startswith(b"\x89PNG")
    with pytest.raises(InputError, match="--colour-by euclidicity is not among"):
        local_features_table(None, store, LocalOptions(k=5, colour_by="euclidicity"))


def test_the_cli_defaults_are_the_transformers():
    from tda_pipe.commands.options import LOCAL_DEFAULT_FEATURES
    from tda_pipe.tda.local import DEFAULT_FEATURES

    assert tuple(LOCAL_DEFAULT_FEATURES) == tuple(DEFAULT_FEATURES)


def test_tda_pipe_local_writes_one_row_per_query_and_refuses_bad_input(tmp_path, capsys):
    import io

    import pyarrow.parquet as pq

    from tda_pipe.cli import main

    rng = np.random.default_rng(3)
    store, queries = rng.normal(size=(300, 4)), rng.normal(size=(7, 4))
    np.save(tmp_path / "store.npy", store)
    np.save(tmp_path / "q.npy", queries)
    out = tmp_path / "feats"
    args = ["local", str(tmp_path / "q.npy"), "--datastore", str(tmp_path / "store.npy")]
    assert main([*args, "--k", "16", "--out", str(out), "-q"]) == 0
    table = pq.read_table(io.BytesIO((out / "features.parquet").read_bytes())).to_pydict()
    expected = LocalTopology(k=16).fit(store).transform(queries)
    assert table.pop("index") == list(range(7))
    np.testing.assert_allclose(np.column_stack(list(table.values())), expected)
    capsys.readouterr()
    assert main([*args, "--k", "400", "--out", str(tmp_path / "x"), "-q"]) == 2
    assert "k=400" in capsys.readouterr().err and not (tmp_path / "x").exists()
    np.save(tmp_path / "q3.npy", queries[:, :3])
    bad = ["local", str(tmp_path / "q3.npy"), "--datastore", str(tmp_path / "store.npy")]
    assert main([*bad, "--out", str(tmp_path / "y"), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and not (tmp_path / "y").exists()


def test_neighbourhood_diagrams_equal_ripser_on_the_points_themselves():
    """The batched route (Gram distances, copies of the query for points beyond the radius,
    numba's MST, gudhi's Ripser) against ripser.py on each neighbourhood's own points
    (ripser.py holds distances in float32: agreement to its rounding)."""
    from ripser import ripser

    rng = np.random.default_rng(13)
    basis = rng.normal(size=(4, 40))
    X = rng.normal(size=(600, 4)) @ basis + 0.2 * rng.normal(size=(600, 40)) + 50.0
    Q = X[:6] + 0.05 * rng.normal(size=(6, 40))
    lt = LocalTopology(k=25, radius=6.0, features=("longest",)).fit(X)
    from tda_pipe.tda.neighbors import knn

    dist, idx = knn(X, Q, 25)
    assert 0 < (dist > 6.0).sum() < dist.size  # some neighbours are left out as copies
    sizes, loops = [], 0
    for q, d, i, ours in zip(Q, dist, idx, lt._diagrams(Q, dist, idx)):
        points = np.vstack([q, X[i[d <= 6.0]]])
        sizes.append(len(points))
        h0, h1 = ripser(squareform(pdist(points)), maxdim=1, distance_matrix=True)["dgms"]
        h0 = h0[np.isfinite(h0[:, 1])]
        np.testing.assert_allclose(np.sort(ours[0][:-1, 1]), np.sort(h0[:, 1]), rtol=1e-6)
        assert np.isinf(ours[0][-1, 1]) and len(ours[0]) == len(points)
        assert len(ours[1]) == len(h1)
        assert bottleneck(type(ours)([ours[1]]), type(ours)([h1])) < 1e-6 * d[-1]
        loops += len(h1)
    assert loops > 0 and len(set(sizes)) > 1, (loops, sizes)


def test_annulus_features_are_ball_scores_at_the_documented_radii():
    """Local dimension and Euclidicity of a query: its ball is its k neighbours, its annuli
    0.4-0.6 and 0.8-1.0 of its k-th neighbour distance, thinned to 80 points (seeded by the
    query's row), left out under 10; local dimension read up to R^3, Euclidicity in R^dim."""
    from tda_pipe.tda.neighbors import knn
    from tda_pipe.tda.singularity import AnnulusGrid, annulus_pairs, ball_scores

    rng = np.random.default_rng(3)
    X = rng.normal(size=(1500, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Q = X[:4] * 1.01
    k = 120
    features = ("local_dimension", "euclidicity")
    F = LocalTopology(k=k, features=features, dim=2, steps=2).fit(X).transform(Q)
    dist, idx = knn(X, Q, k)
    pairs = annulus_pairs((0.4, 0.6), (0.8, 1.0), 2)
    for b in range(len(Q)):
        for column, compare, dim, value in ((0, False, 3, 4), (1, True, 2, 0)):
            grid = AnnulusGrid(pairs * dist[b, -1], dim, 80, 10, 0, compare)
            expected = ball_scores(grid, b, dist[b], X[idx[b]])[value]
            assert F[b, column] == expected
    assert (F[:, 0] == 2).all()  # a sphere


def test_a_datastore_file_of_pickled_objects_is_refused_unread(tmp_path):
    """Fitting on a path never unpickles: an object array could run code when loaded."""
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}, {"b": 2}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="not a readable .npy array.*save it with numpy.save"):
        LocalTopology(k=1).fit(str(path))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda X: LocalTopology(k=2, features=("euclidicity",), dim=4).fit(X),
         r"^dim=4 exceeds the datastore's 3 coordinates; use dim <= 3$"),
        (lambda X: LocalTopology(k=2).fit(X).transform(X[:0]), "queries"),
        (lambda X: LocalTopology(k=2).fit(X).transform_rows(2, 5, X[:2]),
         r"^rows 2:5 need 3 queries, got 2; pass the queries of those rows$"),
        (lambda X: LocalTopology(k=2).fit(X).transform_rows(0, 31),
         r"^rows 0:31 are not datastore rows; use 0 <= start <= stop <= 30$"),
        (lambda X: LocalTopology(k=2, steps=0).fit(X), "steps"),
        (lambda X: LocalTopology(k=2, n_jobs=0).fit(X), "n_jobs"),
        (lambda X: LocalTopology(k=2, n_jobs=-2).fit(X), "n_jobs"),
        (lambda X: LocalTopology(k=2, radius=0.0).fit(X), "radius"),
        (lambda X: LocalTopology(k=2, wasserstein_order=0.5).fit(X), "wasserstein_order"),
        (lambda X: LocalTopology(k=2, image_resolution=(0, 5)).fit(X), "image_resolution"),
        (lambda X: LocalTopology(k=2).fit(X[:1]), "datastore"),
    ],
)  # fmt: skip
def test_parameters_and_rows_out_of_range_are_refused(make, message):
    X = np.random.default_rng(4).normal(size=(30, 3))
    with pytest.raises(InputError, match=message):
        make(X)


def test_the_edges_of_the_ranges_are_accepted():
    X = np.random.default_rng(5).normal(size=(30, 3))
    assert LocalTopology(k=1, features=("codensity",)).fit(X[:2]).transform(None).shape == (2, 1)
    lt = LocalTopology(k=5, features=("codensity", "euclidicity"), dim=3, n_jobs=-1).fit(X)
    assert lt.transform_rows(28, 30).shape == (2, 2)
    assert (
        LocalTopology(k=5, wasserstein_order=1.0, radius=1e-9).fit(X).transform(None).shape[0] == 30
    )


def test_a_query_whose_neighbours_all_coincide_with_it():
    """Its k-th neighbour distance is 0: the annulus features are undefined (NaN) even where
    an annulus holds enough points, and normalising by a zero scale leaves its codensity 0."""
    rng = np.random.default_rng(6)
    X = np.vstack([np.zeros((15, 2)), rng.normal(size=(60, 2))])
    q = np.zeros((1, 2))
    F = LocalTopology(k=12, features=("local_dimension", "euclidicity"), dim=1).fit(X).transform(q)
    assert np.isnan(F).all()
    lt = LocalTopology(k=3, normalize=True, features=("codensity", "total_persistence")).fit(X)
    assert (lt.transform(q) == 0).all()
