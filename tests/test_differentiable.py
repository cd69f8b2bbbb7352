"""Differentiable persistence: gradients checked by finite differences, values equal to the core's
diagrams, batches, ties, bad input, CUDA and a small optimisation.

The pairing is the core's (gudhi's Ripser on edge ranks, gudhi, MST); the values are gathered
in torch, in float64 here, so they equal the core's float64 values to rounding: compared at
1e-9 (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pytest
import torch
import trimesh
from joblib import Parallel, delayed

import tda_pipe as tp
from tda_pipe.tda import differentiable
from tda_pipe.tda import filtrations as F
from tda_pipe.tda.differentiable import (
    TorchDiagrams,
    alpha_persistence,
    cubical_persistence,
    lower_star_persistence,
    pairwise_distances,
    rips_persistence,
    weighted_rips_persistence,
)

FLOAT64_TOL = 1e-9


def _score(dgm: torch.Tensor) -> torch.Tensor:
    """Births + 2 * finite deaths + squared finite lifetimes: both ends of every finite bar count,
    non-linearly, so a wrong sign or a swapped birth/death shows in the gradient."""
    finite = torch.isfinite(dgm[:, 1])
    births, deaths = dgm[finite, 0], dgm[finite, 1]
    return dgm[:, 0].sum() + 2 * deaths.sum() + ((deaths - births) ** 2).sum()


def _total(d: TorchDiagrams) -> torch.Tensor:
    return sum(_score(d[p]) for p in range(len(d)))


def _lifetimes(dgm: torch.Tensor) -> torch.Tensor:
    finite = torch.isfinite(dgm[:, 1])
    return dgm[finite, 1] - dgm[finite, 0]


# -- the filtration kinds under test, each with generic (tie-free) inputs -------------------


@dataclass
class Case:
    """Inputs with grad, the differentiable diagrams of them, the core's diagrams of the same
    filtration, and the homology dimensions it has."""

    make: Callable[[], tuple[torch.Tensor, ...]]
    torch_fn: Callable[..., TorchDiagrams]  # (*inputs, max_dim)
    core_fn: Callable[..., tp.Diagrams]  # (*numpy inputs, max_dim)
    dims: tuple[int, ...]


def _t(array) -> torch.Tensor:
    return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


N_MATRIX = 11
_IU = np.triu_indices(N_MATRIX, 1)


def _symmetric(upper):
    """The distance matrix with strict upper triangle ``upper`` (torch or numpy), zero diagonal:
    perturbing ``upper`` keeps it a valid (symmetric) matrix."""
    if isinstance(upper, torch.Tensor):
        i, j = (torch.as_tensor(a, device=upper.device) for a in _IU)
        m = upper.new_zeros((N_MATRIX, N_MATRIX)).index_put((i, j), upper)
        return m + m.T
    m = np.zeros((N_MATRIX, N_MATRIX))
    m[_IU] = upper
    return m + m.T


GRAPH = nx.grid_2d_graph(4, 5)
GRAPH.add_edges_from(((i, j), (i + 1, j + 1)) for i in range(3) for j in range(4))
MESH = trimesh.creation.icosphere(subdivisions=1)

CASES = {
    "rips-points": Case(
        lambda: (_t(tp.datasets.sphere(30, noise=0.05, seed=1)),),
        lambda x, m: rips_persistence(x, m),
        lambda x, m: tp.persistence(x, m, filtration="rips"),
        (0, 1, 2),
    ),
    "rips-matrix": Case(
        lambda: (_t(0.5 + np.random.default_rng(2).random(len(_IU[0]))),),
        lambda v, m: rips_persistence(_symmetric(v), m, metric="precomputed"),
        lambda v, m: tp.persistence(_symmetric(v), m, metric="precomputed"),
        (0, 1, 2),
    ),
    "weighted-rips": Case(
        lambda: (
            _t(tp.datasets.sphere(24, noise=0.05, seed=3)),
            _t(0.3 * np.random.default_rng(3).random(24)),
        ),
        lambda x, w, m: weighted_rips_persistence(x, w, m),
        lambda x, w, m: tp.persistence(x, m, filtration="weighted-rips", weights=w),
        (0, 1, 2),
    ),
    "alpha-2d": Case(
        lambda: (_t(np.random.default_rng(4).random((20, 2))),),
        lambda x, m: alpha_persistence(x, m),
        lambda x, m: tp.persistence(x, m, filtration="alpha"),
        (0, 1),
    ),
    "alpha-3d": Case(
        lambda: (_t(np.random.default_rng(5).random((14, 3))),),
        lambda x, m: alpha_persistence(x, m),
        lambda x, m: tp.persistence(x, m, filtration="alpha"),
        (0, 1, 2),
    ),
    "cubical-2d": Case(
        lambda: (_t(np.random.default_rng(6).random((6, 7))),),
        lambda img, m: cubical_persistence(img, m),
        lambda img, m: tp.persistence(img, m, filtration="cubical"),
        (0, 1),
    ),
    "cubical-3d": Case(
        lambda: (_t(np.random.default_rng(7).random((4, 5, 4))),),
        lambda img, m: cubical_persistence(img, m),
        lambda img, m: tp.persistence(img, m, filtration="cubical"),
        (0, 1, 2),
    ),
    "lower-star-graph": Case(
        lambda: (_t(np.random.default_rng(8).random(GRAPH.number_of_nodes())),),
        lambda v, m: lower_star_persistence(v, GRAPH, m),
        lambda v, m: tp.persistence(F.lower_star_graph(GRAPH, v), m),
        (0, 1),
    ),
    "lower-star-mesh": Case(
        lambda: (_t(np.random.default_rng(9).random(len(MESH.vertices))),),
        lambda v, m: lower_star_persistence(v, MESH, m),
        lambda v, m: tp.persistence(F.lower_star_mesh(MESH, v), m),
        (0, 1, 2),
    ),
}


#: A graph's cycles and the sphere's void never die: their births alone carry the gradient.
ONLY_ESSENTIAL = {("lower-star-graph", 1), ("lower-star-mesh", 2)}


@pytest.mark.parametrize("name,dim", [(name, p) for name, case in CASES.items() for p in case.dims])
def test_gradcheck_every_kind_and_dimension(name, dim):
    """Analytic gradients equal finite differences, with ``max_dim = dim`` (so H0 alone goes
    through the MST path for Rips)."""
    case = CASES[name]
    inputs = case.make()

    def f(*args):
        return _score(case.torch_fn(*args, dim)[dim])

    dgm = case.torch_fn(*inputs, dim)[dim]
    assert len(dgm) > 0, "the check would be vacuous"
    assert dgm.dtype == torch.float64
    if (name, dim) not in ONLY_ESSENTIAL:
        assert torch.isfinite(dgm[:, 1]).any()  # deaths take part, not only births
    grads = torch.autograd.grad(f(*inputs), inputs)
    for g in grads:  # the function is not constant in any input (points and weights)
        assert torch.isfinite(g).all() and g.abs().max() > 0
    assert torch.autograd.gradcheck(f, inputs)


@pytest.mark.parametrize("name", list(CASES))
def test_values_equal_the_core_diagrams(name, same_diagrams):
    case = CASES[name]
    inputs = case.make()
    top = max(case.dims)
    d = case.torch_fn(*inputs, top)
    core = case.core_fn(*(x.detach().numpy() for x in inputs), top)
    assert isinstance(d, TorchDiagrams) and len(d) == top + 1
    assert all(d[p].shape == core[p].shape for p in range(top + 1))
    assert all(len(d[p]) > 0 for p in range(top + 1))  # not vacuous in any dimension
    assert d.filtration == core.filtration
    same_diagrams(d.numpy(), core, FLOAT64_TOL)
    # the pairs say which simplices the values were read from; numpy() keeps them
    assert d.numpy().pairs is not None and len(d.numpy().pairs) == top + 1


def test_values_with_threshold_and_vertex_values_on_the_diagonal(same_diagrams):
    rng = np.random.default_rng(10)
    X = rng.random((20, 3))
    for m in (0, 1, 2):
        d = rips_persistence(torch.tensor(X), m, threshold=0.3)
        core = tp.persistence(X, m, threshold=0.3)
        same_diagrams(d.numpy(), core, FLOAT64_TOL)
    assert np.isinf(d[0][:, 1].numpy()).sum() > 1  # the threshold leaves several components
    # a filtration matrix whose vertices enter at the diagonal values
    w = 0.2 * rng.random(20)
    M = np.linalg.norm(X[:, None] - X[None], axis=-1)
    M = np.maximum(M, np.maximum.outer(w, w))
    np.fill_diagonal(M, w)
    M_t = _t(M)
    d = rips_persistence(M_t, 1, metric="precomputed")
    same_diagrams(d.numpy(), tp.persistence(M, 1, metric="precomputed"), FLOAT64_TOL)
    assert d[0][:, 0].min() > 0  # births at the diagonal, not at 0
    d[0][:, 0].sum().backward()
    assert torch.diagonal(M_t.grad).abs().sum() > 0


def test_pairwise_distances_have_finite_gradients_at_zero():
    x = _t([[0.0, 0.0], [0.0, 0.0], [3.0, 4.0]])
    D = pairwise_distances(x)
    np.testing.assert_allclose(D.detach().numpy()[0], [0.0, 0.0, 5.0])
    D.sum().backward()
    assert torch.isfinite(x.grad).all()
    np.testing.assert_allclose(x.grad.numpy()[2], [4 * 0.6, 4 * 0.8])  # 4 terms d|x2 - xi|/dx2


# -- batches --------------------------------------------------------------------------------


def _clouds(sizes=(15, 22, 30, 18)) -> list[torch.Tensor]:
    return [_t(tp.datasets.circle(n, noise=0.1, seed=n)) for n in sizes]


@pytest.mark.parametrize("n_jobs", [None, 1, 2])
def test_batch_equals_one_by_one_and_backward_reaches_every_cloud(n_jobs):
    xs = _clouds()
    batch = rips_persistence(xs, 1, n_jobs=n_jobs)
    assert isinstance(batch, list) and len(batch) == len(xs)
    sum(_total(d) for d in batch).backward()
    for x, d in zip(xs, batch):
        assert isinstance(d, TorchDiagrams) and len(d[1]) > 0
        x_alone = x.detach().clone().requires_grad_()
        alone = rips_persistence(x_alone, 1)
        for p in range(2):
            torch.testing.assert_close(d[p], alone[p], rtol=0, atol=0)
        _total(alone).backward()
        assert x.grad is not None and x.grad.abs().sum() > 0
        torch.testing.assert_close(x.grad, x_alone.grad)


def test_rips_batch_in_worker_threads_equals_one_by_one_and_leaves_joblib_usable(monkeypatch):
    monkeypatch.setattr(differentiable, "THREAD_MIN_POINTS", 0)  # force the thread pool
    xs = _clouds()
    batch = rips_persistence(xs, 1, n_jobs=2)
    for x, d in zip(xs, batch):
        alone = rips_persistence(x.detach(), 1)
        for p in range(2):
            torch.testing.assert_close(d[p].detach(), alone[p], rtol=0, atol=0)
    # the singularity scores run joblib's loky backend in the same process afterwards
    assert Parallel(n_jobs=2, backend="loky")(delayed(abs)(-i) for i in range(3)) == [0, 1, 2]


@pytest.mark.parametrize("n_jobs", [None, 1, 2])
def test_weighted_batch_equals_one_by_one_and_reaches_points_and_weights(n_jobs):
    xs = _clouds((16, 25, 20))
    ws = [_t(0.3 * np.random.default_rng(len(x)).random(len(x))) for x in xs]
    batch = weighted_rips_persistence(xs, ws, 1, n_jobs=n_jobs)
    assert isinstance(batch, list) and len(batch) == len(xs)
    sum(_total(d) for d in batch).backward()
    for x, w, d in zip(xs, ws, batch):
        x1, w1 = x.detach().clone().requires_grad_(), w.detach().clone().requires_grad_()
        alone = weighted_rips_persistence(x1, w1, 1)
        for p in range(2):
            torch.testing.assert_close(d[p], alone[p], rtol=0, atol=0)
        _total(alone).backward()
        for g, g1 in ((x.grad, x1.grad), (w.grad, w1.grad)):
            assert g is not None and g.abs().sum() > 0
            torch.testing.assert_close(g, g1)


def test_empty_batch_gives_an_empty_list():
    assert rips_persistence([], 1) == []
    assert weighted_rips_persistence([], [], 1) == []


# -- ties and duplicates -------------------------------------------------------------------

_GRID = np.stack(np.meshgrid(np.arange(4.0), np.arange(4.0)), -1).reshape(-1, 2)
_CUBE = np.stack(np.meshgrid(*[np.arange(3.0)] * 3), -1).reshape(-1, 3)
TIED = {
    "square": np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
    "grid": _GRID,
    "grid-with-duplicates": np.concatenate([_GRID, _GRID[:5], _GRID[:2]]),
    "cube-grid": _CUBE,
    "duplicates-only": np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 3.0]]),
}


@pytest.mark.parametrize("kind", ["rips", "rips-matrix", "weighted-rips", "alpha"])
@pytest.mark.parametrize("shape", list(TIED))
def test_ties_and_duplicates_give_finite_gradients_and_core_values(shape, kind, same_diagrams):
    P = TIED[shape]
    x = _t(P)
    w = _t(np.full(len(P), 0.2))
    max_dim = 2 if P.shape[1] == 3 or kind != "alpha" else 1
    if kind == "rips":
        d = rips_persistence(x, max_dim)
        core = tp.persistence(P, max_dim, filtration="rips")
    elif kind == "rips-matrix":
        d = rips_persistence(pairwise_distances(x), max_dim, metric="precomputed")
        core = tp.persistence(P, max_dim, filtration="rips")
    elif kind == "weighted-rips":
        d = weighted_rips_persistence(x, w, max_dim)
        core = tp.persistence(P, max_dim, filtration="weighted-rips", weights=w.detach().numpy())
    else:
        d = alpha_persistence(x, max_dim)
        core = tp.persistence(P, max_dim, filtration="alpha")
    same_diagrams(d.numpy(), core, FLOAT64_TOL)
    assert all(not torch.isnan(d[p]).any() for p in range(len(d)))
    _total(d).backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    if kind == "weighted-rips":
        assert torch.isfinite(w.grad).all() and w.grad.abs().sum() > 0


def test_square_h1_bar_and_its_gradient():
    """The square's corners: four tied sides (H1 birth 1) and two tied diagonals (death
    sqrt 2). Scaling the square scales the bar, so the gradient's radial part is exact."""
    x = _t(TIED["square"])
    h1 = rips_persistence(x, 1)[1]
    torch.testing.assert_close(h1.detach(), torch.tensor([[1.0, np.sqrt(2)]], dtype=torch.float64))
    (h1[0, 1] - h1[0, 0]).backward()
    assert torch.isfinite(x.grad).all()
    # d/dt of (lifetime of the square scaled by 1 + t about its centre) = sqrt 2 - 1
    radial = x.detach() - x.detach().mean(0)
    assert float((x.grad * radial).sum()) == pytest.approx(np.sqrt(2) - 1)


