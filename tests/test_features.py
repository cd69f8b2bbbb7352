"""Diagram vectorisations: hand-computed values, empty dimensions, essential classes, sklearn."""

from __future__ import annotations

import math
import pickle
import tracemalloc
from functools import partial

import numpy as np
import pytest
from gudhi import representations as gr
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tda_pipe.errors import InputError
from tda_pipe.tda import _vectorization
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.features import (
    BettiCurve,
    PersistenceEntropy,
    PersistenceImage,
    PersistenceLandscape,
    SummaryStatistics,
    persistence_entropy,
    total_persistence,
)

INF = np.inf
EMPTY = np.empty((0, 2))
TRANSFORMERS = [
    BettiCurve(resolution=20),
    PersistenceLandscape(n_landscapes=2, resolution=20),
    PersistenceImage(resolution=(8, 8)),
    PersistenceEntropy(),
    SummaryStatistics(),
]


def ids(transformer) -> str:
    return type(transformer).__name__


def synthetic(rng: np.random.Generator, loop: bool) -> Diagrams:
    """A noisy point cloud's diagrams: short H0 and H1 bars, plus one long H1 bar if ``loop``."""
    h0 = np.column_stack([np.zeros(20), rng.uniform(0.05, 0.3, 20)])
    h0 = np.vstack([h0, [0.0, INF]])
    births = rng.uniform(0.2, 0.5, 5)
    h1 = np.column_stack([births, births + rng.uniform(0.01, 0.1, 5)])
    if loop:
        h1 = np.vstack([h1, [rng.uniform(0.3, 0.4), rng.uniform(1.4, 1.6)]])
    return Diagrams([h0, h1])


# -- plain functions --------------------------------------------------------------------------


def test_persistence_entropy_by_hand():
    assert persistence_entropy(np.array([[0.0, 1.0], [2.0, 3.0]])) == pytest.approx(math.log(2))
    assert persistence_entropy(np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [5.0, 6.0]])) == (
        pytest.approx(math.log(4))
    )
    # lifetimes 1 and 3: p = 1/4, 3/4
    expected = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert persistence_entropy(np.array([[0.0, 1.0], [0.0, 3.0]])) == pytest.approx(expected)
    # essential classes and zero lifetimes do not count; nothing left gives 0
    assert persistence_entropy(np.array([[0.0, 1.0], [0.0, INF], [2.0, 2.0]])) == 0.0
    assert persistence_entropy(EMPTY) == 0.0
    assert persistence_entropy(np.array([[0.0, INF]])) == 0.0


def test_total_persistence_by_hand():
    dgm = np.array([[0.0, 1.0], [0.5, 2.5], [0.0, INF]])
    assert total_persistence(dgm) == 3.0
    assert total_persistence(dgm, order=2) == 5.0
    assert total_persistence(dgm, order=0.5) == pytest.approx(1 + math.sqrt(2))
    assert total_persistence(EMPTY) == 0.0


# -- each transformer on known diagrams -------------------------------------------------------


