"""Persistence whose birth and death values carry torch gradients.

The pairing — which simplex creates and which destroys each class — is combinatorial: it is
computed without gradients on the CPU by :func:`tda_pipe.tda.persistence.persistence` (gudhi's
Ripser on the ranks of the edges for Rips, exact on ties; gudhi for alpha, cubical and
lower-star filtrations; a minimum spanning tree for H0).
The values are then gathered from the caller's tensors (pairwise distances, point weights, alpha
radii, pixel or vertex values), so gradients flow back to coordinates, distances, weights or
function values, on whatever device the tensors live. A batch of clouds is paired in
parallel threads (gudhi releases the GIL, see :func:`_pairings`). Every entry point takes
``coeff``, a prime: homology over Z/coeff.

The gradient of a diagram point is the gradient of the one simplex value it equals: this is the
standard almost-everywhere derivative of persistence (e.g. Carriere et al., ICML 2021). Where
values tie, one of the tied simplices is used; gradients stay finite (distances use a norm whose
gradient at 0 is 0).

Examples
--------
>>> import torch
>>> from tda_pipe.datasets import circle
>>> x = torch.tensor(circle(60, seed=0), requires_grad=True)
>>> d = rips_persistence(x, max_dim=1)
>>> loss = (d[1][:, 1] - d[1][:, 0]).sum()   # total H1 persistence
>>> loss.backward()
>>> bool(x.grad.abs().sum() > 0)
True
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import torch

from tda_pipe.tda import filtrations as F
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.mst import dense_mst_edges
from tda_pipe.tda.persistence import persistence

__all__ = [
    "TorchDiagrams",
    "alpha_persistence",
    "check_tensor",
    "cubical_persistence",
    "detached_squared_distances",
    "edge_lengths",
    "lower_star_persistence",
    "pairwise_distances",
    "rips_pairing_edges",
    "rips_persistence",
    "weighted_rips_persistence",
]


class TorchDiagrams(Sequence):
    """Diagrams as torch tensors: ``d[p]`` is a ``(k, 2)`` tensor of (birth, death) with grad.

    ``pairs`` are the numpy simplices that give each value (see :mod:`tda_pipe.tda.diagrams`);
    :meth:`numpy` detaches to a plain :class:`Diagrams`.
    """

    def __init__(self, dgms: list[torch.Tensor], pairs, filtration: str) -> None:
        self._dgms = dgms
        self.pairs = pairs
        self.filtration = filtration

    def __len__(self) -> int:
        return len(self._dgms)

    def __getitem__(self, dim: int) -> torch.Tensor:  # type: ignore[override]
        return self._dgms[dim]

    def __repr__(self) -> str:
        sizes = ", ".join(f"H{p}: {len(d)}" for p, d in enumerate(self._dgms))
        return f"TorchDiagrams({self.filtration}; {sizes})"

    def numpy(self) -> Diagrams:
        """Detached float64 :class:`Diagrams` with the same pairs."""
        return Diagrams(
            [d.detach().cpu().double().numpy() for d in self._dgms],
            self.pairs,
            filtration=self.filtration,
            backend="torch",
        )


# -- input checks --------------------------------------------------------------------------


def check_tensor(x, name: str, ndim: int | tuple[int, ...], min_rows: int = 2) -> torch.Tensor:
    """A finite floating-point tensor of ``ndim`` dimensions with ``min_rows`` rows, else a
    ``ValueError`` naming the argument ``name``."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if x.ndim not in allowed:
        raise ValueError(
            f"{name} must have {' or '.join(map(str, allowed))} dimensions, "
            f"got shape {tuple(x.shape)}"
        )
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if x.shape[0] < min_rows:
        raise ValueError(f"{name} has {x.shape[0]} point(s); at least {min_rows} are needed")
    if x.ndim == 2 and x.shape[1] == 0:
        raise ValueError(f"{name} has points with 0 coordinates")
    # one sum is non-finite whenever an entry is (checked exactly only then: a sum can overflow)
    if not torch.isfinite(x.sum()) and not torch.isfinite(x).all():
        raise ValueError(f"{name} has NaN or infinite values")
    return x