@pytest.mark.parametrize(
    "values",
    [
        np.zeros((5, 5)),
        np.kron(np.eye(3), np.ones((2, 2))),
        np.round(np.random.default_rng(11).random((4, 4, 4)), 1),
    ],
    ids=["constant", "blocks", "rounded-voxels"],
)
def test_tied_pixels_give_finite_gradients(values, same_diagrams):
    img = _t(values)
    max_dim = values.ndim if values.ndim < 3 else 2
    d = cubical_persistence(img, max_dim)
    core = tp.persistence(values, max_dim, filtration="cubical")
    same_diagrams(d.numpy(), core, FLOAT64_TOL)
    _total(d).backward()
    assert torch.isfinite(img.grad).all() and img.grad.abs().sum() > 0


@pytest.mark.parametrize("complex_", [GRAPH, MESH], ids=["graph", "mesh"])
def test_tied_vertex_values_give_finite_gradients(complex_, same_diagrams):
    n = complex_.number_of_nodes() if isinstance(complex_, nx.Graph) else len(complex_.vertices)
    raw = np.round(np.random.default_rng(12).random(n), 1)  # many ties
    for values in (np.zeros(n), raw):
        v = _t(values)
        d = lower_star_persistence(v, complex_, 2)
        filt = (
            F.lower_star_graph(complex_, values)
            if isinstance(complex_, nx.Graph)
            else F.lower_star_mesh(complex_, values)
        )
        same_diagrams(d.numpy(), tp.persistence(filt, 2), FLOAT64_TOL)
        _total(d).backward()
        assert torch.isfinite(v.grad).all() and v.grad.abs().sum() > 0


