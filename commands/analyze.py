"""The ``analyze`` job: the built-in pipeline (``default.yaml``) run on one input file.

``tda-pipe analyze`` maps its options onto the parameters of that pipeline's stages and runs it
with :func:`~tda_pipe.pipelines.runner.run_pipeline`, the engine behind ``run`` and ``batch``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tda_pipe.errors import InputError
from tda_pipe.pipelines.cache import StageCache
from tda_pipe.pipelines.runner import run_pipeline
from tda_pipe.pipelines.spec import PipelineSpec, load_spec
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.filtrations import KINDS
from tda_pipe.tda.persistence import ALL_BACKENDS, check_coeff
from tda_pipe.tda.validation import check_int, check_metric

__all__ = ["AnalyzeOptions", "AnalyzeResult", "analyze", "default_out_dir"]


@dataclass
class AnalyzeOptions:
    """Options of :func:`analyze`, as on the command line."""

    max_dim: int = 1
    filtration: str = "auto"
    metric: str = "euclidean"
    threshold: float | None = None
    sparse: float | None = None
    backend: str = "auto"
    coeff: int = 2
    sample: int | None = None
    downsample: int | None = None
    seed: int = 0
    scales: list[float] | None = None
    dtm_k: int = 10
    cycles: int = 0
    landmarks: int | None = None

    def check(self) -> None:
        """Reject unknown option values before any work is done."""
        if self.filtration not in KINDS:
            raise InputError(
                f"unknown --filtration {self.filtration!r}; choose one of {', '.join(KINDS)}"
            )
        if self.backend not in ALL_BACKENDS:
            raise InputError(
                f"unknown --backend {self.backend!r}; choose one of {', '.join(ALL_BACKENDS)}"
            )
        check_coeff(self.coeff, "--coeff")
        if self.max_dim < 0:
            raise InputError(f"--max-dim must be >= 0, got {self.max_dim}")
        check_metric(self.metric)
        check_int(self.cycles, "--cycles", low=0)

    def overrides(self) -> list[str]:
        """``--set`` items putting these options on the default pipeline's stages."""
        where = {
            "load": {
                "precomputed": self.metric == "precomputed",
                "sample": self.sample,
                "downsample": self.downsample,
            },
            "filtration": {
                "kind": self.filtration,
                "metric": self.metric,
                "threshold": self.threshold,
                "epsilon": self.sparse,
                "dtm_k": self.dtm_k,
                "landmarks": self.landmarks,
            },
            "persistence": {
                "max_dim": self.max_dim,
                "backend": self.backend,
                "coeff": self.coeff,
                "cycles": self.cycles > 0,
            },
            "report": {"scales": self.scales, "cycles": max(self.cycles, 1)},
        }
        items = [f"load.seed={self.seed}"]
        for stage, values in where.items():
            items += [f"{stage}.{k}={json.dumps(v)}" for k, v in values.items()]
        return items


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
