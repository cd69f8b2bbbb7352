"""Study: the topological autoencoder on Spheres against PCA, Isomap, t-SNE, UMAP and a plain AE.

Reproduces the Spheres row of Table 1 and Figure 3 of Moor, Horn, Rieck and Borgwardt,
"Topological Autoencoders", ICML 2020: ten 100-spheres inside a larger one, embedded in 2-D.

Protocol. A seeded random evaluation set of ``--n-eval`` points is held out. The models with an
out-of-sample map — the topological autoencoder (``--lam``), the same autoencoder with
``lam = 0`` and PCA — are fitted on the other points and map the evaluation set; Isomap, t-SNE
and UMAP, which have none (or a costly one), are fitted on the evaluation set itself. Every
method is measured on the same evaluation points (``tda_pipe.tda.metrics``, k = 10).

Run (about three minutes on one core)::

    python studies/topoae_spheres.py --out topoae_spheres.png

It prints the table, writes the 2-D embeddings side by side to ``--out`` and the measures to
the same path with suffix ``.json``, and exits with status 1 unless the topological autoencoder
beats the plain one on KL_0.1 and on continuity.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, Isomap

from tda_pipe.commands.train_autoencoder import plot_latent
from tda_pipe.datasets.topoae import spheres
from tda_pipe.models.autoencoder import train_autoencoder
from tda_pipe.tda.metrics import embedding_metrics
from tda_pipe.tda.plotting import save_figure

COLUMNS = {
    "kl_0.01": "KL_0.01",
    "kl_0.1": "KL_0.1",
    "kl_1": "KL_1",
    "rmse": "RMSE",
    "mrre": "MRRE",
    "trustworthiness": "Trust",
    "continuity": "Cont",
    "data_mse": "data MSE",
}

# (latent codes of the evaluation set, its reconstruction or None)
Embedding = tuple[np.ndarray, np.ndarray | None]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("topoae_spheres.png"))
    parser.add_argument("--per-sphere", type=int, default=500, help="points per small sphere")
    parser.add_argument("--n-eval", type=int, default=2000, help="held-out evaluation points")
    parser.add_argument("--lam", type=float, default=1.0, help="weight of the topological loss")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    return parser.parse_args(argv)


def methods(args: argparse.Namespace) -> dict[str, Callable[..., Embedding]]:
    """Each method maps ``(X_train, X_eval)`` to the embedding of ``X_eval``."""

    def autoencoder(lam: float) -> Callable[..., Embedding]:
        def fit(X_train: np.ndarray, X_eval: np.ndarray) -> Embedding:
            model, _ = train_autoencoder(
                X_train,
                lam=lam,
                epochs=args.epochs,
                batch_size=args.batch_size,
                lr=args.lr,
                seed=args.seed,
            )
            Z = model.transform(X_eval)
            return Z, model.inverse_transform(Z)

        return fit

    def pca(X_train: np.ndarray, X_eval: np.ndarray) -> Embedding:
        model = PCA(2, random_state=args.seed).fit(X_train)
        Z = model.transform(X_eval)
        return Z, model.inverse_transform(Z)

    def transductive(make: Callable) -> Callable[..., Embedding]:
        return lambda X_train, X_eval: (make().fit_transform(X_eval), None)

    def umap_model():
        import umap  # imported here: numba compiles it on first use

        return umap.UMAP(n_components=2, random_state=args.seed, n_jobs=1)

    return {
        "PCA": pca,
        "Isomap": transductive(lambda: Isomap(n_neighbors=10, n_components=2)),
        "t-SNE": transductive(lambda: TSNE(2, random_state=args.seed, init="pca")),
        "UMAP": transductive(umap_model),
        "AE (lam=0)": autoencoder(0.0),
        f"TopoAE (lam={args.lam:g})": autoencoder(args.lam),
    }


def table(scores: dict[str, dict[str, float]], seconds: dict[str, float]) -> str:
    """The measures as a fixed-width text table, one row per method."""
    header = f"{'method':<16}" + "".join(f"{c:>10}" for c in COLUMNS.values()) + f"{'s':>7}"
    lines = [header, "-" * len(header)]
    for name, m in scores.items():
        cells = "".join(f"{m[key]:>10.4f}" if key in m else f"{'-':>10}" for key in COLUMNS)
        lines.append(f"{name:<16}{cells}{seconds[name]:>7.0f}")
    return "\n".join(lines)


def figure(embeddings: dict[str, np.ndarray], labels: np.ndarray, title: str) -> Figure:
    fig = Figure(figsize=(15, 10), dpi=100, layout="constrained")
    for i, (ax, (name, Z)) in enumerate(zip(fig.subplots(2, 3).ravel(), embeddings.items())):
        plot_latent(Z, labels, ax=ax, title=name, legend=i == 0)
    fig.suptitle(title)
    return fig


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    X, labels = spheres(n_per_sphere=args.per_sphere, seed=args.seed)
    held_out = np.zeros(len(X), dtype=bool)
    held_out[np.random.default_rng(args.seed).choice(len(X), args.n_eval, replace=False)] = True
    X_train, X_eval = X[~held_out], X[held_out]
    print(f"Spheres {X.shape}: {len(X_train)} training, {len(X_eval)} evaluation points")
    scores, seconds, embeddings = {}, {}, {}
    for name, fit in methods(args).items():
        start = time.perf_counter()
        Z, X_hat = fit(X_train, X_eval)
        seconds[name] = time.perf_counter() - start
        embeddings[name] = Z
        scores[name] = embedding_metrics(X_eval, Z, X_hat, k=10)
        print(f"  {name}: {seconds[name]:.0f} s", flush=True)
    print(table(scores, seconds))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    title = f"Spheres, {len(X_eval)} held-out points (Moor et al., ICML 2020)"
    save_figure(figure(embeddings, labels[held_out], title), args.out)
    report = {"args": {k: str(v) for k, v in vars(args).items()}, "metrics": scores}
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"figure: {args.out}")
    topo, plain = scores[f"TopoAE (lam={args.lam:g})"], scores["AE (lam=0)"]
    wins = topo["kl_0.1"] < plain["kl_0.1"] and topo["continuity"] > plain["continuity"]
    print(f"TopoAE beats the plain AE on KL_0.1 and continuity: {wins}")
    return 0 if wins else 1


if __name__ == "__main__":
    sys.exit(main())