# -- bad input -----------------------------------------------------------------------------

_X = torch.rand(10, 2, dtype=torch.float64)
_W = 0.3 * torch.rand(10, dtype=torch.float64)


def _f64(array) -> torch.Tensor:
    return torch.tensor(array, dtype=torch.float64)


BAD = {
    "nan": (lambda: rips_persistence(_f64([[0.0, np.nan], [1.0, 1.0]])), r"^x .*NaN"),
    "inf": (lambda: rips_persistence(_f64([[0.0, np.inf], [1.0, 1.0]])), r"^x .*infinite"),
    "1-D": (lambda: rips_persistence(_f64([0.0, 1.0, 2.0])), r"^x must have 2 dim"),
    "3-D": (lambda: rips_persistence(torch.zeros(3, 3, 3, dtype=torch.float64)), r"^x must have"),
    "one point": (lambda: rips_persistence(_f64([[0.0, 1.0]])), r"^x has 1 point.*at least 2"),
    "no points": (lambda: rips_persistence(torch.zeros(0, 3, dtype=torch.float64)), r"^x has 0"),
    "no coordinates": (
        lambda: rips_persistence(torch.zeros(4, 0, dtype=torch.float64)),
        r"^x has points with 0 coordinates",
    ),
    "max_dim 3": (lambda: rips_persistence(_X, 3), r"max_dim"),
    "max_dim -1": (lambda: rips_persistence(_X, -1), r"max_dim"),
    "integer tensor": (
        lambda: rips_persistence(torch.zeros(4, 2, dtype=torch.int64)),
        r"^x .*float",
    ),
    "numpy": (lambda: rips_persistence(_X.numpy()), r"^x must be a torch\.Tensor"),
    "list of lists": (lambda: rips_persistence([[0.0, 1.0], [1.0, 0.0]]), r"^x must be a torch"),
    "numpy in a batch": (lambda: rips_persistence([_X, _X.numpy()]), r"^x must be a torch"),
    "nan in a batch": (lambda: rips_persistence([_X, _X * np.nan]), r"^x .*NaN"),
    "unknown metric": (lambda: rips_persistence(_X, metric="manhattan"), r"metric"),
    "asymmetric matrix": (
        lambda: rips_persistence(_f64([[0.0, 1.0], [2.0, 0.0]]), metric="precomputed"),
        r"symmetric",
    ),
    "non-square matrix": (
        lambda: rips_persistence(torch.ones(3, 4, dtype=torch.float64), metric="precomputed"),
        r"square",
    ),
    "threshold 0": (lambda: rips_persistence(_X, threshold=0), r"threshold"),
    "weighted: nan x": (lambda: weighted_rips_persistence(_X * np.nan, _W), r"^x .*NaN"),
    "weighted: nan weights": (lambda: weighted_rips_persistence(_X, _W * np.nan), r"^weights"),
    "weighted: negative weights": (lambda: weighted_rips_persistence(_X, -1 - _W), r"weights"),
    "weighted: 2-D weights": (lambda: weighted_rips_persistence(_X, _W[:, None]), r"^weights"),
    "weighted: 1-D x": (lambda: weighted_rips_persistence(_X[:, 0], _W), r"^x must have 2"),
    "weighted: one point": (lambda: weighted_rips_persistence(_X[:1], _W[:1]), r"^x has 1"),
    "weighted: max_dim 3": (lambda: weighted_rips_persistence(_X, _W, 3), r"max_dim"),
    "weighted: max_dim -1": (lambda: weighted_rips_persistence(_X, _W, -1), r"max_dim"),
    "weighted: 9 weights, 10 points": (
        lambda: weighted_rips_persistence(_X, _W[:9]),
        r"^weights has 9 values for 10 points",
    ),
    "weighted: 2 clouds, 1 weights": (
        lambda: weighted_rips_persistence([_X, _X], [_W]),
        r"x holds 2 clouds but weights 1",
    ),
    "weighted: tensor and list": (
        lambda: weighted_rips_persistence(_X, [_W]),
        r"x and weights must both be",
    ),
    "weighted: numpy": (
        lambda: weighted_rips_persistence(_X.numpy(), _W.numpy()),
        r"^x must be a torch",
    ),
    "weighted: numpy weights in a batch": (
        lambda: weighted_rips_persistence([_X], [_W.numpy()]),
        r"^weights must be a torch",
    ),
    "alpha: nan": (lambda: alpha_persistence(_X * np.nan), r"^x .*NaN"),
    "alpha: inf": (lambda: alpha_persistence(_X / 0), r"^x .*infinite"),
    "alpha: 1-D": (lambda: alpha_persistence(_X[:, 0]), r"^x must have 2"),
    "alpha: 3-D": (lambda: alpha_persistence(_X[None]), r"^x must have 2"),
    "alpha: one point": (lambda: alpha_persistence(_X[:1]), r"^x has 1"),
    "alpha: max_dim 3": (lambda: alpha_persistence(_X, 3), r"max_dim"),
    "alpha: max_dim -1": (lambda: alpha_persistence(_X, -1), r"max_dim"),
    "alpha: numpy": (lambda: alpha_persistence(_X.numpy()), r"^x must be a torch"),
    "cubical: 4-D": (
        lambda: cubical_persistence(torch.zeros(2, 2, 2, 2, dtype=torch.float64)),
        r"^image must have",
    ),
    "cubical: nan": (lambda: cubical_persistence(_f64([[0.0, np.nan], [1, 1]])), r"^image .*NaN"),
    "cubical: max_dim 3": (lambda: cubical_persistence(torch.rand(3, 3).double(), 3), r"max_dim"),
    "cubical: max_dim -1": (
        lambda: cubical_persistence(torch.rand(3, 3).double(), -1),
        r"max_dim",
    ),
    "cubical: numpy": (lambda: cubical_persistence(np.zeros((3, 3))), r"^image must be a torch"),
    "lower-star: too few values": (
        lambda: lower_star_persistence(_f64(np.arange(4.0)), nx.cycle_graph(5)),
        r"values .*one value per vertex",
    ),
    "lower-star: mesh, too few values": (
        lambda: lower_star_persistence(_f64(np.arange(5.0)), MESH),
        r"values .*one value per vertex",
    ),
    "lower-star: nan": (
        lambda: lower_star_persistence(_f64([0, 1, 2, 3, np.nan]), nx.cycle_graph(5)),
        r"^values .*NaN",
    ),
    "lower-star: 2-D values": (
        lambda: lower_star_persistence(torch.zeros(5, 1, dtype=torch.float64), nx.cycle_graph(5)),
        r"^values must have 1",
    ),
    "lower-star: max_dim 3": (
        lambda: lower_star_persistence(_f64(np.arange(5.0)), nx.cycle_graph(5), 3),
        r"max_dim",
    ),
    "lower-star: numpy": (
        lambda: lower_star_persistence(np.arange(5.0), nx.cycle_graph(5)),
        r"^values must be a torch",
    ),
}


