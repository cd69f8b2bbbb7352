"""Batch runs: failures recorded, re-runs skip, Dask equals in-process, kills leave no partials."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tda_pipe.cli import main
from tda_pipe.datasets.collection import read_collection, shape_collection, write_collection
from tda_pipe.errors import InputError
from tda_pipe.pipelines.batch import (
    executor,
    find_inputs,
    result_names,
    run_batch,
    threads_per_worker,
)
from tda_pipe.pipelines.spec import load_spec

FAST = ["report.figures=false"]
RESULT_FILES = {".tda-pipe.json", "diagrams.npz", "features.npz", "summary.json", "run.json"}


@pytest.fixture
def shapes(tmp_path) -> Path:
    """20 labelled clouds of 120 points and one corrupt file."""
    folder = tmp_path / "shapes"
    collection = shape_collection(per_class=3, n_points=120, noise=0.01, seed=1)
    collection.clouds, collection.names = collection.clouds[:20], collection.names[:20]
    collection.labels = collection.labels[:20]
    write_collection(collection, folder)
    (folder / "broken.npy").write_bytes(b"not an array")
    return folder


def _table(path: Path) -> list[dict]:
    return sorted(pq.read_table(path).to_pylist(), key=lambda r: r["input"])


def test_batch_records_the_bad_file_and_rerun_does_nothing_new(tmp_path, shapes):
    out = tmp_path / "out"
    report = run_batch(load_spec(None, FAST), shapes, out, workers=0)
    assert len(report.done) == 20 and len(report.failed) == 1 and not report.skipped
    failure = json.loads((out / "failures.jsonl").read_text())
    assert failure["input"].endswith("broken.npy") and failure["stage"] == "load"
    assert "broken.npy" in failure["error"]
    for name in report.done:
        assert {p.name for p in (out / name).iterdir()} == RESULT_FILES
    assert not (out / "broken").exists()
    rows = _table(out / "features.parquet")
    for row in rows:  # the table's counts and summary.json's say the same, by name
        dims = json.loads((out / row["input"] / "summary.json").read_text())["dimensions"]
        assert row["H0_count"] == dims["H0"]["n_finite"] == dims["H0"]["n_classes"] - 1
        assert row["H0_n_essential"] == dims["H0"]["n_essential"] == 1
        assert row["H1_count"] == dims["H1"]["n_finite"]
    assert len(rows) == 20 and {r["label"] for r in rows} == {
        "sphere",
        "torus",
        "cylinder",
        "cone",
        "box",
        "capsule",
        "genus2",
    }
    assert all(r["H0_count"] == 119 for r in rows)  # 120 points: 119 finite H0 classes
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("run.json")}
    again = run_batch(load_spec(None, FAST), shapes, out, workers=0)
    assert not again.done and len(again.skipped) == 20 and len(again.failed) == 1
    assert {p: p.stat().st_mtime_ns for p in out.rglob("run.json")} == stamps
    assert _table(out / "features.parquet") == rows
    # a different pipeline is not "done": it runs again
    changed = run_batch(load_spec(None, [*FAST, "report.top=2"]), shapes, out, workers=0)
    assert len(changed.done) == 20


def test_local_dask_cluster_gives_the_in_process_table(tmp_path, shapes):
    spec = load_spec(None, FAST)
    run_batch(spec, shapes, tmp_path / "here", workers=0)
    report = run_batch(spec, shapes, tmp_path / "dask", workers=2)
    assert len(report.done) == 20 and len(report.failed) == 1

    def strip(rows):
        return [{k: v for k, v in r.items() if k != "path"} for r in rows]

    assert strip(_table(tmp_path / "dask" / "features.parquet")) == strip(
        _table(tmp_path / "here" / "features.parquet")
    )


def test_the_executor_runs_in_process_only_without_workers_and_scheduler():
    with executor(0, None) as execute:
        assert dict(execute(os.getpid, [(), ()])) == {0: os.getpid(), 1: os.getpid()}
    with executor(1, None) as execute:  # a LocalCluster of one single-threaded process
        # the process a job runs in and its worker's threads (a lambda: pickled by value)
        job = lambda: (os.getpid(), __import__("distributed").get_worker().state.nthreads)  # noqa: E731
        where = dict(execute(job, [(), ()]))  # two equal jobs: both run
    assert sorted(where) == [0, 1] and len(set(where.values())) == 1
    [(pid, threads)] = set(where.values())
    assert pid != os.getpid() and threads == 1


def test_threads_per_worker_share_the_cores(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert [threads_per_worker(w, None) for w in (0, 1, 3, 16)] == [8, 8, 2, 1]
    assert threads_per_worker(4, "tcp://10.0.0.1:8786") == 1  # a remote cluster's size is unknown
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert threads_per_worker(2, None) == 1


def test_batch_on_an_existing_cluster_by_its_address(tmp_path, shapes):
    from dask.distributed import LocalCluster

    spec = load_spec(None, FAST)
    run_batch(spec, shapes, tmp_path / "here", workers=0)
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        report = run_batch(spec, shapes, tmp_path / "remote", scheduler=cluster.scheduler_address)
    assert len(report.done) == 20 and len(report.failed) == 1
    assert [r["H1_count"] for r in _table(tmp_path / "remote" / "features.parquet")] == [
        r["H1_count"] for r in _table(tmp_path / "here" / "features.parquet")
    ]


def test_distances_stage_runs_once_over_the_batch(tmp_path):
    folder = tmp_path / "rings"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i, radius in enumerate((1.0, 1.0, 3.0)):
        t = rng.uniform(0, 2 * np.pi, 60)
        np.save(folder / f"r{i}.npy", radius * np.c_[np.cos(t), np.sin(t)])
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(
        "stages:\n  - load\n  - filtration: {kind: rips}\n  - persistence\n"
        "  - distances: {metric: bottleneck, dim: 1}\n"
    )
    run_batch(load_spec(spec_file), folder, tmp_path / "out", workers=0)
    with np.load(tmp_path / "out" / "distances.npz") as data:
        D, names = data["distances"], list(data["names"])
    assert names == ["r0", "r1", "r2"] and D.shape == (3, 3)
    assert D[0, 1] < 0.2 < D[0, 2]  # the loop of radius 3 lives three times longer


def test_results_inside_the_input_folder_are_not_inputs(tmp_path, shapes):
    out = shapes / "results"
    first = run_batch(load_spec(None, FAST), shapes, out, workers=0)
    again = run_batch(load_spec(None, FAST), shapes, out, workers=0)
    assert len(first.done) == 20 and len(again.skipped) == 20 and not again.done


def test_inputs_from_a_glob_and_a_generated_dataset(tmp_path, shapes):
    assert len(find_inputs(f"{shapes}/sphere_*.npy", tmp_path)) == 3
    generated = find_inputs("shapes:per_class=1,n_points=50", tmp_path / "g")
    assert len(generated) == 7 and (tmp_path / "g" / "inputs" / "labels.csv").exists()
    assert result_names([Path("a/x.npy"), Path("b/x.csv"), Path("y.npy")]) == [
        "x_npy",
        "x_csv",
        "y",
    ]
    # the same stem and extension in three folders: numbered from 2
    same = [Path("a/x.npy"), Path("b/x.npy"), Path("c/x.npy")]
    assert result_names(same) == ["x_npy", "x_npy_2", "x_npy_3"]


@pytest.mark.parametrize("source", ["shapes:per_class", "shapes:colour=1", "shapes:=3"])
def test_a_generated_dataset_with_a_bad_argument_is_one_line(tmp_path, source):
    with pytest.raises(InputError, match="write shapes:per_class=N,n_points=N") as err:
        find_inputs(source, tmp_path)
    assert "\n" not in str(err.value) and not (tmp_path / "inputs").exists()


_KILL_SCRIPT = """
import dataclasses, sys, time
from tda_pipe.pipelines import stages
from tda_pipe.pipelines.batch import run_batch
from tda_pipe.pipelines.spec import load_spec
report = stages.get_stage("report")
def slow_report(params, **inputs):
    time.sleep(0.3)
    return report.func(params, **inputs)
