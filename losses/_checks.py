"""Argument checks shared by the losses: a ``ValueError`` that names the argument."""

from __future__ import annotations

import torch


def check_batch(x: torch.Tensor, name: str) -> torch.Tensor:
    """A finite floating-point tensor with at least 2 rows (flattened to ``(n, features)``)."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{name} must be a batch of shape (n, ...), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if x.shape[0] < 2:
        raise ValueError(f"{name} has {x.shape[0]} sample(s); at least 2 are needed")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} has NaN or infinite values")
    return x.flatten(1)


def check_dims(dims, name: str = "dims") -> tuple[int, ...]:
    """Homology dimensions among 0, 1 and 2."""
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if not dims or any(isinstance(p, bool) or p not in (0, 1, 2) for p in dims):
        raise ValueError(f"{name} must be homology dimensions among 0, 1, 2, got {dims}")
    return dims