@pytest.mark.parametrize("call,message", list(BAD.values()), ids=list(BAD))
def test_bad_input_raises_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_finite_values_whose_sum_overflows_are_accepted():
    """The non-finite check sums first (one pass) and looks entry by entry only when the sum
    is not finite: float32 values near its maximum sum to inf and must still pass."""
    x = torch.tensor([[3e38, 0.0], [3e38, 1.0]], dtype=torch.float32)
    assert not torch.isfinite(x.sum())
    assert differentiable.check_tensor(x, "x", 2) is x
    x[1, 1] = float("nan")
    with pytest.raises(ValueError, match="x has NaN or infinite values"):
        differentiable.check_tensor(x, "x", 2)


def test_rips_pairing_edges_defaults_to_h0_over_z2(projective_plane):
    from tda_pipe.tda.differentiable import detached_squared_distances, rips_pairing_edges

    D = detached_squared_distances(torch.tensor(projective_plane(300)))  # H1 differs over Z/3
    np.testing.assert_array_equal(rips_pairing_edges(D), rips_pairing_edges(D, (0,), 2))
    assert len(rips_pairing_edges(D)) == 299  # a spanning tree
    h1 = rips_pairing_edges(D, (1,))
    np.testing.assert_array_equal(h1, rips_pairing_edges(D, (1,), 2))
    assert not np.array_equal(h1, rips_pairing_edges(D, (1,), 3))
    for bad in [(), (3,), (0, 3)]:
        with pytest.raises(ValueError, match="dims must be a non-empty subset of"):
            rips_pairing_edges(D, bad)


