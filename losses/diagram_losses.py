"""Losses on persistence diagrams with gradients: distances to a target, total persistence,
persistence entropy. Each takes the output of :mod:`tda_pipe.tda.differentiable` — a
``TorchDiagrams``, a list of them (the batch mean is returned), or a ``(k, 2)`` tensor — and uses
the finite classes of one homology dimension."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from tda_pipe.losses._checks import check_dims
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.differentiable import TorchDiagrams

__all__ = ["DiagramDistanceLoss", "PersistenceEntropyLoss", "TotalPersistenceLoss"]


def _finite(diagram: torch.Tensor) -> torch.Tensor:
    return diagram[torch.isfinite(diagram[:, 1])]


def _diagram(item, dim: int) -> torch.Tensor:
    """The finite ``(k, 2)`` tensor of dimension ``dim`` of one loss input."""
    if isinstance(item, TorchDiagrams):
        if dim >= len(item):
            raise ValueError(f"the diagrams hold dimensions 0..{len(item) - 1}, not dim={dim}")
        return _finite(item[dim])
    if isinstance(item, torch.Tensor) and item.ndim == 2 and item.shape[1] == 2:
        return _finite(item)
    raise ValueError(
        "expected TorchDiagrams (from tda_pipe.tda.differentiable) or a (k, 2) tensor, "
        f"got {type(item).__name__}"
    )


def _batch_mean(diagrams, dim: int, loss) -> torch.Tensor:
    items = diagrams if isinstance(diagrams, (list, tuple)) else [diagrams]
    if not items:
        raise ValueError("diagrams is an empty list")
    # "+ 0 * sum": a loss of an empty diagram still belongs to the input's graph
    values = [loss(d) + 0 * d.sum() for d in (_diagram(item, dim) for item in items)]
    return torch.stack(values).mean()


class TotalPersistenceLoss(nn.Module):
    r"""Total persistence :math:`\sum (d - b)^q` of the finite classes in dimension ``dim``.

    Minimising it removes small classes (the classic topological regulariser, e.g. Chen et al.
    2019, "A topological regularizer for classifiers via persistent homology"); negate it to
    create or enlarge them. ``skip_longest=k`` leaves out the ``k`` most persistent classes, so
    a circle's main loop is kept while the small loops of noise are removed.

    Examples
    --------
    >>> import torch
    >>> from tda_pipe.datasets import circle
    >>> from tda_pipe.tda.differentiable import rips_persistence
    >>> x = torch.tensor(circle(50, noise=0.1, seed=0), requires_grad=True)
    >>> loss = TotalPersistenceLoss(dim=1, skip_longest=1)(rips_persistence(x, 1))
    >>> loss.backward()
    """

    def __init__(self, dim: int = 1, order: float = 1.0, skip_longest: int = 0):
        super().__init__()
        self.dim = check_dims(dim, "dim")[0]
        if order <= 0:
            raise ValueError(f"order must be > 0, got {order}")
        if skip_longest < 0:
            raise ValueError(f"skip_longest must be >= 0, got {skip_longest}")
        self.order = order
        self.skip_longest = skip_longest

    def forward(self, diagrams) -> torch.Tensor:
        def loss(d: torch.Tensor) -> torch.Tensor:
            lifetimes = torch.sort(d[:, 1] - d[:, 0], descending=True).values
            return (lifetimes[self.skip_longest :] ** self.order).sum()

        return _batch_mean(diagrams, self.dim, loss)


class PersistenceEntropyLoss(nn.Module):
    r"""Persistence entropy :math:`-\sum p_i \log p_i`, :math:`p_i = \ell_i / \sum_j \ell_j`, of
    the finite lifetimes :math:`\ell_i` in dimension ``dim``.

    Low entropy means a few dominant classes; minimising it concentrates persistence on them.
    Rucco et al. 2016, "A new topological entropy-based approach for measuring similarities
    among piecewise linear functions".
    """

    def __init__(self, dim: int = 1):
        super().__init__()
        self.dim = check_dims(dim, "dim")[0]

    def forward(self, diagrams) -> torch.Tensor:
        def loss(d: torch.Tensor) -> torch.Tensor:
            lifetimes = d[:, 1] - d[:, 0]
            total = lifetimes.sum()
            if len(lifetimes) == 0 or total <= 0:
                return total * 0
            p = lifetimes / total
            return -(p * torch.log(torch.clamp(p, min=torch.finfo(p.dtype).tiny))).sum()

        return _batch_mean(diagrams, self.dim, loss)


def _to_diagonal(d: torch.Tensor, internal_p: float) -> torch.Tensor:
    """Distance of each point to the diagonal in the ``internal_p`` norm."""
    factor = 1.0 if math.isinf(internal_p) else 2.0 ** (1.0 / internal_p)
    return (d[:, 1] - d[:, 0]) / 2 * factor


def wasserstein_distance(
    a: torch.Tensor, b: torch.Tensor, order: float = 2.0, internal_p: float = math.inf
) -> torch.Tensor:
    """``order``-Wasserstein distance between two finite diagrams, differentiable in both.

    The optimal matching is gudhi's (POT underneath), computed without gradient; the distance
    is then summed in torch over the matched pairs and the points sent to the diagonal.
    """
    from gudhi.wasserstein import wasserstein_distance as gudhi_wasserstein

    _, matching = gudhi_wasserstein(
        a.detach().cpu().double().numpy(),
        b.detach().cpu().double().numpy(),
        matching=True,
        order=order,
        internal_p=internal_p,
    )
    matching = np.asarray(matching, dtype=np.int64).reshape(-1, 2)
    costs = []
    both = (matching[:, 0] >= 0) & (matching[:, 1] >= 0)
    if both.any():
        i = torch.as_tensor(matching[both, 0], device=a.device)
        j = torch.as_tensor(matching[both, 1], device=a.device)
        costs.append(torch.linalg.vector_norm(a[i] - b[j].to(a.dtype), ord=internal_p, dim=1))
    for points, column in ((a, 0), (b, 1)):
        alone = matching[(matching[:, column] >= 0) & (matching[:, 1 - column] < 0), column]
        if len(alone):
            costs.append(
                _to_diagonal(points[torch.as_tensor(alone, device=points.device)], internal_p).to(
                    a.dtype
                )
            )
    if not costs:
        return a.new_zeros(())
    return (torch.cat(costs) ** order).sum() ** (1.0 / order)


def sliced_wasserstein_distance(
    a: torch.Tensor, b: torch.Tensor, n_directions: int = 50
) -> torch.Tensor:
    """Sliced Wasserstein distance (Carriere, Cuturi, Oudot, ICML 2017), differentiable.

    Each diagram is completed by the diagonal projections of the other's points; both are
    projected on ``n_directions`` lines through the origin at angles in [-pi/2, pi/2), and the
    sorted projections compared in L1; the result is the mean over directions.
    """
    b = b.to(a.dtype)

    def diagonal(d: torch.Tensor) -> torch.Tensor:
        mid = (d[:, 0] + d[:, 1]) / 2
        return torch.stack([mid, mid], dim=1)

    full_a = torch.cat([a, diagonal(b)])
    full_b = torch.cat([b, diagonal(a)])
    theta = torch.linspace(
        -math.pi / 2, math.pi / 2, n_directions + 1, dtype=a.dtype, device=a.device
    )[:-1]
    lines = torch.stack([torch.cos(theta), torch.sin(theta)])
    proj_a = torch.sort(full_a @ lines, dim=0).values
    proj_b = torch.sort(full_b @ lines, dim=0).values
    return (proj_a - proj_b).abs().sum(0).mean()


def _target_tensor(target, dim: int) -> torch.Tensor:
    """A loss target as a float64 ``(k, 2)`` tensor without gradient."""
    if isinstance(target, (TorchDiagrams, Diagrams)):
        if dim >= len(target):
            raise ValueError(f"target holds dimensions 0..{len(target) - 1}, not dim={dim}")
        target = target[dim]
    if isinstance(target, torch.Tensor):
        target = target.detach().cpu().double()
    else:
        try:
            target = torch.as_tensor(np.asarray(target, dtype=np.float64))
        except (TypeError, ValueError):
            raise ValueError(
                "target must be TorchDiagrams, Diagrams or a (k, 2) array of (birth, death), "
                f"got {type(target).__name__}"
            ) from None
    if target.numel() == 0:
        return target.reshape(0, 2)
    if target.ndim != 2 or target.shape[1] != 2:
        raise ValueError(
            f"target must be a (k, 2) array of (birth, death), got {tuple(target.shape)}"
        )
    if torch.isnan(target).any():
        raise ValueError("target holds NaN")
    return target


class DiagramDistanceLoss(nn.Module):
    """Distance from a predicted diagram to a fixed target diagram in one dimension.

    ``kind="wasserstein"``: the ``order``-Wasserstein distance (ground norm ``internal_p``),
    through gudhi's optimal matching. ``kind="sliced"``: the sliced Wasserstein distance with
    ``n_directions`` directions. Essential (infinite) classes are left out on both sides.

    Parameters
    ----------
    target : TorchDiagrams, Diagrams, (k, 2) tensor or array-like
        The diagram to approach: for ``TorchDiagrams`` (the output of
        :func:`~tda_pipe.tda.differentiable.rips_persistence` and its kin) or ``Diagrams``, its
        dimension ``dim``; a tensor is detached (the target is a constant).

    Examples
    --------
    >>> import torch
    >>> from tda_pipe.tda.differentiable import rips_persistence
    >>> target = [[0.0, 2.0]]                       # one large loop
    >>> x = torch.randn(30, 2, requires_grad=True)
    >>> loss = DiagramDistanceLoss(target, dim=1)(rips_persistence(x, 1))
    >>> loss.backward()
    """

    def __init__(
        self,
        target,
        dim: int = 1,
        kind: str = "wasserstein",
        order: float = 2.0,
        internal_p: float = math.inf,
        n_directions: int = 50,
    ):
        super().__init__()
        self.dim = check_dims(dim, "dim")[0]
        if kind not in ("wasserstein", "sliced"):
            raise ValueError(f"kind must be 'wasserstein' or 'sliced', got {kind!r}")
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        self.register_buffer("target", _finite(_target_tensor(target, self.dim)))
        self.kind = kind
        self.order = order
        self.internal_p = internal_p
        self.n_directions = n_directions

    def forward(self, diagrams) -> torch.Tensor:
        def loss(d: torch.Tensor) -> torch.Tensor:
            target = self.target.to(device=d.device, dtype=d.dtype)
            if self.kind == "sliced":
                return sliced_wasserstein_distance(d, target, self.n_directions)
            return wasserstein_distance(d, target, self.order, self.internal_p)

        return _batch_mean(diagrams, self.dim, loss)
