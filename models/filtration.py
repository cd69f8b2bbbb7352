"""A network that learns a filtration: one weight per point, for weighted Rips persistence.

Following Nishikawa, Ike and Yamanishi ("Adaptive topological feature via persistent
homology: filtration learning for point clouds", NeurIPS 2023), the network sees a point
cloud only through its distances, so rotated, translated, reflected and permuted copies of a
cloud get the same (permuted) weights. Each point is described by its *distance profile*:
its sorted distances to its ``k`` nearest neighbours, divided by the cloud's mean profile
value (so the weights scale with the cloud). A per-point MLP embeds the profiles, a
DeepSets-style mean over the points adds a global context, and a second MLP maps each point's
embedding and the context to a number ``z``.

The weight of a point is ``base * exp(z)`` when a base filtration is given (a learned
multiplicative correction of, say, the distance-to-measure weights), or
``softplus(z) * scale`` without one (``scale`` the cloud's mean profile value). The last
layer starts at zero, so an untrained network returns the base weights exactly, or the
constant ``log(2) * scale`` (a shifted Rips filtration) without a base.

The weights define a weighted Rips filtration (Anai et al.; vertex ``i`` at ``w_i``, edge at
``max(w_i, w_j, (d_ij + w_i + w_j) / 2)``), whose persistence is differentiable in them
(:func:`~tda_pipe.tda.differentiable.weighted_rips_persistence`): the network is trained
through persistence, end to end (see :mod:`tda_pipe.models.topological_classifier`).

Examples
--------
>>> import torch
>>> net = FiltrationNet(k=8)
>>> x = torch.randn(100, 3)
>>> w = net(x)
>>> w.shape, bool((w >= 0).all())
(torch.Size([100]), True)
>>> base = torch.rand(100)
>>> bool(torch.equal(net(x, base), base))  # untrained: the base weights themselves
True
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as nnf

from tda_pipe.models.training import mlp
from tda_pipe.tda.differentiable import pairwise_distances

__all__ = ["FEATURES", "FiltrationNet", "distance_profiles", "local_geometry"]

FEATURES = ("profile", "geometry")
"""What :class:`FiltrationNet` reads per point: the distance profile alone, or with it the local
shape of the neighbourhood at several scales (:func:`local_geometry`)."""

PCA_DIMS = 3
"""Eigenvalues kept per scale by :func:`local_geometry` (zeros pad clouds of lower dimension)."""


def distance_profiles(points: torch.Tensor, k: int) -> torch.Tensor:
    """``(n, k)`` sorted distances of every point to its ``k`` nearest other points.

    Invariant to isometries of the cloud and, row by row, equivariant to permutations of it;
    differentiable in ``points``.

    Examples
    --------
    >>> import torch
    >>> distance_profiles(torch.tensor([[0.0], [1.0], [3.0]]), k=2)
    tensor([[1., 3.],
            [1., 2.],
            [2., 3.]])
    """
    n = points.shape[0]
    if not 1 <= k < n:
        raise ValueError(f"k must be in [1, {n - 1}] for a cloud of {n} points, got {k}")
    nearest = torch.topk(pairwise_distances(points), k + 1, dim=1, largest=False).values
    return nearest[:, 1:]


def local_geometry(points: torch.Tensor, k: int) -> torch.Tensor:
    """``(n, 3 * (PCA_DIMS + 2))`` isometry-invariant descriptors of each point's neighbourhood.

    At each of the scales ``k // 4``, ``k // 2`` and ``k`` nearest other points (at least 2),
    the point and its neighbours give: the largest :data:`PCA_DIMS` eigenvalues of their
    covariance divided by its trace (curve-, surface- or blob-like; edges and corners of a
    surface stand out), the distance from the point to their centroid divided by their mean
    distance to it (large on a boundary or an isolated outlier) and the log of that mean
    distance over the cloud's mean (sampling density). The values do not change when the
    cloud is moved, reflected, scaled or permuted (rows follow the permutation).

    Examples
    --------
    >>> import torch
    >>> t = torch.linspace(0, 1, 9)
    >>> line = torch.stack([t, 2 * t, 0 * t], dim=1)
    >>> g = local_geometry(line, k=4)
    >>> g.shape
    torch.Size([9, 15])
    >>> bool(torch.allclose(g[:, :3], torch.tensor([1.0, 0.0, 0.0]).repeat(9, 1), atol=1e-5))
    True
    >>> g[[0, 4], 3]  # centroid offset: an end of the segment vs its middle
    tensor([0.6667, 0.0000])
    """
    n = points.shape[0]
    if not 2 <= k < n:
        raise ValueError(f"k must be in [2, {n - 1}] for a cloud of {n} points, got {k}")
    tiny = torch.finfo(points.dtype).tiny
    order = torch.topk(pairwise_distances(points), k + 1, dim=1, largest=False).indices
    parts, spreads = [], []
    for size in (max(2, k // 4), max(2, k // 2), k):
        hood = points[order[:, : size + 1]]  # (n, size + 1, d): the point and its neighbours
        centroid = hood.mean(1)
        centred = hood - centroid[:, None, :]
        cov = centred.transpose(1, 2) @ centred / (size + 1)
        eig = torch.linalg.eigvalsh(cov).flip(1)[:, :PCA_DIMS]
        eig = eig / eig.sum(1, keepdim=True).clamp_min(tiny)
        eig = nnf.pad(eig, (0, PCA_DIMS - eig.shape[1]))
        spread = (hood[:, 1:] - points[:, None, :]).norm(dim=2).mean(1).clamp_min(tiny)
        offset = (centroid - points).norm(dim=1) / spread
        parts += [eig, offset[:, None]]
        spreads.append(spread)
    spread = torch.stack(spreads, dim=1)
    parts.append(torch.log(spread / spread.mean().clamp_min(tiny)))
    return torch.cat(parts, dim=1)


class FiltrationNet(nn.Module):
    """Point weights of a learned weighted Rips filtration (Nishikawa et al., NeurIPS 2023).

    Parameters
    ----------
    k : int, default 16
        Neighbours in each point's distance profile; a cloud needs more than ``k`` points.
    hidden : int, default 32
        Width of the hidden layers.
    features : str, default "profile"
        ``"profile"``: each point is read through its distance profile; ``"geometry"``: also
        through its :func:`local_geometry` (local PCA, centroid offset and density at three
        scales).

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0)
    <torch._C.Generator object at ...>
    >>> net = FiltrationNet(k=4).double()
    >>> with torch.no_grad():
    ...     _ = net.head[-1].weight.normal_()  # a trained-looking correction
    >>> x = torch.randn(20, 3, dtype=torch.float64)
    >>> q, _ = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64))  # a rotation/reflection
    >>> perm = torch.randperm(20)
    >>> torch.allclose(net(x @ q.T + 1.0)[perm], net(x[perm]))
    True
    >>> [w.shape for w in net([x, x[:10]])]
    [torch.Size([20]), torch.Size([10])]
    """

    def __init__(self, k: int = 16, hidden: int = 32, features: str = "profile") -> None:
        super().__init__()
        if k < 1 or hidden < 1:
            raise ValueError(f"k and hidden must be >= 1, got k={k}, hidden={hidden}")
        if features not in FEATURES:
            raise ValueError(f"features must be one of {FEATURES}, got {features!r}")
        if features == "geometry" and k < 2:
            raise ValueError(f"features='geometry' needs k >= 2, got k={k}")
        self.k, self.features = k, features
        width = k + (3 * (PCA_DIMS + 2) if features == "geometry" else 0)
        self.local = mlp([width, hidden, hidden])
        self.head = mlp([2 * hidden, hidden, 1])
        with torch.no_grad():  # z = 0: the base weights, or a constant without a base
            self.head[-1].weight.zero_()
            self.head[-1].bias.zero_()

    def forward(
        self,
        points: torch.Tensor | Sequence[torch.Tensor],
        base: torch.Tensor | Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor | list[torch.Tensor]:
        """``(n,)`` non-negative weights of an ``(n, d)`` cloud, or a list for a list of clouds.

        ``base`` (one ``(n,)`` tensor per cloud, e.g. DTM weights) is the filtration the
        network corrects: the weights are ``base * exp(z)``.
        """
        if isinstance(points, torch.Tensor):
            return self._weights(points, base)
        bases = [None] * len(points) if base is None else base
        return [self._weights(p, b) for p, b in zip(points, bases, strict=True)]

    def _weights(self, points: torch.Tensor, base: torch.Tensor | None) -> torch.Tensor:
        profiles = distance_profiles(points, self.k)
        scale = profiles.mean().clamp_min(torch.finfo(profiles.dtype).tiny)
        inputs = profiles / scale
        if self.features == "geometry":
            inputs = torch.cat([inputs, local_geometry(points, self.k)], dim=1)
        features = nnf.relu(self.local(inputs))
        context = features.mean(0, keepdim=True).expand_as(features)
        z = self.head(torch.cat([features, context], dim=1)).squeeze(1)
        if base is None:
            return nnf.softplus(z) * scale
        return base * torch.exp(z)