@pytest.mark.parametrize("dims", [(1,), (0, 1), (1, 2)])
def test_rips_pairing_edges_are_the_births_and_finite_deaths_ripser_finds(dims, projective_plane):
    """Their lengths, as a multiset: every H1/H2 birth, every finite death of each dimension
    asked (ripser.py on the same cloud, float32)."""
    import ripser

    from tda_pipe.tda.differentiable import detached_squared_distances, rips_pairing_edges

    X = projective_plane(60)
    edges = rips_pairing_edges(detached_squared_distances(torch.tensor(X)), dims)
    lengths = np.linalg.norm(X[edges[:, 0]] - X[edges[:, 1]], axis=1)
    reference = ripser.ripser(X, maxdim=max(dims))["dgms"]
    want = []
    for p in dims:
        births, deaths = reference[p][:, 0], reference[p][:, 1]
        want += [*(births if p > 0 else []), *deaths[np.isfinite(deaths)]]
    np.testing.assert_allclose(np.sort(lengths), np.sort(want), rtol=1e-6, atol=1e-6)


def test_an_empty_dimension_is_an_empty_two_column_tensor_in_the_graph():
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]], dtype=torch.float64, requires_grad=True)
    for d in (
        rips_persistence(x, 2),
        weighted_rips_persistence(x, torch.zeros(3, dtype=x.dtype), 1),
    ):
        assert [tuple(h.shape) for h in d][1:] == [(0, 2)] * (len(d) - 1)
        assert d[-1].grad_fn is not None  # sums of it backpropagate (to zero)


