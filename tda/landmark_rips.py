"""Rips persistence of a large cloud from its maxmin landmarks, with a stated bound.

For a set ``X`` too large for the exact Rips complex (10^5 embedding vectors in R^768, say),
the Rips filtration of ``m`` farthest-point landmarks ``L`` of ``X``
(:func:`~tda_pipe.tda.sampling.maxmin_landmarks`) is computed instead. With ``eps`` the cover
radius (every point lies within ``eps`` of a landmark, so the Hausdorff distance from ``L`` to
``X`` is ``eps``), the Rips filtrations by edge length, tda-pipe's convention (an edge enters
at its length, a simplex at its longest edge), are ``2 eps``-interleaved: ``R_t(L)`` is inside
``R_t(X)``, and sending each point to its nearest landmark maps ``R_t(X)`` into
``R_{t + 2 eps}(L)``. So in every homology dimension the bottleneck distance between the
landmark diagram and the diagram of all the points is at most ``2 eps`` (Chazal, de Silva,
Oudot, "Persistence stability for geometric complexes", 2014: ``d_B <= 2 d_GH(X, L) <= 2 eps``).
A landmark bar longer than ``4 eps`` is a bar of the full diagram; shorter ones may be noise.

Examples
--------
>>> from tda_pipe.datasets import circle
>>> filt = landmark_rips(circle(2000, seed=0), 100)
>>> filt.describe()  # doctest: +ELLIPSIS
'landmark-rips filtration on 100 vertices (100 maxmin landmarks of 2000 points, ...)'
>>> filt.approximation["bottleneck_bound"] == 2 * filt.cover_radius
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral
from typing import ClassVar

import numpy as np

from tda_pipe.errors import InputError
from tda_pipe.progress import phase
from tda_pipe.tda.filtrations import RipsFiltration
from tda_pipe.tda.resources import TIME_LIMIT_S, check_fits, landmark_estimate
from tda_pipe.tda.sampling import maxmin_landmarks
from tda_pipe.tda.validation import available_memory, check_points

__all__ = ["DEFAULT_LANDMARKS", "LandmarkRipsFiltration", "check_landmarks", "landmark_rips"]

#: Landmarks taken when none are asked. Measured (gudhi, H0-H1, 2 cores under a load average of
#: 12 from other work): 1000 landmarks of a noisy torus in R^768 4-9 s, 2000 landmarks 40-56 s.
DEFAULT_LANDMARKS = 1000


@dataclass(eq=False)
class LandmarkRipsFiltration(RipsFiltration):
    """The Rips filtration of landmarks of a larger cloud.

    ``points`` holds the landmarks' coordinates (vertex ``k`` is row ``landmarks[k]`` of the
    cloud: persistence pairs name landmarks), ``cover_radius`` the largest distance from a
    point of the cloud to its nearest landmark, ``n_points`` the size of the cloud.
    """

    kind: ClassVar[str] = "landmark-rips"
    landmarks: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    cover_radius: float = 0.0
    n_points: int = 0

    @property
    def approximation(self) -> dict:
        """What these diagrams approximate and how closely, JSON-ready (saved with them)."""
        bound = 2.0 * self.cover_radius
        return {
            "method": "maxmin landmarks",
            "n_points": self.n_points,
            "n_landmarks": len(self.landmarks),
            "cover_radius": self.cover_radius,
            "bottleneck_bound": bound,
            "statement": (
                f"Rips on {len(self.landmarks)} maxmin landmarks of {self.n_points} points: "
                f"every point is within {self.cover_radius:.4g} of a landmark, so each diagram "
                f"is within bottleneck distance {bound:.4g} of the Rips diagram of all the "
                f"points (edge-length scale): a bar longer than {2 * bound:.4g} is matched to a "
                "bar of the full diagram"
            ),
        }

    def describe(self) -> str:
        text = (
            f"{self.kind} filtration on {self.n_vertices} vertices ({len(self.landmarks)} "
            f"maxmin landmarks of {self.n_points} points, cover radius {self.cover_radius:.4g})"
        )
        return f"{text[:-1]}; {self.reason})" if self.reason else text


def check_landmarks(landmarks, n_points: int) -> int:
    """``landmarks`` as an int, or an :class:`InputError`: an integer from 2 to the number of
    points (``None``: :data:`DEFAULT_LANDMARKS`, or all the points if there are fewer)."""
    if landmarks is None:
        return min(DEFAULT_LANDMARKS, n_points)
    if isinstance(landmarks, bool) or not isinstance(landmarks, Integral):
        raise InputError(f"--landmarks must be an integer, got {landmarks!r}")
    if not 2 <= landmarks <= n_points:
        raise InputError(
            f"--landmarks must be between 2 and the number of points ({n_points}), got "
            f"{landmarks}; more landmarks give a smaller cover radius and a tighter bound"
        )
    return int(landmarks)


def landmark_rips(
    data, landmarks: int | None = None, *, max_dim: int = 1, metric: str = "euclidean", seed=0
) -> LandmarkRipsFiltration:
    """Rips filtration of ``landmarks`` maxmin landmarks of the points ``data``.

    Parameters
    ----------
    data : array-like of shape (n, d)
        The points (Euclidean: the bound rests on the triangle inequality of the metric the
        landmarks are chosen in, and on the Rips filtration using the same one).
    landmarks : int, optional
        How many; more is slower and closer (the cover radius falls). Default
        :data:`DEFAULT_LANDMARKS`.
    max_dim : int
        The homology asked, for the check made before anything is computed: more than 80% of
        the available memory or more than 10 minutes
        (:func:`~tda_pipe.tda.resources.landmark_estimate`) is an :class:`InputError`.
    seed : int
        Chooses the first landmark.
    """
    if metric != "euclidean":
        raise InputError(
            f"landmark Rips chooses landmarks in the Euclidean metric, not {metric!r}; for "
            "cosine distances normalise the vectors to unit length and use euclidean"
        )
    X = check_points(data)
    m = check_landmarks(landmarks, len(X))
    check_fits(
        landmark_estimate(len(X), X.shape[1], m, max_dim),
        available_memory(),
        f"use fewer landmarks (--landmarks {max(2, m // 2)}), a lower --max-dim, or subsample "
        "the points (--sample N)",
        time_limit=TIME_LIMIT_S,
    )
    with phase(f"choosing {m} maxmin landmarks of {len(X)} points"):
        marks = maxmin_landmarks(X, m, seed=seed)
    return LandmarkRipsFiltration(
        points=X[marks.indices],
        landmarks=marks.indices,
        cover_radius=marks.cover_radius,
        n_points=len(X),
    )
