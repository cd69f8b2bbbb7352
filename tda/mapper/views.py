"""Views and exports of Mapper graphs: interactive HTML, PNG, GraphML and node-link JSON.

The HTML page is self-contained: the graph is drawn as inline SVG, a few lines of inline
JavaScript recolour it and show a node's attributes on hover; it loads nothing and refers to
no URL, so it opens offline and can be mailed as one file.

Examples
--------
>>> import tempfile, pathlib
>>> from tda_pipe.datasets import circle
>>> from tda_pipe.tda.mapper import Mapper
>>> G = Mapper(lens="coordinate:1", cover=(6, 0.3)).fit(circle(200, seed=0)).graph
>>> page = to_html(G)
>>> page.startswith("<!DOCTYPE html>"), "http" in page
(True, False)
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> write_graphml(G, tmp / "g.graphml").exists(), write_json(G, tmp / "g.json").exists()
(True, True)
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

import networkx as nx
import numpy as np
from matplotlib.figure import Figure

__all__ = [
    "color_attributes",
    "graphml_text",
    "layout",
    "node_link_json",
    "plot_mapper",
    "to_html",
    "to_node_link",
    "write_graphml",
    "write_html",
    "write_json",
]

#: Viridis at nine stops, for the HTML page (matplotlib draws the PNG).
_PALETTE = [
    "#440154",
    "#472d7b",
    "#3b528b",
    "#2c728e",
    "#21918c",
    "#28ae80",
    "#5ec962",
    "#addc30",
    "#fde725",
]
_WIDTH, _HEIGHT, _MARGIN = 900, 640, 40


def layout(G: nx.Graph, seed: int = 0) -> dict:
    """Node positions in ``[-1, 1]^2``: networkx's spring layout, seeded."""
    if len(G) == 0:
        return {}
    return nx.spring_layout(G, seed=seed, iterations=200)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def color_attributes(G: nx.Graph) -> list[str]:
    """Names of the numeric scalar node attributes (``lens`` first), usable as colours."""
    names: dict[str, None] = {}
    for u in G:
        for key, value in G.nodes[u].items():
            if _is_number(value):
                names[key] = None
    ordered = sorted(names, key=lambda k: (k != "lens", k))
    return ordered


