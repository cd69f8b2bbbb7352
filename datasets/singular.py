"""Seeded samples of shapes with singular points: a pinched torus, two crossing planes.

Each is a 2-dimensional shape in R^3 that is a manifold everywhere except on a known set (the
pinch point; the line where the planes cross), for testing singularity detection
(:mod:`tda_pipe.tda.singularity`). Conventions as in :mod:`tda_pipe.datasets.shapes`: a
float64 ``(n, 3)`` array, an own :func:`numpy.random.default_rng`, uniform sampling by area,
and isotropic Gaussian noise of standard deviation ``noise``. The wedge of spheres is
:func:`tda_pipe.datasets.shapes.wedge_of_spheres`.
"""

from __future__ import annotations

import numpy as np

from tda_pipe.datasets.shapes import _add_noise, _check, _check_radii
from tda_pipe.errors import InputError

__all__ = ["crossing_planes", "pinched_torus"]


def pinched_torus(
    n: int = 1000,
    R: float = 2.0,
    r: float = 1.0,
    noise: float = 0.0,
    seed: int | None = None,
) -> np.ndarray:
    """Sample ``n`` points uniformly (by area) on a torus whose tube is pinched to a point.

    The tube radius ``r |sin(u / 2)|`` shrinks to zero at angle ``u = 0``::

        x = (R + rho cos v) cos u     y = (R + rho cos v) sin u     z = rho sin v,
        rho = r sin(u / 2),  u, v in [0, 2 pi),

    so the pinch point is ``(R, 0, 0)``: there the surface looks like two cones meeting at
    their tips. Angles are drawn by rejection sampling on the area element
    ``rho * sqrt(rho'^2 + (R + rho cos v)^2)``.

    Parameters
    ----------
    n : int, default 1000
        Number of points.
    R : float, default 2.0
        Distance from the centre of the tube to the z axis; must exceed ``r``.
    r : float, default 1.0
        Largest radius of the tube (at ``u = pi``).
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int, optional
        Seed; the same seed gives the same points.

    Returns
    -------
    numpy.ndarray
        ``(n, 3)`` float64 points.

    Examples
    --------
    >>> import numpy as np
    >>> X = pinched_torus(500, seed=0)
    >>> X.shape
    (500, 3)
    >>> bool(np.abs(X[:, 2]).max() <= 1.0)  # the tube is at most r = 1 thick
    True
    """
    _check("pinched_torus", n=n, R=R, r=r, noise=noise)
    _check_radii("pinched_torus", R, r)
    rng = np.random.default_rng(seed)
    bound = r * np.hypot(r / 2, R + r)
    u, v = np.empty(0), np.empty(0)
    while u.size < n:
        cu = rng.uniform(0.0, 2 * np.pi, 2 * (n - u.size))
        cv = rng.uniform(0.0, 2 * np.pi, cu.size)
        rho, drho = r * np.sin(cu / 2), r * np.cos(cu / 2) / 2
        keep = rng.uniform(0.0, bound, cu.size) < rho * np.hypot(drho, R + rho * np.cos(cv))
        u, v = np.concatenate([u, cu[keep]]), np.concatenate([v, cv[keep]])
    u, v = u[:n], v[:n]
    rho = r * np.sin(u / 2)
    ring = R + rho * np.cos(v)
    X = np.column_stack([ring * np.cos(u), ring * np.sin(u), rho * np.sin(v)])
    return _add_noise(X, noise, rng)


def crossing_planes(
    n: int = 1000,
    angle: float = np.pi / 2,
    size: float = 1.0,
    noise: float = 0.0,
    seed: int | None = None,
) -> np.ndarray:
    """Sample ``n`` points on two squares in R^3 that cross along the y axis.

    The first square is ``{(x, y, 0) : |x|, |y| <= size}``; the second is the first turned by
    ``angle`` about the y axis. Their intersection, the segment ``x = z = 0``, is the singular
    set; the squares' edges are boundary. Rows are grouped by plane: the first ``ceil(n / 2)``
    lie on the first square.

    Parameters
    ----------
    n : int, default 1000
        Number of points, at least 2.
    angle : float, default pi / 2
        Angle between the planes, in radians, in (0, pi).
    size : float, default 1.0
        Half the side of each square.
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int, optional
        Seed; the same seed gives the same points.

    Returns
    -------
    numpy.ndarray
        ``(n, 3)`` float64 points.

    Examples
    --------
    >>> import numpy as np
    >>> X = crossing_planes(400, seed=0)
    >>> X.shape
    (400, 3)
    >>> bool(np.allclose(X[:200, 2], 0.0) and np.allclose(X[200:, 0], 0.0))
    True
    """
    _check("crossing_planes", n=n, size=size, noise=noise)
    if n < 2:
        raise InputError(f"crossing_planes: n={n} is too small; use n >= 2")
    if not 0 < angle < np.pi:
        raise InputError(f"crossing_planes: angle must lie in (0, pi), not {angle!r}")
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-size, size, (2, n))
    first = np.arange(n) < (n + 1) // 2
    turn = np.where(first, 0.0, angle)
    X = np.column_stack([x * np.cos(turn), y, x * np.sin(turn)])
    return _add_noise(X, noise, rng)
