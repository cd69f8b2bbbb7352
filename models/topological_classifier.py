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

- ``"learned"``: the network's weights (the paper's method). With ``start="dtm"`` (the
  default) the network learns a multiplicative correction of the DTM weights and starts at
  them exactly; with ``start="rips"`` it starts from constant weights (a shifted Rips
  filtration), as in the paper;
- ``"rips"``: all weights zero, the Vietoris–Rips filtration (values are half distances);
- ``"dtm"``: fixed distance-to-measure weights (Anai et al.), robust to outliers;
- ``"none"``: no topology at all: a DeepSets classifier (Zaheer et al., NeurIPS 2017) over each
  point's isometry-invariant descriptors (distance profile and distance to the centroid).

``deepsets=True`` concatenates that DeepSets embedding to the diagram vectors. Every cloud is
centred and scaled to unit root-mean-square radius first, so the whole model is invariant to
rotations, reflections, translations, scaling and permutations of a cloud.

Training (:func:`train_filtration_classifier`) holds out a stratified test split, carves a
validation split out of the rest, and returns the model of the epoch with the best validation
accuracy: the test clouds are never used to choose anything.

Examples
--------
>>> from tda_pipe.datasets.collection import shape_collection
>>> data = shape_collection(per_class=6, n_points=80, classes=["sphere", "torus"], seed=0)
>>> result = train_filtration_classifier(
...     data.clouds, data.labels, classes=data.classes, epochs=3, filtration_epochs=1,
...     n_points=64, seed=0)
>>> sorted(result.history), sorted(result.metrics)[:2]
(['train_acc', 'train_loss', 'val_acc', 'val_loss'], ['test_acc', 'test_loss'])
>>> result.model.predict(data.clouds[:2]).shape
(2,)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO, NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as nnf

from tda_pipe.errors import InputError
from tda_pipe.models.filtration import FEATURES, FiltrationNet, distance_profiles
from tda_pipe.models.training import EpochStats, check_schedule, fit, mlp, seeded
from tda_pipe.tda.differentiable import TorchDiagrams, weighted_rips_persistence
from tda_pipe.tda.filtrations import dtm_weights
from tda_pipe.tda.sampling import random_rows
from tda_pipe.tda.validation import check_choice, check_int, check_real

__all__ = [
    "MODES",
    "STARTS",
    "ClassifierConfig",
    "ClassifierResult",
    "EpochStats",
    "GaussianDiagramLayer",
    "PointDeepSets",
    "TopologicalClassifier",
    "check_training",
    "train_filtration_classifier",
]

MODES = ("learned", "rips", "dtm", "none")
"""Filtrations of :class:`TopologicalClassifier`; ``"none"`` classifies without topology."""

STARTS = ("dtm", "rips")
"""What a learned filtration starts from: the DTM weights (corrected) or constant weights."""

