"""Point-cloud classification through a learned filtration, trained end to end.

The model of Nishikawa, Ike and Yamanishi ("Adaptive topological feature via persistent
homology: filtration learning for point clouds", NeurIPS 2023): a
:class:`~tda_pipe.models.filtration.FiltrationNet` gives every point a weight, the weights
define a weighted Rips filtration whose H0 and H1 diagrams are computed with gradients
(:func:`~tda_pipe.tda.differentiable.weighted_rips_persistence`), a differentiable PersLay layer
(Carrière et al., AISTATS 2020; Gaussian structure elements with learned centres and widths,
persistence-weighted sums) turns each diagram into a vector, and an MLP classifies. The loss
reaches the filtration network through the persistence values.

The filtration is chosen by ``mode``:

- ``"learned"``: the network's weights (the paper's method);
- ``"rips"``: all weights zero, the Vietoris–Rips filtration (values are half distances);
- ``"dtm"``: fixed distance-to-measure weights (Anai et al.), robust to outliers;
- ``"none"``: no topology at all: a DeepSets classifier (Zaheer et al., NeurIPS 2017) over each
  point's isometry-invariant descriptors (distance profile and distance to the centroid).

``deepsets=True`` concatenates that DeepSets embedding to the diagram vectors. Every cloud is
centred and scaled to unit root-mean-square radius first, so the whole model is invariant to
rotations, reflections, translations, scaling and permutations of a cloud.

Examples
--------
>>> from tda_pipe.datasets.collection import shape_collection
>>> data = shape_collection(per_class=6, n_points=80, classes=["sphere", "torus"], seed=0)
>>> result = train_filtration_classifier(data, epochs=2, n_points=64, seed=0)
>>> sorted(result.history), len(result.history["test_acc"])
(['test_acc', 'test_loss', 'train_acc', 'train_loss'], 2)
>>> result.model.predict(data.clouds[:2]).shape
(2,)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as nnf

from tda_pipe.datasets.collection import ShapeCollection
from tda_pipe.errors import InputError
from tda_pipe.models.filtration import FiltrationNet, distance_profiles, mlp
from tda_pipe.tda.differentiable import TorchDiagrams, weighted_rips_persistence
from tda_pipe.tda.filtrations import dtm_weights

__all__ = [
    "MODES",
    "ClassifierConfig",
    "EpochStats",
    "GaussianDiagramLayer",
    "PointDeepSets",
    "TopologicalClassifier",
    "TrainResult",
    "check_training",
    "train_filtration_classifier",
]

MODES = ("learned", "rips", "dtm", "none")
"""Filtrations of :class:`TopologicalClassifier`; ``"none"`` classifies without topology."""

_FORMAT = 1  # version of the file written by TopologicalClassifier.save

Diagram = list[torch.Tensor]  # the finite (birth, death) points of H0 and H1 of one cloud


@dataclass(frozen=True)
class ClassifierConfig:
    """Everything needed to rebuild a :class:`TopologicalClassifier`.

    Attributes
    ----------
    classes : tuple of str
        Class names, in the order of the logits.
    mode : str
        One of :data:`MODES`.
    k : int
        Neighbours in the distance profiles of the filtration network and of the DeepSets.
    hidden : int
        Width of every hidden layer.
    grid : int
        The PersLay layer has ``grid x grid`` Gaussians per homology dimension.
    dtm_k : int
        Neighbours of the DTM weights (``mode="dtm"``), the point itself included.
    deepsets : bool
        Concatenate the DeepSets embedding of the points to the diagram vectors.
    """

    classes: tuple[str, ...]
    mode: str = "learned"
    k: int = 16
    hidden: int = 32
    grid: int = 4
    dtm_k: int = 10
    deepsets: bool = False


class GaussianDiagramLayer(nn.Module):
    """PersLay vectorisation of a diagram with ``grid x grid`` learned Gaussians.

    A diagram point ``(b, d)`` is placed at ``x = (b, d - b)``; feature ``c`` is the sum over
    the points of ``(d - b) * exp(-|(x - mu_c) / sigma_c|^2)``. Near-diagonal points weigh
    little, so the vector is stable (Carrière et al., AISTATS 2020). The centres start on a
    grid over ``[0, span[0]] x [0, span[1]]`` (birth x persistence; clouds have unit radius).

    Examples
    --------
    >>> import torch
    >>> layer = GaussianDiagramLayer(grid=3)
    >>> layer(torch.tensor([[0.1, 0.5], [0.2, 0.25]])).shape
    torch.Size([9])
    """

    def __init__(self, grid: int = 4, span: tuple[float, float] = (1.0, 0.5)) -> None:
        super().__init__()
        axes = [torch.linspace(0.0, s, grid) for s in span]
        self.centres = nn.Parameter(torch.cartesian_prod(*axes))
        sigma = torch.tensor(span) / grid
        self.log_sigma = nn.Parameter(sigma.log().repeat(grid * grid, 1))

    def forward(self, diagram: torch.Tensor) -> torch.Tensor:
        """``(grid**2,)`` features of a ``(k, 2)`` diagram of finite points."""
        persistence = diagram[:, 1] - diagram[:, 0]
        x = torch.stack([diagram[:, 0], persistence], dim=1)
        scaled = (x[:, None, :] - self.centres) / self.log_sigma.exp()
        return (persistence[:, None] * torch.exp(-(scaled**2).sum(-1))).sum(0)


class PointDeepSets(nn.Module):
    """DeepSets embedding of a cloud from isometry-invariant per-point descriptors.

    Each point is described by its distance profile (:func:`distance_profiles`, divided by
    the cloud's mean profile value) and its distance to the centroid (the clouds given are
    normalised); a per-point MLP and a mean over the points give a ``hidden`` vector.
    """

    def __init__(self, k: int = 16, hidden: int = 32) -> None:
        super().__init__()
        self.k = k
        self.phi = mlp([k + 1, hidden, hidden])

    def forward(self, cloud: torch.Tensor) -> torch.Tensor:
        """``(hidden,)`` embedding of one normalised ``(n, d)`` cloud."""
        profiles = distance_profiles(cloud, self.k)
        profiles = profiles / profiles.mean().clamp_min(torch.finfo(cloud.dtype).tiny)
        radius = cloud.norm(dim=1, keepdim=True)
        return nnf.relu(self.phi(torch.cat([profiles, radius], dim=1))).mean(0)


class TopologicalClassifier(nn.Module):
    """Filtration network, weighted Rips persistence, PersLay and an MLP (see the module).

    Parameters
    ----------
    config : ClassifierConfig

    Examples
    --------
    >>> import torch
    >>> model = TopologicalClassifier(ClassifierConfig(classes=("a", "b"), k=8))
    >>> clouds = [torch.randn(40, 3), torch.randn(50, 3)]
    >>> model(clouds).shape
    torch.Size([2, 2])
    """

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        if not isinstance(config, ClassifierConfig):
            raise InputError(
                f"TopologicalClassifier takes a ClassifierConfig, got {type(config).__name__}; "
                "e.g. TopologicalClassifier(ClassifierConfig(classes=('circle', 'disc')))"
            )
        if config.mode not in MODES:
            raise InputError(f"unknown mode {config.mode!r}; choose {', '.join(MODES)}")
        self.config = config
        topology = config.mode != "none"
        self.filtration = (
            FiltrationNet(config.k, config.hidden) if config.mode == "learned" else None
        )
        self.vectorizers = nn.ModuleList(
            [GaussianDiagramLayer(config.grid) for _ in range(2 if topology else 0)]
        )
        uses_points = config.deepsets or not topology
        self.points = PointDeepSets(config.k, config.hidden) if uses_points else None
        width = 2 * config.grid**2 * topology + config.hidden * uses_points
        self.head = mlp([width, config.hidden, len(config.classes)])

    @property
    def fixed_filtration(self) -> bool:
        """True when the diagrams do not depend on the parameters (and can be cached)."""
        return self.config.mode in ("rips", "dtm")

    def point_weights(self, clouds: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """The filtration weights of each cloud (scaled to unit radius) under the model's mode."""
        return self._weights([_normalise(c) for c in clouds])

    def _weights(self, normalised: list[torch.Tensor]) -> list[torch.Tensor]:
        if self.config.mode == "learned":
            return self.filtration(normalised)
        if self.config.mode == "dtm":
            return [
                torch.as_tensor(dtm_weights(c.detach().cpu().numpy(), self.config.dtm_k)).to(c)
                for c in normalised
            ]
        return [c.new_zeros(len(c)) for c in normalised]

    def persistence(self, clouds: Sequence[torch.Tensor]) -> list[TorchDiagrams]:
        """H0 and H1 of each (normalised) cloud's weighted Rips filtration, with gradients."""
        if self.config.mode == "none":
            raise InputError("a classifier with mode 'none' computes no diagrams")
        normalised = [_normalise(c) for c in clouds]
        weights = self._weights(normalised)
        return weighted_rips_persistence(normalised, weights, max_dim=1, n_jobs=1)

    def diagrams(self, clouds: Sequence[torch.Tensor]) -> list[Diagram]:
        """The finite H0 and H1 points of :meth:`persistence`: what the PersLay layers see."""
        return [
            [d[p][torch.isfinite(d[p][:, 1])] for p in (0, 1)] for d in self.persistence(clouds)
        ]

    def forward(
        self, clouds: Sequence[torch.Tensor], diagrams: Sequence[Diagram] | None = None
    ) -> torch.Tensor:
        """``(batch, classes)`` logits; ``diagrams`` (of :meth:`diagrams`) skips persistence."""
        parts = []
        if self.config.mode != "none":
            diagrams = self.diagrams(clouds) if diagrams is None else diagrams
            parts.append(
                torch.stack(
                    [torch.cat([v(d) for v, d in zip(self.vectorizers, dg)]) for dg in diagrams]
                )
            )
        if self.points is not None:
            parts.append(torch.stack([self.points(_normalise(c)) for c in clouds]))
        return self.head(torch.cat(parts, dim=1))

    @torch.no_grad()
    def predict(self, clouds: Sequence[np.ndarray]) -> np.ndarray:
        """Class indices (into ``config.classes``) of numpy clouds.

        Subsample large clouds first, as in training: persistence of every cloud is computed.
        """
        dtype = next(self.parameters()).dtype
        logits = self([torch.as_tensor(np.asarray(c), dtype=dtype) for c in clouds])
        return logits.argmax(1).numpy()

    def save(self, path: str | Path | BinaryIO) -> None:
        """Write the configuration and parameters to ``path`` (read by :meth:`load`)."""
        state = {"format": _FORMAT, "config": asdict(self.config), "state": self.state_dict()}
        torch.save(state, path)

    @classmethod
    def load(cls, path: str | Path) -> TopologicalClassifier:
        """A model written by :meth:`save`, in evaluation mode."""
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise InputError(f"{path}: not a filtration-classifier file of format {_FORMAT}")
        config = dict(state["config"], classes=tuple(state["config"]["classes"]))
        model = cls(ClassifierConfig(**config))
        model.load_state_dict(state["state"])
        return model.eval()


