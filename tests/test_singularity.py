"""Euclidicity and persistent intrinsic dimension on shapes with known singular points.

Samples are sparse on purpose (400 to 1500 points): the regime where scale choice decides
whether the singular region is found at all. Detection is scored by AUROC of "within ``rho``
of the singular set" against the rest.
"""

from __future__ import annotations

import json

import gudhi
import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.metrics import roc_auc_score

from tda_pipe.commands.singularity import SingularityOptions, run_singularity
from tda_pipe.datasets.shapes import circle, sphere, torus, wedge_of_spheres
from tda_pipe.datasets.singular import crossing_planes, pinched_torus
from tda_pipe.errors import InputError
from tda_pipe.tda import singularity as S
from tda_pipe.tda.singularity import (
    SingularityScores,
    annulus_pairs,
    euclidicity,
    persistent_intrinsic_dimension,
)

FAST = {"steps": 2, "max_points": 40}


def auroc(near: np.ndarray, score: np.ndarray) -> float:
    assert near.sum() >= 5 and (~near).sum() >= 5
    return roc_auc_score(near, np.nan_to_num(score, nan=-np.inf))


@pytest.fixture(scope="module")
def wedge():
    X = wedge_of_spheres(800, seed=1)
    return X, euclidicity(X, dim=2, n_jobs=2)


def test_wedge_point_found(wedge):
    X, scores = wedge
    # the spheres touch tangentially: within about r of the wedge point, annuli see both
    assert auroc(np.linalg.norm(X, axis=1) < 0.6, scores.euclidicity) >= 0.95
    # the 20 most singular points all lie within 0.7 of the wedge point (radius-1 spheres)
    assert np.linalg.norm(X[scores.most_singular(20)], axis=1).max() < 0.7
    assert not np.isnan(scores.euclidicity).any()
    assert (scores.peak_r < scores.peak_s).all()


def test_pinch_found():
    X = pinched_torus(1000, seed=1)
    scores = euclidicity(X, dim=2, n_jobs=2)
    assert auroc(np.linalg.norm(X - [2.0, 0.0, 0.0], axis=1) < 0.7, scores.euclidicity) >= 0.9


def test_crossing_line_found():
    X = crossing_planes(1500, size=2.0, seed=1)
    scores = euclidicity(X, dim=2, n_jobs=2)
    # points whose annuli reach the squares' edges see boundary, not the crossing: leave out
    inner = np.abs(X).max(axis=1) < 2.0 - scores.s.max()
    near = np.hypot(X[:, 0], X[:, 2]) < 0.3
    assert auroc(near[inner], scores.euclidicity[inner]) >= 0.9


@pytest.mark.parametrize(
    ("X", "expected"),
    [(circle(400, seed=2), 1), (sphere(600, seed=2), 2), (torus(800, seed=2), 2)],
    ids=["circle", "sphere", "torus"],
)
def test_intrinsic_dimension(X, expected):
    dims = persistent_intrinsic_dimension(X, n_jobs=2)
    assert (dims == expected).mean() >= 0.9


def test_deterministic(wedge):
    X, scores = wedge
    again = euclidicity(X[:300], dim=2, n_jobs=1, seed=0, **FAST)
    other = euclidicity(X[:300], dim=2, n_jobs=2, seed=0, **FAST)
    np.testing.assert_array_equal(again.euclidicity, other.euclidicity)
    np.testing.assert_array_equal(again.intrinsic_dim, other.intrinsic_dim)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"dim": 4}, "dim <= 3"),
        ({"dim": 2, "r": (0.5, 0.6), "s": (0.1, 0.2)}, "r=(0.5, 0.6)"),
        ({"dim": 2, "k": 500}, "k <= 199"),
        ({"dim": 2, "r": 0.0, "s": 1e-6}, "min_points=10"),
    ],
    ids=["dim", "r>=s", "k", "empty annuli"],
)
def test_bad_input(kwargs, words):
    X = sphere(200, seed=0)
    with pytest.raises(InputError, match=None) as info:
        euclidicity(X, **kwargs)
    message = str(info.value)
    assert words in message and "\n" not in message


def test_job_writes_results(tmp_path):
    np.save(tmp_path / "wedge.npy", wedge_of_spheres(300, seed=0))
    opts = SingularityOptions(dim=2, steps=2, k=40, max_points=40, top=5)
    summary = run_singularity(tmp_path / "wedge.npy", tmp_path / "out", opts)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        ".tda-pipe.json",
        "run.json",
        "singularity.csv",
        "singularity.png",
        "summary.json",
    ]
    table = np.genfromtxt(tmp_path / "out" / "singularity.csv", delimiter=",", names=True)
    assert table.dtype.names[:6] == (
        "index",
        "euclidicity",
        "euclidicity_max",
        "peak_r",
        "peak_s",
        "intrinsic_dim",
    )
    assert len(table) == 300
    on_disk = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert on_disk == summary and len(summary["most_singular"]) == 5
    assert not list(tmp_path.glob(".out*"))


