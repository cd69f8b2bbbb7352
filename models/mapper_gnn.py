"""A small graph neural network classifying point clouds from their Mapper graphs.

Graph convolutions over the normalised adjacency ``D^-1/2 (A + I) D^-1/2`` (Kipf & Welling,
ICLR 2017), mean and sum pooling over the nodes, and an MLP. Node features are either *plain*
(the node's size, as a fraction of the cloud) or *topological* (the size and the persistence
vector of :func:`~tda_pipe.tda.mapper.attribute_graph`), which is what the
topologically attributed Mapper graphs add.

Examples
--------
>>> import networkx as nx
>>> graphs = [nx.path_graph(8), nx.cycle_graph(4)] * 8
>>> for G in graphs:
...     G.graph["n_points"] = 40
...     nx.set_node_attributes(G, 10, "size")
>>> model = train_mapper_gnn(graphs, [0, 1] * 8, features="plain", epochs=60, seed=0)
>>> model.predict(graphs[:2]).tolist()
[0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import torch
from torch import nn

from tda_pipe.errors import InputError
from tda_pipe.models.training import check_schedule, fit, mlp, seeded
from tda_pipe.tda.validation import check_int, check_real

__all__ = [
    "FEATURES",
    "MapperGNN",
    "MapperGNNClassifier",
    "graph_tensors",
    "node_features",
    "normalized_adjacency",
    "train_mapper_gnn",
]

FEATURES = ("plain", "topological")

Sample = tuple[np.ndarray, np.ndarray]  # (node features, normalised adjacency)


def node_features(G: nx.Graph, features: str = "topological") -> np.ndarray:
    """``(N, F)`` float32 node features of a Mapper graph, in ``G.nodes`` order.

    ``"plain"``: the node size over the number of points of the cloud (one column).
    ``"topological"``: that and the node's ``topology`` vector (:func:`attribute_graph`).
    """
    if features not in FEATURES:
        raise InputError(f"unknown node features {features!r}; use plain or topological")
    n_points = G.graph.get("n_points") or max((G.nodes[u]["size"] for u in G), default=1)
    size = np.array([[G.nodes[u]["size"] / n_points] for u in G], dtype=np.float32)
    if features == "plain" or len(G) == 0:
        width = 1 if features == "plain" else 1 + len(G.graph.get("topology_names", []))
        return size if len(G) else np.zeros((0, width), np.float32)
    if any("topology" not in G.nodes[u] for u in G):
        raise InputError("graph nodes have no 'topology' vector; run attribute_graph(G, X) first")
    topo = np.array([np.asarray(G.nodes[u]["topology"]) for u in G], dtype=np.float32)
    return np.hstack([size, topo])


def normalized_adjacency(G: nx.Graph) -> np.ndarray:
    """``D^-1/2 (A + I) D^-1/2`` of ``G`` (unweighted), float32, in ``G.nodes`` order."""
    A = nx.to_numpy_array(G, weight=None, dtype=np.float32) + np.eye(len(G), dtype=np.float32)
    d = 1.0 / np.sqrt(A.sum(axis=1))
    return A * d[:, None] * d[None, :]


def graph_tensors(G: nx.Graph, features: str = "topological") -> Sample:
    """``(node features, normalised adjacency)`` of a Mapper graph, as numpy arrays."""
    return node_features(G, features), normalized_adjacency(G)


class MapperGNN(nn.Module):
    """Graph convolutions, mean + sum pooling and an MLP: logits per graph.

    Parameters
    ----------
    in_features : int
        Node feature width.
    n_classes : int
        Number of classes.
    hidden : int
        Width of the convolutions and of the MLP.
    layers : int
        Number of graph convolutions.
    dropout : float
        Dropout before the last layer.
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        hidden: int = 32,
        layers: int = 2,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        widths = [in_features] + [hidden] * layers
        self.convs = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.head = mlp([2 * hidden, hidden, n_classes], dropout=dropout)
        self.register_buffer("mean", torch.zeros(in_features))
        self.register_buffer("std", torch.ones(in_features))

    def forward(self, x: torch.Tensor, adj: torch.Tensor, batch: torch.Tensor, n_graphs: int):
        """Logits ``(n_graphs, n_classes)`` of a batch.

        ``x`` holds the nodes of all graphs, ``adj`` their block-diagonal (sparse) normalised
        adjacency, ``batch`` the graph index of every node.
        """
        h = (x - self.mean) / self.std
        for conv in self.convs:
            h = torch.relu(adj @ conv(h))
        total = h.new_zeros(n_graphs, h.shape[1]).index_add_(0, batch, h)
        counts = torch.bincount(batch, minlength=n_graphs).clamp(min=1).unsqueeze(1)
        return self.head(torch.cat([total / counts, total], dim=1))


