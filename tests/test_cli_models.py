"""The `mapper` and `train` commands end to end: their files, and bad options as exit 2."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tda_pipe as tp
from tda_pipe.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_mapper_command_writes_graph_views_and_summary(tmp_path, capsys):
    np.save(tmp_path / "ring.npy", tp.datasets.circle(400, noise=0.03, seed=0))
    args = ["mapper", str(tmp_path / "ring.npy"), "--lens", "coordinate:1", "--intervals", "8"]
    assert main([*args, "--out", str(tmp_path / "m")]) == 0
    assert "1 independent cycle(s)" in capsys.readouterr().out
    files = {p.name for p in (tmp_path / "m").iterdir()}
    assert files == {
        ".tda-pipe.json",
        "graph.json",
        "graph.graphml",
        "mapper.html",
        "mapper.png",
        "summary.json",
        "run.json",
    }
    summary = json.loads((tmp_path / "m" / "summary.json").read_text())
    assert summary["graph"]["components"] == 1
    html = (tmp_path / "m" / "mapper.html").read_text()
    assert "http://" not in html and "https://" not in html


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--lens", "pca:0"], "pca"),
        (["--overlap", "1.5"], "--overlap"),
        (["--lens", "missing.npy"], "missing.npy"),
        (["--color", "foo"], "--color 'foo' is not a node attribute; choose lens, h0_count"),
        (["--color", "h1_total", "--no-attributes"], "need --attributes"),
    ],
)
def test_mapper_command_bad_options(tmp_path, capsys, option, message):
    np.save(tmp_path / "ring.npy", tp.datasets.circle(100, seed=0))
    code = main(["mapper", str(tmp_path / "ring.npy"), "--out", str(tmp_path / "m"), *option])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and message in err
    assert not (tmp_path / "m").exists()


def test_mapper_runs_as_a_pipeline_stage(tmp_path):
    np.save(tmp_path / "ring.npy", tp.datasets.circle(300, noise=0.02, seed=1))
    (tmp_path / "spec.yaml").write_text(
        "stages:\n  - load\n  - mapper: {lens: 'coordinate:0', intervals: 6, attributes: false}\n"
    )
    assert main(["run", str(tmp_path / "spec.yaml"), str(tmp_path / "ring.npy"), "-q",
                 "--out", str(tmp_path / "o")]) == 0  # fmt: skip
    assert (tmp_path / "o" / "mapper.html").exists()


def test_train_autoencoder_command(tmp_path, capsys):
    X, y = tp.datasets.spheres(n_per_sphere=10, ambient_dim=11, seed=0)
    np.savez(tmp_path / "pts.npz", points=X, labels=y)
    out = tmp_path / "ae"
    args = ["train", "autoencoder", "--data", str(tmp_path / "pts.npz"), "--lam", "0.5"]
    assert main([*args, "--epochs", "2", "--out", str(out), "-q"]) == 0
    assert {p.name for p in out.iterdir()} == {
        ".tda-pipe.json",
        "model.pt",
        "latent.npy",
        "latent.png",
        "loss.png",
        "metrics.json",
    }
    assert np.load(out / "latent.npy").shape == (len(X), 2)
    assert main([*args, "--epochs", "0", "--out", str(tmp_path / "bad")]) == 2
    assert "epochs" in capsys.readouterr().err and not (tmp_path / "bad").exists()
    assert main(["train", "autoencoder", "--data", "nothing-here", "--out", str(out)]) == 2


def test_train_mapper_gnn_command(tmp_path, capsys):
    out = tmp_path / "gnn"
    code = main(["train", "mapper-gnn", "shapes", "--per-class", "2", "--folds", "0",
                 "--epochs", "3", "--intervals", "4", "--out", str(out), "-q"])  # fmt: skip
    assert code == 0 and (out / "model.pt").exists()
    assert main(["train", "mapper-gnn", "shapes", "--folds", "1", "--out", str(out)]) == 2
    assert "--folds" in capsys.readouterr().err


def test_autoencoder_runs_as_a_pipeline_stage(tmp_path):
    X, y = tp.datasets.spheres(n_per_sphere=10, ambient_dim=11, seed=0)
    np.savez(tmp_path / "pts.npz", points=X, labels=y)
    (tmp_path / "spec.yaml").write_text("stages:\n  - load\n  - autoencoder: {epochs: 2}\n")
    assert main(["run", str(tmp_path / "spec.yaml"), str(tmp_path / "pts.npz"), "-q",
                 "--out", str(tmp_path / "o")]) == 0  # fmt: skip
    assert np.load(tmp_path / "o" / "latent.npy").shape == (len(X), 2)
    assert "kl_0.1" in json.loads((tmp_path / "o" / "metrics.json").read_text())["metrics"]


def test_singularity_command(tmp_path, capsys):
    np.save(tmp_path / "wedge.npy", tp.datasets.wedge_of_spheres(300, seed=0))
    args = ["singularity", str(tmp_path / "wedge.npy"), "--dim", "2", "--steps", "2", "-k", "40"]
    assert main([*args, "--max-points", "40", "--n-jobs", "1", "--out", str(tmp_path / "s")]) == 0
    assert "euclidicity" in capsys.readouterr().out
    table = np.genfromtxt(tmp_path / "s" / "singularity.csv", delimiter=",", names=True)
    assert table.dtype.names[:3] == ("index", "euclidicity", "euclidicity_max")
    assert len(table) == 300 and (tmp_path / "s" / "singularity.png").exists()
    for bad, message in [
        (["--dim", "4"], "dim <= 3"),
        (["--r", "0.5,0.6", "--s", "0.2,0.3"], "r="),
        (["-k", "500"], "k"),
        (["--r", "x"], "--r takes LOW,HIGH"),
    ]:
        code = main(
            ["singularity", str(tmp_path / "wedge.npy"), "--out", str(tmp_path / "b"), *bad]
        )
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and message in err, (bad, err)
        assert not (tmp_path / "b").exists()


def test_datasets_make_then_train_filtration(tmp_path, capsys):
    data = tmp_path / "shapes"
    assert main(["datasets", "make", "shapes", str(data), "--per-class", "3", "--points", "80",
                 "--noise", "0.02", "--outliers", "0.05"]) == 0  # fmt: skip
    out = tmp_path / "filt"
    code = main(["train", "filtration", "--data", str(data), "--epochs", "2", "--points", "40",
                 "--out", str(out), "-q"])  # fmt: skip
    assert code == 0
    assert {p.name for p in out.iterdir()} == {
        ".tda-pipe.json",
        "model.pt",
        "metrics.json",
        "curves.png",
        "weights.png",
    }
    history = json.loads((out / "metrics.json").read_text())["history"]
    assert len(history["val_acc"]) == 2
    assert (
        main(["train", "filtration", "--data", str(data), "--epochs", "0", "--out", str(out)]) == 2
    )
    assert "epochs" in capsys.readouterr().err
    assert main(["train", "filtration", "--data", str(tmp_path / "none"), "--out", str(out)]) == 2


def test_train_filtration_passes_the_split_and_schedule_options(tmp_path, capsys):
    data = tmp_path / "shapes"
    assert (
        main(["datasets", "make", "shapes", str(data), "--per-class", "3", "--points", "60"]) == 0
    )
    out = tmp_path / "filt"
    code = main(["train", "filtration", "--data", str(data), "--epochs", "3", "--points", "40",
                 "--val-fraction", "0.25", "--filtration-epochs", "1", "--start", "rips",
                 "--out", str(out), "-q"])  # fmt: skip
    assert code == 0
    options = json.loads((out / "metrics.json").read_text())["options"]
    assert (options["val_fraction"], options["filtration_epochs"], options["start"]) == (
        0.25,
        1,
        "rips",
    )
    assert options["epochs"] == 3 and options["n_points"] == 40
    for bad, word in ((["--val-fraction", "1.5"], "val_fraction"), (["--start", "x"], "--start")):
        code = main(
            ["train", "filtration", "--data", str(data), "--out", str(tmp_path / "b"), *bad]
        )
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: ") and word in err, (bad, err)
        assert not (tmp_path / "b").exists()
