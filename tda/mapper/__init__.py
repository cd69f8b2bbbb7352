"""Mapper graphs attributed with persistent homology: the graph, its attributes, its views.

:mod:`~tda_pipe.tda.mapper.core` builds the graph (lens, cover, clusterer; a scikit-learn
estimator), :mod:`~tda_pipe.tda.mapper.attributes` adds the persistent homology of every node
and edge, :mod:`~tda_pipe.tda.mapper.views` draws and exports it (HTML, PNG, GraphML, JSON).

Examples
--------
>>> from tda_pipe.datasets import circle
>>> G = Mapper(lens="coordinate:1", cover=(8, 0.3)).fit(circle(200, noise=0.05, seed=0)).graph
>>> summarize_graph(G)["independent_cycles"]
1
"""

from tda_pipe.tda.mapper.attributes import (
    attribute_graph,
    cloud_scale,
    feature_names,
    lens_persistence,
    member_diagrams,
)
from tda_pipe.tda.mapper.core import (
    CLUSTERERS,
    COVER_KINDS,
    LENSES,
    Cover,
    Cube,
    Mapper,
    lens_values,
    parse_lens,
    single_linkage_labels,
    summarize_graph,
)
from tda_pipe.tda.mapper.views import (
    color_attributes,
    graphml_text,
    layout,
    node_link_json,
    plot_mapper,
    to_html,
    to_node_link,
    write_graphml,
    write_html,
    write_json,
)

__all__ = [
    "CLUSTERERS",
    "COVER_KINDS",
    "LENSES",
    "Cover",
    "Cube",
    "Mapper",
    "attribute_graph",
    "cloud_scale",
    "color_attributes",
    "feature_names",
    "graphml_text",
    "layout",
    "lens_persistence",
    "lens_values",
    "member_diagrams",
    "node_link_json",
    "parse_lens",
    "plot_mapper",
    "single_linkage_labels",
    "summarize_graph",
    "to_html",
    "to_node_link",
    "write_graphml",
    "write_html",
    "write_json",
]
