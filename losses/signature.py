"""The topological autoencoder loss of Moor, Horn, Rieck and Borgwardt (ICML 2020)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from tda_pipe.losses._checks import check_batch, check_dims
from tda_pipe.tda.differentiable import (
    detached_squared_distances,
    edge_lengths,
    rips_pairing_edges,
)

__all__ = ["SignatureLoss"]


class SignatureLoss(nn.Module):
    r"""Topological signature loss between a data batch ``x`` and its latent codes ``z``.

    With :math:`A^X, A^Z` the distance matrices of the batch in data and latent space and
    :math:`\pi^X, \pi^Z` the persistence pairings of their Vietoris–Rips filtrations (for H0,
    the edges of the minimum spanning tree),

    .. math::
        L = \tfrac12 \|A^X[\pi^X] - A^Z[\pi^X]\|^2 + \tfrac12 \|A^Z[\pi^Z] - A^X[\pi^Z]\|^2 .

    Gradients flow through the selected distances only. Data distances are divided by their
    maximum in the batch; latent distances by a learnable scale (as in the authors' code).

    Moor, M., Horn, M., Rieck, B., Borgwardt, K. "Topological Autoencoders", ICML 2020.

    Parameters
    ----------
    dims : sequence of int
        Homology dimensions of the pairing: ``(0,)`` (the paper's choice) or also 1.
    normalize : bool
        Divide data distances by their batch maximum.
    learn_scale : bool
        Learn the latent distance scale (an ``nn.Parameter``, so add this module's parameters
        to the optimiser); if ``False`` the scale is fixed at 1.

    Examples
    --------
    >>> import torch
    >>> encoder = torch.nn.Linear(101, 2)
    >>> x = torch.randn(64, 101)
    >>> loss = SignatureLoss(dims=(0,))(x, encoder(x))
    >>> loss.backward()
    >>> encoder.weight.grad.abs().sum() > 0
    tensor(True)
    """

    def __init__(
        self, dims: Sequence[int] = (0,), normalize: bool = True, learn_scale: bool = True
    ):
        super().__init__()
        self.dims = check_dims(dims)
        self.normalize = normalize
        scale = torch.ones(())
        if learn_scale:
            self.latent_scale = nn.Parameter(scale)
        else:
            self.register_buffer("latent_scale", scale)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        x, z = check_batch(x, "x"), check_batch(z, "z")
        if x.shape[0] != z.shape[0]:
            raise ValueError(f"x and z must hold the same batch: {x.shape[0]} vs {z.shape[0]} rows")
        dx2, dz2 = detached_squared_distances(x), detached_squared_distances(z)
        # both terms are 1/2 (A^X_e - A^Z_e)^2 summed over a pairing: one sum over pi^X then pi^Z
        edges = np.concatenate(
            [rips_pairing_edges(dx2, self.dims), rips_pairing_edges(dz2, self.dims)]
        )
        ax = _data_lengths(x, dx2, edges)
        if self.normalize:
            farthest = np.unravel_index(dx2.argmax(), dx2.shape)  # one pass over n^2 entries
            if dx2[farthest] > 0:
                ax = ax / _data_lengths(x, dx2, np.array([farthest]))
        az = edge_lengths(z, edges) / self.latent_scale
        return 0.5 * ((ax - az.to(ax.dtype)) ** 2).sum()


def _data_lengths(x: torch.Tensor, x_squared: np.ndarray, edges: np.ndarray) -> torch.Tensor:
    """Lengths of ``edges`` in the data: gathered from ``x`` if it is trained, else read from
    its squared distance matrix (fixed data, the usual case, needs no graph)."""
    if x.requires_grad:
        return edge_lengths(x, edges)
    return torch.from_numpy(np.sqrt(x_squared[edges[:, 0], edges[:, 1]])).to(x)
