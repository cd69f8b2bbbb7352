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


def _two_dims() -> list[np.ndarray]:
    return [np.array([[0.0, 1.0], [0.0, np.inf]]), np.array([[0.5, 0.7]])]


@pytest.mark.parametrize(
    "pairs",
    [
        [(np.zeros(2), np.zeros(2))],  # one dimension of pairs for two of points
        [(np.zeros(1), np.zeros(2)), (np.zeros(1), np.zeros(1))],  # births short in H0
        [(np.zeros(2), np.zeros(1)), (np.zeros(1), np.zeros(1))],  # deaths short in H0
        [(np.zeros(2), np.zeros(2)), (np.zeros(1), np.zeros(2))],  # deaths long in H1
    ],
)
def test_pairs_must_match_every_diagram_point(pairs):
    with pytest.raises(ValueError, match="one \\(birth, death\\) row pair per diagram point"):
        Diagrams(_two_dims(), pairs)


def test_matching_pairs_and_cycles_are_kept():
    pairs = [(np.array([0, 1]), np.array([2, -1])), (np.array([3]), np.array([4]))]
    cycles = [None, [np.array([[0, 1], [1, 2], [0, 2]])]]
    d = Diagrams(_two_dims(), pairs, cycles=cycles)
    np.testing.assert_array_equal(d.pairs[0][1], [2, -1])
    assert d.cycle_dims == (1,) and d.cycles(1)[0].simplices.shape == (3, 2)


@pytest.mark.parametrize(
    "cycles",
    [
        [None],  # one dimension of cycles for two of points
        [None, []],  # no cycle for H1's one point
        [[np.zeros((1, 2))], None],  # one cycle for H0's two points
    ],
)
def test_cycles_must_match_every_diagram_point(cycles):
    with pytest.raises(ValueError, match="one array per diagram point"):
        Diagrams(_two_dims(), cycles=cycles)


def test_defaults_of_most_persistent_filter_and_from_dict():
    h1 = [[0.0, 0.0], [0.1, 0.1], *([0.0, 1.0 + k] for k in range(7)), [0.3, 0.5]]
    d = Diagrams([[[0.0, np.inf]], h1])
    # five rows by default, longest first
    np.testing.assert_array_equal(d.most_persistent(1)[:, 1], [7, 6, 5, 4, 3])
    # by default only classes of zero lifetime go
    assert [len(x) for x in d.filter()] == [1, 8]
    # a dict without "coeff" is of Z/2
    assert Diagrams.from_dict({"diagrams": {"h0": [[0.0, None]]}}).coeff == 2


def test_cycles_of_every_dimension_and_several_classes_survive_save_and_load(tmp_path):
    dgms = [[[0.0, 1.0], [0.0, 2.0]], [[0.5, 0.9], [0.6, 1.2]], np.empty((0, 2))]
    cycles = [
        [np.array([[0], [1]]), np.array([[2]])],
        [np.array([[0, 1], [1, 2], [0, 2]]), np.array([[3, 4], [4, 5], [5, 6], [3, 6]])],
        [],
    ]
    back = Diagrams.load(Diagrams(dgms, cycles=cycles).save(tmp_path / "c.npz"))
    assert back.cycle_dims == (0, 1, 2)
    for p in range(3):
        got = back.cycle_arrays[p]
        assert len(got) == len(cycles[p])
        for z, want in zip(got, cycles[p]):
            np.testing.assert_array_equal(z, want)
    with np.load(tmp_path / "c.npz") as raw:  # an empty dimension still has rows of p + 1
        assert raw["h2_cycles"].shape == (0, 3)


def test_load_never_unpickles(tmp_path):
    rows = np.empty(1, dtype=object)
    rows[0] = [0.0, 1.0]
    np.savez(tmp_path / "p.npz", h0=rows)
    with pytest.raises(InputError, match="p.npz: cannot read diagrams"):
        Diagrams.load(tmp_path / "p.npz")


@pytest.mark.parametrize("order", [0.5, 0.0, np.nan])
def test_wasserstein_order_below_1_is_refused(order):
    one = Diagrams([[[0.0, 2.0]]])
    with pytest.raises(InputError, match="Wasserstein order must be >= 1"):
        wasserstein(one, one, order=order)
