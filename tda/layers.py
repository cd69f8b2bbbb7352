"""Differentiable persistence as ``torch.nn`` layers, to compose with the rest of a model.

Each layer is a thin :class:`torch.nn.Module` over one function of
:mod:`tda_pipe.tda.differentiable`: its options are checked and stored once, in ``__init__``,
and ``forward`` returns that function's :class:`~tda_pipe.tda.differentiable.TorchDiagrams`
(a list of them for a list of inputs), whose births and deaths carry gradients to the input.
The losses of :mod:`tda_pipe.losses` take that output, so a layer and a loss chain in
:class:`torch.nn.Sequential`; :class:`SelectDimension` hands one dimension's finite points
to a vectorisation that takes a ``(k, 2)`` tensor.

Examples
--------
>>> import torch
>>> from torch import nn
>>> from tda_pipe.datasets import circle
>>> from tda_pipe.losses import TotalPersistenceLoss
>>> x = torch.tensor(circle(80, noise=0.15, seed=0), requires_grad=True)
>>> model = nn.Sequential(RipsLayer(max_dim=1), TotalPersistenceLoss(dim=1, skip_longest=1))
>>> loss = model(x)  # the small loops of the noise, the circle's own loop left out
>>> loss.backward()
>>> bool(x.grad.abs().sum() > 0)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real

import torch
from torch import nn

from tda_pipe.tda.differentiable import (
    TorchDiagrams,
    _check_dims,
    _check_metric,
    alpha_persistence,
    cubical_persistence,
    rips_persistence,
    weighted_rips_persistence,
)
from tda_pipe.tda.persistence import check_coeff

__all__ = ["AlphaLayer", "CubicalLayer", "RipsLayer", "SelectDimension", "WeightedRipsLayer"]

Tensors = torch.Tensor | Sequence[torch.Tensor]
Output = TorchDiagrams | list[TorchDiagrams]
_DEFAULTS = {"coeff": 2, "n_jobs": None, "metric": "euclidean", "threshold": None}  # not shown


def _check_n_jobs(n_jobs: int | None) -> int | None:
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1
    ):
        raise ValueError(f"n_jobs must be None or an int >= 1, got {n_jobs!r}")
    return n_jobs


class _PersistenceLayer(nn.Module):
    """``max_dim``, ``coeff`` and ``n_jobs``, checked and shown in the layer's repr."""

    def __init__(self, max_dim: int, coeff: int, n_jobs: int | None) -> None:
        super().__init__()
        self.max_dim = _check_dims(max_dim)
        self.coeff = check_coeff(coeff)
        self.n_jobs = _check_n_jobs(n_jobs)

    def extra_repr(self) -> str:
        shown = {"max_dim": self.max_dim}
        shown |= {k: v for k, v in self._options().items() if v != _DEFAULTS.get(k)}
        return ", ".join(f"{k}={v!r}" for k, v in shown.items())

    def _options(self) -> dict:
        return {"coeff": self.coeff, "n_jobs": self.n_jobs}


class RipsLayer(_PersistenceLayer):
    """Vietoris–Rips persistence (:func:`~tda_pipe.tda.differentiable.rips_persistence`).

    Parameters
    ----------
    max_dim : int
        0, 1 or 2.
    metric : {"euclidean", "precomputed"}
        The input is ``(n, d)`` points, or an ``(n, n)`` distance matrix.
    threshold : float, optional
        Only edges up to this length.
    coeff : int
        A prime p: homology over Z/p.
    n_jobs : int, optional
        Threads pairing a list of clouds (default: all cores).

    Examples
    --------
    >>> import torch
    >>> layer = RipsLayer(max_dim=1)
    >>> layer
    RipsLayer(max_dim=1)
    >>> d = layer(torch.randn(30, 2))
    >>> len(d), d[1].shape[1]
    (2, 2)
    """

    def __init__(
        self,
        max_dim: int = 1,
        *,
        metric: str = "euclidean",
        threshold: float | None = None,
        coeff: int = 2,
        n_jobs: int | None = None,
    ) -> None:
        super().__init__(max_dim, coeff, n_jobs)
        _check_metric(metric)
        if threshold is not None and (
            isinstance(threshold, bool) or not isinstance(threshold, Real) or threshold <= 0
        ):
            raise ValueError(f"threshold must be None or a number > 0, got {threshold!r}")
        self.metric = metric
        self.threshold = threshold

    def _options(self) -> dict:
        return {"metric": self.metric, "threshold": self.threshold, **super()._options()}

    def forward(self, x: Tensors) -> Output:
        """Diagrams of one cloud (or matrix), or of each of a list of them."""
        return rips_persistence(x, self.max_dim, **self._options())