def _check_metric(metric: str) -> bool:
    """Differentiable Rips needs Euclidean points or a distance matrix; True for the latter."""
    if metric not in ("euclidean", "precomputed"):
        raise ValueError(
            f"metric must be 'euclidean' or 'precomputed' (pass a distance matrix), got {metric!r}"
        )
    return metric == "precomputed"


def _check_dims(max_dim: int) -> int:
    if isinstance(max_dim, bool) or max_dim not in (0, 1, 2):
        raise ValueError(f"max_dim must be 0, 1 or 2, got {max_dim!r}")
    return max_dim


def _numpy(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().double().numpy()


# -- value gathering -------------------------------------------------------------------------


def _norm(v: torch.Tensor) -> torch.Tensor:
    """Euclidean norm over the last axis; its gradient at the origin is 0, not NaN."""
    return torch.linalg.vector_norm(v, dim=-1)


def detached_squared_distances(x: torch.Tensor) -> np.ndarray:
    """Float64 numpy matrix of squared Euclidean distances of the rows of ``x`` (no gradient).

    The input of a Rips pairing: the order of the edges, all a pairing depends on, is the
    order of the distances, and squaring spares a square root over n^2 entries.
    """
    p = x.detach().double()
    sq = (p * p).sum(1)
    d2 = torch.addmm(sq[:, None] + sq, p, p.T, alpha=-2.0).clamp_(min=0.0)
    d2.diagonal().zero_()  # exact zeros where rounding left |x_i|^2 + |x_i|^2 - 2 x_i.x_i
    return d2.cpu().numpy()


def edge_lengths(x: torch.Tensor, edges: np.ndarray) -> torch.Tensor:
    """Lengths ``|x_i - x_j|`` of the ``(m, 2)`` index array ``edges``, differentiable in ``x``."""
    e = torch.as_tensor(edges, device=x.device)
    return _norm(x.index_select(0, e[:, 0]) - x.index_select(0, e[:, 1]))


def rips_pairing_edges(D: np.ndarray, dims: Sequence[int] = (0,), coeff: int = 2) -> np.ndarray:
    """The edges whose lengths are the births and deaths of the Rips classes in ``dims``.

    ``D`` holds distances or any increasing function of them (such as the squared distances
    of :func:`detached_squared_distances`): the pairing depends only on the order of the edges.

    For H0 these are the minimum spanning tree's edges (found without building a complex when
    ``dims == (0,)``); for H1 and H2 the creating and destroying edges of each finite class
    (gudhi's Ripser on edge ranks), and the creating edges of essential ones. This is the
    *persistence pairing* of Moor et al.'s topological autoencoder loss.
    """
    dims = tuple(sorted(set(dims)))
    if not dims or any(p not in (0, 1, 2) for p in dims):
        raise ValueError(f"dims must be a non-empty subset of (0, 1, 2), got {dims}")
    if dims == (0,):
        return dense_mst_edges(D)
    diagrams = persistence(
        F.RipsFiltration(distances=D, metric="precomputed"),
        max(dims),
        return_pairs=True,
        coeff=coeff,
    )
    edges = []
    for p in dims:
        births, deaths = diagrams.pairs[p]
        if p > 0:
            edges.append(births)
        edges.append(deaths[deaths[:, 0] >= 0])
    return np.concatenate(edges).astype(np.int64)


def pairwise_distances(x: torch.Tensor) -> torch.Tensor:
    """Euclidean distance matrix of the rows of ``x``, with finite gradients on ties."""
    return _norm(x[:, None, :] - x[None, :, :])


def _edge_gatherer(x: torch.Tensor, precomputed: bool, weights: torch.Tensor | None):
    """``values(i, j)``: torch values of edges ``(i, j)``; ``j == -1`` is the vertex ``i``."""

    def distance(i: torch.Tensor, j: torch.Tensor) -> torch.Tensor:
        return x[i, j] if precomputed else _norm(x[i] - x[j])

    def values(i: np.ndarray, j: np.ndarray) -> torch.Tensor:
        i_t = torch.as_tensor(i, device=x.device)
        j_t = torch.as_tensor(np.maximum(j, 0), device=x.device)
        if weights is not None:
            wi, wj = weights[i_t], weights[j_t]
            edge = torch.maximum(torch.maximum(wi, wj), (distance(i_t, j_t) + wi + wj) / 2)
            vertex = wi
        else:
            edge = distance(i_t, j_t)
            vertex = x[i_t, i_t] if precomputed else torch.zeros_like(edge)
        return torch.where(torch.as_tensor(j >= 0, device=x.device), edge, vertex)

    return values


def _gather(diagrams: Diagrams, values: Callable, like: torch.Tensor) -> TorchDiagrams:
    """Replace every birth and death of ``diagrams`` by ``values(simplices)`` tensors."""
    dgms = []
    for births, deaths in diagrams.pairs:
        if len(births) == 0:  # an empty slice of the input keeps the result in its graph
            dgms.append(like.reshape(-1)[:0].reshape(0, 2))
            continue
        b = values(births)
        finite = deaths[:, 0] >= 0
        d = torch.full_like(b, float("inf"))
        if finite.any():
            d = d.index_put(
                (torch.as_tensor(np.flatnonzero(finite), device=b.device),), values(deaths[finite])
            )
        dgms.append(torch.stack([b, d], dim=1))
    return TorchDiagrams(dgms, diagrams.pairs, diagrams.filtration)


THREAD_MIN_POINTS = 2000
"""Rips batches with fewer points in all are paired in this thread (see :func:`_pairings`)."""


def _pairing(filt: F.Filtration, max_dim: int, coeff: int) -> Diagrams:
    """One filtration's diagrams with pairs, single-threaded (a worker's job)."""
    return persistence(filt, max_dim, return_pairs=True, n_threads=1, coeff=coeff)


def _pairings(
    filtrations: list[F.Filtration], max_dim: int, n_jobs: int | None, coeff: int
) -> list[Diagrams]:
    """Diagrams with pairs for a batch of filtrations, computed in parallel threads.

    gudhi releases the GIL (its Ripser, alpha, cubical and simplex trees), as does numpy's
    ranking of the edges, so a batch is paired in threads (alpha, cubical: two threads 1.9x
    faster on 2 cores). H0 alone (a spanning tree per cloud, Python-bound) and Rips batches of
    fewer than :data:`THREAD_MIN_POINTS` points in all stay in this thread.
    """
    workers = min(len(filtrations), n_jobs or os.cpu_count() or 1)
    job = partial(_pairing, max_dim=max_dim, coeff=coeff)
    rips = all(isinstance(f, F.RipsFiltration) for f in filtrations)
    small = rips and (max_dim == 0 or sum(f.n_vertices for f in filtrations) < THREAD_MIN_POINTS)
    if workers <= 1 or small:
        return [job(f) for f in filtrations]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(job, filtrations))


