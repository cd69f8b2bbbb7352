"""Homology over Z/p: ``coeff`` on every filtration, the CLI and the differentiable layer."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import tda_pipe as tp
from tda_pipe.errors import InputError
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.differentiable import rips_persistence


def long_bars(d, p: int, share: float = 0.5) -> int:
    life = d.lifetimes(p)
    finite = life[np.isfinite(life)]
    return int((life > share * finite.max()).sum())


@pytest.fixture(scope="module")
def klein() -> np.ndarray:
    return tp.datasets.klein_bottle(400, seed=0)


def test_klein_bottle_has_two_h1_bars_over_z2_and_one_over_z3(klein):
    """H1(K; Z/2) = (Z/2)^2, H1(K; Z/3) = Z/3 (the torsion class vanishes)."""
    assert klein.shape[1] == 4
    z2 = tp.persistence(klein, 1, filtration="rips", coeff=2)
    z3 = tp.persistence(klein, 1, filtration="rips", coeff=3)
    # lifetimes over Z/2: 1.27, 1.19, then 0.59; over Z/3: 1.27, 0.81, 0.59
    assert long_bars(z2, 1, 0.75) == 2 and long_bars(z3, 1, 0.75) == 1
    assert (z2.backend, z3.backend) == ("gudhi", "gudhi")
    pairs = tp.persistence(klein, 1, filtration="rips", coeff=3, return_pairs=True)
    np.testing.assert_array_equal(pairs[1], z3[1])  # the ranked path agrees over Z/3
    d = rips_persistence(torch.tensor(klein), 1, coeff=3)
    np.testing.assert_allclose(d[1].detach().numpy(), z3[1])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filtration": "alpha", "backend": "gudhi"},  # the Delaunay route is over Z/2 only
        {"filtration": "sparse-rips", "epsilon": 0.5},
        {"filtration": "weighted-rips", "weights": np.full(300, 0.02)},
        {"filtration": "rips", "backend": "ripser"},
    ],
)
def test_coeff_reaches_each_filtration(kwargs):
    """RP^2 (the projective plane): H1 = Z/2 over Z/2, nothing over Z/3."""
    rng = np.random.default_rng(0)
    v = rng.normal(size=(300, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    x, y, z = v.T  # the Veronese embedding of RP^2 in R^4 is beyond alpha; use R^3 for alpha
    rp2 = np.column_stack([x * y, x * z, y * z, x * x - y * y])
    X = v if kwargs.get("filtration") == "alpha" else rp2
    z2 = tp.persistence(X, 1, coeff=2, **kwargs)
    z3 = tp.persistence(X, 1, coeff=3, **kwargs)
    if kwargs.get("filtration") == "alpha":  # the sphere: no H1 over any field
        assert len(z2[1]) == len(z3[1])
        return
    # the field reaches the backend: the torsion of RP^2 changes H1
    assert len(z2[1]) != len(z3[1]) or not np.array_equal(z2[1], z3[1])
    if kwargs["filtration"] != "sparse-rips":  # an approximation: its longest bars may swap
        assert z3.lifetimes(1).max() <= z2.lifetimes(1).max()


def test_cubical_takes_coeff():
    img = np.random.default_rng(0).random((20, 20))
    for p in (2, 3, 5):
        assert len(tp.persistence(img, 1, filtration="cubical", coeff=p)[1]) > 0


@pytest.mark.parametrize("coeff", [0, 1, 4, 9, -3, 2.0, True])
def test_bad_coeff_is_one_line(coeff):
    with pytest.raises(InputError, match=r"coeff=.* is not a prime >= 2") as info:
        tp.persistence(np.eye(4), 1, coeff=coeff)
    assert "\n" not in str(info.value)


def test_analyze_option_checks_coeff():
    from tda_pipe.commands.analyze import AnalyzeOptions

    with pytest.raises(InputError, match=r"--coeff=4 is not a prime"):
        AnalyzeOptions(coeff=4).check()
    assert "persistence.coeff=3" in AnalyzeOptions(coeff=3).overrides()


def test_the_field_is_recorded_in_the_results_and_kept_by_save_load_and_the_cache(
    klein, tmp_path, capsys
):
    from tda_pipe.cli import main

    np.save(tmp_path / "klein.npy", klein)
    out = tmp_path / "k3"
    assert main(["analyze", str(tmp_path / "klein.npy"), "--coeff", "3", "--out", str(out)]) == 0
    assert "over Z/3" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert summary["coeff"] == 3
    saved = Diagrams.load(out / "diagrams.npz")
    assert saved.coeff == 3 and Diagrams.from_dict(saved.to_dict()).coeff == 3
    # the second run is read back from the cache, the field with it
    assert main(["analyze", str(tmp_path / "klein.npy"), "--coeff", "3", "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert (
        "persistence" in run["cached"]
        and json.loads((out / "summary.json").read_text())["coeff"] == 3
    )


RP2_FACES = np.array(  # the six-vertex projective plane: H1 = H2 = Z/2 over Z/2, 0 over Z/3
    [(0, 1, 2), (0, 2, 3), (0, 3, 4), (0, 4, 5), (0, 5, 1)]
    + [(1, 2, 4), (2, 3, 5), (3, 4, 1), (4, 5, 2), (5, 1, 3)]
)


def test_the_differentiable_layer_computes_over_z2_by_default(projective_plane):
    from tda_pipe.tda.differentiable import lower_star_persistence, weighted_rips_persistence

    mesh = (np.random.default_rng(0).random((6, 3)), RP2_FACES)
    values = torch.arange(6.0, dtype=torch.float64)
    default = lower_star_persistence(values, mesh, 2)
    assert [h.tolist() for h in default] == [[[0.0, np.inf]], [[3.0, np.inf]], [[5.0, np.inf]]]
    z3 = lower_star_persistence(values, mesh, 2, coeff=3)
    assert [h.tolist() for h in z3] == [[[0.0, np.inf]], [[3.0, 5.0]], []]
    rp2 = torch.tensor(projective_plane(300))
    z2 = tp.persistence(rp2.numpy(), 1, filtration="rips", coeff=2)
    np.testing.assert_allclose(rips_persistence(rp2)[1].detach().numpy(), z2[1])
    w = torch.full((300,), 0.01, dtype=torch.float64)
    weighted = [weighted_rips_persistence(rp2, w, 1, coeff=c)[1] for c in (2, 3)]
    assert torch.equal(weighted_rips_persistence(rp2, w)[1], weighted[0])
    assert not torch.equal(weighted[0], weighted[1])
