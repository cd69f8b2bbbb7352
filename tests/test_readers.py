"""Reader corners: pickled arrays refused, error lines that name the real reason, sampling."""

import numpy as np
import pytest

from tda_pipe.datasets import readers
from tda_pipe.datasets.readers import load
from tda_pipe.errors import InputError


class _Boom:
    def __reduce__(self):  # unpickling would write a file
        return (open, ("/tmp/tda-pipe-pickle-ran", "w"))


@pytest.mark.parametrize("suffix", [".npz", ".npy"])
def test_an_array_of_python_objects_is_refused_and_never_unpickled(tmp_path, suffix):
    path = tmp_path / f"evil{suffix}"
    array = np.array([_Boom(), 1.0], dtype=object)
    if suffix == ".npz":
        np.savez(path, points=array)
    else:
        np.save(path, array, allow_pickle=True)
    marker = readers.Path("/tmp/tda-pipe-pickle-ran")
    marker.unlink(missing_ok=True)
    with pytest.raises(InputError, match=r"evil.*cannot read.*pickle"):
        load(path)
    assert not marker.exists()


def test_a_reading_error_names_the_error_it_happened_in_and_not_its_cause(tmp_path):
    path = tmp_path / "x.npy"
    with pytest.raises(InputError) as info, readers._reading(path, "a thing"):
        try:
            raise KeyError("inner")
        except KeyError:
            raise ValueError("outer problem") from None
    assert str(info.value) == f"{path}: cannot read as a thing (outer problem)"


def test_a_long_reason_is_cut_at_120_characters(tmp_path):
    path = tmp_path / "x.npy"
    with pytest.raises(InputError) as info, readers._reading(path, "a thing"):
        raise ValueError("y" * 300)
    assert str(info.value) == f"{path}: cannot read as a thing ({'y' * 120})"


def test_sampling_a_rectangular_distance_matrix_names_its_shape(tmp_path):
    path = tmp_path / "d.npy"
    np.save(path, np.zeros((3, 4)))
    with pytest.raises(InputError, match=r"from a 3x4 distance matrix; it must be square"):
        load(path, precomputed=True, sample=2)