def test_every_entry_point_computes_h0_and_h1_by_default():
    x = _t(np.random.default_rng(0).random((12, 2)))
    assert len(rips_persistence(x)) == 2
    assert len(weighted_rips_persistence(x, torch.zeros(12, dtype=x.dtype))) == 2
    assert len(alpha_persistence(x)) == 2
    assert len(cubical_persistence(_t(np.random.default_rng(0).random((5, 5))))) == 2
    assert len(lower_star_persistence(_t(np.arange(5.0)), nx.cycle_graph(5))) == 2


@pytest.mark.parametrize("pixels", [[0.0, 1.0], [0.0, 2.0, 1.0, 3.0]])
def test_a_signal_of_two_or_more_samples_is_an_image(pixels):
    """1-D images (signals) are taken from two samples on; their H0 is that of the core."""
    d = cubical_persistence(_t(pixels), 0)
    np.testing.assert_array_equal(
        d[0].detach().numpy(), tp.persistence(np.array(pixels), 0, filtration="cubical")[0]
    )


def test_lower_star_values_must_not_be_empty():
    with pytest.raises(ValueError, match="values has 0 point"):
        lower_star_persistence(torch.zeros(0, dtype=torch.float64), nx.empty_graph(0))


# -- CUDA ----------------------------------------------------------------------------------


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("name", list(CASES))
def test_cuda_values_and_gradients_stay_on_the_device_and_equal_cpu(name, same_diagrams):
    case = CASES[name]
    top = max(case.dims)
    cpu = case.make()
    gpu = tuple(x.detach().cuda().requires_grad_() for x in cpu)
    d_cpu, d_gpu = case.torch_fn(*cpu, top), case.torch_fn(*gpu, top)
    for p in range(top + 1):
        assert d_gpu[p].device.type == "cuda"
        torch.testing.assert_close(d_gpu[p].cpu(), d_cpu[p])
    same_diagrams(d_gpu.numpy(), d_cpu.numpy(), FLOAT64_TOL)
    _total(d_cpu).backward()
    _total(d_gpu).backward()
    for x_cpu, x_gpu in zip(cpu, gpu):
        assert x_gpu.grad is not None and x_gpu.grad.device.type == "cuda"
        assert x_cpu.grad.abs().sum() > 0
        torch.testing.assert_close(x_gpu.grad.cpu(), x_cpu.grad)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_batch():
    xs = [x.detach().cuda().requires_grad_() for x in _clouds()]
    ws = [
        (0.3 * torch.rand(len(x), dtype=torch.float64, device="cuda")).requires_grad_() for x in xs
    ]
    batch = rips_persistence(xs, 1) + weighted_rips_persistence(xs, ws, 1)
    assert all(d[p].device.type == "cuda" for d in batch for p in range(2))
    sum(_total(d) for d in batch).backward()
    for t in xs + ws:
        assert t.grad.device.type == "cuda" and t.grad.abs().sum() > 0


