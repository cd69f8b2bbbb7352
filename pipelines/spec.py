"""Pipeline files: a list of stages with parameters, in YAML or TOML, checked before anything runs.

A pipeline file::

    name: my-analysis          # optional
    stages:
      - load                   # a stage with its default parameters
      - subsample: {n: 500, method: maxmin}
      - filtration: {kind: rips}
      - persistence: {max_dim: 2}
      - features
      - report: {scales: [0.1, 0.5]}

In TOML, ``stages = [{load = {}}, {persistence = {max_dim = 2}}, ...]``. A parameter value may
hold ``${input}`` (the input file) or ``${stem}`` (its name without extension); they are filled
in per input. ``--set STAGE.FIELD=VALUE`` overrides a parameter (``STAGE`` is a stage name, or
its 1-based position where a name appears twice); ``VALUE`` is read as YAML (``2``, ``null``,
``[0.1, 0.5]``).

Every problem — an unknown stage, an unknown or mistyped parameter, an artifact that no earlier
stage produces — raises :class:`SpecError` naming the file, the stage (position and name) and
the field. So does a file that cannot be read as UTF-8 YAML or TOML, one nested more than
:data:`MAX_DEPTH` deep, or one holding more than :data:`MAX_VALUES` values once its YAML aliases
are expanded (a "billion laughs" file of 400 bytes expands to 10^9 strings). Messages quote
at most about 80 characters of any value from the file.
"""

from __future__ import annotations

import hashlib
import json
import re
import reprlib
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from tda_pipe.datasets.readers import decode_utf8
from tda_pipe.errors import InputError
from tda_pipe.pipelines.stages import (
    StageDef,
    StageParams,
    get_stage,
    registered_stages,
    stage_names,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "DEFAULT_PIPELINE",
    "PipelineSpec",
    "SpecError",
    "StageCall",
    "load_spec",
    "parse_overrides",
    "parse_spec",
]

DEFAULT_PIPELINE = Path(__file__).with_name("default.yaml")
MAX_VALUES = 100_000
"""The most values (scalars, lists, mappings) a pipeline may hold, every alias use counted."""
MAX_DEPTH = 50
"""The deepest nesting of lists and mappings a pipeline may have."""

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SHOWN = 80  # the most characters of a value an error message quotes
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _SHOWN
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict = 2, 4, 4


class SpecError(InputError):
    """A pipeline file that cannot run: names the file, the stage and the field."""


@dataclass(frozen=True)
class StageCall:
    """One entry of a pipeline: a stage and its validated parameters."""

    position: int
    stage: StageDef
    params: StageParams

    @property
    def label(self) -> str:
        """``stage 3 (persistence)``: how errors name this entry."""
        return f"stage {self.position} ({self.stage.name})"

    def with_input(self, path: Path) -> StageCall:
        """These parameters with ``${input}`` and ``${stem}`` filled in for ``path``."""
        raw = _substitute(self.params.model_dump(), {"${input}": str(path), "${stem}": path.stem})
        return StageCall(self.position, self.stage, self.stage.params.model_validate(raw))


@dataclass(frozen=True)
class PipelineSpec:
    """A validated pipeline: its stages in order, where it came from, and its name."""

    name: str
    calls: tuple[StageCall, ...]
    source: str

    def to_dict(self) -> dict:
        """The pipeline as a file would write it, every parameter explicit."""
        return {
            "name": self.name,
            "stages": [{c.stage.name: c.params.model_dump(mode="json")} for c in self.calls],
        }

    def digest(self) -> str:
        """A hash of the stages and their parameters (not of ``source``)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    @property
    def uses_input(self) -> bool:
        """Whether a parameter reads ``${input}`` or ``${stem}``."""
        text = json.dumps(self.to_dict())
        return "${input}" in text or "${stem}" in text

    @property
    def input_calls(self) -> tuple[StageCall, ...]:
        return tuple(c for c in self.calls if c.stage.scope == "input")

    @property
    def batch_calls(self) -> tuple[StageCall, ...]:
        return tuple(c for c in self.calls if c.stage.scope == "batch")


def _shown(value: object) -> str:
    """``repr(value)``, cut to about 80 characters (without building the whole of it)."""
    text = _REPR.repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _plain(text: str) -> str:
    """A name from the file as messages show it: as written if short and printable, else quoted."""
    return text if text.isprintable() and len(text) <= _SHOWN else _shown(text)


def _substitute(value, table: dict[str, str]):
    """``value`` with the keys of ``table`` replaced in every string, in one pass.

    One pass: text put in for one key is never searched again (an input named ``a${stem}.npy``
    stays as it is).
    """
    pattern = re.compile("|".join(map(re.escape, table)))

    def fill(value):
        if isinstance(value, str):
            return pattern.sub(lambda match: table[match.group()], value)
        if isinstance(value, list):
            return [fill(v) for v in value]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    return fill(value)


def _read(path: Path) -> dict:
    """The data of a pipeline file; :class:`SpecError` for any file that cannot be read."""
    if path.is_dir():
        raise SpecError(f"{path}: is a directory; give a pipeline file (.yaml, .yml or .toml)")
    if not path.exists():
        raise SpecError(f"{path}: no such pipeline file")
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise SpecError(f"{path}: a pipeline file ends in .yaml, .yml or .toml")
    if not path.is_file():  # a FIFO or a device: reading could wait for ever
        raise SpecError(f"{path}: not a regular file; give a pipeline file")
    try:
        text = decode_utf8(path, path.read_bytes(), "a pipeline file")
    except OSError as exc:
        raise SpecError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except InputError as exc:
        raise SpecError(str(exc)) from None
    try:
        return tomllib.loads(text) if suffix == ".toml" else _load_yaml(text, str(path))
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: not valid {suffix[1:].upper()}: {_parse_error(exc)}") from None
    except RecursionError:  # the parsers recurse once per level, to about a thousand
        raise _too_deep(str(path)) from None


def _parse_error(exc: Exception) -> str:
    """One short line on a YAML or TOML syntax error, with its line and column."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    text = problem or (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if mark is not None:
        text = f"{text} (line {mark.line + 1}, column {mark.column + 1})"
    return text[:200]


