"""Filtration learning (Nishikawa, Ike, Yamanishi, NeurIPS 2023): invariance, gradients through
persistence, training, the job and its options."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from tda_pipe.datasets.collection import shape_collection, write_collection
from tda_pipe.errors import InputError
from tda_pipe.models.filtration import FiltrationNet
from tda_pipe.models.topological_classifier import (
    ClassifierConfig,
    TopologicalClassifier,
    train_filtration_classifier,
)
from tda_pipe.pipelines.train_filtration import FiltrationOptions, train_filtration_job
from tda_pipe.tda.differentiable import weighted_rips_persistence


@pytest.fixture(scope="module")
def small_collection():
    """Spheres and tori with noise and outliers, 10 clouds each."""
    classes = ["sphere", "torus"]
    return shape_collection(10, 150, classes=classes, noise=0.02, outliers=0.05, seed=3)


def _moved(x: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` rotated, reflected, translated and permuted; and the permutation."""
    rng = np.random.default_rng(seed)
    matrix = Rotation.random(random_state=seed).as_matrix() @ np.diag([-1.0, 1.0, 1.0])
    perm = rng.permutation(len(x))
    return (x @ matrix.T + rng.normal(size=3))[perm], perm


def test_weights_are_invariant_to_isometries_and_equivariant_to_permutations():
    torch.manual_seed(0)
    net = FiltrationNet(k=8).double()
    x = np.random.default_rng(1).normal(size=(60, 3))
    moved, perm = _moved(x, seed=2)
    with torch.no_grad():
        w = net(torch.from_numpy(x))
        w_moved = net(torch.from_numpy(moved))
    assert (w >= 0).all()
    np.testing.assert_allclose(w_moved.numpy(), w[perm].numpy(), atol=1e-5)


def test_weights_scale_with_the_cloud_and_batches_match_single_clouds():
    torch.manual_seed(0)
    net = FiltrationNet(k=5).double()
    x = torch.randn(30, 3, dtype=torch.float64)
    batch = net([x, 2.5 * x, x[:12]])
    torch.testing.assert_close(batch[1], 2.5 * net(x))
    torch.testing.assert_close(batch[2], net(x[:12]))


def test_classifier_logits_are_invariant_to_isometries_and_permutations():
    torch.manual_seed(0)
    model = TopologicalClassifier(ClassifierConfig(("a", "b", "c"), k=6)).double().eval()
    x = np.random.default_rng(4).normal(size=(50, 3))
    moved, _ = _moved(x, seed=5)
    with torch.no_grad():
        logits = model([torch.from_numpy(x), torch.from_numpy(moved)])
    np.testing.assert_allclose(logits[0].numpy(), logits[1].numpy(), atol=1e-5)


def test_gradients_reach_the_filtration_network_through_persistence():
    torch.manual_seed(0)
    model = TopologicalClassifier(ClassifierConfig(("a", "b"), k=6))
    clouds = [torch.randn(40, 3), torch.randn(45, 3)]
    loss = torch.nn.functional.cross_entropy(model(clouds), torch.tensor([0, 1]))
    loss.backward()
    grads = [p.grad for p in model.filtration.parameters()]
    assert all(g is not None for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0


def test_gradcheck_through_learned_weights_and_persistence():
    torch.manual_seed(0)
    net = FiltrationNet(k=3, hidden=4).double()
    points = torch.randn(12, 2, dtype=torch.float64)

    def total_persistence(x: torch.Tensor) -> torch.Tensor:
        d = weighted_rips_persistence(x, net(x), max_dim=1)
        finite = [dgm[torch.isfinite(dgm[:, 1])] for dgm in (d[0], d[1])]
        return sum((f[:, 1] - f[:, 0]).sum() for f in finite)

    x = points.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(total_persistence, (x,), atol=1e-6)


def test_training_is_deterministic_and_beats_chance(small_collection):
    runs = [
        train_filtration_classifier(small_collection, epochs=12, n_points=64, k=8, seed=0)
        for _ in range(2)
    ]
    assert runs[0].history == runs[1].history
    assert runs[0].history["test_acc"][-1] > 0.5 + 1e-9
    assert runs[0].history["train_acc"][-1] >= 0.75


@pytest.mark.parametrize("mode", ["rips", "dtm", "none"])
def test_baseline_modes_train(small_collection, mode):
    result = train_filtration_classifier(small_collection, mode=mode, epochs=2, n_points=48, k=8)
    assert len(result.history["train_loss"]) == 2
    assert result.model.config.mode == mode


def test_job_writes_its_files_and_the_model_reloads(small_collection, tmp_path):
    write_collection(small_collection, tmp_path / "shapes")
    options = FiltrationOptions(epochs=2, n_points=48, k=8, show=2)
    result = train_filtration_job(tmp_path / "shapes", tmp_path / "run", options)
    names = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert names == [".tda-pipe.json", "curves.png", "metrics.json", "model.pt", "weights.png"]
    report = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert len(report["history"]["test_acc"]) == 2
    assert report["final"] == result.metrics
    model = TopologicalClassifier.load(tmp_path / "run" / "model.pt")
    assert model.config.classes == ("sphere", "torus")
    assert model.predict(small_collection.clouds[:3]).shape == (3,)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    "options, message",
    [
        (FiltrationOptions(mode="alpha"), "unknown mode 'alpha'"),
        (FiltrationOptions(epochs=0), "epochs must be an integer >= 1"),
        (FiltrationOptions(lr=-1.0), "lr must be a number > 0"),
        (FiltrationOptions(test_fraction=1.0), "test_fraction must be a number in (0, 1)"),
        (FiltrationOptions(n_points=2), "n_points must be an integer >= 3"),
        (FiltrationOptions(seed=-1), "seed must be an integer >= 0"),
    ],
)
def test_bad_options_raise_input_error(options, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        options.check()


def test_bad_data_raise_input_error(small_collection, tmp_path):
    with pytest.raises(InputError, match="no labels.csv"):
        train_filtration_job(tmp_path, tmp_path / "run", FiltrationOptions(epochs=1))
    with pytest.raises(InputError, match="need at least 17"):
        train_filtration_classifier(small_collection, n_points=10)
    with pytest.raises(InputError, match="need one label each"):
        train_filtration_classifier(small_collection.clouds, [0, 1])
    assert not (tmp_path / "run").exists()


def test_the_classifier_says_what_it_takes():
    with pytest.raises(InputError, match="takes a ClassifierConfig, got int"):
        TopologicalClassifier(7)
    model = TopologicalClassifier(ClassifierConfig(classes=("a", "b", "c"), k=8))
    assert model([torch.randn(30, 3), torch.randn(20, 3)]).shape == (2, 3)
