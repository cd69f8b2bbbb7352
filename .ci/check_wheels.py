"""Check that tda-pipe's dependencies resolve to wheels only, on every Python it supports.

For each Python 3.10 to 3.14 this resolves, with ``--only-binary :all:`` and ``constraints.txt``,
the default dependencies with the ``test`` extra on Linux x86_64, macOS arm64 and Windows
x86_64, and on Python <= 3.12 the ``giotto`` and ``bench`` extras too (giotto-ph, which
torch-topological requires, publishes wheels for <= 3.12 only). It prints one line per Python
version and exits 1 if any resolution fails, with uv's reason. It asks the package index
(PyPI), so CI runs it from ``.ci/run``; it is not part of the pytest suite.

Usage: ``python .ci/check_wheels.py`` with uv installed (``pip install uv``); about 30 s with a
cold cache, a few seconds after.

The resolver is uv, not ``pip install --dry-run --python-version 3.X``: pip evaluates
environment markers against the interpreter running it, not the target version (pip issues
11010 and 13296), so a pip on 3.11 puts ``giotto-ph; python_version < "3.13"`` into a 3.13
resolution and leaves ``tomli; python_version < "3.11"`` out of 3.10's. uv evaluates markers
and wheel tags for the target Python and platform.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")
PLATFORMS = {
    "linux-x86_64": "x86_64-manylinux_2_28",
    "macos-arm64": "aarch64-apple-darwin",  # macOS 14 and later: torch 2.13's wheels
    "windows-x86_64": "x86_64-pc-windows-msvc",
}
MACOS = "14.0"  # the oldest macOS that torch 2.13.0 publishes wheels for (macosx_14_0_arm64)
GIOTTO_LAST = "3.12"  # giotto-ph 0.2.4 (2024-05) has wheels for cp38 to cp312 and no sdist
SHOWN = ("torch", "gudhi", "numpy", "giotto-ph")  # versions printed on each line


def _uv() -> str:
    """Path of the uv executable: the `uv` package's binary, else `uv` on PATH."""
    try:
        from uv import find_uv_bin
    except ImportError:
        found = shutil.which("uv")
        if found is None:
            sys.exit("check_wheels: uv is not installed (pip install uv)")
        return found
    return find_uv_bin()


def extras(python: str) -> list[str]:
    """The extras resolved on `python`: test everywhere, giotto and bench where giotto-ph is."""
    wanted = ["test"]
    if tuple(map(int, python.split("."))) <= tuple(map(int, GIOTTO_LAST.split("."))):
        wanted += ["giotto", "bench"]
    return wanted


def resolve(uv: str, python: str, platform: str) -> tuple[bool, str]:
    """Resolve the dependency set for one Python and platform, wheels only.

    Returns
    -------
    ok, detail
        Whether it resolved; the number of packages and the versions of `SHOWN`, or the
        last lines of uv's error.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "resolved.txt"
        command = [uv, "pip", "compile", "--no-config", "--no-python-downloads", "--quiet"]
        command += ["--no-header"]
        command += ["--only-binary", ":all:", "--python-version", python]
        command += ["--python-platform", platform, "-c", str(ROOT / "constraints.txt")]
        for extra in extras(python):
            command += ["--extra", extra]
        command += [str(ROOT / "pyproject.toml"), "-o", str(out)]
        env = {**os.environ, "MACOSX_DEPLOYMENT_TARGET": MACOS}
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
        if done.returncode != 0:
            reason = [line.strip() for line in done.stderr.splitlines() if line.strip()]
            return False, " / ".join(reason[-3:])
        pins = dict(
            line.split("==", 1)
            for line in out.read_text().splitlines()
            if "==" in line and not line.startswith((" ", "#"))
        )
    shown = " ".join(f"{name} {pins[name]}" for name in SHOWN if name in pins)
    return True, f"{len(pins)} packages ({shown})"


def main() -> int:
    """Resolve every Python and platform, print one line per Python, return 1 on any failure."""
    uv = _uv()
    jobs = [(python, name, platform) for python in PYTHONS for name, platform in PLATFORMS.items()]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: resolve(uv, job[0], job[2]), jobs))
    failed = 0
    for python in PYTHONS:
        parts = []
        for (py, name, _), (ok, detail) in zip(jobs, results):
            if py != python:
                continue
            failed += not ok
            parts.append(f"{name} {'ok' if ok else 'FAILED'}: {detail}")
        label = "+".join(["default", *extras(python)])
        print(f"Python {python} [{label}] wheels only: " + "; ".join(parts), flush=True)
    if failed:
        print(f"check_wheels: {failed} of {len(jobs)} resolutions failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
