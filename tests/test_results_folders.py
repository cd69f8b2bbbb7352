"""Results folders: nothing a user made is deleted, one command never replaces another's results,
swaps are atomic under concurrent writers, and bad --out values fail before any work."""

from __future__ import annotations

import errno
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tda_pipe as tp
from tda_pipe.cli import main
from tda_pipe.errors import InputError
from tda_pipe.pipelines import stages
from tda_pipe.pipelines.batch import run_batch
from tda_pipe.pipelines.results import LOCK, MARKER, exclusive_lock, write_folder
from tda_pipe.pipelines.spec import load_spec, parse_spec
from tda_pipe.pipelines.stages import OutputFiles, StageParams, stage

FAST = ["report.figures=false"]


@pytest.fixture
def cloud(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TDA_PIPE_CACHE_DIR", str(tmp_path / "cache"))
    np.save(tmp_path / "points.npy", tp.datasets.circle(60, noise=0.01, seed=0))
    return tmp_path / "points.npy"


def cli(capsys, *args: str) -> tuple[int, str]:
    code = main([*args, "--quiet"])
    return code, capsys.readouterr().err


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# -- a folder tda-pipe did not write survives ---------------------------------------------------


def test_a_users_folder_is_refused_and_kept_whole(cloud, capsys):
    mine = cloud.parent / "existing"
    mine.mkdir()
    (mine / "notes.txt").write_text("notes")
    code, err = cli(capsys, "analyze", str(cloud), "--out", str(mine))
    assert code == 2 and err.count("\n") == 1
    assert "not written by tda-pipe (notes.txt)" in err
    assert tree(mine) == {"notes.txt": b"notes"}


def test_overwrite_keeps_foreign_files_and_refuses_a_clash(cloud, capsys):
    mine = cloud.parent / "existing"
    mine.mkdir()
    (mine / "notes.txt").write_text("notes")
    assert cli(capsys, "analyze", str(cloud), "--out", str(mine), "--overwrite")[0] == 0
    assert (mine / "notes.txt").read_text() == "notes"
    assert tp.Diagrams.load(mine / "diagrams.npz").betti(0.5) == [1, 1]
    # a second overwrite run replaces tda-pipe's files and still keeps the notes
    assert cli(capsys, "analyze", str(cloud), "--out", str(mine), "--overwrite")[0] == 0
    assert (mine / "notes.txt").read_text() == "notes"
    assert not [p for p in mine.iterdir() if ".tda-tmp-" in p.name]
    # a foreign file with one of our names is never clobbered
    clash = cloud.parent / "clash"
    clash.mkdir()
    (clash / "summary.json").write_text("my summary")
    code, err = cli(capsys, "analyze", str(cloud), "--out", str(clash), "--overwrite")
    assert code == 2 and "summary.json" in err
    assert tree(clash) == {"summary.json": b"my summary"}


def test_rerunning_the_same_command_replaces_its_results(cloud, capsys):
    for _ in range(2):  # the README's first line, run twice
        assert cli(capsys, "analyze", str(cloud))[0] == 0
    marker = json.loads((cloud.parent / "points_tda" / MARKER).read_text())
    assert marker["written_by"] == "analyze" and marker["input"] == str(cloud.resolve())
    assert set(marker["files"]) == {p.name for p in (cloud.parent / "points_tda").iterdir()} - {
        MARKER
    }


def test_another_commands_results_are_refused(cloud, capsys):
    batch_out = cloud.parent / "results"
    code = main(["batch", str(cloud), "--out", str(batch_out), "--workers", "0", "-q"])
    assert code == 0
    before = tree(batch_out)
    code, err = cli(capsys, "mapper", str(cloud), "--out", str(batch_out))
    assert code == 2 and "batch analyze" in err and "--overwrite" in err
    assert tree(batch_out) == before
    # analyze's results are not replaced by another input's analysis either
    other = cloud.parent / "other.npy"
    np.save(other, tp.datasets.circle(50, seed=1))
    assert cli(capsys, "analyze", str(cloud), "--out", "res")[0] == 0
    code, err = cli(capsys, "analyze", str(other), "--out", "res")
    assert code == 2 and str(cloud.resolve()) in err


def test_default_folders_differ_per_command(cloud, capsys):
    spec = Path(tp.__file__).parent / "examples" / "pipeline.yaml"
    assert cli(capsys, "analyze", str(cloud))[0] == 0
    assert cli(capsys, "run", str(spec), str(cloud), "--set", "subsample.n=40")[0] == 0
    assert cli(capsys, "mapper", str(cloud), "--no-attributes")[0] == 0
    made = {p.name for p in cloud.parent.iterdir() if p.is_dir() and p.name != "cache"}
    assert made == {"points_tda", "points_landmarks-h2", "points_mapper"}


@pytest.mark.parametrize("where", [".", "..", "points.npy", "points.npy/sub"])
def test_bad_out_is_refused_before_any_work(cloud, capsys, where):
    before = sorted(p.name for p in cloud.parent.iterdir())
    code, err = cli(capsys, "analyze", str(cloud), "--out", where)
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
    assert sorted(p.name for p in cloud.parent.iterdir()) == before


def test_an_unwritable_parent_is_refused_before_any_work(cloud, capsys, monkeypatch):
    real = os.access  # as root nothing is unwritable: pretend, for writing only
    monkeypatch.setattr(os, "access", lambda path, mode: not mode & os.W_OK and real(path, mode))
    code, err = cli(capsys, "analyze", str(cloud), "--out", "res")
    assert code == 2 and "cannot write in" in err
    assert not (cloud.parent / "res").exists()
    (cloud.parent / "res").mkdir()
    code, err = cli(capsys, "analyze", str(cloud), "--out", "res")
    assert code == 2 and "res is read-only" in err


# -- atomic swaps, locks, temporaries -----------------------------------------------------------

_WRITER = """
import sys
from tda_pipe.pipelines.results import write_folder
for i in range(int(sys.argv[2])):
    write_folder(sys.argv[1], {"a.txt": sys.argv[3].encode() * 1000, "b.txt": b"%d" % i}, "w")
"""


def test_two_writers_of_one_folder_never_fail_nor_leave_temporaries(tmp_path):
    out = tmp_path / "res"
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(out), "150", tag], stderr=-1)
        for tag in ("x", "y")
    ]
    errors = [p.communicate()[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "a.txt", "b.txt"]
    assert (out / "a.txt").read_bytes() in (b"x" * 1000, b"y" * 1000)


def test_stale_temporaries_are_cleaned_by_the_next_write(tmp_path):
    stale = tmp_path / ".res.tda-tmp-999999-dead"
    stale.mkdir()
    (stale / "diagrams.npz").write_bytes(b"half written")
    (tmp_path / "keep.txt").write_text("a user's file beside it")
    write_folder(tmp_path / "res", {"a.txt": b"1"}, "w")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt", "res"]


def test_folders_get_the_users_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_folder(tmp_path / "res", {"a.txt": b"1"}, "w")
    finally:
        os.umask(old)
    assert (tmp_path / "res").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "res" / "a.txt").stat().st_mode & 0o777 == 0o640