# -- a toy optimisation ---------------------------------------------------------------------


def test_descent_on_small_loops_removes_them_and_keeps_the_circle():
    """Adam on the total H1 persistence of all loops but the longest: the noise's small loops
    close, the circle's loop survives."""
    x = _t(tp.datasets.circle(40, noise=0.15, seed=2))

    def small_and_largest(x):
        life = _lifetimes(rips_persistence(x, 1)[1])
        largest = life.max()
        return life.sum() - largest, largest.item(), len(life)

    small0, largest0, n0 = small_and_largest(x)
    small0 = small0.item()
    assert n0 >= 3 and small0 > 0.05  # there are small loops to remove
    opt = torch.optim.Adam([x], lr=0.01)
    for _ in range(40):
        opt.zero_grad()
        small, _, _ = small_and_largest(x)
        small.backward()
        opt.step()
    small, largest, _ = small_and_largest(x)
    assert small.item() < 0.2 * small0
    assert largest > 0.8 * largest0 > 0.5  # the circle's loop is still there


# -- regressions ---------------------------------------------------------------------------


def test_weighted_rips_rejects_a_metric_it_cannot_differentiate():
    X = torch.rand(12, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="metric"):
        weighted_rips_persistence(
            X, 0.3 * torch.rand(12, dtype=torch.float64), 1, metric="manhattan"
        )


def test_one_row_image_is_accepted_like_the_core(same_diagrams):
    img = np.random.default_rng(15).random((1, 6))
    d = cubical_persistence(torch.tensor(img), 0)
    same_diagrams(d.numpy(), tp.persistence(img, 0, filtration="cubical"), FLOAT64_TOL)


def test_cubical_batch_in_threads_equals_one_by_one(same_diagrams):
    images = [torch.rand(12, 10, dtype=torch.float64, requires_grad=True) for _ in range(3)]
    batch = cubical_persistence(images, 1, n_jobs=2)
    for img, d in zip(images, batch):
        same_diagrams(d.numpy(), cubical_persistence(img, 1).numpy(), 0.0)
    sum(d[0][torch.isfinite(d[0][:, 1])].sum() for d in batch).backward()
    assert all(img.grad.abs().sum() > 0 for img in images)
