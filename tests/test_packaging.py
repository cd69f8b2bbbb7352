"""Packaging: the wheel holds `tda_pipe` alone, and the default install is free of giotto-ph and of
AGPL or GPL packages, as pyproject.toml, the README and .ci/run say."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# AGPL and GPL in an SPDX id, a classifier or a licence's text; not LGPL, not "Lesser".
COPYLEFT = re.compile(r"\bA?GPL|GNU (Affero )?General Public", re.IGNORECASE)


def _requirements(extra: str | None = None) -> list[Requirement]:
    listed = PROJECT["dependencies"] if extra is None else PROJECT["optional-dependencies"][extra]
    return [Requirement(text) for text in listed]


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    """Whether `requirement` holds in this interpreter, for a distribution asked with `extras`."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in extras or {""})


def _default_install() -> dict[str, metadata.Distribution]:
    """The installed distributions that the default dependencies bring, transitively."""
    found: dict[str, metadata.Distribution] = {}
    seen: set[tuple[str, frozenset[str]]] = set()  # (name, extras) pairs already followed
    todo = [r for r in _requirements() if _applies(r, set())]
    while todo:
        requirement = todo.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{requirement} is a dependency but is not installed: pip install -e .")
        found[key[0]] = dist
        todo += [
            sub
            for sub in map(Requirement, dist.requires or [])
            if _applies(sub, set(requirement.extras))
        ]
    return found


def _licence(dist: metadata.Distribution) -> str:
    """What a distribution declares as its licence: SPDX expression, classifiers, licence field
    (first line), else the first line of its licence file; empty when it declares nothing."""
    meta = dist.metadata
    declared = [meta.get("License-Expression") or ""]
    declared += [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    declared.append((meta.get("License") or "").strip().split("\n")[0])
    if not any(declared):
        files = [f for f in dist.files or [] if re.search(r"LICEN[CS]E|COPYING", f.name, re.I)]
        declared += [f.read_text().strip().split("\n")[0] for f in files[:1]]
    return "; ".join(text for text in declared if text)


def test_wheel_contains_only_tda_pipe(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            "-q",
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("tda_pipe-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    version = wheel.name.split("-")[1]
    assert top == {"tda_pipe", f"tda_pipe-{version}.dist-info"}
    assert "tda_pipe/tda/persistence.py" in names and "tda_pipe/cli.py" in names
    assert "tda_pipe/pipelines/default.yaml" in names  # the analyze pipeline, as package data
    assert "tda_pipe/models/autoencoder.py" in names
    assert not any(n.startswith("tda_pipe/tests/") for n in names)


def test_giotto_ph_is_optional_and_only_where_it_has_wheels():
    assert "giotto-ph" not in {canonicalize_name(r.name) for r in _requirements()}
    (giotto,) = _requirements("giotto")
    assert giotto.name == "giotto-ph"
    # The test extra compares against giotto-ph where it installs: Python 3.12 and older.
    (in_test,) = [r for r in _requirements("test") if r.name == "giotto-ph"]
    assert in_test.marker.evaluate({"python_version": "3.12", "extra": ""})
    assert not in_test.marker.evaluate({"python_version": "3.13", "extra": ""})


def test_licence_check_recognises_copyleft():
    for text in ["GNU AGPLv3", "GPL-3.0-or-later", "License :: OSI Approved :: GNU General Public"]:
        assert COPYLEFT.search(text), text
    for text in ["MIT", "LGPL-3.0-or-later", "GNU Lesser General Public License", "BSD-3-Clause"]:
        assert not COPYLEFT.search(text), text


def test_default_install_has_no_agpl_or_gpl_package():
    installed = _default_install()
    assert {"numpy", "gudhi", "torch", "distributed"} <= set(installed)  # dask[distributed] too
    licences = {name: _licence(dist) for name, dist in installed.items()}
    assert not [name for name, text in licences.items() if not text], licences
    copyleft = {name: text for name, text in licences.items() if COPYLEFT.search(text)}
    assert not copyleft, f"AGPL/GPL in the default install: {copyleft}"
    assert "giotto-ph" not in installed


def test_readme_lists_every_dependency_with_its_licence():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Dependencies and licences", 1)[1].split("\n## ", 1)[0]
    listed = {canonicalize_name(name) for name in re.findall(r"^\| `([^`]+)`", section, re.M)}
    extras = ["test", "giotto", "bench"]
    for requirement in _requirements() + [r for e in extras for r in _requirements(e)]:
        if requirement.name == "tda-pipe":  # bench asks for tda-pipe[giotto]
            continue
        assert canonicalize_name(requirement.name) in listed, f"{requirement.name} not in README"


def test_ci_runs_the_readme_test_command_then_without_giotto_ph_and_the_wheel_check():
    test_command = (ROOT / "README.md").read_text().splitlines()[2]
    assert test_command.endswith('pip install -c constraints.txt -e ".[test]" && pytest')
    ci = (ROOT / ".ci" / "run").read_text()
    lines = ci.splitlines()
    assert lines[lines.index("readme_tests() (") + 1] == f"    {test_command}"
    assert "pip uninstall -y -q giotto-ph" in ci and ".ci/check_wheels.py" in ci
