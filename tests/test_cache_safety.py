"""The stage cache never runs code: planted, damaged and foreign entries are misses, not crashes.

Entries are ``.npz`` archives read with ``allow_pickle=False``; every artifact type the stages
pass on goes through the cache and comes back equal.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import math
import os
import pathlib
import pickle
import zipfile
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import trimesh
from scipy import sparse

import tda_pipe as tp
from tda_pipe.commands.stages import diagram_features
from tda_pipe.datasets import LoadedInput, circle, load
from tda_pipe.pipelines.cache import StageCache, code_version
from tda_pipe.pipelines.runner import run_pipeline
from tda_pipe.pipelines.spec import parse_spec
from tda_pipe.pipelines.stages import OutputFiles
from tda_pipe.tda import filtrations as filt
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.mapper import Mapper
from tda_pipe.tda.mapper.attributes import attribute_graph
from tda_pipe.tda.persistence import persistence

SPEC = {
    "stages": [
        "load",
        {"filtration": {"kind": "rips"}},
        {"persistence": {"max_dim": 1}},
        "features",
        {"report": {"figures": False}},
    ]
}
KEEP = ("data", "filtration", "diagrams", "features", "report")


@pytest.fixture
def ring(tmp_path) -> Path:
    path = tmp_path / "ring.npy"
    np.save(path, circle(40, noise=0.02, seed=0))
    return path


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def entries(root: Path) -> list[Path]:
    """Every file the cache wrote under ``root``."""
    return sorted(p for p in root.rglob("*") if p.is_file())


# -- values compared exactly, type by type -----------------------------------------------------


def assert_same(a, b, where: str = "value") -> None:
    """``a`` and ``b`` are of one type and hold equal values (arrays: dtype, shape, values)."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and (a == b or (a != a and b != b)), where
    elif isinstance(a, float):
        assert a == b or (math.isnan(a) and math.isnan(b)), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, Diagrams):
        assert (a.filtration, a.backend) == (b.filtration, b.backend), where
        assert_same(list(a), list(b), f"{where}.dgms")
        assert_same(a.pairs, b.pairs, f"{where}.pairs")
    elif dataclasses.is_dataclass(a):
        for field in dataclasses.fields(a):
            assert_same(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
    elif sparse.issparse(a):
        assert a.shape == b.shape and (a != b).nnz == 0, where
    elif isinstance(a, nx.Graph):
        assert_same(dict(a.graph), dict(b.graph), f"{where}.graph")
        assert_same(list(a.nodes(data=True)), list(b.nodes(data=True)), f"{where}.nodes")
        keys = {"keys": True} if a.is_multigraph() else {}
        edges_a, edges_b = list(a.edges(data=True, **keys)), list(b.edges(data=True, **keys))
        assert_same(edges_a, edges_b, f"{where}.edges")
    elif isinstance(a, trimesh.Trimesh):
        assert_same(np.asarray(a.vertices), np.asarray(b.vertices), f"{where}.vertices")
        assert_same(np.asarray(a.faces), np.asarray(b.faces), f"{where}.faces")
    else:
        assert a == b, where


def round_trip(value, tmp_path):
    cache = StageCache(tmp_path / "cache", version="test")
    key = cache.key("stage", {}, [])
    cache.put(key, {"out": value})
    assert len(entries(tmp_path / "cache")) == 1, "not stored"
    return cache.get(key)["out"]


def _mapper_graph() -> nx.Graph:
    X = circle(120, noise=0.02, seed=0)
    G = Mapper(lens="coordinate:1", cover=(5, 0.3)).fit(X).graph
    return attribute_graph(G, X, max_points=20)


def _artifacts(tmp_path) -> dict:
    """One of every artifact type the built-in stages pass on, and the plain types."""
    X = circle(30, noise=0.05, seed=1)
    D = np.abs(X[:, None, 0] - X[None, :, 0])
    np.savez(tmp_path / "x.npz", points=X, labels=np.arange(30) % 3)
    box = trimesh.creation.box()
    np.save(tmp_path / "m.npy", np.asarray(box.vertices))
    mesh_input = load(tmp_path / "m.npy")
    mesh_input.mesh = box
    G = _mapper_graph()
    multi = nx.MultiDiGraph(name="m")
    multi.add_edge(("a", 1), ("b", 2), key="k", weight=np.float32(0.5), tags=["x", None])
    multi.add_edge(("a", 1), ("b", 2), key=7, weight=np.int64(3))
    D_sparse = sparse.coo_matrix(np.where(D < 0.5, D, 0.0))
    dgms = persistence(filt.rips(X), max_dim=1)
    return {
        "loaded": load(tmp_path / "x.npz"),
        "loaded-mesh": mesh_input,
        "image": LoadedInput(tmp_path / "i.png", "image", np.eye(4)),
        "rips": filt.build_filtration(X, "rips", threshold=1.5),
        "rips-distances": filt.rips(D, metric="precomputed"),
        "rips-sparse": filt.rips(D_sparse, metric="precomputed"),
        "dtm": filt.dtm(X, k=3),
        "sparse-rips": filt.sparse_rips(X, 0.3),
        "alpha": filt.alpha(X),
        "cubical": filt.cubical(np.arange(12.0).reshape(3, 4)),
        "lower-star-graph": filt.lower_star_graph(nx.cycle_graph(5), np.arange(5.0)),
        "lower-star-mesh": filt.lower_star_mesh(box),
        "diagrams": dgms,
        "diagrams-no-pairs": Diagrams([[[0, np.inf]], np.empty((0, 2))], filtration="x"),
        "features": diagram_features(dgms),
        "files": OutputFiles({"a.json": b"{}", "b.png": bytes(range(256))}),
        "mapper-graph": G,
        "multigraph": multi,
        "directed": nx.DiGraph([(0, 1), (1, 2)]),
        "csr": sparse.csr_matrix(D),
        "latent": np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32),
        "plain": {
            "none": None,
            "bool": True,
            "int": 2**70,
            "floats": [1.5, math.inf, -math.inf, math.nan],
            "str": "é ${stem} \udce9",
            "tuple": (1, ("nested", [2])),
            "int keys": {1: "a", (2, 3): "b", None: "c"},
            "bytes": b"\x00\xff",
            "path": Path("/tmp/x y.npy"),
            "scalars": [np.int8(-3), np.uint64(2**63), np.float16(0.5), np.bool_(True)],
            "strings": np.array(["a", "bcd"]),
            "bytes array": np.array([b"a", b"bc"]),
            "complex": np.array([1 + 2j]),
            "empty": np.empty((0, 3)),
            "fortran": np.asfortranarray(np.arange(6).reshape(2, 3)),
            "str scalar": np.str_("s"),
        },
    }


