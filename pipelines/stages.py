"""The stage registry: named, typed steps that read and write named artifacts.

A stage is a function ``fn(params, **inputs) -> {artifact name: value}`` registered with
:func:`stage`, together with a pydantic model of its parameters and the names of the artifacts
it reads and writes. Pipelines (:mod:`tda_pipe.pipelines.spec`) are lists of stages; the runner
(:mod:`tda_pipe.pipelines.runner`) wires artifacts by name, caches each stage's outputs and
writes the :class:`OutputFiles` artifacts into the results folder.

Where stages come from, the same for tda-pipe's own stages and for a plug-in's:

- the entry point group ``tda_pipe.stage_modules`` declares one stage per entry point: its
  name is the stage name, its value the module that registers it. The module is imported only
  when a pipeline names the stage, so a pipeline pays only for the stages it uses (tda-pipe's
  ``pyproject.toml`` declares its built-in stages this way);
- the entry point group ``tda_pipe.stages`` names modules (or callables) whose import
  registers any number of stages; they are loaded the first time a stage is looked up, and
  one that fails to load is a warning, never an error.

The engine knows no stage by name: what a stage means to the engine is declared on it
(:class:`StageDef`: its artifacts, its scope, its cache fingerprint, the row it adds to a
batch's table, the parameters it takes from the stage that reads its output).

Examples
--------
>>> from pydantic import BaseModel
>>> class ScaleParams(BaseModel):
...     factor: float = 2.0
>>> @stage("scale-example", params=ScaleParams, inputs=("data",), outputs=("data",))
... def scale(params, data):
...     '''Multiply the point cloud by a constant.'''
...     return {"data": data * params.factor}
>>> get_stage("scale-example").outputs
('data',)
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, distributions
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tda_pipe.errors import InputError

__all__ = [
    "ENTRY_POINT_GROUP",
    "STAGE_MODULES_GROUP",
    "OutputFiles",
    "StageDef",
    "StageParams",
    "get_stage",
    "registered_stages",
    "stage",
    "stage_names",
]

logger = logging.getLogger("tda_pipe")

ENTRY_POINT_GROUP = "tda_pipe.stages"
"""Entry points naming modules or callables whose import registers stages (any names)."""
STAGE_MODULES_GROUP = "tda_pipe.stage_modules"
"""Entry points ``stage name = module``: the module registering that stage, imported on use."""


class StageParams(BaseModel):
    """Base of stage parameter models: unknown fields are errors, values are checked on set."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class OutputFiles(dict):
    """An artifact of files for the results folder: ``{file name: bytes}``."""


@dataclass(frozen=True)
class StageDef:
    """A registered stage.

    Attributes
    ----------
    name : str
        The name pipeline files use.
    func : callable
        ``func(params, **inputs) -> dict`` of the declared outputs.
    params : type of StageParams
        The parameter model.
    inputs, optional_inputs, outputs : tuple of str
        Artifact names read (required / if some earlier stage made them) and written.
    scope : {"input", "batch"}
        ``"input"``: runs once per input; ``"batch"``: runs once over a whole batch, receiving
        each input artifact as a list (one item per input, in input order).
    fingerprint : callable, optional
        ``fingerprint(params) -> bytes`` folded into the cache key (``load`` hashes the file).
    row : callable, optional
        ``row(outputs) -> {name: number}``: what this stage adds to the run's row of a batch's
        table; a stage with a row always runs.
    from_reader : tuple of str
        Parameters that, left ``None``, take the value of the same parameter of the next stage
        that reads this stage's outputs (a filtration built for the dimension the persistence
        after it computes).
    """

    name: str
    func: Callable[..., dict]
    params: type[StageParams]
    inputs: tuple[str, ...]
    optional_inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    scope: Literal["input", "batch"] = "input"
    fingerprint: Callable[[StageParams], bytes] | None = None
    row: Callable[[dict], dict[str, float]] | None = None
    from_reader: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        """The first line of the stage function's docstring."""
        return (self.func.__doc__ or "").strip().splitlines()[0] if self.func.__doc__ else ""


_REGISTRY: dict[str, StageDef] = {}


def _where(func: Callable) -> tuple[str, str]:
    """Where a function is defined: the same stage imported twice (doctests) is no clash."""
    return func.__code__.co_filename, func.__qualname__


def stage(
    name: str,
    *,
    params: type[StageParams],
    inputs: tuple[str, ...] = (),
    optional_inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
    scope: Literal["input", "batch"] = "input",
    fingerprint: Callable[[StageParams], bytes] | None = None,
    row: Callable[[dict], dict[str, float]] | None = None,
    from_reader: tuple[str, ...] = (),
) -> Callable[[Callable[..., dict]], Callable[..., dict]]:
    """Register the decorated function as the stage ``name`` (see :class:`StageDef`)."""

    def register(func: Callable[..., dict]) -> Callable[..., dict]:
        known = _REGISTRY.get(name)
        if known is not None and _where(known.func) != _where(func):
            raise ValueError(f"a stage named {name!r} is already registered")
        _REGISTRY[name] = StageDef(
            name,
            func,
            params,
            inputs,
            optional_inputs,
            outputs,
            scope,
            fingerprint,
            row,
            from_reader,
        )
        return func

    return register


def _entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` in every distribution on the path, each once.

    Every copy of a distribution's metadata counts (``importlib.metadata.entry_points`` keeps
    the first only, and a stale ``.egg-info`` in the working folder would hide the rest).
    """
    found: dict[tuple[str, str], EntryPoint] = {}
    for dist in distributions():
        for ep in dist.entry_points.select(group=group):
            found.setdefault((ep.name, ep.value), ep)
    return list(found.values())


@functools.cache
def _declared() -> dict[str, EntryPoint]:
    """The stages declared by name (:data:`STAGE_MODULES_GROUP`), none of them imported."""
    return {ep.name: ep for ep in _entry_points(STAGE_MODULES_GROUP)}


@functools.cache
def _load_plugins() -> None:
    """Import the :data:`ENTRY_POINT_GROUP` plug-ins, once; a broken one is a warning."""
    for ep in _entry_points(ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken plug-in must not break the built-in stages
            logger.warning("stage plug-in %s could not be loaded: %s", ep.value, exc)
            continue
        if callable(loaded) and not isinstance(loaded, type):
            loaded()


def _import_declared(ep: EntryPoint) -> None:
    try:
        ep.load()
    except Exception as exc:
        raise InputError(
            f"stage {ep.name!r}: its module {ep.value} cannot be loaded ({exc})"
        ) from exc


def stage_names() -> list[str]:
    """The names of every known stage, sorted, without importing the declared ones."""
    _load_plugins()
    return sorted({*_REGISTRY, *_declared()})


def registered_stages() -> dict[str, StageDef]:
    """Every stage by name: the built-in ones and those of installed plug-ins (all imported)."""
    _load_plugins()
    for name, ep in _declared().items():
        if name not in _REGISTRY:
            _import_declared(ep)
    return dict(sorted(_REGISTRY.items()))


def get_stage(name: str) -> StageDef:
    """The stage ``name`` (importing its module if it is declared and not yet loaded);
    :class:`InputError` naming the known stages if there is none."""
    _load_plugins()
    if name not in _REGISTRY and name in _declared():
        _import_declared(_declared()[name])
    if name not in _REGISTRY:
        raise InputError(f"unknown stage {name!r}; known stages: {', '.join(stage_names())}")
    return _REGISTRY[name]
