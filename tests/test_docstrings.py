"""Every example in the package's docstrings runs and prints what it shows."""

import doctest
import importlib
import pkgutil

import pytest

import tda_pipe
from tda_pipe.pipelines import stages

MODULES = sorted(m.name for m in pkgutil.walk_packages(tda_pipe.__path__, "tda_pipe."))
WITH_EXAMPLES = {
    "tda_pipe.losses.signature",
    "tda_pipe.tda.differentiable",
    "tda_pipe.tda.persistence",
    "tda_pipe.commands.analyze",
    "tda_pipe.pipelines.batch",
}


def test_the_main_entry_points_have_examples():
    assert WITH_EXAMPLES <= set(MODULES)


def run_examples(name: str) -> doctest.TestResults:
    """The examples of one module, by module path (a package may export a function of the same
    name as the module). A stage an example registers (``pipelines.stages``) is removed after
    it, so that it is not listed or run by the tests that follow."""
    module = importlib.import_module(name)
    before = dict(stages._REGISTRY)
    try:
        return doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    finally:
        stages._REGISTRY.clear()
        stages._REGISTRY.update(before)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = run_examples(name)
    assert result.failed == 0
    if name in WITH_EXAMPLES:
        assert result.attempted > 0


def test_a_stage_registered_by_an_example_is_gone_after_it():
    assert run_examples("tda_pipe.pipelines.stages").attempted > 0
    assert "scale-example" not in stages.registered_stages()
