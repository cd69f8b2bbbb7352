"""Time the start of the command line: ``tda-pipe --help`` and ``analyze`` of a small cloud.

Each command runs in a fresh interpreter (``python -m tda_pipe.cli``), as a user's shell
would start it, ``--rounds`` times interleaved (help, analyze, help, analyze, ...); the
medians of the wall times are printed, with the heavy packages each command imported
(``import tda_pipe`` and ``analyze`` of a point cloud should import none of torch, dask,
trimesh). The cloud is 300 Gaussian points in R^2, analysed with the cache off.

    python benchmarks/bench_startup.py              # 5 rounds
    python benchmarks/bench_startup.py --rounds 9
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HEAVY = ("torch", "dask", "distributed", "trimesh", "sklearn", "matplotlib", "scipy", "gudhi")

# Runs the CLI in this interpreter, then writes which HEAVY top-level packages it imported.
_PROBE = """
import json, sys
from tda_pipe.cli import main
rc = main(sys.argv[2:])
heavy = sorted({m.split('.')[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print("HEAVY=" + json.dumps(heavy), file=sys.stderr)
sys.exit(rc)
"""


def run_once(args: list[str], cwd: Path, probe: bool = False) -> tuple[float, list[str]]:
    """Wall seconds of ``tda-pipe ARGS`` in a new interpreter (and the heavy modules it used)."""
    env = {**os.environ, "TDA_PIPE_CACHE_DIR": str(cwd / "cache")}
    command = (
        [sys.executable, "-c", _PROBE, json.dumps(HEAVY), *args]
        if probe
        else [sys.executable, "-m", "tda_pipe.cli", *args]
    )
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"tda-pipe {' '.join(args)} failed: {done.stderr[-500:]}")
    heavy = [
        json.loads(line[len("HEAVY=") :])
        for line in done.stderr.splitlines()
        if line.startswith("HEAVY=")
    ]
    return seconds, heavy[0] if heavy else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        np.save(cwd / "cloud.npy", np.random.default_rng(0).normal(size=(300, 2)))
        commands = {
            "--help": ["--help"],
            "analyze": [
                "analyze",
                "cloud.npy",
                "-o",
                "cloud_tda",
                "--no-cache",
                "--overwrite",
                "-q",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, argv in commands.items():
                times[name].append(run_once(argv, cwd)[0])
        print(f"{'command':<10} {'median s':>9} {'min s':>7}  heavy packages imported")
        for name, argv in commands.items():
            _, heavy = run_once(argv, cwd, probe=True)
            t = sorted(times[name])
            print(f"{name:<10} {t[len(t) // 2]:>9.2f} {t[0]:>7.2f}  {', '.join(heavy) or '-'}")
    print(f"({args.rounds} rounds, interleaved; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