def test_a_second_batch_on_the_same_folder_is_refused(cloud, capsys):
    out = cloud.parent / "out"
    out.mkdir()
    with exclusive_lock(out / LOCK):
        with pytest.raises(InputError, match="another tda-pipe batch"):
            run_batch(load_spec(None, FAST), cloud, out, workers=0)
        code, err = cli(capsys, "batch", str(cloud), "--out", str(out), "--workers", "0")
        assert code == 2 and "another tda-pipe batch" in err
    assert run_batch(load_spec(None, FAST), cloud, out, workers=0).done == ["points"]


def test_a_batch_over_a_users_folder_is_refused(cloud, capsys):
    mine = cloud.parent / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("chapter 1")
    code, err = cli(capsys, "batch", str(cloud), "--out", str(mine), "--workers", "0")
    assert code == 2 and "thesis.tex" in err
    assert tree(mine) == {"thesis.tex": b"chapter 1"}
    assert (
        cli(capsys, "batch", str(cloud), "--out", str(mine), "--workers", "0", "--overwrite")[0]
        == 0
    )
    assert (mine / "thesis.tex").read_text() == "chapter 1"
    assert (mine / "points" / "diagrams.npz").is_file()
    assert (mine / "failures.jsonl").read_text() == ""  # written, empty: nothing failed


# -- errors of the system: one line, exit 2, nothing half-written ---------------------------------


def test_a_full_disk_is_one_line_and_leaves_nothing(cloud, capsys, monkeypatch):
    real = Path.write_bytes

    def full(self, data):
        if self.name == "diagrams.npz":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    code, err = cli(capsys, "analyze", str(cloud), "--out", "res")
    assert code == 2 and "No space left on device" in err and err.count("\n") == 1
    assert sorted(p.name for p in cloud.parent.iterdir()) == ["cache", "points.npy"]


@pytest.fixture
def test_stage():
    """Register a stage for one test (the registry is global: it is removed afterwards)."""
    added = []

    def register(name: str, outputs: tuple[str, ...], func) -> None:
        stage(name, params=StageParams, inputs=("data",), outputs=outputs)(func)
        added.append(name)

    yield register
    for name in added:
        stages._REGISTRY.pop(name, None)


def _explode(params: StageParams, data) -> dict:
    raise RuntimeError("the plug-in's own bug\nwith a second line")


def test_an_exception_in_a_plug_in_stage_is_one_line(cloud, capsys, test_stage):
    test_stage("explodes-for-test", ("boom",), _explode)
    spec = cloud.parent / "spec.yaml"
    spec.write_text("stages:\n  - load: {}\n  - explodes-for-test: {}\n")
    code, err = cli(capsys, "run", str(spec), str(cloud))
    assert code == 2 and err.count("\n") == 1
    assert "explodes-for-test" in err and "RuntimeError: the plug-in's own bug" in err


# -- a batch says each kind of warning once -------------------------------------------------------


def _warn(params: StageParams, data) -> dict:
    logging.getLogger("tda_pipe").warning("slow on %d points", len(data.array))
    return {"said": OutputFiles({"said.txt": b"1"})}


def test_a_batch_says_each_warning_once(tmp_path, caplog, test_stage):
    test_stage("warns-for-test", ("said",), _warn)
    for i in range(4):
        np.save(tmp_path / f"c{i}.npy", np.random.default_rng(i).random((10 + i, 2)))
    spec = parse_spec({"stages": [{"load": {}}, {"warns-for-test": {}}]})
    with caplog.at_level(logging.WARNING, logger="tda_pipe"):
        report = run_batch(spec, tmp_path, tmp_path / "out", workers=0)
    assert len(report.done) == 4
    said = [r.getMessage() for r in caplog.records if "slow on" in r.getMessage()]
    assert said == ["slow on 10 points (and 3 more inputs)"]
