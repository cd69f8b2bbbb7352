"""The ``train mapper-gnn`` job: Mapper graphs of a labelled collection, a GNN trained on them.

Plain and topologically attributed graphs are compared by cross-validation
(:func:`train_mapper_gnn_job`); the final model is fitted on every cloud.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tda_pipe.commands.options import GNNOptions
from tda_pipe.datasets.collection import read_collection, shape_collection
from tda_pipe.errors import InputError
from tda_pipe.models.mapper_gnn import FEATURES, graph_tensors, train_mapper_gnn
from tda_pipe.pipelines.results import check_out_dir, write_folder
from tda_pipe.tda.mapper import Cover, Mapper, attribute_graph

__all__ = ["GNNOptions", "GNNResult", "train_mapper_gnn_job"]


@dataclass
class GNNResult:
    """What :func:`train_mapper_gnn_job` produced."""

    out_dir: Path
    summary: dict


def _collection(data: str | Path, opts: GNNOptions):
    if str(data) == "shapes":
        return shape_collection(opts.per_class, noise=0.02, outliers=0.02, seed=opts.seed)
    return read_collection(data)


def _cross_validate(graphs: list, y: np.ndarray, opts: GNNOptions) -> dict:
    from sklearn.model_selection import StratifiedKFold

    if np.bincount(y).min() < opts.folds:
        raise InputError(f"--folds {opts.folds}: some class has fewer clouds than folds")
    folds = StratifiedKFold(opts.folds, shuffle=True, random_state=opts.seed).split(y, y)
    folds = list(folds)
    out = {}
    for features in FEATURES:
        samples = [graph_tensors(G, features) for G in graphs]
        scores = []
        for train, test in folds:
            model = train_mapper_gnn(
                [samples[i] for i in train],
                y[train],
                features=features,
                epochs=opts.epochs,
                hidden=opts.hidden,
                lr=opts.lr,
                seed=opts.seed,
            )
            scores.append(float((model.predict([samples[i] for i in test]) == y[test]).mean()))
        out[features] = {"mean": float(np.mean(scores)), "folds": scores}
    return out


GNN_WRITTEN_BY = "train mapper-gnn"


def train_mapper_gnn_job(
    data: str | Path,
    out: str | Path,
    options: GNNOptions | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    overwrite: bool = False,
) -> GNNResult:
    """Train the Mapper GNN on a labelled collection of clouds; write the model and scores.

    ``data`` is a folder with ``labels.csv`` (as written by
    :func:`~tda_pipe.datasets.collection.write_collection`) or ``"shapes"`` for a generated
    shape collection. ``out`` receives ``model.pt`` (``torch.load`` gives the state dict,
    the model's shape, the classes and the Mapper options) and ``summary.json`` (the
    cross-validated accuracies, plain vs attributed graphs). ``progress`` gets ``"graphs"``,
    ``"cross-validation"``, ``"training"`` and ``"write"``. ``out`` is checked before training,
    like every results folder (:func:`~tda_pipe.pipelines.results.write_folder`).
    """
    import torch

    opts = options or GNNOptions()
    opts.check()
    out_dir = check_out_dir(out, GNN_WRITTEN_BY, data, overwrite=overwrite)
    report = progress or (lambda step: None)
    collection = _collection(data, opts)
    y = np.asarray(collection.labels)
    report("graphs")
    mapper = Mapper(lens=opts.lens, cover=Cover(opts.intervals, opts.overlap))
    graphs = [
        attribute_graph(mapper.fit(X).graph, X, edges=False, seed=opts.seed)
        for X in collection.clouds
    ]
    report("cross-validation")
    scores = _cross_validate(graphs, y, opts) if opts.folds else {}
    report("training")
    model = train_mapper_gnn(
        graphs,
        y,
        features=opts.features,
        epochs=opts.epochs,
        hidden=opts.hidden,
        lr=opts.lr,
        seed=opts.seed,
    )
    report("write")
    summary = {
        "data": str(data),
        "clouds": len(y),
        "classes": list(collection.classes),
        "mean_nodes": float(np.mean([len(G) for G in graphs])),
        "cross_validation": scores,
        "options": opts.model_dump(),
    }
    model_file = io.BytesIO()
    torch.save(
        {
            "state_dict": model.model.state_dict(),
            "in_features": int(model.model.mean.shape[0]),
            "classes": [collection.classes[int(c)] for c in model.classes_],
            "options": opts.model_dump(),
        },
        model_file,
    )
    files = {
        "model.pt": model_file.getvalue(),
        "summary.json": (json.dumps(summary, indent=2) + "\n").encode(),
    }
    return GNNResult(
        write_folder(out_dir, files, GNN_WRITTEN_BY, data, overwrite=overwrite), summary
    )