class WeightedRipsLayer(_PersistenceLayer):
    """Weighted Rips persistence with gradients to the points and the weights
    (:func:`~tda_pipe.tda.differentiable.weighted_rips_persistence`).

    ``forward(x, weights)`` takes two inputs: the layer goes after a module that emits the
    weights (such as :class:`~tda_pipe.models.FiltrationNet`), not inside ``nn.Sequential``.

    Parameters
    ----------
    max_dim : int
        0, 1 or 2.
    metric : {"euclidean", "precomputed"}
        The input is ``(n, d)`` points, or an ``(n, n)`` distance matrix.
    coeff : int
        A prime p: homology over Z/p.
    n_jobs : int, optional
        Threads pairing a list of clouds (default: all cores).

    Examples
    --------
    >>> import torch
    >>> x, w = torch.randn(20, 2), torch.rand(20, requires_grad=True)
    >>> d = WeightedRipsLayer(max_dim=0)(x, w)
    >>> d[0][:, 0].sum().backward()  # H0 births are vertex weights
    >>> bool(w.grad.abs().sum() > 0)
    True
    """

    def __init__(
        self,
        max_dim: int = 1,
        *,
        metric: str = "euclidean",
        coeff: int = 2,
        n_jobs: int | None = None,
    ) -> None:
        super().__init__(max_dim, coeff, n_jobs)
        _check_metric(metric)
        self.metric = metric

    def _options(self) -> dict:
        return {"metric": self.metric, **super()._options()}

    def forward(self, x: Tensors, weights: Tensors) -> Output:
        """Diagrams of one weighted cloud, or of each of a list of them."""
        return weighted_rips_persistence(x, weights, self.max_dim, **self._options())


class CubicalLayer(_PersistenceLayer):
    """Sublevel persistence of an image or voxel grid, with gradients to the pixel values
    (:func:`~tda_pipe.tda.differentiable.cubical_persistence`).

    Parameters
    ----------
    max_dim : int
        0, 1 or 2.
    coeff : int
        A prime p: homology over Z/p.
    n_jobs : int, optional
        Threads pairing a list of images (default: all cores).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> smooth = nn.Sequential(nn.Conv2d(1, 1, 3, padding=1), nn.Flatten(0, 1), CubicalLayer())
    >>> smooth(torch.rand(1, 16, 16))[0].shape[1]  # H0 of the filtered image
    2
    """

    def __init__(self, max_dim: int = 1, *, coeff: int = 2, n_jobs: int | None = None) -> None:
        super().__init__(max_dim, coeff, n_jobs)

    def forward(self, image: Tensors) -> Output:
        """Diagrams of one image, or of each of a list of them."""
        return cubical_persistence(image, self.max_dim, **self._options())


class AlphaLayer(_PersistenceLayer):
    """Alpha-complex persistence (diameter scale ``2 r``), with gradients to the coordinates
    (:func:`~tda_pipe.tda.differentiable.alpha_persistence`); a list of clouds is computed
    one by one.

    Parameters
    ----------
    max_dim : int
        0, 1 or 2.
    coeff : int
        A prime p: homology over Z/p.

    Examples
    --------
    >>> import torch
    >>> AlphaLayer(max_dim=2, coeff=3)
    AlphaLayer(max_dim=2, coeff=3)
    >>> len(AlphaLayer()([torch.randn(20, 2), torch.randn(25, 2)]))
    2
    """

    def __init__(self, max_dim: int = 1, *, coeff: int = 2) -> None:
        super().__init__(max_dim, coeff, None)

    def _options(self) -> dict:
        return {"coeff": self.coeff}

    def forward(self, x: Tensors) -> Output:
        """Diagrams of one cloud, or of each of a list of them."""
        if isinstance(x, torch.Tensor):
            return alpha_persistence(x, self.max_dim, coeff=self.coeff)
        return [alpha_persistence(c, self.max_dim, coeff=self.coeff) for c in x]


class SelectDimension(nn.Module):
    """One homology dimension of a layer's output, as a ``(k, 2)`` tensor of (birth, death).

    Parameters
    ----------
    dim : int
        The homology dimension.
    finite : bool
        Keep only the classes that die (a vectorisation usually cannot take ``inf``).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from tda_pipe.datasets import circle
    >>> h1 = nn.Sequential(RipsLayer(max_dim=1), SelectDimension(1))
    >>> bars = h1(torch.tensor(circle(40, seed=0)))
    >>> bars.shape[1], bool(torch.isfinite(bars).all())
    (2, True)
    """

    def __init__(self, dim: int, *, finite: bool = True) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 0:
            raise ValueError(f"dim must be an int >= 0, got {dim!r}")
        self.dim = dim
        self.finite = finite

    def extra_repr(self) -> str:
        return f"dim={self.dim}" + ("" if self.finite else ", finite=False")

    def forward(self, diagrams: Output) -> torch.Tensor | list[torch.Tensor]:
        """The ``(k, 2)`` tensor of ``dim`` (a list of them for a list of diagrams)."""
        if isinstance(diagrams, list):
            return [self.forward(d) for d in diagrams]
        if not isinstance(diagrams, TorchDiagrams):
            raise ValueError(
                f"SelectDimension takes a layer's TorchDiagrams, got {type(diagrams).__name__}"
            )
        if self.dim >= len(diagrams):
            raise ValueError(
                f"the diagrams hold dimensions 0..{len(diagrams) - 1}, not dim={self.dim}"
            )
        dgm = diagrams[self.dim]
        return dgm[torch.isfinite(dgm[:, 1])] if self.finite else dgm
