"""The per-dimension summary: scales, counts, the most persistent pairs, Betti numbers."""

import math

import numpy as np
import pytest

from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.summary import default_scales, summarize

INF = float("inf")


def test_default_scales_are_fixed_fractions_of_the_largest_finite_death():
    d = Diagrams([[[0.0, 2.0], [0.0, 1.0], [0.0, INF]], [[0.5, 4.0]]])
    # 10, 25, 50, 75, 90% of 4.0 (the essential class is not a death)
    assert default_scales(d) == [0.4, 1.0, 2.0, 3.0, 3.6]
    assert default_scales(d, n=3) == [0.4, 2.0, 3.6]  # 10%, 50%, 90%


def test_default_scales_round_to_four_significant_digits_and_drop_repeats():
    d = Diagrams([[[0.0, 1.23456]]])
    assert default_scales(d, n=2) == [0.1235, 1.111]
    assert default_scales(d, n=1) == [0.1235]  # linspace(0.1, 0.9, 1) is [0.1]


def test_no_scales_without_a_positive_finite_death():
    assert default_scales(Diagrams([[[0.0, INF]]])) == []
    assert default_scales(Diagrams([[[0.0, 0.0], [0.0, INF]]])) == []


def test_summary_counts_pairs_and_betti_numbers_by_hand():
    d = Diagrams(
        [[[0.0, 1.0], [0.0, 3.0], [0.0, INF]], [[1.0, 2.0], [0.5, 4.0]]],
        filtration="rips",
        backend="gudhi",
    )
    s = summarize(d, scales=[1.5, 3.5], top=1)
    assert (s["filtration"], s["backend"], s["coeff"]) == ("rips", "gudhi", 2)
    assert s["scales"] == [1.5, 3.5]
    h0, h1 = s["dimensions"]["H0"], s["dimensions"]["H1"]
    assert (h0["n_classes"], h0["n_finite"], h0["n_essential"]) == (3, 2, 1)
    assert (h1["n_classes"], h1["n_finite"], h1["n_essential"]) == (2, 2, 0)
    assert h0["most_persistent"] == [[0.0, None]]  # the essential class first
    assert h1["most_persistent"] == [[0.5, 4.0]]
    # at 1.5: H0 alive [0,3) and [0,inf); H1 alive [1,2) and [0.5,4)
    assert h0["betti"] == {"1.5": 2, "3.5": 1}
    assert h1["betti"] == {"1.5": 2, "3.5": 1}
    assert h1["total_persistence"] == pytest.approx(1.0 + 3.5)
    p = np.array([1.0, 3.5]) / 4.5
    assert h1["entropy"] == pytest.approx(float(-(p * np.log(p)).sum()))
    assert math.isfinite(h0["total_persistence"]) and h0["total_persistence"] == pytest.approx(4.0)


def test_summary_uses_the_default_scales_when_none_are_given():
    d = Diagrams([[[0.0, 2.0], [0.0, INF]]])
    assert summarize(d)["scales"] == default_scales(d) == [0.2, 0.5, 1.0, 1.5, 1.8]
    assert summarize(d)["dimensions"]["H0"]["betti"]["1.8"] == 2


def test_scales_need_only_the_largest_death_positive_even_below_one():
    # zero-length H0 bars (duplicate points) must not hide the scales of the others
    d = Diagrams([[[0.0, 0.0], [0.0, 0.5]]])
    assert default_scales(d) == [0.05, 0.125, 0.25, 0.375, 0.45]


def test_summary_lists_the_five_most_persistent_pairs_by_default():
    d = Diagrams([[[0.0, float(k)] for k in range(1, 9)]])
    top = summarize(d)["dimensions"]["H0"]["most_persistent"]
    assert top == [[0.0, 8.0], [0.0, 7.0], [0.0, 6.0], [0.0, 5.0], [0.0, 4.0]]
