"""Inputs: files read into arrays (:func:`load`) and seeded samples of known shapes.

>>> from tda_pipe.datasets import torus
>>> torus(100, seed=0).shape
(100, 3)
"""

from tda_pipe.datasets.collection import (
    ShapeCollection,
    read_collection,
    shape_collection,
    write_collection,
)
from tda_pipe.datasets.readers import LoadedInput, load
from tda_pipe.datasets.shapes import (
    circle,
    klein_bottle,
    sphere,
    swiss_roll,
    torus,
    wedge_of_spheres,
)
from tda_pipe.datasets.singular import crossing_planes, pinched_torus
from tda_pipe.datasets.topoae import digits, spheres

__all__ = [
    "LoadedInput",
    "ShapeCollection",
    "circle",
    "crossing_planes",
    "digits",
    "klein_bottle",
    "load",
    "pinched_torus",
    "read_collection",
    "shape_collection",
    "sphere",
    "spheres",
    "swiss_roll",
    "torus",
    "wedge_of_spheres",
    "write_collection",
]
