"""Property tests of the two doors hostile files come in by: the readers and pipeline files.

Whatever the bytes, :func:`tda_pipe.datasets.load` and :func:`tda_pipe.pipelines.spec.load_spec`
give a valid result or an :class:`InputError` with one line naming the file: never another
exception, never a hang. Generated inputs include non-UTF-8 bytes, damaged ``.npy`` files,
YAML aliases (bombs among them), random YAML and TOML structures, and files that are a
directory, missing, a FIFO or unreadable. Each test is bounded to about a second.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tda_pipe.datasets import LoadedInput, load
from tda_pipe.errors import InputError
from tda_pipe.pipelines.spec import PipelineSpec, load_spec
from tda_pipe.pipelines.stages import registered_stages

SETTINGS = settings(
    # 60 examples a test keep the file near a few seconds; TDA_PIPE_EXAMPLES=2000 hunts longer
    max_examples=int(os.environ.get("TDA_PIPE_EXAMPLES", 60)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROOT = os.geteuid() == 0  # root reads a file whatever its permissions
PLACES = ["file", "directory", "missing", "fifo"] + ([] if ROOT else ["unreadable"])


@contextlib.contextmanager
def placed(name: str, content: bytes, place: str) -> Iterator[Path]:
    """``name`` in a fresh folder: a file holding ``content``, or a directory, nothing, a FIFO."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        if place in ("file", "unreadable"):
            path.write_bytes(content)
        elif place == "directory":
            path.mkdir()
        elif place == "fifo":
            os.mkfifo(path)
        if place == "unreadable":
            path.chmod(0)
        try:
            yield path
        finally:
            if place == "unreadable":
                path.chmod(0o600)


def check_outcome(call, path: Path):
    """``call()``'s result, or ``None`` if it raised an InputError of one line naming ``path``."""
    start = time.perf_counter()
    try:
        result = call()
    except InputError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message, repr(message)
        assert str(path) in message or message.startswith("--set "), message
        result = None
    assert time.perf_counter() - start < 5.0  # a hang shows as a slow example long before
    return result


def not_utf8(data: st.DataObject, raw: bytes) -> bytes:
    """``raw`` with a byte no UTF-8 text holds put somewhere in it."""
    at = data.draw(st.integers(0, len(raw)))
    return raw[:at] + data.draw(st.sampled_from([b"\xff", b"\xe9", b"\xc3", b"\x80"])) + raw[at:]


# -- readers ---------------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(width=32).map(lambda x: f"{x:.3e}"),
    st.sampled_from(["nan", "-inf", "1e999", "1_000", "0x10", "+.5", "1,5", "", " ", "١٢"]),
)
CELLS = st.one_of(NUMBERS, NUMBERS, st.text(max_size=6))


@st.composite
def tables(draw) -> bytes:
    """Text tables: rows of numbers and words, ragged or not, with headers, comments, blanks."""
    delimiter = draw(st.sampled_from([",", ";", "\t", " ", "  ", "|"]))
    width = draw(st.integers(1, 4))
    rows = draw(
        st.lists(
            st.lists(CELLS, min_size=width, max_size=width) | st.lists(CELLS, max_size=5),
            max_size=6,
        )
    )
    lines = [delimiter.join(row) for row in rows]
    if draw(st.booleans()):
        lines.insert(0, delimiter.join(draw(st.lists(st.text(max_size=5), max_size=4))))
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["#", "# x", ""])))
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, errors="replace")


@st.composite
def arrays(draw) -> np.ndarray:
    """Arrays of any dtype (objects and records too) and of up to three small dimensions."""
    dtype = draw(
        st.one_of(
            hnp.scalar_dtypes(),
            hnp.byte_string_dtypes(max_len=3),
            hnp.unicode_string_dtypes(max_len=3),
            st.just(np.dtype(object)),
            st.just(np.dtype([("a", "<f8"), ("b", "<i4")])),
        )
    )
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    if dtype.kind != "O":
        return draw(hnp.arrays(dtype, shape))
    array = np.empty(shape, dtype=object)
    array.fill(draw(st.sampled_from([1.5, "x", None])))
    return array


def damaged(draw, raw: bytes) -> bytes:
    """``raw`` as it is, cut short, or with one byte changed."""
    damage = draw(st.sampled_from(["none", "none", "truncate", "flip"]))
    if damage == "truncate":
        return raw[: draw(st.integers(0, len(raw)))]
    if damage == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        return raw[:at] + bytes([raw[at] ^ draw(st.integers(1, 255))]) + raw[at + 1 :]
    return raw


@st.composite
def npy_files(draw) -> bytes:
    """``.npy`` files of any array, some of them damaged."""
    buffer = io.BytesIO()
    np.save(buffer, draw(arrays()), allow_pickle=True)
    return damaged(draw, buffer.getvalue())


