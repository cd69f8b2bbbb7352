"""Persistence diagram and barcode figures, and an atomic PNG writer.

Figures are built with :class:`matplotlib.figure.Figure` directly (never ``pyplot``), so they
render with Agg whatever backend the caller has chosen, and nothing is registered globally.
Each homology dimension ``p`` is drawn in colour ``C{p}`` in both plots. Essential classes
(``inf`` deaths) sit on a dashed line, ticked "∞", just above the largest finite death.

Examples
--------
>>> import numpy as np, pathlib, tempfile
>>> d = Diagrams([[[0.0, 0.3], [0.0, 0.5], [0.0, np.inf]], [[0.4, 1.2]]])
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> save_figure(plot_diagram(d, title="two clusters, one loop"), out / "diagram.png").name
'diagram.png'
>>> save_figure(plot_barcode(d), out / "barcode.png").stat().st_size > 10_000
True
"""

from __future__ import annotations

import io
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from tda_pipe.tda.diagrams import Diagrams

__all__ = ["plot_barcode", "plot_diagram", "png_bytes", "save_figure"]

DPI = 150
INF_COLOR = "0.35"


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    return fig, fig.add_subplot()


def _check_dims(diagrams: Diagrams, dims: Sequence[int] | None) -> list[int]:
    if dims is None:
        return list(range(len(diagrams)))
    dims = [int(p) for p in dims]
    if not dims or not all(0 <= p < len(diagrams) for p in dims):
        raise ValueError(f"dims must be non-empty, within H0..H{len(diagrams) - 1}; got {dims}")
    return dims


def _scale(diagrams: Diagrams, dims: Sequence[int]) -> tuple[float, float, float]:
    """``(low, high, inf_level)``: the finite range drawn and where essential classes go."""
    values = np.concatenate([np.ravel(diagrams[p]) for p in dims])
    finite = values[np.isfinite(values)]
    low = min(0.0, float(finite.min())) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 1.0
    if high <= low:
        high = low + 1.0
    return low, high, high + 0.1 * (high - low)


def _mark_infinity(ax: Axes, high: float, inf_level: float, horizontal: bool) -> None:
    """A dashed line at ``inf_level`` for ``death = inf``, with an "∞" tick on its axis.

    Call it once the axis limits are set; ticks above ``high`` are dropped to make room.
    """
    style = {"color": INF_COLOR, "linestyle": "--", "linewidth": 1.0, "zorder": 1.8}
    if horizontal:
        ax.axhline(inf_level, **style)
        axis = ax.yaxis
    else:
        ax.axvline(inf_level, **style)
        axis = ax.xaxis
    lowest = min(axis.get_view_interval())
    slack = 1e-9 * (inf_level - lowest)  # keep a tick that equals ``high`` up to rounding
    ticks = [t for t in axis.get_majorticklocs() if lowest - slack <= t <= high + slack]
    labels = axis.get_major_formatter().format_ticks(ticks)
    axis.set_ticks([*ticks, inf_level], [*labels, "∞"])


def plot_diagram(
    diagrams: Diagrams,
    ax: Axes | None = None,
    dims: Sequence[int] | None = None,
    title: str | None = None,
) -> Figure:
    """Scatter plot of the ``(birth, death)`` points, one colour per homology dimension.

    Points far from the diagonal are the persistent classes. Essential classes are drawn as
    triangles on a dashed line ticked "∞" above the largest finite death, with their
    multiplicity ("×2") where several share a birth.

    Parameters
    ----------
    diagrams : Diagrams
    ax : matplotlib Axes, optional
        Draw into this axes; by default a new 5 x 5 inch figure at 150 dpi is made.
    dims : sequence of int, optional
        Homology dimensions to draw (default all).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the axes. The finite points of dimension ``p`` are the scatter
        collection labelled ``H{p}``; essential ones, if any, the one labelled ``_H{p} essential``.

    Examples
    --------
    >>> d = Diagrams([[[0.0, 1.0], [0.0, np.inf]], [[0.5, 2.0]]])
    >>> fig = plot_diagram(d, title="example")
    >>> [c.get_label() for c in fig.axes[0].collections]
    ['_below', 'H0', '_H0 essential', 'H1']
    """
    dims = _check_dims(diagrams, dims)
    fig, ax = _new_axes(ax, (5.0, 5.0))
    low, high, inf_level = _scale(diagrams, dims)
    top = inf_level + 0.05 * (high - low)
    pad = 0.03 * (high - low)
    ax.plot([low - pad, top], [low - pad, top], color="0.6", linewidth=1.0, zorder=1)
    ax.fill_between(
        [low - pad, top], low - pad, [low - pad, top], color="0.93", zorder=0, label="_below"
    )
    for i, p in enumerate(dims):
        dgm = diagrams[p]
        essential = np.isinf(dgm[:, 1])
        style = {"color": f"C{p}", "edgecolors": "white", "linewidths": 0.4, "zorder": 3}
        ax.scatter(dgm[~essential, 0], dgm[~essential, 1], s=18, alpha=0.8, label=f"H{p}", **style)
        if essential.any():
            ax.scatter(
                dgm[essential, 0],
                np.full(int(essential.sum()), inf_level),
                s=70 * 0.55**i,  # smaller for later dims: coinciding triangles stay visible
                marker="^",
                label=f"_H{p} essential",
                clip_on=False,
                **style,
            )
            births, counts = np.unique(dgm[essential, 0], return_counts=True)
            for birth, count in zip(births[counts > 1], counts[counts > 1]):
                ax.annotate(
                    f"×{count}",
                    (birth, inf_level),
                    xytext=(7 + 18 * i, 2),
                    textcoords="offset points",
                    color=f"C{p}",
                    fontsize=8,
                )
    ax.set(xlim=(low - pad, top), ylim=(low - pad, top), xlabel="birth", ylabel="death")
    ax.set_aspect("equal")
    handles, labels = ax.get_legend_handles_labels()
    if any(np.isinf(diagrams[p][:, 1]).any() for p in dims):
        _mark_infinity(ax, high, inf_level, horizontal=True)
        handles.append(Line2D([], [], color=INF_COLOR, marker="^", linestyle="--"))
        labels.append("essential")
    ax.legend(handles, labels, loc="lower right", title="dimension")
    if title:
        ax.set_title(title)
    return fig


