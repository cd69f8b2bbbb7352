"""One pipeline over many inputs, in parallel on Dask, never losing finished work.

Each input's results are written by :func:`~tda_pipe.pipelines.runner.run_pipeline` into
``OUT/<input stem>/`` through a temporary folder, so a result folder is either complete or
absent. An input that fails is recorded in ``OUT/failures.jsonl`` (input, stage, error) and the
batch goes on; a re-run skips inputs whose folder holds a ``run.json`` of the same pipeline.
``OUT`` carries the marker of :mod:`~tda_pipe.pipelines.results`: a folder that is not this
pipeline's batch over this source is refused unless ``overwrite`` (which still deletes nothing
tda-pipe did not write), and a second batch on the same ``OUT`` is refused while one runs.
Warnings raised while processing the inputs are said once, with the number of inputs.
The summary statistics of every finished input land in ``OUT/features.parquet``, one row each,
with the input's label where its folder has a ``labels.csv`` (``file,label``). Stages of scope
``batch`` (``distances``) run once at the end, over every finished input.

The executor is ``dask.distributed``: a ``LocalCluster`` of ``workers`` processes (default: one
per core), or an existing cluster at ``scheduler`` (its workers must see the same files).
``workers=0`` runs in this process, without Dask. Each worker's giotto-ph threads are set to its
share of the cores, so workers do not oversubscribe the machine.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tda_pipe.datasets.collection import (
    LABELS_FILE,
    read_labels,
    shape_collection,
    write_collection,
)
from tda_pipe.datasets.readers import READABLE_SUFFIXES
from tda_pipe.errors import InputError
from tda_pipe.pipelines.cache import StageCache
from tda_pipe.pipelines.results import (
    LOCK,
    MARKER,
    check_out_dir,
    clean_temporaries,
    exclusive_lock,
    marker_bytes,
    read_marker,
)
from tda_pipe.pipelines.runner import RUN_FILE, StageError, run_pipeline
from tda_pipe.pipelines.spec import PipelineSpec, parse_spec
from tda_pipe.pipelines.stages import OutputFiles

__all__ = ["BatchReport", "executor", "find_inputs", "run_batch", "threads_per_worker"]

FAILURES_FILE = "failures.jsonl"
TABLE_FILE = "features.parquet"
GENERATED_INPUTS = "inputs"
logger = logging.getLogger("tda_pipe")


@dataclass
class BatchReport:
    """Counts and paths of a batch run."""

    out_dir: Path
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    table: Path | None = None
    seconds: float = 0.0
    warnings: dict[str, list[str]] = field(default_factory=dict)


def _generated(source: str, out: Path) -> Path:
    """``shapes[:key=value,...]``: write the shape collection into ``out/inputs`` once."""
    _, _, args = source.partition(":")
    kwargs: dict[str, float | int] = {}
    for item in filter(None, args.split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in ("per_class", "n_points", "noise", "outliers", "seed"):
            raise InputError(
                f"{source!r}: write shapes:per_class=N,n_points=N,noise=X,outliers=X,seed=N"
            )
        kwargs[key] = float(value) if key in ("noise", "outliers") else int(value)
    folder = out / GENERATED_INPUTS
    if not (folder / "labels.csv").is_file():
        write_collection(shape_collection(**kwargs), folder)
    return folder


def find_inputs(source: str | Path, out: str | Path) -> list[Path]:
    """The input files of a batch: a folder's readable files, a glob's, or a generated set.

    ``source`` is a folder (every file with a readable extension in it and below it; hidden
    ones, ``labels.csv`` and anything inside ``out`` skipped), a glob pattern
    (``"shapes/*.npy"``), or ``shapes`` / ``shapes:per_class=20`` to generate the labelled
    shape collection into ``out/inputs/``.
    """
    text = str(source)
    path = Path(text)
    if not path.exists() and (text == "shapes" or text.startswith("shapes:")):
        path = _generated(text, Path(out))
    if path.is_dir():
        results = Path(out).resolve()
        inside_results = path.resolve().is_relative_to(results)  # shapes:... generated there
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in READABLE_SUFFIXES
            and p.name != LABELS_FILE
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and (inside_results or not p.resolve().is_relative_to(results))
        )
    elif path.is_file():
        files = [path]
    else:
        root = Path(text).anchor or "."
        pattern = text[len(Path(text).anchor) :] if Path(text).anchor else text
        files = sorted(p for p in Path(root).glob(pattern) if p.is_file())
    if not files:
        raise InputError(f"{text}: no input files found (a folder, a glob, or shapes:per_class=N)")
    return files


def result_names(inputs: list[Path]) -> list[str]:
    """A folder name per input: its stem, or ``stem_ext`` (then ``_2``...) where stems clash."""
    stems = [p.stem for p in inputs]
    names: list[str] = []
    for p in inputs:
        name = p.stem if stems.count(p.stem) == 1 else f"{p.stem}_{p.suffix.lstrip('.')}"
        base, k = name, 2
        while name in names:
            name, k = f"{base}_{k}", k + 1
        names.append(name)
    return names


def process_input(
    spec_dict: dict,
    source: str,
    path: str,
    out_dir: str,
    cache_root: str | None,
    use_cache: bool,
    n_threads: int,
    overwrite: bool,
) -> dict:
    """Run one input (on a worker): ``{"status", "error", "stage", "row", "warnings"}``, never
    raising. ``warnings`` maps each warning's format string to its first message: the batch
    says each kind once instead of once per input."""
    from threadpoolctl import threadpool_limits

    spec = parse_spec(spec_dict, source)
    cache = StageCache(cache_root, enabled=use_cache)
    with _captured_warnings() as warnings:
        try:
            with threadpool_limits(n_threads):
                result = run_pipeline(
                    spec,
                    path,
                    out_dir,
                    cache=cache,
                    n_threads=n_threads,
                    written_by=spec.name,
                    overwrite=overwrite,
                )
            outcome = {"status": "done", "row": result.row}
        except StageError as exc:
            outcome = {"status": "failed", "stage": exc.stage, "error": str(exc)}
        except Exception as exc:  # a bug must not stop the batch either; the record names it
            outcome = {"status": "failed", "stage": None, "error": f"{type(exc).__name__}: {exc}"}
    return {**outcome, "warnings": warnings}


class _Collect(logging.Handler):
    def __init__(self, into: dict[str, str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.setdefault(str(record.msg), record.getMessage())


@contextmanager
def _captured_warnings() -> Iterator[dict[str, str]]:
    """Collect the ``tda_pipe`` logger's warnings instead of printing them."""
    into: dict[str, str] = {}
    handler = _Collect(into)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield into
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _is_done(folder: Path, digest: str) -> dict | None:
    try:
        record = json.loads((folder / RUN_FILE).read_text())
    except (OSError, ValueError):
        return None
    return record if record.get("pipeline_digest") == digest else None


