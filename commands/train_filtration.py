"""The ``train filtration`` job: a shape collection to a classifier with a learned filtration.

A :class:`~tda_pipe.models.topological_classifier.TopologicalClassifier` (Nishikawa, Ike
and Yamanishi, NeurIPS 2023) is trained end to end on a collection folder written by
``tda-pipe datasets make shapes OUT/``. The results folder receives the model, the per-epoch
accuracy and loss, their curves, and a figure of a few clouds coloured by their learned point
weights beside their weighted Rips diagrams. Everything is written into a hidden temporary
folder beside the destination and renamed into place at the end, so a failure never leaves a
half-written results folder.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from tda_pipe.commands.options import FiltrationOptions
from tda_pipe.datasets.collection import ShapeCollection, read_collection
from tda_pipe.errors import InputError
from tda_pipe.models.topological_classifier import (
    EpochStats,
    TopologicalClassifier,
    train_filtration_classifier,
)
from tda_pipe.pipelines.results import check_out_dir, write_folder
from tda_pipe.tda.plotting import DPI, plot_diagram, png_bytes

__all__ = [
    "FiltrationJobResult",
    "FiltrationOptions",
    "plot_curves",
    "plot_weights",
    "train_filtration_job",
]


@dataclass
class FiltrationJobResult:
    """What :func:`train_filtration_job` produced: the folder, the final accuracies, the history."""

    out_dir: Path
    metrics: dict[str, float]
    history: dict[str, list[float]]


WRITTEN_BY = "train filtration"


def train_filtration_job(
    data_folder: str | Path,
    out: str | Path,
    options: FiltrationOptions | None = None,
    progress: Callable[[EpochStats], None] | None = None,
    *,
    overwrite: bool = False,
) -> FiltrationJobResult:
    """Train a filtration-learning classifier on a collection folder and write ``out``.

    ``out`` receives ``model.pt`` (parameters and configuration, for
    :meth:`~tda_pipe.models.topological_classifier.TopologicalClassifier.load`),
    ``metrics.json`` (per-epoch train/validation accuracy and loss, the chosen epoch's values
    and test score, the split, the options and the timings), ``curves.png`` (accuracy and
    loss per epoch) and ``weights.png`` (a few clouds coloured by their point weights beside
    their H0/H1 diagrams; not written for ``mode="none"``, which has no filtration).

    Parameters
    ----------
    data_folder : str or Path
        A folder of clouds with ``labels.csv``, read by
        :func:`~tda_pipe.datasets.collection.read_collection`.
    out : str or Path
        Results folder; an earlier one of the same job on the same data is replaced, any other
        existing folder refused (see :func:`~tda_pipe.pipelines.results.write_folder`).
    options : FiltrationOptions, optional
    progress : callable, optional
        Called with an :class:`~tda_pipe.models.topological_classifier.EpochStats` after
        each epoch.
    overwrite : bool, default False
        Replace other results in ``out``, keeping files tda-pipe did not write.

    Returns
    -------
    FiltrationJobResult

    Raises
    ------
    InputError
        Bad options, a folder that is not a collection, or clouds that cannot be used.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from tda_pipe.datasets.collection import shape_collection, write_collection
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> data = shape_collection(per_class=4, n_points=80, classes=["sphere", "torus"])
    >>> _ = write_collection(data, root / "shapes")
    >>> res = train_filtration_job(root / "shapes", root / "run", FiltrationOptions(epochs=2))
    >>> sorted(p.name for p in res.out_dir.iterdir())
    ['.tda-pipe.json', 'curves.png', 'metrics.json', 'model.pt', 'weights.png']
    """
    opts = options or FiltrationOptions()
    opts.check()
    check_out_dir(out, WRITTEN_BY, data_folder, overwrite=overwrite)
    start = time.perf_counter()
    collection = read_collection(data_folder)
    seconds = {"load": round(time.perf_counter() - start, 4)}
    training = opts.model_dump(exclude={"show"})
    try:
        result = train_filtration_classifier(collection, **training, progress=progress)
    except InputError as exc:
        raise InputError(f"{data_folder}: {exc}") from exc
    seconds["train"] = round(time.perf_counter() - start - seconds["load"], 4)
    history = result.history
    metrics = {"best_epoch": result.best_epoch, **result.metrics}
    report = {
        "data": {
            "folder": str(data_folder),
            "clouds": len(collection),
            "classes": collection.classes,
            "validation": [collection.names[i] for i in result.val_index],
            "test": [collection.names[i] for i in result.test_index],
        },
        "final": metrics,
        "history": history,
        "options": opts.model_dump(),
        "seconds": seconds,
    }
    shown = _pick(collection, opts.show)
    _write(Path(out), result.model, collection, shown, report, overwrite)
    return FiltrationJobResult(Path(out), metrics, history)


def plot_curves(history: dict[str, list[float]], title: str | None = None) -> Figure:
    """Train and validation accuracy and loss per epoch, side by side.

    Examples
    --------
    >>> h = {"train_loss": [1.0, 0.5], "train_acc": [0.5, 0.8],
    ...      "val_loss": [1.1, 0.7], "val_acc": [0.4, 0.7]}
    >>> [ax.get_title() for ax in plot_curves(h).axes]
    ['accuracy', 'cross-entropy loss']
    """
    fig = Figure(figsize=(9, 3.5), dpi=DPI, layout="constrained")
    epochs = np.arange(1, len(history["train_acc"]) + 1)
    for ax, key, name in zip(
        fig.subplots(1, 2), ("acc", "loss"), ("accuracy", "cross-entropy loss")
    ):
        for split, colour in (("train", "C0"), ("val", "C1")):
            ax.plot(epochs, history[f"{split}_{key}"], color=colour, label=split)
        ax.set(xlabel="epoch", title=name)
        ax.grid(color="0.9")
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


@torch.no_grad()
def plot_weights(
    model: TopologicalClassifier, clouds: list[np.ndarray], names: list[str]
) -> Figure:
    """Each cloud coloured by its filtration weights (3-D scatter) beside its H0/H1 diagram.

    Examples
    --------
    >>> import numpy as np
    >>> from tda_pipe.models.topological_classifier import ClassifierConfig
    >>> model = TopologicalClassifier(ClassifierConfig(("a", "b"), k=4))
    >>> cloud = np.random.default_rng(0).normal(size=(30, 3))
    >>> len(plot_weights(model, [cloud], ["a_000"]).axes)
    3
    """
    fig = Figure(figsize=(8, 3.6 * len(clouds)), dpi=DPI, layout="constrained")
    tensors = [torch.as_tensor(c, dtype=torch.float32) for c in clouds]
    weights = model.point_weights(tensors)
    diagrams = [d.numpy() for d in model.persistence(tensors)]
    for row, (cloud, w, dgm, name) in enumerate(zip(clouds, weights, diagrams, names)):
        ax = fig.add_subplot(len(clouds), 2, 2 * row + 1, projection="3d")
        dots = ax.scatter(*cloud.T, c=w.numpy(), cmap="viridis", s=6, linewidths=0)
        fig.colorbar(dots, ax=ax, shrink=0.7, label="weight (cloud at unit radius)")
        ax.set_title(f"{name}: {model.config.mode} weights")
        plot_diagram(dgm, ax=fig.add_subplot(len(clouds), 2, 2 * row + 2), title=name)
    return fig


def _pick(collection: ShapeCollection, count: int) -> list[int]:
    """Up to ``count`` cloud rows, the first of each class before any second one."""
    order = np.lexsort((np.arange(len(collection)), _rank_in_class(collection.labels)))
    return [int(i) for i in order[:count]]


def _rank_in_class(labels: np.ndarray) -> np.ndarray:
    ranks = np.zeros(len(labels), int)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        ranks[rows] = np.arange(len(rows))
    return ranks


def _write(
    out_dir: Path,
    model: TopologicalClassifier,
    collection: ShapeCollection,
    shown: list[int],
    report: dict,
    overwrite: bool,
) -> None:
    """Write the results as the folder ``out_dir``, whole or not at all."""
    model_file = io.BytesIO()
    model.save(model_file)
    title = f"{out_dir.name}: {model.config.mode} filtration"
    files = {
        "model.pt": model_file.getvalue(),
        "metrics.json": (json.dumps(report, indent=2) + "\n").encode(),
        "curves.png": png_bytes(plot_curves(report["history"], title=title)),
    }
    if model.config.mode != "none" and shown:
        n_points = report["options"]["n_points"]
        clouds = [collection.clouds[i][:n_points] for i in shown]
        names = [collection.names[i] for i in shown]
        files["weights.png"] = png_bytes(plot_weights(model, clouds, names))
    write_folder(out_dir, files, WRITTEN_BY, report["data"]["folder"], overwrite=overwrite)
