"""The analysis stages: load, subsample, filtration, persistence, features, distances, report.

They register with :func:`~tda_pipe.pipelines.stages.stage` like any plug-in's, declared by
name in ``pyproject.toml`` (entry points ``tda_pipe.stage_modules``): this module is imported
when a pipeline names one of them.

Artifacts they pass on:

============  ==========================================================================
``data``      :class:`~tda_pipe.datasets.LoadedInput` (points, distances or an image)
``filtration``  a :class:`~tda_pipe.tda.filtrations.Filtration`
``diagrams``  :class:`~tda_pipe.tda.diagrams.Diagrams`
``features``  ``{name: array}``: Betti curves, landscapes, persistence images, statistics
``report``    the results files: ``diagrams.npz``, ``features.npz``, ``summary.json``, PNGs
``distances`` a batch's pairwise diagram distances, ``distances.npz`` and ``.csv``
============  ==========================================================================
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from typing import Literal

import numpy as np
from pydantic import Field

from tda_pipe.datasets import LoadedInput, load
from tda_pipe.errors import InputError
from tda_pipe.pipelines.stages import OutputFiles, StageParams, stage
from tda_pipe.tda._vectorization import (  # the features' arithmetic, without scikit-learn
    BettiCurve,
    PersistenceImage,
    PersistenceLandscape,
    SummaryStatistics,
)
from tda_pipe.tda.diagrams import Diagrams, bottleneck, wasserstein
from tda_pipe.tda.filtrations import KINDS, Filtration, build_filtration
from tda_pipe.tda.persistence import ALL_BACKENDS, persistence
from tda_pipe.tda.plotting import plot_barcode, plot_diagram, png_bytes
from tda_pipe.tda.sampling import maxmin_landmarks, random_rows
from tda_pipe.tda.summary import summarize
from tda_pipe.tda.validation import check_metric

FilterKind = Literal[KINDS]  # type: ignore[valid-type]
Backend = Literal[ALL_BACKENDS]  # type: ignore[valid-type]
FEATURE_KINDS = ("betti_curve", "landscape", "persistence_image", "summary_statistics")


# -- load ------------------------------------------------------------------------------------
class LoadParams(StageParams):
    path: str = Field("${input}", description="The file; ${input} is the pipeline's input.")
    precomputed: bool = Field(False, description="The file holds a distance matrix.")
    sample: int | None = Field(
        None, gt=0, description="Meshes: points on the surface; clouds: random rows."
    )
    seed: int = Field(0, description="Seed for sample.")
    downsample: int | None = Field(
        None, gt=0, description="Images: means of K x K pixel blocks (smaller complex)."
    )


def file_digest(path: str) -> bytes:
    """A hash of a file's bytes (empty if it cannot be read: the stage reports that)."""
    digest = hashlib.blake2b(digest_size=20)
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return b""
    return digest.digest()


def _input_digest(params: LoadParams) -> bytes:
    return file_digest(params.path)


@stage("load", params=LoadParams, outputs=("data",), fingerprint=_input_digest)
def load_stage(params: LoadParams) -> dict:
    """Read points, a distance matrix, a mesh or an image from a file."""
    return {
        "data": load(
            params.path,
            precomputed=params.precomputed,
            sample=params.sample,
            seed=params.seed,
            downsample=params.downsample,
        )
    }


# -- subsample -------------------------------------------------------------------------------
class SubsampleParams(StageParams):
    n: int = Field(..., gt=1, description="Points to keep.")
    method: Literal["random", "maxmin"] = Field(
        "maxmin", description="random rows, or farthest-point (maxmin) landmarks."
    )
    seed: int = Field(0, description="Seed (random rows; the first maxmin landmark).")


@stage("subsample", params=SubsampleParams, inputs=("data",), outputs=("data",))
def subsample_stage(params: SubsampleParams, data: LoadedInput) -> dict:
    """Keep n points: random rows or farthest-point (maxmin) landmarks."""
    if data.kind == "image":
        raise InputError("subsample works on point clouds and distance matrices, not images")
    n_rows = data.array.shape[0]
    if params.n >= n_rows:
        return {"data": data}
    if params.method == "random":
        rows = random_rows(n_rows, params.n, params.seed)
    else:
        metric = "precomputed" if data.kind == "distances" else "euclidean"
        rows = maxmin_landmarks(data.array, params.n, params.seed, metric=metric).indices
    array = data.array[np.ix_(rows, rows)] if data.kind == "distances" else data.array[rows]
    labels = None if data.labels is None else data.labels[rows]
    return {"data": LoadedInput(data.path, data.kind, array, data.mesh, labels)}