def _normalise(cloud: torch.Tensor) -> torch.Tensor:
    """The cloud centred at its centroid and scaled to unit root-mean-square radius."""
    centred = cloud - cloud.mean(0)
    radius = centred.pow(2).sum(1).mean().sqrt().clamp_min(torch.finfo(cloud.dtype).tiny)
    return centred / radius


class EpochStats(NamedTuple):
    """What the ``progress`` callback of :func:`train_filtration_classifier` receives."""

    epoch: int
    epochs: int
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float


class TrainResult(NamedTuple):
    """The trained model (evaluation mode), per-epoch history and the train/test split.

    ``history`` holds ``train_loss``, ``train_acc`` (means over the epoch's batches) and
    ``test_loss``, ``test_acc`` (after the epoch); ``train_index``/``test_index`` are rows of
    the data.
    """

    model: TopologicalClassifier
    history: dict[str, list[float]]
    train_index: np.ndarray
    test_index: np.ndarray


def train_filtration_classifier(
    data: ShapeCollection | Sequence[np.ndarray],
    labels: Sequence[int] | np.ndarray | None = None,
    *,
    mode: str = "learned",
    epochs: int = 50,
    lr: float = 5e-3,
    batch_size: int = 16,
    n_points: int = 128,
    test_fraction: float = 0.3,
    seed: int = 0,
    k: int = 16,
    hidden: int = 32,
    grid: int = 4,
    dtm_k: int = 10,
    deepsets: bool = False,
    progress: Callable[[EpochStats], None] | None = None,
) -> TrainResult:
    """Train a :class:`TopologicalClassifier` end to end with Adam and cross-entropy.

    Each cloud is subsampled once to ``n_points`` random points; the clouds are split into
    train and test sets, stratified by class. With a fixed filtration (``"rips"``, ``"dtm"``)
    the diagrams are computed once; with ``"learned"`` they are recomputed, with gradients, in
    every step. The same ``seed`` gives the same model, history and split; the global torch
    random state is left as it was.

    Parameters
    ----------
    data : ShapeCollection or sequence of numpy.ndarray
        A collection (its labels and class names are used), or ``(n_i, d)`` clouds.
    labels : sequence of int or str, optional
        One label per cloud, required with clouds and ignored with a collection.
    mode : str, default "learned"
        ``"learned"``, ``"rips"``, ``"dtm"`` or ``"none"`` (see :data:`MODES`).
    epochs : int, default 50
        Passes over the training clouds.
    lr : float, default 5e-3
        Adam learning rate.
    batch_size : int, default 16
        Clouds per step.
    n_points : int, default 128
        Points kept per cloud (weighted Rips H1 of 128 points takes a few milliseconds).
    test_fraction : float, default 0.3
        Share of each class held out for testing, in (0, 1).
    seed : int, default 0
        Seed of the subsampling, the split, the initial weights and the shuffling.
    k, hidden, grid, dtm_k, deepsets
        The model's :class:`ClassifierConfig`.
    progress : callable, optional
        Called with an :class:`EpochStats` after each epoch.

    Returns
    -------
    TrainResult

    Raises
    ------
    InputError
        Bad option values, labels that do not match the clouds, a class with fewer than two
        clouds, or clouds with too few points or non-finite values.

    Examples
    --------
    >>> from tda_pipe.datasets.collection import shape_collection
    >>> data = shape_collection(per_class=6, n_points=80, classes=["sphere", "torus"], seed=1)
    >>> result = train_filtration_classifier(data, mode="rips", epochs=3, n_points=64)
    >>> len(result.history["test_acc"]), len(result.test_index), result.model.config.classes
    (3, 4, ('sphere', 'torus'))
    """
    check_training(
        mode=mode,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        n_points=n_points,
        test_fraction=test_fraction,
        k=k,
        hidden=hidden,
        grid=grid,
        dtm_k=dtm_k,
    )
    clouds, codes, classes = _labelled_clouds(data, labels)
    rng = np.random.default_rng(seed)
    clouds = [_subsample(c, n_points, rng) for c in clouds]
    _check_sizes(clouds, codes, classes, need=max(k + 1, dtm_k if mode == "dtm" else 2))
    train_index, test_index = _split(codes, test_fraction, rng)
    config = ClassifierConfig(tuple(classes), mode, k, hidden, grid, dtm_k, deepsets)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = TopologicalClassifier(config)
    tensors = [torch.as_tensor(c, dtype=torch.float32) for c in clouds]
    y = torch.as_tensor(codes)
    cached = None
    if model.fixed_filtration:
        with torch.no_grad():
            cached = model.diagrams(tensors)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    shuffle = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {name: [] for name in EpochStats._fields[2:]}
    for epoch in range(1, epochs + 1):
        model.train()
        train = _train_epoch(model, optimizer, tensors, y, train_index, batch_size, shuffle, cached)
        schedule.step()
        model.eval()
        with torch.no_grad():
            test = _evaluate(model, tensors, y, test_index, cached)
        for name, value in zip(history, (*train, *test)):
            history[name].append(value)
        if progress is not None:
            progress(EpochStats(epoch, epochs, *train, *test))
    return TrainResult(model.eval(), history, train_index, test_index)


