"""Time ``tda_pipe.persistence`` beside giotto-ph, ripser and gudhi called directly.

Same clouds for everyone, in one run; each timing is the best of ``--repeat`` runs. The ratio
``ours / direct`` of the backend we call is our overhead (validation, float64 values, sorting).

    python benchmarks/bench_persistence.py            # Rips n = 500, 1000, 2000; alpha 1e4, 1e5
    python benchmarks/bench_persistence.py --quick    # smaller sizes, for a smoke run
"""

from __future__ import annotations

import argparse
import os

import gudhi
import numpy as np
import ripser
from gph import ripser_parallel
from timing import best_of

import tda_pipe as tp


def giotto_as_we_call_it(X: np.ndarray) -> None:
    """giotto-ph with generators, one thread: its multithreaded generators are unreliable."""
    ripser_parallel(X, maxdim=1, n_threads=1, return_generators=True)


def gudhi_rips(X: np.ndarray) -> None:
    st = gudhi.RipsComplex(points=X).create_simplex_tree(max_dimension=2)
    st.compute_persistence()
    [st.persistence_intervals_in_dimension(p) for p in range(2)]


def gudhi_alpha(X: np.ndarray) -> None:
    st = gudhi.AlphaComplex(points=X).create_simplex_tree()
    st.compute_persistence()
    [st.persistence_intervals_in_dimension(p) for p in range(3)]


def row(case: str, ours: float, direct: float, extra: str = "") -> str:
    return f"{case:<24}{ours:>9.3f}{direct:>9.3f}{ours / direct:>8.3f}   {extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--gudhi-max", type=int, default=500, help="largest n for gudhi's full Rips (slow)"
    )
    args = parser.parse_args()
    rips_sizes = (200, 400) if args.quick else (500, 1000, 2000)
    alpha_sizes = (2000, 10_000) if args.quick else (10_000, 100_000)
    rng = np.random.default_rng(0)
    print(f"{os.cpu_count()} cores; best of {args.repeat}; times in seconds")
    header = (
        f"{'case':<24}{'ours':>9}{'direct':>9}{'ratio':>8}   other libraries (ratio ours/other)"
    )
    print(header)
    print("-" * len(header))
    for n in rips_sizes:
        X = rng.random((n, 3))
        ours = best_of(args.repeat, lambda X=X: tp.persistence(X, max_dim=1, filtration="rips"))
        direct = best_of(args.repeat, lambda X=X: giotto_as_we_call_it(X))
        others = {
            "giotto-ph all threads": best_of(
                args.repeat, lambda X=X: ripser_parallel(X, maxdim=1, n_threads=-1)
            ),
            "ripser": best_of(args.repeat, lambda X=X: ripser.ripser(X, maxdim=1)),
        }
        if n <= args.gudhi_max:
            others["gudhi"] = best_of(1, lambda X=X: gudhi_rips(X), warmup=False)
        extra = "  ".join(f"{k} {v:.3f}s ({ours / v:.2f})" for k, v in others.items())
        print(row(f"rips H0-H1 n={n}", ours, direct, extra))
    for n in alpha_sizes:
        X = rng.random((n, 3))
        ours = best_of(args.repeat, lambda X=X: tp.persistence(X, max_dim=2, filtration="alpha"))
        direct = best_of(args.repeat, lambda X=X: gudhi_alpha(X))
        print(row(f"alpha H0-H2 n={n}", ours, direct))
    X = rng.random((5000, 3))
    ours = best_of(args.repeat, lambda: tp.persistence(X, max_dim=0, filtration="rips"))
    direct = best_of(args.repeat, lambda: ripser_parallel(X, maxdim=0))
    print(row("rips H0 (MST) n=5000", ours, direct, "(giotto-ph maxdim=0)"))
    print("direct = the backend tda-pipe calls, as it calls it (giotto-ph one thread with")
    print("generators for Rips H1, gudhi for alpha)")


if __name__ == "__main__":
    main()
