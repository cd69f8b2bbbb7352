"""Persistent homology attached to a Mapper graph: per node, per edge, and of the lens.

A plain Mapper graph forgets the shape of what each node stands for: a node may hold a disc,
a ring or a blob. Attribution keeps it (the topologically attributed Mapper graphs of the
issue): every node carries the H0/H1 Rips persistence of its member points, every edge that of
the points its two clusters share, both vectorised into fixed-length features; the graph
carries the lower-star (and extended) persistence of the lens on the graph itself
(Carrière & Oudot, "Structure and stability of the one-dimensional Mapper", FoCM 2018).

Lifetimes and images are measured in units of the cloud's RMS radius ``scale`` (the root mean
squared distance of the points to their centroid), so graphs of clouds of different sizes get
comparable features.

Examples
--------
>>> from tda_pipe.datasets import circle
>>> from tda_pipe.tda.mapper import Mapper
>>> X = circle(300, noise=0.02, seed=0)
>>> G = attribute_graph(Mapper(lens="coordinate:1", cover=(6, 0.3)).fit(X).graph, X)
>>> len(G.nodes[0]["topology"]) == len(feature_names())
True
>>> loops = G.graph["lens_persistence"]["extended"]["extended_minus"]  # (dim, birth, death)
>>> [(dim, round(top, 1), round(bottom, 1)) for dim, top, bottom in loops]
[(1, 0.9, -0.9)]
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from tda_pipe.tda._vectorization import persistence_entropy, total_persistence
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.filtrations import lower_star_graph
from tda_pipe.tda.persistence import persistence

__all__ = [
    "attribute_graph",
    "cloud_scale",
    "diagram_features",
    "feature_names",
    "lens_persistence",
    "member_diagrams",
]

TOP_K = 3
IMAGE_SIZE = 4
#: Extent of the persistence image in units of the cloud scale (birth and persistence axes).
IMAGE_EXTENT = 0.5
MAX_DIM = 1


def feature_names(top_k: int = TOP_K, image_size: int = IMAGE_SIZE) -> list[str]:
    """Names of the entries of :func:`diagram_features`, in order.

    Examples
    --------
    >>> feature_names(top_k=1, image_size=1)
    ['h0_count', 'h0_entropy', 'h0_total', 'h0_top1', 'h1_count', 'h1_entropy', 'h1_total', \
'h1_top1', 'h1_image_0_0']
    """
    names = [
        f"h{p}_{stat}"
        for p in range(MAX_DIM + 1)
        for stat in ["count", "entropy", "total"] + [f"top{j + 1}" for j in range(top_k)]
    ]
    return names + [f"h1_image_{r}_{c}" for r in range(image_size) for c in range(image_size)]


def cloud_scale(X: np.ndarray) -> float:
    """Root mean squared distance of the points to their centroid (1.0 for a single point)."""
    scale = float(np.sqrt(((X - X.mean(axis=0)) ** 2).sum(axis=1).mean()))
    return scale if scale > 0 else 1.0


def member_diagrams(
    X: np.ndarray, members: np.ndarray, max_points: int = 200, seed: int = 0
) -> Diagrams:
    """H0 and H1 Rips diagrams of the points ``X[members]`` (at most ``max_points``, sampled).

    Fewer than two points give empty diagrams.
    """
    members = np.asarray(members)
    if len(members) > max_points:
        members = np.random.default_rng(seed).choice(members, max_points, replace=False)
    if len(members) < 2:
        return Diagrams([np.empty((0, 2)), np.empty((0, 2))])
    return persistence(X[members], max_dim=MAX_DIM, filtration="rips", n_threads=1)


def _small_image(dgm: np.ndarray, size: int) -> np.ndarray:
    """A ``size x size`` persistence image of ``(birth, death)`` rows on ``[0, IMAGE_EXTENT]^2``.

    Gaussians (bandwidth one pixel) at ``(birth, persistence)`` weighted by the persistence
    over ``IMAGE_EXTENT`` (Adams et al., JMLR 2017), on a fixed grid so that images of
    different nodes and graphs share their pixels. Rows are persistence, columns birth.
    """
    centres = (np.arange(size) + 0.5) * IMAGE_EXTENT / size
    bandwidth = IMAGE_EXTENT / size
    birth, pers = dgm[:, 0], dgm[:, 1] - dgm[:, 0]
    weight = np.minimum(pers / IMAGE_EXTENT, 1.0)
    gb = np.exp(-((centres[:, None] - birth[None, :]) ** 2) / (2 * bandwidth**2))
    gp = np.exp(-((centres[:, None] - pers[None, :]) ** 2) / (2 * bandwidth**2))
    return (gp * weight) @ gb.T


def diagram_features(
    dgms: Diagrams, scale: float = 1.0, top_k: int = TOP_K, image_size: int = IMAGE_SIZE
) -> np.ndarray:
    """Fixed-length vector of H0/H1 diagrams, named by :func:`feature_names`.

    Per dimension: the number of finite classes, persistence entropy, total persistence and
    the ``top_k`` longest lifetimes (0 where missing); then a small H1 persistence image.
    Essential classes are left out; values are divided by ``scale``.

    Examples
    --------
    >>> d = Diagrams([[[0.0, 1.0], [0.0, np.inf]], [[0.1, 0.4]]])
    >>> diagram_features(d, top_k=1, image_size=1).round(3).tolist()
    [1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.3, 0.3, 0.571]
    """
    out = []
    for p in range(MAX_DIM + 1):
        dgm = dgms[p] / scale if p < len(dgms) else np.empty((0, 2))
        dgm = dgm[np.isfinite(dgm[:, 1])]
        life = np.sort(dgm[:, 1] - dgm[:, 0])[::-1][:top_k]
        top = np.zeros(top_k)
        top[: len(life)] = life
        out += [len(dgm), persistence_entropy(dgm), total_persistence(dgm), *top]
    h1 = dgms[1] / scale if len(dgms) > 1 else np.empty((0, 2))
    image = _small_image(h1[np.isfinite(h1[:, 1])], image_size)
    return np.concatenate([np.asarray(out, dtype=np.float64), image.ravel()])


def _attach(target: dict, vector: np.ndarray, names: list[str]) -> None:
    """Store ``vector`` as ``topology`` and its non-image entries as scalar attributes."""
    target["topology"] = vector
    target.update({n: float(v) for n, v in zip(names, vector) if "image" not in n})


def lens_persistence(G: nx.Graph, attribute: str = "lens") -> dict:
    """Persistence of the node attribute ``attribute`` as a lower-star filtration of ``G``.

    Returns ``{"ordinary": Diagrams.to_dict(), "extended": {...}}``; ``extended`` holds the
    extended persistence (gudhi's ``SimplexTree.extend_filtration``) as lists of
    ``[dim, birth, death]`` under ``ordinary``, ``relative``, ``extended_plus`` and
    ``extended_minus``: the H1 ``extended_minus`` points are the graph's loops, with the lens
    values where each is born and dies (Carrière & Oudot 2018). Without nodes, ``{}``.
    """
    if len(G) == 0:
        return {}
    values = np.array([G.nodes[u][attribute] for u in G], dtype=np.float64)
    ordinary = persistence(lower_star_graph(G, values), max_dim=1, backend="gudhi")
    return {"ordinary": ordinary.to_dict(), "extended": _extended(G, values)}


def _extended(G: nx.Graph, values: np.ndarray) -> dict:
    import gudhi

    tree = gudhi.SimplexTree()
    index = {u: i for i, u in enumerate(G)}
    for i, v in enumerate(values):
        tree.insert([i], float(v))
    for u, w in G.edges:
        if u != w:
            tree.insert([index[u], index[w]], float(max(values[index[u]], values[index[w]])))
    tree.extend_filtration()
    parts = tree.extended_persistence()
    names = ("ordinary", "relative", "extended_plus", "extended_minus")
    return {
        name: [[int(dim), float(b), None if math.isinf(d) else float(d)] for dim, (b, d) in part]
        for name, part in zip(names, parts)
    }


def attribute_graph(
    G: nx.Graph,
    X: np.ndarray,
    *,
    edges: bool = True,
    max_points: int = 200,
    top_k: int = TOP_K,
    image_size: int = IMAGE_SIZE,
    seed: int = 0,
) -> nx.Graph:
    """Attach persistent homology to the nodes, edges and the whole of a Mapper graph, in place.

    Parameters
    ----------
    G : networkx.Graph
        A graph from :class:`~tda_pipe.tda.mapper.Mapper` (nodes with ``members`` and ``lens``).
    X : array of shape (n, d)
        The point cloud the graph was built from.
    edges : bool
        Also attribute the edges (the points shared by their two clusters).
    max_points : int
        Larger clusters are subsampled to this many points (seeded) for their Rips diagrams.
    top_k, image_size : int
        Longest lifetimes kept, and pixels per side of the H1 image.
    seed : int
        Seed of the subsampling.

    Returns
    -------
    networkx.Graph
        ``G``: each node (and edge) gains ``topology`` (the :func:`diagram_features` vector,
        named by :func:`feature_names`) and its non-image entries as scalars (``h1_total``,
        ``h0_entropy``, ...); ``G.graph`` gains ``scale``, ``topology_names`` and
        ``lens_persistence`` (:func:`lens_persistence`).
    """
    X = np.asarray(X, dtype=np.float64)
    scale = cloud_scale(X)
    names = feature_names(top_k, image_size)

    def vector(members: np.ndarray) -> np.ndarray:
        dgms = member_diagrams(X, members, max_points, seed)
        return diagram_features(dgms, scale, top_k, image_size)

    for u in G:
        _attach(G.nodes[u], vector(G.nodes[u]["members"]), names)
    if edges:
        for u, w in G.edges:
            shared = np.intersect1d(G.nodes[u]["members"], G.nodes[w]["members"])
            _attach(G.edges[u, w], vector(shared), names)
    G.graph.update(scale=scale, topology_names=names, lens_persistence=lens_persistence(G))
    return G
