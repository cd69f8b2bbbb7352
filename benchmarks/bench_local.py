"""Time LocalTopology (k nearest neighbours, then H0-H1 of each neighbourhood) in ms per query.

python benchmarks/bench_local.py                    # 20000 x 768 datastore, 2000 queries, k=64
python benchmarks/bench_local.py --knn              # our exact kNN beside faiss-cpu, pynndescent
python benchmarks/bench_local.py --n 100000 --queries 100000   # the issue's full size

The data imitate sentence embeddings: 32 latent Gaussian factors mapped linearly to 768
coordinates, plus isotropic noise. The search costs ``O(n)`` per query, the topology a
constant, so the two are timed apart and the full size is extrapolated: ``n_queries x (search
per query x N / n + topology per query)``. faiss-cpu and pynndescent are timed only where
they import (they are not dependencies of tda-pipe).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from timing import best_of

from tda_pipe.tda.local import LocalTopology, neighbourhood_diagrams
from tda_pipe.tda.neighbors import knn


def embeddings(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    basis = np.random.default_rng(0).normal(size=(32, d)) / np.sqrt(32)
    return rng.normal(size=(n, 32)) @ basis + 0.3 * rng.normal(size=(n, d))


def knn_table(X: np.ndarray, Q: np.ndarray, k: int, repeat: int) -> None:
    """ms per query of each search, and how many of its neighbours are the exact ones."""
    dist, idx = knn(X, Q, k)
    rows = {"tda_pipe.knn (exact, float64 ranking)": lambda: knn(X, Q, k)}
    try:
        import faiss

        def flat():
            index = faiss.IndexFlatL2(X.shape[1])
            index.add(X.astype(np.float32))
            return index.search(Q.astype(np.float32), k)[1]

        rows["faiss IndexFlatL2 (exact, float32)"] = flat
    except ImportError:
        print("faiss-cpu not installed: skipped")
    try:
        from pynndescent import NNDescent

        def nnd():
            return NNDescent(X, n_neighbors=max(k, 30), random_state=0).query(Q, k=k)[0]

        rows["pynndescent (approximate, build + query)"] = nnd
    except ImportError:
        print("pynndescent not installed: skipped")
    print(f"{'search':<44} {'ms/query':>9} {'same set':>9} {'same order':>10}")
    for name, fn in rows.items():
        seconds = best_of(repeat, fn)
        found = np.asarray(fn() if not name.startswith("tda") else idx)
        same_set = np.mean([len(set(a) & set(b)) / k for a, b in zip(found, idx)])
        same_order = (found == idx).all(axis=1).mean()
        print(f"{name:<44} {1e3 * seconds / len(Q):>9.3f} {same_set:>9.4f} {same_order:>10.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="datastore size")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--d", type=int, default=768)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--knn", action="store_true", help="compare nearest-neighbour searches")
    args = parser.parse_args()
    X, Q = embeddings(args.n, args.d, 1), embeddings(args.queries, args.d, 2)
    print(f"datastore {X.shape}, {len(Q)} queries, k = {args.k}")
    if args.knn:
        knn_table(X, Q, args.k, args.repeat)
        return
    lt = LocalTopology(k=args.k, n_jobs=args.n_jobs).fit(X)
    search = best_of(args.repeat, lambda: knn(X, Q, args.k))
    dist, idx = knn(X, Q, args.k)
    total = best_of(args.repeat, lambda: lt.transform(Q), warmup=False)
    block = Q[:256]
    D = np.stack([np.zeros((args.k + 1,) * 2)])  # warm gudhi up
    neighbourhood_diagrams(D, 1)
    from tda_pipe.tda.local import _distance_matrices

    start = time.perf_counter()
    D = _distance_matrices(block, X[idx[:256]])
    matrices = time.perf_counter() - start
    start = time.perf_counter()
    neighbourhood_diagrams(D, 1, n_jobs=args.n_jobs)
    diagrams = time.perf_counter() - start
    per_query = 1e3 * total / len(Q)
    search_ms = 1e3 * search / len(Q)
    topology_ms = per_query - search_ms
    print(f"LocalTopology.transform: {per_query:.2f} ms per query ({total:.1f} s)")
    print(f"  search {search_ms:.2f} ms, the rest {topology_ms:.2f} ms per query, of which")
    print(f"  distance matrices {1e3 * matrices / 256:.2f} ms, H0 (MST) + H1 (gudhi, ")
    print(f"  {args.n_jobs} threads) {1e3 * diagrams / 256:.2f} ms, the vectorisations the rest")
    full = 100_000 * (search_ms * 100_000 / args.n + topology_ms) / 1e3
    print(f"extrapolated, 1e5 queries against 1e5 x {args.d}: {full / 60:.1f} min")


if __name__ == "__main__":
    main()