# -- filtration ------------------------------------------------------------------------------
class FiltrationParams(StageParams):
    kind: FilterKind = Field("auto", description="auto, rips, sparse-rips, alpha, cubical, ...")
    metric: str = Field("euclidean", description="scikit-learn metric, or precomputed.")
    threshold: float | None = Field(None, gt=0, description="Rips: edges up to this length.")
    epsilon: float | None = Field(None, gt=0, description="Sparse Rips approximation.")
    dtm_k: int = Field(10, gt=0, description="Neighbours for the DTM filtration.")
    landmarks: int | None = Field(
        None,
        ge=2,
        description="Rips on this many maxmin landmarks (within twice their cover radius of "
        "Rips on all the points); more is slower and closer.",
    )
    max_dim: int | None = Field(
        None, ge=0, description="Dimension kind=auto chooses for [default: the persistence's]."
    )


@stage(
    "filtration",
    params=FiltrationParams,
    inputs=("data",),
    outputs=("filtration",),
    from_reader=("max_dim",),
)
def filtration_stage(params: FiltrationParams, data: LoadedInput) -> dict:
    """Build a filtration (auto picks Rips or alpha by size and dimension)."""
    check_metric(params.metric)
    kind = params.kind
    if data.kind == "image":
        if kind not in ("auto", "cubical"):
            raise InputError(f"an image takes filtration kind cubical, not {kind!r}")
        kind = "cubical"
    elif kind == "auto" and params.epsilon is not None:
        kind = "sparse-rips"
    metric = "precomputed" if data.kind == "distances" else params.metric
    filt = build_filtration(
        data.array,
        kind,
        max_dim=1 if params.max_dim is None else params.max_dim,
        metric="euclidean" if data.kind == "image" else metric,
        threshold=params.threshold,
        epsilon=params.epsilon,
        k=params.dtm_k,
        landmarks=params.landmarks,
    )
    return {"filtration": filt}


# -- persistence -----------------------------------------------------------------------------
class PersistenceParams(StageParams):
    max_dim: int = Field(1, ge=0, description="Highest homology dimension.")
    backend: Backend = Field("auto", description=", ".join(ALL_BACKENDS) + ".")
    n_threads: int = Field(-1, description="giotto-ph threads (-1: all this worker's cores).")
    coeff: int = Field(2, description="A prime p: homology over Z/p.")
    cycles: bool = Field(False, description="Also a representative cycle of every class.")


@stage("persistence", params=PersistenceParams, inputs=("filtration",), outputs=("diagrams",))
def persistence_stage(params: PersistenceParams, filtration: Filtration) -> dict:
    """Persistence diagrams of the filtration."""
    diagrams = persistence(
        filtration,
        max_dim=params.max_dim,
        backend=params.backend,
        n_threads=params.n_threads,
        coeff=params.coeff,
        cycles=params.cycles,
    )
    return {"diagrams": diagrams}


# -- features --------------------------------------------------------------------------------
class FeaturesParams(StageParams):
    kinds: list[Literal[FEATURE_KINDS]] = Field(  # type: ignore[valid-type]
        list(FEATURE_KINDS), description="Which vectorisations to compute."
    )


def diagram_features(diagrams: Diagrams, kinds: tuple[str, ...] = FEATURE_KINDS) -> dict:
    """Vectorisations of one diagram, fitted on it: ``{kind: 1-D array}``.

    ``summary_statistics`` (comparable across inputs) comes with ``summary_statistics_names``.
    The curves, landscapes and images span this diagram's own range.
    """
    dims = tuple(range(len(diagrams)))
    transformers = {
        "betti_curve": BettiCurve(dims=dims),
        "landscape": PersistenceLandscape(dims=dims),
        "persistence_image": PersistenceImage(dims=dims),
        "summary_statistics": SummaryStatistics(dims=dims),
    }
    arrays: dict[str, np.ndarray] = {}
    for kind in kinds:
        transformer = transformers[kind].fit([diagrams])
        arrays[kind] = transformer.transform([diagrams])[0]
        if kind == "summary_statistics":
            arrays[f"{kind}_names"] = np.array(transformer.get_feature_names_out(), dtype=str)
    return arrays


