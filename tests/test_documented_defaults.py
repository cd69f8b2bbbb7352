"""Every default a public docstring states (numpy style, ``name : type, default VALUE``) is the
default of the signature it documents."""

from __future__ import annotations

import ast
import importlib
import inspect
import math
import pkgutil
import re

import pytest

PARAMETER = re.compile(r"^(\w+) : [^\n]*?, default:? (.+?)\s*$", re.MULTILINE)
PACKAGES = ("tda", "losses", "models", "datasets")


def _public_modules():
    for package in PACKAGES:
        base = importlib.import_module(f"tda_pipe.{package}")
        yield base
        for info in pkgutil.walk_packages(base.__path__, f"tda_pipe.{package}."):
            if not info.name.rsplit(".", 1)[-1].startswith("_"):
                yield importlib.import_module(info.name)


def _documented():
    """``(name, parameter, stated default, actual default)`` of every documented callable."""
    seen = set()
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not callable(obj) or id(obj) in seen or not obj.__doc__:
                continue
            seen.add(id(obj))
            try:
                parameters = inspect.signature(obj).parameters
            except (TypeError, ValueError):
                continue
            for parameter, stated in PARAMETER.findall(inspect.getdoc(obj) or ""):
                if parameter in parameters:
                    yield (f"{module.__name__}.{name}", parameter, stated, module)


CASES = list(_documented())


def _value(text: str, module):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        # a constant the docstring names (DEFAULT_FEATURES, pi / 2)
        return eval(text, {**vars(math), **vars(module)})


def test_the_docstrings_state_defaults_to_check():
    assert len(CASES) >= 20
    assert any(c[0].endswith("LocalTopology") and c[1] == "k" for c in CASES)


@pytest.mark.parametrize(
    "where,parameter,stated,module", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES]
)
def test_a_stated_default_is_the_default(where, parameter, stated, module):
    obj = getattr(module, where.rsplit(".", 1)[1])
    actual = inspect.signature(obj).parameters[parameter].default
    assert actual is not inspect.Parameter.empty, f"{where}: {parameter} has no default"
    assert _value(stated.rstrip("."), module) == actual, f"{where}: {parameter}={actual!r}"
