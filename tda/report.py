"""Results pages and cycle files: a self-contained interactive ``report.html`` (plotly, every
script inlined, nothing fetched), ``cycles.json`` and ``cycles.png``.

The page shows the persistence diagram, the barcode and the Betti curves beside a view of the
data (a 2-D scatter, a rotatable 3-D cloud, or the image); hovering or clicking a point of the
diagram draws its class's representative cycle on the data and marks its bar; the summary
table is below. Inputs with more than :data:`MAX_DRAWN_POINTS` points are drawn subsampled
(random rows), images with more than :data:`MAX_DRAWN_PIXELS` pixels strided, and the page says
so; a cycle is always drawn whole.

Every function takes the input as read (:class:`tda_pipe.datasets.LoadedInput`, or anything
with its ``kind`` and ``array``) and :class:`~tda_pipe.tda.diagrams.Diagrams`; cycles are
those of ``persistence(..., cycles=True)`` (:mod:`tda_pipe.tda.cycles`).

Examples
--------
>>> import numpy as np
>>> from types import SimpleNamespace
>>> from tda_pipe.tda.persistence import persistence
>>> angle = np.linspace(0, 2 * np.pi, 40, endpoint=False)
>>> ring = SimpleNamespace(kind="points", array=np.column_stack([np.cos(angle), np.sin(angle)]))
>>> d = persistence(ring.array, max_dim=1, cycles=True)
>>> sorted(cycle_files(ring, d, k=3))
['cycles.json', 'cycles.png']
>>> page = report_html(ring, d, title="ring")
>>> page.startswith("<!DOCTYPE html>"), "<script src=" in page
(True, False)
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence

import numpy as np

from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.sampling import random_rows

__all__ = [
    "CYCLES_DRAWN",
    "MAX_DRAWN_PIXELS",
    "MAX_DRAWN_POINTS",
    "batch_report_html",
    "cycle_files",
    "cycles_json",
    "cycles_png",
    "report_html",
]

MAX_DRAWN_POINTS = 5000
"""Points drawn in the page's data view; more are drawn as a random subsample."""
MAX_DRAWN_PIXELS = 250_000
"""Pixels drawn in the page's image view; a larger image is drawn strided."""
CYCLES_DRAWN = 10
"""Most persistent classes per dimension whose cycles the page carries."""

_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]
_HIGHLIGHT = "#d62728"


# -- geometry shared by the PNG and the page ---------------------------------------------------


