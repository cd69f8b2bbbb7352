"""Pipelines: spec files, validation, overrides, the stage cache, plug-in stages."""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from importlib.metadata import EntryPoint

import numpy as np
import pytest
import yaml

import tda_pipe as tp
from tda_pipe.cli import main
from tda_pipe.pipelines import stages as stage_registry
from tda_pipe.pipelines.cache import StageCache, code_version, source_digest
from tda_pipe.pipelines.runner import run_pipeline
from tda_pipe.pipelines.spec import SpecError, load_spec, parse_spec

SPEC = {
    "name": "rings",
    "stages": [
        {"load": {"path": "${input}"}},
        {"subsample": {"n": 80, "method": "maxmin"}},
        {"filtration": {"kind": "rips"}},
        {"persistence": {"max_dim": 1}},
        "features",
        {"report": {"figures": False}},
    ],
}


@pytest.fixture
def ring(tmp_path):
    path = tmp_path / "ring.npy"
    np.save(path, tp.datasets.circle(150, noise=0.02, seed=0))
    return path


def test_yaml_and_toml_specs_round_trip(tmp_path):
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    spec = load_spec(tmp_path / "spec.yaml")
    again = parse_spec(spec.to_dict())
    assert again.to_dict() == spec.to_dict() and again.digest() == spec.digest()
    toml = """name = "rings"
stages = [
  {load = {path = "${input}"}},
  {subsample = {n = 80, method = "maxmin"}},
  {filtration = {kind = "rips"}},
  {persistence = {max_dim = 1}},
  "features",
  {report = {figures = false}},
]
"""
    (tmp_path / "spec.toml").write_text(toml)
    assert load_spec(tmp_path / "spec.toml").digest() == spec.digest()
    assert spec.calls[2].params.max_dim == 1  # filtration's auto choice follows persistence


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        (["load", "nonsense"], r"spec.yaml: stage 2 \(nonsense\): unknown stage 'nonsense'"),
        (
            ["load", "filtration", {"persistence": {"max_dims": 2}}],
            r"spec.yaml: stage 3 \(persistence\): max_dims: unknown parameter; "
            r"persistence takes max_dim",
        ),
        (
            ["load", "filtration", {"persistence": {"max_dim": "two"}}],
            r"spec.yaml: stage 3 \(persistence\): max_dim: .*integer.*'two'",
        ),
        (
            ["load", {"filtration": {"kind": "cech"}}],
            r"spec.yaml: stage 2 \(filtration\): kind: .*'cech'",
        ),
        (
            ["load", "persistence"],
            r"spec.yaml: stage 2 \(persistence\): needs artifact 'filtration', which no earlier "
            r"stage produces; add filtration before it",
        ),
        (
            ["load", "filtration", "persistence", "distances", "features"],
            r"stage 5 \(features\): a per-input stage cannot follow a batch stage",
        ),
    ],
)
def test_every_spec_error_names_file_stage_and_field(tmp_path, stages, message):
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump({"stages": stages}))
    with pytest.raises(SpecError, match=message):
        load_spec(tmp_path / "spec.yaml")


