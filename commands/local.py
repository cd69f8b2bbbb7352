"""The ``local`` job: local-topology features of queries against a datastore, as files.

:func:`local_features_table` runs :class:`~tda_pipe.tda.local.LocalTopology` and returns what
a results folder holds, as bytes (the caller writes them, atomically): ``features.parquet``
(one row per query: ``index`` and the named features), ``summary.json`` (inputs, options,
the feature names and per-feature statistics) and ``local.png`` (the distributions of the
scalar features; for 2-D or 3-D queries also the points coloured by ``colour_by``). With no
queries, every datastore point is described against the rest.

With ``workers`` or ``scheduler``, :func:`local_features` computes the rows in chunks of
``chunk_size`` queries on the batch engine's executor (a ``LocalCluster`` of worker
processes, or the cluster at ``scheduler``): the datastore is written once as a ``.npy``
file that every worker memory-maps, and the rows are those of one process, bit for bit.

The ``local`` stage (:func:`local_stage`) runs the same job in a pipeline, on the ``data``
artifact (the queries; with ``datastore``, against that file, else each point against the
rest), and writes the same three files::

    stages:
      - load
      - local: {k: 32, features: [codensity, wasserstein_norm]}

Examples
--------
>>> from tda_pipe.datasets import circle
>>> files = local_features_table(None, circle(200, seed=0), LocalOptions(k=12))
>>> sorted(files)
['features.parquet', 'local.png', 'summary.json']
>>> import io, pyarrow.parquet as pq
>>> table = pq.read_table(io.BytesIO(files["features.parquet"]))
>>> table.num_rows, table.column_names[:3]
(200, ['index', 'H0_wasserstein_norm', 'H1_wasserstein_norm'])
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from tda_pipe.commands.options import LocalOptions, stage_params
from tda_pipe.commands.stages import file_digest
from tda_pipe.datasets import LoadedInput
from tda_pipe.errors import InputError
from tda_pipe.pipelines.stages import OutputFiles, stage
from tda_pipe.tda.local import LocalTopology
from tda_pipe.tda.plotting import png_bytes
from tda_pipe.tda.validation import check_int, check_points

__all__ = [
    "LocalOptions",
    "default_out_dir",
    "local_features",
    "local_features_table",
    "local_stage",
    "run_local",
]

#: At most this many scalar features get a histogram in local.png.
_HISTOGRAMS = 9


def local_features_table(
    queries: np.ndarray | None,
    datastore: np.ndarray,
    options: LocalOptions | None = None,
) -> dict[str, bytes]:
    """Local-topology features of ``queries`` against ``datastore``, as the files to write.

    Parameters
    ----------
    queries : array of shape (n_queries, d) or None
        None: every datastore point against the rest.
    datastore : array of shape (n, d)
    options : LocalOptions, optional

    Returns
    -------
    dict
        ``{"features.parquet": ..., "summary.json": ..., "local.png": ...}``, bytes each.

    Raises
    ------
    InputError
        Bad options or data (NaN, widths that differ, ``k`` larger than the datastore).
    """
    opts = options or LocalOptions()
    opts.check()
    if opts.workers or opts.scheduler is not None:
        with tempfile.TemporaryDirectory(prefix="tda-pipe-local-", dir=opts.shared_dir) as tmp:
            path = Path(tmp) / "datastore.npy"
            np.save(path, check_points(datastore, "datastore", min_points=2))
            lt = opts.transformer().fit(path)
            F = local_features(lt, queries, opts.workers, opts.scheduler, opts.chunk_size)
            return _files(F, lt, queries, opts)
    lt = opts.transformer().fit(datastore)
    return _files(lt.transform(queries), lt, queries, opts)


def local_features(
    lt: LocalTopology,
    queries: np.ndarray | None = None,
    workers: int = 0,
    scheduler: str | None = None,
    chunk_size: int = 8192,
) -> np.ndarray:
    """``lt.transform(queries)``, in chunks of ``chunk_size`` rows on the batch executor.

    Parameters
    ----------
    lt : LocalTopology
        Fitted; fitted on a ``.npy`` path, each worker memory-maps that file instead of
        receiving the datastore (a remote cluster's workers must see the path); fitted on an
        array, every task carries a copy of it.
    queries : array of shape (n_queries, d), optional
        None: every datastore point against the rest.
    workers : int
        Dask worker processes on this machine (``workers=0`` with no ``scheduler``: the
        chunks run in this process).
    scheduler : str, optional
        Address of a running Dask scheduler; ``workers`` is then unused.
    chunk_size : int
        Rows per task. Each task prepares the datastore for its search (a pass over it), so
        a chunk should hold thousands of queries where the datastore is large.

    Returns
    -------
    ndarray of shape (n_queries, n_features)
        The rows of ``lt.transform(queries)``, whatever the workers and chunks.

    Examples
    --------
    >>> from tda_pipe.datasets import circle
    >>> lt = LocalTopology(k=8, features=("codensity", "longest")).fit(circle(50, seed=0))
    >>> bool((local_features(lt, chunk_size=7) == lt.transform(None)).all())
    True
    """
    from sklearn.utils.validation import check_is_fitted

    from tda_pipe.pipelines.batch import executor, threads_per_worker

    check_is_fitted(lt, "datastore_")
    size = check_int(chunk_size, "chunk_size", low=1)
    Q = None if queries is None else check_points(queries, "queries", min_points=1)
    n = len(lt.datastore_) if Q is None else len(Q)
    threads = threads_per_worker(workers, scheduler)
    jobs = [
        (lt, lo, min(lo + size, n), None if Q is None else Q[lo : lo + size], threads)
        for lo in range(0, n, size)
    ]
    rows: list[np.ndarray | None] = [None] * len(jobs)
    with executor(workers, scheduler) as execute:
        for i, part in execute(_chunk, jobs):
            rows[i] = part
    return np.vstack(rows)


def _chunk(lt: LocalTopology, start: int, stop: int, queries, threads: int) -> np.ndarray:
    """One task: rows ``start:stop``, BLAS held to this worker's share of the cores."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads):
        return lt.transform_rows(start, stop, queries)


def _files(F: np.ndarray, lt: LocalTopology, queries, opts: LocalOptions) -> dict[str, bytes]:
    """The results files of the features ``F``."""
    names = [str(n) for n in lt.get_feature_names_out()]
    if opts.colour_by not in names:
        raise InputError(
            f"--colour-by {opts.colour_by} is not among the features computed; "
            f"choose one of {', '.join(n for n in names if 'pixel' not in n)}"
        )
    points = lt.datastore_ if queries is None else np.asarray(queries, dtype=np.float64)
    return {
        "features.parquet": _parquet(F, names),
        "summary.json": (
            json.dumps(_summary(F, names, lt, queries, opts), indent=2) + "\n"
        ).encode(),
        "local.png": png_bytes(_figure(F, names, points, opts.colour_by)),
    }


# -- the stage ------------------------------------------------------------------------------
LocalParams = stage_params(
    LocalOptions, "LocalParams", exclude=("workers", "scheduler", "chunk_size", "shared_dir")
)


def _datastore_digest(params: LocalParams) -> bytes:
    """A hash of the datastore file (the queries' file is ``load``'s to hash)."""
    return b"" if params.datastore is None else file_digest(params.datastore)


@stage(
    "local",
    params=LocalParams,
    inputs=("data",),
    outputs=("local",),
    fingerprint=_datastore_digest,
)
def local_stage(params: LocalParams, data: LoadedInput) -> dict:
    """Local-topology features of every point: features.parquet, summary.json, local.png."""
    if data.kind != "points":
        raise InputError(f"local takes a point cloud, not {data.kind}")
    return {"local": OutputFiles(_files_of(data.array, LocalOptions(**params.model_dump())))}


def default_out_dir(path: Path) -> Path:
    """``<input stem>_local/`` in the current directory."""
    return Path(f"{path.stem}_local")


def run_local(
    path: str | Path,
    out: str | Path | None = None,
    options: LocalOptions | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Local-topology features of the points in ``path``, written to the folder ``out``.

    Against ``options.datastore`` when given, else every point against the rest. ``out``
    (default ``<stem>_local/``) receives ``features.parquet``, ``summary.json`` and
    ``local.png``, whole or not at all; an existing folder is replaced only if it holds
    ``local`` results of the same input (``overwrite``: replace other results, keeping files
    tda-pipe did not write).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from tda_pipe.datasets import circle
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(tmp / "ring.npy", circle(100, seed=0))
    >>> folder = run_local(tmp / "ring.npy", tmp / "feats", LocalOptions(k=8))
    >>> sorted(p.name for p in folder.iterdir())
    ['.tda-pipe.json', 'features.parquet', 'local.png', 'summary.json']
    """
    from tda_pipe.pipelines.results import check_out_dir, write_folder

    path = Path(path)
    opts = options or LocalOptions()
    opts.check()
    out_dir = Path(out) if out is not None else default_out_dir(path)
    source = f"{path}" if opts.datastore is None else f"{path} against {opts.datastore}"
    check_out_dir(out_dir, "local", source, overwrite=overwrite)
    files = _files_of(_points(path), opts)
    return write_folder(out_dir, files, "local", source, overwrite=overwrite)


def _files_of(points: np.ndarray, opts: LocalOptions) -> dict[str, bytes]:
    """The results files of ``points`` against ``opts.datastore``, or each against the rest."""
    if opts.datastore is None:
        return local_features_table(None, points, opts)
    return local_features_table(points, _points(Path(opts.datastore)), opts)


def _points(path: Path) -> np.ndarray:
    from tda_pipe.datasets import load

    data = load(path)
    if data.kind != "points":
        raise InputError(f"{path}: local takes a point cloud, not {data.kind}")
    return data.array


def _parquet(F: np.ndarray, names: list[str]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {"index": pa.array(np.arange(len(F), dtype=np.int64))}
    columns.update({name: pa.array(F[:, j]) for j, name in enumerate(names)})
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue().to_pybytes()


def _summary(F, names, lt: LocalTopology, queries, opts: LocalOptions) -> dict:
    def stats(column: np.ndarray) -> dict:
        finite = column[np.isfinite(column)]
        if not finite.size:
            return {"nan": int(len(column))}
        return {
            "mean": float(finite.mean()),
            "std": float(finite.std()),
            "min": float(finite.min()),
            "max": float(finite.max()),
            "nan": int(len(column) - finite.size),
        }

    return {
        "datastore": {"shape": list(lt.datastore_.shape)},
        "queries": {
            "shape": list(F.shape[:1]) + [lt.n_features_in_],
            "against_rest": queries is None,
        },
        "options": {**opts.model_dump(), "features": list(opts.features)},
        "features": names,
        "statistics": {n: stats(F[:, j]) for j, n in enumerate(names) if "pixel" not in n},
    }


def _figure(F: np.ndarray, names: list[str], points: np.ndarray, colour_by: str) -> Figure:
    """Histograms of the scalar features; the 2-D/3-D points coloured by ``colour_by``."""
    scalar = [j for j, n in enumerate(names) if "pixel" not in n][:_HISTOGRAMS]
    shown = points.shape[1] in (2, 3)
    cols = 3
    rows = -(-len(scalar) // cols) + int(shown)
    fig = Figure(figsize=(3.2 * cols, 2.6 * rows), layout="constrained")
    grid = fig.add_gridspec(rows, cols)
    for n, j in enumerate(scalar):
        ax = fig.add_subplot(grid[n // cols, n % cols])
        column = F[:, j]
        ax.hist(column[np.isfinite(column)], bins=40, color="C0")
        ax.set_title(names[j], fontsize=9)
    if shown:
        j = names.index(colour_by)
        projection = "3d" if points.shape[1] == 3 else None
        ax = fig.add_subplot(grid[rows - 1, :], projection=projection)
        dots = ax.scatter(*points.T, c=F[:, j], s=5, cmap="viridis", plotnonfinite=True)
        if projection is None:
            ax.set_aspect("equal", adjustable="datalim")
        fig.colorbar(dots, ax=ax, label=colour_by)
        ax.set_title(f"queries coloured by {colour_by}", fontsize=9)
    return fig