def _plain(value: object) -> object:
    """A JSON-ready copy of ``value``: arrays to lists, numpy scalars to Python, inf to None."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_node_link(G: nx.Graph) -> dict:
    """networkx node-link data of ``G`` with every value JSON-ready."""
    return _plain(nx.node_link_data(G, edges="links"))


def node_link_json(G: nx.Graph) -> str:
    """:func:`to_node_link` as JSON text (read it back with
    ``networkx.node_link_graph(json.loads(text), edges="links")``)."""
    return json.dumps(to_node_link(G)) + "\n"


def write_json(G: nx.Graph, path: str | Path) -> Path:
    """Write :func:`node_link_json` to ``path``."""
    path = Path(path)
    path.write_text(node_link_json(G))
    return path


def _scalar_attributes(attrs: dict) -> dict:
    """GraphML takes scalars only: vectors become ``name_0, name_1, ...``, members a string."""
    out: dict = {}
    for key, value in attrs.items():
        value = _plain(value)
        if key == "members":
            out[key] = " ".join(str(v) for v in value)
        elif isinstance(value, list):
            flat = np.ravel(np.asarray(value, dtype=object))
            out.update({f"{key}_{i}": v for i, v in enumerate(flat) if v is not None})
        elif isinstance(value, dict):
            out[key] = json.dumps(value)
        elif value is not None:
            out[key] = value
    return out


def graphml_text(G: nx.Graph) -> str:
    """``G`` as GraphML with flattened, scalar attributes (see :func:`_scalar_attributes`)."""
    flat = nx.Graph()
    flat.graph.update(_scalar_attributes(G.graph))
    flat.add_nodes_from((u, _scalar_attributes(a)) for u, a in G.nodes(data=True))
    flat.add_edges_from((u, v, _scalar_attributes(a)) for u, v, a in G.edges(data=True))
    return "\n".join(nx.generate_graphml(flat)) + "\n"


def write_graphml(G: nx.Graph, path: str | Path) -> Path:
    """Write :func:`graphml_text` to ``path``."""
    path = Path(path)
    path.write_text(graphml_text(G), encoding="utf-8")
    return path


def _radii(G: nx.Graph, largest: float) -> dict:
    sizes = {u: G.nodes[u].get("size", 1) for u in G}
    top = max(sizes.values(), default=1) or 1
    return {u: 4 + largest * math.sqrt(s / top) for u, s in sizes.items()}


def _screen(pos: dict) -> dict:
    """Positions scaled into the SVG viewport."""
    if not pos:
        return {}
    xy = np.array(list(pos.values()))
    lo, span = xy.min(axis=0), np.ptp(xy, axis=0)
    span[span == 0] = 1.0
    box = np.array([_WIDTH, _HEIGHT]) - 2 * _MARGIN
    scaled = _MARGIN + (xy - lo) / span * box
    return {u: (float(x), float(y)) for u, (x, y) in zip(pos, scaled)}


def _svg(G: nx.Graph, pos: dict) -> str:
    radii = _radii(G, 18.0)
    lines = [
        f'<line x1="{pos[u][0]:.1f}" y1="{pos[u][1]:.1f}" x2="{pos[v][0]:.1f}" '
        f'y2="{pos[v][1]:.1f}" stroke-width="{1 + math.log1p(a.get("shared", 1)) / 2:.2f}"/>'
        for u, v, a in G.edges(data=True)
    ]
    circles = [
        f'<circle id="node-{i}" data-i="{i}" cx="{pos[u][0]:.1f}" cy="{pos[u][1]:.1f}" '
        f'r="{radii[u]:.1f}"/>'
        for i, u in enumerate(G)
    ]
    return (
        f'<svg id="graph" viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" '
        f'height="{_HEIGHT}"><g class="edges">{"".join(lines)}</g>'
        f'<g class="nodes">{"".join(circles)}</g></svg>'
    )


def _page_data(G: nx.Graph, color: str) -> dict:
    names = color_attributes(G)
    nodes = list(G)
    info = [
        {k: _plain(v) for k, v in G.nodes[u].items() if k in names or k in ("cube", "interval")}
        for u in nodes
    ]
    values = {n: [_plain(G.nodes[u].get(n)) for u in nodes] for n in names}
    return {
        "ids": [str(u) for u in nodes],
        "info": info,
        "values": values,
        "color": color if color in names else (names[0] if names else ""),
        "palette": _PALETTE,
    }


_SCRIPT = """
const data = JSON.parse(document.getElementById("mapper-data").textContent);
const circles = document.querySelectorAll("#graph circle");
const tip = document.getElementById("tip");
const pick = document.getElementById("color");
function colour(t) {
  const p = data.palette, x = Math.min(Math.max(t, 0), 1) * (p.length - 1);
  return p[Math.round(x)];
}
function paint(name) {
  const v = data.values[name] || [];
  const ok = v.filter(x => x !== null);
  const lo = Math.min(...ok), hi = Math.max(...ok);
  circles.forEach((c, i) => {
    const t = v[i] === null || hi === lo ? 0.5 : (v[i] - lo) / (hi - lo);
    c.setAttribute("fill", v[i] === null ? "#bbbbbb" : colour(t));
  });
  document.getElementById("range").textContent =
    ok.length ? `${lo.toPrecision(3)} to ${hi.toPrecision(3)}` : "";
}
Object.keys(data.values).forEach(
  n => pick.add(new Option(n, n, n === data.color, n === data.color)));
