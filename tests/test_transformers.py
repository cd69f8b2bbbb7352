"""Persistence transformers: the same diagrams as gudhi's own scikit-learn transformers and as
:func:`persistence`, scikit-learn's estimator rules, and a classifier that tells circles from
blobs.

gudhi computes in float64: diagrams are compared at 1e-9 (DESIGN.md).
"""

from __future__ import annotations

import numpy as np
import pytest
from gudhi.sklearn.cubical_persistence import CubicalPersistence as GudhiCubical
from gudhi.sklearn.rips_persistence import RipsPersistence as GudhiRips
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.svm import SVC
from sklearn.utils import estimator_checks

import tda_pipe as tp
from tda_pipe.errors import InputError
from tda_pipe.progress import reporting
from tda_pipe.tda.features import PersistenceImage, SummaryStatistics
from tda_pipe.tda.transformers import (
    AlphaPersistence,
    CubicalPersistence,
    Persistence,
    RipsPersistence,
)

TOL = 1e-9
TRANSFORMERS = [Persistence(), RipsPersistence(), AlphaPersistence(), CubicalPersistence()]

_GRID = np.stack(np.meshgrid(np.arange(4.0), np.arange(4.0)), -1).reshape(-1, 2)


def _clouds() -> list[np.ndarray]:
    """Generic clouds of different sizes, a grid (tied distances) and one with duplicates."""
    rng = np.random.default_rng(3)
    return [
        tp.datasets.circle(30, noise=0.1, seed=1),
        rng.random((25, 3)),
        _GRID,
        np.concatenate([_GRID, _GRID[:5]]),
    ]


def _ids(t) -> str:
    return type(t).__name__


# -- the diagrams ---------------------------------------------------------------------------


@pytest.mark.parametrize("max_dim", [0, 1, 2])
def test_rips_equals_gudhis_transformer_with_ties_and_duplicates(max_dim, same_diagrams):
    clouds = _clouds()
    ours = RipsPersistence(max_dim=max_dim).fit_transform(clouds)
    theirs = GudhiRips(homology_dimensions=list(range(max_dim + 1))).fit_transform(clouds)
    assert len(ours) == len(clouds)
    for d, ref in zip(ours, theirs):
        assert isinstance(d, tp.Diagrams) and d.max_dim == max_dim
        same_diagrams(d, ref, TOL)


def test_precomputed_matrices_and_a_threshold_equal_persistence():
    clouds = _clouds()
    matrices = [np.linalg.norm(c[:, None] - c[None], axis=-1) for c in clouds]
    out = RipsPersistence(metric="precomputed", threshold=1.5).fit_transform(matrices)
    for d, c in zip(out, clouds):
        ref = tp.persistence(c, 1, filtration="rips", threshold=1.5)
        for p in range(2):
            np.testing.assert_array_equal(d[p], ref[p])


def test_cubical_equals_gudhis_transformer(same_diagrams):
    rng = np.random.default_rng(4)
    images = [rng.random((8, 9)), np.round(rng.random((6, 6)), 1), np.zeros((4, 4))]
    ours = CubicalPersistence(max_dim=1).fit_transform(images)
    theirs = GudhiCubical(homology_dimensions=[0, 1]).fit_transform(images)
    for d, ref in zip(ours, theirs):
        assert d.filtration == "cubical"
        same_diagrams(d, ref, TOL)
    stack = rng.random((3, 5, 5))  # a 3-D array is a stack of images
    for d, img in zip(CubicalPersistence().fit_transform(stack), stack):
        same_diagrams(d, tp.persistence(img, 1, filtration="cubical"), TOL)


def _planar(clouds: list[np.ndarray]) -> list[np.ndarray]:
    return [c[:, :2] for c in clouds]