# -- public entry points ---------------------------------------------------------------------


def rips_persistence(
    x: torch.Tensor | Sequence[torch.Tensor],
    max_dim: int = 1,
    *,
    metric: str = "euclidean",
    threshold: float | None = None,
    n_jobs: int | None = None,
    coeff: int = 2,
) -> TorchDiagrams | list[TorchDiagrams]:
    """Vietoris–Rips persistence with gradients to the coordinates (or the distance matrix).

    Parameters
    ----------
    x : tensor or list of tensors
        ``(n, d)`` points (``metric="euclidean"``) or an ``(n, n)`` distance matrix
        (``metric="precomputed"``); a list is a batch of clouds of any sizes.
    max_dim : int
        0, 1 or 2. H0 alone uses a minimum spanning tree (no complex is built).
    threshold : float, optional
        Only edges up to this length.
    n_jobs : int, optional
        Threads pairing a batch (default: all cores).
    coeff : int
        A prime p: homology over Z/p (default 2).

    Returns
    -------
    TorchDiagrams, or a list of them for a list input

    Examples
    --------
    >>> import torch
    >>> x = torch.randn(40, 3, dtype=torch.float64, requires_grad=True)
    >>> d = rips_persistence(x, max_dim=1)
    >>> torch.autograd.gradcheck(lambda x: rips_persistence(x, 1)[1][:, 1].sum(), (x,))
    True
    """
    _check_dims(max_dim)
    precomputed = _check_metric(metric)
    clouds = [x] if isinstance(x, torch.Tensor) else list(x)
    filtrations = [
        F.rips(_numpy(check_tensor(c, "x", 2)), metric=metric, threshold=threshold) for c in clouds
    ]
    out = [
        _gather(d, _pair_values(_edge_gatherer(c, precomputed, None)), c)
        for d, c in zip(_pairings(filtrations, max_dim, n_jobs, coeff), clouds)
    ]
    return out[0] if isinstance(x, torch.Tensor) else out


