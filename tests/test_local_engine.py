"""Local topology on the engine: the ``local`` stage in pipelines and batches, and the rows
spread in chunks over the batch executor (in process, a Dask LocalCluster) equal one process's."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pyarrow.parquet as pq
import pytest

from tda_pipe.cli import main
from tda_pipe.commands.local import LocalOptions, local_features, local_features_table
from tda_pipe.errors import InputError
from tda_pipe.pipelines.batch import run_batch
from tda_pipe.pipelines.spec import parse_spec
from tda_pipe.tda.local import LocalTopology

FEW = ("codensity", "longest")


def _table(path) -> tuple[list[str], np.ndarray]:
    table = pq.read_table(io.BytesIO(path.read_bytes())).to_pydict()
    assert table.pop("index") == list(range(len(next(iter(table.values())))))
    return list(table), np.column_stack(list(table.values()))


def test_tda_pipe_run_load_then_local_writes_the_transformers_rows(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    np.save(tmp_path / "cloud.npy", X)
    (tmp_path / "local.yaml").write_text(
        "name: local-profile\nstages:\n  - load\n"
        "  - local: {k: 12, features: [codensity, wasserstein_norm, longest], fit_sample: 80}\n"
    )
    out = tmp_path / "out"
    spec, cloud = str(tmp_path / "local.yaml"), str(tmp_path / "cloud.npy")
    assert main(["run", spec, cloud, "--out", str(out), "-q", "--no-cache"]) == 0
    assert {"features.parquet", "summary.json", "local.png", "run.json"} <= {
        p.name for p in out.iterdir()
    }
    names, F = _table(out / "features.parquet")
    lt = LocalTopology(k=12, features=("codensity", "wasserstein_norm", "longest"), fit_sample=80)
    expected = lt.fit_transform(X)
    assert names == list(lt.get_feature_names_out())
    np.testing.assert_array_equal(F, expected)
    # a stage parameter out of range: one line naming it, exit 2, no folder
    capsys.readouterr()
    bad = ["run", spec, cloud, "--out", str(tmp_path / "bad"), "-q", "--set", "local.k=0"]
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert "--k must be an integer >= 1, not 0" in err and err.count("\n") == 1
    assert not (tmp_path / "bad").exists()


def test_a_batch_describes_each_input_against_one_datastore(tmp_path):
    rng = np.random.default_rng(1)
    store = rng.normal(size=(200, 4))
    store_file = tmp_path / "store.npy"
    np.save(store_file, store)
    inputs = tmp_path / "queries"
    inputs.mkdir()
    queries = {name: rng.normal(size=(n, 4)) for name, n in (("a", 9), ("b", 14))}
    for name, Q in queries.items():
        np.save(inputs / f"{name}.npy", Q)
    spec = parse_spec(
        {"stages": ["load", {"local": {"k": 16, "features": FEW, "datastore": str(store_file)}}]}
    )
    report = run_batch(spec, inputs, tmp_path / "out", workers=0)
    assert sorted(report.done) == ["a", "b"] and not report.failed
    lt = LocalTopology(k=16, features=FEW).fit(store)
    for name, Q in queries.items():
        names, F = _table(tmp_path / "out" / name / "features.parquet")
        assert names == list(lt.get_feature_names_out())
        np.testing.assert_array_equal(F, lt.transform(Q))
    # the datastore is part of the cache key: another datastore, other rows
    np.save(store_file, store[::-1] * 2)
    (inputs / "b.npy").unlink()
    run_batch(spec, inputs, tmp_path / "out2", workers=0)
    _, F = _table(tmp_path / "out2" / "a" / "features.parquet")
    lt = LocalTopology(k=16, features=FEW).fit(store[::-1] * 2)
    np.testing.assert_array_equal(F, lt.transform(queries["a"]))


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """A transformer fitted on a memory-mapped .npy file, queries, and its rows in one call."""
    folder = tmp_path_factory.mktemp("store")
    rng = np.random.default_rng(2)
    np.save(folder / "store.npy", rng.normal(size=(150, 5)))
    features = ("codensity", "wasserstein_norm", "image", "longest", "euclidicity")
    lt = LocalTopology(k=16, features=features, fit_sample=60).fit(folder / "store.npy")
    Q = rng.normal(size=(40, 5))
    return lt, Q, lt.transform(Q), lt.transform(None)


def test_a_transformer_fitted_on_a_file_pickles_without_the_datastore(fitted):
    lt, Q, whole, _ = fitted
    assert isinstance(lt.datastore_.base, np.memmap)
    blob = pickle.dumps(lt)
    assert len(blob) < lt.datastore_.nbytes / 4  # the file is opened again, not copied
    again = pickle.loads(blob)
    np.testing.assert_array_equal(again.datastore_, lt.datastore_)
    np.testing.assert_array_equal(again.transform(Q), whole)
    in_memory = pickle.loads(pickle.dumps(LocalTopology(k=5).fit(np.asarray(lt.datastore_))))
    assert in_memory.datastore_path_ is None and in_memory.datastore_.shape == (150, 5)


def test_chunks_of_rows_are_the_rows_of_one_call(fitted):
    """Each chunk on its own, in process (the annulus seeds follow the global row)."""
    lt, Q, whole, own = fitted
    assert len(np.unique(whole[:, -1])) > 10 and len(np.unique(own[:, -1])) > 50
    for chunk_size in (1, 7, 40):
        np.testing.assert_array_equal(local_features(lt, Q, chunk_size=chunk_size), whole)
    for chunk_size in (23, 150):
        np.testing.assert_array_equal(local_features(lt, None, chunk_size=chunk_size), own)


def test_chunked_input_errors_are_one_line(fitted, tmp_path):
    lt, Q, _, _ = fitted
    cases = [
        (lambda: local_features(lt, Q, chunk_size=0), "chunk_size must be an integer >= 1"),
        (lambda: local_features(lt, Q[:, :3]), "queries have 3 coordinates"),
        (lambda: lt.transform_rows(0, 5, Q[:4]), r"rows 0:5 need 5 queries, got 4"),
        (lambda: lt.transform_rows(140, 160), "rows 140:160 are not datastore rows"),
        (lambda: LocalTopology().fit(tmp_path / "none.npy"), "none.npy: not a readable .npy"),
    ]
    for make, message in cases:
        with pytest.raises(InputError, match=message) as err:
            make()
        assert "\n" not in str(err.value)
    assert lt.transform_rows(7, 7).shape == (0, len(lt.get_feature_names_out()))


@pytest.mark.slow
def test_a_dask_cluster_gives_the_rows_of_one_process(fitted, tmp_path):
    """Determinism across worker counts: 1 process, 2 Dask workers, an existing cluster."""
    from dask.distributed import LocalCluster

    lt, Q, whole, own = fitted
    np.testing.assert_array_equal(local_features(lt, Q, workers=2, chunk_size=6), whole)
    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        np.testing.assert_array_equal(local_features(lt, None, scheduler=address), own)
    # the job: an in-memory datastore goes to a shared file for the workers
    store = np.asarray(lt.datastore_)
    opts = {"k": 16, "features": ("codensity", "euclidicity"), "colour_by": "euclidicity"}
    here = local_features_table(Q, store, LocalOptions(**opts))
    spread = local_features_table(
        Q, store, LocalOptions(**opts, workers=2, chunk_size=9, shared_dir=str(tmp_path))
    )
    assert here["features.parquet"] == spread["features.parquet"]
    assert not list(tmp_path.iterdir())  # the shared file is removed afterwards