@st.composite
def npz_files(draw) -> bytes:
    """``.npz`` archives of arrays named as data, labels or otherwise, some of them damaged."""
    names = st.sampled_from(["points", "X", "data", "distances", "image", "labels", "y", "z"])
    members = draw(st.dictionaries(names, arrays() | hnp.arrays(float, (4, 2)), max_size=3))
    buffer = io.BytesIO()
    np.savez(buffer, **members)
    return damaged(draw, buffer.getvalue())


def check_loaded(loaded: LoadedInput, sample: int | None) -> None:
    assert isinstance(loaded, LoadedInput)
    assert loaded.array.dtype == np.float64
    if sample is not None:
        assert len(loaded.array) == sample


@SETTINGS
@given(
    data=st.data(),
    suffix=st.sampled_from([".csv", ".txt", ".tsv", ".CSV"]),
    place=st.sampled_from(PLACES + ["file"] * 6),
    sample=st.none() | st.integers(-1, 5),
    precomputed=st.booleans(),
)
def test_text_tables_load_or_fail_in_one_line(data, suffix, place, sample, precomputed):
    raw = data.draw(
        st.one_of(tables(), st.binary(max_size=40), st.text(max_size=40).map(str.encode))
    )
    if data.draw(st.booleans()):
        raw = not_utf8(data, raw)
    with placed(f"t{suffix}", raw, place) as path:
        options = {"sample": sample, "precomputed": precomputed}
        loaded = check_outcome(lambda: load(path, **options), path)
        if loaded is not None:
            check_loaded(loaded, sample)
            assert loaded.array.ndim == 2


@SETTINGS
@given(
    data=st.data(),
    place=st.sampled_from(PLACES + ["file"] * 6),
    sample=st.none() | st.integers(-1, 5),
    precomputed=st.booleans(),
)
def test_npy_and_npz_files_load_or_fail_in_one_line(data, place, sample, precomputed):
    suffix = data.draw(st.sampled_from([".npy", ".npz"]))
    files = npy_files() if suffix == ".npy" else npz_files()
    raw = data.draw(st.one_of(files, files, st.binary(max_size=60)))
    with placed(f"a{suffix}", raw, place) as path:
        options = {"sample": sample, "precomputed": precomputed}
        loaded = check_outcome(lambda: load(path, **options), path)
        if loaded is not None:
            check_loaded(loaded, sample)


# -- pipeline files --------------------------------------------------------------------------

STAGE_NAMES = st.sampled_from([*registered_stages(), "nonsense", "", "load "])
PARAM_NAMES = st.sampled_from(["n", "max_dim", "kind", "path", "scales", "top", "metric", "x"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(["${input}", "${stem}", "rips", "maxmin", "1e3", "-1"]),
)


KEYS = st.text(max_size=5)


def values(scalars=SCALARS, keys=KEYS):
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=12,
    )


# per stage, valid values of some of its parameters
STAGE_PARAMS = {
    "load": {
        "path": st.sampled_from(["${input}", "${stem}.npy", "${stem}${input}"]),
        "sample": st.none() | st.integers(1, 50),
        "precomputed": st.booleans(),
    },
    "subsample": {"n": st.integers(2, 100), "method": st.sampled_from(["random", "maxmin"])},
    "filtration": {
        "kind": st.sampled_from(["auto", "rips", "alpha", "cubical"]),
        "threshold": st.none() | st.floats(0.1, 5),
        "metric": st.sampled_from(["euclidean", "precomputed"]),
    },
    "persistence": {
        "max_dim": st.integers(0, 3),
        "backend": st.sampled_from(["auto", "gudhi", "ripser"]),
    },
    "features": {"kinds": st.lists(st.sampled_from(["betti_curve", "landscape"]))},
    "report": {
        "scales": st.none() | st.lists(st.floats(0, 10), max_size=3),
        "top": st.integers(1, 5),
        "figures": st.booleans(),
    },
}


@st.composite
def pipelines(draw, scalars=SCALARS) -> dict:
    """Valid pipelines of the built-in stages, then up to three changes that may spoil them."""
    stages: list = []
    for name, params in STAGE_PARAMS.items():
        chosen = draw(st.fixed_dictionaries({}, optional=params))
        if name == "subsample":
            chosen.setdefault("n", 10)
        stages.append({name: chosen} if chosen or draw(st.booleans()) else name)
    document = {"stages": stages}
    if draw(st.booleans()):
        document["name"] = draw(st.text(max_size=10))
    for _ in range(draw(st.integers(0, 3))):
        change = draw(st.sampled_from(["param", "drop", "stage", "name"]))
        if change == "name":
            document["name"] = draw(values(scalars))
        elif change == "drop" and len(stages) > 1:
            stages.pop(draw(st.integers(0, len(stages) - 1)))
        elif change == "stage":
            stages.insert(draw(st.integers(0, len(stages))), draw(STAGE_NAMES))
        elif change == "param":
            at = draw(st.integers(0, len(stages) - 1))
            name = stages[at] if isinstance(stages[at], str) else next(iter(stages[at]))
            stages[at] = {name: {draw(PARAM_NAMES): draw(values(scalars))}}
    return document