@contextmanager
def executor(workers: int, scheduler: str | None) -> Iterator[Callable]:
    """Where a batch's jobs run: ``execute(fn, jobs)`` yields ``(index, fn(*jobs[index]))`` as
    each finishes, in this process (``workers=0``, no scheduler), on a Dask ``LocalCluster``
    of ``workers`` single-threaded processes, or on the running cluster at ``scheduler``."""
    if workers == 0 and scheduler is None:

        def run_here(fn: Callable, jobs: list[tuple]) -> Iterator[tuple[int, dict]]:
            for i, args in enumerate(jobs):
                yield i, fn(*args)

        yield run_here
        return
    from dask.distributed import Client, LocalCluster, as_completed

    logging.getLogger("distributed").setLevel(logging.WARNING)  # the scheduler runs here
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            silence_logs=logging.CRITICAL,  # task errors come back as results
        )
    client = Client(scheduler if scheduler is not None else cluster)
    try:

        def run_dask(fn: Callable, jobs: list[tuple]) -> Iterator[tuple[int, dict]]:
            futures = [client.submit(fn, *args, pure=False) for args in jobs]
            index = {f.key: i for i, f in enumerate(futures)}
            try:
                for future in as_completed(futures):
                    yield index[future.key], future.result()
            finally:
                client.cancel(futures)

        yield run_dask
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def threads_per_worker(workers: int, scheduler: str | None) -> int:
    """The threads (BLAS, ``n_jobs``) each worker of :func:`executor` may use: this machine's
    cores shared among the local workers, one on a remote cluster (its size is unknown)."""
    cores = os.cpu_count() or 1
    if scheduler is not None:
        return 1
    return max(1, cores // max(workers, 1))


def _write_atomic(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_table(out: Path, rows: list[dict]) -> Path | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not rows:
        return None
    columns = list(dict.fromkeys(key for row in rows for key in row))
    rows = [{key: row.get(key) for key in columns} for row in rows]
    path = out / TABLE_FILE
    fd, tmp = tempfile.mkstemp(prefix=f".{TABLE_FILE}.", dir=out)
    os.close(fd)
    try:
        pq.write_table(pa.Table.from_pylist(rows), tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _run_batch_stages(
    spec: PipelineSpec, inputs: list[Path], names: list[str], out: Path, cache: StageCache
) -> list[str]:
    """Run the batch-scope stages over the finished inputs; the names of the files written."""
    written = []
    wanted = tuple({name for c in spec.batch_calls for name in c.stage.inputs})
    artifacts: dict[str, list] = {name: [] for name in wanted}
    for path in inputs:
        result = run_pipeline(spec, path, None, cache=cache, keep=wanted)
        for name in wanted:
            artifacts[name].append(result.artifacts[name])
    made: dict[str, object] = {}
    for call in spec.batch_calls:
        kwargs = {name: artifacts.get(name, made.get(name)) for name in call.stage.inputs}
        outputs = call.stage.func(call.params, names=names, **kwargs)
        made.update(outputs)
        for value in outputs.values():
            if isinstance(value, OutputFiles):
                for file_name, content in value.items():
                    _write_atomic(out / file_name, content)
                    written.append(file_name)
    return written


def run_batch(
    spec: PipelineSpec,
    source: str | Path,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    cache: StageCache | None = None,
    progress: Callable[[str, str], None] | None = None,
    overwrite: bool = False,
    pages: Callable[[Path, BatchReport], dict[str, bytes]] | None = None,
) -> BatchReport:
    """Run ``spec`` on every input of ``source``; results under ``out``.

    Parameters
    ----------
    spec : PipelineSpec
        The pipeline.
    source : str or Path
        A folder, a glob, or ``shapes[:per_class=N,...]`` (see :func:`find_inputs`).
    out : str or Path
        The batch folder: ``OUT/<name>/`` per input, ``failures.jsonl``, ``features.parquet``.
    workers : int, optional
        Dask worker processes on this machine (default: one per core); 0 runs in process.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); ``workers`` is unused.
    cache : StageCache, optional
        The stage cache (default: the user's cache folder).
    progress : callable, optional
        Called as ``progress(event, name)`` with event ``"start"`` (name: the input count),
        ``"done"``, ``"failed"`` or ``"skipped"``.
    overwrite : bool, default False
        Accept an ``out`` that holds other results or foreign files (nothing of them is
        deleted; result folders of this batch's inputs are replaced).
    pages : callable, optional
        Called as ``pages(out, report)`` once the inputs are done; the files it returns
        (``{name: bytes}``, e.g. an overview page) are written into ``out`` beside the rest.

    Raises
    ------
    InputError
        ``out`` is not this batch's folder (without ``overwrite``), another batch is writing
        it, or ``source`` has no inputs.

    Returns
    -------
    BatchReport

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tda_pipe.pipelines.spec import load_spec
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> spec = load_spec(None, ["report.figures=false"])
    >>> report = run_batch(spec, "shapes:per_class=1,n_points=80", out, workers=0)
    >>> len(report.done), len(report.failed), report.table.name
    (7, 0, 'features.parquet')
    """
    out = Path(out)
    written_by = f"batch {spec.name}"
    check_out_dir(out, written_by, str(source), overwrite=overwrite)
    out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        if not stack.enter_context(exclusive_lock(out / LOCK, wait=False)):
            raise InputError(
                f"{out} is being written by another tda-pipe batch; wait for it to finish or "
                "choose another results folder"
            )
        check_out_dir(out, written_by, str(source), overwrite=overwrite)  # now under the lock
        clean_temporaries(out)
        report = _run_locked(spec, source, out, workers, scheduler, cache, progress, overwrite)
        if pages is not None:
            made = pages(out, report)
            for file_name, content in made.items():
                _write_atomic(out / file_name, content)
            _write_marker(out, written_by, str(source), list(made))
        return report


def _write_marker(out: Path, written_by: str, source: str, names: list[str]) -> None:
    """Mark ``out`` as this batch's folder, holding ``names`` and what it held of ours."""
    marker = read_marker(out)
    same = marker and marker.get("written_by") == written_by and marker.get("input") == source
    names = {*names, FAILURES_FILE, TABLE_FILE, GENERATED_INPUTS}
    names |= set(marker["files"]) if same else set()
    _write_atomic(out / MARKER, marker_bytes(written_by, source, sorted(names)))


def _run_locked(
    spec: PipelineSpec,
    source: str | Path,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    cache: StageCache | None,
    progress: Callable[[str, str], None] | None,
    overwrite: bool,
) -> BatchReport:
    inputs = find_inputs(source, out)
    names = result_names(inputs)
    written_by, source_id = f"batch {spec.name}", str(source)
    _write_marker(out, written_by, source_id, names)
    if workers is None:
        workers = os.cpu_count() or 1
    cache = cache if cache is not None else StageCache()
    notify = progress or (lambda event, name: None)
    notify("start", str(len(inputs)))
    report = BatchReport(out)
    digest = spec.digest()
    rows: dict[int, dict] = {}
    todo = []
    for i, name in enumerate(names):
        record = _is_done(out / name, digest)
        if record is not None:
            rows[i] = record.get("features", {})
            report.skipped.append(name)
            notify("skipped", name)
            continue
        todo.append(i)
    start = time.perf_counter()
    n_threads = threads_per_worker(workers, scheduler)
    shared = (str(cache.root), cache.enabled, n_threads, overwrite)
    jobs = [
        (spec.to_dict(), spec.source, str(inputs[i]), str(out / names[i]), *shared) for i in todo
    ]
    try:
        with executor(workers if todo else 0, scheduler) as execute:
            for k, outcome in execute(process_input, jobs):
                i = todo[k]
                for template, message in outcome["warnings"].items():
                    report.warnings.setdefault(template, []).append(message)
                if outcome["status"] == "done":
                    rows[i] = outcome["row"]
                    report.done.append(names[i])
                else:
                    failure = {k: outcome[k] for k in ("stage", "error")}
                    report.failed.append({"input": str(inputs[i]), **failure})
                notify(outcome["status"], names[i])
    finally:
        report.seconds = time.perf_counter() - start
        _finish(report, out, inputs, names, rows)
        _say_warnings(report.warnings)
    if spec.batch_calls:
        finished = sorted(rows)
        written = _run_batch_stages(
            spec, [inputs[i] for i in finished], [names[i] for i in finished], out, cache
        )
        _write_marker(out, written_by, source_id, written)
    return report


def _finish(
    report: BatchReport, out: Path, inputs: list[Path], names: list[str], rows: dict[int, dict]
) -> None:
    """Write ``failures.jsonl`` and ``features.parquet`` for what has finished so far."""
    lines = "".join(json.dumps(f) + "\n" for f in report.failed)
    _write_atomic(out / FAILURES_FILE, lines.encode())  # empty when nothing failed
    labels: dict[Path, dict[str, str]] = {}
    table = []
    for i in sorted(rows):
        folder = inputs[i].parent
        if folder not in labels:
            labels[folder] = read_labels(folder)
        row = {"input": names[i], "path": str(inputs[i])}
        if labels[folder]:
            row["label"] = labels[folder].get(inputs[i].name)
        table.append({**row, **rows[i]})
    report.table = _write_table(out, table)


def _say_warnings(warnings: dict[str, list[str]]) -> None:
    """Each kind of warning the inputs raised, once, with how many inputs raised it."""
    for messages in warnings.values():
        more = f" (and {len(messages) - 1} more inputs)" if len(messages) > 1 else ""
        logger.warning("%s%s", messages[0], more)
