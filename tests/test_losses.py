"""Topological losses: hand-computed values, agreement with gudhi/scipy, gradients, descent."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gudhi.representations import SlicedWassersteinDistance
from gudhi.wasserstein import wasserstein_distance as gudhi_wasserstein
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial.distance import cdist

import tda_pipe as tp
from tda_pipe.losses import (
    DiagramDistanceLoss,
    MSTLengthLoss,
    PersistenceEntropyLoss,
    SignatureLoss,
    TotalPersistenceLoss,
    sliced_wasserstein_distance,
    wasserstein_distance,
)
from tda_pipe.tda.differentiable import rips_pairing_edges, rips_persistence
from tda_pipe.tda.features import persistence_entropy


def test_signature_loss_by_hand_on_a_line():
    # MST of {0, 1, 3} has edges of length 1 and 2; doubling the latent doubles them:
    # L = 1/2 [(1-2)^2 + (2-4)^2] for each direction = 2.5 + 2.5
    x = torch.tensor([[0.0], [1.0], [3.0]], dtype=torch.float64)
    loss = SignatureLoss(normalize=False, learn_scale=False)
    assert loss(x, 2 * x).item() == pytest.approx(5.0)
    assert loss(x, x).item() == 0.0
    # data distances divided by their maximum (3): (1/3 - 2)^2 + (2/3 - 4)^2, halved, twice
    normalized = SignatureLoss(normalize=True, learn_scale=False)(x, 2 * x).item()
    assert normalized == pytest.approx((1 / 3 - 2) ** 2 + (2 / 3 - 4) ** 2)


def _mst_pairs(points: np.ndarray) -> list[tuple[int, int]]:
    tree = minimum_spanning_tree(cdist(points, points)).tocoo()
    return list(zip(tree.row.tolist(), tree.col.tolist()))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_signature_loss_equals_the_papers_formula_on_unrelated_data_and_latent(seed):
    """An independent reference: both MSTs from scipy, data distances divided by the data's
    largest distance (never the latent's), latent distances unscaled."""
    rng = np.random.default_rng(seed)
    x, z = rng.normal(size=(30, 5)), 3.0 * rng.normal(size=(30, 2))
    dx, dz = cdist(x, x), cdist(z, z)
    ax, az = dx / dx.max(), dz
    reference = sum(
        0.5 * (ax[i, j] - az[i, j]) ** 2
        for pairs in (_mst_pairs(x), _mst_pairs(z))
        for i, j in pairs
    )
    loss = SignatureLoss(normalize=True, learn_scale=False)
    for data in (torch.tensor(x), torch.tensor(x, requires_grad=True)):  # fixed or trained data
        assert loss(data, torch.tensor(z)).item() == pytest.approx(reference, rel=1e-10)


def test_signature_loss_with_h1_uses_both_pairings():
    rng = np.random.default_rng(0)
    x = torch.tensor(tp.datasets.circle(40, noise=0.05, seed=0))
    z = torch.tensor(rng.normal(size=(40, 2)))
    loss = SignatureLoss(dims=(0, 1), normalize=False, learn_scale=False)(x, z)
    expected = 0.0
    for source in (x, z):
        edges = rips_pairing_edges(cdist(source.numpy(), source.numpy()), (0, 1))
        dx = np.linalg.norm(x.numpy()[edges[:, 0]] - x.numpy()[edges[:, 1]], axis=1)
        dz = np.linalg.norm(z.numpy()[edges[:, 0]] - z.numpy()[edges[:, 1]], axis=1)
        expected += 0.5 * ((dx - dz) ** 2).sum()
    assert loss.item() == pytest.approx(expected)
    h0_only = SignatureLoss(dims=(0,), normalize=False, learn_scale=False)(x, z)
    assert loss.item() > h0_only.item()


def test_signature_loss_gradcheck_and_training_decreases_it():
    torch.manual_seed(0)
    x = torch.randn(20, 5, dtype=torch.float64)
    z = torch.randn(20, 2, dtype=torch.float64, requires_grad=True)
    loss = SignatureLoss(dims=(0, 1), learn_scale=False)
    assert torch.autograd.gradcheck(lambda z: loss(x, z), (z,))

    data = torch.tensor(tp.datasets.sphere(128, dim=2, seed=1), dtype=torch.float32) * 3
    encoder = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    topo = SignatureLoss()
    optimizer = torch.optim.Adam([*encoder.parameters(), *topo.parameters()], lr=1e-2)
    history = []
    for _ in range(100):
        optimizer.zero_grad()
        value = topo(data, encoder(data))
        value.backward()
        optimizer.step()
        history.append(value.item())
    assert np.mean(history[-5:]) < 0.5 * np.mean(history[:5])
    assert topo.latent_scale.grad is not None


def test_signature_loss_is_the_same_with_a_trainable_input():
    # fixed data reads its lengths from the pairing's matrix; data with a gradient gathers them
    torch.manual_seed(1)
    x = torch.randn(30, 6, dtype=torch.float64)
    z = torch.randn(30, 2, dtype=torch.float64)
    for dims in ((0,), (0, 1)):
        loss = SignatureLoss(dims=dims, learn_scale=False)
        fixed = loss(x, z)
        trainable = x.clone().requires_grad_()
        torch.testing.assert_close(loss(trainable, z), fixed, rtol=1e-12, atol=1e-12)
        assert torch.autograd.gradcheck(loss, (trainable, z.requires_grad_()))
        z = z.detach()


def test_mst_length_loss_is_minus_the_spanning_tree_length():
    z = torch.randn(50, 8, dtype=torch.float64)
    unit = z / z.norm(dim=1, keepdim=True)
    reference = minimum_spanning_tree(cdist(unit.numpy(), unit.numpy())).sum()
    assert MSTLengthLoss()(z).item() == pytest.approx(-reference)
    raw = minimum_spanning_tree(cdist(z.numpy(), z.numpy())).sum()
    assert MSTLengthLoss(normalize=False)(z).item() == pytest.approx(-raw)
    mean = MSTLengthLoss(normalize=False, reduction="mean")(z).item()
    assert mean == pytest.approx(-raw / 49)


def test_mst_norm_penalty_is_the_mean_squared_distance_of_the_norms_to_one():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(40, 6)) * rng.uniform(0.2, 3.0, size=(40, 1))
    tree = minimum_spanning_tree(cdist(z, z)).sum()
    penalty = np.mean((np.linalg.norm(z, axis=1) - 1.0) ** 2)
    for weight in (0.5, 4.0):
        value = MSTLengthLoss(normalize=False, norm_penalty=weight)(torch.tensor(z)).item()
        assert value == pytest.approx(-tree + weight * penalty, rel=1e-12)
    value = MSTLengthLoss(normalize=False, norm_penalty=2.0, reduction="mean")(torch.tensor(z))
    assert value.item() == pytest.approx(-tree / 39 + 2.0 * penalty, rel=1e-12)


