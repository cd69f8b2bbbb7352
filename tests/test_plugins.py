"""Stages from other packages: an installed plug-in's entry point registers stages that run
like the built-in ones; a broken plug-in is one warning and never breaks the others."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import tda_pipe as tp

PLUGIN = """
import numpy as np
from tda_pipe.pipelines.stages import OutputFiles, StageParams, stage


class ScaleParams(StageParams):
    factor: float = 2.0


def register():
    @stage("plugin-scale", params=ScaleParams, inputs=("data",), outputs=("data",))
    def scale(params, data):
        data.array = data.array * params.factor
        return {"data": data}

    @stage("plugin-norms", params=StageParams, inputs=("data",), outputs=("norms",))
    def norms(params, data):
        text = ",".join(f"{v:.6f}" for v in np.linalg.norm(data.array, axis=1))
        return {"norms": OutputFiles({"norms.txt": text.encode()})}
"""


def _install(site: Path, name: str, module_text: str, target: str) -> None:
    """A distribution on ``site``: a module and the metadata of its entry point."""
    (site / f"{name}.py").write_text(module_text)
    info = site / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[tda_pipe.stages]\n{name} = {target}\n")


def _cli(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site), "TDA_PIPE_CACHE_DIR": str(cwd / "cache")}
    command = [sys.executable, "-m", "tda_pipe.cli", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def test_a_plug_in_stage_is_listed_and_runs_in_a_pipeline(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "tda_plugin_example", PLUGIN, "tda_plugin_example:register")
    X = tp.datasets.circle(30, seed=0)
    np.save(tmp_path / "ring.npy", X)
    (tmp_path / "spec.yaml").write_text(
        "name: scaled\nstages:\n  - load: {}\n  - plugin-scale: {factor: 3}\n  - plugin-norms: {}\n"
    )
    listed = _cli(site, tmp_path, "stages")
    assert listed.returncode == 0 and "plugin-scale" in listed.stdout
    done = _cli(site, tmp_path, "run", "spec.yaml", "ring.npy", "--out", "o", "-q")
    assert done.returncode == 0, done.stderr
    norms = np.array((tmp_path / "o" / "norms.txt").read_text().split(","), dtype=float)
    np.testing.assert_allclose(norms, 3 * np.linalg.norm(X, axis=1), atol=1e-6)
    marker = json.loads((tmp_path / "o" / ".tda-pipe.json").read_text())
    assert marker["written_by"] == "scaled"
    (tmp_path / "bad.yaml").write_text("stages:\n  - load: {}\n  - plugin-scale: {fac: 3}\n")
    refused = _cli(site, tmp_path, "run", "bad.yaml", "ring.npy", "-q")
    assert refused.returncode == 2 and "fac" in refused.stderr


def test_a_broken_plug_in_is_one_warning_and_the_built_in_stages_still_run(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install(
        site, "tda_plugin_broken", "raise ImportError('missing dependency')\n", "tda_plugin_broken"
    )
    np.save(tmp_path / "ring.npy", tp.datasets.circle(30, seed=0))
    done = _cli(site, tmp_path, "analyze", "ring.npy", "-q")
    assert done.returncode == 0
    assert done.stderr.count("\n") == 1 and "tda_plugin_broken" in done.stderr
    assert (tmp_path / "ring_tda" / "diagrams.npz").is_file()
