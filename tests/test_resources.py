"""Memory and time estimates: what will not fit is refused from its size, before it is built."""

import re
import time

import gudhi
import gudhi.random
import numpy as np
import pytest
from PIL import Image

import tda_pipe as tp
from tda_pipe import cli
from tda_pipe.datasets import load
from tda_pipe.datasets import readers as R
from tda_pipe.errors import InputError
from tda_pipe.pipelines.runner import StageError, run_pipeline
from tda_pipe.pipelines.spec import parse_spec
from tda_pipe.pipelines.stages import registered_stages
from tda_pipe.tda import backends as B
from tda_pipe.tda import filtrations as F
from tda_pipe.tda.resources import (
    Estimate,
    alpha_simplices,
    check_fits,
    cubical_estimate,
    downsampled_shape,
    intrinsic_dimension,
    sparse_rips_estimate,
    sparse_rips_simplices,
    weighted_rips_simplices,
)

GiB = 2**30


def quick(call, *args, **kwargs):
    """``call(*args, **kwargs)`` and the seconds it took."""
    start = time.perf_counter()
    result = call(*args, **kwargs)
    return result, time.perf_counter() - start


def refused(call, *args, **kwargs) -> tuple[str, float]:
    """The InputError message of ``call(*args, **kwargs)`` and the seconds it took."""
    start = time.perf_counter()
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message, time.perf_counter() - start


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory):
    """A constant 10000 x 10000 PNG: a few hundred KB on disk, 10^8 pixels decoded."""
    path = tmp_path_factory.mktemp("huge") / "huge.png"
    Image.new("L", (10_000, 10_000), 0).save(path)
    assert path.stat().st_size < 300_000
    return path


@pytest.fixture
def memory(monkeypatch):
    """Set the available memory seen by the readers and the filtration builders."""

    def set_available(nbytes: float) -> None:
        monkeypatch.setattr(R, "available_memory", lambda: int(nbytes))
        monkeypatch.setattr(F, "available_memory", lambda: int(nbytes))

    return set_available


# -- images ------------------------------------------------------------------------------------


def test_huge_png_is_refused_from_its_header(huge_png, memory):
    memory(16 * GiB)
    message, seconds = refused(load, huge_png)
    assert seconds < 1.0
    assert message.startswith(f"{huge_png}: cubical persistence of a 10000 x 10000 image")
    assert "needs about 39.1 GiB" in message
    assert "more than 80% of the 16.0 GiB available" in message
    assert "--downsample 2" in message and "downsample=2" in message


