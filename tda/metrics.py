"""How well a low-dimensional embedding keeps the shape of its data.

The measures of Moor, Horn, Rieck and Borgwardt, "Topological Autoencoders", ICML 2020
(Section 5): the Kullback–Leibler divergence between density estimates of data and latent
space at scales sigma (KL_sigma), the root mean squared error between the two distance matrices
(RMSE), and three rank-based measures over k nearest neighbours — the mean relative rank error
(MRRE, Lee and Verleysen 2007), trustworthiness and continuity (Venna and Kaski 2001) — plus
the reconstruction error of a model that decodes (data MSE). :func:`embedding_metrics` returns
them all.

Every measure holds two ``(n, n)`` matrices in memory; evaluate on a sample of a few thousand
points for large data.

Examples
--------
>>> import numpy as np
>>> X = np.random.default_rng(0).normal(size=(100, 5))
>>> m = embedding_metrics(X, X[:, :2], k=10)
>>> m["trustworthiness"] < 1.0, embedding_metrics(X, X, k=10)["trustworthiness"]
(True, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.spatial.distance import pdist, squareform

from tda_pipe.errors import InputError

__all__ = [
    "SIGMAS",
    "continuity",
    "embedding_metrics",
    "kl_density",
    "mean_relative_rank_error",
    "reconstruction_mse",
    "rmse_distances",
    "trustworthiness",
]

SIGMAS = (0.01, 0.1, 1.0)
"""The density scales of the paper's KL_sigma columns."""


def kl_density(X: np.ndarray, Z: np.ndarray, sigma: float = 0.1) -> float:
    r"""KL divergence from the density estimate of ``X`` to that of ``Z`` at scale ``sigma``.

    .. math::
        f^X_\sigma(x) \propto \sum_{y \in X} \exp\!\big(-(d(x, y) / \max d)^2 / \sigma\big),

    normalised to sum 1 over the points (likewise for ``Z``, with its own maximum distance);
    the result is :math:`\sum_x f^X_\sigma(x) \log(f^X_\sigma(x) / f^Z_\sigma(x))`.

    Parameters
    ----------
    X, Z : numpy.ndarray
        ``(n, d)`` data and ``(n, d')`` embedding, row ``i`` of each the same point.
    sigma : float, default 0.1
        Scale of the density estimate, relative to the squared largest distance.

    Returns
    -------
    float
        The divergence, >= 0; 0 when the densities agree.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [3.0]])
    >>> kl_density(X, 2 * X)
    0.0
    """
    X, Z = _pair(X, Z, min_points=2)
    if not np.isfinite(sigma) or sigma <= 0:
        raise InputError(f"sigma must be a positive number, not {sigma!r}")
    return _kl(squareform(pdist(X)), squareform(pdist(Z)), sigma)


def rmse_distances(X: np.ndarray, Z: np.ndarray) -> float:
    """Root mean squared difference of the pairwise distances of ``X`` and of ``Z``.

    Taken over the ``n (n - 1) / 2`` pairs of distinct points, on the raw distances (no
    rescaling), as in the paper's RMSE column.

    Examples
    --------
    >>> import numpy as np
    >>> rmse_distances(np.array([[0.0], [1.0], [3.0]]), np.array([[0.0], [2.0], [6.0]]))
    2.160246899469287
    """
    X, Z = _pair(X, Z, min_points=2)
    return float(np.sqrt(np.mean((pdist(X) - pdist(Z)) ** 2)))


def trustworthiness(X: np.ndarray, Z: np.ndarray, k: int = 10) -> float:
    r"""Trustworthiness of the embedding ``Z`` of ``X``: are ``Z``'s neighbours true ones?

    .. math::
        T(k) = 1 - \frac{2}{n k (2n - 3k - 1)} \sum_i \sum_{j \in U_k(i)} (r^X_{ij} - k),

    with :math:`U_k(i)` the ``k`` nearest neighbours of point ``i`` in ``Z`` that are not among
    its ``k`` nearest in ``X``, and :math:`r^X_{ij}` the rank of ``j`` by distance from ``i`` in
    ``X`` (1 = nearest). 1 is best. Equal to :func:`sklearn.manifold.trustworthiness`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> trustworthiness(X, X, k=5)
    1.0
    """
    rx, rz, k = _ranks_pair(X, Z, k)
    return _trust(rx, rz, k)


