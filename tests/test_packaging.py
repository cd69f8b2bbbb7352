"""The wheel holds the package `tda_pipe` and nothing else at the top level of site-packages."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
    assert "tda_pipe/tda/models/autoencoder.py" in names
    assert not any(n.startswith("tda_pipe/tests/") for n in names)
