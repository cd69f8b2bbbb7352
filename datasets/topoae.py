"""Labelled benchmark data of the topological autoencoder paper: Spheres and digits.

:func:`spheres` draws the synthetic *Spheres* data of Moor, Horn, Rieck and Borgwardt,
"Topological Autoencoders", ICML 2020: ten high-dimensional spheres, shifted at random, inside
one large sphere that encloses them all. :func:`digits` is scikit-learn's bundled 8x8
handwritten digits (no download), scaled to [0, 1].

Examples
--------
>>> X, y = spheres(n_per_sphere=20, ambient_dim=11, seed=0)
>>> X.shape, int(y.max())
((400, 11), 10)
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from tda_pipe.datasets.shapes import _check
from tda_pipe.errors import InputError

__all__ = ["digits", "spheres"]


def spheres(
    n_per_sphere: int = 500,
    ambient_dim: int = 101,
    n_spheres: int = 10,
    radius: float = 5.0,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The *Spheres* data: ``n_spheres`` small spheres inside one sphere five times as large.

    Each small sphere is a ``(ambient_dim - 1)``-sphere of radius ``radius`` with
    ``n_per_sphere`` points drawn uniformly on it, its centre shifted by a Gaussian vector with
    standard deviation ``10 / sqrt(ambient_dim - 1)`` per coordinate. The enclosing sphere has
    radius ``5 * radius``, is centred at the origin and holds ``n_spheres * n_per_sphere`` points.
    The defaults are the paper's: ten 100-spheres in R^101 of radius 5 with 500 points each, and
    5 000 points on the sphere of radius 25: 10 x 500 + 5 000 = 10 000 points in all (Moor et
    al., ICML 2020).

    Parameters
    ----------
    n_per_sphere : int, default 500
        Points on each small sphere; the enclosing one gets ``n_spheres`` times as many.
    ambient_dim : int, default 101
        Dimension of the space; the spheres have dimension ``ambient_dim - 1``. At least 2.
    n_spheres : int, default 10
        Number of small spheres.
    radius : float, default 5.0
        Radius of the small spheres.
    seed : int or None, default 0
        Seed; the same seed gives the same points.

    Returns
    -------
    X : numpy.ndarray
        ``(2 * n_spheres * n_per_sphere, ambient_dim)`` float64 points, sphere by sphere.
    labels : numpy.ndarray
        int64 label of each point: ``0 .. n_spheres - 1`` for the small spheres, ``n_spheres``
        for the enclosing one.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = spheres(n_per_sphere=50, ambient_dim=6, seed=1)
    >>> X.shape, np.bincount(y).tolist()[-2:]
    ((1000, 6), [50, 500])
    >>> bool(np.allclose(np.linalg.norm(X[y == 10], axis=1), 25.0))
    True
    """
    _check("spheres", n=n_per_sphere, n_spheres=n_spheres, radius=radius)
    if isinstance(ambient_dim, bool) or not isinstance(ambient_dim, Integral) or ambient_dim < 2:
        raise InputError(f"spheres: ambient_dim must be an integer >= 2, not {ambient_dim!r}")
    rng = np.random.default_rng(seed)
    shifts = rng.normal(0.0, 10.0 / np.sqrt(ambient_dim - 1), (n_spheres, ambient_dim))
    parts = [_on_sphere(rng, n_per_sphere, ambient_dim, radius) + shift for shift in shifts]
    parts.append(_on_sphere(rng, n_spheres * n_per_sphere, ambient_dim, 5 * radius))
    labels = np.repeat(np.arange(n_spheres + 1), [n_per_sphere] * n_spheres + [len(parts[-1])])
    return np.concatenate(parts), labels.astype(np.int64)


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1 797 handwritten 8x8 digits, pixel values scaled to [0, 1].

    Returns
    -------
    X : numpy.ndarray
        ``(1797, 64)`` float64 images, one flattened image per row.
    labels : numpy.ndarray
        int64 digit of each image, 0 to 9.

    Examples
    --------
    >>> X, y = digits()
    >>> X.shape, float(X.max()), sorted(set(y.tolist())) == list(range(10))
    ((1797, 64), 1.0, True)
    """
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

    bunch = load_digits()
    return bunch.data / 16.0, bunch.target.astype(np.int64)


def _on_sphere(rng: np.random.Generator, n: int, ambient_dim: int, radius: float) -> np.ndarray:
    """``n`` points uniform on the sphere of ``radius`` about the origin of R^ambient_dim."""
    points = rng.standard_normal((n, ambient_dim))
    return radius * points / np.linalg.norm(points, axis=1, keepdims=True)