def _load_yaml(text: str, source: str):
    """``yaml.safe_load(text)``, refusing a document too large or deep once aliases expand.

    The check walks the composed document (every alias use counted) before anything is built,
    and stops at :data:`MAX_VALUES`: a "billion laughs" costs milliseconds. libyaml's parser,
    where PyYAML has it, also refuses 5000 nested brackets in 2 ms (the Python one takes 2 s).
    """
    loader = _YAML_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_size(root: yaml.Node, source: str) -> None:
    """Walk the composed document, counting every alias use, up to the first limit passed."""
    seen: set[int] = set()
    aliased = False
    stack = [(root, 1)]
    count = depth = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        aliased |= id(node) in seen
        seen.add(id(node))
        if count > MAX_VALUES or depth > MAX_DEPTH:
            break
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend((part, depth + 1) for pair in node.value for part in pair)
    else:
        return
    limit = f"{MAX_DEPTH} levels of nesting" if depth > MAX_DEPTH else f"{MAX_VALUES} values"
    if aliased:
        raise SpecError(f"{source}: aliases expand it past {limit}; write the values out")
    if depth > MAX_DEPTH:
        raise _too_deep(source)
    raise SpecError(f"{source}: holds more than {limit}; a pipeline needs far fewer")


def _too_deep(source: str) -> SpecError:
    return SpecError(f"{source}: nested too deeply; a pipeline nests at most {MAX_DEPTH} levels")


def _entries(data, source: str) -> list[tuple[str, dict]]:
    if not isinstance(data, dict) or "stages" not in data:
        raise SpecError(f"{source}: needs a top-level 'stages' list")
    unknown = [key for key in data if key not in ("name", "stages")]
    if unknown:
        raise SpecError(
            f"{source}: unknown top-level key {_shown(unknown[0])}; use name and stages"
        )
    stages = data["stages"]
    if not isinstance(stages, list) or not stages:
        raise SpecError(f"{source}: 'stages' must be a non-empty list")
    entries = []
    for i, entry in enumerate(stages, start=1):
        if isinstance(entry, str):
            entries.append((entry, {}))
        elif isinstance(entry, dict) and len(entry) == 1:
            name, params = next(iter(entry.items()))
            if params is None:
                params = {}
            if not isinstance(params, dict):
                raise SpecError(
                    f"{source}: stage {i} ({_plain(str(name))}): parameters must be a mapping, "
                    f"not {type(params).__name__}"
                )
            entries.append((str(name), dict(params)))
        else:
            raise SpecError(
                f"{source}: stage {i}: write a stage as 'name' or 'name: {{param: value}}'"
            )
    return entries


def parse_overrides(items: list[str] | None) -> list[tuple[str, str, object]]:
    """``["persistence.max_dim=2"]`` to ``[("persistence", "max_dim", 2)]`` (values as YAML)."""
    parsed = []
    for item in items or []:
        target, sep, value = item.partition("=")
        stage_name, dot, field = target.strip().partition(".")
        source = f"--set {_shown(item)}"
        if not sep or not dot or not stage_name or not field:
            raise SpecError(f"{source}: write STAGE.FIELD=VALUE, e.g. persistence.max_dim=2")
        try:
            parsed.append((stage_name, field, _load_yaml(value, source)))
        except yaml.YAMLError as exc:
            raise SpecError(f"{source}: cannot read the value ({_parse_error(exc)})") from None
        except RecursionError:
            raise _too_deep(source) from None
    return parsed


