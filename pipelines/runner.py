"""Run a pipeline on one input: wire artifacts by name, reuse cached stages, write atomically.

Before anything runs, every stage's cache key is computed from its parameters and the keys of
its inputs (:mod:`tda_pipe.pipelines.cache`). Only the stages whose outputs are needed and not
cached run: change one parameter and the stages above it are read back from the cache, or not
touched at all when nothing below needs them.

The results folder receives every :class:`~tda_pipe.pipelines.stages.OutputFiles` artifact and
a ``run.json`` (the pipeline with every parameter, per-stage seconds and cache hits, and the
summary-statistics row that batch runs collect). It is checked before any stage runs and
written whole at the end by :func:`~tda_pipe.pipelines.results.write_folder`, so a failed or
interrupted run leaves no partial folder, and a folder that holds anything but this pipeline's
results on this input is refused, not replaced.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tda_pipe.errors import InputError
from tda_pipe.pipelines.cache import StageCache
from tda_pipe.pipelines.results import check_out_dir, write_folder
from tda_pipe.pipelines.spec import PipelineSpec, StageCall
from tda_pipe.pipelines.stages import OutputFiles

__all__ = [
    "RunResult",
    "StageError",
    "run_pipeline",
]

RUN_FILE = "run.json"


class StageError(InputError):
    """A stage failed on an input: the message names the input; ``stage`` names the stage."""

    def __init__(self, message: str, stage: str) -> None:
        super().__init__(message)
        self.stage = stage


@dataclass
class RunResult:
    """What :func:`run_pipeline` did.

    Attributes
    ----------
    out_dir : Path or None
        The results folder (``None`` when ``out`` was ``None``).
    artifacts : dict
        The final value of every artifact that was computed or read back from the cache.
    seconds : dict
        Seconds per stage run (``"3:persistence"``), cached stages at 0.
    cached : list of str
        The stages read back from the cache.
    row : dict
        The numbers the stages that declare a :attr:`~tda_pipe.pipelines.stages.StageDef.row`
        give this input (``H0_count``, ...), for batch tables.
    """

    out_dir: Path | None
    artifacts: dict
    seconds: dict[str, float] = field(default_factory=dict)
    cached: list[str] = field(default_factory=list)
    row: dict[str, float] = field(default_factory=dict)


def _producers(calls: list[StageCall]) -> list[dict[str, int | None]]:
    """Per call, for each input artifact, the position in ``calls`` of its latest producer."""
    latest: dict[str, int] = {}
    wiring = []
    for i, call in enumerate(calls):
        wiring.append(
            {name: latest.get(name) for name in (*call.stage.inputs, *call.stage.optional_inputs)}
        )
        for name in call.stage.outputs:
            latest[name] = i
    return wiring


def _keys(calls: list[StageCall], wiring: list[dict], cache: StageCache) -> list[str]:
    keys: list[str] = []
    for call, inputs in zip(calls, wiring):
        upstream = [None if j is None else f"{keys[j]}:{name}" for name, j in inputs.items()]
        fingerprint = call.stage.fingerprint(call.params) if call.stage.fingerprint else b""
        params = call.params.model_dump(mode="json")
        keys.append(cache.key(call.stage.name, params, upstream, fingerprint))
    return keys


def _wanted(calls: list[StageCall], wiring: list[dict], extra: set[str]) -> list[int]:
    """The calls whose outputs are results: read by no later stage, or the last of ``extra``."""
    consumed = {(j, name) for inputs in wiring for name, j in inputs.items() if j is not None}
    last = {name: i for i, call in enumerate(calls) for name in call.stage.outputs}
    return [
        i
        for i, call in enumerate(calls)
        if any((i, n) not in consumed or (n in extra and last[n] == i) for n in call.stage.outputs)
    ]


def _fail(path: Path, call: StageCall, exc: Exception) -> StageError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if not isinstance(exc, InputError):
        text = f"{call.label} failed: {type(exc).__name__}: {text}"
    if not text.startswith(str(path)):
        text = f"{path}: {text}"
    return StageError(text, call.stage.name)


def run_pipeline(
    spec: PipelineSpec,
    path: str | Path,
    out: str | Path | None,
    *,
    cache: StageCache | None = None,
    progress: Callable[[str], None] | None = None,
    n_threads: int | None = None,
    keep: tuple[str, ...] = (),
    written_by: str | None = None,
    overwrite: bool = False,
) -> RunResult:
    """Run the per-input stages of ``spec`` on the file ``path``; write results into ``out``.

    Parameters
    ----------
    spec : PipelineSpec
        A validated pipeline (:func:`tda_pipe.pipelines.spec.load_spec`).
    path : str or Path
        The input, substituted for ``${input}``.
    out : str or Path or None
        The results folder; ``None`` writes nothing. An existing one is replaced only if it
        holds this pipeline's results on this input (see
        :func:`~tda_pipe.pipelines.results.write_folder`); it is checked before any stage runs.
    cache : StageCache, optional
        Where stage outputs are looked up and stored (default: a disabled cache).
    progress : callable, optional
        Called with each stage's label as it starts.
    n_threads : int, optional
        Replaces ``n_threads=-1`` (all cores) in stage parameters: a batch worker's share.
    keep : tuple of str
        Artifacts to compute and return even if no stage's result needs them.
    written_by : str, optional
        Recorded in the folder's marker (default: the pipeline's name).
    overwrite : bool, default False
        Replace another command's results in ``out``, keeping files tda-pipe did not write.

    Returns
    -------
    RunResult

    Raises
    ------
    StageError
        A stage failed; the message names the input and the problem.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from tda_pipe.pipelines.spec import load_spec
    >>> from tda_pipe.datasets import circle
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(tmp / "ring.npy", circle(100, seed=0))
    >>> res = run_pipeline(load_spec(), tmp / "ring.npy", tmp / "ring_tda")
    >>> res.artifacts["diagrams"].betti(1.0)
    [1, 1]
    >>> sorted(p.name for p in res.out_dir.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['.tda-pipe.json', 'barcode.png', 'diagram.png', 'diagrams.npz', 'features.npz',
     'report.html', 'run.json', 'summary.json']
    """
    path = Path(path)
    written_by = written_by or spec.name
    if out is not None:
        check_out_dir(out, written_by, path, overwrite=overwrite)
    cache = cache if cache is not None else StageCache(enabled=False)
    calls = [call.with_input(path) for call in spec.input_calls]
    if n_threads is not None:
        calls = [_with_threads(call, n_threads) for call in calls]
    wiring = _producers(calls)
    keys = _keys(calls, wiring, cache)
    # stages with a row always run; batch stages read their inputs from every input's run
    extra = {name for c in calls if c.stage.row for name in c.stage.outputs}
    extra |= {*keep} | {name for c in spec.batch_calls for name in c.stage.inputs}
    result = RunResult(None, {})
    done: dict[int, dict] = {}

    def outputs_of(i: int) -> dict:
        """Call ``i``'s outputs: from the cache, or by running it (and what it reads) now."""
        if i in done:
            return done[i]
        call = calls[i]
        outputs = cache.get(keys[i], call.stage.outputs)
        if outputs is not None:
            result.cached.append(call.stage.name)
            result.seconds[f"{call.position}:{call.stage.name}"] = 0.0
        else:
            kwargs = {
                name: None if j is None else outputs_of(j)[name] for name, j in wiring[i].items()
            }
            if progress is not None:
                progress(call.label)
            start = time.perf_counter()
            try:
                outputs = call.stage.func(call.params, **kwargs)
            except Exception as exc:
                raise _fail(path, call, exc) from exc
            result.seconds[f"{call.position}:{call.stage.name}"] = round(
                time.perf_counter() - start, 4
            )
            cache.put(keys[i], outputs)
        done[i] = outputs
        return outputs

    for i in _wanted(calls, wiring, extra):
        outputs_of(i)
    for i in sorted(done):
        result.artifacts.update({name: done[i][name] for name in calls[i].stage.outputs})
    for i in sorted(done):
        if calls[i].stage.row is not None:
            result.row.update(calls[i].stage.row(done[i]))
    if out is not None:
        files = [v for v in result.artifacts.values() if isinstance(v, OutputFiles)]
        record = {
            "input": str(path),
            "pipeline": spec.to_dict(),
            "pipeline_digest": spec.digest(),
            "seconds": result.seconds,
            "cached": result.cached,
            "features": result.row,
        }
        contents = {name: data for group in files for name, data in group.items()}
        contents[RUN_FILE] = (json.dumps(record, indent=2) + "\n").encode()
        result.out_dir = write_folder(out, contents, written_by, path, overwrite=overwrite)
    return result


def _with_threads(call: StageCall, n_threads: int) -> StageCall:
    if getattr(call.params, "n_threads", None) != -1:
        return call
    params = call.params.model_copy(update={"n_threads": n_threads})
    return StageCall(call.position, call.stage, params)