def plot_barcode(
    diagrams: Diagrams,
    ax: Axes | None = None,
    dims: Sequence[int] | None = None,
    max_bars: int | None = None,
    title: str | None = None,
) -> Figure:
    """Horizontal bars from birth to death, grouped by dimension, longest first in each.

    Essential bars run to the dashed "∞" line and end in an arrow head.

    Parameters
    ----------
    diagrams : Diagrams
    ax : matplotlib Axes, optional
        Draw into this axes; by default a new figure at 150 dpi, taller with more bars.
    dims : sequence of int, optional
        Homology dimensions to draw (default all).
    max_bars : int, optional
        Draw at most this many bars per dimension, the longest; the title says how many of
        how many are shown for each cut dimension.
    title : str, optional
        First line of the title (default "barcode").

    Returns
    -------
    matplotlib.figure.Figure
        The figure holding the axes. The bars of dimension ``p`` are the line collection
        labelled ``H{p}``, from the top down.

    Examples
    --------
    >>> d = Diagrams([[[0.0, 1.0], [0.0, 0.5], [0.0, np.inf]], [[0.5, 2.0]]])
    >>> fig = plot_barcode(d, max_bars=2)
    >>> fig.axes[0].get_title()
    'barcode\\nlongest 2 bars per dimension shown (H0: 2 of 3)'
    >>> [len(c.get_segments()) for c in fig.axes[0].collections]
    [2, 1]
    """
    dims = _check_dims(diagrams, dims)
    kept, cut = {}, []
    for p in dims:
        total = len(diagrams[p])
        kept[p] = diagrams.most_persistent(p, total if max_bars is None else max_bars)
        if len(kept[p]) < total:
            cut.append(f"H{p}: {len(kept[p])} of {total}")
    n_rows = sum(max(len(rows), 1) for rows in kept.values())  # an empty dim keeps a row
    gap = max(1.0, 0.04 * n_rows)
    height = n_rows + gap * len(kept)
    fig, ax = _new_axes(ax, (7.0, float(np.clip(1.5 + 0.03 * height, 3.0, 9.0))))
    low, high, inf_level = _scale(diagrams, dims)
    slot_pts = ax.get_position().height * fig.get_figheight() * 72 / height
    width = float(np.clip(0.7 * slot_pts, 0.5, 6.0))
    y, ticks, labels = 0.0, [], []
    for p, rows in kept.items():
        if y > 0:
            ax.axhline(y - 0.5 - gap / 2, color="0.75", linewidth=0.8)
        essential = np.isinf(rows[:, 1])
        ys = y + np.arange(len(rows))
        ends = np.where(essential, inf_level, rows[:, 1])
        ax.hlines(ys, rows[:, 0], ends, color=f"C{p}", linewidth=width, label=f"H{p}")
        if essential.any():
            ax.plot(
                ends[essential],
                ys[essential],
                ">",
                color=f"C{p}",
                markersize=max(4.0, 1.2 * width),
                clip_on=False,
            )
        ticks.append(y + (max(len(rows), 1) - 1) / 2)
        labels.append(f"H{p}" if len(rows) else f"H{p}: none")
        y += max(len(rows), 1) + gap
    span = high - low
    ax.set_xlim(low - 0.02 * span, inf_level + 0.04 * span)
    ax.set_ylim(y - 0.5 - gap / 2, -0.5 - gap / 2)
    ax.set_yticks(ticks, labels)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("filtration value")
    ax.grid(axis="x", color="0.9")
    if any(np.isinf(rows[:, 1]).any() for rows in kept.values()):
        _mark_infinity(ax, high, inf_level, horizontal=False)
    lines = [title or "barcode"]
    if cut:
        lines.append(f"longest {max_bars} bars per dimension shown ({', '.join(cut)})")
    ax.set_title("\n".join(lines))
    return fig


def save_figure(fig: Figure, path: str | Path, dpi: float = DPI) -> Path:
    """Write ``fig`` as a PNG at ``path`` atomically.

    The image is written to a temporary file in the same folder and renamed over ``path``
    (:func:`os.replace`), so a reader never sees a half-written file and a failure leaves
    any earlier file in place.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Destination; its folder must exist.
    dpi : float
        Resolution of the PNG.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> fig = plot_diagram(Diagrams([[[0.0, 1.0]]]))
    >>> path = save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "d.png")
    >>> path.read_bytes()[:4]
    b'\\x89PNG'
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as handle:
            handle.write(png_bytes(fig, dpi))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def png_bytes(fig: Figure, dpi: float = DPI) -> bytes:
    """``fig`` rendered as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