pick.addEventListener("change", () => paint(pick.value));
circles.forEach((c, i) => {
  c.addEventListener("mouseenter", e => {
    const rows = Object.entries(data.info[i]).map(([k, v]) =>
      `<tr><td>${k}</td><td>${typeof v === "number" ? +v.toPrecision(4) : JSON.stringify(v)}` +
      "</td></tr>");
    tip.innerHTML = `<b>node ${data.ids[i]}</b><table>${rows.join("")}</table>`;
    tip.style.display = "block";
  });
  c.addEventListener("mousemove", e => {
    tip.style.left = (e.pageX + 14) + "px"; tip.style.top = (e.pageY + 14) + "px";
  });
  c.addEventListener("mouseleave", () => { tip.style.display = "none"; });
});
paint(data.color);
"""

_STYLE = """
body { font-family: sans-serif; margin: 16px; color: #222; }
#graph line { stroke: #999; }
#graph circle { stroke: #333; stroke-width: 0.8; cursor: pointer; }
#graph circle:hover { stroke-width: 2.5; }
#tip { position: absolute; display: none; background: #fff; border: 1px solid #888;
       padding: 6px 8px; font-size: 12px; pointer-events: none; }
#tip td { padding: 0 6px 0 0; }
"""


def to_html(G: nx.Graph, color: str = "lens", title: str = "Mapper graph", seed: int = 0) -> str:
    """A self-contained interactive HTML page of ``G``.

    Nodes are sized by membership and coloured by ``color`` (any numeric node attribute,
    chosen again in the page); hovering shows a node's attributes. Nothing is loaded from
    elsewhere and no URL appears in the page.

    Parameters
    ----------
    G : networkx.Graph
        A Mapper graph (attributed or not).
    color : str
        Node attribute coloured first (default the lens mean).
    title : str
        Page title and heading.
    seed : int
        Seed of the layout.

    Returns
    -------
    str
        The page.
    """
    pos = _screen(layout(G, seed))
    data = json.dumps(_page_data(G, color)).replace("</", "<\\/")
    summary = f"{G.number_of_nodes()} nodes, {G.number_of_edges()} edges"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h2>{html.escape(title)}</h2><p>{summary}. Node size: number of points. "
        'Colour: <select id="color"></select> <span id="range"></span></p>'
        f'{_svg(G, pos)}<div id="tip"></div>'
        f'<script type="application/json" id="mapper-data">{data}</script>'
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


def write_html(G: nx.Graph, path: str | Path, **kwargs: object) -> Path:
    """Write :func:`to_html` to ``path``."""
    path = Path(path)
    path.write_text(to_html(G, **kwargs), encoding="utf-8")
    return path


def plot_mapper(
    G: nx.Graph, color: str = "lens", title: str = "Mapper graph", seed: int = 0
) -> Figure:
    """Matplotlib figure of ``G``: spring layout, nodes sized by membership, coloured by ``color``.

    Examples
    --------
    >>> from tda_pipe.datasets import circle
    >>> from tda_pipe.tda.mapper import Mapper
    >>> G = Mapper(lens="coordinate:0", cover=(5, 0.3)).fit(circle(100, seed=0)).graph
    >>> fig = plot_mapper(G)
    >>> len(fig.axes)  # the graph and its colour bar
    2
    """
    fig = Figure(figsize=(7, 5.5))
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.set_axis_off()
    if len(G) == 0:
        return fig
    pos = layout(G, seed)
    values = [float(G.nodes[u].get(color, np.nan)) for u in G]
    radii = _radii(G, 14.0)
    nx.draw_networkx_edges(G, pos, ax=ax, edge_color="#999999")
    nodes = nx.draw_networkx_nodes(
        G,
        pos,
        ax=ax,
        node_size=[r**2 for r in radii.values()],
        node_color=values,
        cmap="viridis",
        edgecolors="#333333",
        linewidths=0.6,
    )
    fig.colorbar(nodes, ax=ax, label=color, shrink=0.8)
    return fig