def _collate(samples: Sequence[Sample]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Stack graphs into one: node features, sparse block-diagonal adjacency, graph index."""
    sizes = [len(x) for x, _ in samples]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    rows, cols, vals = [], [], []
    for (_, adj), start in zip(samples, offsets[:-1]):
        r, c = np.nonzero(adj)
        rows.append(r + start)
        cols.append(c + start)
        vals.append(adj[r, c])
    n = int(offsets[-1])
    adj = torch.sparse_coo_tensor(
        torch.from_numpy(np.vstack([np.concatenate(rows), np.concatenate(cols)])).long(),
        torch.from_numpy(np.concatenate(vals)).float(),
        (n, n),
        check_invariants=False,
    ).coalesce()
    x = torch.from_numpy(np.concatenate([x for x, _ in samples])).float()
    batch = torch.from_numpy(np.repeat(np.arange(len(samples)), sizes)).long()
    return x, adj, batch


@dataclass
class MapperGNNClassifier:
    """A trained :class:`MapperGNN` with the node features it expects and the class labels."""

    model: MapperGNN
    features: str
    classes_: np.ndarray

    def _samples(self, graphs: Sequence) -> list[Sample]:
        return [g if isinstance(g, tuple) else graph_tensors(g, self.features) for g in graphs]

    def predict_proba(self, graphs: Sequence) -> np.ndarray:
        """Class probabilities ``(n_graphs, n_classes)`` of Mapper graphs (or samples)."""
        samples = self._samples(graphs)
        self.model.eval()
        with torch.no_grad():
            logits = self.model(*_collate(samples), len(samples))
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, graphs: Sequence) -> np.ndarray:
        """Predicted labels of Mapper graphs (or ``(features, adjacency)`` samples)."""
        return self.classes_[self.predict_proba(graphs).argmax(axis=1)]


def train_mapper_gnn(
    graphs: Sequence,
    labels: Sequence,
    *,
    features: str = "topological",
    hidden: int = 32,
    layers: int = 2,
    epochs: int = 150,
    lr: float = 0.01,
    weight_decay: float = 1e-4,
    batch_size: int = 32,
    seed: int = 0,
) -> MapperGNNClassifier:
    """Train a :class:`MapperGNN` on Mapper graphs with class labels (Adam, cross-entropy).

    Parameters
    ----------
    graphs : sequence of networkx.Graph or (features, adjacency)
        Mapper graphs (attributed for ``features="topological"``), or samples from
        :func:`graph_tensors`.
    labels : sequence
        One class label per graph.
    features : {"plain", "topological"}
        Node features (see :func:`node_features`).
    hidden, layers : int
        Width and number of graph convolutions.
    epochs, lr, weight_decay, batch_size : training schedule.
    seed : int
        Seed of the weights and the batch order.

    Returns
    -------
    MapperGNNClassifier
        With ``predict`` and ``predict_proba``.
    """
    if len(graphs) != len(labels) or len(graphs) < 2:
        raise InputError(f"need as many labels as graphs (>= 2), got {len(graphs)}/{len(labels)}")
    classes, y = np.unique(np.asarray(labels), return_inverse=True)
    if len(classes) < 2:
        raise InputError("the labels hold a single class; a classifier needs two or more")
    check_schedule(epochs=epochs, batch_size=batch_size, lr=lr)
    check_int(hidden, "hidden", low=1)
    check_int(layers, "layers", low=1)
    check_real(weight_decay, "weight_decay", low=0)
    samples = MapperGNNClassifier(None, features, classes)._samples(graphs)
    nodes = torch.from_numpy(np.concatenate([x for x, _ in samples])).float()
    targets = torch.from_numpy(y).long()
    with seeded(seed):
        model = MapperGNN(samples[0][0].shape[1], len(classes), hidden, layers)
    model.mean.copy_(nodes.mean(dim=0))
    model.std.copy_(nodes.std(dim=0).clamp(min=1e-6))

    def step(rows: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        logits = model(*_collate([samples[i] for i in rows]), len(rows))
        loss = nn.functional.cross_entropy(logits, targets[rows])
        return loss, {"loss": loss}

    fit(
        model,
        step,
        len(samples),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        weight_decay=weight_decay,
    )
    return MapperGNNClassifier(model, features, classes)