def test_gradcheck_of_the_mst_and_persistence_losses():
    torch.manual_seed(2)
    z = torch.randn(24, 3, dtype=torch.float64, requires_grad=True)
    for loss in (
        MSTLengthLoss(),
        MSTLengthLoss(normalize=False, norm_penalty=0.5, reduction="mean"),
        lambda z: TotalPersistenceLoss(dim=1, order=2.0)(rips_persistence(z, 1)),
        lambda z: TotalPersistenceLoss(dim=0, skip_longest=2)(rips_persistence(z, 1)),
        lambda z: PersistenceEntropyLoss(dim=1)(rips_persistence(z, 1)),
    ):
        assert torch.autograd.gradcheck(loss, (z,))


def test_mst_length_loss_spreads_a_collapsed_batch():
    torch.manual_seed(0)
    z = (torch.randn(64, 3) * 0.01 + torch.tensor([1.0, 0.0, 0.0])).requires_grad_()
    loss = MSTLengthLoss()
    optimizer = torch.optim.SGD([z], lr=0.05)
    start = -loss(z).item()
    for _ in range(50):
        optimizer.zero_grad()
        loss(z).backward()
        optimizer.step()
    assert -loss(z).item() > 5 * start
    z_eval = z.detach().clone().requires_grad_()
    penalised = MSTLengthLoss(normalize=False, norm_penalty=10.0)(z_eval)
    penalised.backward()
    assert torch.isfinite(z_eval.grad).all()


def test_wasserstein_and_sliced_agree_with_gudhi():
    rng = np.random.default_rng(0)
    a = np.sort(rng.random((8, 2)), axis=1)
    b = np.sort(rng.random((5, 2)), axis=1)
    for order, internal_p in ((1.0, np.inf), (2.0, np.inf), (2.0, 2.0)):
        ours = wasserstein_distance(torch.tensor(a), torch.tensor(b), order, internal_p).item()
        assert ours == pytest.approx(gudhi_wasserstein(a, b, order=order, internal_p=internal_p))
    reference = SlicedWassersteinDistance(num_directions=2000).fit([a]).transform([b])[0, 0]
    ours = sliced_wasserstein_distance(torch.tensor(a), torch.tensor(b), 2000).item()
    assert ours == pytest.approx(reference, rel=1e-3)


