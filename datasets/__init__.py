"""Inputs: files read into arrays (:func:`load`) and seeded samples of known shapes.

>>> from tda_pipe.datasets import torus
>>> torus(100, seed=0).shape
(100, 3)
"""

from tda_pipe.datasets.readers import LoadedInput, load
from tda_pipe.datasets.shapes import (
    circle,
    klein_bottle,
    sphere,
    swiss_roll,
    torus,
    wedge_of_spheres,
)

__all__ = [
    "LoadedInput",
    "circle",
    "klein_bottle",
    "load",
    "sphere",
    "swiss_roll",
    "torus",
    "wedge_of_spheres",
]
