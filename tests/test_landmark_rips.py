"""Rips on maxmin landmarks: the landmarks, their exact cover radius, the stated bound against
gudhi's Rips on all the points, the auto choice, and the refusals."""

import json

import gudhi
import numpy as np
import pytest
from scipy.spatial.distance import cdist

import tda_pipe as tp
from tda_pipe.errors import InputError
from tda_pipe.tda import filtrations as F
from tda_pipe.tda import landmark_rips as LR
from tda_pipe.tda import sampling
from tda_pipe.tda.landmark_rips import landmark_rips
from tda_pipe.tda.resources import landmark_estimate, mst_estimate
from tda_pipe.tda.sampling import maxmin_landmarks
from tda_pipe.tda.summary import summarize


def _brute_maxmin(X: np.ndarray, n: int, first: int) -> np.ndarray:
    """One exact pass a landmark (subtraction, no dot products)."""
    chosen = [first]
    nearest = cdist(X, X[[first]])[:, 0]
    for _ in range(1, n):
        chosen.append(int(nearest.argmax()))
        nearest = np.minimum(nearest, cdist(X, X[[chosen[-1]]])[:, 0])
    return np.array(chosen)


def _first(n: int, seed: int = 0) -> int:
    return int(np.random.default_rng(seed).integers(n))


@pytest.mark.parametrize("pool", [3, 64, sampling.POOL_SIZE])
def test_maxmin_in_rounds_is_the_one_pass_algorithm(pool, monkeypatch):
    """Small pools force many rounds; far from the origin tests the centring."""
    monkeypatch.setattr(sampling, "POOL_SIZE", pool)
    rng = np.random.default_rng(pool)
    for X in (rng.standard_normal((3000, 20)), rng.random((2000, 3)) * [1, 1, 1e-3] + 1e4):
        marks = maxmin_landmarks(X, 120)
        np.testing.assert_array_equal(marks.indices, _brute_maxmin(X, 120, _first(len(X))))


def test_cover_radius_is_exact_by_brute_force():
    rng = np.random.default_rng(1)
    for X in (rng.standard_normal((4000, 50)), rng.integers(0, 4, (3000, 6)) * 1.0):  # ties
        for n in (1, 7, 300):
            marks = maxmin_landmarks(X, n)
            assert marks.cover_radius == cdist(X, X[marks.indices]).min(axis=1).max()


def test_cover_radius_is_exact_on_a_near_tie_far_from_the_origin():
    """All points but the first landmark lie on the unit sphere around it, 10^8 from the
    origin: their distances differ only by the rounding of their coordinates, less than the
    dot-product distances can tell. The error bound must keep every point that may hold the
    maximum, and the maximum is measured exactly."""
    rng = np.random.default_rng(4)
    for dim in (2, 4, 9):
        n = 2000
        directions = rng.standard_normal((n, dim))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        centre = np.full(dim, 1e8)
        X = centre + directions
        first = _first(n)
        X[first] = centre
        marks = maxmin_landmarks(X, 1)
        assert marks.indices.tolist() == [first]
        assert marks.cover_radius == cdist(X, X[[first]]).max()


def test_maxmin_of_a_distance_matrix_is_the_one_pass_algorithm():
    rng = np.random.default_rng(5)
    X = rng.random((300, 3)) * 1e-2  # distances below 1, so a wrong placeholder shows
    D = cdist(X, X)
    for n in (1, 2, 40):
        marks = maxmin_landmarks(D, n, metric="precomputed")
        np.testing.assert_array_equal(marks.indices, _brute_maxmin(X, n, _first(len(X))))
        assert marks.cover_radius == D[:, marks.indices].min(axis=1).max()
    assert maxmin_landmarks(D, 300, metric="precomputed").cover_radius == 0.0


def test_maxmin_of_no_points_or_no_landmarks():
    X = np.random.default_rng(6).random((10, 2))
    none = maxmin_landmarks(X, 0)
    assert none.indices.shape == (0,) and none.cover_radius == np.inf  # nothing is covered
    empty = maxmin_landmarks(np.empty((0, 2)), 5)
    assert empty.indices.shape == (0,) and empty.cover_radius == 0.0
    one = maxmin_landmarks(X[:1], 3)
    assert one.indices.tolist() == [0] and one.cover_radius == 0.0


