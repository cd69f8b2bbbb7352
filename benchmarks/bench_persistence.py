"""Time ``tda_pipe.persistence`` beside gudhi, giotto-ph and ripser.py called directly.

Same clouds for everyone, in one run; each figure is the median of interleaved rounds (ours,
gudhi, giotto-ph, ..., again), so a slow spell of the machine hits every library alike. The
ratio ``ours / gudhi`` is our overhead over the library we call (validation, float64 checks,
sorting); ``giotto-ph / ours`` is how much faster we are than giotto-ph with one thread (how
torch-topological and tda-pipe before 0.2 called it) and with all threads.

    python benchmarks/bench_persistence.py             # torus and Gaussian clouds, 5 rounds
    python benchmarks/bench_persistence.py --rounds 9  # steadier medians
    python benchmarks/bench_persistence.py --quick     # small sizes, for a smoke run

giotto-ph is optional (``pip install -e ".[giotto]"``, Python <= 3.12); without it its columns
are left out.
"""

from __future__ import annotations

import argparse
import importlib.util
import os

import numpy as np
import ripser
from gudhi.sklearn.rips_persistence import RipsPersistence
from timing import interleaved_medians

import tda_pipe as tp

HAS_GIOTTO = importlib.util.find_spec("gph") is not None


def cases(quick: bool) -> list[tuple[str, np.ndarray, int]]:
    rng = np.random.default_rng(0)
    if quick:
        return [
            ("torus n=300 H0-H1", tp.datasets.torus(300, seed=0), 1),
            ("torus n=150 H0-H2", tp.datasets.torus(150, seed=0), 2),
        ]
    return [
        ("torus n=500 H0-H1", tp.datasets.torus(500, seed=0), 1),
        ("torus n=1000 H0-H1", tp.datasets.torus(1000, seed=0), 1),
        ("gauss R^10 n=1000 H0-H1", rng.normal(size=(1000, 10)), 1),
        ("torus n=300 H0-H2", tp.datasets.torus(300, seed=0), 2),
        ("torus n=600 H0-H2", tp.datasets.torus(600, seed=0), 2),
    ]


def contenders(X: np.ndarray, max_dim: int) -> dict:
    dims = list(range(max_dim + 1))
    found = {
        "ours": lambda: tp.persistence(X, max_dim=max_dim, filtration="rips"),
        "gudhi": lambda: RipsPersistence(dims, n_jobs=1).fit_transform([X]),
        "ripser.py": lambda: ripser.ripser(X, maxdim=max_dim),
    }
    if HAS_GIOTTO:
        from gph import ripser_parallel

        found["giotto-ph 1 thread"] = lambda: ripser_parallel(X, maxdim=max_dim, n_threads=1)
        found["giotto-ph all"] = lambda: ripser_parallel(X, maxdim=max_dim, n_threads=-1)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; median of {args.rounds} interleaved rounds; seconds")
    names = list(contenders(np.zeros((3, 2)), 1))
    header = f"{'case':<26}" + "".join(f"{n:>20}" for n in names)
    print(header + f"{'ours/gudhi':>12}" + (f"{'giotto1/ours':>14}" if HAS_GIOTTO else ""))
    for case, X, max_dim in cases(args.quick):
        t = interleaved_medians(contenders(X, max_dim), args.rounds)
        line = f"{case:<26}" + "".join(f"{t[n]:>20.3f}" for n in names)
        line += f"{t['ours'] / t['gudhi']:>12.2f}"
        if HAS_GIOTTO:
            line += f"{t['giotto-ph 1 thread'] / t['ours']:>14.2f}"
        print(line, flush=True)
    print("ours: tda_pipe.persistence(X, max_dim, filtration='rips'): gudhi's Ripser on the")
    print("float64 distance matrix, edge collapse from H2; gudhi: RipsPersistence on the points")


if __name__ == "__main__":
    main()