def feature_row(outputs: dict) -> dict[str, float]:
    """The named summary statistics of a ``features`` artifact: a batch table's row."""
    features = outputs["features"]
    if "summary_statistics_names" not in features:
        return {}
    names = [str(n) for n in features["summary_statistics_names"]]
    return dict(zip(names, np.asarray(features["summary_statistics"], float).tolist()))


@stage(
    "features",
    params=FeaturesParams,
    inputs=("diagrams",),
    outputs=("features",),
    row=feature_row,
)
def features_stage(params: FeaturesParams, diagrams: Diagrams) -> dict:
    """Betti curves, landscapes, persistence images and summary statistics."""
    return {"features": diagram_features(diagrams, tuple(params.kinds))}


# -- distances (batch) -----------------------------------------------------------------------
class DistancesParams(StageParams):
    metric: Literal["bottleneck", "wasserstein"] = Field("bottleneck")
    order: float = Field(1.0, ge=1.0, description="Wasserstein order.")
    dim: int | None = Field(None, ge=0, description="One dimension [default: the max over all].")


@stage(
    "distances",
    params=DistancesParams,
    inputs=("diagrams",),
    outputs=("distances",),
    scope="batch",
)
def distances_stage(params: DistancesParams, names: list[str], diagrams: list[Diagrams]) -> dict:
    """Pairwise diagram distances across a batch: distances.npz and distances.csv."""
    n = len(diagrams)
    D = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            if params.metric == "bottleneck":
                D[i, j] = bottleneck(diagrams[i], diagrams[j], dim=params.dim)
            else:
                D[i, j] = wasserstein(diagrams[i], diagrams[j], dim=params.dim, order=params.order)
            D[j, i] = D[i, j]
    npz, text = io.BytesIO(), io.StringIO()
    np.savez_compressed(npz, distances=D, names=np.array(names, dtype=str))
    writer = csv.writer(text)
    writer.writerow(["", *names])
    writer.writerows([name, *(f"{v:.10g}" for v in row)] for name, row in zip(names, D))
    return {
        "distances": OutputFiles(
            {"distances.npz": npz.getvalue(), "distances.csv": text.getvalue().encode()}
        )
    }


# -- report ----------------------------------------------------------------------------------
class ReportParams(StageParams):
    scales: list[float] | None = Field(
        None, description="Scales for Betti numbers [default: 10-90% of the largest finite death]."
    )
    top: int = Field(5, ge=1, description="Most persistent classes listed per dimension.")
    figures: bool = Field(True, description="Write diagram.png and barcode.png.")
    max_bars: int = Field(100, ge=1, description="Longest bars drawn per dimension.")
    cycles: int = Field(
        5, ge=1, description="Most persistent cycles a dimension in cycles.json/.png."
    )
    html: bool = Field(True, description="Write report.html, the interactive page (with figures).")


@stage(
    "report",
    params=ReportParams,
    inputs=("data", "diagrams"),
    optional_inputs=("filtration", "features"),
    outputs=("report",),
)
def report_stage(
    params: ReportParams,
    data: LoadedInput,
    diagrams: Diagrams,
    filtration: Filtration | None = None,
    features: dict | None = None,
) -> dict:
    """The results folder: diagrams.npz, features.npz, summary.json, diagram and barcode PNGs,
    report.html, and cycles.json and cycles.png where the diagrams carry cycles."""
    summary = {
        "input": {
            "path": str(data.path),
            "kind": data.kind,
            "shape": list(data.array.shape),
            "filtration": filtration.describe() if filtration is not None else diagrams.filtration,
        },
        **summarize(diagrams, scales=params.scales, top=params.top),
    }
    files = OutputFiles({"diagrams.npz": diagrams.to_npz_bytes()})
    if features is not None:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **features)
        files["features.npz"] = buffer.getvalue()
    if params.figures:
        title = f"{data.path.name}: {diagrams.filtration} ({diagrams.backend})"
        files["diagram.png"] = png_bytes(plot_diagram(diagrams, title=title))
        files["barcode.png"] = png_bytes(plot_barcode(diagrams, max_bars=params.max_bars))
    if diagrams.cycle_dims:
        from tda_pipe.tda.report import cycle_files

        files.update(cycle_files(data, diagrams, k=params.cycles))
    if params.figures and params.html:
        from tda_pipe.tda.report import report_html

        page = report_html(
            data, diagrams, summary, title=data.path.name, k=params.cycles, max_bars=params.max_bars
        )
        files["report.html"] = page.encode()
    files["summary.json"] = (json.dumps(summary, indent=2) + "\n").encode()
    return {"report": files}
