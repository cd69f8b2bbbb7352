"""Persistence layers: the functional API's values and gradients, ``gradcheck`` on small inputs
with tied values, composition in ``nn.Sequential`` and option checks.

Ties whose order changes the diagram (two equal sides of one square: the H1 birth is their
maximum) have no derivative, so finite differences cannot check them; the tied inputs here
repeat every value in an independent part of the input (a cloud beside an exact rotated copy,
an image beside its mirror image), where the diagram is differentiable and gradcheck applies.
Values are float64: compared exactly with the functional API.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import tda_pipe as tp
from tda_pipe.losses import TotalPersistenceLoss
from tda_pipe.models.topological_classifier import GaussianDiagramLayer
from tda_pipe.tda import differentiable as D
from tda_pipe.tda.layers import (
    AlphaLayer,
    CubicalLayer,
    RipsLayer,
    SelectDimension,
    WeightedRipsLayer,
)


def _t(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _score(d) -> torch.Tensor:
    """Births + 2 * finite deaths in every dimension, plus squared finite lifetimes from H1 up:
    both ends of every bar count and a swapped birth/death shows. (H0 lifetimes are left out:
    with tied minima, which component is the elder is a tie.)"""
    total = 0
    for p in range(len(d)):
        finite = torch.isfinite(d[p][:, 1])
        births, deaths = d[p][finite, 0], d[p][finite, 1]
        total = total + d[p][:, 0].sum() + 2 * deaths.sum()
        if p > 0:
            total = total + ((deaths - births) ** 2).sum()
    return total


def _copies() -> np.ndarray:
    """12 points of a noisy unit circle on a grid of step 1/1024 and their copy rotated a
    quarter turn and moved 8 along x: both exact in float64, so every distance within the
    first copy ties exactly with one in the second, and the copies meet by one edge longer
    than all of those."""
    a = np.round(tp.datasets.circle(12, noise=0.2, seed=3) * 1024) / 1024
    b = np.stack([-a[:, 1], a[:, 0]], axis=1) + [8.0, 0.0]
    within = np.linalg.norm(a[:, None] - a[None], axis=-1)[np.triu_indices(12, 1)]
    assert len(np.unique(within)) == len(within)  # no tie inside a copy
    return np.concatenate([a, b])


def _mirrored_image() -> np.ndarray:
    """A 5 x 5 random patch, a wall of high values with one lowest gate, and the patch's mirror
    image: every pixel value but the wall's twice."""
    patch = np.random.default_rng(6).random((5, 5))
    wall = 5.0 + np.arange(5.0)[:, None] / 10
    return np.hstack([patch, wall, patch[:, ::-1]])


# -- each layer is its function --------------------------------------------------------------