class _View:
    """Where the data and its cycles are drawn: ``coords`` (``(n, 2)`` or ``(n, 3)``) of the
    vertices the cycles name, or an image; ``note`` says what was done to draw it."""

    def __init__(self, data) -> None:
        self.image: np.ndarray | None = None
        self.coords: np.ndarray | None = None
        self.note = ""
        array = np.asarray(data.array, dtype=np.float64)
        if data.kind == "image" and array.ndim == 2:
            self.image = array
            h, w = array.shape
            corner = np.arange((h + 1) * (w + 1))
            # corner (r, c) is the top-left corner of pixel (r, c): (x, y) = (c - 0.5, r - 0.5)
            self.coords = np.column_stack([corner % (w + 1), corner // (w + 1)]) - 0.5
        elif data.kind == "points" and array.ndim == 2:
            if array.shape[1] == 1:
                array = np.column_stack([array, np.zeros(len(array))])
            elif array.shape[1] > 3:
                from sklearn.decomposition import PCA

                array = PCA(n_components=3, random_state=0).fit_transform(array)
                self.note = f"points in R^{data.array.shape[1]} drawn on their 3 principal axes"
            self.coords = array
        elif data.kind == "image":
            self.note = f"a {array.ndim}-D image: no view drawn"
        else:
            self.note = "a distance matrix: no coordinates to draw"

    @property
    def dims(self) -> int:
        return 0 if self.coords is None else self.coords.shape[1]

    def segments(self, simplices: np.ndarray) -> np.ndarray:
        """The edges of ``simplices`` (an edge list, or the sides of triangles / squares) as
        ``(m, 2, dims)`` end points. Squares (4 corners, sorted) have sides 0-1, 0-2, 1-3, 2-3."""
        k = simplices.shape[1]
        sides = {2: [(0, 1)], 3: [(0, 1), (0, 2), (1, 2)], 4: [(0, 1), (0, 2), (1, 3), (2, 3)]}
        pairs = np.concatenate([simplices[:, [a, b]] for a, b in sides.get(k, [(0, 1)])])
        pairs = np.unique(np.sort(pairs, axis=1), axis=0)
        return self.coords[pairs]


def _persistent(diagrams: Diagrams, k: int) -> list[tuple[int, int, object]]:
    """``(dim, rank, cycle)`` of the ``k`` most persistent classes of each cycle dimension."""
    return [(p, r, c) for p in diagrams.cycle_dims for r, c in enumerate(diagrams.cycles(p)[:k])]


def _fmt(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.4g}"


def _label(p: int, cycle) -> str:
    return f"H{p} ({_fmt(cycle.birth)}, {_fmt(cycle.death)})"


# -- cycles.json and cycles.png ----------------------------------------------------------------


def cycles_json(data, diagrams: Diagrams, k: int) -> bytes:
    """``cycles.json``: the ``k`` most persistent classes of each dimension with cycles, each
    with its dimension, birth, death (``null``: never) and simplices (vertex-index lists)."""
    vertices = (
        "corner indices: corner (r, c) of the (h+1) x (w+1) corner grid is r * (w+1) + c, the "
        "top-left corner of pixel (r, c)"
        if data.kind == "image"
        else "row indices of the input's points"
    )
    classes = [
        {
            "dimension": p,
            "rank": r,
            "birth": c.birth,
            "death": None if math.isinf(c.death) else c.death,
            "simplices": c.simplices.tolist(),
        }
        for p, r, c in _persistent(diagrams, k)
    ]
    document = {"filtration": diagrams.filtration, "vertices": vertices, "classes": classes}
    return (json.dumps(document, indent=1) + "\n").encode()


def cycles_png(data, diagrams: Diagrams, k: int) -> bytes | None:
    """``cycles.png``: the data (a 2-D or 3-D cloud, or a 2-D image) with the ``k`` most
    persistent cycles of each dimension in distinct colours, labelled with their
    ``(birth, death)``; ``None`` where the data cannot be drawn."""
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from mpl_toolkits.mplot3d.art3d import Line3DCollection

    from tda_pipe.tda.plotting import DPI, png_bytes

    view = _View(data)
    if view.coords is None:
        return None
    fig = Figure(figsize=(7.0, 6.0), dpi=DPI, layout="constrained")
    three = view.dims == 3 and view.image is None
    ax = fig.add_subplot(projection="3d" if three else None)
    if view.image is not None:
        ax.imshow(view.image, cmap="gray", interpolation="nearest")
    else:
        shown = view.coords[random_rows(len(view.coords), 20_000)]
        ax.scatter(*shown.T, s=4, color="0.6", alpha=0.6, linewidths=0)
        if not three:
            ax.set_aspect("equal")
    for n, (p, _, c) in enumerate(_persistent(diagrams, k)):
        style = {"colors": f"C{n % 10}", "linewidths": 2.0, "label": _label(p, c)}
        if three:
            ax.add_collection3d(Line3DCollection(view.segments(c.simplices), **style))
        else:
            ax.add_collection(LineCollection(view.segments(c.simplices), **style))
    ax.legend(loc="upper right", fontsize=7, title="cycle (birth, death)")
    ax.set_title(f"{len(_persistent(diagrams, k))} most persistent cycles ({diagrams.filtration})")
    return png_bytes(fig)


def cycle_files(data, diagrams: Diagrams, k: int) -> dict[str, bytes]:
    """``{"cycles.json": ..., "cycles.png": ...}`` for the ``k`` most persistent classes of
    each dimension with cycles (the PNG only where the data can be drawn: points in R^1 to
    R^3, projected above, and 2-D images)."""
    files = {"cycles.json": cycles_json(data, diagrams, k)}
    png = cycles_png(data, diagrams, k)
    if png is not None:
        files["cycles.png"] = png
    return files


# -- the interactive page ----------------------------------------------------------------------


#: The look of plotly's "plotly_white" template, set directly (a named template needs
#: plotly's figure objects to resolve it).
_WHITE = {
    "plot_bgcolor": "white",
    "paper_bgcolor": "white",
    "font": {"color": "#2a3f5f"},
    "xaxis": {"gridcolor": "#ebf0f8", "zerolinecolor": "#ebf0f8"},
    "yaxis": {"gridcolor": "#ebf0f8", "zerolinecolor": "#ebf0f8"},
}


def _inf_level(diagrams: Diagrams) -> tuple[float, float]:
    values = np.concatenate([np.ravel(d) for d in diagrams])
    finite = values[np.isfinite(values)]
    high = float(finite.max()) if finite.size else 1.0
    high = high if high > 0 else 1.0
    return high, 1.1 * high


def _scatter(**trace) -> dict:
    """A plotly ``scatter`` trace (figures are plain dicts: plotly's figure objects validate
    every property, a quarter of a second a report)."""
    return {"type": "scatter", **trace}


def _diagram_figure(diagrams: Diagrams, max_points: int) -> tuple[dict, list[str]]:
    """The diagram with at most ``max_points`` points a dimension (the most persistent), and
    the notes saying which dimensions were cut."""
    high, inf_level = _inf_level(diagrams)
    traces = [
        _scatter(
            x=[0, inf_level],
            y=[0, inf_level],
            mode="lines",
            line={"color": "#999", "width": 1},
            hoverinfo="skip",
            showlegend=False,
        )
    ]
    notes = []
    for p, dgm in enumerate(diagrams):
        order = np.argsort(-diagrams.lifetimes(p), kind="stable")[:max_points]
        rows = dgm[order]
        if len(dgm) > max_points:
            notes.append(
                f"the diagram shows the {max_points} most persistent of the {len(dgm)} H{p} classes"
            )
        traces.append(
            _scatter(
                x=rows[:, 0],
                y=np.where(np.isinf(rows[:, 1]), inf_level, rows[:, 1]),
                mode="markers",
                name=f"H{p}",
                marker={"color": _PALETTE[p % len(_PALETTE)], "size": 7, "opacity": 0.8},
                customdata=[f"{p}:{r}" for r in range(len(rows))],
                text=[f"H{p} ({_fmt(b)}, {_fmt(d)})" for b, d in rows],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    layout = {
        "title": {"text": "persistence diagram (essential classes on the top line)"},
        "xaxis": {"title": {"text": "birth"}},
        "yaxis": {"title": {"text": "death"}},
        "hovermode": "closest",
    }
    return {"data": traces, "layout": layout}, notes


def _barcode_figure(diagrams: Diagrams, max_bars: int) -> tuple[dict, dict]:
    _, inf_level = _inf_level(diagrams)
    traces, where, y = [], {}, 0
    for p, dgm in enumerate(diagrams):
        rows = dgm[np.argsort(-diagrams.lifetimes(p), kind="stable")][:max_bars]
        xs, ys = [], []
        for r, (b, d) in enumerate(rows):
            end = inf_level if math.isinf(d) else d
            xs += [b, end, None]
            ys += [y, y, None]
            where[f"{p}:{r}"] = [float(b), float(end), y]
            y += 1
        traces.append(
            _scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=f"H{p}",
                line={"color": _PALETTE[p % len(_PALETTE)], "width": 3},
                hoverinfo="skip",
            )
        )
        y += 2
    traces.append(
        _scatter(x=[], y=[], mode="lines", name="selected", line={"color": _HIGHLIGHT, "width": 8})
    )
    layout = {
        "title": {"text": f"barcode (longest {max_bars} bars per dimension)"},
        "xaxis": {"title": {"text": "filtration value"}},
        "yaxis": {"autorange": "reversed", "showticklabels": False},
    }
    return {"data": traces, "layout": layout}, where


def _betti_figure(diagrams: Diagrams) -> dict:
    _, inf_level = _inf_level(diagrams)
    scales = np.linspace(0.0, inf_level, 200)
    counts = np.array([diagrams.betti(s) for s in scales])
    traces = [
        _scatter(
            x=scales,
            y=counts[:, p],
            mode="lines",
            name=f"β{p}",
            line={"color": _PALETTE[p % len(_PALETTE)], "shape": "hv"},
        )
        for p in range(len(diagrams))
    ]
    layout = {
        "title": {"text": "Betti curves"},
        "xaxis": {"title": {"text": "scale"}},
        "yaxis": {"title": {"text": "Betti number"}},
    }
    return {"data": traces, "layout": layout}


def _view_figure(view: _View, max_points: int, max_pixels: int, seed: int) -> tuple[dict, list]:
    notes = [view.note] if view.note else []
    layout = {"title": {"text": "data: hover a point of the diagram to draw its cycle"}}
    if view.image is not None:
        step = max(1, math.ceil(math.sqrt(view.image.size / max_pixels)))
        shown = view.image[::step, ::step]
        if step > 1:
            notes.append(
                f"image of {view.image.shape[0]} x {view.image.shape[1]} pixels drawn "
                f"every {step}th pixel"
            )
        rows, cols = (
            np.arange(0, view.image.shape[0], step),
            np.arange(0, view.image.shape[1], step),
        )
        data = [
            {
                "type": "heatmap",
                "z": shown,
                "x": cols,
                "y": rows,
                "colorscale": [[0, "black"], [1, "white"]],
                "showscale": False,
            }
        ]
        layout["yaxis"] = {"autorange": "reversed", "scaleanchor": "x"}
        highlight = _scatter(x=[], y=[], mode="lines", line={"color": _HIGHLIGHT, "width": 4})
    else:
        rows = random_rows(len(view.coords), max_points, seed)
        if len(rows) < len(view.coords):
            notes.append(
                f"{len(rows)} of {len(view.coords)} points drawn (a random subsample, seed "
                f"{seed}); cycles drawn whole"
            )
        shown = view.coords[rows]
        if view.dims == 3:
            data = [
                {
                    "type": "scatter3d",
                    "x": shown[:, 0],
                    "y": shown[:, 1],
                    "z": shown[:, 2],
                    "mode": "markers",
                    "marker": {"size": 2, "color": "#888"},
                    "hoverinfo": "skip",
                    "name": "points",
                }
            ]
            highlight = {
                "type": "scatter3d",
                "x": [],
                "y": [],
                "z": [],
                "mode": "lines",
                "line": {"color": _HIGHLIGHT, "width": 8},
            }
        else:
            data = [
                _scatter(
                    x=shown[:, 0],
                    y=shown[:, 1],
                    mode="markers",
                    marker={"size": 4, "color": "#888"},
                    hoverinfo="skip",
                    name="points",
                )
            ]
            layout["yaxis"] = {"scaleanchor": "x"}
            highlight = _scatter(x=[], y=[], mode="lines", line={"color": _HIGHLIGHT, "width": 4})
    data.append({**highlight, "name": "cycle"})
    return {"data": data, "layout": layout}, notes


def _cycle_paths(view: _View, diagrams: Diagrams, k: int) -> dict[str, dict]:
    """Per class key ``"p:rank"``, its cycle's edges as coordinate lists split by ``null``."""
    paths = {}
    for p, r, c in _persistent(diagrams, k):
        ends = view.segments(c.simplices)
        gap = np.full((len(ends), 1, view.dims), np.nan)
        line = np.concatenate([ends, gap], axis=1).reshape(-1, view.dims)
        paths[f"{p}:{r}"] = {
            axis: [None if math.isnan(v) else round(float(v), 6) for v in line[:, a]]
            for a, axis in enumerate("xyz"[: view.dims])
        } | {"label": _label(p, c)}
    return paths


def _summary_table(summary: dict) -> str:
    dims = summary.get("dimensions", {})
    scales = [f"{s:g}" for s in summary.get("scales", [])]
    head = ["dimension", "classes", "essential", "total persistence", "entropy", "most persistent"]
    head += [f"β at {s}" for s in scales]
    rows = []
    for name, s in dims.items():
        top = ", ".join(
            f"({_fmt(b)}, {_fmt(math.inf if d is None else d)})"
            for b, d in s["most_persistent"][:3]
        )
        cells = [
            name,
            s["n_classes"],
            s["n_essential"],
            f"{s['total_persistence']:.4g}",
            f"{s['entropy']:.4g}",
            top,
        ] + [s["betti"].get(sc, "") for sc in scales]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    header = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    return f'<table id="summary">{header}{"".join(rows)}</table>'


_STYLE = """
body { font-family: sans-serif; margin: 1em 2em; color: #222; }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0.5em; }
.plot { height: 460px; }
table { border-collapse: collapse; margin-top: 1em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; }
.note { color: #a33; }
#selected { font-weight: bold; min-height: 1.2em; }
"""

_SCRIPT = """
(function () {
  const cycles = JSON.parse(document.getElementById('cycle-data').textContent);
  const bars = JSON.parse(document.getElementById('bar-data').textContent);
  const diagram = document.getElementById('diagram');
  const view = document.getElementById('view');
  const barcode = document.getElementById('barcode');
  function select(key) {
    const said = document.getElementById('selected');
    const bar = bars[key];
    if (bar) {
      Plotly.restyle(barcode, {x: [[bar[0], bar[1]]], y: [[bar[2], bar[2]]]},
                     [barcode.data.length - 1]);
    }
    if (view && view.data) {
      const path = cycles[key] || {x: [], y: [], z: []};
      const update = {x: [path.x], y: [path.y]};
      if (path.z) { update.z = [path.z]; }
      Plotly.restyle(view, update, [view.data.length - 1]);
    }
    document.body.dataset.selected = key;
    said.textContent = cycles[key] ? 'cycle of ' + cycles[key].label
                                   : 'no cycle drawn for this class (' + key + ')';
  }
  function onPoint(event) {
    const point = event.points[0];
    if (point && point.customdata) { select(point.customdata); }
  }
  diagram.on('plotly_hover', onPoint);
  diagram.on('plotly_click', onPoint);
})();
"""


def report_html(
    data,
    diagrams: Diagrams,
    summary: dict | None = None,
    *,
    title: str = "tda-pipe report",
    k: int = CYCLES_DRAWN,
    max_points: int = MAX_DRAWN_POINTS,
    max_pixels: int = MAX_DRAWN_PIXELS,
    max_bars: int = 100,
    seed: int = 0,
) -> str:
    """The ``report.html`` of one input: one self-contained page (plotly.js inlined, no
    network) with the diagram, the barcode, the Betti curves and the data view, linked by
    hovering or clicking a diagram point; ``summary`` (that of
    :func:`tda_pipe.tda.summary.summarize`, default computed here) as a table below.

    Parameters
    ----------
    data : LoadedInput
        The input as read (``kind`` and ``array``).
    diagrams : Diagrams
        Its diagrams, with cycles where ``persistence(..., cycles=True)`` made them.
    summary : dict, optional
    title : str
    k : int
        Cycles carried per dimension: those of the ``k`` most persistent classes.
    max_points, max_pixels : int
        Drawn points and pixels, at most (a random subsample, a strided image); the diagram
        also shows at most ``max_points`` points a dimension, the most persistent.
    max_bars : int
        Longest bars drawn per dimension.
    seed : int
        Seed of the subsample.

    Returns
    -------
    str
        The page, to write as ``report.html``.
    """
    from tda_pipe.tda.summary import summarize

    summary = summarize(diagrams) if summary is None else summary
    view = _View(data)
    config = {"displaylogo": False, "responsive": True}
    diagram, notes = _diagram_figure(diagrams, max_points)
    figures = [("diagram", diagram)]
    barcode, bars = _barcode_figure(diagrams, max_bars)
    figures.append(("barcode", barcode))
    figures.append(("betti", _betti_figure(diagrams)))
    if view.coords is not None:
        figure, view_notes = _view_figure(view, max_points, max_pixels, seed)
        notes += view_notes
        figures.insert(1, ("view", figure))
    elif view.note:
        notes.append(view.note)
    parts = [f"<script>{_plotly_js()}</script>"]
    for name, fig in figures:
        layout = fig["layout"]
        layout["margin"] = {"l": 50, "r": 20, "t": 50, "b": 40}
        for key, value in _WHITE.items():  # the figure's own axis settings win
            layout[key] = {**value, **layout.get(key, {})} if isinstance(value, dict) else value
        arguments = ", ".join(_json_for_script(x) for x in (fig["data"], layout, config))
        parts.append(
            f'<div id="{name}" class="plot"></div>\n'
            f'<script>Plotly.newPlot("{name}", {arguments});</script>'
        )
    paths = _cycle_paths(view, diagrams, k) if view.coords is not None else {}
    if not diagrams.cycle_dims:
        notes.append("no cycles computed (analyze --cycles K, or persistence(..., cycles=True))")
    described = ", ".join(
        f"{key}: {html.escape(str(value))}"
        for key, value in (
            ("filtration", diagrams.filtration),
            ("backend", diagrams.backend),
            ("coefficients", f"Z/{diagrams.coeff}"),
        )
    )
    body = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{described}</p>",
        *(f'<p class="note">{html.escape(note)}</p>' for note in notes),
        '<p id="selected"></p>',
        '<div class="grid">',
        *parts,
        "</div>",
        "<h2>summary</h2>",
        _summary_table(summary),
        f'<script type="application/json" id="cycle-data">{_json_for_script(paths)}</script>',
        f'<script type="application/json" id="bar-data">{_json_for_script(bars)}</script>',
        f"<script>{_SCRIPT}</script>",
    ]
    return _page(title, "\n".join(body))


def _json_for_script(value) -> str:
    """JSON (numpy arrays and scalars as lists and numbers) that cannot close the
    ``<script>`` element holding it."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False, default=_json_default)
    return text.replace("</", "<\\/")


def _json_default(value):
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _plotly_js() -> str:
    """plotly.js as the plotly package ships it (what its own ``get_plotlyjs`` reads), read
    without importing plotly's Python side (its JSON encoder alone imports narwhals)."""
    from importlib.resources import files

    return (files("plotly") / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def batch_report_html(rows: Sequence[dict], title: str = "tda-pipe batch") -> str:
    """The ``report.html`` of a batch: one table row per input, linking to its own page.

    ``rows`` holds one dict per input: ``name``, ``href`` (the path of its ``report.html``
    relative to the batch page, or ``None`` for a failed input), ``summary`` (its
    ``summary.json``, or ``None``) and optionally ``error``. The page has no script at all.

    Examples
    --------
    >>> page = batch_report_html([
    ...     {"name": "ring", "href": "ring/report.html", "summary": {"dimensions": {
    ...         "H1": {"n_classes": 3, "n_essential": 0, "total_persistence": 1.5,
    ...                "entropy": 0.4, "most_persistent": [[0.2, 1.4]]}}}},
    ...     {"name": "bad", "href": None, "summary": None, "error": "NaN in row 3"}])
    >>> '<a href="ring/report.html">ring</a>' in page, "NaN in row 3" in page
    (True, True)
    """
    dims = sorted(
        {name for row in rows for name in ((row.get("summary") or {}).get("dimensions") or {})},
        key=lambda name: int(name[1:]),
    )
    head = ["input"]
    for name in dims:
        head += [f"{name} classes", f"{name} longest bar", f"{name} total persistence"]
    body = []
    for row in rows:
        name = html.escape(str(row["name"]))
        link = f'<a href="{html.escape(row["href"])}">{name}</a>' if row.get("href") else name
        cells = [link]
        summary = (row.get("summary") or {}).get("dimensions")
        if summary is None:
            error = html.escape(str(row.get("error", "no result")))
            cells.append(f'<span class="note">{error}</span>')
        else:
            for dim in dims:
                s = summary.get(dim)
                if s is None:
                    cells += ["", "", ""]
                    continue
                top = s["most_persistent"][0] if s["most_persistent"] else None
                longest = (
                    "" if top is None else _fmt(math.inf if top[1] is None else top[1] - top[0])
                )
                cells += [str(s["n_classes"]), longest, f"{s['total_persistence']:.4g}"]
        span = len(head) - len(cells) + 1 if summary is None else 1
        tds = [f"<td>{c}</td>" for c in cells[:-1]]
        tds.append(f'<td colspan="{span}">{cells[-1]}</td>')
        body.append("<tr>" + "".join(tds) + "</tr>")
    header = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    table = f'<table id="inputs">{header}{"".join(body)}</table>'
    return _page(title, f"<h1>{html.escape(title)}</h1>\n<p>{len(rows)} inputs</p>\n{table}")
