"""Euclidicity and persistent intrinsic dimension on shapes with known singular points.

Samples are sparse on purpose (400 to 1500 points): the regime where scale choice decides
whether the singular region is found at all. Detection is scored by AUROC of "within ``rho``
of the singular set" against the rest.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from tda_pipe.commands.singularity import SingularityOptions, run_singularity
from tda_pipe.datasets.shapes import circle, sphere, torus, wedge_of_spheres
from tda_pipe.datasets.singular import crossing_planes, pinched_torus
from tda_pipe.errors import InputError
from tda_pipe.tda.singularity import euclidicity, persistent_intrinsic_dimension

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
