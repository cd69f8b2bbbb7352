"""Filtration learning (Nishikawa, Ike, Yamanishi, NeurIPS 2023): invariance, gradients through
persistence, training, the job and its options."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from tda_pipe.commands.train_filtration import FiltrationOptions, train_filtration_job
from tda_pipe.datasets.collection import shape_collection, write_collection
from tda_pipe.errors import InputError
from tda_pipe.models.filtration import FiltrationNet, local_geometry
from tda_pipe.models.topological_classifier import (
    ClassifierConfig,
    GaussianDiagramLayer,
    TopologicalClassifier,
    train_filtration_classifier,
)
from tda_pipe.tda.differentiable import weighted_rips_persistence


@pytest.fixture(scope="module")
def small_collection():
    """Spheres and tori with noise and outliers, 10 clouds each."""
    classes = ["sphere", "torus"]
    return shape_collection(10, 150, classes=classes, noise=0.02, outliers=0.05, seed=3)


def _trained_looking(net: FiltrationNet) -> FiltrationNet:
    """``net`` with a random last layer: an untrained one returns constant (or base) weights."""
    with torch.no_grad():
        net.head[-1].weight.normal_()
        net.head[-1].bias.normal_()
    return net


def _moved(x: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``x`` rotated, reflected, translated and permuted; and the permutation."""
    rng = np.random.default_rng(seed)
    matrix = Rotation.random(random_state=seed).as_matrix() @ np.diag([-1.0, 1.0, 1.0])
    perm = rng.permutation(len(x))
    return (x @ matrix.T + rng.normal(size=3))[perm], perm


def test_weights_are_invariant_to_isometries_and_equivariant_to_permutations():
    torch.manual_seed(0)
    net = _trained_looking(FiltrationNet(k=8).double())
    x = np.random.default_rng(1).normal(size=(60, 3))
    moved, perm = _moved(x, seed=2)
    with torch.no_grad():
        w = net(torch.from_numpy(x))
        w_moved = net(torch.from_numpy(moved))
    assert (w >= 0).all() and w.std() > 0
    np.testing.assert_allclose(w_moved.numpy(), w[perm].numpy(), atol=1e-5)


def test_weights_scale_with_the_cloud_and_batches_match_single_clouds():
    torch.manual_seed(0)
    net = _trained_looking(FiltrationNet(k=5).double())
    x = torch.randn(30, 3, dtype=torch.float64)
    batch = net([x, 2.5 * x, x[:12]])
    torch.testing.assert_close(batch[1], 2.5 * net(x))
    torch.testing.assert_close(batch[2], net(x[:12]))


