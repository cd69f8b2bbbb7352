"""Seeded samples of shapes with known topology: circle, spheres, torus, Klein bottle, wedge.

Every generator returns a float64 ``(n, ambient)`` array, draws from its own
:func:`numpy.random.default_rng` (``numpy.random``'s global state is never touched), samples
uniformly on the shape where that is cheap, and adds isotropic Gaussian noise of standard
deviation ``noise``. Circles, spheres and the Swiss roll come from tadasets; the torus, the
Klein bottle and the wedge are drawn here (tadasets' uniform torus ignores its seed).
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral, Real

import numpy as np

from tda_pipe.errors import InputError


def circle(
    n: int = 200, radius: float = 1.0, noise: float = 0.0, seed: int | None = None
) -> np.ndarray:
    """Sample ``n`` points uniformly on a circle in the plane, centred at the origin.

    Parameters
    ----------
    n : int, default 200
        Number of points.
    radius : float, default 1.0
        Radius of the circle.
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int, optional
        Seed; the same seed gives the same points.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` float64 points.

    Examples
    --------
    >>> import numpy as np
    >>> X = circle(100, radius=2.0, seed=0)
    >>> X.shape
    (100, 2)
    >>> bool(np.allclose(np.linalg.norm(X, axis=1), 2.0))
    True
    """
    _check("circle", n=n, radius=radius, noise=noise)
    return sphere(n, dim=1, radius=radius, noise=noise, seed=seed)


def sphere(
    n: int = 500,
    dim: int = 2,
    radius: float = 1.0,
    noise: float = 0.0,
    seed: int | None = None,
) -> np.ndarray:
    """Sample ``n`` points uniformly on the ``dim``-sphere in R^(dim + 1), centred at the origin.

    Parameters
    ----------
    n : int, default 500
        Number of points.
    dim : int, default 2
        Dimension of the sphere (1: a circle, 2: the usual sphere).
    radius : float, default 1.0
        Radius.
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int, optional
        Seed; the same seed gives the same points.

    Returns
    -------
    numpy.ndarray
        ``(n, dim + 1)`` float64 points.
    """
    _check("sphere", n=n, dim=dim, radius=radius, noise=noise)
    import tadasets  # imported here: it pulls in matplotlib

    return np.asarray(tadasets.dsphere(n, d=dim, r=radius, noise=noise, seed=seed), float)


def torus(
    n: int = 500,
    R: float = 2.0,
    r: float = 1.0,
    noise: float = 0.0,
    seed: int | None = None,
) -> np.ndarray:
    """Sample ``n`` points uniformly (by area) on a torus of revolution in R^3.

    The torus is ``(sqrt(x^2 + y^2) - R)^2 + z^2 = r^2``, around the z axis. Angles along the
    tube are drawn by rejection sampling so that the outer side, which has more area, gets
    more points.

    Parameters
    ----------
    n : int, default 500
        Number of points.
    R : float, default 2.0
        Distance from the centre of the tube to the z axis; must exceed ``r``.
    r : float, default 1.0
        Radius of the tube.
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int, optional
        Seed; the same seed gives the same points.

    Returns
    -------
    numpy.ndarray
        ``(n, 3)`` float64 points.
    """
    _check("torus", n=n, R=R, r=r, noise=noise)
    _check_radii("torus", R, r)
    rng = np.random.default_rng(seed)
    u = rng.uniform(0.0, 2 * np.pi, n)
    v = _rejection_angles(rng, n, lambda v: R + r * np.cos(v), bound=R + r)
    ring = R + r * np.cos(v)
    X = np.column_stack([ring * np.cos(u), ring * np.sin(u), r * np.sin(v)])
    return _add_noise(X, noise, rng)


def klein_bottle(
    n: int = 500,
    R: float = 2.0,
    r: float = 1.0,
    noise: float = 0.0,
    seed: int | None = None,
) -> np.ndarray:
    """Sample ``n`` points uniformly (by area) on the standard Klein bottle in R^4.

    The embedding is the torus whose tube turns half a revolution on its way round::

        x = (R + r cos v) cos u      z = r sin v cos(u / 2)
        y = (R + r cos v) sin u      w = r sin v sin(u / 2)

    for angles ``u, v`` in [0, 2 pi); ``v`` is drawn by rejection sampling on the area
    density ``sqrt((R + r cos v)^2 + (r sin v / 2)^2)``.

    Parameters
    ----------
    n : int, default 500
        Number of points.
    R : float, default 2.0
        Radius of the central circle; must exceed ``r``.
    r : float, default 1.0
        Radius of the tube.
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int, optional
        Seed; the same seed gives the same points.

    Returns
    -------
    numpy.ndarray
        ``(n, 4)`` float64 points.
    """
    _check("klein_bottle", n=n, R=R, r=r, noise=noise)
    _check_radii("klein_bottle", R, r)
    rng = np.random.default_rng(seed)
    u = rng.uniform(0.0, 2 * np.pi, n)
    v = _rejection_angles(
        rng, n, lambda v: np.hypot(R + r * np.cos(v), r * np.sin(v) / 2), bound=R + r
    )
    ring, twist = R + r * np.cos(v), r * np.sin(v)
    X = np.column_stack(
        [ring * np.cos(u), ring * np.sin(u), twist * np.cos(u / 2), twist * np.sin(u / 2)]
    )
    return _add_noise(X, noise, rng)


def swiss_roll(n: int = 500, noise: float = 0.0, seed: int | None = None) -> np.ndarray:
    """Sample ``n`` points on a Swiss roll in R^3 (tadasets' parametrisation).

    ``x = t cos t, y = t sin t`` with ``t`` uniform in [1.5 pi, 4.5 pi], and height ``z``
    uniform in [0, 10]. Uniform in ``(t, z)``, so the inner turns are denser.

    Parameters
    ----------
    n : int, default 500
        Number of points.
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int, optional
        Seed; the same seed gives the same points.

    Returns
    -------
    numpy.ndarray
        ``(n, 3)`` float64 points.
    """
    _check("swiss_roll", n=n, noise=noise)
    import tadasets  # imported here: it pulls in matplotlib

    return np.asarray(tadasets.swiss_roll(n, noise=noise, seed=seed), float)


def wedge_of_spheres(
    n: int = 1000,
    dim: int = 2,
    n_spheres: int = 2,
    radius: float = 1.0,
    noise: float = 0.0,
    seed: int | None = None,
) -> np.ndarray:
    """Sample ``n`` points on ``n_spheres`` equal ``dim``-spheres that meet only at the origin.

    The wedge point is the origin; each sphere passes through it and no two share any other
    point. Spheres come in pairs touching from opposite sides along one axis (sphere ``2k``
    centred at ``+radius`` on axis ``dim + k``, sphere ``2k + 1`` at ``-radius``), each pair
    on its own axis, so the ambient dimension is ``dim + ceil(n_spheres / 2)``: two
    2-spheres sit in R^3. Rows are grouped by sphere, in order, as
    ``numpy.array_split(X, n_spheres)`` splits them.

    Parameters
    ----------
    n : int, default 1000
        Number of points, at least ``n_spheres``; shared out as evenly as possible.
    dim : int, default 2
        Dimension of each sphere.
    n_spheres : int, default 2
        Number of spheres.
    radius : float, default 1.0
        Radius of every sphere.
    noise : float, default 0.0
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : int, optional
        Seed; the same seed gives the same points.

    Returns
    -------
    numpy.ndarray
        ``(n, dim + ceil(n_spheres / 2))`` float64 points.
    """
    _check("wedge_of_spheres", n=n, dim=dim, n_spheres=n_spheres, radius=radius, noise=noise)
    if n < n_spheres:
        raise InputError(f"wedge_of_spheres: n={n} is fewer than n_spheres={n_spheres}")
    rng = np.random.default_rng(seed)
    ambient = dim + (n_spheres + 1) // 2
    X = np.zeros((n, ambient))
    for k, rows in enumerate(np.array_split(np.arange(n), n_spheres)):
        axis, sign = dim + k // 2, 1.0 if k % 2 == 0 else -1.0
        on_sphere = rng.standard_normal((len(rows), dim + 1))
        on_sphere *= radius / np.linalg.norm(on_sphere, axis=1, keepdims=True)
        X[np.ix_(rows, [*range(dim), axis])] = on_sphere
        X[rows, axis] += sign * radius
    return _add_noise(X, noise, rng)


def _rejection_angles(
    rng: np.random.Generator, n: int, density: Callable[[np.ndarray], np.ndarray], bound: float
) -> np.ndarray:
    """``n`` angles in [0, 2 pi) with probability proportional to ``density <= bound``."""
    accepted = np.empty(0)
    while accepted.size < n:
        v = rng.uniform(0.0, 2 * np.pi, 2 * (n - accepted.size))
        accepted = np.concatenate([accepted, v[rng.uniform(0.0, bound, v.size) < density(v)]])
    return accepted[:n]


def _add_noise(X: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    if noise:
        X += noise * rng.standard_normal(X.shape)
    return X


def _check(shape: str, **values: float) -> None:
    """InputError unless counts are integers >= 1 and radii, noise are finite and in range."""
    for name, value in values.items():
        if name in ("n", "dim", "n_spheres"):
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise InputError(f"{shape}: {name} must be an integer >= 1, not {value!r}")
        elif isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(value):
            raise InputError(f"{shape}: {name} must be a finite number, not {value!r}")
        elif name == "noise" and value < 0:
            raise InputError(f"{shape}: noise must be >= 0, not {value!r}")
        elif name != "noise" and value <= 0:
            raise InputError(f"{shape}: {name} must be > 0, not {value!r}")


def _check_radii(shape: str, R: float, r: float) -> None:
    if R <= r:
        raise InputError(f"{shape}: R={R} must exceed r={r} (the tube would cross itself)")