@pytest.mark.parametrize("kind", ["wasserstein", "sliced"])
def test_diagram_distance_loss_gradients_and_descent(kind):
    x = torch.tensor(tp.datasets.circle(16, noise=0.1, seed=0), requires_grad=True)
    target = [[0.0, 1.5]]
    loss = DiagramDistanceLoss(target, dim=1, kind=kind)
    assert torch.autograd.gradcheck(lambda x: loss(rips_persistence(x, 1)), (x,))
    # grow a small loop towards the target's large one
    cloud = torch.tensor(tp.datasets.circle(40, radius=0.7, noise=0.03, seed=1), requires_grad=True)
    loss = DiagramDistanceLoss(target, dim=1, kind=kind, internal_p=2.0)  # smooth ground norm
    optimizer = torch.optim.Adam([cloud], lr=0.01)
    start = loss(rips_persistence(cloud, 1)).item()
    for _ in range(100):
        optimizer.zero_grad()
        loss(rips_persistence(cloud, 1)).backward()
        optimizer.step()
    assert loss(rips_persistence(cloud, 1)).item() < 0.5 * start


@pytest.mark.parametrize("kind", ["wasserstein", "sliced"])
def test_diagram_distance_loss_takes_the_diagrams_it_is_given(kind):
    """The target may be what rips_persistence returns (the README's block), Diagrams, or an
    array: the same loss each way, and the target never carries a gradient."""
    ring = torch.tensor(tp.datasets.circle(30, noise=0.05, seed=0), requires_grad=True)
    torch_target = rips_persistence(ring, 1)
    array = torch_target[1].detach().numpy()
    x = torch.tensor(tp.datasets.circle(25, radius=0.6, noise=0.05, seed=1))
    values = [
        DiagramDistanceLoss(t, dim=1, kind=kind)(rips_persistence(x, 1)).item()
        for t in (torch_target, tp.Diagrams([np.zeros((0, 2)), array]), array, array.tolist())
    ]
    assert values == pytest.approx([values[0]] * 4, rel=1e-12) and values[0] > 0.1
    assert not DiagramDistanceLoss(torch_target, dim=1, kind=kind).target.requires_grad


def test_total_persistence_and_entropy_values():
    d = torch.tensor([[0.0, 1.0], [0.0, 3.0], [1.0, 1.5], [0.0, float("inf")]])
    assert TotalPersistenceLoss(dim=0)(d).item() == pytest.approx(4.5)
    assert TotalPersistenceLoss(dim=0, order=2)(d).item() == pytest.approx(1 + 9 + 0.25)
    assert TotalPersistenceLoss(dim=0, skip_longest=1)(d).item() == pytest.approx(1.5)
    entropy = PersistenceEntropyLoss(dim=0)(d).item()
    assert entropy == pytest.approx(persistence_entropy(d.numpy()))
    batch = [rips_persistence(torch.randn(20, 2), 1) for _ in range(3)]
    per_item = [TotalPersistenceLoss(dim=1)(b).item() for b in batch]
    assert TotalPersistenceLoss(dim=1)(batch).item() == pytest.approx(np.mean(per_item))


def test_total_persistence_descent_cleans_a_noisy_circle():
    """Removing all H1 persistence but the main loop's: the noise loops vanish, the circle stays."""
    cloud = torch.tensor(tp.datasets.circle(60, noise=0.15, seed=3), requires_grad=True)
    loss = TotalPersistenceLoss(dim=1, skip_longest=1)

    def h1_lifetimes() -> np.ndarray:
        d = rips_persistence(cloud.detach(), 1)[1].numpy()
        return np.sort(d[:, 1] - d[:, 0])[::-1]

    before = h1_lifetimes()
    optimizer = torch.optim.SGD([cloud], lr=0.02)
    for _ in range(100):
        optimizer.zero_grad()
        loss(rips_persistence(cloud, 1)).backward()
        optimizer.step()
    after = h1_lifetimes()
    assert after[1:].sum() < 0.2 * before[1:].sum()
    assert after[0] > 0.8 * before[0] > 0.5


