"""Argument checks shared by the losses: a ``ValueError`` that names the argument."""

from __future__ import annotations

import torch

from tda_pipe.tda.differentiable import check_tensor


def check_batch(x: torch.Tensor, name: str) -> torch.Tensor:
    """A finite floating-point batch ``(n, ...)``, ``n >= 2``, flattened to ``(n, features)``."""
    if isinstance(x, torch.Tensor) and x.ndim < 2:
        raise ValueError(f"{name} must be a batch of shape (n, ...), got shape {tuple(x.shape)}")
    return check_tensor(x, name, x.ndim if isinstance(x, torch.Tensor) else 2).flatten(1)


def check_dims(dims, name: str = "dims") -> tuple[int, ...]:
    """Homology dimensions among 0, 1 and 2."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if not dims or any(isinstance(p, bool) or p not in (0, 1, 2) for p in dims):
        raise ValueError(f"{name} must be homology dimensions among 0, 1, 2, got {dims}")
    return dims
