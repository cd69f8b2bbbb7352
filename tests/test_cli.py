"""`tda-pipe analyze` end to end: results folders, summaries, and every bad-input case."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

import tda_pipe as tp
from tda_pipe.cli import main
from tda_pipe.tda import filtrations as F

EXPECTED_FILES = {
    ".tda-pipe.json",
    "barcode.png",
    "diagram.png",
    "diagrams.npz",
    "features.npz",
    "report.html",
    "run.json",
    "summary.json",
}


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["analyze", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def leftovers(folder: Path) -> list[str]:
    """Anything an analyze run left in ``folder`` besides the inputs."""
    return sorted(p.name for p in folder.iterdir() if p.suffix not in {".npy", ".png", ".ply"})


def test_points_npy_gives_the_full_results_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("ring.npy", tp.datasets.circle(120, noise=0.01, seed=0))
    code, out, _ = run(capsys, "ring.npy", "--scales", "0.5,1.5")
    assert code == 0
    folder = tmp_path / "ring_tda"
    assert {p.name for p in folder.iterdir()} == EXPECTED_FILES
    summary = json.loads((folder / "summary.json").read_text())
    h1 = summary["dimensions"]["H1"]
    assert h1["betti"] == {"0.5": 1, "1.5": 1} and summary["dimensions"]["H0"]["betti"]["0.5"] == 1
    assert h1["most_persistent"][0][1] - h1["most_persistent"][0][0] > 1.0  # the circle's loop
    assert summary["filtration"] == "rips" and summary["input"]["shape"] == [120, 2]
    d = tp.Diagrams.load(folder / "diagrams.npz")
    assert d.betti(1.0) == [1, 1]
    assert "H1" in out and "ring_tda" in out
    for png in ("diagram.png", "barcode.png"):
        assert (folder / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_replaces_results_and_quiet_prints_nothing(tmp_path, capsys):
    np.save(tmp_path / "pts.npy", np.random.default_rng(0).random((50, 3)))
    out_dir = tmp_path / "res"
    assert run(capsys, str(tmp_path / "pts.npy"), "--out", str(out_dir))[0] == 0
    (out_dir / "diagrams.npz").write_bytes(b"an older run's file, replaced")
    code, out, err = run(capsys, str(tmp_path / "pts.npy"), "--out", str(out_dir), "--quiet")
    assert (code, out, err) == (0, "", "")
    assert {p.name for p in out_dir.iterdir()} == EXPECTED_FILES
    assert tp.Diagrams.load(out_dir / "diagrams.npz").betti(0.0)[0] == 50
    assert leftovers(tmp_path) == ["res"]  # no temporary folder left beside it


def test_mesh_vertices_and_surface_sample(tmp_path, capsys):
    trimesh.creation.icosphere(subdivisions=2).export(tmp_path / "ball.ply")
    code, _, _ = run(
        capsys, str(tmp_path / "ball.ply"), "--max-dim", "2", "--out", str(tmp_path / "a")
    )
    assert code == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["input"]["shape"] == [162, 3]
    h2 = summary["dimensions"]["H2"]["most_persistent"][0]
    assert h2[1] - h2[0] > 0.5  # the sphere's void
    code, _, _ = run(
        capsys, str(tmp_path / "ball.ply"), "--sample", "300", "--out", str(tmp_path / "b")
    )
    assert code == 0
    assert json.loads((tmp_path / "b" / "summary.json").read_text())["input"]["shape"] == [300, 3]


def test_image_uses_cubical_persistence(tmp_path, capsys):
    yy, xx = np.mgrid[0:40, 0:40]
    ring = np.abs(np.hypot(yy - 20, xx - 20) - 12) < 2  # a dark ring on a light background
    Image.fromarray(np.where(ring, 0, 255).astype(np.uint8)).save(tmp_path / "ring.png")
    code, _, _ = run(capsys, str(tmp_path / "ring.png"), "--out", str(tmp_path / "r"))
    assert code == 0
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["filtration"] == "cubical" and summary["input"]["kind"] == "image"
    # the ring (value 0) encloses one hole that fills at the background value 1
    assert summary["dimensions"]["H1"]["most_persistent"][0] == [0.0, 1.0]


def test_precomputed_distance_matrix(tmp_path, capsys):
    X = tp.datasets.circle(60, seed=1)
    D = np.linalg.norm(X[:, None] - X[None], axis=-1)
    np.save(tmp_path / "dist.npy", D)
    out_dir = tmp_path / "d"
    assert (
        run(capsys, str(tmp_path / "dist.npy"), "--metric", "precomputed", "--out", str(out_dir))[0]
        == 0
    )
    from_matrix = tp.Diagrams.load(out_dir / "diagrams.npz")
    assert tp.bottleneck(from_matrix, tp.persistence(X, max_dim=1)) < 1e-9


def _bad_inputs(tmp: Path) -> list[tuple[list[str], str]]:
    rng = np.random.default_rng(0)
    nan = rng.random((10, 3))
    nan[4, 1] = np.nan
    inf = rng.random((10, 3))
    inf[2, 0] = np.inf
    arrays = {
        "nan.npy": nan,
        "inf.npy": inf,
        "flat.npy": rng.random(10),
        "cube.npy": rng.random((3, 3, 3)),
        "one.npy": rng.random((1, 3)),
        "wide.npy": rng.random((3, 4)),
        "asym.npy": np.array([[0.0, 1.0], [2.0, 0.0]]),
        "ok.npy": rng.random((10, 3)),
    }
    for name, array in arrays.items():
        np.save(tmp / name, array)
    (tmp / "garbage.npy").write_bytes(b"this is not a numpy file")
    return [
        (["nan.npy"], r"nan\.npy: .*NaN"),
        (["inf.npy"], r"inf\.npy: .*infinite"),
        (["flat.npy"], r"flat\.npy: .*2-D"),
        (["cube.npy"], r"cube\.npy: .*2-D"),
        (["one.npy"], r"one\.npy: .*at least 2"),
        (["wide.npy", "--metric", "precomputed"], r"wide\.npy: .*square"),
        (["asym.npy", "--metric", "precomputed"], r"asym\.npy: .*symmetric"),
        (["garbage.npy"], r"garbage\.npy"),
        (["missing.npy"], r"missing\.npy: no such file"),
        (["ok.npy", "--filtration", "nonsense"], r"unknown --filtration 'nonsense'"),
        (["ok.npy", "--backend", "nonsense"], r"unknown --backend 'nonsense'"),
        (["ok.npy", "--metric", "nonsense"], r"unknown metric 'nonsense'"),
        (["ok.npy", "--max-dim", "two"], r"max-dim"),
    ]


def test_every_bad_input_is_one_line_with_status_2_and_no_results(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import re

    for args, pattern in _bad_inputs(tmp_path):
        code, out, err = run(capsys, *args)
        assert code == 2, (args, err)
        assert err.startswith("error: ") and err.count("\n") == 1, (args, err)
        assert re.search(pattern, err), (args, err)
        assert "Traceback" not in err
        assert leftovers(tmp_path) == [], (args, leftovers(tmp_path))


def test_rips_too_large_for_memory_suggests_the_fix(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(F, "available_memory", lambda: 2**30)
    rng = np.random.default_rng(0)
    np.save(tmp_path / "big3.npy", rng.random((20_000, 3)))
    np.save(tmp_path / "big5.npy", rng.random((20_000, 5)))
    code, _, err = run(capsys, str(tmp_path / "big3.npy"), "--filtration", "rips")
    assert code == 2 and "needs about 3.0 GiB" in err and "--filtration alpha" in err
    # R^5: no alpha to suggest (auto takes Rips on landmarks there, see test_landmark_rips)
    code, _, err = run(capsys, str(tmp_path / "big5.npy"), "--filtration", "rips")
    assert code == 2 and "--threshold" in err and "--sparse" in err and "alpha" not in err
    assert leftovers(tmp_path) == []


def test_console_script_end_to_end(tmp_path):
    script = shutil.which("tda-pipe") or str(Path(sys.executable).with_name("tda-pipe"))
    np.save(tmp_path / "pts.npy", np.random.default_rng(0).random((30, 2)))
    ok = subprocess.run(
        [script, "analyze", "pts.npy", "-q"], cwd=tmp_path, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "pts_tda" / "summary.json").exists()
    bad = subprocess.run(
        [script, "analyze", "nope.npy"], cwd=tmp_path, capture_output=True, text=True
    )
    assert bad.returncode == 2 and bad.stderr.strip() == "error: nope.npy: no such file"


def test_downsample_shrinks_an_image_by_block_means(tmp_path, capsys):
    pixels = np.random.default_rng(0).integers(0, 256, size=(60, 40)).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "noise.png")
    out = tmp_path / "d"
    assert run(capsys, str(tmp_path / "noise.png"), "--downsample", "4", "--out", str(out))[0] == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"]["shape"] == [15, 10]
    blocks = pixels.reshape(15, 4, 10, 4).mean(axis=(1, 3)) / 255.0
    expected = tp.persistence(blocks, 1, filtration="cubical")
    got = tp.Diagrams.load(out / "diagrams.npz")
    for dim in (0, 1):
        np.testing.assert_allclose(np.sort(got[dim], axis=0), np.sort(expected[dim], axis=0))


def test_the_summary_is_whole_at_any_width_and_in_a_file(tmp_path):
    """At 80 columns or in a file the table shows every column; narrower, one line a dimension:
    the dimension names and every Betti number are printed, nothing is cut to '…'."""
    np.save(tmp_path / "pts.npy", tp.datasets.torus(300, seed=0))
    script = Path(sys.executable).parent / "tda-pipe"
    for width in ("80", "50"):
        done = subprocess.run(
            [script, "analyze", "pts.npy", "--out", f"w{width}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": width},
        )
        assert done.returncode == 0
        summary = json.loads((tmp_path / f"w{width}" / "summary.json").read_text())
        for name, d in summary["dimensions"].items():
            assert name in done.stdout
            assert " ".join(str(v) for v in d["betti"].values()) in done.stdout
        assert "…" not in done.stdout
        assert max(len(line) for line in done.stdout.splitlines()) <= int(width)


# --- start-up ---------------------------------------------------------------------------------

_HEAVY = {"torch", "dask", "distributed", "trimesh"}
_IMPORTED = (
    "import sys\n"
    "{code}\n"
    "loaded = set(sys.modules) | {{m.split('.')[0] for m in sys.modules}}\n"
    "print('heavy:' + ','.join(sorted(loaded & {heavy!r})))\n"
)


def _heavy_imports(code: str, cwd: Path, heavy: set[str] = _HEAVY) -> set[str]:
    """The ``heavy`` packages a fresh interpreter has imported after running ``code``."""
    script = _IMPORTED.format(code=code, heavy=heavy)
    env = {**os.environ, "TDA_PIPE_CACHE_DIR": str(cwd / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip().splitlines()[-1]
    return set(filter(None, line.removeprefix("heavy:").split(",")))


def test_import_and_analyze_of_a_point_cloud_load_no_torch_dask_or_trimesh(tmp_path):
    np.save(tmp_path / "cloud.npy", np.random.default_rng(0).normal(size=(50, 2)))
    assert _heavy_imports("import tda_pipe, tda_pipe.cli", tmp_path) == set()
    analyze = "from tda_pipe.cli import main\nassert main(['analyze', 'cloud.npy', '-q']) == 0"
    assert _heavy_imports(analyze, tmp_path) == set()


def test_analyze_of_a_small_cloud_starts_without_scikit_learn_or_the_slow_scipy_modules(tmp_path):
    """Half of the start-up was these imports: scikit-learn (scipy.stats with it), the sparse,
    optimize and spatial modules of scipy, none of which a 300-point Rips analysis needs."""
    np.save(tmp_path / "cloud.npy", np.random.default_rng(0).normal(size=(300, 2)))
    analyze = "from tda_pipe.cli import main\nassert main(['analyze', 'cloud.npy', '-q']) == 0"
    slow = {"sklearn", "scipy.stats", "scipy.sparse", "scipy.optimize", "scipy.spatial"}
    assert _heavy_imports(analyze, tmp_path, slow) == set()
    summary = json.loads((tmp_path / "cloud_tda" / "summary.json").read_text())
    assert summary["filtration"] == "rips" and summary["backend"] == "gudhi"
    assert (tmp_path / "cloud_tda" / "diagrams.npz").is_file()


def test_cycles_option_writes_the_cycles_of_the_two_rings(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    angle = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    ring = np.column_stack([np.cos(angle), np.sin(angle)])
    np.save("rings.npy", np.vstack([ring, 0.4 * ring + [3.0, 0.0]]))
    code, _, _ = run(capsys, "rings.npy", "--cycles", "2")
    assert code == 0
    folder = tmp_path / "rings_tda"
    assert {p.name for p in folder.iterdir()} == EXPECTED_FILES | {"cycles.json", "cycles.png"}
    cycles = json.loads((folder / "cycles.json").read_text())["classes"]
    loops = [c for c in cycles if c["dimension"] == 1]
    assert len(loops) == 2
    # each ring's cycle uses the points of that ring only: rows 0-39, then 40-79
    sides = [{v // 40 for edge in c["simplices"] for v in edge} for c in loops]
    assert sorted(map(sorted, sides)) == [[0], [1]]


def test_cycles_option_refuses_a_negative_count(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save("ring.npy", np.random.default_rng(0).normal(size=(20, 2)))
    code, _, err = run(capsys, "ring.npy", "--cycles", "-1")
    assert code == 2 and "--cycles must be an integer >= 0" in err


def test_landmarks_option_says_what_it_guarantees(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    angle = rng.uniform(0, 2 * np.pi, 600)
    circle = np.column_stack([np.cos(angle), np.sin(angle)]) @ rng.normal(size=(2, 6))
    np.save("c.npy", circle)
    code, out, _ = run(capsys, "c.npy", "--landmarks", "80")
    assert code == 0
    summary = json.loads((tmp_path / "c_tda" / "summary.json").read_text())
    approx = summary["approximation"]
    assert approx["n_landmarks"] == 80 and approx["n_points"] == 600
    assert approx["bottleneck_bound"] == pytest.approx(2 * approx["cover_radius"])
    assert "within bottleneck distance" in " ".join(out.split())
    assert summary["dimensions"]["H1"]["betti"]  # one loop at the middle scales
    assert list(summary["dimensions"]["H1"]["betti"].values())[2] == 1
    code, _, err = run(capsys, "c.npy", "--landmarks", "1", "--out", "other")
    assert code == 2 and "landmarks" in err and err.count("\n") == 1


def test_each_command_option_is_its_options_model_field(capsys):
    """The options of the job commands come from their models: flag, help, default."""
    import typer

    from tda_pipe.cli import app
    from tda_pipe.commands import options as O

    group = typer.main.get_command(app)
    commands = {
        ("analyze",): O.AnalyzeOptions,
        ("singularity",): O.SingularityOptions,
        ("mapper",): O.MapperOptions,
        ("train", "filtration"): O.FiltrationOptions,
        ("train", "autoencoder"): O.AutoencoderOptions,
        ("train", "mapper-gnn"): O.GNNOptions,
    }
    for path, model in commands.items():
        command = group
        for word in path:
            command = command.commands[word]
        params = {p.name: p for p in command.params}
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra
            if extra.get("cli") is False:
                assert name not in params, (path, name)
                continue
            param = params[name]
            assert param.help == field.description, (path, name)
            assert param.default == extra.get("cli_default", field.default), (path, name)
            assert O.flag_of(model, name) in param.opts, (path, name)
    code = main(["train", "filtration", "--help"])  # choices are shown
    assert code == 0 and "dtm|rips" in capsys.readouterr().out