def test_spec_file_errors(tmp_path):
    with pytest.raises(SpecError, match="no such pipeline file"):
        load_spec(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("stages: [load\n")
    with pytest.raises(SpecError, match="bad.yaml: not valid YAML"):
        load_spec(tmp_path / "bad.yaml")
    (tmp_path / "empty.yaml").write_text("name: x\n")
    with pytest.raises(SpecError, match="needs a top-level 'stages' list"):
        load_spec(tmp_path / "empty.yaml")


def test_overrides_set_parameters_and_are_validated(tmp_path):
    spec = load_spec(None, ["persistence.max_dim=2", "report.scales=[0.1, 0.5]"])
    by_name = {c.stage.name: c.params for c in spec.calls}
    assert by_name["persistence"].max_dim == 2 and by_name["filtration"].max_dim == 2
    assert by_name["report"].scales == [0.1, 0.5]
    with pytest.raises(SpecError, match="has no stage 'mapper'"):
        load_spec(None, ["mapper.lens=pca"])
    with pytest.raises(SpecError, match="write STAGE.FIELD=VALUE"):
        load_spec(None, ["max_dim=2"])
    with pytest.raises(SpecError, match=r"stage 3 \(persistence\): max_dim"):
        load_spec(None, ["persistence.max_dim=-1"])
    twice = {"stages": ["load", {"subsample": {"n": 50}}, {"subsample": {"n": 20}}]}
    with pytest.raises(SpecError, match="appears 2 times"):
        parse_spec(twice, overrides=["subsample.n=10"])
    assert parse_spec(twice, overrides=["3.n=10"]).calls[2].params.n == 10


def _counting(monkeypatch) -> dict[str, int]:
    """Count the calls of every built-in stage function."""
    counts: dict[str, int] = {}
    for name, stage in stage_registry.registered_stages().items():

        def counted(params, _func=stage.func, _name=name, **inputs):
            counts[_name] = counts.get(_name, 0) + 1
            return _func(params, **inputs)

        monkeypatch.setitem(
            stage_registry._REGISTRY, name, dataclasses.replace(stage, func=counted)
        )
    return counts


def test_cache_hits_and_selective_recompute(tmp_path, ring, monkeypatch):
    counts = _counting(monkeypatch)
    cache = StageCache(tmp_path / "cache")
    first = run_pipeline(parse_spec(SPEC), ring, tmp_path / "a", cache=cache)
    assert counts == dict.fromkeys(
        ["load", "subsample", "filtration", "persistence", "features", "report"], 1
    )
    again = run_pipeline(parse_spec(SPEC), ring, tmp_path / "b", cache=cache, keep=("diagrams",))
    assert sum(counts.values()) == 6  # nothing ran
    assert tp.bottleneck(first.artifacts["diagrams"], again.artifacts["diagrams"]) == 0
    assert (tmp_path / "a" / "summary.json").read_text() == (
        tmp_path / "b" / "summary.json"
    ).read_text()
    # a changed report parameter re-runs the report alone
    run_pipeline(parse_spec(SPEC, overrides=["report.top=2"]), ring, tmp_path / "c", cache=cache)
    assert counts["report"] == 2 and counts["persistence"] == 1 and counts["load"] == 1
    # a changed subsample re-runs it and everything below it, not the load
    run_pipeline(parse_spec(SPEC, overrides=["subsample.n=60"]), ring, tmp_path / "d", cache=cache)
    assert counts["load"] == 1 and counts["subsample"] == 2 and counts["persistence"] == 2
    assert counts["report"] == 3
    # a changed input file changes every key
    np.save(ring, tp.datasets.circle(150, noise=0.03, seed=1))
    run_pipeline(parse_spec(SPEC), ring, tmp_path / "e", cache=cache)
    assert counts["load"] == 2
    # no cache: everything runs
    run_pipeline(parse_spec(SPEC), ring, None, cache=StageCache(tmp_path / "x", enabled=False))
    assert counts["load"] == 3 and not (tmp_path / "x").exists()


def test_cache_keys_change_with_the_code(tmp_path):
    (tmp_path / "tda").mkdir()
    (tmp_path / "tda" / "persistence.py").write_text("x = 1\n")
    (tmp_path / "cli.py").write_text("y = 1\n")
    before = source_digest(tmp_path)
    (tmp_path / "tda" / "persistence.py").write_text("x = 2\n")
    assert source_digest(tmp_path) != before
    (tmp_path / "tda" / "persistence.py").write_text("x = 1\n")
    assert source_digest(tmp_path) == before
    (tmp_path / "notes.txt").write_text("not code")  # only code counts
    assert source_digest(tmp_path) == before
    assert code_version().startswith(tp.__version__ + "+")
    assert StageCache(tmp_path).key("report", {}, []) != StageCache(tmp_path, version="x").key(
        "report", {}, []
    )


def test_run_json_records_the_pipeline_and_features(tmp_path, ring):
    result = run_pipeline(parse_spec(SPEC), ring, tmp_path / "out")
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["pipeline"]["stages"][1]["subsample"]["n"] == 80
    assert record["features"]["H1_max_lifetime"] == pytest.approx(
        result.artifacts["diagrams"].lifetimes(1).max()
    )
    assert result.artifacts["data"].array.shape == (80, 2)


def test_maxmin_subsample_keeps_the_circle(ring):
    spec = parse_spec(SPEC, overrides=["subsample.n=30"])
    d = run_pipeline(spec, ring, None).artifacts["diagrams"]
    assert d.betti(1.0) == [1, 1]


def test_plugin_stage_registers_through_an_entry_point(tmp_path, monkeypatch):
    module = tmp_path / "my_plugin_stages.py"
    module.write_text(
        "from tda_pipe.pipelines.stages import StageParams, stage\n"
        "class P(StageParams):\n    factor: float = 2.0\n"
        "@stage('scale', params=P, inputs=('data',), outputs=('data',))\n"
        "def scale(params, data):\n    '''Scale the points.'''\n"
        "    data.array = data.array * params.factor\n    return {'data': data}\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = EntryPoint("mine", "my_plugin_stages", stage_registry.ENTRY_POINT_GROUP)
    declared = stage_registry._entry_points
    monkeypatch.setattr(
        stage_registry,
        "_entry_points",
        lambda group: [ep] if group == stage_registry.ENTRY_POINT_GROUP else declared(group),
    )
    fresh = functools.cache(stage_registry._load_plugins.__wrapped__)  # not yet loaded
    monkeypatch.setattr(stage_registry, "_load_plugins", fresh)
    monkeypatch.setattr(stage_registry, "_REGISTRY", dict(stage_registry._REGISTRY))
    spec = parse_spec({"stages": ["load", {"scale": {"factor": 3}}, "filtration", "persistence"]})
    assert spec.calls[1].stage.description == "Scale the points."
    sys.modules.pop("my_plugin_stages", None)


def test_run_and_stages_commands(tmp_path, ring, capsys):
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    code = main(["run", str(tmp_path / "spec.yaml"), str(ring), "--out", str(tmp_path / "o")])
    assert code == 0
    assert {p.name for p in (tmp_path / "o").iterdir()} == {
        ".tda-pipe.json",
        "diagrams.npz",
        "features.npz",
        "summary.json",
        "run.json",
    }
    capsys.readouterr()
    assert main(["run", str(tmp_path / "spec.yaml"), "-q"]) == 2
    assert "reads ${input}; give one" in capsys.readouterr().err
    bad = ["run", str(tmp_path / "spec.yaml"), str(ring), "--set", "persistence.max_dim=x"]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stage 4 (persistence): max_dim" in err
    assert main(["stages"]) == 0
    listing = capsys.readouterr().out
    for name in ("load", "subsample", "filtration", "persistence", "features", "distances"):
        assert f"{name}  (" in listing
    assert main(["cache", "info"]) == 0 and "entries" in capsys.readouterr().out
    assert main(["cache", "clear"]) == 0 and "removed" in capsys.readouterr().out
