"""On-disk cache of stage outputs, keyed by what determines them.

A stage's key hashes its name, its parameters, the keys of the artifacts it reads (so a change
upstream changes every key below it), the stage's fingerprint (``load`` hashes the input file's
bytes) and the package version with a digest of the package's source files (so an edited or
upgraded install never reads results of other code). The folder is ``$TDA_PIPE_CACHE_DIR``,
else ``$XDG_CACHE_HOME/tda-pipe``, else ``~/.cache/tda-pipe``; ``tda-pipe cache clear`` removes
the cache's own entry files from it and nothing else.

Reading an entry never runs code. An entry is one ``.npz`` archive, read with
``allow_pickle=False``: the outputs' arrays, and a JSON document of how they fit together. The
document holds JSON scalars, strings, lists, tuples, dicts, numeric, boolean and string arrays,
numpy scalars, bytes, paths, and the artifact types listed in :func:`_artifact_types` (the
project's) and :func:`_library_types` (scipy's and networkx's), each with the parts it is
stored as; decoding builds these types and no other. Outputs holding anything else (a plug-in
stage's own object) are not cached. An entry that cannot be read or holds anything unexpected
is a miss with one warning naming it: the stage runs again and its new entry replaces the bad
one. Entries are written to a temporary file and renamed into place, so a reader never sees
half an entry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["StageCache", "code_version", "default_cache_dir", "source_digest"]

logger = logging.getLogger("tda_pipe")


def default_cache_dir() -> Path:
    """The cache folder: ``$TDA_PIPE_CACHE_DIR``, ``$XDG_CACHE_HOME/tda-pipe`` or ``~/.cache``."""
    if os.environ.get("TDA_PIPE_CACHE_DIR"):
        return Path(os.environ["TDA_PIPE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tda-pipe"


SOURCE_PACKAGES = ("tda", "losses", "models", "pipelines", "commands", "datasets")
"""The subpackages whose code decides stage outputs (``tests``, ``.venv`` etc. are left out)."""


def source_digest(package: Path) -> str:
    """A digest of the top-level modules and the :data:`SOURCE_PACKAGES` files under ``package``."""
    files = [*package.glob("*.py")]
    for sub in SOURCE_PACKAGES:
        files += [*(package / sub).rglob("*.py"), *(package / sub).rglob("*.yaml")]
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(files):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def code_version() -> str:
    """The package version and the :func:`source_digest` of the installed package."""
    from tda_pipe import __version__

    return f"{__version__}+{source_digest(Path(__file__).resolve().parent.parent)}"


# -- the codec: outputs as arrays and a JSON document of how they fit together ---------------

FORMAT = "tda-pipe stage outputs"
FORMAT_VERSION = 2
_DOCUMENT = "document"  # the archive member holding the JSON document, UTF-8 bytes as uint8
_ARRAY_KINDS = "biufcSU"  # bool, integer, float, complex, bytes and str arrays; never objects
_NONE = (type(None),)


class Unstorable(TypeError):
    """Outputs holding a value the cache cannot store: they are not cached."""


class BadEntry(ValueError):
    """A cache entry whose contents are not what :meth:`StageCache.put` writes."""


@dataclass(frozen=True)
class _Artifact:
    """How one artifact type is stored: the named parts it is taken apart into, and back.

    ``schema`` maps each part to the types it may decode to (a type, or the name of a library
    of :data:`_LIBRARIES`: any of its stored types); an entry with other parts, or a part of
    another type, is a :class:`BadEntry`.
    """

    tag: str
    parts: Callable[[Any], dict]
    build: Callable[[dict], Any]
    schema: dict[str, tuple[type | str, ...]]


def _fields_artifact(cls: type, **schema: tuple[type | str, ...]) -> _Artifact:
    """A dataclass stored as all its fields."""
    missing = {f.name for f in dataclasses.fields(cls)} ^ set(schema)
    if missing:  # a field added to the class must be stored too
        raise TypeError(f"{cls.__name__}: the cache schema misses fields {sorted(missing)}")
    return _Artifact(
        cls.__name__, lambda obj: {n: getattr(obj, n) for n in schema}, lambda p: cls(**p), schema
    )


def _kind(kind: str) -> str:
    if kind not in ("points", "distances", "image"):
        raise BadEntry(f"unknown LoadedInput kind {kind[:40]!r}")
    return kind


def _mesh_parts(mesh) -> tuple[np.ndarray, np.ndarray]:
    import trimesh  # imported already: the mesh is one

    if type(mesh) is not trimesh.Trimesh:
        raise Unstorable(f"cannot store a mesh of type {type(mesh).__qualname__}")
    return np.asarray(mesh.vertices), np.asarray(mesh.faces)


def _mesh(parts: tuple | None):
    """The trimesh of ``(vertices, faces)``, as read (not merged or reordered)."""
    if parts is None:
        return None
    import trimesh

    vertices, faces = parts
    if not isinstance(vertices, np.ndarray) or not isinstance(faces, np.ndarray):
        raise BadEntry("a mesh is stored as vertex and face arrays")
    return trimesh.Trimesh(vertices=vertices, faces=faces, process=False)


def _output_files(parts: dict):
    from tda_pipe.pipelines.stages import OutputFiles

    files = parts["files"]
    if not all(type(k) is str and type(v) is bytes for k, v in files.items()):
        raise BadEntry("OutputFiles must map file names to bytes")
    return OutputFiles(files)


def _sparse_parts(matrix) -> dict:
    coo = matrix.tocoo()
    return {"shape": tuple(map(int, coo.shape)), "row": coo.row, "col": coo.col, "data": coo.data}


def _graph_parts(G) -> dict:
    edges = G.edges(keys=True, data=True) if G.is_multigraph() else G.edges(data=True)
    return {
        "graph": dict(G.graph),
        "nodes": [(n, dict(attrs)) for n, attrs in G.nodes(data=True)],
        "edges": [(*ends, dict(attrs)) for *ends, attrs in edges],
    }


def _graph(cls: type, parts: dict):
    """The graph ``cls`` of its attributes, ``(node, attrs)`` and ``(u, v[, key], attrs)`` parts."""
    G = cls()
    ends = 3 if G.is_multigraph() else 2
    nodes, edges = parts["nodes"], parts["edges"]
    for item in (*nodes, *edges):
        if type(item) is not tuple or type(item[-1]) is not dict:
            raise BadEntry("graph nodes and edges are stored as tuples ending in their attributes")
    if any(len(n) != 2 for n in nodes) or any(len(e) != ends + 1 for e in edges):
        raise BadEntry(f"a {cls.__name__}'s nodes or edges have the wrong length")
    G.graph.update(parts["graph"])
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    return G


@cache
def _artifact_types() -> dict[type, _Artifact]:
    """The project's artifact types the cache stores, by exact type (imported when first
    needed; those of other libraries are in :func:`_library_types`).

    These are the artifacts of the stages in :mod:`tda_pipe.pipelines`: ``data``
    (:class:`~tda_pipe.datasets.LoadedInput`), ``filtration`` (the filtration dataclasses, a
    Rips filtration's distances possibly sparse), ``diagrams``
    (:class:`~tda_pipe.tda.diagrams.Diagrams`), and the
    :class:`~tda_pipe.pipelines.stages.OutputFiles` of ``report``, ``mapper``, ``singularity``,
    ``model`` and ``distances``; ``features`` and ``latent`` are dicts and arrays.
    """
    from tda_pipe.datasets.readers import LoadedInput
    from tda_pipe.pipelines.stages import OutputFiles
    from tda_pipe.tda import filtrations as f
    from tda_pipe.tda.diagrams import Diagrams

    array, optional = (np.ndarray,), (np.ndarray, *_NONE)
    return {
        Diagrams: _Artifact(
            "Diagrams",
            lambda d: {
                "dgms": list(d),
                "pairs": None if d.pairs is None else list(d.pairs),
                "filtration": d.filtration,
                "backend": d.backend,
                "coeff": d.coeff,
                "cycles": None if d.cycle_arrays is None else list(d.cycle_arrays),
                "approximation": d.approximation,
            },
            lambda p: Diagrams(
                p["dgms"],
                p["pairs"],
                filtration=p["filtration"],
                backend=p["backend"],
                coeff=p["coeff"],
                cycles=p["cycles"],
                approximation=p["approximation"],
            ),
            {
                "dgms": (list,),
                "pairs": (list, *_NONE),
                "filtration": (str,),
                "backend": (str,),
                "coeff": (int,),
                "cycles": (list, *_NONE),
                "approximation": (dict, *_NONE),
            },
        ),
        LoadedInput: _Artifact(
            "LoadedInput",
            lambda d: {
                "path": d.path,
                "kind": d.kind,
                "array": d.array,
                "mesh": None if d.mesh is None else _mesh_parts(d.mesh),
                "labels": d.labels,
            },
            lambda p: LoadedInput(
                p["path"], _kind(p["kind"]), p["array"], _mesh(p["mesh"]), p["labels"]
            ),
            {
                "path": (Path,),
                "kind": (str,),
                "array": array,
                "mesh": (tuple, *_NONE),
                "labels": optional,
            },
        ),
        f.RipsFiltration: _fields_artifact(
            f.RipsFiltration,
            points=optional,
            distances=(*optional, "scipy.sparse"),
            metric=(str,),
            threshold=(float,),
            weights=optional,
            reason=(str,),
        ),
        f.SparseRipsFiltration: _fields_artifact(
            f.SparseRipsFiltration,
            points=optional,
            distances=optional,
            epsilon=(float,),
            threshold=(float,),
            reason=(str,),
        ),
        f.AlphaFiltration: _fields_artifact(f.AlphaFiltration, points=array, reason=(str,)),
        f.CubicalFiltration: _fields_artifact(f.CubicalFiltration, image=array, reason=(str,)),
        f.LowerStarFiltration: _fields_artifact(
            f.LowerStarFiltration, values=array, simplices=(list,), reason=(str,)
        ),
        OutputFiles: _Artifact(
            "OutputFiles", lambda o: {"files": dict(o)}, _output_files, {"files": (dict,)}
        ),
    }


#: The other libraries whose types the cache stores (graphs of ``mapper``, sparse distance
#: matrices), each imported only to store or read a value of it: a value of a library not yet
#: imported cannot exist, and a command that meets none pays neither import (0.3 s).
_LIBRARIES = ("scipy.sparse", "networkx")


@cache
def _library_types(library: str) -> dict[type, _Artifact]:
    """The types of one of :data:`_LIBRARIES` the cache stores, by exact type."""
    array = (np.ndarray,)
    if library == "scipy.sparse":
        from scipy import sparse

        kinds = [
            getattr(sparse, f"{fmt}_{k}") for k in ("matrix", "array") for fmt in ("coo", "csr")
        ]
        return {
            cls: _Artifact(
                f"scipy.sparse.{cls.__name__}",
                _sparse_parts,
                lambda p, cls=cls: cls((p["data"], (p["row"], p["col"])), shape=p["shape"]),
                {"shape": (tuple,), "row": array, "col": array, "data": array},
            )
            for cls in kinds
        }
    import networkx as nx

    return {
        cls: _Artifact(
            f"networkx.{cls.__name__}",
            _graph_parts,
            lambda p, cls=cls: _graph(cls, p),
            {"graph": (dict,), "nodes": (list,), "edges": (list,)},
        )
        for cls in (nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph)
    }


def _library_of(name: str) -> str | None:
    """The library of :data:`_LIBRARIES` a module or type tag ``name`` belongs to."""
    return next((lib for lib in _LIBRARIES if name == lib or name.startswith(lib + ".")), None)


def _artifact_of(kind: type) -> _Artifact | None:
    library = _library_of(kind.__module__)
    return _library_types(library).get(kind) if library else _artifact_types().get(kind)


@cache
def _artifact_tags(library: str | None) -> dict[str, _Artifact]:
    """The project's artifacts (``library`` None), or one library's, by tag."""
    types = _artifact_types() if library is None else _library_types(library)
    return {artifact.tag: artifact for artifact in types.values()}


def _artifact_tagged(tag: str) -> _Artifact | None:
    return _artifact_tags(_library_of(tag)).get(tag)


def _allowed(part: Any, types: tuple[type | str, ...]) -> bool:
    """Whether a decoded part is one of ``types`` (a type, or a library's stored types)."""
    return any(
        isinstance(part, t) if isinstance(t, type) else type(part) in _library_types(t)
        for t in types
    )


class _Encoder:
    """Turns a value into a JSON-ready node, collecting its arrays as ``a0, a1, ...``."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def _array(self, array: np.ndarray) -> str:
        if array.dtype.kind not in _ARRAY_KINDS:
            raise Unstorable(f"cannot store an array of dtype {array.dtype}")
        name = f"a{len(self.arrays)}"
        self.arrays[name] = array
        return name

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return value
        if kind in (list, tuple):
            return {"t": kind.__name__, "v": [self.encode(v) for v in value]}
        if kind is dict:
            return {"t": "dict", "v": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if kind is bytes:
            return {"t": "bytes", "a": self._array(np.frombuffer(value, dtype=np.uint8))}
        if kind is np.ndarray:
            return {"t": "array", "a": self._array(value)}
        if isinstance(value, np.generic):
            return {"t": "scalar", "a": self._array(np.asarray(value))}
        if isinstance(value, Path):
            return {"t": "path", "v": str(value)}
        artifact = _artifact_of(kind)
        if artifact is None:
            raise Unstorable(f"cannot store a {kind.__module__}.{kind.__qualname__}")
        return {
            "t": artifact.tag,
            "v": {k: self.encode(v) for k, v in artifact.parts(value).items()},
        }


class _Decoder:
    """Turns a node written by :class:`_Encoder` back into its value, reading ``archive``."""

    def __init__(self, archive) -> None:
        self.archive = archive

    def _array(self, name: object) -> np.ndarray:
        if type(name) is not str or name == _DOCUMENT or name not in self.archive.files:
            raise BadEntry(f"no array {str(name)[:40]!r} in the archive")
        array = self.archive[name]
        if array.dtype.kind not in _ARRAY_KINDS:
            raise BadEntry(f"array {name!r} has dtype {array.dtype}")
        return array

    def decode(self, node: Any) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is not dict or type(node.get("t")) is not str:
            raise BadEntry(f"unexpected {type(node).__name__} in the document")
        tag = node["t"]
        expected = {"t", "a"} if tag in ("array", "scalar", "bytes") else {"t", "v"}
        if set(node) != expected:
            raise BadEntry(f"a {tag[:40]!r} node holds {sorted(node)}")
        if tag == "array":
            return self._array(node["a"])
        if tag == "scalar":
            array = self._array(node["a"])
            if array.ndim != 0:
                raise BadEntry("a numpy scalar is stored as a 0-d array")
            return array[()]
        if tag == "bytes":
            array = self._array(node["a"])
            if array.dtype != np.uint8 or array.ndim != 1:
                raise BadEntry("bytes are stored as a 1-d uint8 array")
            return array.tobytes()
        value = node["v"]
        if tag == "path" and type(value) is str:
            return Path(value)
        if tag in ("list", "tuple") and type(value) is list:
            items = [self.decode(v) for v in value]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and type(value) is list:
            if not all(type(pair) is list and len(pair) == 2 for pair in value):
                raise BadEntry("a dict is stored as [key, value] pairs")
            return {self.decode(k): self.decode(v) for k, v in value}
        artifact = _artifact_tagged(tag)
        if artifact is None:
            raise BadEntry(f"unknown type tag {tag[:40]!r}")
        if type(value) is not dict or set(value) != set(artifact.schema):
            raise BadEntry(f"{tag} is stored as the parts {sorted(artifact.schema)}")
        parts = {name: self.decode(v) for name, v in value.items()}
        for name, part in parts.items():
            if not _allowed(part, artifact.schema[name]):
                raise BadEntry(f"{tag}.{name} holds a {type(part).__name__}")
        return artifact.build(parts)


_MEMBERS = {"format", "version", "key", "outputs"}
_ZIP_MAGIC = b"PK\x03\x04"


def _entry_members(key: str, outputs: dict) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` entry of ``outputs``: the document and the outputs' arrays."""
    if type(outputs) is not dict or not all(type(name) is str for name in outputs):
        raise Unstorable("stage outputs must be a dict keyed by artifact name")
    encoder = _Encoder()
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "key": key,
        "outputs": {name: encoder.encode(value) for name, value in outputs.items()},
    }
    text = json.dumps(document).encode()
    return {_DOCUMENT: np.frombuffer(text, dtype=np.uint8), **encoder.arrays}


def _read_entry(path: Path, key: str) -> dict:
    """The outputs in the entry file ``path``, which must have been written for ``key``."""
    # O_NONBLOCK: a FIFO planted under the entry's name is refused below, not waited on
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BadEntry("not a regular file")
        if fh.read(len(_ZIP_MAGIC)) != _ZIP_MAGIC:
            raise BadEntry("not an .npz archive")
        fh.seek(0)
        with np.load(fh, allow_pickle=False) as archive:
            raw = archive[_DOCUMENT] if _DOCUMENT in archive.files else None
            if raw is None or raw.dtype != np.uint8 or raw.ndim != 1:
                raise BadEntry("no document in the archive")
            document = json.loads(raw.tobytes().decode("utf-8"))
            if (
                type(document) is not dict
                or set(document) != _MEMBERS
                or (document["format"], document["version"]) != (FORMAT, FORMAT_VERSION)
            ):
                raise BadEntry(f"not a {FORMAT} document, version {FORMAT_VERSION}")
            if document["key"] != key:
                raise BadEntry("written for another key")
            if type(document["outputs"]) is not dict:
                raise BadEntry("the outputs are not a mapping")
            decoder = _Decoder(archive)
            return {name: decoder.decode(node) for name, node in document["outputs"].items()}


def _reason(exc: Exception) -> str:
    """One short line on why an entry was not read."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = (str(exc).strip().splitlines() or [""])[0][:120]
    return text if isinstance(exc, BadEntry) else f"{type(exc).__name__}: {text}".rstrip(": ")


# -- the cache folder ------------------------------------------------------------------------

_SUBDIR = re.compile(r"[0-9a-f]{2}")
# entries (.pkl: the pickles of earlier versions, never read now) and unfinished writes
_ENTRY_FILE = re.compile(r"(?P<key>[0-9a-f]{40})\.(?:npz|pkl)")
_TEMP_FILE = re.compile(r"\.(?P<key>[0-9a-f]{40})\.[a-z0-9_]+\.tmp")


class StageCache:
    """Stage outputs on disk under ``root`` (default :func:`default_cache_dir`).

    Parameters
    ----------
    root : Path, optional
        The cache folder.
    enabled : bool, default True
        ``False``: every lookup misses and nothing is stored (``--no-cache``); keys are still
        computed.
    version : str, optional
        Folded into every key (default :func:`code_version`), so other code never reads
        these entries.

    Examples
    --------
    >>> import tempfile
    >>> cache = StageCache(tempfile.mkdtemp())
    >>> key = cache.key("persistence", {"max_dim": 1}, ["abc"])
    >>> cache.get(key) is None
    True
    >>> cache.put(key, {"diagrams": [1, 2]})
    >>> cache.get(key)
    {'diagrams': [1, 2]}
    >>> cache.size()[0]
    1
    """

    def __init__(
        self, root: str | Path | None = None, *, enabled: bool = True, version: str | None = None
    ) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.enabled = enabled
        self.version = code_version() if version is None else version

    def key(
        self, stage: str, params: dict, input_keys: list[str | None], fingerprint: bytes = b""
    ) -> str:
        """The key of a stage run: name, parameters, upstream keys, fingerprint, version."""
        digest = hashlib.blake2b(digest_size=20)
        text = json.dumps([self.version, stage, params, input_keys], sort_keys=True, default=str)
        digest.update(text.encode())
        digest.update(fingerprint)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npz"

    def get(self, key: str, names: tuple[str, ...] | None = None) -> dict | None:
        """The outputs stored under ``key``, or ``None``.

        An entry that cannot be read, was not written by :meth:`put` for ``key``, or (given
        ``names``) does not hold exactly the outputs ``names``, is ``None`` with one warning.
        """
        if not self.enabled:
            return None
        path = self._path(key)
        try:
            outputs = _read_entry(path, key)
            if names is not None and set(outputs) != set(names):
                raise BadEntry(f"holds {sorted(outputs)}, not {sorted(names)}")
        except FileNotFoundError:
            return None
        except Exception as exc:  # whatever a damaged or planted entry holds, it is a miss
            logger.warning("cache entry %s not used (%s); the stage runs again", path, _reason(exc))
            return None
        return outputs

    def put(self, key: str, outputs: dict) -> None:
        """Store ``outputs`` under ``key`` (atomically; a failure to write is not an error).

        Outputs holding a value of a type the cache does not store are not cached.
        """
        if not self.enabled:
            return
        try:
            members = _entry_members(key, outputs)
        except (Unstorable, RecursionError) as exc:
            logger.debug("stage outputs %s not cached: %s", key, exc)
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=path.parent)
        except OSError as exc:
            logger.warning("cache entry not written: %s", exc)
            return
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **members)
            os.replace(tmp, path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            logger.warning("cache entry not written: %s", exc)

    def _own_files(self, unfinished: bool = False) -> list[Path]:
        """The entry files in the cache folder (and, with ``unfinished``, abandoned writes).

        Only files named as this class names them, in a two-letter folder named after their
        key, count: anything else a user keeps in the folder is left alone.
        """
        found = []
        try:
            subs = [s for s in self.root.iterdir() if _SUBDIR.fullmatch(s.name)]
        except OSError:
            return []
        for sub in subs:
            if sub.is_symlink() or not sub.is_dir():
                continue
            try:
                names = [p.name for p in sub.iterdir()]
            except OSError:
                continue
            for name in names:
                match = _ENTRY_FILE.fullmatch(name) or (unfinished and _TEMP_FILE.fullmatch(name))
                entry = sub / name
                if match and match["key"][:2] == sub.name and not entry.is_dir():
                    found.append(entry)
        return found

    def size(self) -> tuple[int, int]:
        """``(entries, bytes)`` held."""
        sizes = [_size(entry) for entry in self._own_files()]
        return len(sizes), sum(sizes)

    def clear(self) -> tuple[int, int]:
        """Remove the cache's entries (nothing else); returns what was removed, as :meth:`size`."""
        entries = n_bytes = 0
        folders = set()
        for entry in self._own_files(unfinished=True):
            size = _size(entry)
            try:
                entry.unlink()
            except OSError:
                continue
            folders.add(entry.parent)
            if _ENTRY_FILE.fullmatch(entry.name):
                entries, n_bytes = entries + 1, n_bytes + size
        for folder in folders:
            with contextlib.suppress(OSError):  # not empty: it holds someone else's files
                folder.rmdir()
        return entries, n_bytes


def _size(path: Path) -> int:
    """Bytes of the file ``path`` itself (a link's own size), 0 if it is gone."""
    try:
        return path.lstat().st_size
    except OSError:
        return 0