_FORMAT = 2  # version of the file written by TopologicalClassifier.save

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
        Neighbours of the DTM weights (``mode="dtm"``, and ``"learned"`` started at DTM), the
        point itself included.
    deepsets : bool
        Concatenate the DeepSets embedding of the points to the diagram vectors.
    start : str
        ``mode="learned"`` only: ``"dtm"``, a learned correction ``dtm * exp(z)`` that starts
        at the DTM weights, or ``"rips"``, weights ``softplus(z) * scale`` that start constant
        (see :data:`STARTS`).
    features : str
        ``mode="learned"`` only: what the filtration network reads per point (see
        :data:`~tda_pipe.models.filtration.FEATURES`).
    """

    classes: tuple[str, ...]
    mode: str = "learned"
    k: int = 16
    hidden: int = 32
    grid: int = 4
    dtm_k: int = 10
    deepsets: bool = False
    start: str = "dtm"
    features: str = "profile"


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
    >>> diagram = torch.tensor([[0.1, 0.5], [0.2, 0.25]])
    >>> layer(diagram).shape, layer([diagram, diagram[:1]]).shape
    (torch.Size([9]), torch.Size([2, 9]))
    """

    def __init__(self, grid: int = 4, span: tuple[float, float] = (1.0, 0.5)) -> None:
        super().__init__()
        axes = [torch.linspace(0.0, s, grid) for s in span]
        self.centres = nn.Parameter(torch.cartesian_prod(*axes))
        sigma = torch.tensor(span) / grid
        self.log_sigma = nn.Parameter(sigma.log().repeat(grid * grid, 1))

    def forward(self, diagram: torch.Tensor | Sequence[torch.Tensor]) -> torch.Tensor:
        """``(grid**2,)`` features of a ``(k, 2)`` diagram of finite points, or a
        ``(len(diagram), grid**2)`` stack of them for a list of diagrams (computed at once)."""
        if isinstance(diagram, torch.Tensor):
            return self.forward([diagram])[0]
        owner = torch.repeat_interleave(torch.tensor([len(d) for d in diagram]))
        points = torch.cat(list(diagram))
        persistence = points[:, 1] - points[:, 0]
        x = torch.stack([points[:, 0], persistence], dim=1)
        scaled = (x[:, None, :] - self.centres) / self.log_sigma.exp()
        features = persistence[:, None] * torch.exp(-(scaled**2).sum(-1))
        out = features.new_zeros(len(diagram), features.shape[1])
        return out.index_add(0, owner.to(features.device), features)


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
    n_jobs : int or None, default 1
        Threads for the persistence of a batch (``None``: all cores); not saved.

    Examples
    --------
    >>> import torch
    >>> model = TopologicalClassifier(ClassifierConfig(classes=("a", "b"), k=8))
    >>> clouds = [torch.randn(40, 3), torch.randn(50, 3)]
    >>> model(clouds).shape
    torch.Size([2, 2])
    """

    def __init__(self, config: ClassifierConfig, n_jobs: int | None = 1) -> None:
        super().__init__()
        if not isinstance(config, ClassifierConfig):
            raise InputError(
                f"TopologicalClassifier takes a ClassifierConfig, got {type(config).__name__}; "
                "e.g. TopologicalClassifier(ClassifierConfig(classes=('circle', 'disc')))"
            )
        check_choice(config.mode, "mode", MODES)
        check_choice(config.start, "start", STARTS)
        check_choice(config.features, "features", FEATURES)
        self.config = config
        self.n_jobs = n_jobs
        topology = config.mode != "none"
        self.vectorizers = nn.ModuleList(
            [GaussianDiagramLayer(config.grid) for _ in range(2 if topology else 0)]
        )
        uses_points = config.deepsets or not topology
        self.points = PointDeepSets(config.k, config.hidden) if uses_points else None
        width = 2 * config.grid**2 * topology + config.hidden * uses_points
        self.head = mlp([width, config.hidden, len(config.classes)])
        # built last, so that every other layer starts as in the fixed modes with the same seed
        self.filtration = (
            FiltrationNet(config.k, config.hidden, config.features)
            if config.mode == "learned"
            else None
        )

    @property
    def fixed_filtration(self) -> bool:
        """True when the diagrams do not depend on the parameters (and can be cached)."""
        return self.config.mode in ("rips", "dtm")

    def point_weights(self, clouds: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """The filtration weights of each cloud (scaled to unit radius) under the model's mode."""
        return self._weights([_normalise(c) for c in clouds])

    def _weights(self, normalised: list[torch.Tensor]) -> list[torch.Tensor]:
        mode, start = self.config.mode, self.config.start
        if mode == "dtm" or (mode == "learned" and start == "dtm"):
            dtm = [
                torch.as_tensor(dtm_weights(c.detach().cpu().numpy(), self.config.dtm_k)).to(c)
                for c in normalised
            ]
            return dtm if mode == "dtm" else self.filtration(normalised, dtm)
        if mode == "learned":
            return self.filtration(normalised)
        return [c.new_zeros(len(c)) for c in normalised]

    def persistence(self, clouds: Sequence[torch.Tensor]) -> list[TorchDiagrams]:
        """H0 and H1 of each (normalised) cloud's weighted Rips filtration, with gradients."""
        if self.config.mode == "none":
            raise InputError("a classifier with mode 'none' computes no diagrams")
        normalised = [_normalise(c) for c in clouds]
        weights = self._weights(normalised)
        return weighted_rips_persistence(normalised, weights, max_dim=1, n_jobs=self.n_jobs)

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
            parts += [v([dg[p] for dg in diagrams]) for p, v in enumerate(self.vectorizers)]
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
            raise InputError(
                f"{path}: not a filtration-classifier file of format {_FORMAT}; "
                "train it again with this version"
            )
        config = dict(state["config"], classes=tuple(state["config"]["classes"]))
        model = cls(ClassifierConfig(**config))
        model.load_state_dict(state["state"])
        return model.eval()


