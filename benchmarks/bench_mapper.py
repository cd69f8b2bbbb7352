"""Time our Mapper beside KeplerMapper on the same cloud, lens, cover and clusterer.

20 000 points on a noisy torus, a PCA lens, 20 intervals with 0.3 overlap, single linkage;
each timing is the best of ``--repeat`` runs and includes the lens. Rows:

- ``sklearn single``: both use the same scikit-learn ``AgglomerativeClustering`` (single
  linkage cut at a fixed distance: once fine, many small nodes; once coarse), so only the
  Mapper machinery (cover, nerve) differs;
- ``ours, largest-gap cut``: our default clusterer (scikit-learn's single-linkage tree cut
  in the largest gap between merge heights; KeplerMapper has no such clusterer).

    python benchmarks/bench_mapper.py
    python benchmarks/bench_mapper.py --n 5000 --repeat 1    # smoke run
"""

from __future__ import annotations

import argparse

import kmapper as km
import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.decomposition import PCA
from timing import best_of

from tda_pipe.datasets import torus
from tda_pipe.tda.mapper import Mapper


def kepler(X: np.ndarray, n: int, p: float, clusterer) -> dict:
    mapper = km.KeplerMapper(verbose=0)
    lens = mapper.fit_transform(X, projection=PCA(n_components=1), scaler=None)
    return mapper.map(lens, X, cover=km.Cover(n_cubes=n, perc_overlap=p), clusterer=clusterer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--intervals", type=int, default=20)
    parser.add_argument("--overlap", type=float, default=0.3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    X = torus(args.n, noise=0.05, seed=0)
    cover = (args.intervals, args.overlap)
    print(f"{args.n} points, PCA lens, {args.intervals} intervals, overlap {args.overlap}")
    print(f"{'case':<36}{'nodes':>7}{'edges':>7}{'seconds':>9}{'ours/KM':>9}")
    gap = Mapper(lens="pca", cover=cover).fit(X)
    for factor in (1, 3):  # a fine cut (many small nodes) and a coarse one
        single = AgglomerativeClustering(
            n_clusters=None, linkage="single", distance_threshold=factor * gap.min_gap_
        )
        G = Mapper(lens="pca", cover=cover, clusterer=single).fit(X).graph
        K = kepler(X, args.intervals, args.overlap, single)
        n_links = sum(len(v) for v in K["links"].values())
        t_km = best_of(args.repeat, lambda c=single: kepler(X, args.intervals, args.overlap, c))
        t_ours = best_of(
            args.repeat, lambda c=single: Mapper(lens="pca", cover=cover, clusterer=c).fit(X)
        )
        case = f"single, cut {factor}x"
        print(f"{'KeplerMapper, ' + case:<36}{len(K['nodes']):>7}{n_links:>7}{t_km:>9.3f}")
        print(
            f"{'ours, ' + case:<36}{len(G):>7}{G.number_of_edges():>7}{t_ours:>9.3f}"
            f"{t_ours / t_km:>9.3f}"
        )
    t_gap = best_of(args.repeat, lambda: Mapper(lens="pca", cover=cover).fit(X))
    G = gap.graph
    case = "ours, largest-gap cut (default)"
    print(f"{case:<36}{len(G):>7}{G.number_of_edges():>7}{t_gap:>9.3f}{t_gap / t_km:>9.3f}")


if __name__ == "__main__":
    main()