def test_the_fix_the_error_names_is_an_option_of_the_command(tmp_path, capsys):
    from tda_pipe.cli import main

    np.save(tmp_path / "s.npy", sphere(200, seed=0))
    args = ["singularity", str(tmp_path / "s.npy"), "--r", "0.05,0.06", "--s", "0.1,0.12",
            "--steps", "1", "-k", "40", "-j", "1", "-q"]  # fmt: skip
    assert main([*args, "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "--min-points" in err and not (tmp_path / "a").exists()
    assert main([*args, "--min-points", "2", "--out", str(tmp_path / "b")]) == 0
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["options"]["min_points"] == 2 and summary["unscored_points"] < 200


def test_default_radii_are_the_documented_fractions_of_the_kth_neighbour_distance():
    X = sphere(200, seed=3)
    reference = np.median(np.sort(cdist(X, X), axis=1)[:, 20])  # the 20th other point
    scores = euclidicity(X, dim=2, steps=2, k=20, max_points=30)
    np.testing.assert_allclose(scores.r, [0.5 * reference, 0.8 * reference], rtol=1e-12)
    np.testing.assert_allclose(scores.s, [1.0 * reference, 1.3 * reference], rtol=1e-12)
    only_r = euclidicity(X, dim=2, r=0.1, steps=2, k=20, max_points=30)  # s still the default
    assert only_r.r.tolist() == [0.1]
    np.testing.assert_allclose(only_r.s, [1.0 * reference, 1.3 * reference], rtol=1e-12)
    only_s = euclidicity(X, dim=2, s=0.5, steps=2, k=20, max_points=30)  # r still the default
    assert only_s.s.tolist() == [0.5]
    np.testing.assert_allclose(only_s.r, [0.5 * reference, 0.8 * reference], rtol=1e-12)


def test_annulus_pairs_keep_r_below_s_and_refuse_a_grid_without_one():
    pairs = annulus_pairs((0.2, 0.6), (0.4, 1.0), 2)  # r = 0.6 lies above s = 0.4
    assert pairs.tolist() == [[0.2, 0.4], [0.2, 1.0], [0.6, 1.0]]
    # the ranges overlap the other way: only the smallest r lies below the largest s
    assert annulus_pairs((0.2, 1.2), (0.1, 1.0), 2).tolist() == [[0.2, 1.0]]
    expected = (
        "r=(0.5, 0.7) must start below the largest s=0.5 (annuli need r < s); e.g. r=(0.05, 0.25)"
    )
    with pytest.raises(InputError) as info:
        annulus_pairs((0.5, 0.7), (0.2, 0.5), 3)
    assert str(info.value) == expected


def test_a_score_is_the_bottleneck_distance_to_the_model_annulus_within_its_error():
    """Two annuli of a circle, scored by hand: gudhi's Rips diagrams of their points (reduced
    H0) against the model annulus of R^1 scaled by s, gudhi's exact bottleneck distance; the
    mean and the largest over the pairs, where it occurs; no annulus, no score."""
    X = circle(300, noise=0.02, seed=4)
    dist = np.linalg.norm(X - X[0], axis=1)
    exact = {}
    for r, s in ((0.1, 0.3), (0.15, 0.3)):
        Y = X[(dist >= r) & (dist <= s)]
        st = gudhi.RipsComplex(points=Y).create_simplex_tree(max_dimension=1)
        st.compute_persistence()
        ours = st.persistence_intervals_in_dimension(0)
        ours = ours[np.isfinite(ours[:, 1])]  # reduced homology: the infinite class left out
        model = S._model_diagrams(1, len(Y), round(1000 * r / s), 0)[0] * s
        exact[r, s] = gudhi.bottleneck_distance(ours, model, 0)
    grid = S.AnnulusGrid(np.array(list(exact)), 1, 10_000, 5, 0, compare=True)
    mean, top, peak_r, peak_s, dim, usable = S.ball_scores(grid, 0, dist, X)
    assert abs(mean - np.mean(list(exact.values()))) <= S.BOTTLENECK_ERROR * 0.3
    assert abs(top - max(exact.values())) <= S.BOTTLENECK_ERROR * 0.3
    assert (peak_r, peak_s) == max(exact, key=exact.get) and (dim, usable) == (1, 2)
    assert abs(exact[0.1, 0.3] - exact[0.15, 0.3]) > 0.01  # the mean is not the maximum
    far = np.full(len(X), 5.0)  # no point in any annulus
    nothing = S.ball_scores(grid, 0, far, X)
    assert np.isnan(nothing[:4]).all() and nothing[4:] == (-1, 0)


def test_most_singular_ranks_highest_first_and_nan_last():
    values = np.array([0.1, np.nan, 0.5, 0.3] + [0.0] * 10)
    empty = np.zeros(len(values))
    scores = SingularityScores(values, values, empty, empty, empty, empty, empty, empty, 1)
    assert scores.most_singular(3).tolist() == [2, 3, 0]
    ranked = scores.most_singular()
    assert len(ranked) == 10 and 1 not in ranked  # ten by default; NaN after every number
    assert scores.most_singular(14)[-1] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dim": 0}, "^dim must be an integer >= 1, got 0$"),
        ({"dim": 2, "steps": True}, "^steps must be an integer >= 1, got True$"),
        ({"dim": 2, "k": 200}, "^k=200 is too large; use k <= 199$"),
        ({"dim": 2, "r": (0.3, 0.1)}, r"^r must be a radius or a \(low, high\) pair"),
        ({"dim": 2, "r": -0.1}, r"^r must be a radius or a \(low, high\) pair"),
        ({"dim": 2, "s": (0.1, np.inf)}, r"^s must be a radius or a \(low, high\) pair"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, message):
    with pytest.raises(InputError, match=message):
        euclidicity(sphere(200, seed=0), **kwargs)


def test_k_may_be_every_other_point():
    X = sphere(60, seed=5)
    scores = persistent_intrinsic_dimension(X, k=59, steps=1, max_points=20, min_points=5)
    assert scores.shape == (60,)


def test_annuli_are_closed_and_a_class_is_alive_from_its_birth_to_before_its_death():
    # five points exactly at r, five exactly at s: both ends of the annulus belong to it
    points = circle(10, seed=0)
    grid = S.AnnulusGrid(np.array([[0.5, 1.0]]), 1, 80, 10, 0, compare=False)
    dist = np.array([0.5] * 5 + [1.0] * 5)
    assert S.ball_scores(grid, 0, dist, points)[-1] == 1
    h0 = np.array([[0.0, 0.5]])
    h1 = np.array([[0.5, 0.7]])
    assert S._local_dimension([h0, h1], 0.5) == 2  # born at t: alive at t
    assert S._local_dimension([h0, np.empty((0, 2))], 0.5) == 0  # dies at t: gone at t
    assert S._local_dimension([np.empty((0, 2))], 0.1) == 0


def test_a_thinned_annulus_holds_distinct_points_and_the_same_ones_each_time():
    points = sphere(500, seed=6)
    grid = S.AnnulusGrid(np.array([[0.0, 10.0]]), 2, 40, 5, 0, compare=False)
    dist = np.zeros(len(points))
    Y = S._annulus(grid, 3, dist, points, 0.0, 10.0, 0)
    assert len(np.unique(Y, axis=0)) == 40
    np.testing.assert_array_equal(Y, S._annulus(grid, 3, dist, points, 0.0, 10.0, 0))
    assert not np.array_equal(Y, S._annulus(grid, 4, dist, points, 0.0, 10.0, 0))


def test_the_local_dimension_reads_the_barcode_cut_at_r_up_to_the_model_dimension():
    """A unit square as the annulus at r = 1: its sides enter at exactly r and close a loop
    alive at r (dimension 2); asked for dimension 1 only H0 is read, connected at r (0)."""
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    dist = np.full(4, 2.0)
    for dim, expected in ((2, 2), (1, 0)):
        grid = S.AnnulusGrid(np.array([[1.0, 3.0]]), dim, 80, 4, 0, compare=False)
        assert S.ball_scores(grid, 0, dist, square)[4] == expected


def test_euclidicity_defaults_and_its_columns():
    """The documented defaults (3 steps, k = 100, seed 0, annuli thinned to 80 points), and
    the maximum over the pairs at least the mean."""
    X = sphere(150, seed=8)
    scores = euclidicity(X, dim=2)
    explicit = euclidicity(X, dim=2, steps=3, k=100, seed=0, max_points=80, min_points=10)
    np.testing.assert_array_equal(scores.euclidicity, explicit.euclidicity)
    reference = np.median(np.sort(cdist(X, X), axis=1)[:, 100])
    np.testing.assert_allclose(scores.r, reference * np.array([0.5, 0.65, 0.8]), rtol=1e-12)
    assert (scores.euclidicity_max >= scores.euclidicity).all()
    assert (scores.euclidicity_max > scores.euclidicity + 1e-6).any()
    assert (scores.peak_r < scores.peak_s).all()  # the pair of the maximum, r < s
    dims = persistent_intrinsic_dimension(X)  # the same defaults, declared for it again
    explicit = persistent_intrinsic_dimension(
        X, steps=3, k=100, seed=0, max_points=80, min_points=10
    )
    np.testing.assert_array_equal(dims, explicit)