def test_maxmin_with_duplicates_never_repeats_a_row():
    X = np.repeat(np.random.default_rng(2).random((5, 3)), 4, axis=0)
    marks = maxmin_landmarks(X, 20)
    assert sorted(marks.indices.tolist()) == list(range(20))
    assert len({tuple(X[i]) for i in marks.indices[:5]}) == 5  # the distinct points come first
    assert maxmin_landmarks(X, 5).cover_radius == 0.0


def _noisy_circle(n: int, d: int, seed: int) -> np.ndarray:
    """A circle of radius 1 rotated into R^d, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    angle = rng.random(n) * 2 * np.pi
    basis, _ = np.linalg.qr(rng.standard_normal((d, 2)))
    circle = np.column_stack([np.cos(angle), np.sin(angle)]) @ basis.T
    return circle + 0.02 * rng.standard_normal((n, d))


def _gudhi_rips(X: np.ndarray, max_dim: int) -> list[np.ndarray]:
    st = gudhi.RipsComplex(points=X).create_simplex_tree(max_dimension=max_dim + 1)
    st.compute_persistence()
    return [st.persistence_intervals_in_dimension(p) for p in range(max_dim + 1)]


@pytest.mark.parametrize(
    "make",
    [
        lambda: _noisy_circle(300, 10, 0),
        lambda: np.random.default_rng(1).standard_normal((250, 8)),
        lambda: np.repeat(np.random.default_rng(2).random((100, 5)), 2, axis=0),  # duplicates
    ],
)
@pytest.mark.parametrize("m", [15, 40, 120])
def test_landmark_diagrams_are_within_the_stated_bound_of_gudhis_full_rips(make, m):
    X = make()
    filt = landmark_rips(X, m)
    d = tp.persistence(filt, max_dim=1)
    exact = _gudhi_rips(X, 1)
    bound = d.approximation["bottleneck_bound"]
    assert bound == 2 * filt.cover_radius
    for p in (0, 1):
        assert gudhi.bottleneck_distance(d[p], exact[p]) <= bound + 1e-9, (p, m)


def test_approximation_travels_with_the_diagrams(tmp_path):
    X = _noisy_circle(500, 6, 3)
    d = tp.persistence(X, max_dim=1, filtration="landmark-rips")
    a = d.approximation
    assert d.filtration == "landmark-rips" and a["method"] == "maxmin landmarks"
    assert (a["n_points"], a["n_landmarks"]) == (500, 500)  # fewer points than the default
    assert a["cover_radius"] == 0.0 and a["bottleneck_bound"] == 0.0
    d = tp.persistence(F.build_filtration(X, landmarks=50), max_dim=1)
    a = d.approximation
    assert (a["n_points"], a["n_landmarks"]) == (500, 50)
    assert f"{a['bottleneck_bound']:.4g}" in a["statement"] and "\n" not in a["statement"]
    loaded = tp.Diagrams.load(d.save(tmp_path / "d.npz"))
    assert loaded.approximation == a
    assert tp.Diagrams.from_dict(json.loads(json.dumps(d.to_dict()))).approximation == a
    assert d.filter(0.1).approximation == a
    assert json.loads(json.dumps(summarize(d)))["approximation"] == a
    assert tp.persistence(X, max_dim=1).approximation is None  # exact: no statement


def test_pairs_name_landmarks():
    X = _noisy_circle(400, 5, 4)
    filt = landmark_rips(X, 60)
    d = tp.persistence(filt, max_dim=1, return_pairs=True)
    births, deaths = d.pairs[1]
    L = X[filt.landmarks]
    lengths = np.linalg.norm(L[deaths[:, 0]] - L[deaths[:, 1]], axis=1)
    np.testing.assert_allclose(lengths, d[1][:, 1], rtol=0, atol=1e-12)


def test_auto_takes_landmarks_for_h0_when_the_spanning_tree_is_long(monkeypatch):
    X = np.random.default_rng(5).standard_normal((3000, 20))
    monkeypatch.setattr(F, "AUTO_SECONDS", mst_estimate(3000, 20).seconds / 2)
    filt = F.build_filtration(X, max_dim=0)
    assert filt.kind == "landmark-rips" and "spanning tree would take" in filt.reason
    monkeypatch.setattr(F, "AUTO_SECONDS", mst_estimate(3000, 20).seconds * 2)
    assert F.build_filtration(X, max_dim=0).kind == "rips"


def test_auto_takes_landmarks_when_exact_rips_would_not_fit(monkeypatch):
    X = np.random.default_rng(6).standard_normal((2000, 8))
    monkeypatch.setattr(F, "available_memory", lambda: 100 * 2**20)
    filt = F.build_filtration(X, max_dim=1)
    assert filt.kind == "landmark-rips" and "would not fit in memory" in filt.reason
    # a threshold keeps the user's exact Rips
    assert F.build_filtration(X, max_dim=1, threshold=0.5).kind == "rips"


# -- bad input: one line each ------------------------------------------------------------------


def _message(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("bad", [0, 1, 501, -3, 2.5, True, "100"])
def test_landmarks_out_of_range(bad):
    X = np.random.default_rng(7).random((500, 5))
    message = _message(F.build_filtration, X, landmarks=bad)
    assert "--landmarks must be" in message


def test_landmarks_need_the_euclidean_metric_and_points():
    X = np.random.default_rng(8).random((100, 5))
    assert "normalise the vectors" in _message(
        F.build_filtration, X, "landmark-rips", metric="cosine"
    )
    assert "2-D (n_points, n_dims) array" in _message(F.build_filtration, X[:, 0], "landmark-rips")


def test_a_set_too_large_even_for_landmarks_is_refused_with_the_estimate(monkeypatch):
    monkeypatch.setattr(LR, "available_memory", lambda: 2**28)
    X = np.zeros((3, 4))  # the estimate is from the sizes asked: a tiny array stands in
    huge = np.broadcast_to(np.zeros(1), (10**7, 768))  # a view: no memory
    monkeypatch.setattr(LR, "check_points", lambda data: huge)
    monkeypatch.setattr(LR, "maxmin_landmarks", None)  # never reached
    message = _message(landmark_rips, X, 1000)
    estimate = landmark_estimate(10**7, 768, 1000, 1)
    assert message.startswith(estimate.describe())
    assert "more than 80% of the 256.0 MiB available" in message
    assert "longer than the 10 min allowed" in message
    assert "(--landmarks 500)," in message and "--sample N" in message


def test_the_number_of_landmarks_from_2_to_every_point():
    assert LR.check_landmarks(None, 5000) == LR.DEFAULT_LANDMARKS == 1000
    assert LR.check_landmarks(None, 300) == 300
    assert LR.check_landmarks(2, 300) == 2 and LR.check_landmarks(300, 300) == 300
    for bad in (1, 301):
        assert "between 2 and the number of points (300)" in _message(LR.check_landmarks, bad, 300)
    assert "must be an integer" in _message(LR.check_landmarks, True, 300)


def test_landmarks_default_to_seed_0_and_say_what_they_approximate():
    X = np.random.default_rng(0).random((200, 2))
    filt = LR.landmark_rips(X, 20)
    np.testing.assert_array_equal(filt.landmarks, LR.landmark_rips(X, 20, seed=0).landmarks)
    assert not np.array_equal(filt.landmarks, LR.landmark_rips(X, 20, seed=1).landmarks)
    r = filt.cover_radius
    statement = filt.approximation["statement"]
    assert f"within bottleneck distance {2 * r:.4g}" in statement
    assert f"a bar longer than {4 * r:.4g} is matched" in statement
    filt.reason = "over 20000 points"
    assert filt.describe().endswith(f"cover radius {r:.4g}; over 20000 points)")