def _apply_overrides(
    entries: list[tuple[str, dict]], overrides: list[tuple[str, str, object]], source: str
) -> None:
    for target, field, value in overrides:
        if target.isdigit():
            index = int(target) - 1
            if not 0 <= index < len(entries):
                raise SpecError(f"--set {target}.{field}: {source} has {len(entries)} stages")
        else:
            matches = [i for i, (name, _) in enumerate(entries) if name == target]
            if not matches:
                names = ", ".join(dict.fromkeys(_plain(n) for n, _ in entries))
                raise SpecError(
                    f"--set {target}.{field}: {source} has no stage {target!r}; {names}"
                )
            if len(matches) > 1:
                raise SpecError(
                    f"--set {target}.{field}: {target!r} appears {len(matches)} times in "
                    f"{source}; name it by position, e.g. --set {matches[0] + 1}.{field}=..."
                )
            index = matches[0]
        entries[index][1][field] = value


def _validate(position: int, stage: StageDef, params: dict, source: str) -> StageParams:
    try:
        return stage.params.model_validate(params)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = _plain(".".join(str(p) for p in error["loc"])) or "(parameters)"
        if error["type"] == "extra_forbidden":
            known = ", ".join(stage.params.model_fields) or "none"
            message = f"unknown parameter; {stage.name} takes {known}"
        else:
            text = " ".join(error["msg"].split())[:200]  # one line, whatever the validator says
            message = f"{text} (got {_shown(error.get('input'))})"
        raise SpecError(f"{source}: stage {position} ({stage.name}): {field}: {message}") from None


def _check_artifacts(calls: list[StageCall], source: str) -> None:
    made: set[str] = set()
    seen_batch = False
    for call in calls:
        if call.stage.scope == "input" and seen_batch:
            raise SpecError(
                f"{source}: {call.label}: a per-input stage cannot follow a batch stage; "
                "move the batch stages to the end"
            )
        seen_batch |= call.stage.scope == "batch"
        for name in call.stage.inputs:
            if name not in made:
                producers = [s.name for s in registered_stages().values() if name in s.outputs]
                hint = f"; add {' or '.join(producers)} before it" if producers else ""
                raise SpecError(
                    f"{source}: {call.label}: needs artifact {name!r}, "
                    f"which no earlier stage produces{hint}"
                )
        made.update(call.stage.outputs)


def _fill_from_readers(calls: list[StageCall]) -> list[StageCall]:
    """Each stage's unset :attr:`~StageDef.from_reader` parameters, from the next stage that
    reads one of its outputs (and has that parameter)."""
    filled = list(calls)
    for i, call in enumerate(calls):
        unset = [f for f in call.stage.from_reader if getattr(call.params, f) is None]
        if not unset:
            continue
        outputs = set(call.stage.outputs)
        reader = next(
            (c for c in calls[i + 1 :] if outputs & {*c.stage.inputs, *c.stage.optional_inputs}),
            None,
        )
        if reader is None:
            continue
        values = {f: getattr(reader.params, f) for f in unset if hasattr(reader.params, f)}
        if values:
            filled[i] = StageCall(call.position, call.stage, call.params.model_copy(update=values))
    return filled


def parse_spec(
    data: dict, source: str = "<pipeline>", overrides: list[str] | None = None
) -> PipelineSpec:
    """Validate a pipeline given as a dict (what a YAML or TOML file holds).

    Examples
    --------
    >>> spec = parse_spec({"stages": ["load", "filtration", {"persistence": {"max_dim": 2}}]})
    >>> [c.stage.name for c in spec.calls], spec.calls[1].params.max_dim
    (['load', 'filtration', 'persistence'], 2)
    >>> try:
    ...     parse_spec({"stages": ["load", "persistence"]}, "spec.yaml")
    ... except SpecError as exc:
    ...     print(exc)
    spec.yaml: stage 2 (persistence): needs artifact 'filtration', which no earlier stage \
produces; add filtration before it
    """
    entries = _entries(data, source)
    _apply_overrides(entries, parse_overrides(overrides), source)
    calls = []
    for position, (name, params) in enumerate(entries, start=1):
        try:
            stage = get_stage(name)
        except InputError:  # get_stage's message would quote all of a long name
            raise SpecError(
                f"{source}: stage {position} ({_plain(name)}): unknown stage {_shown(name)}; "
                f"known stages: {', '.join(stage_names())}"
            ) from None
        calls.append(StageCall(position, stage, _validate(position, stage, params, source)))
    _check_artifacts(calls, source)
    name = data.get("name")
    if name is None or name == "":
        name = Path(source).stem if source != "<pipeline>" else "pipeline"
    elif not isinstance(name, str | int | float):
        raise SpecError(f"{source}: name must be a string, not {type(name).__name__}")
    return PipelineSpec(str(name), tuple(_fill_from_readers(calls)), source)


def load_spec(path: str | Path | None = None, overrides: list[str] | None = None) -> PipelineSpec:
    """Read and validate a pipeline file (``None``: the built-in ``analyze`` pipeline)."""
    path = DEFAULT_PIPELINE if path is None else Path(path)
    source = "the default pipeline" if path == DEFAULT_PIPELINE else str(path)
    return parse_spec(_read(path), source, overrides)