def _normalise(cloud: torch.Tensor) -> torch.Tensor:
    """The cloud centred at its centroid and scaled to unit root-mean-square radius."""
    centred = cloud - cloud.mean(0)
    radius = centred.pow(2).sum(1).mean().sqrt().clamp_min(torch.finfo(cloud.dtype).tiny)
    return centred / radius


# ------------------------------------------------------------------ training


class ClassifierResult(NamedTuple):
    """The selected model (evaluation mode), the per-epoch history and the split.

    ``history`` holds, per epoch, ``train_loss`` and ``train_acc`` (means over the epoch's
    batches), ``val_loss`` and ``val_acc`` (after the epoch). ``best_epoch`` (from 1) is the
    epoch of the returned model, the one with the best validation accuracy (ties: the lower
    validation loss, then the earlier epoch); ``metrics`` holds that epoch's values and the
    returned model's ``test_loss`` and ``test_acc``: the test clouds are scored once, at the
    end. The ``*_index`` arrays are rows of the clouds given.
    """

    model: TopologicalClassifier
    history: dict[str, list[float]]
    best_epoch: int
    metrics: dict[str, float]
    train_index: np.ndarray
    val_index: np.ndarray
    test_index: np.ndarray


def train_filtration_classifier(
    clouds: Sequence[np.ndarray],
    labels: Sequence[int] | Sequence[str] | np.ndarray | None = None,
    *,
    classes: Sequence[str] | None = None,
    mode: str = "learned",
    epochs: int = 60,
    filtration_epochs: int = 10,
    lr: float = 5e-3,
    batch_size: int = 16,
    n_points: int = 128,
    test_fraction: float = 0.3,
    val_fraction: float = 0.2,
    seed: int = 0,
    k: int = 16,
    hidden: int = 32,
    grid: int = 4,
    dtm_k: int = 10,
    deepsets: bool = False,
    start: str = "dtm",
    features: str = "profile",
    n_jobs: int | None = None,
    progress: Callable[[EpochStats], None] | None = None,
) -> ClassifierResult:
    """Train a :class:`TopologicalClassifier` end to end with Adam and cross-entropy.

    Each cloud is subsampled once to ``n_points`` random points. A stratified ``test_fraction``
    of each class is held out for testing and a stratified ``val_fraction`` of the rest for
    validation; the model of the epoch with the best validation accuracy is returned.

    Training runs in two phases of the same kind: first the filtration stays at its start (for
    ``"learned"`` started at DTM that is the DTM filtration; its diagrams are computed once),
    then, for the last ``filtration_epochs`` epochs, a learned filtration is trained with the
    rest, its diagrams recomputed with gradients in every step.
    Each phase runs Adam with its own cosine-annealed learning rate from ``lr``. The fixed
    modes (``"rips"``, ``"dtm"``, ``"none"``) run the same two phases, so with the same
    ``seed`` a learned filtration whose correction stayed at zero would give the DTM model.
    The same ``seed`` gives the same model, history and split; the global torch random state
    is left as it was.

    Parameters
    ----------
    clouds : sequence of numpy.ndarray
        ``(n_i, d)`` clouds. An object with ``clouds``, ``labels`` and ``classes`` attributes
        (a :class:`~tda_pipe.datasets.collection.ShapeCollection`) is taken apart.
    labels : sequence of int or str
        One label per cloud (integers index ``classes`` when it is given).
    classes : sequence of str, optional
        Names of the integer labels; default: the sorted distinct labels.
    mode : str, default "learned"
        ``"learned"``, ``"rips"``, ``"dtm"`` or ``"none"`` (see :data:`MODES`).
    epochs : int, default 60
        Passes over the training clouds, both phases together.
    filtration_epochs : int, default 10
        Length of the second phase (all epochs if ``epochs`` is smaller; 0 keeps the start).
    lr : float, default 5e-3
        Adam learning rate at the start of each phase.
    batch_size : int, default 16
        Clouds per step.
    n_points : int, default 128
        Points kept per cloud (weighted Rips H1 of 128 points takes about 10 ms).
    test_fraction, val_fraction : float, default 0.3 and 0.2
        Shares of each class held out for testing, and of the rest for validation, in (0, 1).
    seed : int, default 0
        Seed of the subsampling, the split, the initial weights and the shuffling.
    k, hidden, grid, dtm_k, deepsets, start, features
        The model's :class:`ClassifierConfig`.
    n_jobs : int or None, default None
        Threads for the persistence of a batch (``None``: all cores).
    progress : callable, optional
        Called with an :class:`~tda_pipe.models.training.EpochStats` after each epoch (its
        values are those of ``history``).

    Returns
    -------
    ClassifierResult

    Raises
    ------
    InputError
        Bad option values, labels that do not match the clouds, a single class, a class with
        too few clouds for the three splits, or clouds with too few points or non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> blobs = [rng.normal(size=(40, 3)) for _ in range(6)]
    >>> rings = [np.c_[np.cos(t), np.sin(t), 0 * t] for t in rng.uniform(0, 7, (6, 40))]
    >>> result = train_filtration_classifier(
    ...     blobs + rings, ["blob"] * 6 + ["ring"] * 6, mode="rips", epochs=3, k=8)
    >>> len(result.history["val_acc"]), len(result.test_index), result.model.config.classes
    (3, 4, ('blob', 'ring'))
    """
    if hasattr(clouds, "clouds") and labels is None:
        clouds, labels, classes = clouds.clouds, clouds.labels, clouds.classes
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
        filtration_epochs=filtration_epochs,
        val_fraction=val_fraction,
        start=start,
        features=features,
    )
    arrays, codes, names = _labelled_clouds(clouds, labels, classes)
    rng = np.random.default_rng(seed)
    arrays = [c[random_rows(len(c), n_points, rng)] for c in arrays]
    _check_points(arrays, need=max(k + 1, dtm_k if mode == "dtm" or start == "dtm" else 2))
    train_index, val_index, test_index = _split(codes, names, test_fraction, val_fraction, rng)
    config = ClassifierConfig(tuple(names), mode, k, hidden, grid, dtm_k, deepsets, start, features)
    with seeded(seed):
        model = TopologicalClassifier(config, n_jobs=n_jobs)
    tensors = [torch.as_tensor(c, dtype=torch.float32) for c in arrays]
    y = torch.as_tensor(codes)
    run = _Run(model, tensors, y, val_index, test_index)
    history: dict[str, list[float]] = {}
    done = 0
    tuned = min(filtration_epochs, epochs)
    for length, fixed in ((epochs - tuned, True), (tuned, mode != "learned")):
        if length == 0:
            continue
        run.cache = run.all_diagrams() if fixed and mode != "none" else None
        phase = fit(
            model,
            run.step,
            train_index,
            epochs=length,
            batch_size=batch_size,
            lr=lr,
            seed=seed + done,
            cosine=True,
            evaluate=run.evaluate,
            progress=None if progress is None else _shifted(progress, done, epochs),
        )
        for name, values in phase.items():
            history.setdefault(name, []).extend(values)
        done += length
    model.load_state_dict(run.best_state)
    model.eval()
    best = run.best_epoch
    metrics = {name: values[best - 1] for name, values in history.items()}
    with torch.no_grad():
        metrics.update(run.scores("test", test_index))
    return ClassifierResult(model, history, best, metrics, train_index, val_index, test_index)


