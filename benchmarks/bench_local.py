"""Time LocalTopology (k nearest neighbours, then H0-H1 of each neighbourhood) in ms per query.

python benchmarks/bench_local.py                    # 20000 x 768 datastore, 2000 queries, k=64
python benchmarks/bench_local.py --full-search      # also time the search against 1e5 x 768
python benchmarks/bench_local.py --knn              # our exact kNN beside faiss-cpu, pynndescent
python benchmarks/bench_local.py --n 100000 --queries 100000   # the issue's full size

The data imitate sentence embeddings: 32 latent Gaussian factors mapped linearly to 768
coordinates, plus isotropic noise. A search costs a fixed part per call (checking the
datastore, its float32 copy: ``O(n)``, once) and ``O(n)`` per query; the topology a constant
per query. So the three are timed apart and the full size (``--full-n`` queries against a
``--full-n`` x d datastore) is extrapolated as ``fixed x N / n + N_queries x (search per
query x N / n + topology per query)``; with ``--full-search`` the search terms are measured
against an ``N x d`` datastore instead of scaled. The load average is printed before and
after, and the cores the transform kept busy (CPU seconds over wall seconds): on a shared
machine the figures are "under load". faiss-cpu and pynndescent are
timed only where they import (they are not dependencies of tda-pipe).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from timing import best_of

from tda_pipe.tda.local import LocalTopology, _distance_matrices, _mst_values
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


def search_costs(X: np.ndarray, Q: np.ndarray, k: int, repeat: int) -> tuple[float, float]:
    """Seconds of one search call's fixed part, and per query beyond it."""
    fixed = best_of(repeat, lambda: knn(X, Q[:1], k))
    total = best_of(repeat, lambda: knn(X, Q, k), warmup=False)
    return fixed, max(total - fixed, 0.0) / len(Q)


def _centred(X: np.ndarray, idx: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """The neighbours minus their query, as LocalTopology gathers them."""
    centred = X[idx]
    centred -= Q[:, None, :]
    return centred


def topology_parts(lt: LocalTopology, X: np.ndarray, Q: np.ndarray, k: int) -> dict[str, float]:
    """Seconds per query of each step of the topology, block by block on 512 queries.

    H1 is what ``lt._diagrams`` takes beyond its gather, matrices and MST; the
    vectorisations what ``lt._features`` takes beyond ``lt._diagrams``.
    """
    Q = Q[:512]
    dist, idx = knn(X, Q, k)
    lt._features(Q[:8], dist[:8], idx[:8], 0)  # compile and warm up
    names = ("gather", "distance matrices", "H0 (MST)", "diagrams", "features")
    seconds = dict.fromkeys(names, 0.0)

    def timed(name, fn, *args):
        start = time.perf_counter()
        out = fn(*args)
        seconds[name] += time.perf_counter() - start
        return out

    for lo in range(0, len(Q), lt.block_size):
        hi = min(lo + lt.block_size, len(Q))
        q, d, i = Q[lo:hi], dist[lo:hi], idx[lo:hi]
        centred = timed("gather", _centred, X, i, q)
        D = timed("distance matrices", _distance_matrices, centred)
        timed("H0 (MST)", _mst_values, D)
        timed("diagrams", lt._diagrams, q, d, i)
        timed("features", lt._features, q, d, i, lo)
    seconds["vectorisations"] = seconds.pop("features") - seconds["diagrams"]
    seconds["H1 (gudhi)"] = seconds.pop("diagrams") - sum(seconds[n] for n in names[:3])
    return {name: s / len(Q) for name, s in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="datastore size")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--d", type=int, default=768)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--full-n", type=int, default=100_000, help="size extrapolated to")
    parser.add_argument("--full-search", action="store_true", help="time the search at full-n")
    parser.add_argument("--knn", action="store_true", help="compare nearest-neighbour searches")
    args = parser.parse_args()
    X, Q = embeddings(args.n, args.d, 1), embeddings(args.queries, args.d, 2)
    load = os.getloadavg()[0]
    print(f"datastore {X.shape}, {len(Q)} queries, k = {args.k}, {os.cpu_count()} cores")
    if args.knn:
        knn_table(X, Q, args.k, args.repeat)
        return
    lt = LocalTopology(k=args.k, n_jobs=args.n_jobs).fit(X)
    lt.transform(Q[:64])  # compile and warm up
    cpu = time.process_time()
    total = best_of(args.repeat, lambda: lt.transform(Q), warmup=False)
    cpu = (time.process_time() - cpu) / args.repeat
    fixed, search = search_costs(X, Q, args.k, args.repeat)
    per_query = total / len(Q)
    topology = per_query - search - fixed / len(Q)
    print(f"LocalTopology.transform: {1e3 * per_query:.2f} ms per query ({total:.1f} s)")
    print(f"  CPU {1e3 * cpu / len(Q):.2f} ms per query: {cpu / total:.2f} cores busy on average")
    print(f"  search: {fixed:.2f} s once, then {1e3 * search:.2f} ms per query")
    print(f"  topology: {1e3 * topology:.2f} ms per query, of which (first 512 queries)")
    for name, seconds in topology_parts(lt, X, Q, args.k).items():
        print(f"    {name:<18} {1e3 * seconds:.3f} ms")
    N, scale = args.full_n, args.full_n / args.n
    fixed, search = fixed * scale, search * scale
    if args.full_search:
        del X
        big = embeddings(N, args.d, 1)
        fixed, search = search_costs(big, Q, args.k, args.repeat)
        print(f"search against {big.shape}: {fixed:.2f} s once, {1e3 * search:.2f} ms per query")
    full = fixed + N * (search + topology)
    how = "measured" if args.full_search else f"scaled by {scale:g}"
    print(
        f"extrapolated, {N} queries against {N} x {args.d} (search {how}): "
        f"{1e3 * full / N:.2f} ms per query, {full / 60:.1f} min"
    )
    print(f"load average (1 min) before {load:.1f}, after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
