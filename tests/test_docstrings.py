"""Every example in the package's docstrings runs and prints what it shows."""

import doctest
import importlib
import pkgutil

import pytest

import tda_pipe

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


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    # by module path: a package may export a function of the same name as the module
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name in WITH_EXAMPLES:
        assert result.attempted > 0
