"""What every model of tda-pipe trains with: checks, devices, MLPs, seeding and the epoch loop.

The topological autoencoder, the filtration classifier and the Mapper GNN differ in their
models and losses only; the rest is here, once: the checks of the schedule options
(:func:`check_schedule`), the device (:func:`resolve_device`), the MLP builder (:func:`mlp`),
seeded construction that leaves the caller's torch random state alone (:func:`seeded`), and
the loop of Adam steps over shuffled mini-batches with per-epoch means (:func:`fit`).

Examples
--------
>>> import torch
>>> X = torch.randn(40, 3)
>>> with seeded(0):
...     model = mlp([3, 8, 3])
>>> def step(rows):
...     loss = torch.nn.functional.mse_loss(model(X[rows]), X[rows])
...     return loss, {"mse": loss}
>>> history = fit(model, step, len(X), epochs=3, batch_size=16, lr=1e-2, seed=0)
>>> len(history["mse"]), history["mse"][-1] < history["mse"][0]
(3, True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from tda_pipe.errors import InputError
from tda_pipe.tda.validation import check_int, check_real

__all__ = [
    "EpochStats",
    "TrainResult",
    "check_schedule",
    "fit",
    "mlp",
    "resolve_device",
    "seeded",
]

BatchStep = Callable[[torch.Tensor], tuple[torch.Tensor, Mapping[str, torch.Tensor | float]]]
"""``rows -> (loss to minimise, terms to log)`` for one mini-batch of row indices."""


@dataclass(frozen=True)
class EpochStats:
    """What a ``progress`` callback receives after each epoch: the epoch, of how many, and
    the logged values (epoch means, and any evaluation), also readable as attributes.

    Examples
    --------
    >>> stats = EpochStats(2, 10, {"recon": 0.5, "topo": 0.1})
    >>> stats.epoch, stats.topo
    (2, 0.1)
    """

    epoch: int
    epochs: int
    values: Mapping[str, float]

    def __getattr__(self, name: str) -> float:
        if name == "values":  # not yet set (copying, unpickling): no recursion
            raise AttributeError(name)
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(f"EpochStats has no value {name!r}") from None


class TrainResult(NamedTuple):
    """A trained model (in evaluation mode) and the per-epoch history of its logged values."""

    model: nn.Module
    history: dict[str, list[float]]


def check_schedule(*, epochs: int, batch_size: int, lr: float, min_batch_size: int = 1) -> None:
    """:class:`InputError` for a schedule option out of range: ``epochs >= 1``,
    ``batch_size >= min_batch_size``, ``lr > 0`` (finite).

    Examples
    --------
    >>> check_schedule(epochs=10, batch_size=1, lr=1e-3, min_batch_size=2)
    Traceback (most recent call last):
    ...
    tda_pipe.errors.InputError: batch_size must be an integer >= 2, not 1
    """
    check_int(epochs, "epochs", low=1)
    check_int(batch_size, "batch_size", low=min_batch_size)
    check_real(lr, "lr", low=0, low_open=True)


def resolve_device(device: str) -> torch.device:
    """``device`` as a :class:`torch.device`, or :class:`InputError` if this machine lacks it.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise InputError(f"unknown device {device!r}; use cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r} asked for, but CUDA is not available; use cpu")
    if dev.type == "cuda" and (dev.index or 0) >= torch.cuda.device_count():
        raise InputError(f"device {device!r}: only {torch.cuda.device_count()} CUDA device(s)")
    if dev.type not in ("cpu", "cuda"):
        raise InputError(f"unsupported device {device!r}; use cpu, cuda or cuda:N")
    return dev


def mlp(widths: Sequence[int], *, batch_norm: bool = False, dropout: float = 0.0) -> nn.Sequential:
    """Linear layers of ``widths``; each but the last followed by a ReLU, then BatchNorm
    (``batch_norm``) or Dropout (``dropout > 0``).

    Examples
    --------
    >>> mlp([4, 8, 2], dropout=0.1)
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Dropout(p=0.1, inplace=False)
      (3): Linear(in_features=8, out_features=2, bias=True)
    )
    """
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
            if batch_norm:
                layers.append(nn.BatchNorm1d(b))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run the block with torch's CPU random state seeded by ``seed``; restore it after.

    Examples
    --------
    >>> with seeded(3):
    ...     a = torch.rand(2)
    >>> with seeded(3):
    ...     b = torch.rand(2)
    >>> bool(torch.equal(a, b))
    True
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def fit(
    model: nn.Module,
    step: BatchStep,
    rows: int | np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int = 0,
    weight_decay: float = 0.0,
    min_batch_size: int = 1,
    cosine: bool = False,
    evaluate: Callable[[], Mapping[str, float]] | None = None,
    progress: Callable[[EpochStats], None] | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` with Adam over shuffled mini-batches of ``rows``; the per-epoch history.

    Each epoch shuffles ``rows`` (a count ``n`` for ``range(n)``, or an array of row indices)
    with a generator seeded by ``seed``, and calls ``step(batch)`` on each batch of
    ``batch_size`` row indices (a last batch smaller than ``min_batch_size`` is skipped); one
    Adam step minimises the loss it returns. The logged terms are averaged over the epoch,
    weighted by batch size. With ``cosine`` the learning rate follows a cosine annealing
    over the epochs. After each epoch ``evaluate()`` (in evaluation mode, without gradients)
    adds its values, and ``progress`` receives an :class:`EpochStats`. The loop runs under
    :func:`seeded` (dropout is reproducible; the caller's random state is kept); the model is
    left in evaluation mode.

    Returns
    -------
    dict of str to list of float
        One list per logged term (and evaluated value), one entry per epoch.
    """
    index = torch.arange(rows) if isinstance(rows, int) else torch.as_tensor(np.asarray(rows))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs) if cosine else None
    shuffle = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {}
    with seeded(seed):
        for epoch in range(1, epochs + 1):
            model.train()
            sums: dict[str, float] = {}
            seen = 0
            for batch in index[torch.randperm(len(index), generator=shuffle)].split(batch_size):
                if len(batch) < min_batch_size and seen:
                    continue
                loss, terms = step(batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                for name, value in terms.items():
                    value = value.item() if isinstance(value, torch.Tensor) else float(value)
                    sums[name] = sums.get(name, 0.0) + value * len(batch)
                seen += len(batch)
            values = {name: total / seen for name, total in sums.items()}
            if schedule is not None:
                schedule.step()
            if evaluate is not None:
                model.eval()
                with torch.no_grad():
                    values.update(evaluate())
            for name, value in values.items():
                history.setdefault(name, []).append(value)
            if progress is not None:
                progress(EpochStats(epoch, epochs, values))
    model.eval()
    return history