stages._REGISTRY["report"] = dataclasses.replace(report, func=slow_report)
run_batch(load_spec(None, ["report.figures=false"]), sys.argv[1], sys.argv[2], workers=0)
"""


def test_killed_batch_leaves_no_partial_results(tmp_path, shapes):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILL_SCRIPT, str(shapes), str(out)],
        env={**os.environ, "TDA_PIPE_CACHE_DIR": str(tmp_path / "cache")},
    )
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.glob("*/run.json"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert 3 <= len(finished) < 20
    for folder in finished:
        assert {p.name for p in folder.iterdir()} == RESULT_FILES
    report = run_batch(load_spec(None, FAST), shapes, out, workers=0)
    assert len(report.skipped) == len(finished) and len(report.done) == 20 - len(finished)
    assert not [p for p in out.iterdir() if ".tda-tmp-" in p.name or ".tda-old-" in p.name]


def test_batch_and_datasets_commands(tmp_path, capsys):
    assert main(["datasets", "make", "shapes", str(tmp_path / "s"), "--per-class", "2",
                 "--points", "100", "--noise", "0.01", "--outliers", "0.05"]) == 0  # fmt: skip
    collection = read_collection(tmp_path / "s")
    assert len(collection) == 14 and collection.clouds[0].shape == (100, 3)
    assert main(["datasets", "make", "shapes", str(tmp_path / "s")]) == 2
    assert "not empty" in capsys.readouterr().err
    code = main(["batch", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--workers", "0",
                 "--set", "report.figures=false", "-q"])  # fmt: skip
    assert code == 0 and len(_table(tmp_path / "o" / "features.parquet")) == 14
    (tmp_path / "s" / "zz_corrupt.npy").write_bytes(b"not an array")
    code = main(["batch", str(tmp_path / "s"), "--out", str(tmp_path / "o"), "--workers", "0",
                 "--set", "report.figures=false"])  # fmt: skip
    assert code == 1  # one input failed: the others stay done, the status says so
    assert "0 done, 1 failed, 14 skipped" in capsys.readouterr().out
    assert main(["batch", str(tmp_path / "nothing"), "--out", str(tmp_path / "o2")]) == 2
    assert "no input files found" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "s"), "--pipeline", str(tmp_path / "nope.yaml")]) == 2
    assert "no such pipeline file" in capsys.readouterr().err


def test_a_batch_into_a_new_nested_folder_and_not_over_anothers_without_overwrite(tmp_path):
    cloud, other = tmp_path / "c.npy", tmp_path / "d.npy"
    np.save(cloud, np.random.default_rng(0).normal(size=(40, 2)))
    np.save(other, np.random.default_rng(1).normal(size=(40, 2)))
    out = tmp_path / "a" / "b" / "out"
    start = time.perf_counter()
    report = run_batch(load_spec(None, FAST), cloud, out, workers=0)
    assert report.done == ["c"] and 0 <= report.seconds <= time.perf_counter() - start
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(InputError, match="overwrite"):  # the default: another batch's folder
        run_batch(load_spec(None, FAST), other, out, workers=0)
    assert sorted(p.name for p in out.iterdir()) == before
    assert run_batch(load_spec(None, FAST), other, out, workers=0, overwrite=True).done == ["d"]


def test_each_kind_of_warning_is_said_once_with_how_many_more_inputs(caplog):
    from tda_pipe.pipelines.batch import _say_warnings

    with caplog.at_level(logging.WARNING, logger="tda_pipe"):
        _say_warnings({"a %s": ["a of x"], "b %s": ["b of x", "b of y", "b of z"]})
    assert [r.getMessage() for r in caplog.records] == ["a of x", "b of x (and 2 more inputs)"]
