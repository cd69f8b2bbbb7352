"""The argument and array checks every entry point uses: their ranges at the edges, the kinds
of value they refuse, and the one line they say."""

import math

import numpy as np
import pytest
from scipy import sparse

from tda_pipe.errors import InputError
from tda_pipe.tda.validation import (
    check_diagram,
    check_distance_matrix,
    check_image,
    check_int,
    check_points,
    check_real,
    format_bytes,
)


def _message(call) -> str:
    with pytest.raises(InputError) as info:
        call()
    return str(info.value)


def test_integer_ranges_include_their_ends():
    assert check_int(1, "k", low=1, high=3) == 1 and check_int(3, "k", low=1, high=3) == 3
    assert (
        _message(lambda: check_int(4, "k", low=1, high=3))
        == "k must be an integer in [1, 3], not 4"
    )
    assert _message(lambda: check_int(True, "k")) == "k must be an integer, not True"


def test_real_ranges_are_closed_unless_opened():
    assert check_real(0, "x", low=0) == 0.0 and check_real(1, "x", high=1) == 1.0
    assert check_real(0.5, "x", low=0, high=1, low_open=True, high_open=True) == 0.5
    assert (
        _message(lambda: check_real(0, "x", low=0, low_open=True))
        == "x must be a number > 0, not 0"
    )
    assert (
        _message(lambda: check_real(1, "x", high=1, high_open=True))
        == "x must be a number < 1, not 1"
    )
    assert _message(lambda: check_real(-0.1, "x", low=0)) == "x must be a number >= 0, not -0.1"
    assert _message(lambda: check_real(1.5, "x", high=1)) == "x must be a number <= 1, not 1.5"


@pytest.mark.parametrize("value", [True, "0.5", None, math.nan, math.inf, -math.inf])
def test_a_real_must_be_a_finite_number(value):
    assert _message(lambda: check_real(value, "x")) == f"x must be a number, not {value!r}"


def test_infinity_passes_only_when_allowed_and_the_bounds_still_apply():
    assert check_real(math.inf, "t", low=0, allow_inf=True) == math.inf
    assert _message(lambda: check_real(-math.inf, "t", low=0, allow_inf=True)).startswith(
        "t must be a number >= 0"
    )
    assert _message(lambda: check_real("a", "t", low=0, high=1, allow_inf=True)).startswith(
        "t must be a number in [0, 1]"
    )


def test_non_finite_points_are_counted_and_located():
    X = np.zeros((5, 2))
    X[1, 0] = X[3, 1] = np.nan
    message = _message(lambda: check_points(X))
    assert "has 2 NaN value(s), first at index (1, 0)" in message
    X[1, 0] = X[3, 1] = np.inf
    assert "has 2 infinite value(s), first at index (1, 0)" in _message(lambda: check_points(X))


def test_a_wrong_shape_names_the_fix_for_its_case():
    column = _message(lambda: check_points(np.zeros(5)))
    assert column == (
        "point cloud must be a 2-D (n_points, n_dims) array, got shape (5,); reshape a single "
        "column to (n, 1) with X.reshape(-1, 1)"
    )
    grid = _message(lambda: check_points(np.zeros((3, 3, 3)), "image"))
    assert grid.endswith("got shape (3, 3, 3); for an image or voxel grid use --filtration cubical")
    assert check_points(np.arange(3.0).reshape(-1, 1)).shape == (3, 1)  # one coordinate is fine
    assert _message(lambda: check_points(np.zeros((1, 3)))) == (
        "point cloud has 1 point(s); at least 2 are needed"
    )
    assert _message(lambda: check_points(np.zeros((4, 0)))) == (
        "point cloud has points with 0 coordinates"
    )


def test_coordinates_whose_squares_overflow_are_refused_at_the_edge():
    """Two coordinates of 1.2e154: each square fits float64 (1.44e308), their sum does not."""
    X = np.array([[6e153, 6e153], [1.2e154, 1.2e154]])
    assert "their squares overflow float64" in _message(lambda: check_points(X))
    assert check_points(X / 2).shape == (2, 2)  # squares summing to 7.2e307


def test_an_extent_whose_squares_sum_above_the_smallest_normal_is_kept():
    """Squared differences of 1.69e-308 each: one alone underflows past float64's smallest
    normal (2.2e-308) and is refused, two summed (3.4e-308) are not; the message gives the
    largest extent."""
    tiny = 1.3e-154
    assert check_points(np.array([[0.0, 0.0], [tiny, tiny]])).shape == (2, 2)
    message = _message(lambda: check_points(np.array([[0.0, 0.0], [tiny, 1e-160]])))
    assert "spans only 1.3e-154" in message and "underflow" in message


def test_a_diagram_of_one_number_is_not_an_empty_diagram():
    with pytest.raises(InputError, match=r"\(k, 2\)"):
        check_diagram([5.0])


@pytest.mark.parametrize("D", [np.zeros((2, 3)), sparse.coo_matrix(np.ones((2, 3)))])
def test_a_distance_matrix_that_is_not_square_is_named_so(D):
    assert "must be square" in _message(lambda: check_distance_matrix(D))


def test_a_sparse_edge_stored_twice_must_agree_relative_to_the_scale():
    def graph(back: float):  # the edge 0-1 stored both ways, 1-2 once
        rows, cols = [0, 1, 1], [1, 0, 2]
        return sparse.coo_matrix(([1e6, back, 3.0], (rows, cols)), shape=(3, 3))

    kept = check_distance_matrix(graph(1e6 + 1e-5)).toarray()  # 1e-11 of the scale
    assert kept[0, 1] == kept[1, 0] == 1e6 and kept[1, 2] == kept[2, 1] == 3.0
    assert "not symmetric" in _message(lambda: check_distance_matrix(graph(1e6 + 1e-2)))
    small = sparse.coo_matrix(([0.5, 0.5 + 1e-8], ([0, 1], [1, 0])), shape=(2, 2))
    assert "not symmetric" in _message(lambda: check_distance_matrix(small))  # scale floor 1


@pytest.mark.parametrize("image", [np.float64(3.0), np.array([1.0]), np.zeros((2, 2, 2, 2))])
def test_an_image_has_one_to_three_axes_and_two_pixels(image):
    assert "1-D signal, 2-D image or 3-D voxel grid" in _message(lambda: check_image(image))


def test_sizes_switch_to_exponents_from_1e5_tib():
    assert format_bytes(99999 * 2**40) == "99999.0 TiB"
    assert format_bytes(1e5 * 2**40) == "1.0e+05 TiB"
