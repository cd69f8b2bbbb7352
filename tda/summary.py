"""The per-dimension summary written to ``summary.json`` and printed as a table."""

from __future__ import annotations

import numpy as np

from tda_pipe.tda._vectorization import persistence_entropy, total_persistence
from tda_pipe.tda.diagrams import Diagrams

__all__ = ["default_scales", "summarize"]


def default_scales(diagrams: Diagrams, n: int = 5) -> list[float]:
    """``n`` scales from 10% to 90% of the largest finite death (10, 25, 50, 75, 90% for 5).

    Evenly spread rather than quantiles of the deaths: the many short H0 bars would otherwise
    pull every scale below the birth of the loops and voids the reader is looking for.
    """
    deaths = np.concatenate([d[np.isfinite(d[:, 1]), 1] for d in diagrams])
    if deaths.size == 0 or deaths.max() <= 0:
        return []
    fractions = np.array([0.1, 0.25, 0.5, 0.75, 0.9]) if n == 5 else np.linspace(0.1, 0.9, n)
    return sorted({float(f"{v:.4g}") for v in fractions * deaths.max()})


def summarize(diagrams: Diagrams, scales: list[float] | None = None, top: int = 5) -> dict:
    """JSON-ready summary of ``diagrams``.

    Per dimension: number of classes (and essential ones), the ``top`` most persistent
    (birth, death) pairs, total persistence and persistence entropy of the finite classes, and
    Betti numbers at each of ``scales`` (default :func:`default_scales`).

    Examples
    --------
    >>> d = Diagrams([[[0.0, 1.0], [0.0, float("inf")]], [[0.2, 0.9]]])
    >>> s = summarize(d, scales=[0.5])
    >>> s["dimensions"]["H1"]["betti"], s["dimensions"]["H0"]["n_essential"]
    ({'0.5': 1}, 1)
    """
    scales = default_scales(diagrams) if scales is None else [float(s) for s in scales]
    dims = {}
    for p, dgm in enumerate(diagrams):
        top_rows = diagrams.most_persistent(p, top)
        dims[f"H{p}"] = {
            "n_classes": len(dgm),
            "n_finite": int(np.isfinite(dgm[:, 1]).sum()),
            "n_essential": int(np.isinf(dgm[:, 1]).sum()),
            "most_persistent": [[float(b), None if np.isinf(d) else float(d)] for b, d in top_rows],
            "total_persistence": total_persistence(dgm),
            "entropy": persistence_entropy(dgm),
            "betti": {f"{s:g}": diagrams.betti(s)[p] for s in scales},
        }
    return {
        "filtration": diagrams.filtration,
        "backend": diagrams.backend,
        "coeff": diagrams.coeff,
        "approximation": diagrams.approximation,
        "scales": scales,
        "dimensions": dims,
    }
