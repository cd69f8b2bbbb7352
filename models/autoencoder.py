"""The topological autoencoder of Moor, Horn, Rieck and Borgwardt (ICML 2020).

An MLP autoencoder trained on reconstruction error plus ``lam`` times the topological signature
loss (:class:`~tda_pipe.losses.SignatureLoss`) between each mini-batch and its latent codes, so
that the latent space keeps the batch's 0-dimensional persistent homology — which points join
which cluster at which scale. With ``lam=0`` it is a plain autoencoder, the paper's baseline.

Moor, M., Horn, M., Rieck, B., Borgwardt, K. "Topological Autoencoders", ICML 2020.

Examples
--------
>>> from tda_pipe.datasets.topoae import spheres
>>> X, y = spheres(n_per_sphere=10, ambient_dim=11, seed=0)
>>> model, history = train_autoencoder(X, epochs=2, batch_size=32, seed=0)
>>> model.transform(X).shape, len(history["topo"])
((200, 2), 2)
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
import torch
from torch import nn

from tda_pipe.errors import InputError
from tda_pipe.losses import SignatureLoss
from tda_pipe.models.training import (
    EpochStats,
    TrainResult,
    check_schedule,
    fit,
    mlp,
    resolve_device,
    seeded,
)
from tda_pipe.tda.validation import check_int, check_real

__all__ = [
    "AutoencoderConfig",
    "EpochStats",
    "LossTerms",
    "TopologicalAutoencoder",
    "TrainResult",
    "check_training",
    "train_autoencoder",
]

_FORMAT = 1  # version of the file written by TopologicalAutoencoder.save


@dataclass(frozen=True)
class AutoencoderConfig:
    """Everything needed to rebuild a :class:`TopologicalAutoencoder`.

    Attributes
    ----------
    input_dim : int
        Features per data point.
    latent_dim : int
        Dimension of the latent space.
    hidden : tuple of int
        Widths of the encoder's hidden layers; the decoder mirrors them. The paper's Spheres
        model has two hidden layers of 32 units.
    batch_norm : bool
        Batch normalisation after each hidden layer's ReLU, as in the paper's MLP.
    lam : float
        Weight of the topological loss; 0 gives a plain autoencoder.
    """

    input_dim: int
    latent_dim: int = 2
    hidden: tuple[int, ...] = (32, 32)
    batch_norm: bool = True
    lam: float = 1.0


class LossTerms(NamedTuple):
    """The training loss of one batch and its two parts (scalar tensors)."""

    total: torch.Tensor
    recon: torch.Tensor
    topo: torch.Tensor


class TopologicalAutoencoder(nn.Module):
    """MLP autoencoder with the topological signature loss of Moor et al. (ICML 2020).

    ``encode`` maps ``(n, input_dim)`` to ``(n, latent_dim)``: ``Linear -> ReLU -> BatchNorm``
    per hidden layer, then a linear map to the latent space; ``decode`` mirrors it. The loss
    of a batch is ``MSE(decode(encode(x)), x) + lam * SignatureLoss(x, encode(x))``; the
    signature loss divides data distances by their batch maximum and latent distances by a
    learned scale, a parameter of this module.

    Parameters
    ----------
    config : AutoencoderConfig
        Sizes and loss weight.

    Examples
    --------
    >>> import torch
    >>> model = TopologicalAutoencoder(AutoencoderConfig(input_dim=101, latent_dim=2))
    >>> x = torch.randn(16, 101)
    >>> model.encode(x).shape, model.decode(model.encode(x)).shape
    (torch.Size([16, 2]), torch.Size([16, 101]))
    >>> terms = model.loss(x)
    >>> bool(terms.total >= terms.recon)
    True
    """

    def __init__(self, config: AutoencoderConfig) -> None:
        super().__init__()
        self.config = config
        widths = [config.input_dim, *config.hidden, config.latent_dim]
        self.encoder = mlp(widths, batch_norm=config.batch_norm)
        self.decoder = mlp(widths[::-1], batch_norm=config.batch_norm)
        self.signature = SignatureLoss(dims=(0,), normalize=True, learn_scale=True)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent codes ``(n, latent_dim)`` of a batch ``(n, input_dim)``."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstructions ``(n, input_dim)`` of latent codes ``(n, latent_dim)``."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z, x_hat)``: the latent codes of ``x`` and its reconstruction."""
        z = self.encode(x)
        return z, self.decode(z)

    def loss(self, x: torch.Tensor) -> LossTerms:
        """Reconstruction MSE plus ``lam`` times the signature loss on the batch ``x``."""
        z, x_hat = self(x)
        recon = nn.functional.mse_loss(x_hat, x)
        topo = self.signature(x, z)  # also with lam = 0: the plain autoencoder's value is logged
        return LossTerms(recon + self.config.lam * topo, recon, topo)

    @torch.no_grad()
    def transform(self, X: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Latent codes of a NumPy array, in evaluation mode: ``(n, latent_dim)`` float64."""
        return self._on_array(self.encode, X, batch_size)

    @torch.no_grad()
    def inverse_transform(self, Z: np.ndarray, batch_size: int = 4096) -> np.ndarray:
        """Decoded points of NumPy latent codes, in evaluation mode: ``(n, input_dim)``."""
        return self._on_array(self.decode, Z, batch_size)

    def save(self, path: str | Path | BinaryIO) -> str | Path | BinaryIO:
        """Write the weights and the config to ``path`` (a file name or a binary file)."""
        config = {**asdict(self.config), "hidden": list(self.config.hidden)}
        torch.save({"format": _FORMAT, "config": config, "state_dict": self.state_dict()}, path)
        return path

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> TopologicalAutoencoder:
        """Rebuild a model written by :meth:`save`, on ``device``, in evaluation mode.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> import numpy as np
        >>> model = TopologicalAutoencoder(AutoencoderConfig(input_dim=3))
        >>> path = model.save(pathlib.Path(tempfile.mkdtemp()) / "model.pt")
        >>> X = np.random.default_rng(0).normal(size=(5, 3))
        >>> bool(np.array_equal(TopologicalAutoencoder.load(path).transform(X), model.transform(X)))
        True
        """
        path = Path(path)
        try:
            saved = torch.load(path, map_location=resolve_device(device), weights_only=True)
            config = AutoencoderConfig(
                **{**saved["config"], "hidden": tuple(saved["config"]["hidden"])}
            )
        except (OSError, RuntimeError, KeyError, TypeError, pickle.UnpicklingError) as exc:
            raise InputError(f"{path}: not a saved topological autoencoder ({exc})") from exc
        model = cls(config).to(resolve_device(device))
        model.load_state_dict(saved["state_dict"])
        return model.eval()

    def _on_array(self, module: Callable, A: np.ndarray, batch_size: int) -> np.ndarray:
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        tensor = torch.as_tensor(np.asarray(A, dtype=np.float32))
        parts = [module(chunk.to(device)).cpu() for chunk in tensor.split(batch_size)]
        self.train(was_training)
        return torch.cat(parts).double().numpy()


def train_autoencoder(
    X: np.ndarray,
    latent_dim: int = 2,
    lam: float = 1.0,
    epochs: int = 100,
    batch_size: int = 64,
    lr: float = 1e-3,
    seed: int = 0,
    device: str = "cpu",
    hidden: Sequence[int] = (32, 32),
    progress: Callable[[EpochStats], None] | None = None,
) -> TrainResult:
    """Train a :class:`TopologicalAutoencoder` on the rows of ``X`` with Adam on mini-batches.

    Each epoch shuffles the points and takes one Adam step per batch of ``batch_size`` (a last
    batch of a single point is skipped). The same ``seed`` on the same device gives the same
    model; the global torch random state is left as it was.

    Parameters
    ----------
    X : numpy.ndarray
        ``(n, d)`` training points, finite.
    latent_dim : int, default 2
        Dimension of the latent space.
    lam : float, default 1.0
        Weight of the topological loss; 0 trains a plain autoencoder.
    epochs : int, default 100
        Passes over the data.
    batch_size : int, default 64
        Points per batch; the topological loss compares each batch with its latent codes.
    lr : float, default 1e-3
        Adam learning rate.
    seed : int, default 0
        Seed of the initial weights and of the shuffling.
    device : str, default "cpu"
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    hidden : sequence of int, default (32, 32)
        Hidden layer widths (the paper's Spheres architecture).
    progress : callable, optional
        Called with an :class:`EpochStats` after each epoch.

    Returns
    -------
    TrainResult
        ``(model, history)``; the model is in evaluation mode, ``history`` holds the per-epoch
        mean ``recon``, ``topo`` and ``total`` losses.

    Raises
    ------
    InputError
        Bad values of the options, ``X`` not a finite 2-D array of at least 2 rows, or a CUDA
        device on a machine without one.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(64, 5))
    >>> model, history = train_autoencoder(X, epochs=3, batch_size=16, seed=1)
    >>> sorted(history), len(history["recon"])
    (['recon', 'topo', 'total'], 3)
    """
    check_training(latent_dim=latent_dim, lam=lam, epochs=epochs, batch_size=batch_size, lr=lr)
    dev = resolve_device(device)
    data = torch.as_tensor(_check_points(X), dtype=torch.float32, device=dev)
    config = AutoencoderConfig(data.shape[1], latent_dim, tuple(hidden), lam=float(lam))
    with seeded(seed):
        model = TopologicalAutoencoder(config).to(dev)

    def step(rows: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        terms = model.loss(data[rows.to(dev)])
        return terms.total, {"recon": terms.recon, "topo": terms.topo, "total": terms.total}

    history = fit(
        model,
        step,
        len(data),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        min_batch_size=2,  # batch norm and the signature loss need two points
        progress=progress,
    )
    return TrainResult(model, history)


def check_training(latent_dim: int, lam: float, epochs: int, batch_size: int, lr: float) -> None:
    """Raise :class:`InputError` for an option of :func:`train_autoencoder` out of range.

    Examples
    --------
    >>> check_training(latent_dim=2, lam=-1.0, epochs=10, batch_size=64, lr=1e-3)
    Traceback (most recent call last):
    ...
    tda_pipe.errors.InputError: lam must be a number >= 0, not -1.0
    """
    check_int(latent_dim, "latent_dim", low=1)
    check_real(lam, "lam", low=0)
    check_schedule(epochs=epochs, batch_size=batch_size, lr=lr, min_batch_size=2)


def _check_points(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise InputError(f"training data must be a 2-D array (n, d), got shape {X.shape}")
    if len(X) < 2:
        raise InputError(f"training data needs at least 2 points, got {len(X)}")
    if not np.isfinite(X).all():
        raise InputError("training data holds NaN or inf values")
    return X