class _Run:
    """The training state :func:`fit` calls back into: cached diagrams, history, best model."""

    def __init__(self, model, clouds, y, val_index, test_index) -> None:
        self.model, self.clouds, self.y = model, clouds, y
        self.val_index, self.test_index = val_index, test_index
        self.cache: list[Diagram] | None = None
        self.epoch, self.best_epoch, self.best_key, self.best_state = 0, 0, None, None

    @torch.no_grad()
    def all_diagrams(self) -> list[Diagram]:
        return self.model.diagrams(self.clouds)

    def logits(self, rows) -> torch.Tensor:
        cached = None if self.cache is None else [self.cache[i] for i in rows]
        return self.model([self.clouds[i] for i in rows], cached)

    def step(self, rows: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        logits = self.logits(rows.tolist())
        loss = nnf.cross_entropy(logits, self.y[rows])
        return loss, {"train_loss": loss, "train_acc": _accuracy(logits, self.y[rows])}

    def scores(self, name: str, index: np.ndarray) -> dict[str, float]:
        """``<name>_loss`` and ``<name>_acc`` of the clouds ``index``."""
        logits = self.logits(index.tolist())
        return {
            f"{name}_loss": float(nnf.cross_entropy(logits, self.y[index])),
            f"{name}_acc": float(_accuracy(logits, self.y[index])),
        }

    def evaluate(self) -> dict[str, float]:
        """Validation loss and accuracy; keeps the state of the best validation epoch."""
        values = self.scores("val", self.val_index)
        self.epoch += 1
        key = (values["val_acc"], -values["val_loss"])
        if self.best_key is None or key > self.best_key:
            self.best_epoch, self.best_key = self.epoch, key
            self.best_state = {n: t.clone() for n, t in self.model.state_dict().items()}
        return values


def _accuracy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(1) == y).float().mean()