def test_betti_curve_counts_classes_alive_at_each_grid_point():
    d = Diagrams([[[0.0, 1.0], [0.0, 3.0], [0.0, INF]], [[1.0, 2.0]]])
    bc = BettiCurve(resolution=7).fit(d)
    np.testing.assert_allclose(bc.grids_[0], [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    np.testing.assert_allclose(bc.grids_[1], np.linspace(1.0, 2.0, 7))
    row = bc.transform(d)[0]
    assert row.shape == (14,) and row.dtype == np.float64
    # H0 without the essential class: 2 alive until t = 1, then 1 until t = 3
    np.testing.assert_array_equal(row[:7], [2, 2, 1, 1, 1, 1, 0])
    np.testing.assert_array_equal(row[7:], [1, 1, 1, 1, 1, 1, 0])  # [1, 2) on [1, 2]
    # with the essential class clipped at the largest finite value (3), it counts until then
    clipped = BettiCurve(resolution=7, essential="clip").fit(d)
    assert clipped.clip_value_ == 3.0
    np.testing.assert_array_equal(clipped.transform(d)[0, :7], [3, 3, 2, 2, 2, 2, 0])
    # the same numbers as Diagrams.betti at every grid point but the last
    finite_h0 = [d.betti(t)[0] - 1 for t in bc.grids_[0][:-1]]
    np.testing.assert_array_equal(row[:6], finite_h0)


def test_landscape_peak_is_half_the_lifetime():
    d = Diagrams([EMPTY, [[1.0, 3.0]]])
    pl = PersistenceLandscape(dims=(1,), n_landscapes=2, resolution=41).fit(d)
    lam1, lam2 = pl.transform(d)[0].reshape(2, 41)
    assert lam1.max() == pytest.approx(1.0)  # (3 - 1) / 2
    assert pl.grids_[0][lam1.argmax()] == pytest.approx(2.0)  # at the midpoint
    np.testing.assert_allclose(lam1, np.maximum(0, np.minimum(pl.grids_[0] - 1, 3 - pl.grids_[0])))
    assert not lam2.any()
    # two nested classes: the inner one is the second landscape
    nested = Diagrams([EMPTY, [[0.0, 4.0], [1.0, 3.0]]])
    pl = PersistenceLandscape(dims=(1,), n_landscapes=2, resolution=41).fit(nested)
    lam1, lam2 = pl.transform(nested)[0].reshape(2, 41)
    assert (lam1.max(), lam2.max()) == (pytest.approx(2.0), pytest.approx(1.0))


def test_persistence_image_mass_sits_at_the_point():
    spread = Diagrams([EMPTY, [[0.0, 0.5], [0.0, 4.0], [3.0, 3.5], [3.0, 7.0]]])
    pi = PersistenceImage(dims=(1,), resolution=(30, 30), weight="constant").fit(spread)
    b_lo, b_hi, p_lo, p_hi = pi.im_ranges_[0]
    births, pers = np.linspace(b_lo, b_hi, 30), np.linspace(p_lo, p_hi, 30)
    image = pi.transform(Diagrams([EMPTY, [[1.5, 3.5]]]))[0].reshape(30, 30)
    row, col = np.unravel_index(image.argmax(), image.shape)
    step_b, step_p = births[1] - births[0], pers[1] - pers[0]
    assert abs(births[col] - 1.5) <= step_b and abs(pers[row] - 2.0) <= step_p
    bb, pp = np.meshgrid(births, pers)
    near = np.hypot(bb - 1.5, pp - 2.0) <= 2 * pi.bandwidths_[0]
    assert image[near].sum() > 0.8 * image.sum()
    # a unit-weight Gaussian well inside the image integrates to about 1
    assert image.sum() * step_b * step_p == pytest.approx(1.0, rel=0.05)


def test_persistence_image_weight_fades_classes_near_the_diagonal():
    d = Diagrams([EMPTY, [[1.0, 1.2], [1.0, 4.0]]])
    pi = PersistenceImage(dims=(1,), resolution=(20, 20), bandwidth=0.2).fit(d)
    short = pi.transform(Diagrams([EMPTY, [[1.0, 1.2]]]))[0]
    long = pi.transform(Diagrams([EMPTY, [[1.0, 4.0]]]))[0]
    assert pi.bandwidths_ == [0.2] and pi.max_persistences_ == [3.0]
    assert short.max() < 0.1 * long.max()


def test_entropy_and_summary_statistics_by_hand():
    d = Diagrams([[[0.0, 1.0], [0.0, 3.0], [0.0, INF]], [[0.5, 1.5], [1.0, 2.0]]])
    np.testing.assert_allclose(
        PersistenceEntropy().fit_transform([d]),
        [[-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)), math.log(2)]],
    )
    stats = SummaryStatistics().fit(d)
    names = list(stats.get_feature_names_out())
    values = dict(zip(names, stats.transform(d)[0]))
    assert len(names) == 2 * len(SummaryStatistics.STATISTICS) == len(set(names))
    assert values["H0_count"] == 2 and values["H0_n_essential"] == 1
    assert values["H0_total_persistence"] == 4.0 and values["H0_max_lifetime"] == 3.0
    assert (values["H0_mean_lifetime"], values["H0_std_lifetime"]) == (2.0, 1.0)
    assert values["H1_entropy"] == pytest.approx(math.log(2))
    assert (values["H1_mean_birth"], values["H1_mean_death"]) == (0.75, 1.75)
    # clipped at 3, the essential class lives 3 and counts
    clipped = dict(zip(names, SummaryStatistics(essential="clip").fit(d).transform(d)[0]))
    assert clipped["H0_count"] == 3 and clipped["H0_total_persistence"] == 7.0


