"""Time tda-pipe's differentiable persistence and TopoAE loss beside torch-topological.

Same tensors for both, in one run, forward and backward; each timing is the median of
``--rounds`` interleaved rounds (ours, theirs, ours, theirs, ...; a TopoAE round is 20 steps
each). torch-topological is a benchmark-only dependency, and it needs giotto-ph (Python <= 3.12):

    pip install -c constraints.txt -e ".[bench]"
    python benchmarks/bench_losses.py --rounds 9
"""

from __future__ import annotations

import argparse
import os

import torch
from timing import interleaved_medians
from torch_topological.nn import SignatureLoss as TTSignatureLoss
from torch_topological.nn import VietorisRipsComplex

from tda_pipe.losses import SignatureLoss
from tda_pipe.tda.differentiable import rips_persistence


def topoae_case(rounds: int) -> tuple[float, float]:
    """SignatureLoss forward + backward, a batch of 256 points in R^101 and a 2-D latent (H0)."""
    torch.manual_seed(0)
    x = torch.randn(256, 101)
    encoder = torch.nn.Linear(101, 2)
    ours_loss = SignatureLoss(dims=(0,), normalize=False, learn_scale=False)
    their_loss, their_vr = TTSignatureLoss(p=2), VietorisRipsComplex(dim=0)

    def ours() -> None:
        encoder.zero_grad()
        ours_loss(x, encoder(x)).backward()

    def theirs() -> None:
        encoder.zero_grad()
        z = encoder(x)
        their_loss([x, their_vr(x)], [z, their_vr(z)]).backward()

    def steps(fn):  # a step takes milliseconds: 20 of them a round, the time of one reported
        return lambda: [fn() for _ in range(20)]

    t = interleaved_medians({"ours": steps(ours), "theirs": steps(theirs)}, rounds)
    return t["ours"] / 20, t["theirs"] / 20


def rips_batch_case(rounds: int) -> tuple[float, float]:
    """Rips H0 + H1 forward + backward (total finite persistence) on 16 clouds of 512 points."""
    torch.manual_seed(0)
    clouds = [torch.randn(512, 3, requires_grad=True) for _ in range(16)]
    vr = VietorisRipsComplex(dim=1)

    def ours() -> None:
        total = 0
        for diagrams in rips_persistence(clouds, max_dim=1):
            for d in diagrams:
                finite = d[torch.isfinite(d[:, 1])]
                total = total + (finite[:, 1] - finite[:, 0]).sum()
        total.backward()

    def theirs() -> None:
        total = 0
        for per_cloud in vr(clouds):
            for info in per_cloud:
                d = info.diagram
                finite = d[torch.isfinite(d[:, 1])]
                total = total + (finite[:, 1] - finite[:, 0]).sum()
        total.backward()

    t = interleaved_medians({"ours": ours, "theirs": theirs}, rounds)
    return t["ours"], t["theirs"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} cores, torch {torch.__version__}; seconds, median of {args.rounds} "
        "interleaved rounds"
    )
    print(f"{'case':<44}{'ours':>9}{'torch-topological':>19}{'speed-up':>10}")
    for name, case in (
        ("TopoAE loss, 256 x R^101, H0, fwd+bwd", topoae_case),
        ("Rips H0+H1, 16 clouds x 512 in R^3, fwd+bwd", rips_batch_case),
    ):
        ours, theirs = case(args.rounds)
        print(f"{name:<44}{ours:>9.4f}{theirs:>19.4f}{theirs / ours:>9.2f}x")


if __name__ == "__main__":
    main()