def weighted_rips_persistence(
    x: torch.Tensor | Sequence[torch.Tensor],
    weights: torch.Tensor | Sequence[torch.Tensor],
    max_dim: int = 1,
    *,
    metric: str = "euclidean",
    n_jobs: int | None = None,
    coeff: int = 2,
) -> TorchDiagrams | list[TorchDiagrams]:
    """Weighted Rips persistence (Anai et al., p = 1) with gradients to points and weights.

    Vertex ``i`` enters at ``w_i`` and edge ``{i, j}`` at ``max(w_i, w_j, (d_ij + w_i + w_j)/2)``;
    ``weights`` holds one non-negative value per point (per cloud, for a batch).
    """
    _check_dims(max_dim)
    precomputed = _check_metric(metric)
    if isinstance(x, torch.Tensor) != isinstance(weights, torch.Tensor):
        raise ValueError("x and weights must both be tensors or both be lists of tensors")
    clouds = [x] if isinstance(x, torch.Tensor) else list(x)
    weight_list = [weights] if isinstance(weights, torch.Tensor) else list(weights)
    if len(clouds) != len(weight_list):
        raise ValueError(f"x holds {len(clouds)} clouds but weights {len(weight_list)}")
    filtrations = []
    for c, w in zip(clouds, weight_list):
        check_tensor(c, "x", 2)
        check_tensor(w, "weights", 1, min_rows=1)
        if w.shape[0] != c.shape[0]:
            raise ValueError(f"weights has {w.shape[0]} values for {c.shape[0]} points")
        filtrations.append(F.weighted_rips(_numpy(c), _numpy(w), metric=metric))
    out = [
        _gather(d, _pair_values(_edge_gatherer(c, precomputed, w)), c)
        for d, c, w in zip(_pairings(filtrations, max_dim, n_jobs, coeff), clouds, weight_list)
    ]
    return out[0] if isinstance(x, torch.Tensor) else out


def _pair_values(edge_values: Callable) -> Callable:
    """Adapt an edge-value function to ``(k, 2)`` simplex rows."""
    return lambda rows: edge_values(rows[:, 0], rows[:, 1])


def cubical_persistence(
    image: torch.Tensor | Sequence[torch.Tensor],
    max_dim: int = 1,
    *,
    n_jobs: int | None = None,
    coeff: int = 2,
) -> TorchDiagrams | list[TorchDiagrams]:
    """Sublevel persistence of an image or voxel grid (pixels as top cells), with gradients to
    the pixel values; a list of images is paired in parallel threads.

    Examples
    --------
    >>> import torch
    >>> img = torch.rand(16, 16, dtype=torch.float64, requires_grad=True)
    >>> d = cubical_persistence(img, max_dim=1)
    >>> (d[1][:, 1] - d[1][:, 0]).sum().backward()
    >>> img.grad.shape
    torch.Size([16, 16])
    """
    _check_dims(max_dim)
    images = [image] if isinstance(image, torch.Tensor) else list(image)
    filtrations = []
    for img in images:
        check_tensor(img, "image", (1, 2, 3), min_rows=1)
        if img.numel() < 2:
            raise ValueError(f"image has {img.numel()} pixel(s); at least 2 are needed")
        filtrations.append(F.cubical(_numpy(img)))

    def pixel_values(img: torch.Tensor) -> Callable:
        flat = img.reshape(-1)
        return lambda rows: flat[torch.as_tensor(rows[:, 0], device=flat.device)]

    out = [
        _gather(d, pixel_values(img), img)
        for d, img in zip(_pairings(filtrations, max_dim, n_jobs, coeff), images)
    ]
    return out[0] if isinstance(image, torch.Tensor) else out