def continuity(X: np.ndarray, Z: np.ndarray, k: int = 10) -> float:
    """Continuity of the embedding ``Z`` of ``X``: are ``X``'s neighbours kept in ``Z``?

    :func:`trustworthiness` with the roles of ``X`` and ``Z`` swapped. 1 is best.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> continuity(X, X[:, :2], k=5) < 1.0
    True
    """
    rx, rz, k = _ranks_pair(X, Z, k)
    return _trust(rz, rx, k)


def mean_relative_rank_error(X: np.ndarray, Z: np.ndarray, k: int = 10) -> tuple[float, float]:
    r"""The two mean relative rank errors of Lee and Verleysen (2007), 0 at best.

    .. math::
        \mathrm{MRRE}_{ZX} = \frac1C \sum_i \sum_{j \in N^Z_k(i)}
            \frac{|r^X_{ij} - r^Z_{ij}|}{r^Z_{ij}}, \qquad
        \mathrm{MRRE}_{XZ} = \frac1C \sum_i \sum_{j \in N^X_k(i)}
            \frac{|r^X_{ij} - r^Z_{ij}|}{r^X_{ij}},

    over the ``k`` nearest neighbours in ``Z`` and in ``X``, with
    :math:`C = n \sum_{l=1}^{k} |n + 1 - 2l| / l` so that each lies in [0, 1].

    Returns
    -------
    (float, float)
        ``(mrre_zx, mrre_xz)``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(50, 3))
    >>> mean_relative_rank_error(X, 2 * X, k=5)
    (0.0, 0.0)
    """
    rx, rz, k = _ranks_pair(X, Z, k)
    return _mrre(rx, rz, k)


def reconstruction_mse(X: np.ndarray, X_hat: np.ndarray) -> float:
    """Mean squared error of a reconstruction, over all entries (the paper's data MSE).

    Examples
    --------
    >>> import numpy as np
    >>> reconstruction_mse(np.zeros((2, 2)), np.array([[1.0, 0.0], [0.0, 1.0]]))
    0.5
    """
    X, X_hat = np.asarray(X, np.float64), np.asarray(X_hat, np.float64)
    if X.shape != X_hat.shape:
        raise InputError(f"reconstruction of shape {X_hat.shape} does not match data {X.shape}")
    return float(np.mean((X - X_hat) ** 2))


def embedding_metrics(
    X: np.ndarray,
    Z: np.ndarray,
    X_hat: np.ndarray | None = None,
    k: int = 10,
    sigmas: Sequence[float] = SIGMAS,
) -> dict[str, float]:
    """Every quality measure of the embedding ``Z`` of ``X``, as a dict of floats.

    Keys: ``kl_<sigma>`` for each sigma (``kl_0.01``, ``kl_0.1``, ``kl_1``), ``rmse``,
    ``mrre_zx``, ``mrre_xz`` and their mean ``mrre``, ``trustworthiness``, ``continuity``,
    and ``data_mse`` when a reconstruction ``X_hat`` is given. Lower is better except for
    trustworthiness and continuity.

    Parameters
    ----------
    X : numpy.ndarray
        ``(n, d)`` data.
    Z : numpy.ndarray
        ``(n, d')`` embedding of the same points in the same order.
    X_hat : numpy.ndarray, optional
        ``(n, d)`` reconstruction of ``X`` from ``Z`` (an autoencoder's, PCA's).
    k : int, default 10
        Neighbours for the rank-based measures; ``1 <= k < n / 2``.
    sigmas : sequence of float, default (0.01, 0.1, 1.0)
        Scales of the KL measures.

    Returns
    -------
    dict of str to float

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(200, 10))
    >>> m = embedding_metrics(X, X[:, :2], X_hat=np.pad(X[:, :2], ((0, 0), (0, 8))))
    >>> m["trustworthiness"] > 0.5, round(m["data_mse"], 1)
    (True, 0.8)
    """
    X, Z = _pair(X, Z, min_points=2)
    DX, DZ = squareform(pdist(X)), squareform(pdist(Z))
    k = _check_k(k, len(X))
    out = {f"kl_{s:g}": _kl(DX, DZ, s) for s in sigmas}
    out["rmse"] = float(np.sqrt(np.mean((squareform(DX) - squareform(DZ)) ** 2)))
    rx, rz = _ranks(DX), _ranks(DZ)
    out["mrre_zx"], out["mrre_xz"] = _mrre(rx, rz, k)
    out["mrre"] = (out["mrre_zx"] + out["mrre_xz"]) / 2
    out["trustworthiness"] = _trust(rx, rz, k)
    out["continuity"] = _trust(rz, rx, k)
    if X_hat is not None:
        out["data_mse"] = reconstruction_mse(X, X_hat)
    return out