def _geometry_by_hand(x: np.ndarray, k: int) -> np.ndarray:
    """:func:`local_geometry` with numpy, one point and one scale at a time."""
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    order = np.argsort(d, axis=1, kind="stable")
    rows = []
    for i in range(len(x)):
        row, spreads = [], []
        for size in (max(2, k // 4), max(2, k // 2), k):
            hood = x[order[i, : size + 1]]
            eig = np.sort(np.linalg.eigvalsh(np.cov(hood.T, bias=True)))[::-1]
            spread = np.linalg.norm(hood[1:] - x[i], axis=1).mean()
            row += [*(eig / eig.sum()), np.linalg.norm(hood.mean(0) - x[i]) / spread]
            spreads.append(spread)
        rows.append(row + spreads)
    out = np.array(rows)
    out[:, -3:] = np.log(out[:, -3:] / out[:, -3:].mean())
    return out


def test_local_geometry_matches_a_numpy_pca_and_is_invariant():
    x = np.random.default_rng(6).normal(size=(40, 3))
    g = local_geometry(torch.from_numpy(x), k=8).numpy()
    np.testing.assert_allclose(g, _geometry_by_hand(x, 8), rtol=1e-9, atol=1e-12)
    moved, perm = _moved(x, seed=7)
    g_moved = local_geometry(torch.from_numpy(3.0 * moved), k=8).numpy()
    np.testing.assert_allclose(g_moved, g[perm], atol=1e-9)


def test_local_geometry_tells_a_plane_from_a_line_and_its_edge_from_its_middle():
    grid = np.stack(np.meshgrid(np.arange(7.0), np.arange(7.0)), -1).reshape(-1, 2)
    plane = torch.from_numpy(np.c_[grid, np.zeros(49)])
    g = local_geometry(plane, k=8)
    assert float(g[:, [2, 6, 10]].abs().max()) < 1e-12  # flat: no third direction
    corner, middle = 0, 24  # centroid offset at 8 neighbours (4 at 1, 4 at sqrt(2))
    assert g[corner, 11] > 0.5 and float(g[middle, 11]) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match=r"k must be in \[2, 48\]"):
        local_geometry(plane, k=49)


def test_the_geometry_network_is_invariant_and_starts_at_the_base():
    torch.manual_seed(0)
    net = FiltrationNet(k=8, features="geometry").double()
    x = np.random.default_rng(8).normal(size=(50, 3))
    base = torch.rand(50, dtype=torch.float64)
    assert torch.equal(net(torch.from_numpy(x), base), base)
    _trained_looking(net)
    moved, perm = _moved(x, seed=9)
    with torch.no_grad():
        w, w_moved = net(torch.from_numpy(x), base), net(torch.from_numpy(moved), base[perm])
    assert w.std() > 0
    np.testing.assert_allclose(w_moved.numpy(), w[perm].numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="features must be one of"):
        FiltrationNet(features="pca")


def test_classifier_logits_are_invariant_to_isometries_and_permutations():
    torch.manual_seed(0)
    model = TopologicalClassifier(ClassifierConfig(("a", "b", "c"), k=6)).double().eval()
    _trained_looking(model.filtration)
    x = np.random.default_rng(4).normal(size=(50, 3))
    moved, _ = _moved(x, seed=5)
    with torch.no_grad():
        logits = model([torch.from_numpy(x), torch.from_numpy(moved)])
    np.testing.assert_allclose(logits[0].numpy(), logits[1].numpy(), atol=1e-5)


def test_gradients_reach_the_filtration_network_through_persistence():
    torch.manual_seed(0)
    model = TopologicalClassifier(ClassifierConfig(("a", "b"), k=6))
    _trained_looking(model.filtration)
    clouds = [torch.randn(40, 3), torch.randn(45, 3)]
    loss = torch.nn.functional.cross_entropy(model(clouds), torch.tensor([0, 1]))
    loss.backward()
    grads = [p.grad for p in model.filtration.parameters()]
    assert all(g is not None and float(g.abs().sum()) > 0 for g in grads)


def test_gradcheck_through_learned_weights_and_persistence():
    torch.manual_seed(0)
    net = _trained_looking(FiltrationNet(k=3, hidden=4).double())
    points = torch.randn(12, 2, dtype=torch.float64)
    base = torch.rand(12, dtype=torch.float64) + 0.1

    def total_persistence(x: torch.Tensor) -> torch.Tensor:
        d = weighted_rips_persistence(x, net(x, base), max_dim=1)
        finite = [dgm[torch.isfinite(dgm[:, 1])] for dgm in (d[0], d[1])]
        return sum((f[:, 1] - f[:, 0]).sum() for f in finite)

    x = points.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(total_persistence, (x,), atol=1e-6)


def test_training_is_deterministic_and_beats_chance(small_collection):
    runs = [
        train_filtration_classifier(
            small_collection, epochs=12, filtration_epochs=4, n_points=64, k=8, seed=0
        )
        for _ in range(2)
    ]
    assert runs[0].history == runs[1].history
    assert runs[0].metrics == runs[1].metrics
    assert runs[0].metrics["test_acc"] > 0.5 + 1e-9
    assert runs[0].history["train_acc"][-1] >= 0.75


@pytest.mark.parametrize("mode", ["rips", "dtm", "none"])
def test_baseline_modes_train(small_collection, mode):
    result = train_filtration_classifier(
        small_collection.clouds, small_collection.labels, mode=mode, epochs=2, n_points=48, k=8
    )
    assert len(result.history["train_loss"]) == 2
    assert result.model.config.mode == mode


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


def test_an_untrained_correction_returns_the_dtm_weights_of_the_normalised_cloud():
    """start='dtm': dtm * exp(0); DTM by brute force (k nearest, the point itself included)."""
    model = TopologicalClassifier(ClassifierConfig(("a", "b"), k=6, dtm_k=5)).double()
    x = torch.randn(40, 3, dtype=torch.float64) * 3.0 + 1.0
    (w,) = model.point_weights([x])
    centred = x.numpy() - x.numpy().mean(0)
    unit = centred / np.sqrt((centred**2).sum(1).mean())
    nearest = np.sort(np.linalg.norm(unit[:, None] - unit[None], axis=-1), axis=1)[:, :5]
    np.testing.assert_allclose(w.detach().numpy(), np.sqrt((nearest**2).mean(1)), rtol=1e-12)


def test_a_correction_moves_the_weights_and_gets_gradients():
    torch.manual_seed(0)
    net = FiltrationNet(k=5).double()
    x, base = torch.randn(30, 3, dtype=torch.float64), torch.rand(30, dtype=torch.float64)
    with torch.no_grad():
        net.head[-1].weight.normal_()
    w = net(x, base)
    assert not torch.allclose(w, base)
    torch.testing.assert_close(net(2.0 * x, base), w)  # the correction is scale-invariant
    w.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.local.parameters())