def test_diagram_distances_by_hand():
    """Two points against the empty diagram: each goes to the diagonal at (d - b) / 2 in the
    sup norm, summed in order 2 by default; the sliced distance on 2 and 4 directions."""
    d = torch.tensor([[0.0, 1.0], [0.5, 2.5]], dtype=torch.float64)
    empty = torch.zeros(0, 2, dtype=torch.float64)
    assert wasserstein_distance(d, empty).item() == pytest.approx(np.hypot(0.5, 1.0))
    assert wasserstein_distance(d, empty, order=1.0).item() == pytest.approx(1.5)
    one = d[:1]  # projected against its diagonal point (0.5, 0.5): 0.5 |sin t - cos t|
    assert sliced_wasserstein_distance(one, empty, 2).item() == pytest.approx(0.5)
    four = 0.5 * (1 + np.sqrt(2) + 1 + 0) / 4  # t = -pi/2, -pi/4, 0, pi/4
    assert sliced_wasserstein_distance(one, empty, 4).item() == pytest.approx(four)
    default = sliced_wasserstein_distance(d, empty).item()
    assert default == sliced_wasserstein_distance(d, empty, 50).item()  # the documented 50
    # the loss towards an empty target is the same distance
    loss = DiagramDistanceLoss([], dim=0)
    assert loss.target.shape == (0, 2) and loss(d).item() == pytest.approx(np.hypot(0.5, 1.0))
    assert DiagramDistanceLoss([], kind="sliced")(d).item() == default


def test_diagram_distance_loss_defaults_and_kinds():
    """dim 1, order 2 and 50 directions by default; each kind is its own distance."""
    x = torch.tensor(tp.datasets.circle(25, radius=0.6, noise=0.05, seed=1))
    diagrams = rips_persistence(x, 1)
    target = np.array([[0.0, 1.5], [0.1, 0.3]])
    h1 = diagrams[1].detach().numpy()
    wasserstein = DiagramDistanceLoss(target)(diagrams).item()
    assert wasserstein == pytest.approx(gudhi_wasserstein(h1, target, order=2.0, internal_p=np.inf))
    assert DiagramDistanceLoss(target, order=1.0)(diagrams).item() == pytest.approx(
        gudhi_wasserstein(h1, target, order=1.0, internal_p=np.inf)
    )
    sliced = DiagramDistanceLoss(target, kind="sliced")(diagrams).item()
    assert sliced == sliced_wasserstein_distance(diagrams[1], torch.tensor(target), 50).item()
    assert abs(sliced - wasserstein) > 0.01
    assert DiagramDistanceLoss(target, dim=0)(diagrams).item() != pytest.approx(wasserstein)


def test_persistence_losses_default_to_h1_and_take_the_finite_classes():
    diagrams = rips_persistence(torch.tensor(tp.datasets.circle(25, noise=0.1, seed=2)), 1)
    for make in (TotalPersistenceLoss, PersistenceEntropyLoss):
        assert make()(diagrams).item() == make(dim=1)(diagrams).item()
        assert make()(diagrams).item() != make(dim=0)(diagrams).item()


def test_persistence_losses_of_empty_and_zero_diagrams_are_zero_with_zero_gradients():
    """No class, or classes of zero persistence (birth = death): the loss is 0, not NaN, and
    stays in the graph; the entropy's gradient is then 0, total persistence's that of
    ``sum(d - b)``; a batch mean with such an item stays finite."""
    zero = torch.tensor([[1.0, 1.0], [2.0, 2.0]], dtype=torch.float64)
    cases = [
        (TotalPersistenceLoss(), torch.zeros(0, 2), torch.zeros(0, 2)),
        (PersistenceEntropyLoss(), torch.zeros(0, 2), torch.zeros(0, 2)),
        (PersistenceEntropyLoss(), zero, torch.zeros(2, 2)),
        (TotalPersistenceLoss(), zero, torch.tensor([[-1.0, 1.0], [-1.0, 1.0]])),
    ]
    for loss, d, gradient in cases:
        d = d.double().clone().requires_grad_()
        value = loss(d)
        value.backward()
        assert value.item() == 0.0
        assert torch.equal(d.grad, gradient.double())
    small = torch.tensor([[0.0, 0.1], [0.0, 0.3]])  # a total persistence below 1
    p = np.array([0.25, 0.75])
    assert PersistenceEntropyLoss()(small).item() == pytest.approx(-(p * np.log(p)).sum())
    batch = [small, torch.zeros(0, 2)]
    assert TotalPersistenceLoss()(batch).item() == pytest.approx(0.2)


