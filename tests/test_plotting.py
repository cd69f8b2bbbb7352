"""Diagram and barcode figures: what is drawn, the essential classes, and atomic PNG writing."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from PIL import Image

from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.plotting import plot_barcode, plot_diagram, save_figure

INF = np.inf
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def diagrams() -> Diagrams:
    h0 = [[0.0, 0.1], [0.0, 0.4], [0.0, 0.25], [0.0, INF]]
    h1 = [[0.3, 1.5], [0.35, 0.45], [0.5, 0.6]]
    h2 = [[0.9, 1.0], [0.0, INF], [0.0, INF]]
    return Diagrams([h0, h1, h2])


def collections(ax, kind: type) -> dict[str, object]:
    return {c.get_label(): c for c in ax.collections if isinstance(c, kind)}


def dashed_lines(ax) -> list:
    return [line for line in ax.get_lines() if line.get_linestyle() == "--"]


def test_plot_diagram_draws_every_point_by_dimension(diagrams):
    fig = plot_diagram(diagrams, title="three dims")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    points = collections(ax, PathCollection)
    assert set(points) == {"H0", "_H0 essential", "H1", "H2", "_H2 essential"}
    np.testing.assert_array_equal(points["H0"].get_offsets(), [[0, 0.1], [0, 0.4], [0, 0.25]])
    assert len(points["H1"].get_offsets()) == 3 and len(points["H2"].get_offsets()) == 1
    assert len(points["_H0 essential"].get_offsets()) == 1
    assert len(points["_H2 essential"].get_offsets()) == 2
    # one colour per dimension, shared by finite and essential points
    colours = {label: tuple(c.get_facecolor()[0][:3]) for label, c in points.items()}
    assert len({colours["H0"], colours["H1"], colours["H2"]}) == 3
    assert colours["H0"] == colours["_H0 essential"]
    # essential classes sit on one dashed line above the largest finite death, ticked "∞"
    (line,) = dashed_lines(ax)
    inf_level = line.get_ydata()[0]
    assert inf_level > 1.5 and inf_level < ax.get_ylim()[1]
    assert set(points["_H2 essential"].get_offsets()[:, 1]) == {inf_level}
    labels = {t.get_text(): t.get_position()[1] for t in ax.get_yticklabels()}
    assert labels["∞"] == inf_level
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["H0", "H1", "H2", "essential"]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("birth", "death", "three dims")
    assert any("×2" in t.get_text() for t in ax.texts)  # two essential H2 classes, one place


def test_plot_diagram_subset_of_dims_without_essential_classes(diagrams):
    (ax,) = plot_diagram(diagrams, dims=[1]).axes
    assert set(collections(ax, PathCollection)) == {"H1"}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["H1"]
    assert not dashed_lines(ax) and "∞" not in {t.get_text() for t in ax.get_yticklabels()}
    with pytest.raises(ValueError, match="within H0..H2"):
        plot_diagram(diagrams, dims=[3])


def test_plot_barcode_bars_grouped_longest_first(diagrams):
    fig = plot_barcode(diagrams)
    (ax,) = fig.axes
    bars = collections(ax, LineCollection)
    assert list(bars) == ["H0", "H1", "H2"]
    counts = {p: len(c.get_segments()) for p, c in bars.items()}
    assert counts == {"H0": 4, "H1": 3, "H2": 3}
    (line,) = dashed_lines(ax)
    inf_x = line.get_xdata()[0]
    assert inf_x > 1.5
    ys = []
    for label, c in bars.items():
        segments = np.array(c.get_segments())  # (n, 2 ends, xy)
        lengths = segments[:, 1, 0] - segments[:, 0, 0]
        assert np.all(np.diff(lengths) <= 0), label  # longest first
        ys.append(segments[:, 0, 1])
    ys = np.concatenate(ys)
    assert np.all(np.diff(ys) > 0) and ax.yaxis_inverted()  # H0 on top, groups in order
    # essential bars reach the dashed "∞" line, with one arrow head each
    h0 = np.array(bars["H0"].get_segments())
    assert h0[0, 1, 0] == inf_x and np.all(h0[1:, 1, 0] < inf_x)
    arrows = [line for line in ax.get_lines() if line.get_marker() == ">"]
    assert sum(len(a.get_xdata()) for a in arrows) == 3
    assert [t.get_text() for t in ax.get_yticklabels()] == ["H0", "H1", "H2"]
    assert "∞" in {t.get_text() for t in ax.get_xticklabels()}
    assert ax.get_xlabel() == "filtration value" and ax.get_title() == "barcode"


def test_plot_barcode_keeps_the_longest_bars_and_says_so():
    rng = np.random.default_rng(0)
    births = rng.uniform(0, 1, 50)
    h1 = np.column_stack([births, births + rng.uniform(0, 1, 50)])
    d = Diagrams([[[0.0, 0.5], [0.0, INF]], h1])
    (ax,) = plot_barcode(d, max_bars=10, title="cloud").axes
    bars = collections(ax, LineCollection)
    assert len(bars["H0"].get_segments()) == 2 and len(bars["H1"].get_segments()) == 10
    shown = np.array(bars["H1"].get_segments())
    np.testing.assert_allclose(
        np.sort(shown[:, 1, 0] - shown[:, 0, 0]), np.sort(h1[:, 1] - h1[:, 0])[-10:]
    )
    assert ax.get_title() == "cloud\nlongest 10 bars per dimension shown (H1: 10 of 50)"


def test_plots_draw_into_a_given_axes_and_leave_pyplot_alone(diagrams):
    import matplotlib.pyplot as plt

    backend, open_figures = matplotlib.get_backend(), plt.get_fignums()
    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    assert plot_diagram(diagrams, ax=left) is fig
    assert plot_barcode(diagrams, ax=right) is fig
    assert left.collections and right.collections
    plot_diagram(Diagrams([np.empty((0, 2))]))  # nothing to draw still makes a figure
    assert matplotlib.get_backend() == backend and plt.get_fignums() == open_figures


def test_save_figure_writes_a_png_atomically(tmp_path, diagrams):
    path = save_figure(plot_diagram(diagrams), tmp_path / "diagram.png")
    assert path == tmp_path / "diagram.png"
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 10_000
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == (750, 750)  # 5 in at 150 dpi
    save_figure(plot_barcode(diagrams), path)  # replaces the earlier file
    assert path.read_bytes() != data and path.read_bytes()[:8] == PNG_MAGIC
    assert [p.name for p in tmp_path.iterdir()] == ["diagram.png"]


def test_save_figure_failure_keeps_the_old_file(tmp_path, diagrams, monkeypatch):
    path = save_figure(plot_diagram(diagrams), tmp_path / "d.png")
    before = path.read_bytes()
    fig = plot_barcode(diagrams)

    def half_write(handle, **kwargs):
        handle.write(PNG_MAGIC)
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", half_write)
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["d.png"]


@pytest.mark.parametrize(
    ("births_deaths", "level"),
    [
        ([[0.5, 2.0], [1.0, np.inf]], 2.2),  # from 0 (the origin is always in range) to 2
        ([[-1.0, 1.0], [0.0, np.inf]], 1.2),  # a negative birth widens the range below 0
        ([[0.0, np.inf]], 1.1),  # nothing finite but 0: a unit range
    ],
)
def test_essential_classes_sit_a_tenth_of_the_range_above_the_largest_value(births_deaths, level):
    ax = plot_diagram([np.array(births_deaths)]).axes[0]
    (line,) = dashed_lines(ax)
    assert line.get_ydata()[0] == pytest.approx(level)
    essential = collections(ax, PathCollection)["_H0 essential"].get_offsets()
    assert np.allclose(essential[:, 1], level)  # the triangles sit on the line
    low, high = ax.get_xlim()
    assert low < min(0.0, np.min(births_deaths)) and high > level