def test_every_artifact_type_round_trips_equal(tmp_path):
    for name, value in _artifacts(tmp_path).items():
        assert_same(value, round_trip(value, tmp_path / name), name)


def test_round_tripped_artifacts_still_work(tmp_path):
    artifacts = _artifacts(tmp_path)
    G = round_trip(artifacts["mapper-graph"], tmp_path / "g")
    assert G.graph["lens_persistence"] == artifacts["mapper-graph"].graph["lens_persistence"]
    assert isinstance(G.nodes[0]["members"], np.ndarray)
    assert (
        tp.bottleneck(
            persistence(round_trip(artifacts["rips"], tmp_path / "r")),
            persistence(artifacts["rips"]),
        )
        == 0
    )
    mesh = round_trip(artifacts["loaded-mesh"], tmp_path / "m").mesh
    assert isinstance(mesh, trimesh.Trimesh) and mesh.is_watertight


# -- a real run through the cache -------------------------------------------------------------


def test_a_run_twice_reads_every_stage_back_identical(tmp_path, ring):
    cache = StageCache(tmp_path / "cache")
    first = run_pipeline(parse_spec(SPEC), ring, tmp_path / "a", cache=cache, keep=KEEP)
    assert first.cached == [] and len(entries(tmp_path / "cache")) == 5
    again = run_pipeline(parse_spec(SPEC), ring, tmp_path / "b", cache=cache, keep=KEEP)
    assert sorted(again.cached) == sorted(
        ["load", "filtration", "persistence", "features", "report"]
    )
    for name in KEEP:
        assert_same(first.artifacts[name], again.artifacts[name], name)
    for name in ("diagrams.npz", "features.npz", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


class _System:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class _Touch:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


@pytest.mark.parametrize("payload", [_System, _Touch])
def test_a_planted_pickle_never_runs(tmp_path, ring, caplog, payload):
    """A pickle put where a real run's entry is: a miss, recomputed, one warning, no side effect."""
    spec = parse_spec({"stages": ["load"]})
    cache = StageCache(tmp_path / "cache")
    first = run_pipeline(spec, ring, None, cache=cache)
    [entry] = entries(tmp_path / "cache")
    marker = tmp_path / "pwned"
    entry.write_bytes(pickle.dumps(payload(marker)))
    caplog.clear()
    again = run_pipeline(spec, ring, None, cache=cache)
    assert not marker.exists()
    assert again.cached == []
    assert_same(first.artifacts["data"], again.artifacts["data"])
    [warning] = warnings_of(caplog)
    assert str(entry) in warning and "\n" not in warning
    # the recomputed entry replaced the planted one: the next run reads it back, silently
    caplog.clear()
    assert run_pipeline(spec, ring, None, cache=cache).cached == ["load"]
    assert warnings_of(caplog) == [] and not marker.exists()


def test_planted_pickles_under_every_entry_of_a_run(tmp_path, ring, caplog):
    cache = StageCache(tmp_path / "cache")
    first = run_pipeline(parse_spec(SPEC), ring, tmp_path / "a", cache=cache, keep=KEEP)
    marker = tmp_path / "pwned"
    for entry in entries(tmp_path / "cache"):
        entry.write_bytes(pickle.dumps(_Touch(marker)))
    caplog.clear()
    again = run_pipeline(parse_spec(SPEC), ring, tmp_path / "b", cache=cache, keep=KEEP)
    assert again.cached == [] and not marker.exists()
    assert len(warnings_of(caplog)) == 5
    assert_same(first.artifacts["diagrams"], again.artifacts["diagrams"])


def test_the_cli_run_with_a_planted_entry_succeeds(tmp_path, ring, isolated_cache, caplog):
    from tda_pipe.cli import main

    (tmp_path / "spec.yaml").write_text(json.dumps(SPEC))
    args = ["run", str(tmp_path / "spec.yaml"), str(ring), "-q"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    marker = tmp_path / "pwned"
    for entry in entries(isolated_cache):
        entry.write_bytes(pickle.dumps(_System(marker)))
    caplog.clear()
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert not marker.exists() and len(warnings_of(caplog)) == len(entries(isolated_cache))


# -- damaged entries ---------------------------------------------------------------------------


@pytest.fixture
def stored(tmp_path):
    """A cache, a key, and the entry file holding real diagrams under that key."""
    cache = StageCache(tmp_path / "cache", version="test")
    key = cache.key("persistence", {}, [])
    dgms = persistence(filt.rips(circle(20, seed=0)), max_dim=1)
    cache.put(key, {"diagrams": dgms, "features": diagram_features(dgms)})
    [entry] = entries(tmp_path / "cache")
    return cache, key, entry


def _rewrite(entry: Path, edit) -> None:
    """Rewrite the entry with ``edit(document, arrays)`` applied to its contents."""
    with np.load(entry) as archive:
        arrays = {name: archive[name] for name in archive.files}
    document = json.loads(arrays.pop("document").tobytes())
    edit(document, arrays)
    buffer = io.BytesIO()
    raw = json.dumps(document).encode()
    np.savez(buffer, document=np.frombuffer(raw, dtype=np.uint8), **arrays)
    entry.write_bytes(buffer.getvalue())


def _set_tag(tag):
    def edit(document, arrays):
        document["outputs"]["diagrams"]["t"] = tag

    return edit


def _object_array(document, arrays):
    arrays["a0"] = np.array([os.system], dtype=object)


def _rename_part(document, arrays):
    parts = document["outputs"]["diagrams"]["v"]
    parts["callback"] = parts.pop("backend")


def _wrong_part_type(document, arrays):
    document["outputs"]["diagrams"]["v"]["backend"] = {"t": "list", "v": []}


def _missing_array(document, arrays):
    arrays.pop("a0")


def _other_key(document, arrays):
    document["key"] = "0" * 40


def _not_a_document(document, arrays):
    document.clear()
    document["outputs"] = [1]


DAMAGES = {
    "truncated": (lambda e: e.write_bytes(e.read_bytes()[: e.stat().st_size // 2]), ""),
    "truncated header": (lambda e: e.write_bytes(e.read_bytes()[:100]), ""),
    "empty": (lambda e: e.write_bytes(b""), "not an .npz archive"),
    "zip magic only": (lambda e: e.write_bytes(b"PK\x03\x04" + b"\x00" * 50), ""),
    "an .npy": (lambda e: np.save(e.open("wb"), np.arange(3)), "not an .npz archive"),
    "a directory": (lambda e: (e.unlink(), e.mkdir()), "directory"),
    "a fifo": (lambda e: (e.unlink(), os.mkfifo(e)), "not a regular file"),
    "unknown tag": (lambda e: _rewrite(e, _set_tag("os.system")), "unknown type tag 'os.system'"),
    "tag not a string": (lambda e: _rewrite(e, _set_tag(["list"])), "unexpected dict"),
    "object array": (lambda e: _rewrite(e, _object_array), "Object arrays cannot be loaded"),
    "renamed part": (lambda e: _rewrite(e, _rename_part), "Diagrams is stored as the parts"),
    "part of a wrong type": (lambda e: _rewrite(e, _wrong_part_type), "backend holds a list"),
    "missing array": (lambda e: _rewrite(e, _missing_array), "no array 'a0'"),
    "another key": (lambda e: _rewrite(e, _other_key), "written for another key"),
    "not a document": (lambda e: _rewrite(e, _not_a_document), "not a tda-pipe stage outputs"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_entry_is_a_miss_with_one_warning(stored, caplog, damage):
    cache, key, entry = stored
    spoil, reason = DAMAGES[damage]
    spoil(entry)
    caplog.clear()
    assert cache.get(key) is None
    [warning] = warnings_of(caplog)
    assert str(entry) in warning and reason in warning and "\n" not in warning


def test_an_entry_missing_an_output_is_a_miss(stored, caplog):
    cache, key, entry = stored
    assert cache.get(key, names=("diagrams", "features")) is not None
    assert cache.get(key, names=("diagrams", "graph")) is None
    assert "holds ['diagrams', 'features'], not ['diagrams', 'graph']" in warnings_of(caplog)[0]


def test_outputs_the_codec_cannot_store_are_not_cached_quietly(tmp_path, caplog):
    cache = StageCache(tmp_path / "cache", version="test")
    for i, value in enumerate(
        [object(), np.array([None]), {"nested": [zipfile.ZipFile]}, np.ma.masked_array([1])]
    ):
        key = cache.key("plugin", {"i": i}, [])
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="tda_pipe"):
            cache.put(key, {"thing": value})
        assert warnings_of(caplog) == []
        assert "not cached" in caplog.text
        assert cache.get(key) is None and warnings_of(caplog) == []
    assert entries(tmp_path / "cache") == []


def test_clear_removes_only_the_cache_entries(tmp_path):
    root = tmp_path / "cache"
    cache = StageCache(root, version="test")
    keys = [cache.key("s", {"i": i}, []) for i in range(3)]
    for key in keys:
        cache.put(key, {"x": np.arange(3)})
    old = root / keys[0][:2] / f"{keys[0]}.pkl"  # an earlier version's pickle entry
    old.write_bytes(b"pickle")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / f"ab{'0' * 38}.npz").write_bytes(b"precious")
    mine = [root / "notes.txt", root / keys[1][:2] / "mine.txt", root / "zz" / f"{'0' * 40}.npz"]
    mine.append(root / "ab" / f"cd{'0' * 38}.npz")  # an entry name in the wrong folder
    for path in mine:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"user data")
    (root / "ab").rename(root / "ab-real")
    (root / "ab").symlink_to(outside)  # a linked folder is never entered
    assert cache.size()[0] == 4
    assert cache.clear()[0] == 4
    assert cache.size() == (0, 0) and all(cache.get(k) is None for k in keys)
    assert (outside / f"ab{'0' * 38}.npz").read_bytes() == b"precious"
    (root / "ab").unlink()
    (root / "ab-real").rename(root / "ab")
    assert all(path.read_bytes() == b"user data" for path in mine)


def test_the_cli_cache_clear_keeps_user_files(isolated_cache, capsys):
    from tda_pipe.cli import main

    cache = StageCache()
    key = cache.key("s", {}, [])
    cache.put(key, {"x": np.arange(3)})
    notes = isolated_cache / "notes.txt"
    notes.write_text("mine")
    (isolated_cache / key[:2] / "mine.npz").write_bytes(b"mine")
    assert main(["cache", "clear"]) == 0
    assert "removed 1 entries" in capsys.readouterr().out
    assert notes.read_text() == "mine" and (isolated_cache / key[:2] / "mine.npz").exists()
    assert cache.get(key) is None


def test_an_entry_missing_a_stage_output_is_a_miss_not_a_traceback(tmp_path, caplog):
    """A well-formed entry planted under a real key, holding the wrong outputs."""

    from tda_pipe.pipelines.runner import run_pipeline
    from tda_pipe.pipelines.spec import load_spec

    np.save(tmp_path / "ring.npy", tp.datasets.circle(40, seed=0))
    cache = StageCache(tmp_path / "cache")
    spec = load_spec(None, ["report.figures=false"])
    first = run_pipeline(spec, tmp_path / "ring.npy", None, cache=cache)
    entries = sorted((tmp_path / "cache").glob("*/*.npz"))
    assert entries
    for entry in entries:  # every stage's entry now holds something else
        key = entry.stem
        entry.unlink()
        cache.put(key, {"unrelated": np.zeros(3)})
    with caplog.at_level(logging.WARNING, logger="tda_pipe"):
        again = run_pipeline(spec, tmp_path / "ring.npy", None, cache=cache)
    assert not again.cached
    assert again.artifacts["diagrams"].betti(1.0) == first.artifacts["diagrams"].betti(1.0)
    assert any("not" in r.getMessage() for r in caplog.records)


def test_diagrams_keep_their_cycles_and_approximation_through_the_cache(tmp_path):
    from tda_pipe.pipelines.cache import StageCache
    from tda_pipe.tda.diagrams import Diagrams

    d = Diagrams(
        [[[0.0, float("inf")], [0.0, 1.0]], [[0.5, 2.0]]],
        filtration="rips",
        cycles=[None, [np.array([[0, 1], [1, 2], [0, 2]])]],
        approximation={"method": "landmarks", "bound": 0.25},
    )
    cache = StageCache(tmp_path)
    cache.put("k" * 64, {"diagrams": d})
    back = cache.get("k" * 64, ("diagrams",))["diagrams"]
    assert back.cycle_dims == (1,)
    np.testing.assert_array_equal(back.cycles(1)[0].simplices, [[0, 1], [1, 2], [0, 2]])
    assert back.approximation == {"method": "landmarks", "bound": 0.25}


# -- the codec's checks of each part, one malformed entry each (found by mutation testing) -------
def _entry_of(tmp_path, value):
    cache = StageCache(tmp_path / "cache", version="test")
    key = cache.key("stage", {}, [])
    cache.put(key, {"out": value})
    [entry] = entries(tmp_path / "cache")
    return cache, key, entry


def _edit_out(change):
    """An edit of the entry's document: ``change(node)`` on the stored output's node."""

    def edit(document, arrays):
        document["outputs"]["out"] = change(document["outputs"]["out"], arrays)

    return edit


def _with(node, path, new):
    """``node`` with the sub-node at ``path`` (keys and indices into ``"v"``) replaced."""
    inner = node
    for step in path[:-1]:
        inner = inner["v"][step]
    inner["v"][path[-1]] = new
    return node


def _float_bytes(node, arrays):
    arrays[node["a"]] = np.zeros(3)  # bytes stored as a float array
    return node


def _wrong_mesh_vertices(node, arrays):
    return _with(node, ("mesh", 0), {"t": "list", "v": [1, 2]})


_NODE_DAMAGES = {
    "a file that is not bytes": (
        OutputFiles({"a.txt": b"x"}),
        _edit_out(lambda n, a: _with(n, ("files", 0), ["a.txt", 3])),
        "OutputFiles must map file names to bytes",
    ),
    "mesh vertices not an array": (
        "mesh",
        _edit_out(_wrong_mesh_vertices),
        "a mesh is stored as vertex and face arrays",
    ),
    "an edge whose last part is not its attributes": (
        nx.Graph([(0, 1)]),
        _edit_out(lambda n, a: _with(n, ("edges", 0), {"t": "tuple", "v": [0, 1, 5]})),
        "stored as tuples ending in their attributes",
    ),
    "a node of three parts": (
        nx.Graph([(0, 1)]),
        _edit_out(
            lambda n, a: _with(n, ("nodes", 0), {"t": "tuple", "v": [0, 1, {"t": "dict", "v": []}]})
        ),
        "nodes or edges have the wrong length",
    ),
    "the document as an array": (
        np.arange(3),
        _edit_out(lambda n, a: {"t": "array", "a": "document"}),
        "no array 'document' in the archive",
    ),
    "bytes of floats": (b"abc", _edit_out(_float_bytes), "bytes are stored as a 1-d uint8 array"),
    "a path that is a list": (
        Path("x"),
        _edit_out(lambda n, a: {"t": "path", "v": ["x"]}),
        "unknown type tag 'path'",
    ),
    "a dict stored as a dict": (
        {"k": 1},
        _edit_out(lambda n, a: {"t": "dict", "v": {"k": 1}}),
        "unknown type tag 'dict'",
    ),
    "a dict item of three parts": (
        {"k": 1},
        _edit_out(lambda n, a: {"t": "dict", "v": [["k", 1, 2]]}),
        "a dict is stored as [key, value] pairs",
    ),
}


@pytest.mark.parametrize("damage", _NODE_DAMAGES)
def test_a_malformed_part_is_a_miss_that_names_it(tmp_path, caplog, damage):
    value, edit, reason = _NODE_DAMAGES[damage]
    if isinstance(value, str) and value == "mesh":
        np.save(tmp_path / "m.npy", np.zeros((3, 3)))
        value = load(tmp_path / "m.npy")
        value.mesh = trimesh.creation.box()
    cache, key, entry = _entry_of(tmp_path, value)
    _rewrite(entry, edit)
    caplog.clear()
    assert cache.get(key) is None
    [warning] = warnings_of(caplog)
    assert reason in warning, warning


def test_a_mesh_comes_back_as_read_duplicate_vertices_included(tmp_path):
    """trimesh merges duplicate vertices unless told not to; a mesh read from a file keeps them."""
    box = trimesh.creation.box()
    vertices = np.vstack([box.vertices, box.vertices[:2]])  # two duplicates, unreferenced
    mesh = trimesh.Trimesh(vertices=vertices, faces=box.faces, process=False)
    np.save(tmp_path / "m.npy", vertices)
    loaded = load(tmp_path / "m.npy")
    loaded.mesh = mesh
    back = round_trip(loaded, tmp_path)
    np.testing.assert_array_equal(np.asarray(back.mesh.vertices), vertices)
    np.testing.assert_array_equal(np.asarray(back.mesh.faces), np.asarray(box.faces))


def test_the_default_cache_folder_follows_xdg(monkeypatch, tmp_path):
    from tda_pipe.pipelines.cache import default_cache_dir

    monkeypatch.delenv("TDA_PIPE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "tda-pipe"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "tda-pipe"
    monkeypatch.setenv("TDA_PIPE_CACHE_DIR", str(tmp_path / "own"))
    assert default_cache_dir() == tmp_path / "own"


def test_clear_removes_abandoned_writes_and_counts_entries_only(tmp_path):
    cache = StageCache(tmp_path / "cache", version="test")
    keys = [cache.key("s", {"i": i}, []) for i in range(2)]
    for key in keys:
        cache.put(key, {"x": np.arange(1000)})
    abandoned = tmp_path / "cache" / keys[0][:2] / f".{keys[0]}.x1y2.tmp"  # a killed write
    abandoned.write_bytes(b"half an entry")
    held = cache.size()
    files = [tmp_path / "cache" / key[:2] / f"{key}.npz" for key in keys]
    assert held == (2, sum(f.stat().st_size for f in files))
    assert cache.clear() == held  # the abandoned write goes too, but is not an entry
    assert not abandoned.exists() and cache.size() == (0, 0)


def test_keys_do_not_depend_on_the_order_parameters_are_given_in(tmp_path):
    cache = StageCache(tmp_path / "cache", version="test")
    assert cache.key("s", {"a": 1, "b": [2, 3]}, ["k"]) == cache.key(
        "s", {"b": [2, 3], "a": 1}, ["k"]
    )
    assert cache.key("s", {"a": 1}, []) != cache.key("s", {"a": 2}, [])
    assert StageCache(tmp_path / "c").version == code_version()  # the default: this code's


def test_outputs_not_keyed_by_names_and_a_document_of_floats_are_refused(tmp_path, caplog):
    cache = StageCache(tmp_path / "cache", version="test")
    key = cache.key("s", {}, [])
    cache.put(key, {1: np.arange(3)})  # outputs are keyed by artifact name
    assert entries(tmp_path / "cache") == [] and cache.get(key) is None
    cache.put(key, {"x": np.arange(3)})
    [entry] = entries(tmp_path / "cache")
    with np.load(entry) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["document"] = arrays["document"].astype(np.float64)
    np.savez(entry.with_suffix(".tmp.npz"), **arrays)
    entry.with_suffix(".tmp.npz").replace(entry)
    caplog.clear()
    assert cache.get(key) is None
    assert "document" in warnings_of(caplog)[0]