# -- shared behaviour -------------------------------------------------------------------------


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=ids)
def test_empty_dimensions_fit_and_transform(transformer):
    with_h1 = Diagrams([[[0.0, 0.5], [0.0, INF]], [[0.2, 0.9]]])
    without_h1 = Diagrams([[[0.0, 0.7]], EMPTY])
    nothing = Diagrams([EMPTY, EMPTY])
    only_essential = Diagrams([[[0.0, INF]], EMPTY])
    for essential in ("drop", "clip"):
        t = clone(transformer).set_params(essential=essential)
        for train in ([with_h1, without_h1], [without_h1], [nothing], [only_essential]):
            X = t.fit(train).transform([with_h1, without_h1, nothing, only_essential])
            assert X.shape == (4, len(t.get_feature_names_out()))
            assert X.dtype == np.float64 and np.isfinite(X).all()
            assert not X[2].any()  # an empty diagram has all-zero features
    # H1 empty in every fitted diagram: its range falls back to H0's, its block is zeros
    t = clone(transformer).fit([without_h1, nothing])
    h1 = [n.startswith("H1_") for n in t.get_feature_names_out()]
    assert not t.transform([without_h1])[0, h1].any()


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=ids)
def test_pipeline_separates_diagrams_with_and_without_a_loop(transformer):
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 20)
    X = [synthetic(rng, loop=bool(label)) for label in y]
    model = make_pipeline(clone(transformer), StandardScaler(), LogisticRegression())
    scores = cross_val_score(model, X, y, cv=StratifiedKFold(4, shuffle=True, random_state=0))
    assert scores.min() == 1.0
    fitted = model.fit(X, y)
    back = pickle.loads(pickle.dumps(fitted))  # fitted models pickle (no lambdas kept)
    np.testing.assert_array_equal(back.predict(X), y)


@pytest.mark.parametrize("transformer", TRANSFORMERS, ids=ids)
def test_single_diagrams_dims_order_and_names(transformer):
    d = Diagrams([[[0.0, 1.0], [0.0, INF]], [[0.5, 2.0]], [[1.0, 1.5]]])
    t = clone(transformer).set_params(dims=(2, 0))
    X = t.fit_transform(d)  # a single Diagrams is one row
    names = t.get_feature_names_out()
    assert X.shape == (1, len(names))
    assert names[0].startswith("H2_") and names[-1].startswith("H0_")
    one = clone(transformer).set_params(dims=(2,)).fit(d).transform(d)
    np.testing.assert_array_equal(X[:, : one.shape[1]], one)


def test_bad_inputs_and_parameters_are_rejected():
    d = Diagrams([[[0.0, 1.0]]])
    with pytest.raises(InputError, match="dims asks for H1"):
        BettiCurve().fit(d)
    with pytest.raises(InputError, match="no diagrams"):
        BettiCurve().fit([])
    with pytest.raises(ValueError, match="essential must be one of"):
        BettiCurve(dims=(0,), essential="keep").fit(d)
    with pytest.raises(ValueError, match="weight must be"):
        PersistenceImage(dims=(0,), weight="linear").fit(d)
    with pytest.raises(NotFittedError):
        BettiCurve().transform(d)
    fitted = BettiCurve().fit(Diagrams([[[0.0, 1.0]], [[0.5, 1.0]]]))
    with pytest.raises(InputError, match="diagram 1 holds H0..H0"):
        fitted.transform([Diagrams([EMPTY, EMPTY]), d])


# -- big diagrams: blocks of bars, the numbers of gudhi.representations -----------------------


def big_diagrams(n: int, seed: int = 0) -> Diagrams:
    """Like an alpha complex of n noisy points: n short H0 bars, 2.5 n tiny H1 bars, one loop,
    ties (equal deaths, bars on the grid's ends)."""
    rng = np.random.default_rng(seed)
    h0 = np.column_stack([np.zeros(n), np.round(rng.gamma(4, 0.01, n), 3)])
    births = rng.uniform(0.05, 0.1, int(2.5 * n))
    h1 = np.column_stack([births, births + rng.gamma(1, 0.004, len(births))])
    h1 = np.vstack([h1, [[0.05, 2.25], [0.05, 0.1]]])
    return Diagrams([np.vstack([h0, [[0.0, INF]]]), h1])


def _persistence_weight(point, scale):
    return min(point[1] / scale, 1.0)