def test_the_batched_perslay_layer_matches_one_diagram_at_a_time():
    layer = GaussianDiagramLayer(grid=3)
    diagrams = [torch.rand(5, 2).sort(1).values, torch.zeros(0, 2), torch.rand(2, 2).sort(1).values]
    stacked = layer(diagrams)
    for row, dgm in zip(stacked, diagrams):
        persistence = dgm[:, 1] - dgm[:, 0]
        x = torch.stack([dgm[:, 0], persistence], 1)
        sigma = layer.log_sigma.exp()
        gauss = torch.exp(-(((x[:, None] - layer.centres) / sigma) ** 2).sum(-1))
        torch.testing.assert_close(row, (persistence[:, None] * gauss).sum(0))


@pytest.fixture(scope="module")
def blobs_and_rings():
    """Gaussian blobs and noisy circles in R^3, 8 clouds each: arrays and string labels."""
    rng = np.random.default_rng(0)
    blobs = [rng.normal(size=(40, 3)) for _ in range(8)]
    angles = rng.uniform(0, 2 * np.pi, (8, 40))
    rings = [np.c_[np.cos(t), np.sin(t), 0 * t] + rng.normal(0, 0.05, (40, 3)) for t in angles]
    return blobs + rings, ["blob"] * 8 + ["ring"] * 8


def test_the_splits_are_stratified_disjoint_and_cover_the_clouds(blobs_and_rings):
    clouds, labels = blobs_and_rings
    result = train_filtration_classifier(clouds, labels, mode="rips", epochs=2, k=6, seed=4)
    parts = [result.train_index, result.val_index, result.test_index]
    assert sorted(np.concatenate(parts).tolist()) == list(range(16))
    y = np.asarray(labels)
    # 8 a class: round(0.3 * 8) = 2 test, round(0.2 * 6) = 1 validation, 5 train
    for part, size in zip(parts, (5, 1, 2)):
        assert [(y[part] == c).sum() for c in ("blob", "ring")] == [size, size]