def test_huge_png_is_refused_by_analyze_before_the_out_folder(huge_png, memory, tmp_path, capsys):
    memory(16 * GiB)
    registered_stages()  # imports every stage's module (torch, ...) once, outside the timing
    out = tmp_path / "x"
    code, seconds = quick(cli.main, ["analyze", str(huge_png), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert seconds < 1.0
    assert not out.exists()
    assert err.count("\n") == 1 and "--downsample 2" in err and "39.1 GiB" in err


def test_downsample_lets_the_huge_png_through(huge_png, memory):
    memory(16 * GiB)
    data = load(huge_png, downsample=4)
    assert data.kind == "image" and data.array.shape == (2500, 2500)
    assert data.array.dtype == np.float64 and not data.array.any()


def _block_means(array: np.ndarray, k: int) -> np.ndarray:
    """Brute force: the mean of every k x ... x k block, the last ones cut short."""
    shape = downsampled_shape(array.shape, k)
    out = np.empty(shape)
    for index in np.ndindex(*shape):
        out[index] = array[tuple(slice(i * k, (i + 1) * k) for i in index)].mean()
    return out


@pytest.mark.parametrize("k", [1, 2, 3, 7])
def test_downsample_is_a_block_mean(tmp_path, k):
    pixels = np.random.default_rng(k).integers(0, 256, size=(13, 20), dtype=np.uint8)
    Image.fromarray(pixels, mode="L").save(tmp_path / "img.png")
    data = load(tmp_path / "img.png", downsample=k)
    assert data.array.shape == (-(-13 // k), -(-20 // k))
    np.testing.assert_allclose(data.array, _block_means(pixels / 255.0, k), rtol=0, atol=1e-12)


def test_downsample_of_16_bit_images_multipage_tiffs_and_npz_images(tmp_path):
    rng = np.random.default_rng(0)
    deep = rng.integers(0, 65536, size=(9, 10)).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    np.testing.assert_allclose(
        load(tmp_path / "deep.png", downsample=4).array, _block_means(deep / 65535.0, 4), atol=1e-12
    )
    pages = rng.integers(0, 256, size=(5, 6, 7), dtype=np.uint8)
    frames = [Image.fromarray(p, mode="L") for p in pages]
    frames[0].save(tmp_path / "stack.tif", save_all=True, append_images=frames[1:])
    stack = load(tmp_path / "stack.tif", downsample=2).array
    assert stack.shape == (3, 3, 4)
    np.testing.assert_allclose(stack, _block_means(pages / 255.0, 2), atol=1e-12)
    voxels = rng.random((4, 5, 6))
    np.savez(tmp_path / "voxels.npz", image=voxels)
    np.testing.assert_allclose(
        load(tmp_path / "voxels.npz", downsample=3).array, _block_means(voxels, 3), atol=1e-12
    )


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_downsample_must_be_a_positive_integer(tmp_path, bad):
    Image.new("L", (4, 4)).save(tmp_path / "img.png")
    message, _ = refused(load, tmp_path / "img.png", downsample=bad)
    assert "downsample must be a positive integer" in message


def test_downsample_applies_to_images_only(tmp_path):
    np.save(tmp_path / "pts.npy", np.random.default_rng(0).random((10, 2)))
    message, _ = refused(load, tmp_path / "pts.npy", downsample=2)
    assert "downsample" in message and "sample" in message


def test_load_stage_downsample_parameter(tmp_path, memory):
    """An image refused at full size goes through the pipeline with the factor the error names."""
    memory(1.5 * 2**20)
    pixels = np.random.default_rng(0).integers(0, 256, size=(60, 60), dtype=np.uint8)
    Image.fromarray(pixels, mode="L").save(tmp_path / "img.png")
    stages = ["filtration", {"persistence": {"max_dim": 1}}]
    with pytest.raises(StageError, match=r"60 x 60 image.*--downsample 2"):
        run_pipeline(parse_spec({"stages": ["load", *stages]}), tmp_path / "img.png", None)
    spec = parse_spec({"stages": [{"load": {"downsample": 2}}, *stages]})
    run = run_pipeline(spec, tmp_path / "img.png", None, keep=("data", "diagrams"))
    means = _block_means(pixels / 255.0, 2)
    np.testing.assert_allclose(run.artifacts["data"].array, means, rtol=0, atol=1e-12)
    diagrams = run.artifacts["diagrams"]
    assert diagrams.filtration == "cubical"
    # the same up to rounding (ties between equal means may pair differently)
    assert tp.bottleneck(diagrams, tp.persistence(means, max_dim=1, filtration="cubical")) < 1e-9


def test_cubical_builder_refuses_an_array_too_large_and_names_the_factor(memory):
    memory(2 * GiB)
    message, seconds = refused(F.cubical, np.zeros((3000, 3000)))
    assert seconds < 1.0
    assert message.startswith("cubical persistence of a 3000 x 3000 image needs about 3.5 GiB")
    assert "--downsample 2" in message
    assert F.cubical(np.zeros((1500, 1500))).n_vertices == 1500**2


# -- alpha -------------------------------------------------------------------------------------


def test_alpha_in_high_dimension_is_refused_quickly(memory):
    memory(64 * GiB)
    X = np.random.default_rng(0).standard_normal((50_000, 10))
    for call in (F.build_filtration, tp.persistence):
        kwargs = {"filtration": "alpha"} if call is tp.persistence else {"kind": "alpha"}
        message, seconds = refused(call, X, **kwargs)
        assert seconds < 1.0
        assert message.startswith("the alpha complex of 50000 points in R^10 needs about")
        assert "simplices" in message and "longer than the 10 min allowed" in message
        assert re.search(r"--filtration rips with --threshold T.*--sparse EPS.*--sample N", message)
    message, _ = refused(F.alpha, X[:2000])  # the run that had not finished after 80 s
    assert "2000 points in R^10" in message


def test_moderate_alpha_in_r3_is_accepted(memory):
    memory(4 * GiB)
    X = np.random.default_rng(0).random((3000, 3))
    d = tp.persistence(X, max_dim=2, filtration="alpha")
    assert d.filtration == "alpha" and len(d) == 3


@pytest.mark.parametrize("n, d", [(1000, 2), (1000, 3), (300, 4), (100, 5), (60, 6)])
def test_alpha_simplex_estimate_is_near_gudhi(n, d):
    """The model behind the refusal against gudhi's own count (uniform and Gaussian points)."""
    rng = np.random.default_rng(d)
    for X in (rng.random((n, d)), rng.standard_normal((n, d))):
        count = gudhi.AlphaComplex(points=X).create_simplex_tree().num_simplices()
        assert 0.7 <= alpha_simplices(n, d) / count <= 2.0, (n, d, count)


def test_alpha_estimate_of_few_points_is_their_subsets():
    # 6 points in R^20 are affinely independent: the alpha complex is the full 5-simplex
    X = np.random.default_rng(0).random((6, 20))
    count = gudhi.AlphaComplex(points=X).create_simplex_tree().num_simplices()
    assert count == 2**6 - 1 == round(alpha_simplices(6, 20))


def test_auto_never_picks_alpha_above_r3(memory):
    """Above R^3 auto takes exact Rips while it is small, Rips on landmarks beyond."""
    memory(2**50)
    rng = np.random.default_rng(0)
    for d in (4, 5, 10):
        for max_dim in (1, 2):
            small = F.build_filtration(rng.random((F.AUTO_LANDMARK_MIN_POINTS, d)), max_dim=max_dim)
            assert small.kind == "rips", (d, max_dim)
            large = F.build_filtration(rng.random((6000, d)), max_dim=max_dim)
            assert large.kind == "landmark-rips", (d, max_dim)
            assert "more than 5000 for Rips" in large.reason
    assert F.build_filtration(rng.random((50_000, 3)), max_dim=1).kind == "alpha"


# -- Rips --------------------------------------------------------------------------------------


def test_rips_refusal_says_the_margin(memory):
    """The reported case: 18.6 GiB asked with 20.7 GiB available was refused with no reason."""
    memory(20.7 * GiB)
    X = np.random.default_rng(0).random((50_000, 5))
    filt = F.rips(X)
    message, seconds = refused(filt.check_memory)
    assert seconds < 1.0
    assert message.startswith(
        "Rips on 50000 points needs about 18.6 GiB for the distance matrix, more than 80% of "
        "the 20.7 GiB available (20% is kept for the rest of the run); use --threshold T"
    )
    assert "--sparse EPS" in message and "--sample N" in message and "alpha" not in message


def test_rips_estimate_counts_the_complex_and_refuses_at_build(memory):
    memory(20.7 * GiB)
    X = np.random.default_rng(0).random((30_000, 3))
    message, seconds = refused(F.build_filtration, X, "rips", max_dim=1)
    assert seconds < 1.0
    assert message.startswith(
        "Rips H1 on 30000 points needs about 6.7 GiB for the distance matrix and 40.2 GiB for "
        "the complex (48 bytes a pair of points, giotto-ph), 46.9 GiB in all, more than 80%"
    )
    assert "--filtration alpha" in message
    # H0 goes through a spanning tree: no matrix, nothing refused
    assert F.build_filtration(X, "rips", max_dim=0).n_vertices == 30_000
    # a given dense matrix is not counted again, only the complex
    memory(256 * 2**20)
    message, _ = refused(F.build_filtration, np.zeros((3000, 3000)), "rips", metric="precomputed")
    assert message.startswith("Rips H1 on 3000 points needs about 412.0 MiB for the complex")


# -- the check itself --------------------------------------------------------------------------


def test_check_fits_limits():
    est = Estimate("a job", (("its table", 8.0 * GiB), ("its index", 2.0 * GiB)), 700.0)
    assert est.bytes == 10 * GiB
    check_fits(est, available=12.5 * GiB, fixes="x")  # 10 GiB is 80% of 12.5 GiB
    with pytest.raises(
        InputError,
        match=r"^a job needs about 8\.0 GiB for its table and 2\.0 "
        r"GiB for its index, 10\.0 GiB in all and about 12 min, more than 80% of "
        r"the 12\.4 GiB available .*; shrink it$",
    ):
        check_fits(est, available=12.4 * GiB, fixes="shrink it")
    check_fits(est, available=1e15, fixes="x", time_limit=700)
    with pytest.raises(InputError, match=r"12 min, longer than the 10 min allowed; wait less$"):
        check_fits(est, available=1e15, fixes="wait less", time_limit=600)


def test_cubical_estimate_grows_with_the_cells_per_pixel():
    one, two, three = (
        cubical_estimate(s).bytes / 10**6 for s in [(10**6,), (1000, 1000), (100,) * 3]
    )
    assert one < two < three


def test_alpha_on_a_million_points_in_r3_is_estimated_for_the_delaunay_route(monkeypatch):
    monkeypatch.setattr(F, "available_memory", lambda: 6 * 2**30)  # a small laptop's free memory
    points = np.random.default_rng(0).random((10**6, 3))
    assert F.alpha(points).points.shape == (10**6, 3)  # 2.8 GiB fits; gudhi's 14 GiB would not
    with pytest.raises(InputError, match=r"alpha complex of 1000000 points in R\^4"):
        F.alpha(np.random.default_rng(0).random((10**6, 4)))


# -- sparse Rips -------------------------------------------------------------------------------


def circle_in(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """A circle mapped isometrically into R^dim (intrinsic dimension 1)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    frame, _ = np.linalg.qr(rng.standard_normal((dim, 2)))
    return np.column_stack([np.cos(t), np.sin(t)]) @ frame.T


def gudhi_sparse_count(max_dim: int, eps: float, **source) -> int:
    gudhi.random.set_seed(0)
    st = gudhi.RipsComplex(**source, sparse=eps).create_simplex_tree(max_dimension=max_dim + 1)
    return st.num_simplices()


def test_intrinsic_dimension_is_that_of_the_shape_not_of_the_space():
    rng = np.random.default_rng(0)
    assert round(intrinsic_dimension(circle_in(3000, 100))) == 1
    assert round(intrinsic_dimension(rng.random((3000, 3)))) == 3
    flat = rng.random((2000, 2))
    square = flat @ np.linalg.qr(rng.standard_normal((768, 2)))[0].T  # an isometry into R^768
    assert 1.7 < intrinsic_dimension(square) < 2.3
    D = np.linalg.norm(flat[:500, None] - flat[None, :500], axis=2)
    assert 1.7 < intrinsic_dimension(distances=D) < 2.3
    assert np.isnan(intrinsic_dimension(np.zeros((50, 3))))  # duplicates only


@pytest.mark.parametrize(
    "name, eps, max_dim",
    [
        ("cube2", 0.5, 1),
        ("cube2", 0.3, 1),
        ("cube3", 0.75, 1),
        ("cube3", 0.6, 2),
        ("circle", 0.5, 1),
    ],
)
def test_sparse_rips_estimate_bounds_gudhi_within_a_factor(name, eps, max_dim):
    """The model against gudhi's own count: never below 0.8 of it, never 5 times above."""
    rng = np.random.default_rng(1)
    X = {
        "cube2": rng.random((800, 2)),
        "cube3": rng.random((300, 3)),
        "circle": circle_in(800, 30),
    }[name]
    dim = min(intrinsic_dimension(X), X.shape[1])
    estimate = sparse_rips_simplices(len(X), dim, eps, max_dim)
    count = gudhi_sparse_count(max_dim, eps, points=X)
    assert 0.8 <= estimate / count <= 5.0, (estimate, count)


def test_sparse_rips_estimate_of_a_distance_matrix():
    X = np.random.default_rng(2).random((400, 2))
    D = np.linalg.norm(X[:, None] - X[None], axis=2)
    count = gudhi_sparse_count(1, 0.5, distance_matrix=D)
    estimate = sparse_rips_estimate(400, intrinsic_dimension(distances=D), 0.5, 1, matrix=True)
    assert 0.8 <= estimate.bytes / (count * 110 + 4 * 400**2) <= 5.0
    assert "gudhi's copy of the distance matrix" in estimate.describe()


def test_too_large_sparse_rips_is_refused_before_it_is_built(memory):
    memory(1 * GiB)
    X = np.random.default_rng(0).random((200_000, 3))
    for call, kwargs in ((F.build_filtration, {"kind": "sparse-rips"}), (tp.persistence, {})):
        message, seconds = refused(call, X, epsilon=0.5, **kwargs)
        assert seconds < 2.0
        assert message.startswith(
            "sparse Rips (epsilon 0.5) H1 on 200000 points of dimension 3 needs about"
        )
        assert "simplices (110 bytes each, gudhi)" in message and "80% of the 1.0 GiB" in message
        assert re.search(r"larger --sparse EPS.*--threshold T.*--max-dim.*--sample N", message)
    # a threshold bounds the complex: no estimate is made, as for Rips
    assert F.build_filtration(X, "sparse-rips", epsilon=0.5, threshold=0.01).n_vertices == 200_000


def test_sparse_rips_of_a_low_dimensional_set_in_a_big_space_is_counted_at_its_dimension(memory):
    memory(4 * GiB)
    X = circle_in(10_000, 768)
    assert F.build_filtration(X, "sparse-rips", epsilon=0.5).n_vertices == 10_000
    cube = np.random.default_rng(0).random((10_000, 12))
    message, _ = refused(F.build_filtration, cube, "sparse-rips", epsilon=0.5)
    assert "10000 points of dimension" in message


def test_sparse_rips_refuses_a_non_euclidean_matrix_too_large_before_computing_it(memory):
    memory(200 * 2**20)
    X = np.random.default_rng(0).random((5000, 3))
    message, seconds = refused(F.sparse_rips, X, 0.5, metric="cityblock")
    assert seconds < 0.5
    assert message.startswith(
        "the cityblock distances of 5000 points needs about 190.7 MiB for the matrix"
    )
    assert "euclidean metric" in message


def test_too_large_sparse_rips_exits_2_from_the_cli(tmp_path, memory, capsys):
    memory(1 * GiB)
    np.save(tmp_path / "x.npy", np.random.default_rng(0).random((200_000, 3)))
    out = tmp_path / "out"
    code = cli.main(["analyze", str(tmp_path / "x.npy"), "--sparse", "0.5", "-o", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "sparse Rips (epsilon 0.5) H1 on 200000 points" in err


# -- weighted Rips -----------------------------------------------------------------------------


def collapsed_count(filt, max_dim: int) -> int:
    """Simplices of the tree rips_gudhi reduces for a filtration with vertex values."""
    ranked = B.rank_flag(filt)
    st = gudhi.SimplexTree()
    st.insert_batch(np.arange(ranked.n)[None, :], ranked.vertex_ranks().astype(float))
    st.insert_edges_from_coo_matrix(ranked.rank_matrix(dense=False))
    st.collapse_edges()
    st.expansion(max_dim + 1)
    return st.num_simplices()


@pytest.mark.parametrize(
    "d, n, max_dim, how",
    [
        (2, 400, 1, "uniform"),
        (3, 300, 1, "uniform"),
        (3, 300, 1, "dtm"),
        (3, 200, 2, "uniform"),
        (5, 200, 1, "uniform"),
    ],
)
def test_weighted_rips_estimate_bounds_the_collapsed_tree(d, n, max_dim, how):
    """The model against the simplices gudhi keeps: never below, never 5 times above."""
    rng = np.random.default_rng(d)
    X = rng.random((n, d))
    filt = F.dtm(X) if how == "dtm" else F.weighted_rips(X, 0.05 * rng.random(n))
    count = collapsed_count(filt, max_dim)
    assert 1.0 <= weighted_rips_simplices(n, d, max_dim) / count <= 5.0, count


def test_weighted_rips_that_would_not_finish_is_refused_before_it_is_built(memory):
    memory(2**50)
    rng = np.random.default_rng(0)
    X = rng.random((6000, 3))
    for kind, kwargs in (("weighted-rips", {"weights": rng.random(6000)}), ("dtm", {})):
        message, seconds = refused(F.build_filtration, X, kind, **kwargs)
        assert seconds < 2.0
        assert message.startswith("weighted Rips H1 on 6000 points in R^3 needs about")
        assert "after the edge collapse" in message and "longer than the 10 min allowed" in message
        assert re.search(r"--threshold T.*--max-dim 0.*--sample N", message)
        assert F.build_filtration(X, kind, max_dim=0, **kwargs).n_vertices == 6000  # a tree
    # a distance matrix with vertex values: no dimension, counted as every subset
    memory(4 * GiB)
    D = np.random.default_rng(1).random((1500, 1500))
    D = D + D.T
    message, _ = refused(F.build_filtration, D, "rips", metric="precomputed")
    assert message.startswith("weighted Rips H1 on 1500 points needs about")
    np.fill_diagonal(D, 0.0)
    assert F.build_filtration(D, "rips", metric="precomputed").n_vertices == 1500