def test_dimension_and_order_checks_of_the_diagram_losses():
    diagrams = rips_persistence(torch.randn(12, 2), 1)  # dimensions 0 and 1
    for make in (TotalPersistenceLoss, PersistenceEntropyLoss):
        with pytest.raises(ValueError, match=r"^the diagrams hold dimensions 0\.\.1, not dim=2$"):
            make(dim=2)(diagrams)
    with pytest.raises(ValueError, match=r"^target holds dimensions 0\.\.1, not dim=2$"):
        DiagramDistanceLoss(diagrams, dim=2)
    with pytest.raises(ValueError, match="order must be > 0, got 0"):
        TotalPersistenceLoss(order=0)
    with pytest.raises(ValueError, match="order must be >= 1, got 0.5"):
        DiagramDistanceLoss([[0.0, 1.0]], order=0.5)
    with pytest.raises(ValueError, match="skip_longest must be >= 0, got -1"):
        TotalPersistenceLoss(skip_longest=-1)
    assert TotalPersistenceLoss(skip_longest=0)(torch.tensor([[0.0, 2.0]])).item() == 2.0


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: SignatureLoss()(torch.randn(5, 3), torch.randn(4, 2)), "same batch"),
        (lambda: SignatureLoss()(torch.full((5, 3), float("nan")), torch.randn(5, 2)), "x has NaN"),
        (lambda: SignatureLoss()(torch.randn(1, 3), torch.randn(1, 2)), "at least 2"),
        (lambda: SignatureLoss()(torch.randn(5), torch.randn(5)), "x must be a batch"),
        (lambda: SignatureLoss(dims=(3,)), "dims"),
        (lambda: MSTLengthLoss()(torch.tensor([[float("inf"), 0.0], [0.0, 1.0]])), "z has NaN"),
        (lambda: MSTLengthLoss(reduction="max"), "reduction"),
        (lambda: TotalPersistenceLoss(dim=-1), "dim"),
        (lambda: DiagramDistanceLoss([[0, 1]], kind="nope"), "kind"),
        (lambda: DiagramDistanceLoss([0, 1, 2]), "target must be a"),
        (lambda: DiagramDistanceLoss([[0, float("nan")]]), "target holds NaN"),
        (lambda: DiagramDistanceLoss(rips_persistence(torch.randn(9, 2), 1), dim=2), "target"),
        (lambda: DiagramDistanceLoss(object()), "target must be"),
        (lambda: TotalPersistenceLoss()(np.zeros((3, 2))), "TorchDiagrams"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_losses_on_cuda_equal_cpu_and_keep_gradients_on_the_device():
    torch.manual_seed(0)
    x = torch.randn(64, 10, dtype=torch.float64)
    z_cpu = torch.randn(64, 2, dtype=torch.float64, requires_grad=True)
    z_gpu = z_cpu.detach().cuda().requires_grad_()
    target = tp.persistence(tp.datasets.circle(30, seed=0), max_dim=1)
    losses = [
        lambda x, z: SignatureLoss(dims=(0, 1)).to(z.device)(x, z),
        lambda x, z: MSTLengthLoss()(z),
        lambda x, z: TotalPersistenceLoss(dim=1)(rips_persistence(z, 1)),
        lambda x, z: DiagramDistanceLoss(target, dim=1)(rips_persistence(z, 1)),
    ]
    for loss in losses:
        on_cpu, on_gpu = loss(x, z_cpu), loss(x.cuda(), z_gpu)
        assert on_gpu.device.type == "cuda"
        torch.testing.assert_close(on_gpu.cpu(), on_cpu)
        on_cpu.backward()
        on_gpu.backward()
        assert z_gpu.grad.device.type == "cuda"
        torch.testing.assert_close(z_gpu.grad.cpu(), z_cpu.grad)
        z_cpu.grad = z_gpu.grad = None


def test_signature_loss_names_both_batch_sizes():
    with pytest.raises(ValueError, match="same batch: 3 vs 4 rows"):
        SignatureLoss()(torch.randn(3, 2), torch.randn(4, 2))


def test_signature_loss_normalisation_makes_the_data_scale_irrelevant():
    gen = torch.Generator().manual_seed(0)
    x, z = torch.randn(20, 5, generator=gen), torch.randn(20, 2, generator=gen)
    loss = SignatureLoss(dims=(0, 1), learn_scale=False)
    small, large = loss(0.1 * x, z), loss(10.0 * x, z)
    torch.testing.assert_close(small, large)
    # identical points: nothing to normalise by, the loss stays finite (the latent lengths alone)
    same = loss(torch.zeros(6, 3), z[:6])
    assert torch.isfinite(same) and same > 0


def test_signature_loss_divides_the_latent_lengths_by_the_latent_scale():
    gen = torch.Generator().manual_seed(1)
    x, z = torch.randn(15, 4, generator=gen), torch.randn(15, 2, generator=gen)
    scaled = SignatureLoss(learn_scale=False)
    scaled.latent_scale.fill_(2.0)
    torch.testing.assert_close(scaled(x, z), SignatureLoss(learn_scale=False)(x, z / 2.0))