def test_the_model_of_the_best_validation_epoch_is_returned(blobs_and_rings):
    clouds, labels = blobs_and_rings
    result = train_filtration_classifier(
        clouds, labels, mode="dtm", epochs=8, filtration_epochs=3, k=6, seed=1
    )
    h = result.history
    keys = [(a, -loss) for a, loss in zip(h["val_acc"], h["val_loss"])]
    assert result.best_epoch == 1 + keys.index(max(keys))
    assert result.metrics["val_acc"] == h["val_acc"][result.best_epoch - 1]
    val = result.val_index
    with torch.no_grad():
        logits = result.model([torch.as_tensor(clouds[i], dtype=torch.float32) for i in val])
    loss = torch.nn.functional.cross_entropy(
        logits, torch.as_tensor([labels[i] == "ring" for i in val]).long()
    )
    assert float(loss) == pytest.approx(result.metrics["val_loss"], rel=1e-5)


def test_the_test_clouds_choose_nothing(blobs_and_rings):
    """Other test clouds (same sizes, so the same split) change the test score only."""
    clouds, labels = blobs_and_rings
    first = train_filtration_classifier(clouds, labels, mode="rips", epochs=1, k=6, seed=2)
    noise = list(clouds)
    for i in first.test_index:
        noise[i] = np.random.default_rng(i).uniform(size=clouds[i].shape)
    runs = [
        train_filtration_classifier(c, labels, mode="rips", epochs=6, k=6, seed=2)
        for c in (clouds, noise)
    ]
    assert np.array_equal(runs[0].test_index, runs[1].test_index)
    assert runs[0].best_epoch == runs[1].best_epoch
    assert runs[0].history == runs[1].history
    assert runs[0].metrics["test_loss"] != runs[1].metrics["test_loss"]


def test_a_learned_correction_kept_at_zero_is_the_dtm_model(blobs_and_rings):
    """The first phase of 'learned' (start 'dtm') trains exactly the DTM model."""
    clouds, labels = blobs_and_rings
    runs = {
        mode: train_filtration_classifier(
            clouds, labels, mode=mode, epochs=5, filtration_epochs=2, k=6, dtm_k=5, seed=3
        ).history
        for mode in ("dtm", "learned")
    }
    for name, values in runs["dtm"].items():
        assert runs["learned"][name][:3] == values[:3], name


@pytest.mark.parametrize(
    "labels, options, message",
    [
        (["blob"] * 16, {}, "the labels hold a single class"),
        (["blob"] * 14 + ["ring"] * 2, {}, "class 'ring' has 2 cloud(s); the train, validation"),
        (None, {"val_fraction": 0.0}, "val_fraction must be a number in (0, 1), not 0.0"),
        (None, {"val_fraction": 1.0}, "val_fraction must be a number in (0, 1), not 1.0"),
        (None, {"val_fraction": float("nan")}, "val_fraction must be a number in (0, 1)"),
        (None, {"start": "zero"}, "unknown start 'zero'; choose dtm, rips"),
        (None, {"filtration_epochs": -1}, "filtration_epochs must be an integer >= 0"),
        (None, {"features": "pca"}, "unknown features 'pca'; choose profile, geometry"),
        ([0] * 8 + [2] * 8, {"classes": ["a", "b"]}, "labels must be integers in [0, 2)"),
    ],
)
def test_bad_training_input_is_one_line(blobs_and_rings, labels, options, message):
    clouds, default = blobs_and_rings
    with pytest.raises(InputError, match=re.escape(message)) as info:
        train_filtration_classifier(clouds, default if labels is None else labels, **options)
    assert "\n" not in str(info.value)


def test_job_writes_its_files_and_the_model_reloads(small_collection, tmp_path):
    write_collection(small_collection, tmp_path / "shapes")
    options = FiltrationOptions(epochs=2, n_points=48, k=8, show=2)
    result = train_filtration_job(tmp_path / "shapes", tmp_path / "run", options)
    names = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert names == [".tda-pipe.json", "curves.png", "metrics.json", "model.pt", "weights.png"]
    report = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert len(report["history"]["val_acc"]) == 2
    assert report["final"] == result.metrics
    model = TopologicalClassifier.load(tmp_path / "run" / "model.pt")
    assert model.config.classes == ("sphere", "torus")
    assert model.predict(small_collection.clouds[:3]).shape == (3,)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
