"""The docs site builds with warnings as errors, and its API reference is generated from the
docstrings of the modules it names (``mkdocs build --strict``, mkdocstrings' numpy style).

Skipped where mkdocs or mkdocstrings is not installed (they come with the ``test`` and
``docs`` extras). The worked examples' Python blocks run in tests/test_readme.py.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None
    or importlib.util.find_spec("mkdocstrings_handlers") is None,
    reason="mkdocs and mkdocstrings[python] are not installed (pip install -e '.[docs]')",
)

#: Every module the API reference must show, and a public name its page must hold.
REFERENCE = {
    "tda_pipe.tda.persistence": "check_coeff",
    "tda_pipe.tda.diagrams": "bottleneck",
    "tda_pipe.tda.features": "PersistenceImage",
    "tda_pipe.tda.filtrations": "build_filtration",
    "tda_pipe.tda.differentiable": "rips_persistence",
    "tda_pipe.losses.diagram_losses": "TotalPersistenceLoss",
    "tda_pipe.losses.signature": "SignatureLoss",
    "tda_pipe.tda.transformers": "RipsPersistence",
    "tda_pipe.tda.layers": "RipsLayer",
    "tda_pipe.datasets.readers": "load",
    "tda_pipe.datasets.shapes": "torus",
    "tda_pipe.pipelines.spec": "parse_spec",
    "tda_pipe.pipelines.batch": "run_batch",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    return out


def _text(page: Path) -> str:
    return re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))


def test_the_config_asks_for_numpy_docstrings_and_a_page_for_every_module():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    (plugin,) = [p["mkdocstrings"] for p in config["plugins"] if isinstance(p, dict)]
    assert plugin["handlers"]["python"]["options"]["docstring_style"] == "numpy"
    named = "".join(p.read_text() for p in (ROOT / "docs" / "api").glob("*.md"))
    assert set(re.findall(r"^::: (\S+)$", named, re.M)) >= set(REFERENCE)


def test_the_site_builds_strictly_with_the_reference_from_the_docstrings(site):
    pages = {p.parent.name: p for p in (site / "api").glob("*/index.html")}
    assert len(pages) >= 10
    every = " ".join(_text(p) for p in pages.values())
    for module, name in REFERENCE.items():
        assert module in every and name in every, module
    # numpy sections are parsed into tables of parameters, not left as underlined text
    transformers = _text(pages["transformers"])
    assert "Parameters:" in transformers and "-------" not in transformers
    assert not re.search(r":(class|func|meth|mod|data):", every)  # docs/hooks.py: roles as code


def test_the_worked_examples_and_the_figure_are_in_the_site(site):
    for page in ("diagram", "torch-loss", "batch"):
        assert (site / "examples" / page / "index.html").is_file()
    assert (site / "torus.png").read_bytes() == (ROOT / "docs" / "torus.png").read_bytes()
    assert not (site / "make_figures.py").exists()
