"""Do local-topology features add to the raw embedding? Per-point tasks on scikit-learn's digits.

The 1797 handwritten digits of scikit-learn (8 x 8 pixels, shipped inside its wheel: no
download) are the embedding, 64 coordinates each. Every digit gets the local-topology
features of :class:`~tda_pipe.tda.local.LocalTopology` against the other 1796 (H0-H1 of its
``k`` nearest neighbours: Wasserstein norms, persistence images, codensity, total
persistence, entropy, longest bars; with ``--annuli`` also local dimension and Euclidicity),
as Ruppik et al. (SIGDIAL 2024) do for token embeddings. Two per-point tasks:

* **digit**: which of the 10 digits (accuracy);
* **ambiguous**: whether any of the digit's 10 nearest others is another digit, i.e. the
  point sits where classes meet, where the shape of the neighbourhood plausibly tells
  (ROC AUC; about a tenth of the points).

Three standardised logistic regressions are scored by stratified 5-fold cross-validation,
repeated over ``--seeds`` shuffles: (a) the raw embedding, (b) the local features alone,
(c) both side by side; and (d) the embedding with codensity alone (the distance to the
``k``-th neighbour), to see what the diagrams add beyond density. The features are
unsupervised and computed once on all points (the
datastore is the whole set, as the paper's is): no label enters them. The study prints the
mean and spread over the seeds and the paired difference (c) - (a), seed by seed, and says
whether (c) beats (a) by more than that spread.

    python studies/local_topology.py               # k = 32, 5 seeds: under 4 min on 2 shared cores
    python studies/local_topology.py --k 16 --seeds 10 --annuli
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tda_pipe.tda.local import DEFAULT_FEATURES, LocalTopology
from tda_pipe.tda.neighbors import knn


def ambiguous(X: np.ndarray, y: np.ndarray, k: int = 10) -> np.ndarray:
    """1 where one of the ``k`` nearest other points carries another label."""
    _, idx = knn(X, None, k)
    return (y[idx] != y[:, None]).any(axis=1).astype(int)


def cv_scores(F: np.ndarray, target: np.ndarray, task: str, seed: int) -> float:
    """Mean over 5 stratified folds of accuracy (digit) or ROC AUC (ambiguous)."""
    scores = []
    for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(F, target):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
        model.fit(F[train], target[train])
        if task == "digit":
            scores.append(model.score(F[test], target[test]))
        else:
            scores.append(roc_auc_score(target[test], model.predict_proba(F[test])[:, 1]))
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=32, help="neighbours per point")
    parser.add_argument("--seeds", type=int, default=5, help="shuffles of the folds")
    parser.add_argument("--normalize", action="store_true", help="scale-free neighbourhoods")
    parser.add_argument("--annuli", action="store_true", help="add local dimension, Euclidicity")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float64)
    features = DEFAULT_FEATURES + (("local_dimension", "euclidicity") if args.annuli else ())
    start = time.perf_counter()
    lt = LocalTopology(k=args.k, features=features, normalize=args.normalize, n_jobs=args.n_jobs)
    L = lt.fit_transform(X)
    L = np.where(np.isnan(L), np.nanmedian(L, axis=0), L)  # annuli too sparse to score
    seconds = time.perf_counter() - start
    print(
        f"digits {X.shape}, k = {args.k}: {L.shape[1]} local features in {seconds:.1f} s "
        f"({1e3 * seconds / len(X):.2f} ms per point)"
    )
    targets = {"digit": y, "ambiguous": ambiguous(X, y)}
    print(f"ambiguous points: {targets['ambiguous'].mean():.1%}")
    codensity = L[:, list(lt.get_feature_names_out()).index("codensity")][:, None]
    sets = {
        "(a) embedding": X,
        "(b) local": L,
        "(c) both": np.hstack([X, L]),
        "(d) embedding + codensity only": np.hstack([X, codensity]),
    }
    for task, target in targets.items():
        metric = "accuracy" if task == "digit" else "ROC AUC"
        table = {
            name: np.array([cv_scores(F, target, task, seed) for seed in range(args.seeds)])
            for name, F in sets.items()
        }
        print(f"\n{task} ({metric}, 5-fold CV, {args.seeds} seeds: mean +- std over seeds)")
        for name, scores in table.items():
            print(f"  {name:<31} {scores.mean():.4f} +- {scores.std():.4f}")
        gain = table["(c) both"] - table["(a) embedding"]
        wins = int((gain > 0).sum())
        verdict = (
            "beats"
            if gain.mean() > 2 * gain.std() and wins == len(gain)
            else "does not clearly beat"
        )
        print(
            f"  (c) - (a): {gain.mean():+.4f} +- {gain.std():.4f}, better in {wins} of "
            f"{len(gain)} seeds: (c) {verdict} (a)"
        )


if __name__ == "__main__":
    main()
