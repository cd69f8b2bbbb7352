"""Topological autoencoder: Spheres data, training, save/load, seeds, the job and its errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.manifold import trustworthiness

from tda_pipe.commands.train_autoencoder import AutoencoderOptions, train_autoencoder_job
from tda_pipe.datasets.topoae import digits, spheres
from tda_pipe.errors import InputError
from tda_pipe.models.autoencoder import (
    AutoencoderConfig,
    TopologicalAutoencoder,
    resolve_device,
    train_autoencoder,
)
from tda_pipe.tda.metrics import embedding_metrics

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def small_spheres():
    return spheres(n_per_sphere=20, ambient_dim=11, seed=0)


# --- data -----------------------------------------------------------------------------------


def test_spheres_follow_the_paper():
    X, y = spheres(seed=3)
    assert X.shape == (10_000, 101) and X.dtype == np.float64
    assert np.bincount(y).tolist() == [500] * 10 + [5000]
    assert np.allclose(np.linalg.norm(X[y == 10], axis=1), 25.0)
    centres = []
    for label in range(10):
        points = X[y == label]
        # a sphere of radius 5 about a centre c: solve |x - c| = 5 from the mean (uniform points)
        centre = points.mean(axis=0)
        assert np.abs(np.linalg.norm(points - centre, axis=1) - 5.0).max() < 1.0
        centres.append(centre)
    # shift std 10 / sqrt(100) = 1 per coordinate; 10 x 101 draws, means are noisy at 5/sqrt(500)
    assert np.std(centres) == pytest.approx(1.0, abs=0.15)
    assert np.abs(X[y < 10]).max() < 25.0  # the small spheres lie inside the large one


def test_spheres_are_seeded_and_scale_down():
    a, ya = spheres(n_per_sphere=5, ambient_dim=4, n_spheres=3, radius=2.0, seed=1)
    b, _ = spheres(n_per_sphere=5, ambient_dim=4, n_spheres=3, radius=2.0, seed=1)
    assert a.shape == (30, 4) and np.array_equal(a, b)
    assert np.bincount(ya).tolist() == [5, 5, 5, 15]
    assert not np.array_equal(a, spheres(n_per_sphere=5, ambient_dim=4, n_spheres=3, seed=2)[0])
    with pytest.raises(InputError, match="ambient_dim must be an integer >= 2"):
        spheres(ambient_dim=1)
    with pytest.raises(InputError, match="n must be an integer >= 1"):
        spheres(n_per_sphere=0)


def test_digits_are_scaled_to_the_unit_interval():
    X, y = digits()
    assert X.shape == (1797, 64) and X.min() == 0.0 and X.max() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))


# --- model and training ---------------------------------------------------------------------


def test_training_decreases_the_topological_loss(small_spheres):
    X, _ = small_spheres
    topo = train_autoencoder(X, lam=1.0, epochs=15, batch_size=32, seed=0)
    plain = train_autoencoder(X, lam=0.0, epochs=15, batch_size=32, seed=0)
    assert topo.history["topo"][-1] < 0.7 * topo.history["topo"][0]
    assert np.mean(topo.history["topo"][-3:]) < np.mean(plain.history["topo"][-3:])
    assert all(np.isfinite(v).all() for v in topo.history.values())


def test_a_saved_model_reloads_and_encodes_the_same(small_spheres, tmp_path):
    X, _ = small_spheres
    model, _ = train_autoencoder(X, epochs=2, batch_size=64, seed=0)
    path = model.save(tmp_path / "model.pt")
    again = TopologicalAutoencoder.load(path)
    assert again.config == model.config
    assert np.array_equal(again.transform(X), model.transform(X))
    Z = model.transform(X[:5])
    assert np.array_equal(again.inverse_transform(Z), model.inverse_transform(Z))
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(InputError, match="not a saved topological autoencoder"):
        TopologicalAutoencoder.load(tmp_path / "junk.pt")


def test_a_fixed_seed_gives_the_same_latent_and_leaves_torch_state_alone(small_spheres):
    X, _ = small_spheres
    state = torch.random.get_rng_state()
    a = train_autoencoder(X, epochs=2, batch_size=50, seed=7).model.transform(X)
    b = train_autoencoder(X, epochs=2, batch_size=50, seed=7).model.transform(X)
    c = train_autoencoder(X, epochs=2, batch_size=50, seed=8).model.transform(X)
    assert np.array_equal(a, b) and not np.allclose(a, c)
    assert torch.equal(state, torch.random.get_rng_state())


def test_progress_reports_every_epoch(small_spheres):
    X, _ = small_spheres
    seen = []
    _, history = train_autoencoder(X[:40], epochs=3, batch_size=16, progress=seen.append)
    assert [s.epoch for s in seen] == [1, 2, 3] and {s.epochs for s in seen} == {3}
    assert [s.topo for s in seen] == history["topo"]


def test_architecture_is_the_papers_mlp():
    model = TopologicalAutoencoder(AutoencoderConfig(input_dim=101))
    linears = [m for m in model.encoder if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(101, 32), (32, 32), (32, 2)]
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in model.decoder) == 2
    assert model.signature.latent_scale.requires_grad  # learned latent scale


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lam": -0.5}, "lam must be a number >= 0"),
        ({"lam": float("nan")}, "lam must be a number >= 0"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"batch_size": 1}, "batch_size must be an integer >= 2"),
        ({"latent_dim": 0}, "latent_dim must be an integer >= 1"),
        ({"lr": 0.0}, "lr must be a number > 0"),
        ({"device": "tpu"}, "unknown device 'tpu'"),
    ],
)
def test_bad_training_options_raise_input_error(small_spheres, kwargs, message):
    with pytest.raises(InputError, match=message):
        train_autoencoder(small_spheres[0], **kwargs)


def test_cuda_without_a_gpu_is_an_input_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InputError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(InputError, match="CUDA is not available"):
        AutoencoderOptions(device="cuda:0").check()


def test_bad_training_data_raises_input_error():
    with pytest.raises(InputError, match="NaN or inf"):
        train_autoencoder(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(InputError, match="2-D array"):
        train_autoencoder(np.zeros(5))


# --- the job --------------------------------------------------------------------------------

QUICK = AutoencoderOptions(epochs=2, batch_size=32, n_points=150, eval_points=100)


def test_the_job_writes_its_files(tmp_path):
    result = train_autoencoder_job("spheres", tmp_path / "run", QUICK)
    out = tmp_path / "run"
    assert sorted(p.name for p in out.iterdir()) == [
        ".tda-pipe.json",
        "latent.npy",
        "latent.png",
        "loss.png",
        "metrics.json",
        "model.pt",
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no temporary folder left
    report = json.loads((out / "metrics.json").read_text())
    assert report["metrics"] == pytest.approx(result.metrics)
    assert {"kl_0.1", "trustworthiness", "continuity", "mrre", "rmse", "data_mse"} <= set(
        report["metrics"]
    )
    assert report["data"] == {"source": "spheres", "shape": [150, 101], "labels": True}
    assert report["eval_points"] == 100 and report["options"]["epochs"] == 2
    latent = np.load(out / "latent.npy")
    assert latent.shape == (150, 2)
    X, _ = spheres()
    rows = np.sort(np.random.default_rng(0).choice(len(X), size=150, replace=False))
    model = TopologicalAutoencoder.load(out / "model.pt")
    assert np.allclose(model.transform(X[rows]), latent)
    # the measures' values, from independent references on the seeded 100 evaluation points
    evaluated = np.sort(np.random.default_rng(0).choice(150, size=100, replace=False))
    Xe, Ze = X[rows][evaluated], latent[evaluated]
    got = report["metrics"]
    assert got["trustworthiness"] == pytest.approx(trustworthiness(Xe, Ze, n_neighbors=10))
    assert got["continuity"] == pytest.approx(trustworthiness(Ze, Xe, n_neighbors=10))
    mse = np.mean((Xe - model.inverse_transform(Ze)) ** 2)
    assert got["data_mse"] == pytest.approx(mse, rel=1e-5)
    for png in ("latent.png", "loss.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_the_job_reads_files_with_and_without_labels(tmp_path):
    X, y = spheres(n_per_sphere=10, ambient_dim=6, seed=0)
    np.savez(tmp_path / "labelled.npz", points=X, labels=y)
    np.save(tmp_path / "plain.npy", X)
    opts = AutoencoderOptions(epochs=1, latent_dim=3, eval_points=100)
    labelled = train_autoencoder_job(tmp_path / "labelled.npz", tmp_path / "a", opts)
    train_autoencoder_job(tmp_path / "plain.npy", tmp_path / "b", opts)
    assert json.loads((tmp_path / "a" / "metrics.json").read_text())["data"]["labels"] is True
    assert json.loads((tmp_path / "b" / "metrics.json").read_text())["data"]["labels"] is False
    assert np.load(tmp_path / "b" / "latent.npy").shape == (200, 3)
    assert labelled.history["recon"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (AutoencoderOptions(lam=-1.0), "lam must be a number >= 0"),
        (AutoencoderOptions(epochs=0), "epochs must be an integer >= 1"),
        (AutoencoderOptions(n_points=1), "n_points must be an integer >= 2"),
        (AutoencoderOptions(k=0), "k must be an integer >= 1"),
        (AutoencoderOptions(n_points=20_000), "cannot sample 20000 points from 10000"),
        (AutoencoderOptions(n_points=15), "15 points are too few for k=10"),
    ],
)
def test_the_job_rejects_bad_options_and_writes_nothing(tmp_path, options, message):
    with pytest.raises(InputError, match=message):
        train_autoencoder_job("spheres", tmp_path / "run", options)
    assert list(tmp_path.iterdir()) == []


def test_the_job_rejects_bad_data_and_writes_nothing(tmp_path):
    with pytest.raises(InputError, match="no such file or data set"):
        train_autoencoder_job("sphere", tmp_path / "run", QUICK)
    bad = np.ones((40, 3))
    bad[5, 1] = np.inf
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(InputError, match=r"bad\.npy: training data holds NaN or inf"):
        train_autoencoder_job(tmp_path / "bad.npy", tmp_path / "run", AutoencoderOptions())
    np.savez(tmp_path / "picture.npz", image=np.zeros((8, 8)))
    with pytest.raises(InputError, match="holds image; the autoencoder trains on a point cloud"):
        train_autoencoder_job(tmp_path / "picture.npz", tmp_path / "run", AutoencoderOptions())
    assert not (tmp_path / "run").exists()


# --- the paper's result ---------------------------------------------------------------------


@pytest.mark.slow
def test_topoae_beats_the_plain_autoencoder_on_spheres():
    """Moor et al. (ICML 2020), Table 1: better KL_0.1 and continuity than the plain AE."""
    X, _ = spheres()
    rows = np.sort(np.random.default_rng(0).choice(len(X), size=2000, replace=False))
    scores = {}
    for lam in (0.0, 1.0):
        model, _ = train_autoencoder(X, lam=lam, epochs=100, batch_size=64, seed=0)
        scores[lam] = embedding_metrics(X[rows], model.transform(X[rows]))
    assert scores[1.0]["kl_0.1"] < 0.7 * scores[0.0]["kl_0.1"]
    assert scores[1.0]["continuity"] > scores[0.0]["continuity"]
