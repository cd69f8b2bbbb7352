"""The stage registry: named, typed steps that read and write named artifacts.

A stage is a function ``fn(params, **inputs) -> {artifact name: value}`` registered with
:func:`stage`, together with a pydantic model of its parameters and the names of the artifacts
it reads and writes. Pipelines (:mod:`tda_pipe.pipelines.spec`) are lists of stages; the runner
(:mod:`tda_pipe.pipelines.runner`) wires artifacts by name, caches each stage's outputs and
writes the :class:`OutputFiles` artifacts into the results folder.

Third-party packages add stages through the entry point group ``tda_pipe.stages``: each entry
point names a module (or a callable) whose import registers stages with :func:`stage`.

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

import dataclasses
import importlib
import logging
import typing
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Literal

from pydantic import BaseModel, ConfigDict, create_model

from tda_pipe.errors import InputError

__all__ = [
    "ENTRY_POINT_GROUP",
    "params_model",
    "OutputFiles",
    "StageDef",
    "StageParams",
    "get_stage",
    "registered_stages",
    "stage",
]

logger = logging.getLogger("tda_pipe")

ENTRY_POINT_GROUP = "tda_pipe.stages"
_BUILTIN_MODULES = (
    "tda_pipe.pipelines.builtin_stages",
    "tda_pipe.pipelines.mapper",
    "tda_pipe.pipelines.singularity",
    "tda_pipe.pipelines.train_autoencoder",
)


class StageParams(BaseModel):
    """Base of stage parameter models: unknown fields are errors, values are checked on set."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def params_model(options: type, exclude: tuple[str, ...] = ()) -> type[StageParams]:
    """A stage parameter model with the fields, types and defaults of the dataclass ``options``.

    Jobs keep one options dataclass (its ``check()`` gives command-line messages) and register
    a stage whose parameters are the same fields, less ``exclude``.
    """
    hints = typing.get_type_hints(options)
    fields = {
        f.name: (hints[f.name], f.default)
        for f in dataclasses.fields(options)
        if f.name not in exclude
    }
    return create_model(f"{options.__name__}Params", __base__=StageParams, **fields)


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
    """

    name: str
    func: Callable[..., dict]
    params: type[StageParams]
    inputs: tuple[str, ...]
    optional_inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    scope: Literal["input", "batch"] = "input"
    fingerprint: Callable[[StageParams], bytes] | None = None

    @property
    def description(self) -> str:
        """The first line of the stage function's docstring."""
        return (self.func.__doc__ or "").strip().splitlines()[0] if self.func.__doc__ else ""


_REGISTRY: dict[str, StageDef] = {}


def _where(func: Callable) -> tuple[str, str]:
    """Where a function is defined: the same stage imported twice (doctests) is no clash."""
    return func.__code__.co_filename, func.__qualname__


_loaded = False


def stage(
    name: str,
    *,
    params: type[StageParams],
    inputs: tuple[str, ...] = (),
    optional_inputs: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
    scope: Literal["input", "batch"] = "input",
    fingerprint: Callable[[StageParams], bytes] | None = None,
) -> Callable[[Callable[..., dict]], Callable[..., dict]]:
    """Register the decorated function as the stage ``name`` (see :class:`StageDef`)."""

    def register(func: Callable[..., dict]) -> Callable[..., dict]:
        known = _REGISTRY.get(name)
        if known is not None and _where(known.func) != _where(func):
            raise ValueError(f"a stage named {name!r} is already registered")
        _REGISTRY[name] = StageDef(
            name, func, params, inputs, optional_inputs, outputs, scope, fingerprint
        )
        return func

    return register


def _load_stage_modules() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
        except Exception as exc:  # a broken plug-in must not break the built-in stages
            logger.warning("stage plug-in %s could not be loaded: %s", ep.value, exc)
            continue
        if callable(loaded) and not isinstance(loaded, type):
            loaded()


def registered_stages() -> dict[str, StageDef]:
    """Every registered stage by name: the built-in ones and those of installed plug-ins."""
    _load_stage_modules()
    return dict(sorted(_REGISTRY.items()))


def get_stage(name: str) -> StageDef:
    """The stage ``name``; :class:`InputError` naming the known stages if there is none."""
    stages = registered_stages()
    if name not in stages:
        raise InputError(f"unknown stage {name!r}; known stages: {', '.join(stages)}")
    return stages[name]