@pytest.mark.parametrize(
    "transformer,reference,inputs",
    [
        (AlphaPersistence(max_dim=2), lambda c: tp.persistence(c, 2, filtration="alpha"), _planar),
        (
            Persistence("dtm", k=4),
            lambda c: tp.persistence(tp.build_filtration(c, "dtm", k=4), 1),
            list,
        ),
        (Persistence(coeff=3), lambda c: tp.persistence(c, 1, coeff=3), list),
    ],
    ids=["alpha", "dtm", "auto-over-Z3"],
)
def test_every_kind_equals_persistence_one_by_one(transformer, reference, inputs, same_diagrams):
    clouds = inputs(_clouds())
    for d, c in zip(transformer.fit_transform(clouds), clouds):
        ref = reference(c)
        assert (d.filtration, d.coeff) == (ref.filtration, ref.coeff)
        same_diagrams(d, ref, TOL)


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_threads_give_the_diagrams_of_one_thread_in_order(n_jobs):
    clouds = _clouds() * 3
    one = RipsPersistence(n_jobs=1).fit_transform(clouds)
    many = RipsPersistence(n_jobs=n_jobs).fit_transform(clouds)
    for a, b in zip(one, many):
        for p in range(2):
            np.testing.assert_array_equal(a[p], b[p])


def test_progress_counts_every_input():
    events = []
    with reporting(events.append):
        RipsPersistence().fit_transform(_clouds())
    assert events[0].phase == "persistence of each input" and events[-1].finished
    assert (events[-1].done, events[-1].total) == (4, 4)


# -- in a scikit-learn pipeline -------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_the_pipeline_tells_circles_from_blobs(seed):
    """RipsPersistence -> PersistenceImage -> SVC, 5-fold cross-validated on 20 noisy circles
    and 20 Gaussian blobs of 60 points: one long H1 bar against none. Chance is 0.5."""
    rng = np.random.default_rng(seed)
    rings = [tp.datasets.circle(60, noise=0.05, seed=100 * seed + s) for s in range(20)]
    blobs = [rng.normal(scale=0.5, size=(60, 2)) for _ in range(20)]
    model = make_pipeline(RipsPersistence(max_dim=1), PersistenceImage(), SVC())
    accuracy = cross_val_score(model, rings + blobs, [1] * 20 + [0] * 20, cv=5)
    assert accuracy.mean() >= 0.9
    fitted = model.fit(rings + blobs, [1] * 20 + [0] * 20)
    assert fitted.predict([tp.datasets.circle(60, seed=7), blobs[0]]).tolist() == [1, 0]


def test_grid_search_sets_the_transformer_parameters():
    from sklearn.model_selection import GridSearchCV

    rings = [tp.datasets.circle(30, noise=0.05, seed=s) for s in range(6)]
    blobs = [np.random.default_rng(s).normal(scale=0.5, size=(30, 2)) for s in range(6)]
    model = make_pipeline(RipsPersistence(), SummaryStatistics(), SVC())
    grid = [
        {"ripspersistence__max_dim": [0], "summarystatistics__dims": [(0,)]},
        {"ripspersistence__max_dim": [1], "summarystatistics__dims": [(0, 1)]},
    ]
    search = GridSearchCV(model, grid, cv=3, error_score="raise")
    search.fit(rings + blobs, [1] * 6 + [0] * 6)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    assert best[0].max_dim == search.best_params_["ripspersistence__max_dim"]
    assert best[0] is not model[0] and model[0].get_params() == RipsPersistence().get_params()


# -- scikit-learn's estimator rules -----------------------------------------------------------


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=_ids)
def test_scikit_learn_estimator_checks_that_apply(transformer):
    """The checks that do not feed 2-D numeric arrays: the inputs are lists of clouds."""
    name = type(transformer).__name__
    for check in (
        "check_no_attributes_set_in_init",
        "check_parameters_default_constructible",
        "check_get_params_invariance",
        "check_set_params",
        "check_estimator_cloneable",
        "check_estimator_repr",
        "check_estimators_unfitted",
        "check_transformers_unfitted",
        "check_do_not_raise_errors_in_init_or_set_params",
        "check_mixin_order",
    ):
        getattr(estimator_checks, check)(name, transformer)


def test_clone_get_params_and_set_params():
    rips = RipsPersistence(max_dim=2, threshold=0.5, n_jobs=2)
    twin = clone(rips)
    assert twin is not rips and twin.get_params() == rips.get_params()
    assert set(rips.get_params()) == {
        "max_dim",
        "metric",
        "threshold",
        "backend",
        "coeff",
        "n_jobs",
    }
    assert rips.set_params(max_dim=0) is rips and rips.max_dim == 0
    with pytest.raises(ValueError, match="Invalid parameter"):
        rips.set_params(filtration="alpha")
    assert repr(Persistence("alpha", 2)) == "Persistence(filtration='alpha', max_dim=2)"