@pytest.mark.parametrize("essential", ["drop", "clip"])
def test_blocks_give_gudhis_numbers(monkeypatch, essential):
    """Small blocks (many of them) against gudhi.representations on the whole diagram."""
    d = big_diagrams(3000)
    # 30 bars a block for 100 grid points
    monkeypatch.setattr(_vectorization, "_BLOCK_FLOATS", 3000)
    for p in (0, 1):
        bc = BettiCurve(dims=(p,), essential=essential).fit(d)
        dgm = bc._prepare(d[p])
        theirs = gr.BettiCurve(predefined_grid=bc.grids_[0]).fit_transform([dgm])
        np.testing.assert_array_equal(bc.transform(d), theirs)

        pl = PersistenceLandscape(dims=(p,), essential=essential).fit(d)
        gudhi_pl = gr.Landscape(num_landscapes=5, resolution=100, sample_range=list(pl.ranges_[0]))
        theirs = gudhi_pl.fit_transform([pl._prepare(d[p])]) / math.sqrt(2)
        # our tents min(t - b, d - t) against gudhi's, rescaled: equal to float64 rounding
        np.testing.assert_allclose(pl.transform(d), theirs, rtol=1e-12, atol=1e-15)

        pi = PersistenceImage(dims=(p,), essential=essential).fit(d)
        gudhi_pi = gr.PersistenceImage(
            bandwidth=pi.bandwidths_[0],
            weight=partial(_persistence_weight, scale=pi.max_persistences_[0]),
            resolution=[20, 20],
            im_range=list(pi.im_ranges_[0]),
        )
        theirs = gudhi_pi.fit_transform([pi._prepare(d[p])])
        np.testing.assert_allclose(pi.transform(d), theirs, rtol=1e-12, atol=1e-12 * theirs.max())


def test_memory_stays_bounded_on_a_million_bars():
    """10^6 bars: gudhi's persistence image alone would hold 10^6 x 400 floats (3.2 GB)."""
    d = big_diagrams(300_000)
    tracemalloc.start()
    for transformer in (BettiCurve(), PersistenceImage()):
        transformer.fit(d).transform(d)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 * 2**20  # the diagrams' copies (17 MB each) and 32 MB blocks


def test_defaults_names_and_a_degenerate_range():
    d = Diagrams([[[0.0, 1.0], [0.0, INF]], [[0.5, 2.0]]])
    curve, landscape = BettiCurve().fit(d), PersistenceLandscape().fit(d)
    assert curve.transform(d).shape == (1, 2 * 100)  # H0 and H1, 100 samples each
    assert landscape.transform(d).shape == (1, 2 * 5 * 100)  # and 5 landscapes
    names = landscape.get_feature_names_out()
    assert names[0] == "H0_landscape1_0" and names[-1] == "H1_landscape5_99"
    # every finite value equal (0): the range is widened to [0, 1], not reversed
    flat = _vectorization.BettiCurve(dims=(0,), resolution=3).fit(Diagrams([[[0.0, INF]]]))
    assert flat.span_ == (0.0, 1.0)
    np.testing.assert_array_equal(flat.grids_[0], [0.0, 0.5, 1.0])


@pytest.mark.parametrize("dims", [(), (-1,), (0, -1), (-1, 0)])
def test_dims_must_be_non_negative_and_not_empty(dims):
    with pytest.raises(ValueError, match="dims must be non-empty homology dimensions >= 0"):
        _vectorization.BettiCurve(dims=dims).fit(Diagrams([[[0.0, 1.0]]]))


def test_the_entropy_of_one_class_is_a_positive_zero():
    value = persistence_entropy(np.array([[0.0, 2.0]]))
    assert value == 0.0 and math.copysign(1.0, value) == 1.0


def test_persistence_image_ranges_by_hand():
    """Births from the smallest to the largest, persistence from 0 to the largest, both
    widened by the bandwidth (a tenth of the larger of the two spans)."""

    def ranges(d: Diagrams, dims=(1,)) -> list[float]:
        fitted = _vectorization.PersistenceImage(dims).fit(d)
        return [float(v) for r in fitted.im_ranges_ for v in r]

    d = Diagrams([[[0.0, 1.0]], [[0.5, 0.75], [1.0, 1.5]]])  # births 0.5-1, persistence to 0.5
    assert ranges(d) == pytest.approx([0.45, 1.05, 0.0, 0.55])
    # only classes of zero persistence: a persistence span of 1
    assert ranges(Diagrams([[[0.0, 2.0]], [[0.3, 0.3]]])) == pytest.approx([0.2, 0.4, 0.0, 1.1])
    # an empty H1 takes the span of every value fitted (0.5 to 2) for both
    h1 = ranges(Diagrams([[[0.5, 2.0]], EMPTY]), (0, 1))[4:]
    assert h1 == pytest.approx([0.35, 2.15, 0.0, 1.65])
    assert PersistenceImage().fit(d).transform(d).shape == (1, 2 * 20 * 20)  # H0 and H1 by default
