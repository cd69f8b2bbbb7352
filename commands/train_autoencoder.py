"""The ``train autoencoder`` job: data to a trained topological autoencoder and its measures.

A topological autoencoder (Moor, Horn, Rieck and Borgwardt, ICML 2020) is trained on the
Spheres data, the digits, or a point cloud file, and the results folder receives the model,
the latent codes, two figures and the quality measures of the embedding. Everything is
written into a hidden temporary folder beside the destination and renamed into place at the
end, so a failure never leaves a half-written results folder.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from tda_pipe.commands.options import AutoencoderOptions, stage_params
from tda_pipe.datasets import LoadedInput, load
from tda_pipe.datasets.topoae import digits, spheres
from tda_pipe.errors import InputError
from tda_pipe.models.autoencoder import (
    EpochStats,
    TopologicalAutoencoder,
    train_autoencoder,
)
from tda_pipe.pipelines.results import check_out_dir, write_folder
from tda_pipe.pipelines.stages import OutputFiles, stage
from tda_pipe.tda.metrics import embedding_metrics
from tda_pipe.tda.plotting import DPI, png_bytes

__all__ = [
    "BUILTIN_DATA",
    "AutoencoderJobResult",
    "AutoencoderOptions",
    "plot_latent",
    "plot_losses",
    "train_autoencoder_job",
]

BUILTIN_DATA = {"spheres": spheres, "digits": digits}
"""Data sets named instead of a file: the paper's Spheres (seed 0) and scikit-learn's digits."""


@dataclass
class AutoencoderJobResult:
    """What :func:`train_autoencoder_job` produced: the folder, the measures, the loss history."""

    out_dir: Path
    metrics: dict[str, float]
    history: dict[str, list[float]]
    timings: dict[str, float] = field(default_factory=dict)


WRITTEN_BY = "train autoencoder"


def train_autoencoder_job(
    data: str | Path,
    out: str | Path,
    options: AutoencoderOptions | None = None,
    progress: Callable[[EpochStats], None] | None = None,
    *,
    overwrite: bool = False,
) -> AutoencoderJobResult:
    """Train a topological autoencoder on ``data`` and write its results folder ``out``.

    ``out`` receives ``model.pt`` (weights and config, for
    :meth:`~tda_pipe.models.autoencoder.TopologicalAutoencoder.load`), ``latent.npy``
    (the codes of the training points, in their order), ``latent.png`` (coloured by label
    where the data has labels), ``loss.png`` (reconstruction and topological loss per epoch)
    and ``metrics.json`` (the measures of :func:`~tda_pipe.tda.metrics.embedding_metrics`,
    the final losses, the options and the timings).

    Parameters
    ----------
    data : str or Path
        ``"spheres"``, ``"digits"``, or a point cloud file read by
        :func:`~tda_pipe.datasets.load` (labels from an ``.npz``'s ``labels`` or ``y``).
    out : str or Path
        Results folder; an earlier one of the same job on the same data is replaced, any other
        existing folder refused (see :func:`~tda_pipe.pipelines.results.write_folder`).
    options : AutoencoderOptions, optional
        Training and evaluation options.
    progress : callable, optional
        Called with an :class:`~tda_pipe.models.autoencoder.EpochStats` after each epoch.
    overwrite : bool, default False
        Replace other results in ``out``, keeping files tda-pipe did not write.

    Returns
    -------
    AutoencoderJobResult

    Raises
    ------
    InputError
        Bad options, unreadable data, or data that is not a finite point cloud.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "digits_ae"
    >>> opts = AutoencoderOptions(epochs=1, n_points=200, eval_points=100)
    >>> res = train_autoencoder_job("digits", out, opts)
    >>> sorted(p.name for p in res.out_dir.iterdir())
    ['.tda-pipe.json', 'latent.npy', 'latent.png', 'loss.png', 'metrics.json', 'model.pt']
    """
    opts = options or AutoencoderOptions()
    opts.check()
    check_out_dir(out, WRITTEN_BY, data, overwrite=overwrite)
    start = time.perf_counter()
    X, labels = _load_data(data, opts.n_points, opts.seed)
    load_seconds, _ = _since(start)
    try:
        fit = fit_and_report(X, labels, opts, source=str(data), progress=progress)
    except InputError as exc:
        raise InputError(f"{data}: {exc}") from exc
    out_dir = write_folder(out, fit.files, WRITTEN_BY, data, overwrite=overwrite)
    return AutoencoderJobResult(
        out_dir, fit.metrics, fit.history, {"load": load_seconds, **fit.seconds}
    )


class FitReport(NamedTuple):
    """What :func:`fit_and_report` gives: the folder's files and what they hold."""

    files: dict[str, bytes]
    latent: np.ndarray
    metrics: dict
    history: dict
    seconds: dict


def fit_and_report(
    X: np.ndarray,
    labels: np.ndarray | None,
    opts: AutoencoderOptions,
    source: str,
    progress: Callable[[EpochStats], None] | None = None,
) -> FitReport:
    """Train on ``X`` and measure the embedding: the results files, codes, measures, losses."""
    if len(X) < 2 * opts.k + 1:
        raise InputError(
            f"{len(X)} points are too few for k={opts.k} neighbours; "
            f"give at least {2 * opts.k + 1} points or a smaller k"
        )
    timings: dict[str, float] = {}
    start = time.perf_counter()
    model, history = train_autoencoder(
        X,
        latent_dim=opts.latent_dim,
        lam=opts.lam,
        epochs=opts.epochs,
        batch_size=opts.batch_size,
        lr=opts.lr,
        seed=opts.seed,
        device=opts.device,
        progress=progress,
    )
    timings["train"], start = _since(start)
    Z = model.transform(X)
    rows = _sample_rows(len(X), opts.eval_points, opts.seed)
    metrics = embedding_metrics(X[rows], Z[rows], model.inverse_transform(Z[rows]), k=opts.k)
    timings["metrics"], start = _since(start)
    report = {
        "data": {"source": source, "shape": list(X.shape), "labels": labels is not None},
        "metrics": metrics,
        "eval_points": len(rows),
        "final_loss": {name: values[-1] for name, values in history.items()},
        "options": opts.model_dump(),
        "seconds": timings,
    }
    files = _files(model, Z, labels, history, report, title=Path(source).name)
    return FitReport(files, Z, metrics, history, timings)


AutoencoderParams = stage_params(AutoencoderOptions, "AutoencoderParams", exclude=("n_points",))


@stage("autoencoder", params=AutoencoderParams, inputs=("data",), outputs=("latent", "model"))
def autoencoder_stage(params: AutoencoderParams, data: LoadedInput) -> dict:
    """Train a topological autoencoder on the points: model, latent codes, figures, measures."""
    opts = AutoencoderOptions(**params.model_dump())
    opts.check()
    if data.kind != "points":
        raise InputError(f"the autoencoder trains on a point cloud, not {data.kind}")
    fit = fit_and_report(data.array, data.labels, opts, source=str(data.path))
    return {"latent": fit.latent, "model": OutputFiles(fit.files)}


def plot_latent(
    Z: np.ndarray,
    labels: np.ndarray | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Figure:
    """Scatter plot of latent codes, one colour per label, larger classes drawn first.

    Drawing the largest classes first keeps small clusters visible on top of a large one
    (the ten spheres inside the enclosing one). A 1-D latent is drawn against the row index;
    of a latent with more than two dimensions, the first two are drawn.

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_latent(np.random.default_rng(0).normal(size=(50, 2)), np.arange(50) % 3)
    >>> len(fig.axes)
    1
    """
    Z = np.asarray(Z, dtype=np.float64)
    if ax is None:
        fig = Figure(figsize=(5, 5), dpi=DPI, layout="constrained")
        ax = fig.add_subplot()
    xy = Z[:, :2] if Z.shape[1] >= 2 else np.column_stack([np.arange(len(Z)), Z[:, 0]])
    if labels is None:
        ax.scatter(xy[:, 0], xy[:, 1], s=2, color="C0", linewidths=0)
    else:
        classes, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
        cmap = "tab10" if len(classes) <= 10 else "tab20"
        handles = {}
        for c in np.argsort(-counts, kind="stable"):
            colour = colormaps[cmap](c % colormaps[cmap].N)
            handles[c] = ax.scatter(
                *xy[codes == c].T, s=2, color=colour, linewidths=0, label=str(classes[c])
            )
        if legend and len(classes) <= 20:
            ax.legend(
                handles=[handles[c] for c in sorted(handles)],
                markerscale=4,
                fontsize="x-small",
                title="label",
            )
    if Z.shape[1] > 2:
        title = f"{title or 'latent'} (first 2 of {Z.shape[1]} dimensions)"
    ax.set_title(title or "latent")
    ax.set_aspect("equal" if Z.shape[1] >= 2 else "auto", adjustable="datalim")
    return ax.figure


def plot_losses(history: dict[str, list[float]], title: str | None = None) -> Figure:
    """Reconstruction and topological loss per epoch, side by side (log scale).

    Examples
    --------
    >>> fig = plot_losses({"recon": [2.0, 1.0], "topo": [5.0, 3.0], "total": [7.0, 4.0]})
    >>> [ax.get_title() for ax in fig.axes]
    ['reconstruction (MSE)', 'topological (signature loss)']
    """
    fig = Figure(figsize=(9, 3.5), dpi=DPI, layout="constrained")
    epochs = np.arange(1, len(history["recon"]) + 1)
    for ax, key, name, colour in zip(
        fig.subplots(1, 2),
        ("recon", "topo"),
        ("reconstruction (MSE)", "topological (signature loss)"),
        ("C0", "C1"),
    ):
        ax.plot(epochs, history[key], color=colour, marker="." if len(epochs) < 30 else None)
        ax.set_yscale("log" if min(history[key]) > 0 else "linear")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(color="0.9")
    if title:
        fig.suptitle(title)
    return fig


def _load_data(
    data: str | Path, n_points: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """``(X, labels)`` of a built-in data set or a file, sampled to ``n_points`` rows."""
    if str(data) in BUILTIN_DATA:
        X, labels = BUILTIN_DATA[str(data)]()
        if n_points is not None:
            if n_points > len(X):
                raise InputError(f"{data}: cannot sample {n_points} points from {len(X)}")
            rows = _sample_rows(len(X), n_points, seed)
            X, labels = X[rows], labels[rows]
        return X, labels
    path = Path(data)
    if not path.suffix and not path.exists():
        raise InputError(f"{data}: no such file or data set; name a file or one of spheres, digits")
    loaded = load(path, sample=n_points, seed=seed)
    if loaded.kind != "points":
        raise InputError(f"{path}: holds {loaded.kind}; the autoencoder trains on a point cloud")
    return loaded.array, loaded.labels


def _sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted seeded random rows, all of them when ``size >= n``."""
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def _since(start: float) -> tuple[float, float]:
    """Seconds since ``start`` (rounded) and the time now."""
    now = time.perf_counter()
    return round(now - start, 4), now


def _files(
    model: TopologicalAutoencoder,
    Z: np.ndarray,
    labels: np.ndarray | None,
    history: dict[str, list[float]],
    report: dict,
    title: str,
) -> dict[str, bytes]:
    """The results folder's files: model, latent codes and plots, losses, measures."""
    model_file, latent_file = io.BytesIO(), io.BytesIO()
    model.save(model_file)
    np.save(latent_file, Z)
    lam = report["options"]["lam"]
    latent_plot = plot_latent(Z, labels, title=f"{title}: latent (lam={lam:g})")
    files = {
        "model.pt": model_file.getvalue(),
        "latent.npy": latent_file.getvalue(),
        "latent.png": png_bytes(latent_plot),
        "loss.png": png_bytes(plot_losses(history, title=title)),
        "metrics.json": (json.dumps(report, indent=2) + "\n").encode(),
    }
    return files
