"""tda-pipe: topological data analysis from point clouds, meshes and images.

>>> import numpy as np, tda_pipe as tp
>>> X = tp.datasets.circle(200, seed=0)
>>> d = tp.persistence(X, max_dim=1)
>>> d.betti(0.5)
[1, 1]
"""

from importlib.metadata import PackageNotFoundError, version

from tda_pipe import datasets
from tda_pipe.errors import InputError
from tda_pipe.tda.diagrams import Diagrams, bottleneck, wasserstein
from tda_pipe.tda.filtrations import build_filtration
from tda_pipe.tda.persistence import persistence

try:
    __version__ = version("tda-pipe")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "Diagrams",
    "InputError",
    "bottleneck",
    "build_filtration",
    "datasets",
    "persistence",
    "wasserstein",
    "__version__",
]
