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


def _png(path, pixels):
    from PIL import Image

    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(path)


def test_a_png_is_one_2d_greyscale_frame_scaled_by_255(tmp_path):
    pixels = np.arange(12).reshape(3, 4) * 20
    _png(tmp_path / "a.png", pixels)
    loaded = load(tmp_path / "a.png")
    assert loaded.kind == "image" and loaded.array.shape == (3, 4)
    np.testing.assert_array_equal(loaded.array, pixels / 255.0)


def test_an_image_too_big_is_refused_with_its_own_shape(tmp_path, monkeypatch):
    from PIL import Image

    _png(tmp_path / "a.png", np.zeros((20, 30)))
    frames = [Image.fromarray(np.zeros((20, 30), dtype=np.uint8)) for _ in range(3)]
    frames[0].save(tmp_path / "s.tiff", save_all=True, append_images=frames[1:])
    monkeypatch.setattr(readers, "available_memory", lambda: 200_000)
    with pytest.raises(InputError, match=r"a\.png: .* 20 x 30 image .*means of \d+ x \d+ pixel"):
        load(tmp_path / "a.png")
    with pytest.raises(InputError, match=r"s\.tiff: .* 3 x 20 x 30 voxel grid .*\d+ x \d+ x \d+ "):
        load(tmp_path / "s.tiff")


def test_a_mesh_of_one_triangle_keeps_its_mesh_and_a_vertex_list_gives_points(tmp_path):
    (tmp_path / "t.obj").write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    one = load(tmp_path / "t.obj")
    assert one.array.shape == (3, 3) and one.mesh is not None and len(one.mesh.faces) == 1
    (tmp_path / "p.ply").write_text(
        "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
        "property float z\nend_header\n0.5 0.25 2\n"
    )
    point = load(tmp_path / "p.ply")
    assert point.mesh is None
    np.testing.assert_array_equal(point.array, [[0.5, 0.25, 2.0]])


def test_sample_takes_a_positive_integer_up_to_the_number_of_rows(tmp_path):
    X = np.arange(12.0).reshape(6, 2)
    np.save(tmp_path / "x.npy", X)
    np.testing.assert_array_equal(load(tmp_path / "x.npy", sample=6).array, X)  # all of them
    assert load(tmp_path / "x.npy", sample=1).array.shape == (1, 2)
    for bad in (0, True, 2.0):
        with pytest.raises(InputError, match="sample must be a positive number of points"):
            load(tmp_path / "x.npy", sample=bad)
    np.save(tmp_path / "line.npy", np.arange(5.0))  # 1-D: rows are numbers
    assert load(tmp_path / "line.npy", sample=3).array.shape == (3,)


def test_a_floating_point_tiff_is_read_as_it_is(tmp_path):
    from PIL import Image

    pixels = np.array([[0.5, 2.0], [-1.0, 3.25]], dtype=np.float32)
    Image.fromarray(pixels, mode="F").save(tmp_path / "f.tiff")
    np.testing.assert_array_equal(load(tmp_path / "f.tiff").array, pixels)