def documents(scalars=SCALARS, keys=KEYS):
    """Pipelines, pipeline-like mappings (any stages, parameters) and anything else."""
    anything = values(scalars, keys)
    params = st.dictionaries(PARAM_NAMES | keys, anything, max_size=3)
    stage = STAGE_NAMES | st.dictionaries(STAGE_NAMES, params | anything, min_size=1, max_size=2)
    pipeline = st.fixed_dictionaries(
        {"stages": st.lists(stage, max_size=6) | anything}, optional={"name": anything}
    )
    extra = st.dictionaries(keys, anything, max_size=2)
    like = st.builds(lambda extra, base: {**extra, **base}, extra, pipeline)
    return st.one_of(pipelines(scalars), pipelines(scalars), pipelines(scalars), like, anything)


@st.composite
def shared(draw, document):
    """``document`` with one value put in several places: YAML writes it as an anchor and
    aliases. Nested ``levels`` deep, ``fan`` wide, the aliases expand to ``fan ** levels``."""
    fan, levels = draw(st.integers(1, 9)), draw(st.integers(1, 10))
    value = draw(values())
    for _ in range(levels):
        value = [value] * fan
    if isinstance(document, dict) and draw(st.booleans()):
        stages = document.get("stages")
        if isinstance(stages, list) and stages and draw(st.booleans()):
            where = draw(st.sampled_from(["name", "scales"]))
            stages.append({"report": {where: value}} if where == "scales" else value)
        else:
            document["name"] = value
        return document
    return {"stages": ["load", {"report": {"scales": value}}], "name": value}


def to_toml(document) -> str:
    """A mapping as TOML text (``None`` values left out: TOML has none)."""

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return (
                "nan"
                if math.isnan(v)
                else ("inf" if v > 0 else "-inf")
                if math.isinf(v)
                else repr(v)
            )
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v if x is not None) + "]"
        return (
            "{"
            + ", ".join(
                f"{json.dumps(k, ensure_ascii=False)} = {value(x)}"
                for k, x in v.items()
                if x is not None
            )
            + "}"
        )

    if not isinstance(document, dict):
        return f"stages = {value(document)}" if document is not None else ""
    return "\n".join(
        f"{json.dumps(k, ensure_ascii=False)} = {value(v)}"
        for k, v in document.items()
        if v is not None
    )


@st.composite
def pipeline_files(draw) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["yaml"] * 4 + ["aliases", "toml", "toml", "text", "bytes"]))
    suffix = draw(st.sampled_from([".yaml", ".yml", ".toml", ".YAML", ".json", ""]))
    if kind == "toml":
        text = to_toml(draw(documents(SCALARS.filter(lambda v: v is not None))))
        suffix = draw(st.sampled_from([".toml", ".toml", ".yaml"]))
    elif kind in ("yaml", "aliases"):
        document = draw(documents())
        if kind == "aliases":
            document = draw(shared(document))
        text = yaml.safe_dump(document, allow_unicode=draw(st.booleans()))
        suffix = draw(st.sampled_from([".yaml", ".yml", ".yml", ".toml"]))
    elif kind == "text":
        text = draw(st.text(max_size=60))
    else:
        return suffix, draw(st.binary(max_size=60))
    if draw(st.integers(0, 4)) == 0:  # a cut or a stray character
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["", "[", "{", ":", "*a", "&a", "\t", "\x00"]))
    return suffix, text.encode()


@SETTINGS
@given(data=st.data(), file=pipeline_files(), place=st.sampled_from(PLACES + ["file"] * 8))
def test_pipeline_files_parse_or_fail_in_one_line(data, file, place):
    suffix, raw = file
    if data.draw(st.integers(0, 5)) == 0:
        raw = not_utf8(data, raw)
    overrides = data.draw(
        st.lists(
            st.sampled_from(["persistence.max_dim=2", "report.scales=[&a [1], *a]", "x=1"])
            | st.text(max_size=12),
            max_size=2,
        )
    )
    with placed(f"spec{suffix}", raw, place) as path:
        spec = check_outcome(lambda: load_spec(path, overrides), path)
        if spec is not None:
            assert isinstance(spec, PipelineSpec)
            json.dumps(spec.to_dict())
            spec.digest()
            for call in spec.calls:
                call.with_input(Path("a${stem}b.npy"))
