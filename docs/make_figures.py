"""Make the figure of the README and the docs site: ``python docs/make_figures.py``.

The persistence diagram and barcode of the torus shipped in ``examples/torus.npy`` (400
points in R^3), H0 and H1 of its Rips filtration: what ``tda-pipe analyze
examples/torus.npy`` computes. Written to ``docs/torus.png``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

import tda_pipe as tp
from tda_pipe.tda.plotting import plot_barcode, plot_diagram, save_figure

ROOT = Path(__file__).resolve().parent.parent
FIGURE = ROOT / "docs" / "torus.png"


def torus_figure() -> Figure:
    """Diagram (left) and barcode (right) of the shipped torus, side by side."""
    diagrams = tp.persistence(np.load(ROOT / "examples" / "torus.npy"), max_dim=1)
    fig = Figure(figsize=(10.0, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.2))
    plot_diagram(diagrams, ax=left, title="persistence diagram")
    plot_barcode(diagrams, ax=right, title="barcode")
    fig.suptitle("examples/torus.npy: 400 points on a torus, Rips H0 and H1")
    return fig


if __name__ == "__main__":
    print(save_figure(torus_figure(), FIGURE, dpi=100))
