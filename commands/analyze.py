"""The ``analyze`` job: the built-in pipeline (``default.yaml``) run on one input file.

``tda-pipe analyze`` maps its options onto the parameters of that pipeline's stages and runs it
with :func:`~tda_pipe.pipelines.runner.run_pipeline`, the engine behind ``run`` and ``batch``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tda_pipe.commands.options import AnalyzeOptions
from tda_pipe.pipelines.cache import StageCache
from tda_pipe.pipelines.runner import run_pipeline
from tda_pipe.pipelines.spec import PipelineSpec, load_spec
from tda_pipe.tda.diagrams import Diagrams

__all__ = ["AnalyzeOptions", "AnalyzeResult", "analyze", "default_out_dir"]


@dataclass
class AnalyzeResult:
    """What :func:`analyze` produced: the folder, the diagrams, the summary, seconds per stage."""

    out_dir: Path
    diagrams: Diagrams
    summary: dict
    seconds: dict[str, float]


def default_out_dir(path: Path) -> Path:
    """``<input stem>_tda/`` in the current directory."""
    return Path(f"{path.stem}_tda")


def analyze(
    path: str | Path,
    out: str | Path | None = None,
    options: AnalyzeOptions | None = None,
    progress: Callable[[str], None] | None = None,
    cache: StageCache | None = None,
    *,
    overwrite: bool = False,
) -> AnalyzeResult:
    """Diagrams, features, figures and a summary of one input file, written to ``out``.

    ``out`` (default ``<stem>_tda/``) receives ``diagrams.npz``, ``features.npz``,
    ``summary.json``, ``diagram.png``, ``barcode.png``, ``report.html`` (the interactive page)
    and ``run.json``; with ``options.cycles`` also ``cycles.json`` and ``cycles.png``. An
    existing ``out`` is replaced only if it holds ``analyze`` results of the same input;
    anything else is refused before work starts (``overwrite``: replace other results, keeping
    files tda-pipe did not write). ``progress`` is called with each stage's label as it
    starts.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from tda_pipe.datasets import circle
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(tmp / "ring.npy", circle(100, seed=0))
    >>> res = analyze(tmp / "ring.npy", tmp / "ring_tda")
    >>> sorted(p.name for p in res.out_dir.iterdir())  # doctest: +NORMALIZE_WHITESPACE
    ['.tda-pipe.json', 'barcode.png', 'diagram.png', 'diagrams.npz', 'features.npz',
     'report.html', 'run.json', 'summary.json']
    >>> res.summary["dimensions"]["H1"]["n_classes"] > 0
    True
    """
    path = Path(path)
    opts = options or AnalyzeOptions()
    opts.check()
    out_dir = Path(out) if out is not None else default_out_dir(path)
    run = run_pipeline(
        analyze_spec(opts),
        path,
        out_dir,
        cache=cache,
        progress=progress,
        keep=("diagrams",),
        written_by="analyze",
        overwrite=overwrite,
    )
    summary = json.loads(run.artifacts["report"]["summary.json"])
    return AnalyzeResult(run.out_dir, run.artifacts["diagrams"], summary, run.seconds)


def analyze_spec(options: AnalyzeOptions) -> PipelineSpec:
    """The default pipeline with ``options`` set on its stages."""
    return load_spec(None, overrides=options.overrides())
