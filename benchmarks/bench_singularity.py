"""Time Euclidicity on 2000 points of the wedge of two 2-spheres, default parameters.

python benchmarks/bench_singularity.py              # 1 and 2 workers, best of 1 run each
python benchmarks/bench_singularity.py --repeat 3
"""

from __future__ import annotations

import argparse

from timing import best_of

from tda_pipe.datasets import wedge_of_spheres
from tda_pipe.tda.singularity import euclidicity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="number of points")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    X = wedge_of_spheres(args.n, seed=0)
    scores = euclidicity(X, dim=2)
    print(f"wedge of two 2-spheres, n = {args.n}, radii r {scores.r.round(3).tolist()}")
    print(f"  s {scores.s.round(3).tolist()}, {int(scores.n_scales.max())} scale pairs")
    for n_jobs in (1, 2):
        seconds = best_of(
            args.repeat, lambda jobs=n_jobs: euclidicity(X, dim=2, n_jobs=jobs), warmup=False
        )
        print(f"n_jobs={n_jobs}: {seconds:.2f} s total, {1e3 * seconds / args.n:.2f} ms per point")


if __name__ == "__main__":
    main()