def _train_epoch(model, optimizer, clouds, y, index, batch_size, generator, cached):
    """One pass of Adam steps over shuffled batches: mean loss and accuracy."""
    loss_sum, correct = 0.0, 0
    order = index[torch.randperm(len(index), generator=generator).numpy()]
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        logits = model([clouds[i] for i in rows], _rows(cached, rows))
        loss = nnf.cross_entropy(logits, y[rows])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss_sum += loss.item() * len(rows)
        correct += int((logits.argmax(1) == y[rows]).sum())
    return loss_sum / len(order), correct / len(order)


def _evaluate(model, clouds, y, index, cached) -> tuple[float, float]:
    """Loss and accuracy on the clouds ``index``."""
    logits = model([clouds[i] for i in index], _rows(cached, index))
    loss = nnf.cross_entropy(logits, y[index]).item()
    return loss, float((logits.argmax(1) == y[index]).float().mean())


def _rows(cached: list[Diagram] | None, rows: np.ndarray) -> list[Diagram] | None:
    return None if cached is None else [cached[i] for i in rows]


def check_training(
    *,
    mode: str,
    epochs: int,
    lr: float,
    batch_size: int,
    n_points: int,
    test_fraction: float,
    k: int,
    hidden: int,
    grid: int,
    dtm_k: int,
) -> None:
    """Raise :class:`InputError` for an option of :func:`train_filtration_classifier` out of range.

    Examples
    --------
    >>> check_training(mode="learned", epochs=0, lr=1e-3, batch_size=8, n_points=128,
    ...                test_fraction=0.3, k=16, hidden=32, grid=4, dtm_k=10)
    Traceback (most recent call last):
    ...
    tda_pipe.errors.InputError: epochs must be an integer >= 1, not 0
    """
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; choose {', '.join(MODES)}")
    for name, value, low in (
        ("epochs", epochs, 1),
        ("batch_size", batch_size, 1),
        ("n_points", n_points, 3),
        ("k", k, 1),
        ("hidden", hidden, 1),
        ("grid", grid, 1),
        ("dtm_k", dtm_k, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InputError(f"{name} must be an integer >= {low}, not {value!r}")
    if not _finite(lr) or lr <= 0:
        raise InputError(f"lr must be a number > 0, not {lr!r}")
    if not _finite(test_fraction) or not 0 < test_fraction < 1:
        raise InputError(f"test_fraction must be a number in (0, 1), not {test_fraction!r}")


def _finite(value: object) -> bool:
    return (
        isinstance(value, int | float | np.number)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _labelled_clouds(data, labels) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
    """Clouds as float64 arrays, integer class codes and class names."""
    if isinstance(data, ShapeCollection):
        return [np.asarray(c, float) for c in data.clouds], np.asarray(data.labels), data.classes
    if labels is None or len(labels) != len(data):
        given = "no labels" if labels is None else f"{len(labels)} labels"
        raise InputError(f"{len(data)} clouds need one label each; got {given}")
    names, codes = np.unique(np.asarray(labels), return_inverse=True)
    clouds = []
    for i, c in enumerate(data):
        c = np.asarray(c, dtype=np.float64)
        if c.ndim != 2 or not np.isfinite(c).all():
            raise InputError(f"cloud {i} must be a finite (n, d) array, got shape {c.shape}")
        clouds.append(c)
    return clouds, codes, [str(n) for n in names]


def _subsample(cloud: np.ndarray, n_points: int, rng: np.random.Generator) -> np.ndarray:
    """``n_points`` random rows of ``cloud`` (in their order), or all of them if it is smaller."""
    if len(cloud) <= n_points:
        return cloud
    return cloud[np.sort(rng.choice(len(cloud), n_points, replace=False))]


def _check_sizes(
    clouds: list[np.ndarray], codes: np.ndarray, classes: list[str], need: int
) -> None:
    """At least two clouds per class and ``need`` points per cloud (k neighbours and itself)."""
    counts = np.bincount(codes, minlength=len(classes))
    if counts.min() < 2:
        lonely = classes[int(counts.argmin())]
        raise InputError(f"class {lonely!r} has {counts.min()} cloud(s); 2 or more are needed")
    small = int(np.argmin([len(c) for c in clouds]))
    if len(clouds[small]) < need:
        raise InputError(
            f"cloud {small} has {len(clouds[small])} points; the neighbour counts (k, dtm_k) "
            f"need at least {need}"
        )


def _split(
    codes: np.ndarray, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train and test rows: ``test_fraction`` of each class (at least one) held out."""
    train, test = [], []
    for c in np.unique(codes):
        rows = rng.permutation(np.flatnonzero(codes == c))
        n_test = min(max(1, round(test_fraction * len(rows))), len(rows) - 1)
        test.append(rows[:n_test])
        train.append(rows[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