def _shifted(
    progress: Callable[[EpochStats], None], offset: int, epochs: int
) -> Callable[[EpochStats], None]:
    """``progress`` seeing the epochs of a phase counted over the whole run."""
    return lambda stats: progress(EpochStats(stats.epoch + offset, epochs, stats.values))


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
    filtration_epochs: int = 0,
    val_fraction: float = 0.2,
    start: str = "dtm",
    features: str = "profile",
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
    check_choice(mode, "mode", MODES)
    check_choice(start, "start", STARTS)
    check_choice(features, "features", FEATURES)
    check_schedule(epochs=epochs, batch_size=batch_size, lr=lr)
    check_int(filtration_epochs, "filtration_epochs", low=0)
    check_int(n_points, "n_points", low=3)
    for name, value in (("k", k), ("hidden", hidden), ("grid", grid), ("dtm_k", dtm_k)):
        check_int(value, name, low=1)
    for name, value in (("test_fraction", test_fraction), ("val_fraction", val_fraction)):
        check_real(value, name, low=0, high=1, low_open=True, high_open=True)


def _labelled_clouds(clouds, labels, classes) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
    """Clouds as float64 arrays, integer class codes and class names."""
    if labels is None or len(labels) != len(clouds):
        given = "no labels" if labels is None else f"{len(labels)} labels"
        raise InputError(f"{len(clouds)} clouds need one label each; got {given}")
    labels = np.asarray(labels)
    if classes is None:
        values, codes = np.unique(labels, return_inverse=True)
        names = [str(v) for v in values]
    else:
        names = [str(c) for c in classes]
        if labels.dtype.kind not in "iu" or labels.min() < 0 or labels.max() >= len(names):
            raise InputError(f"with classes given, labels must be integers in [0, {len(names)})")
        codes = labels.astype(np.int64)
    if len(np.unique(codes)) < 2:
        raise InputError("the labels hold a single class; a classifier needs two or more")
    arrays = []
    for i, c in enumerate(clouds):
        c = np.asarray(c, dtype=np.float64)
        if c.ndim != 2 or not np.isfinite(c).all():
            raise InputError(f"cloud {i} must be a finite (n, d) array, got shape {c.shape}")
        arrays.append(c)
    return arrays, codes, names


def _check_points(clouds: list[np.ndarray], need: int) -> None:
    """``need`` points per cloud (k neighbours and the point itself)."""
    small = int(np.argmin([len(c) for c in clouds]))
    if len(clouds[small]) < need:
        raise InputError(
            f"cloud {small} has {len(clouds[small])} points; the neighbour counts (k, dtm_k) "
            f"need at least {need}"
        )


def _split(
    codes: np.ndarray,
    names: list[str],
    test_fraction: float,
    val_fraction: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified train, validation and test rows: of each class ``test_fraction`` (at least
    one) held out for testing, then ``val_fraction`` of the rest (at least one) for validation.
    """
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(codes):
        rows = rng.permutation(np.flatnonzero(codes == c))
        if len(rows) < 3:
            raise InputError(
                f"class {names[c]!r} has {len(rows)} cloud(s); the train, validation and test "
                "splits need 3 or more"
            )
        n_test = min(max(1, round(test_fraction * len(rows))), len(rows) - 2)
        n_val = min(max(1, round(val_fraction * (len(rows) - n_test))), len(rows) - n_test - 1)
        parts[0].append(rows[n_test + n_val :])
        parts[1].append(rows[n_test : n_test + n_val])
        parts[2].append(rows[:n_test])
    train, val, test = (np.sort(np.concatenate(p)) for p in parts)
    return train, val, test