def _pair(X: np.ndarray, Z: np.ndarray, min_points: int) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``Z`` as finite 2-D float64 arrays with the same rows."""
    arrays = []
    for name, A in (("data", X), ("embedding", Z)):
        A = np.asarray(A, dtype=np.float64)
        if A.ndim != 2:
            raise InputError(f"{name} must be a 2-D array (n, d), got shape {A.shape}")
        if not np.isfinite(A).all():
            raise InputError(f"{name} holds NaN or inf values")
        arrays.append(A)
    if len(arrays[0]) != len(arrays[1]):
        raise InputError(f"data has {len(arrays[0])} rows but embedding {len(arrays[1])}")
    if len(arrays[0]) < min_points:
        raise InputError(f"need at least {min_points} points, got {len(arrays[0])}")
    return arrays[0], arrays[1]


def _check_k(k: int, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k < n / 2:
        raise InputError(f"k must be an integer with 1 <= k < n/2 = {n / 2:g}, not {k!r}")
    return int(k)


def _ranks_pair(X: np.ndarray, Z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, int]:
    X, Z = _pair(X, Z, min_points=3)
    k = _check_k(k, len(X))
    return _ranks(squareform(pdist(X))), _ranks(squareform(pdist(Z))), k


def _kl(DX: np.ndarray, DZ: np.ndarray, sigma: float) -> float:
    """KL divergence between the density estimates on two distance matrices."""
    fx, fz = _density(DX, sigma), _density(DZ, sigma)
    return float(np.sum(fx * (np.log(fx) - np.log(fz))))


def _density(D: np.ndarray, sigma: float) -> np.ndarray:
    """The paper's density estimate on a distance matrix, normalised to sum 1."""
    top = D.max()
    scaled = D / top if top > 0 else D
    f = np.exp(-(scaled**2) / sigma).sum(axis=1)
    return f / f.sum()


def _ranks(D: np.ndarray) -> np.ndarray:
    """``R[i, j]``: rank of ``j`` among the other points by distance from ``i`` (1 = nearest).

    ``R[i, i] = 0``; ties are broken by index.
    """
    D = D.copy()
    np.fill_diagonal(D, -1.0)
    order = np.argsort(D, axis=1, kind="stable")
    R = np.empty_like(order)
    np.put_along_axis(R, order, np.arange(len(D))[None, :], axis=1)
    return R


def _neighbours(R: np.ndarray, k: int) -> np.ndarray:
    """``(n, k)`` indices of each point's ``k`` nearest neighbours, nearest first."""
    order = np.empty_like(R)
    np.put_along_axis(order, R, np.arange(len(R))[None, :], axis=1)
    return order[:, 1 : k + 1]


def _trust(rx: np.ndarray, rz: np.ndarray, k: int) -> float:
    """Trustworthiness from the data ranks ``rx`` and the embedding ranks ``rz``."""
    n = len(rx)
    r = np.take_along_axis(rx, _neighbours(rz, k), axis=1)
    penalty = np.maximum(r - k, 0).sum()
    return float(1.0 - 2.0 * penalty / (n * k * (2.0 * n - 3.0 * k - 1.0)))


def _mrre(rx: np.ndarray, rz: np.ndarray, k: int) -> tuple[float, float]:
    """``(mrre_zx, mrre_xz)`` from the data and embedding ranks."""
    n = len(rx)
    scale = n * sum(abs(n + 1 - 2 * r) / r for r in range(1, k + 1))
    return _relative_rank_error(rx, rz, k) / scale, _relative_rank_error(rz, rx, k) / scale


def _relative_rank_error(ra: np.ndarray, rb: np.ndarray, k: int) -> float:
    """Sum over ``b``'s ``k``-neighbourhoods of ``|ra - rb| / rb`` (unnormalised MRRE)."""
    nb = _neighbours(rb, k)
    a, b = np.take_along_axis(ra, nb, axis=1), np.take_along_axis(rb, nb, axis=1)
    return float(np.sum(np.abs(a - b) / b))