def test_unfitted_transform_is_refused_and_fit_learns_only_the_dimensions():
    with pytest.raises(NotFittedError):
        RipsPersistence().transform(_clouds())
    fitted = RipsPersistence(max_dim=2).fit(_clouds())
    assert fitted.homology_dimensions_ == (0, 1, 2)
    a, b = fitted.transform(_clouds()[:1])[0], RipsPersistence(2).fit_transform(_clouds()[:1])[0]
    assert all(np.array_equal(a[p], b[p]) for p in range(3))


BAD = [
    ("max_dim", -1),
    ("max_dim", 1.5),
    ("max_dim", True),
    ("metric", "nonsense"),
    ("threshold", 0),
    ("threshold", "big"),
    ("backend", "giotto"),
    ("coeff", 4),
    ("n_jobs", 0),
]


@pytest.mark.parametrize("name,value", BAD, ids=[f"{n}={v!r}" for n, v in BAD])
def test_init_stores_and_fit_names_the_bad_parameter(name, value):
    rips = RipsPersistence(**{name: value})  # no check in __init__: scikit-learn's rule
    assert rips.get_params()[name] is value
    with pytest.raises(InputError, match=f"^The '{name}' parameter of RipsPersistence must be"):
        rips.fit(_clouds())


@pytest.mark.parametrize(
    "params", [{"filtration": "weighted-rips"}, {"filtration": "lower-star"}, {"k": 0}]
)
def test_persistence_names_the_bad_filtration_or_k(params):
    (name,) = params
    with pytest.raises(InputError, match=f"^The '{name}' parameter of Persistence must be"):
        Persistence(**params).fit(_clouds())


@pytest.mark.parametrize(
    "X,message",
    [
        (_GRID, r"one array of shape \(16, 2\).*pass \[X\]"),
        ([], "X is empty"),
        (tp.Diagrams([[[0.0, 1.0]]]), "must be a list of arrays"),
        ("points.npy", "must be a list of arrays"),
        ([_GRID, np.array([[0.0, np.nan], [1.0, 1.0]])], "^input 1 of X: .*NaN"),
        ([_GRID, np.zeros(5)], "^input 1 of X: "),
    ],
    ids=["one-cloud", "empty", "diagrams", "a-path", "nan", "1-d"],
)
def test_bad_input_is_one_line_naming_it(X, message):
    with pytest.raises(InputError, match=message):
        RipsPersistence().fit(X).transform(X)


def test_a_two_dimensional_array_of_signals_is_refused_with_both_readings():
    with pytest.raises(InputError, match=r"\[X\] for one image, or list\(X\) for its rows"):
        CubicalPersistence().fit(np.zeros((4, 4)))
    rows = CubicalPersistence(max_dim=0).fit_transform(list(np.eye(3)))
    assert [d[0].tolist() for d in rows] == [
        [[0.0, np.inf]],
        [[0.0, 1.0], [0.0, np.inf]],
        [[0.0, np.inf]],
    ]


def test_the_defaults_are_h0_and_h1_over_z2_and_dtm_of_10_neighbours(
    same_diagrams, projective_plane
):
    rp2 = projective_plane(300)  # H1 differs over Z/2 and Z/3
    (rips,) = RipsPersistence().fit_transform([rp2])
    same_diagrams(rips, tp.persistence(rp2, 1, coeff=2), TOL)
    assert not np.array_equal(tp.persistence(rp2, 1, coeff=3)[1], rips[1])
    cloud = tp.datasets.circle(40, noise=0.1, seed=0)
    (dtm,) = Persistence(filtration="dtm").fit_transform([cloud])
    same_diagrams(dtm, tp.persistence(tp.tda.filtrations.dtm(cloud, k=10), 1), TOL)
    (alpha,) = AlphaPersistence().fit_transform([cloud])
    (cubical,) = CubicalPersistence().fit_transform([np.random.default_rng(0).random((6, 6))])
    assert len(alpha) == len(cubical) == 2
    # a threshold below 1 is a threshold
    (cut,) = RipsPersistence(threshold=0.5).fit_transform([cloud])
    same_diagrams(cut, tp.persistence(cloud, 1, threshold=0.5), TOL)
