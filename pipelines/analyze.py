"""The ``analyze`` job: one input file to a results folder of diagrams, features and figures.

Everything is written into a hidden temporary folder beside the destination and renamed into
place at the end, so a failure never leaves a half-written results folder.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from tda_pipe.datasets import load
from tda_pipe.errors import InputError
from tda_pipe.tda.diagrams import Diagrams
from tda_pipe.tda.features import (
    BettiCurve,
    PersistenceImage,
    PersistenceLandscape,
    SummaryStatistics,
)
from tda_pipe.tda.filtrations import KINDS, build_filtration
from tda_pipe.tda.persistence import ALL_BACKENDS, persistence
from tda_pipe.tda.plotting import plot_barcode, plot_diagram, save_figure
from tda_pipe.tda.summary import summarize
from tda_pipe.tda.validation import check_metric

__all__ = ["STEPS", "AnalyzeOptions", "AnalyzeResult", "analyze"]

STEPS = ("load", "filtration", "persistence", "features", "figures", "write")


@dataclass
class AnalyzeOptions:
    """Options of :func:`analyze`, as on the command line."""

    max_dim: int = 1
    filtration: str = "auto"
    metric: str = "euclidean"
    threshold: float | None = None
    sparse: float | None = None
    backend: str = "auto"
    sample: int | None = None
    seed: int = 0
    scales: list[float] | None = None
    dtm_k: int = 10

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
        if self.max_dim < 0:
            raise InputError(f"--max-dim must be >= 0, got {self.max_dim}")
        check_metric(self.metric)


@dataclass
class AnalyzeResult:
    """What :func:`analyze` produced."""

    out_dir: Path
    diagrams: Diagrams
    summary: dict
    timings: dict[str, float] = field(default_factory=dict)


def default_out_dir(path: Path) -> Path:
    """``<input stem>_tda/`` beside the current directory."""
    return Path(f"{path.stem}_tda")


def _features(diagrams: Diagrams) -> dict[str, np.ndarray]:
    dims = tuple(range(len(diagrams)))
    arrays: dict[str, np.ndarray] = {}
    for name, transformer in (
        ("betti_curve", BettiCurve(dims=dims)),
        ("landscape", PersistenceLandscape(dims=dims)),
        ("persistence_image", PersistenceImage(dims=dims)),
    ):
        arrays[name] = transformer.fit_transform([diagrams])[0]
    stats = SummaryStatistics(dims=dims).fit([diagrams])
    arrays["summary_statistics"] = stats.transform([diagrams])[0]
    arrays["summary_statistics_names"] = np.array(stats.get_feature_names_out(), dtype=str)
    return arrays


def analyze(
    path: str | Path,
    out: str | Path | None = None,
    options: AnalyzeOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> AnalyzeResult:
    """Diagrams, features, figures and a summary of one input file, written to ``out``.

    ``out`` (default ``<stem>_tda/``) receives ``diagrams.npz``, ``features.npz``,
    ``summary.json``, ``diagram.png`` and ``barcode.png``. ``progress`` is called with each
    step's name from :data:`STEPS` as it starts.

    Examples
    --------
    >>> import numpy as np, tempfile, pathlib
    >>> from tda_pipe.datasets import circle
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(tmp / "ring.npy", circle(100, seed=0))
    >>> res = analyze(tmp / "ring.npy", tmp / "ring_tda")
    >>> sorted(p.name for p in res.out_dir.iterdir())
    ['barcode.png', 'diagram.png', 'diagrams.npz', 'features.npz', 'summary.json']
    """
    path = Path(path)
    opts = options or AnalyzeOptions()
    opts.check()
    out_dir = Path(out) if out is not None else default_out_dir(path)
    timings: dict[str, float] = {}
    current: list = []  # [name, start time] of the running step

    def step(name: str) -> None:
        now = time.perf_counter()
        if current:
            timings[current[0]] = round(now - current[1], 4)
        current[:] = [name, now]
        if progress is not None:
            progress(name)

    step("load")
    loaded = load(
        path, precomputed=opts.metric == "precomputed", sample=opts.sample, seed=opts.seed
    )
    try:
        step("filtration")
        kind = opts.filtration
        if loaded.kind == "image":
            if kind not in ("auto", "cubical"):
                raise InputError(f"an image takes --filtration cubical, not {kind!r}")
            kind = "cubical"
        elif kind == "auto" and opts.sparse is not None:
            kind = "sparse-rips"
        filt = build_filtration(
            loaded.array,
            kind,
            max_dim=opts.max_dim,
            metric="euclidean" if loaded.kind == "image" else opts.metric,
            threshold=opts.threshold,
            epsilon=opts.sparse,
            k=opts.dtm_k,
        )
        step("persistence")
        diagrams = persistence(filt, max_dim=opts.max_dim, backend=opts.backend)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from exc
    step("features")
    features = _features(diagrams)
    summary = summarize(diagrams, scales=opts.scales)
    step("figures")
    title = f"{path.name}: {diagrams.filtration} ({diagrams.backend})"
    figures = {
        "diagram.png": plot_diagram(diagrams, title=title),
        "barcode.png": plot_barcode(diagrams, max_bars=100),
    }
    step("write")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        diagrams.save(tmp / "diagrams.npz")
        np.savez_compressed(tmp / "features.npz", **features)
        for name, fig in figures.items():
            save_figure(fig, tmp / name)
        summary = {
            "input": {
                "path": str(path),
                "kind": loaded.kind,
                "shape": list(loaded.array.shape),
                "filtration": filt.describe(),
            },
            **summary,
            "options": asdict(opts),
            "seconds": timings,
        }
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        _replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return AnalyzeResult(out_dir, diagrams, summary, timings)


def _replace_dir(src: Path, dest: Path) -> None:
    """Move the finished folder ``src`` to ``dest``, replacing an earlier result."""
    if dest.exists():
        if not dest.is_dir():
            raise InputError(f"--out {dest} exists and is not a folder")
        old = dest.with_name(f".{dest.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        dest.rename(old)
        src.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        src.rename(dest)
