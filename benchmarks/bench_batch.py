"""Time ``tda-pipe batch`` on a shape collection: Dask speed-up and the engine's overhead.

The same generated shapes (default 200 clouds of 1000 points) go through Rips H0-H1 four ways:
a plain Python loop calling ``persistence`` and saving the diagrams, the batch engine in process
(``workers=0``), and the engine on a local Dask cluster of 1 and of 2 worker processes. The
cache is off, so every run computes everything.

    python benchmarks/bench_batch.py                 # 200 shapes x 1000 points
    python benchmarks/bench_batch.py --shapes 40 --points 500
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import tda_pipe as tp
from tda_pipe.datasets.collection import shape_collection, write_collection
from tda_pipe.pipelines.batch import run_batch
from tda_pipe.pipelines.cache import StageCache
from tda_pipe.pipelines.spec import parse_spec

SPEC = {
    "name": "bench",
    "stages": [
        "load",
        {"filtration": {"kind": "rips"}},
        {"persistence": {"max_dim": 1}},
        {"report": {"figures": False}},
    ],
}


def plain_loop(files: list[Path], out: Path) -> None:
    out.mkdir()
    for f in files:
        tp.persistence(np.load(f), max_dim=1, filtration="rips").save(out / f"{f.stem}.npz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", type=int, default=200)
    parser.add_argument("--points", type=int, default=1000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    per_class = -(-args.shapes // 7)
    collection = shape_collection(per_class, args.points, noise=0.01, seed=0)
    for field in ("clouds", "names"):
        setattr(collection, field, getattr(collection, field)[: args.shapes])
    collection.labels = collection.labels[: args.shapes]
    write_collection(collection, tmp / "shapes")
    files = sorted((tmp / "shapes").glob("*.npy"))
    spec = parse_spec(SPEC)
    no_cache = StageCache(enabled=False)
    print(f"{os.cpu_count()} cores; {len(files)} shapes x {args.points} points, Rips H0-H1")
    times = {}
    start = time.perf_counter()
    plain_loop(files, tmp / "plain")
    times["plain loop"] = time.perf_counter() - start
    for label, workers in (
        ("engine, in process", 0),
        ("dask, 1 worker", 1),
        ("dask, 2 workers", 2),
    ):
        start = time.perf_counter()
        report = run_batch(
            spec, tmp / "shapes", tmp / f"out{workers}", workers=workers, cache=no_cache
        )
        times[label] = time.perf_counter() - start
        assert len(report.done) == len(files), report.failed
    for label, seconds in times.items():
        print(f"{label:<22}{seconds:>8.2f} s{1000 * seconds / len(files):>9.1f} ms/input")
    overhead = times["engine, in process"] / times["plain loop"] - 1
    print(f"engine overhead over the plain loop: {100 * overhead:+.1f}%")
    print(
        f"speed-up 2 workers / 1 worker: {times['dask, 1 worker'] / times['dask, 2 workers']:.2f}x"
    )


if __name__ == "__main__":
    main()
