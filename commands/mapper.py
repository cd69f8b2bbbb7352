"""The ``mapper`` stage and job: an input file to its attributed Mapper graph and views.

The ``mapper`` stage reads the ``data`` artifact and writes ``graph.json``, ``graph.graphml``,
``mapper.html``, ``mapper.png`` and ``summary.json``; :func:`run_mapper` runs it after ``load``
on the pipeline engine, so a pipeline file can use it too (``- mapper: {lens: pca}``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

from tda_pipe.commands.options import MapperOptions, stage_params
from tda_pipe.commands.stages import file_digest
from tda_pipe.datasets import LoadedInput
from tda_pipe.errors import InputError
from tda_pipe.pipelines.cache import StageCache
from tda_pipe.pipelines.runner import run_pipeline
from tda_pipe.pipelines.spec import parse_spec
from tda_pipe.pipelines.stages import OutputFiles, stage
from tda_pipe.tda.mapper import (
    Cover,
    Mapper,
    attribute_graph,
    color_attributes,
    graphml_text,
    node_link_json,
    plot_mapper,
    summarize_graph,
    to_html,
)
from tda_pipe.tda.plotting import png_bytes

__all__ = [
    "FILES",
    "MapperOptions",
    "MapperResult",
    "read_lens",
    "run_mapper",
]

FILES = ("graph.json", "graph.graphml", "mapper.html", "mapper.png", "summary.json")


@dataclass
class MapperResult:
    """What :func:`run_mapper` produced."""

    out_dir: Path
    graph: nx.Graph
    summary: dict


def read_lens(path: str | Path, n_points: int) -> np.ndarray:
    """Lens values from a ``.npy`` file: ``n_points`` values, or ``(n_points, m)`` rows."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"--lens {path}: no such file")
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"--lens {path}: cannot read it as .npy ({exc})") from exc
    if values.ndim not in (1, 2) or len(values) != n_points:
        raise InputError(
            f"--lens {path} has shape {values.shape}; need {n_points} values, one per point"
        )
    return values


def default_out_dir(path: Path) -> Path:
    """``<input stem>_mapper/`` in the current directory."""
    return Path(f"{path.stem}_mapper")


def _attribute_summary(G: nx.Graph) -> dict:
    """Mean, min and max over the nodes of each scalar topological attribute."""
    names = [n for n in G.graph.get("topology_names", []) if "image" not in n]
    out = {}
    for name in names:
        values = np.array([G.nodes[u][name] for u in G], dtype=np.float64)
        if values.size:
            out[name] = {
                "mean": float(values.mean()),
                "min": float(values.min()),
                "max": float(values.max()),
            }
    return out


def _summary(path: Path, X: np.ndarray, G: nx.Graph, opts: MapperOptions) -> dict:
    loops = G.graph.get("lens_persistence", {}).get("extended", {}).get("extended_minus", [])
    return {
        "input": {"path": str(path), "shape": list(X.shape)},
        "graph": summarize_graph(G),
        "min_gap": G.graph["min_gap"],
        "node_attributes": _attribute_summary(G),
        "lens_loops": [[b, d] for dim, b, d in loops if dim == 1],
        "options": opts.model_dump(),
    }


MapperParams = stage_params(MapperOptions, "MapperParams", exclude=("sample",))


def _lens_digest(params: MapperParams) -> bytes:
    return file_digest(params.lens) if params.lens.lower().endswith(".npy") else b""


@stage(
    "mapper",
    params=MapperParams,
    inputs=("data",),
    outputs=("graph", "mapper"),
    fingerprint=_lens_digest,
)
def mapper_stage(params: MapperParams, data: LoadedInput) -> dict:
    """Mapper graph attributed with persistent homology: graph files, HTML and PNG views."""
    opts = MapperOptions(**params.model_dump())
    opts.check()
    if data.kind != "points":
        raise InputError(f"Mapper needs a point cloud, not {data.kind}")
    X = data.array
    lens = read_lens(opts.lens, len(X)) if opts.lens.lower().endswith(".npy") else opts.lens
    mapper = Mapper(
        lens=lens,
        cover=Cover(opts.intervals, opts.overlap, opts.cover),
        clusterer=opts.clusterer,
        min_gap=opts.min_gap,
    )
    G = mapper.fit(X).graph
    if opts.attributes:
        attribute_graph(G, X, max_points=opts.max_points, seed=opts.seed)
    G.graph["lens"] = opts.lens
    colors = color_attributes(G)
    if len(G) and opts.color not in colors:
        hint = "" if opts.attributes else " (the topological ones need --attributes)"
        raise InputError(
            f"--color {opts.color!r} is not a node attribute; choose {', '.join(colors)}{hint}"
        )
    title = f"{data.path.name}: Mapper, lens {opts.lens}"
    summary = _summary(data.path, X, G, opts)
    files = OutputFiles(
        {
            "graph.json": node_link_json(G).encode(),
            "graph.graphml": graphml_text(G).encode(),
            "mapper.html": to_html(G, color=opts.color, title=title, seed=opts.seed).encode(),
            "mapper.png": png_bytes(plot_mapper(G, color=opts.color, title=title, seed=opts.seed)),
            "summary.json": (json.dumps(summary, indent=2) + "\n").encode(),
        }
    )
    return {"graph": G, "mapper": files}


def run_mapper(
    path: str | Path,
    out: str | Path | None = None,
    options: MapperOptions | None = None,
    progress: Callable[[str], None] | None = None,
    cache: StageCache | None = None,
    *,
    overwrite: bool = False,
) -> MapperResult:
    """The attributed Mapper graph of one point cloud file, with views, written to ``out``.

    ``out`` (default ``<stem>_mapper/``) receives ``graph.json`` (networkx node-link),
    ``graph.graphml``, ``mapper.html`` (interactive, self-contained), ``mapper.png``,
    ``summary.json`` (nodes, edges, components, independent cycles, attribute summaries) and
    ``run.json``. ``progress`` is called with each stage's label as it starts. An existing
    ``out`` is replaced only if it holds Mapper results of the same input (``overwrite``:
    replace other results, keeping files tda-pipe did not write).

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from tda_pipe.datasets import circle
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(tmp / "ring.npy", circle(300, noise=0.03, seed=0))
    >>> opts = MapperOptions(lens="coordinate:1", intervals=8)
    >>> res = run_mapper(tmp / "ring.npy", tmp / "ring_mapper", opts)
    >>> sorted(p.name for p in res.out_dir.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['.tda-pipe.json', 'graph.graphml', 'graph.json', 'mapper.html', 'mapper.png', 'run.json',
     'summary.json']
    >>> res.summary["graph"]["independent_cycles"]
    1
    """
    path = Path(path)
    opts = options or MapperOptions()
    opts.check()
    out_dir = Path(out) if out is not None else default_out_dir(path)
    params = opts.model_dump(exclude={"sample"})
    spec = parse_spec(
        {
            "name": "mapper",
            "stages": [{"load": {"sample": opts.sample, "seed": opts.seed}}, {"mapper": params}],
        }
    )
    run = run_pipeline(spec, path, out_dir, cache=cache, progress=progress, overwrite=overwrite)
    summary = json.loads(run.artifacts["mapper"]["summary.json"])
    return MapperResult(run.out_dir, run.artifacts["graph"], summary)
