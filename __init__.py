"""tda-pipe: topological data analysis from point clouds, meshes and images.

The names below are imported when first used, so ``import tda_pipe`` costs almost nothing
and a command loads only what it needs.

>>> import numpy as np, tda_pipe as tp
>>> X = tp.datasets.circle(200, seed=0)
>>> d = tp.persistence(X, max_dim=1)
>>> d.betti(0.5)
[1, 1]
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tda-pipe")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

_LAZY = {
    "Diagrams": "tda_pipe.tda.diagrams",
    "InputError": "tda_pipe.errors",
    "bottleneck": "tda_pipe.tda.diagrams",
    "build_filtration": "tda_pipe.tda.filtrations",
    "datasets": None,  # the subpackage itself
    "persistence": "tda_pipe.tda.persistence",
    "wasserstein": "tda_pipe.tda.diagrams",
}

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


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'tda_pipe' has no attribute {name!r}")
    module = _LAZY[name]
    value = (
        importlib.import_module(f"tda_pipe.{name}")
        if module is None
        else getattr(importlib.import_module(module), name)
    )
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
