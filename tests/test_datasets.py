"""Readers for every input format, their one-line errors, and the shape generators' geometry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image
from scipy.integrate import quad

from tda_pipe.datasets import (
    circle,
    klein_bottle,
    load,
    sphere,
    swiss_roll,
    torus,
    wedge_of_spheres,
)
from tda_pipe.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
POINTS = np.array([[0.0, 1.5, -2.0], [3.25, 4.0, 5.0], [6.0, -7.5, 8.0], [9.0, 10.0, 11.125]])


def input_error(path: Path, **options) -> str:
    """The message of the InputError that loading ``path`` raises; it names the file."""
    with pytest.raises(InputError) as info:
        load(path, **options)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


def sorted_rows(a: np.ndarray) -> np.ndarray:
    return a[np.lexsort(a.T[::-1])]


# --- arrays -------------------------------------------------------------------------------


def test_npy_points_as_float64(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(12, dtype=np.int32).reshape(4, 3))
    data = load(tmp_path / "x.npy")
    assert data.kind == "points" and data.array.dtype == np.float64
    np.testing.assert_array_equal(data.array, np.arange(12).reshape(4, 3))
    assert data.path == tmp_path / "x.npy" and data.mesh is None and data.labels is None


def test_npy_precomputed_is_distances_and_1d_is_returned_as_is(tmp_path):
    D = np.abs(POINTS[:, None, 0] - POINTS[None, :, 0])
    np.save(tmp_path / "d.npy", D)
    data = load(tmp_path / "d.npy", precomputed=True)
    assert data.kind == "distances"
    np.testing.assert_array_equal(data.array, D)
    np.save(tmp_path / "line.npy", np.arange(5.0))
    assert load(tmp_path / "line.npy").array.shape == (5,)


@pytest.mark.parametrize("key", ["points", "X", "data", "anything"])
def test_npz_data_array_without_labels(tmp_path, key):
    np.savez(tmp_path / "x.npz", **{key: POINTS})
    data = load(tmp_path / "x.npz")
    assert data.kind == "points" and data.labels is None
    np.testing.assert_array_equal(data.array, POINTS)


@pytest.mark.parametrize("label_key", ["labels", "y"])
def test_npz_with_labels(tmp_path, label_key):
    labels = np.array(["a", "b", "a", "c"])
    np.savez(tmp_path / "x.npz", other=np.zeros(3), X=POINTS, **{label_key: labels})
    data = load(tmp_path / "x.npz")
    np.testing.assert_array_equal(data.array, POINTS)
    np.testing.assert_array_equal(data.labels, labels)


def test_npz_image_and_distances(tmp_path):
    np.savez(tmp_path / "img.npz", image=np.eye(3))
    assert load(tmp_path / "img.npz").kind == "image"
    np.savez(tmp_path / "d.npz", distances=1 - np.eye(3))
    assert load(tmp_path / "d.npz", precomputed=True).kind == "distances"
    assert "precomputed" in input_error(tmp_path / "d.npz")


def test_npz_without_a_recognised_array(tmp_path):
    np.savez(tmp_path / "two.npz", a=POINTS, b=POINTS)
    message = input_error(tmp_path / "two.npz")
    assert "a, b" in message and "points" in message
    np.savez(tmp_path / "mislabelled.npz", X=POINTS, y=np.arange(3))
    assert "one label per row" in input_error(tmp_path / "mislabelled.npz")


# --- text tables --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "delimiter", "header"),
    [
        ("p.csv", ",", "x,y,z\n"),
        ("p.csv", ";", '"x";"y";"z"\n'),
        ("p.tsv", "\t", "x\ty\tz\n"),
        ("p.txt", " ", ""),
        ("p.txt", "  \t ", "# a comment\n\n"),
    ],
)
def test_text_tables(tmp_path, name, delimiter, header):
    body = "\n".join(delimiter.join(f" {v!r}" for v in row) for row in POINTS.tolist())
    (tmp_path / name).write_text(header + body + "\n\n")
    data = load(tmp_path / name)
    assert data.kind == "points" and data.array.dtype == np.float64
    np.testing.assert_array_equal(data.array, POINTS)


def test_single_row_table_is_2d(tmp_path):
    (tmp_path / "one.csv").write_text("1,2,3\n")
    assert load(tmp_path / "one.csv").array.shape == (1, 3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x,y,z\n1,2,3\n4,5\n", "row 3 has 2 values, expected 3"),
        ("x,y,z\n1,2,3\n4,five,6\n", "row 3, column 2 is 'five', not a number"),
        ("1,2,oops\n", "row 1, column 3 is 'oops', not a number"),
        # a first row with numbers in it is data, whatever its first cell: never a header
        ("NA,1,2\n3,4,5\n", "row 1, column 1 is 'NA', not a number"),
        ("id,x,7\n3,4,5\n", "row 1, column 1 is 'id', not a number"),
        ("1,2,3\n\n4,,6\n", "row 3, column 2 is empty"),
        ("x,y,z\n", "has a header but no rows of numbers"),
        ("\n# only a comment\n", "holds no numbers"),
    ],
)
def test_table_errors_name_row_and_column(tmp_path, text, expected):
    (tmp_path / "bad.csv").write_text(text)
    assert input_error(tmp_path / "bad.csv").startswith(f"{tmp_path / 'bad.csv'}: {expected}")


# --- meshes -------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".ply", ".off", ".obj", ".stl"])
def test_meshes_give_vertices_and_keep_the_mesh(tmp_path, suffix):
    ball = trimesh.creation.icosphere(subdivisions=1)
    ball.export(tmp_path / f"ball{suffix}")
    data = load(tmp_path / f"ball{suffix}")
    assert data.kind == "points" and data.array.dtype == np.float64
    np.testing.assert_allclose(sorted_rows(data.array), sorted_rows(ball.vertices), atol=1e-6)
    assert isinstance(data.mesh, trimesh.Trimesh) and len(data.mesh.faces) == len(ball.faces)


def test_point_cloud_ply_gives_its_vertices(tmp_path):
    trimesh.PointCloud(POINTS).export(tmp_path / "cloud.ply")
    data = load(tmp_path / "cloud.ply")
    np.testing.assert_allclose(data.array, POINTS, atol=1e-6)
    assert data.mesh is None
    assert load(tmp_path / "cloud.ply", sample=2, seed=0).array.shape == (2, 3)


def test_sample_on_a_mesh_lies_on_its_surface(tmp_path):
    ball = trimesh.creation.icosphere(subdivisions=3)
    ball.export(tmp_path / "ball.stl")
    data = load(tmp_path / "ball.stl", sample=3000, seed=1)
    assert data.array.shape == (3000, 3) and data.mesh is not None
    # every point is between the polyhedron's inscribed sphere and its circumscribed unit sphere
    inradius = np.abs(np.einsum("ij,ij->i", ball.face_normals, ball.triangles[:, 0])).min()
    assert inradius > 0.99
    radii = np.linalg.norm(data.array, axis=1)
    assert radii.min() >= inradius - 1e-9 and radii.max() <= 1 + 1e-9
    # spread over the whole sphere, not stuck at the vertices
    assert np.abs(data.array.mean(axis=0)).max() < 0.05 and not np.isin(radii, 1.0).any()
    np.testing.assert_array_equal(
        load(tmp_path / "ball.stl", sample=3000, seed=1).array, data.array
    )
    assert not np.array_equal(load(tmp_path / "ball.stl", sample=3000, seed=2).array, data.array)


def test_sample_on_a_cube_is_exactly_on_its_faces(tmp_path):
    trimesh.creation.box(extents=(2.0, 2.0, 2.0)).export(tmp_path / "cube.off")
    points = load(tmp_path / "cube.off", sample=500, seed=0).array
    np.testing.assert_allclose(np.abs(points).max(axis=1), 1.0, atol=1e-9)


# --- images -------------------------------------------------------------------------------


def test_png_is_greyscale_in_unit_range(tmp_path):
    pixels = np.arange(0, 240, 10, dtype=np.uint8).reshape(4, 6)
    Image.fromarray(pixels).save(tmp_path / "g.png")
    data = load(tmp_path / "g.png")
    assert data.kind == "image" and data.array.dtype == np.float64
    np.testing.assert_allclose(data.array, pixels / 255.0)


def test_colour_16_bit_and_multipage_images(tmp_path):
    rgb = np.zeros((3, 5, 3), dtype=np.uint8)
    rgb[..., 1] = 255
    Image.fromarray(rgb).save(tmp_path / "green.bmp")
    np.testing.assert_allclose(load(tmp_path / "green.bmp").array, 150 / 255)  # 0.587 * 255
    deep = np.array([[0, 1000], [30000, 65535]], dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    np.testing.assert_allclose(load(tmp_path / "deep.png").array, deep / 65535.0)
    pages = [Image.fromarray(np.full((4, 5), 50 * i, dtype=np.uint8)) for i in range(3)]
    pages[0].save(tmp_path / "stack.tif", save_all=True, append_images=pages[1:])
    volume = load(tmp_path / "stack.tif").array
    assert volume.shape == (3, 4, 5)
    np.testing.assert_allclose(volume[:, 0, 0], [0, 50 / 255, 100 / 255])
    flat = Image.fromarray(np.full((8, 8), 128, dtype=np.uint8))
    flat.save(tmp_path / "flat.JPG")  # extensions are matched in any case
    np.testing.assert_allclose(load(tmp_path / "flat.JPG").array, 128 / 255, atol=2 / 255)


def test_images_take_no_sample_or_precomputed(tmp_path):
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(tmp_path / "g.png")
    assert "cannot be sampled" in input_error(tmp_path / "g.png", sample=3)
    assert "not a distance matrix" in input_error(tmp_path / "g.png", precomputed=True)


# --- sampling point clouds ----------------------------------------------------------------


def test_sample_rows_without_replacement_with_their_labels(tmp_path):
    X = np.arange(300.0).reshape(100, 3)
    np.savez(tmp_path / "x.npz", X=X, labels=np.arange(100))
    data = load(tmp_path / "x.npz", sample=30, seed=5)
    assert data.array.shape == (30, 3)
    rows = (data.array[:, 0] / 3).astype(int)
    assert len(np.unique(rows)) == 30
    np.testing.assert_array_equal(data.array, X[rows])
    np.testing.assert_array_equal(data.labels, rows)
    np.testing.assert_array_equal(load(tmp_path / "x.npz", sample=30, seed=5).array, data.array)
    assert not np.array_equal(load(tmp_path / "x.npz", sample=30, seed=6).array, data.array)
    assert "cannot sample 101 points from 100" in input_error(tmp_path / "x.npz", sample=101)
    assert "positive" in input_error(tmp_path / "x.npz", sample=0)


def test_sample_a_distance_matrix_keeps_the_same_rows_and_columns(tmp_path):
    n = 40
    np.save(tmp_path / "d.npy", np.add.outer(1000.0 * np.arange(n), np.arange(n)))  # row, col
    sub = load(tmp_path / "d.npy", precomputed=True, sample=10, seed=0).array
    rows, cols = sub[:, 0] // 1000, sub[0] % 1000
    assert sub.shape == (10, 10) and len(np.unique(rows)) == 10
    np.testing.assert_array_equal(rows, cols)
    np.testing.assert_array_equal(sub, np.add.outer(1000.0 * rows, cols))
    np.save(tmp_path / "wide.npy", np.zeros((3, 4)))
    assert "must be square" in input_error(tmp_path / "wide.npy", precomputed=True, sample=2)


# --- errors -------------------------------------------------------------------------------


def test_missing_directory_unknown_and_empty(tmp_path):
    assert input_error(tmp_path / "nope.npy").endswith(": no such file")
    assert "is a directory" in input_error(tmp_path)
    (tmp_path / "x.xyz").write_text("1 2 3\n")
    message = input_error(tmp_path / "x.xyz")
    assert "unknown file type '.xyz'" in message and ".npy" in message and ".png" in message
    for name in ("e.npy", "e.csv", "e.ply", "e.png"):
        (tmp_path / name).write_bytes(b"")
        assert input_error(tmp_path / name).endswith(": file is empty")


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.npy", b"not an array at all", "not a NumPy .npy file"),
        ("cut.npy", b"\x93NUMPY\x01\x00", "cannot read as a NumPy .npy file"),
        ("bad.npz", b"PK\x03\x04 truncated zip", "cannot read as a NumPy .npz archive"),
        ("bad.ply", b"garbage\n1 2 3\n", "cannot read as a mesh (Not a ply file!)"),
        ("bad.off", bytes(range(256)) * 3, "cannot read as a mesh"),
        ("bad.obj", b"nothing to see\n", "holds no vertices"),
        ("bad.png", b"\x89PNG\r\n\x1a\n broken", "cannot read as an image"),
        ("bad.csv", b"\xff\xfe\x00\x01", "cannot read as a text table"),
    ],
)
def test_corrupt_files(tmp_path, name, content, expected):
    (tmp_path / name).write_bytes(content)
    assert expected in input_error(tmp_path / name)


def test_a_table_that_is_not_utf8_names_the_byte(tmp_path):
    (tmp_path / "latin1.csv").write_bytes("x,é\n1,2\n".encode("latin-1"))
    message = input_error(tmp_path / "latin1.csv")
    assert "byte 0xe9 at offset 2 is not UTF-8" in message and "save it as UTF-8" in message
    (tmp_path / "bom.csv").write_bytes("x,y\n1,2\n".encode("utf-8-sig"))
    np.testing.assert_array_equal(load(tmp_path / "bom.csv").array, [[1.0, 2.0]])


def test_non_numeric_arrays_and_misused_precomputed(tmp_path):
    np.save(tmp_path / "words.npy", np.array(["a", "b"]))
    assert "not numbers" in input_error(tmp_path / "words.npy")
    trimesh.creation.box().export(tmp_path / "box.ply")
    assert "a mesh is not a distance matrix" in input_error(tmp_path / "box.ply", precomputed=True)


# --- generators ---------------------------------------------------------------------------

GENERATORS = {
    circle: 2,
    sphere: 3,
    torus: 3,
    klein_bottle: 4,
    swiss_roll: 3,
    wedge_of_spheres: 3,
}


@pytest.mark.parametrize("make", GENERATORS, ids=lambda f: f.__name__)
def test_generators_are_seeded_float64_and_leave_global_state_alone(make):
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (the legacy global state)
    X = make(64, noise=0.05, seed=1)
    assert X.shape == (64, GENERATORS[make]) and X.dtype == np.float64
    np.testing.assert_array_equal(make(64, noise=0.05, seed=1), X)
    assert not np.allclose(make(64, noise=0.05, seed=2), X)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_circle_and_spheres_have_the_radius():
    np.testing.assert_allclose(np.linalg.norm(circle(100, radius=2.5, seed=0), axis=1), 2.5)
    for dim in (1, 2, 4):
        X = sphere(200, dim=dim, radius=0.5, seed=0)
        assert X.shape == (200, dim + 1)
        np.testing.assert_allclose(np.linalg.norm(X, axis=1), 0.5)
    noisy = np.linalg.norm(sphere(4000, noise=0.05, seed=0), axis=1)
    assert 0.045 < np.std(noisy - 1.0) < 0.055


def test_torus_equation_and_uniform_area():
    R, r = 3.0, 1.0
    X = torus(20000, R=R, r=r, seed=0)
    ring = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose((ring - R) ** 2 + X[:, 2] ** 2, r**2)
    # the outer half (cos v > 0) holds 1/2 + r / (pi R) of the area; uniform angles give 1/2
    assert abs(np.mean(ring > R) - (0.5 + r / (np.pi * R))) < 0.015


def test_klein_bottle_equations_and_uniform_area():
    R, r = 2.0, 1.0
    X = klein_bottle(20000, R=R, r=r, seed=0)
    ring = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose((ring - R) ** 2 + X[:, 2] ** 2 + X[:, 3] ** 2, r**2)
    half = np.mod(np.arctan2(X[:, 1], X[:, 0]), 2 * np.pi) / 2  # (z, w) points along u / 2
    np.testing.assert_allclose(X[:, 2] * np.sin(half) - X[:, 3] * np.cos(half), 0, atol=1e-9)

    def density(v):  # the area element, up to the factor r
        return np.hypot(R + r * np.cos(v), r * np.sin(v) / 2)

    outer = quad(density, -np.pi / 2, np.pi / 2)[0] / quad(density, 0, 2 * np.pi)[0]
    assert abs(np.mean(ring > R) - outer) < 0.015


def test_swiss_roll_lies_on_its_spiral():
    X = swiss_roll(500, seed=0)
    t = np.hypot(X[:, 0], X[:, 1])
    assert t.min() >= 1.5 * np.pi and t.max() <= 4.5 * np.pi
    np.testing.assert_allclose(X[:, 0], t * np.cos(t), atol=1e-9)
    np.testing.assert_allclose(X[:, 1], t * np.sin(t), atol=1e-9)


@pytest.mark.parametrize(("dim", "k"), [(2, 2), (1, 3), (2, 4)])
def test_wedge_spheres_pass_through_the_origin_and_meet_only_there(dim, k):
    radius = 1.5
    X = wedge_of_spheres(600, dim=dim, n_spheres=k, radius=radius, seed=0)
    assert X.shape == (600, dim + (k + 1) // 2)
    groups = np.array_split(X, k)
    heights = []
    for P in groups:
        # a sphere of this radius through the origin: |p|^2 = 2 radius (p . e) for a unit e,
        # inside a (dim + 1)-dimensional subspace
        w = np.linalg.lstsq(P, (P**2).sum(axis=1), rcond=None)[0]
        np.testing.assert_allclose(P @ w, (P**2).sum(axis=1), atol=1e-9)
        assert np.isclose(np.linalg.norm(w), 2 * radius)
        assert np.linalg.matrix_rank(P, tol=1e-9) == dim + 1
        heights.append(P @ w / (2 * radius))  # = |p|^2 / (2 radius), the height above the origin
    # two spheres only meet at the origin: points of different spheres are at least
    # (|p|^2 + |q|^2) / (2 sqrt 2 radius) apart, which is zero only at p = q = 0
    for i in range(k):
        for j in range(i + 1, k):
            gap = np.linalg.norm(groups[i][:, None] - groups[j][None], axis=-1)
            bound = (heights[i][:, None] + heights[j][None]) / np.sqrt(2)
            assert (gap >= bound - 1e-9).all()


def test_generator_arguments_are_checked():
    for call, message in [
        (lambda: circle(0), "circle: n must be an integer >= 1, not 0"),
        (lambda: sphere(10, dim=0), "sphere: dim must be an integer >= 1"),
        (lambda: torus(10, R=1.0, r=2.0), "torus: R=1.0 must exceed r=2.0"),
        (lambda: klein_bottle(10, noise=-0.1), "klein_bottle: noise must be >= 0"),
        (lambda: swiss_roll(2.5), "swiss_roll: n must be an integer >= 1, not 2.5"),
        (lambda: wedge_of_spheres(2, n_spheres=3), "fewer than n_spheres=3"),
        (lambda: circle(10, radius=float("nan")), "radius must be a finite number"),
    ]:
        with pytest.raises(InputError, match=message):
            call()


# --- the package --------------------------------------------------------------------------


def test_shipped_torus_example_is_the_seeded_torus():
    data = load(ROOT / "examples" / "torus.npy")
    np.testing.assert_allclose(data.array, torus(400, noise=0.02, seed=0), rtol=0, atol=1e-12)
