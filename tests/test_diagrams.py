"""The Diagrams type: save/load, JSON, filtering, Betti numbers and distances."""

from __future__ import annotations

import json

import numpy as np
import persim
import pytest

import tda_pipe as tp
from tda_pipe.errors import InputError
from tda_pipe.tda.diagrams import Diagrams, bottleneck, wasserstein


@pytest.fixture
def diagrams() -> Diagrams:
    X = np.random.default_rng(0).random((30, 2))
    return tp.persistence(X, max_dim=1, return_pairs=True)


def test_save_load_round_trip_keeps_values_pairs_and_source(tmp_path, diagrams):
    path = diagrams.save(tmp_path / "d.npz")
    with np.load(path) as raw:
        assert {"h0", "h1", "h1_birth_simplex", "h1_death_simplex"} <= set(raw.files)
    back = Diagrams.load(path)
    for p in range(2):
        np.testing.assert_array_equal(back[p], diagrams[p])
        np.testing.assert_array_equal(back.pairs[p][0], diagrams.pairs[p][0])
        np.testing.assert_array_equal(back.pairs[p][1], diagrams.pairs[p][1])
    assert back.filtration == "rips" and back.backend == diagrams.backend != ""
    assert not list(tmp_path.glob("*.tmp*"))


def test_load_rejects_a_file_without_diagrams(tmp_path):
    np.savez(tmp_path / "x.npz", points=np.zeros((3, 2)))
    with pytest.raises(InputError, match="x.npz: no diagram arrays"):
        Diagrams.load(tmp_path / "x.npz")
    with pytest.raises(InputError, match="cannot read"):
        Diagrams.load(tmp_path / "missing.npz")


def test_json_round_trip_writes_null_for_essential(diagrams):
    text = json.dumps(diagrams.to_dict())
    assert "Infinity" not in text and "null" in text
    back = Diagrams.from_dict(json.loads(text))
    assert bottleneck(back, diagrams) == 0.0


def test_betti_filter_and_most_persistent():
    d = Diagrams([[[0, 1], [0, 3], [0, np.inf]], [[1, 1.5], [0.5, 2.5]]])
    assert d.betti(0.5) == [3, 1] and d.betti(2.0) == [2, 1] and d.betti(5.0) == [1, 0]
    np.testing.assert_array_equal(d.most_persistent(1, 1), [[0.5, 2.5]])
    f = d.filter(min_persistence=1.0)
    assert [len(x) for x in f] == [2, 1]
    assert repr(d) == "Diagrams(H0: 3 (1 essential), H1: 2)"


def test_distances_agree_with_persim():
    rng = np.random.default_rng(1)
    a = tp.persistence(rng.random((40, 2)), max_dim=1)
    b = tp.persistence(rng.random((40, 2)), max_dim=1)
    assert bottleneck(a, b, dim=1) == pytest.approx(persim.bottleneck(a[1], b[1]), abs=1e-9)
    # hand-computed 1-Wasserstein (L-inf ground metric): match the points, or send both to the
    # diagonal at half their lifetimes
    one, other = Diagrams([[[0.0, 2.0]]]), Diagrams([[[0.0, 3.0]]])
    assert wasserstein(one, other) == pytest.approx(1.0)
    assert wasserstein(one, Diagrams([np.empty((0, 2))])) == pytest.approx(1.0)
    far = Diagrams([[[10.0, 12.0]]])
    assert wasserstein(one, far) == pytest.approx(2.0)  # both to the diagonal: 1 + 1
    assert wasserstein(a, a) == 0.0
    # essential classes are matched with each other: one extra makes the distance infinite
    extra = Diagrams([np.vstack([a[0], [[0.0, np.inf]]]), a[1]])
    assert bottleneck(a, extra, dim=0) == np.inf


def test_distances_over_dimensions_use_every_shared_dimension_and_only_those():
    """Hand-worked values: H0 differs by 0.5, H1 by 1, and only ``b`` holds an H2 class."""
    a = Diagrams([[[0.0, 1.0]], [[1.0, 3.0]]])
    b = Diagrams([[[0.0, 1.5]], [[1.0, 4.0]], [[2.0, 9.0]]])
    assert bottleneck(a, b) == 1.0  # max(0.5, 1), the H2 class of b left out
    assert bottleneck(a, b, dim=0) == 0.5 and bottleneck(a, b, dim=1) == 1.0
    assert bottleneck(b, a) == 1.0
    # Wasserstein over several dimensions: (sum_p W_p^q)^(1/q)
    assert wasserstein(a, b, order=1.0) == pytest.approx(0.5 + 1.0)
    assert wasserstein(a, b, order=2.0) == pytest.approx(np.sqrt(0.5**2 + 1.0**2))
    assert wasserstein(a, b, dim=1, order=2.0) == pytest.approx(1.0)
    with pytest.raises(InputError, match="dimension"):
        bottleneck(a, b, dim=2)