CASES = {
    "rips": (lambda: (_t(_copies()),), RipsLayer(1), lambda x: D.rips_persistence(x, 1)),
    "rips-matrix": (  # the matrix from the points: gradcheck keeps it a distance matrix
        lambda: (_t(_copies()),),
        lambda x: RipsLayer(1, metric="precomputed")(D.pairwise_distances(x)),
        lambda x: D.rips_persistence(D.pairwise_distances(x), 1, metric="precomputed"),
    ),
    "weighted-rips": (
        lambda: (_t(_copies()), _t(np.tile(np.linspace(0.05, 0.2, 12), 2))),
        WeightedRipsLayer(1),
        lambda x, w: D.weighted_rips_persistence(x, w, 1),
    ),
    "cubical": (lambda: (_t(_mirrored_image()),), CubicalLayer(1), D.cubical_persistence),
    "alpha": (
        lambda: (_t(np.random.default_rng(7).random((12, 2))),),
        AlphaLayer(1),
        lambda x: D.alpha_persistence(x, 1),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_equal_the_functional_api(name):
    make, layer, function = CASES[name]
    inputs, twins = make(), make()
    ours, theirs = layer(*inputs), function(*twins)
    assert isinstance(ours, D.TorchDiagrams) and len(ours) == 2
    for p in range(2):
        assert len(ours[p]) > 0
        torch.testing.assert_close(ours[p], theirs[p], rtol=0, atol=0)
    _score(ours).backward()
    _score(theirs).backward()
    for a, b in zip(inputs, twins):
        assert a.grad.abs().sum() > 0
        torch.testing.assert_close(a.grad, b.grad, rtol=0, atol=0)


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck_through_the_layer_with_tied_values(name):
    make, layer, _ = CASES[name]
    inputs = make()
    if name != "alpha":  # the ties are there, in both copies
        d = layer(*inputs)
        lifetimes = (d[1][:, 1] - d[1][:, 0]).detach().numpy()
        assert len(lifetimes) >= 2 and len(np.unique(lifetimes)) < len(lifetimes)
    assert torch.autograd.gradcheck(lambda *args: _score(layer(*args)), inputs)


def test_a_list_of_clouds_is_a_batch_like_the_functional_api():
    clouds = [_t(tp.datasets.circle(n, noise=0.1, seed=n)) for n in (20, 30, 25)]
    out = RipsLayer(1, n_jobs=2)(clouds)
    assert isinstance(out, list) and len(out) == 3
    for d, c in zip(out, clouds):
        torch.testing.assert_close(d[1], D.rips_persistence(c, 1)[1], rtol=0, atol=0)
    alphas = AlphaLayer(1)([c[:, :2] for c in clouds])
    assert [len(d) for d in alphas] == [2, 2, 2]


# -- composition ---------------------------------------------------------------------------


def test_sequential_linear_map_rips_and_a_loss_trains_the_map():
    """A linear map of a noisy circle in R^3 to R^2, trained to enlarge the longest H1 bar."""
    torch.manual_seed(0)
    x = torch.tensor(tp.datasets.circle(40, noise=0.05, seed=1) @ np.eye(2, 3))
    model = nn.Sequential(
        nn.Linear(3, 2, dtype=torch.float64),
        RipsLayer(max_dim=1),
        SelectDimension(1),
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    longest = []
    for _ in range(15):
        bars = model(x)
        loss = -(bars[:, 1] - bars[:, 0]).max()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        longest.append(-loss.item())
    assert model[0].weight.grad.abs().sum() > 0
    assert longest[-1] > 1.5 * longest[0]


def test_sequential_with_a_loss_and_with_a_vectorisation():
    x = _t(tp.datasets.circle(60, noise=0.15, seed=2))
    loss = nn.Sequential(RipsLayer(1), TotalPersistenceLoss(dim=1, skip_longest=1))(x)
    ref = TotalPersistenceLoss(dim=1, skip_longest=1)(D.rips_persistence(x.detach(), 1))
    torch.testing.assert_close(loss.detach(), ref)
    loss.backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0

    image = torch.rand(1, 12, 12, dtype=torch.float64)
    vector = nn.Sequential(
        nn.Conv2d(1, 1, 3, padding=1, dtype=torch.float64),
        nn.Flatten(0, 1),
        CubicalLayer(1),
        SelectDimension(0),
        GaussianDiagramLayer(grid=3).double(),
    )
    out = vector(image)
    assert out.shape == (9,)
    out.sum().backward()
    assert vector[0].weight.grad.abs().sum() > 0  # the gradient reaches the convolution


def test_select_dimension_keeps_the_essential_classes_on_request_and_maps_lists():
    d = RipsLayer(1)(_t(_copies()))
    assert torch.isinf(SelectDimension(0, finite=False)(d)[:, 1]).sum() == 1
    assert torch.isfinite(SelectDimension(0)(d)).all()
    assert len(SelectDimension(1)([d, d])) == 2
    with pytest.raises(ValueError, match="dimensions 0..1, not dim=2"):
        SelectDimension(2)(d)
    with pytest.raises(ValueError, match="takes a layer's TorchDiagrams"):
        SelectDimension(0)(torch.zeros(3, 2))


# -- options -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: RipsLayer(3), "max_dim must be 0, 1 or 2"),
        (lambda: RipsLayer(1, metric="cosine"), "metric must be 'euclidean' or 'precomputed'"),
        (lambda: RipsLayer(1, threshold=-1.0), "threshold must be None or a number > 0"),
        (lambda: CubicalLayer(1, n_jobs=0), "n_jobs must be None or an int >= 1"),
        (lambda: AlphaLayer(1, coeff=4), "coeff=4 is not a prime"),
        (lambda: SelectDimension(-1), "dim must be an int >= 0"),
        (lambda: SelectDimension(True), "dim must be an int >= 0"),
        (lambda: RipsLayer(1, threshold=0.0), "threshold must be None or a number > 0"),
        (lambda: RipsLayer(1, threshold=True), "threshold must be None or a number > 0"),
        (lambda: RipsLayer(1, n_jobs=True), "n_jobs must be None or an int >= 1"),
        (lambda: WeightedRipsLayer(1, n_jobs=1.0), "n_jobs must be None or an int >= 1"),
    ],
)
def test_bad_options_are_refused_when_the_layer_is_made(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_repr_shows_what_differs_from_the_defaults():
    assert (
        repr(RipsLayer(2, threshold=0.5, coeff=3)) == "RipsLayer(max_dim=2, threshold=0.5, coeff=3)"
    )
    for layer in (RipsLayer, WeightedRipsLayer, CubicalLayer, AlphaLayer):  # H0, H1 over Z/2
        assert repr(layer()) == f"{layer.__name__}(max_dim=1)"
    assert (
        repr(RipsLayer(threshold=1e-3, n_jobs=1))
        == "RipsLayer(max_dim=1, threshold=0.001, n_jobs=1)"
    )
    assert repr(SelectDimension(1, finite=False)) == "SelectDimension(dim=1, finite=False)"
    assert list(RipsLayer().parameters()) == []  # no weights of its own
