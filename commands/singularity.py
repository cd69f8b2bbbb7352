"""The ``singularity`` stage and job: Euclidicity of every point of one input.

The stage reads the ``data`` artifact and writes ``singularity.csv`` (one row per point),
``singularity.png`` (the points coloured by Euclidicity: as they are in 2-D and 3-D, else on
their first two principal components) and ``summary.json`` (the options, the radii, and the
most singular points). :func:`run_singularity` runs it after ``load`` on the pipeline engine,
which writes the folder whole or not at all.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from tda_pipe.commands.options import SingularityOptions, stage_params
from tda_pipe.datasets import LoadedInput
from tda_pipe.errors import InputError
from tda_pipe.pipelines.cache import StageCache
from tda_pipe.pipelines.runner import run_pipeline
from tda_pipe.pipelines.spec import parse_spec
from tda_pipe.pipelines.stages import OutputFiles, stage
from tda_pipe.tda.plotting import png_bytes
from tda_pipe.tda.singularity import SingularityScores, euclidicity

__all__ = ["SingularityOptions", "run_singularity"]

COLUMNS = ("index", "euclidicity", "euclidicity_max", "peak_r", "peak_s", "intrinsic_dim")


def _csv_bytes(scores: SingularityScores) -> bytes:
    table = np.column_stack(
        [
            np.arange(len(scores.euclidicity)),
            scores.euclidicity,
            scores.euclidicity_max,
            scores.peak_r,
            scores.peak_s,
            scores.intrinsic_dim,
        ]
    )
    fmt = ["%d", "%.6g", "%.6g", "%.6g", "%.6g", "%d"]
    buffer = io.StringIO()
    np.savetxt(buffer, table, fmt=fmt, delimiter=",", header=",".join(COLUMNS), comments="")
    return buffer.getvalue().encode()


def _figure(X: np.ndarray, score: np.ndarray, title: str) -> Figure:
    """Points coloured by ``score`` (2-D, 3-D, or the first two principal components)."""
    fig = Figure(figsize=(6, 5))
    if X.shape[1] == 3:
        ax = fig.add_subplot(projection="3d")
        coords = X.T
    else:
        ax = fig.add_subplot()
        coords = X.T if X.shape[1] <= 2 else _pca2(X).T
        if X.shape[1] > 2:
            ax.set_xlabel("PC 1")
            ax.set_ylabel("PC 2")
    if len(coords) == 1:
        coords = np.vstack([coords, np.zeros_like(coords)])
    points = ax.scatter(*coords, c=score, s=6, cmap="viridis", plotnonfinite=True)
    fig.colorbar(points, ax=ax, label="Euclidicity")
    ax.set_title(title)
    return fig


def _pca2(X: np.ndarray) -> np.ndarray:
    centred = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def _summary(path: Path, X: np.ndarray, scores: SingularityScores, opts: SingularityOptions):
    top = scores.most_singular(opts.top)
    return {
        "input": {"path": str(path), "shape": list(X.shape)},
        "options": opts.model_dump(),
        "r": scores.r.tolist(),
        "s": scores.s.tolist(),
        "unscored_points": int(np.isnan(scores.euclidicity).sum()),
        "most_singular": [
            {
                "index": int(i),
                "euclidicity": float(scores.euclidicity[i]),
                "euclidicity_max": float(scores.euclidicity_max[i]),
                "peak_r": float(scores.peak_r[i]),
                "peak_s": float(scores.peak_s[i]),
                "intrinsic_dim": int(scores.intrinsic_dim[i]),
                "point": X[i].tolist(),
            }
            for i in top
            if np.isfinite(scores.euclidicity[i])
        ],
    }


SingularityParams = stage_params(SingularityOptions, "SingularityParams", exclude=("sample",))


@stage("singularity", params=SingularityParams, inputs=("data",), outputs=("singularity",))
def singularity_stage(params: SingularityParams, data: LoadedInput) -> dict:
    """Euclidicity and persistent intrinsic dimension of every point; the most singular."""
    opts = SingularityOptions(**params.model_dump())
    opts.check()
    if data.kind != "points":
        raise InputError(f"singularity scores need a point cloud, not {data.kind}")
    scores = euclidicity(
        data.array,
        dim=opts.dim,
        r=opts.r,
        s=opts.s,
        steps=opts.steps,
        k=opts.k,
        n_jobs=opts.n_jobs,
        seed=opts.seed,
        max_points=opts.max_points,
        min_points=opts.min_points,
    )
    summary = _summary(data.path, data.array, scores, opts)
    title = f"{data.path.name}: Euclidicity (model R^{opts.dim})"
    files = {
        "singularity.csv": _csv_bytes(scores),
        "singularity.png": png_bytes(_figure(data.array, scores.euclidicity, title)),
        "summary.json": (json.dumps(summary, indent=2) + "\n").encode(),
    }
    return {"singularity": OutputFiles(files)}


def run_singularity(
    path: str | Path,
    out: str | Path,
    options: SingularityOptions | None = None,
    progress: Callable[[str], None] | None = None,
    cache: StageCache | None = None,
    *,
    overwrite: bool = False,
) -> dict:
    """Euclidicity of the points in ``path``, written to the folder ``out``.

    ``out`` receives ``singularity.csv`` (columns ``index, euclidicity, euclidicity_max,
    peak_r, peak_s, intrinsic_dim``), ``singularity.png``, ``summary.json`` and ``run.json``.
    An existing ``out`` is replaced only if it holds singularity results of the same input
    (``overwrite``: replace other results, keeping files tda-pipe did not write).
    ``progress`` is called with each stage's label.

    Returns
    -------
    dict
        The summary written to ``summary.json``.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from tda_pipe.datasets import wedge_of_spheres
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(tmp / "wedge.npy", wedge_of_spheres(300, seed=0))
    >>> opts = SingularityOptions(dim=2, steps=2, k=40, max_points=40)
    >>> summary = run_singularity(tmp / "wedge.npy", tmp / "out", opts)
    >>> sorted(p.name for p in (tmp / "out").iterdir())
    ['.tda-pipe.json', 'run.json', 'singularity.csv', 'singularity.png', 'summary.json']
    """
    opts = options or SingularityOptions()
    opts.check()
    params = opts.model_dump(exclude={"sample"})
    spec = parse_spec(
        {
            "name": "singularity",
            "stages": [
                {"load": {"sample": opts.sample, "seed": opts.seed}},
                {"singularity": params},
            ],
        }
    )
    run = run_pipeline(spec, path, out, cache=cache, progress=progress, overwrite=overwrite)
    return json.loads(run.artifacts["singularity"]["summary.json"])
