"""Embedding quality measures: hand-computed values and agreement with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.manifold import trustworthiness as sklearn_trustworthiness

from tda_pipe.errors import InputError
from tda_pipe.tda.metrics import (
    continuity,
    embedding_metrics,
    kl_density,
    mean_relative_rank_error,
    reconstruction_mse,
    rmse_distances,
    trustworthiness,
)

# four points on a line (no tied distances), and an embedding that swaps the two middle ones
LINE = np.array([[0.0], [1.0], [3.0], [7.0]])
SWAPPED = np.array([[0.0], [3.0], [1.0], [7.0]])


def _noisy_projection(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6))
    return X, X[:, :2] + 0.5 * rng.normal(size=(n, 2))


def test_kl_by_hand():
    # distances / max: LINE has max 7, 2 * LINE max 14, so the scaled distances agree: KL 0
    assert kl_density(LINE, 2 * LINE) == 0.0
    Z = np.array([[0.0], [1.0], [2.0], [3.0]])  # evenly spaced
    sigma = 0.1
    fx = np.exp(-((np.abs(LINE - LINE.T) / 7) ** 2) / sigma).sum(1)
    fz = np.exp(-((np.abs(Z - Z.T) / 3) ** 2) / sigma).sum(1)
    fx, fz = fx / fx.sum(), fz / fz.sum()
    expected = np.sum(fx * np.log(fx / fz))
    assert kl_density(LINE, Z, sigma) == pytest.approx(expected, rel=1e-12)
    assert expected > 0


def test_rmse_and_mse_by_hand():
    # pairwise distances 1 3 7 2 6 4, doubled: the differences are the distances themselves
    assert rmse_distances(LINE, 2 * LINE) == pytest.approx(np.sqrt((1 + 9 + 49 + 4 + 36 + 16) / 6))
    assert reconstruction_mse(LINE, LINE + 2.0) == 4.0


def test_rank_measures_by_hand_on_a_swap():
    # n = 4, k = 1. Nearest neighbours in X: 0->1, 1->0, 2->1, 3->2; in Z: 0->2, 1->2, 2->0, 3->1.
    # Trust: each Z-neighbour has X rank 2, a penalty of 2 - k = 1: sum 4,
    #   T = 1 - 2 * 4 / (n k (2n - 3k - 1)) = 1 - 8 / 16. Continuity likewise (Z ranks 2).
    assert trustworthiness(LINE, SWAPPED, k=1) == 0.5
    assert continuity(LINE, SWAPPED, k=1) == 0.5
    # MRRE: C = n |n + 1 - 2| / 1 = 12; each of the 4 neighbours has |rX - rZ| = 1 over rank 1
    assert mean_relative_rank_error(LINE, SWAPPED, k=1) == pytest.approx((4 / 12, 4 / 12))


def _ranks_by_loops(X):
    D = np.linalg.norm(X[:, None] - X[None], axis=-1)
    return [{j: r for r, j in enumerate(np.argsort(D[i])[1:], start=1)} for i in range(len(X))]


def test_rank_measures_equal_their_definitions_written_as_loops():
    X, Z = _noisy_projection(n=40)
    n, k = len(X), 4
    rx, rz = _ranks_by_loops(X), _ranks_by_loops(Z)
    nz = [[j for j, r in rz[i].items() if r <= k] for i in range(n)]
    nx = [[j for j, r in rx[i].items() if r <= k] for i in range(n)]
    scale = n * sum(abs(n + 1 - 2 * r) / r for r in range(1, k + 1))
    zx = sum(abs(rx[i][j] - rz[i][j]) / rz[i][j] for i in range(n) for j in nz[i]) / scale
    xz = sum(abs(rx[i][j] - rz[i][j]) / rx[i][j] for i in range(n) for j in nx[i]) / scale
    trust = sum(rx[i][j] - k for i in range(n) for j in nz[i] if j not in nx[i])
    cont = sum(rz[i][j] - k for i in range(n) for j in nx[i] if j not in nz[i])
    norm = 2 / (n * k * (2 * n - 3 * k - 1))
    assert mean_relative_rank_error(X, Z, k) == pytest.approx((zx, xz))
    assert zx != pytest.approx(xz)
    assert trustworthiness(X, Z, k) == pytest.approx(1 - norm * trust)
    assert continuity(X, Z, k) == pytest.approx(1 - norm * cont)


@pytest.mark.parametrize("k", [1, 5, 10, 30])
def test_trustworthiness_and_continuity_equal_sklearn(k):
    X, Z = _noisy_projection()
    assert trustworthiness(X, Z, k) == pytest.approx(sklearn_trustworthiness(X, Z, n_neighbors=k))
    assert continuity(X, Z, k) == pytest.approx(sklearn_trustworthiness(Z, X, n_neighbors=k))


def test_embedding_metrics_agree_with_the_single_measures():
    X, Z = _noisy_projection()
    m = embedding_metrics(X, Z, X_hat=np.zeros_like(X), k=7)
    for sigma in (0.01, 0.1, 1.0):
        assert m[f"kl_{sigma:g}"] == pytest.approx(kl_density(X, Z, sigma))
    assert m["rmse"] == pytest.approx(rmse_distances(X, Z))
    assert (m["mrre_zx"], m["mrre_xz"]) == pytest.approx(mean_relative_rank_error(X, Z, 7))
    assert m["mrre"] == pytest.approx((m["mrre_zx"] + m["mrre_xz"]) / 2)
    assert m["trustworthiness"] == pytest.approx(trustworthiness(X, Z, 7))
    assert m["continuity"] == pytest.approx(continuity(X, Z, 7))
    assert m["data_mse"] == pytest.approx(np.mean(X**2))
    assert "data_mse" not in embedding_metrics(X, Z)


def test_a_perfect_embedding_scores_perfectly():
    X, _ = _noisy_projection()
    m = embedding_metrics(X, 3 * X)
    assert m["trustworthiness"] == m["continuity"] == 1.0
    assert m["mrre"] == 0.0
    assert m["kl_0.1"] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: trustworthiness(LINE, SWAPPED, k=2), "1 <= k < n/2"),
        (lambda: embedding_metrics(LINE, SWAPPED[:3]), "4 rows but embedding 3"),
        (lambda: kl_density(LINE[:, 0], SWAPPED), "2-D array"),
        (lambda: rmse_distances(LINE, SWAPPED * np.nan), "NaN or inf"),
        (lambda: kl_density(LINE, SWAPPED, sigma=0.0), "sigma must be a positive"),
        (lambda: reconstruction_mse(LINE, LINE.T), "does not match"),
    ],
)
def test_bad_input_raises_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_defaults_smallest_inputs_and_scale_invariance():
    X, Z = _noisy_projection(60)
    assert kl_density(X, Z) == kl_density(X, Z, 0.1)
    for measure in (trustworthiness, continuity, mean_relative_rank_error):
        assert measure(X, Z) == measure(X, Z, 10)
    assert embedding_metrics(X, Z) == embedding_metrics(X, Z, k=10)
    # two points are enough for the distance measures, three for the rank ones (k = 1 < 3/2)
    two = np.array([[0.0], [1.0]])
    assert kl_density(two, 3 * two) == 0.0 and rmse_distances(two, 3 * two) == 2.0
    assert trustworthiness(LINE[:3], LINE[:3], k=1) == 1.0
    # the densities are of distances over the largest one, whatever its size (below 1 too);
    # identical points have no largest distance and agree
    Z4 = np.array([[0.0], [1.0], [2.0], [3.0]])
    assert kl_density(LINE / 10, Z4) == pytest.approx(kl_density(LINE, Z4), rel=1e-12)
    assert kl_density(np.zeros((5, 2)), np.zeros((5, 2))) == 0.0


def test_k_is_an_integer_from_1_to_below_half_the_points():
    X, Z = _noisy_projection(21)
    assert 0 <= trustworthiness(X, Z, k=10) <= 1  # 10 < 21 / 2
    for k in (0, 11, True, 2.0):
        with pytest.raises(InputError, match=r"k must be an integer with 1 <= k < n/2 = 10.5"):
            trustworthiness(X, Z, k=k)


def test_a_duplicate_point_is_a_neighbour_never_the_point_itself():
    """Ranks with tied distances: the point itself is rank 0 even when a duplicate of a smaller
    index is as near; the others are ranked 1, 2, ... with ties broken by index."""
    from scipy.spatial.distance import pdist, squareform

    from tda_pipe.tda.metrics import _ranks

    X = np.array([[0.0], [1.0], [3.0], [1.0], [0.0]])
    R = _ranks(squareform(pdist(X)))
    np.testing.assert_array_equal(np.diag(R), 0)
    np.testing.assert_array_equal(R[3], [2, 1, 4, 0, 3])  # its duplicate 1, then 0 and 4, then 2
    np.testing.assert_array_equal(R[4], [1, 2, 4, 3, 0])