def lower_star_persistence(
    values: torch.Tensor,
    complex_: F.LowerStarFiltration | object,
    max_dim: int = 1,
    *,
    coeff: int = 2,
) -> TorchDiagrams:
    """Lower-star persistence of vertex ``values`` on a graph or mesh, with gradients to them.

    ``complex_`` is a networkx graph, a trimesh mesh, or a ``(vertices, faces)`` tuple.
    """
    _check_dims(max_dim)
    check_tensor(values, "values", 1, min_rows=1)
    v = _numpy(values)
    if hasattr(complex_, "faces") or isinstance(complex_, tuple):
        filt = F.lower_star_mesh(complex_, v)
    else:
        filt = F.lower_star_graph(complex_, v)
    diagrams = persistence(filt, max_dim, return_pairs=True, coeff=coeff)
    return _gather(
        diagrams, lambda rows: values[torch.as_tensor(rows[:, 0], device=values.device)], values
    )


def _squared_circumradius(points: torch.Tensor) -> torch.Tensor:
    """Squared circumradius of simplices ``points`` of shape ``(m, k + 1, d)``, ``k >= 1``.

    With ``A`` the edge vectors from the first vertex and Gram matrix ``G = A A^T``, the
    circumcentre is ``p_0 + A^T lam`` with ``G lam = diag(G) / 2``, and ``r^2 = lam . diag(G) / 2``.
    """
    A = points[:, 1:] - points[:, :1]
    G = A @ A.transpose(1, 2)
    half = torch.diagonal(G, dim1=1, dim2=2) / 2
    lam = torch.linalg.solve(G, half)
    return (lam * half).sum(-1)


def alpha_persistence(x: torch.Tensor, max_dim: int = 1, *, coeff: int = 2) -> TorchDiagrams:
    """Alpha-complex persistence (diameter scale ``2 r``) with gradients to the coordinates.

    A simplex's alpha value is the circumradius of the simplex itself or, if it is not Gabriel,
    of the coface it is attached to; that simplex is found in gudhi's complex and its
    circumradius recomputed in torch.
    """
    import gudhi

    _check_dims(max_dim)
    check_tensor(x, "x", 2)
    X = _numpy(x)
    st = gudhi.AlphaComplex(points=X).create_simplex_tree()
    # gudhi's pairs: their simplices are looked up in gudhi's complex, st
    diagrams = persistence(
        X, max_dim, filtration="alpha", backend="gudhi", return_pairs=True, coeff=coeff
    )

    def origin(simplex: list[int], value: float) -> list[int]:
        """The coface of a non-Gabriel ``simplex`` whose squared circumradius is its value."""
        candidates = [c for c, f in st.get_cofaces(simplex, 0) if f == value] or [simplex]
        radii = [_squared_circumradius(torch.from_numpy(X[c])[None])[0].item() for c in candidates]
        return candidates[int(np.argmin(np.abs(np.array(radii) - value)))]

    def values(rows: np.ndarray) -> torch.Tensor:
        out = x.new_zeros(len(rows))
        sizes = (rows >= 0).sum(axis=1)
        for size in np.unique(sizes[sizes > 1]):
            index = np.flatnonzero(sizes == size)
            simplices = rows[index, :size]
            alpha2 = np.array([st.filtration(list(map(int, s))) for s in simplices])
            own = _squared_circumradius(torch.from_numpy(X[simplices])).numpy()
            attached = ~np.isclose(own, alpha2, rtol=1e-9, atol=1e-12)
            taus = [list(s) for s in simplices]
            for k in np.flatnonzero(attached):
                taus[k] = origin(taus[k], alpha2[k])
            for tau_size in {len(t) for t in taus}:
                group = [k for k, t in enumerate(taus) if len(t) == tau_size]
                tau = torch.as_tensor([taus[k] for k in group], device=x.device)
                r2 = _squared_circumradius(x[tau])
                out = out.index_put(
                    (torch.as_tensor(index[group], device=x.device),),
                    2 * torch.sqrt(torch.clamp(r2, min=0)),
                )
        return out

    return _gather(diagrams, values, x)
