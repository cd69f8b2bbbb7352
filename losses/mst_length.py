"""MST-length regularisation (T-REGS): spread embeddings by lengthening their spanning tree."""

from __future__ import annotations

import torch
import torch.nn.functional as nnf
from torch import nn

from tda_pipe.losses._checks import check_batch
from tda_pipe.tda.differentiable import detached_squared_distances, edge_lengths
from tda_pipe.tda.mst import dense_mst_edges

__all__ = ["MSTLengthLoss"]


class MSTLengthLoss(nn.Module):
    r"""Minus the length of the minimum spanning tree of a batch of embeddings.

    .. math:: L(z) = -\sum_{(i, j) \in \mathrm{MST}(z)} \|z_i - z_j\|
              \; + \; \lambda \, \tfrac1n \sum_i (\|z_i\| - 1)^2

    The MST edges are the H0 deaths of the batch's Rips filtration, so minimising ``L`` pushes
    the points apart where they are closest, countering dimensional collapse. Embeddings are
    kept on or near the unit sphere by normalising them (``normalize=True``) or by the norm
    penalty with weight ``norm_penalty``; without either the loss is unbounded below.
    Gradients flow through the MST edges only.

    T-REGS: minimum-spanning-tree regularisation for self-supervised learning.

    Parameters
    ----------
    normalize : bool
        Project embeddings to the unit sphere before measuring the tree.
    norm_penalty : float
        Weight of the penalty on ``(|z_i| - 1)^2``.
    reduction : {"sum", "mean"}
        Total tree length, or mean edge length (comparable across batch sizes).

    Examples
    --------
    >>> import torch
    >>> z = torch.randn(128, 16, requires_grad=True)
    >>> loss = MSTLengthLoss()(z)
    >>> loss.backward()
    >>> bool(loss < 0)
    True
    """

    def __init__(self, normalize: bool = True, norm_penalty: float = 0.0, reduction: str = "sum"):
        super().__init__()
        if reduction not in ("sum", "mean"):
            raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
        if norm_penalty < 0:
            raise ValueError(f"norm_penalty must be >= 0, got {norm_penalty}")
        self.normalize = normalize
        self.norm_penalty = norm_penalty
        self.reduction = reduction

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = check_batch(z, "z")
        points = nnf.normalize(z, dim=1) if self.normalize else z
        lengths = edge_lengths(points, dense_mst_edges(detached_squared_distances(points)))
        loss = -(lengths.sum() if self.reduction == "sum" else lengths.mean())
        if self.norm_penalty:
            loss = loss + self.norm_penalty * ((z.norm(dim=1) - 1) ** 2).mean()
        return loss
