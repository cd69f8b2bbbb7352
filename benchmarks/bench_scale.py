"""Time and peak memory of ``tda-pipe analyze`` on big clouds, beside gudhi called directly.

Each figure is one fresh process, measured by ``os.wait4`` (wall clock, CPU seconds, peak
resident memory): ``analyze`` with default options (H0-H1, its stage cache in a new empty
folder), our persistence stage alone (``tda_pipe.persistence(X, 1)``), and gudhi's own
``AlphaComplex(X).create_simplex_tree()`` then ``compute_persistence()``. Noisy tori in R^3 of
10^4, 10^5 and 10^6 points; with ``--rounds R`` each size runs R interleaved rounds (ours,
gudhi, ours, ...) and the medians are printed. Diagrams of ours and gudhi's are compared in
the same run (:func:`compare`): bars longer than 1e-9 and the bottleneck distance.

Embedding rows: 10^4 and 10^5 vectors in R^768 (:func:`embedded_torus`, a flat torus mapped
isometrically into R^768, plus noise), through ``analyze`` and our persistence stage with
default options, which take Rips on maxmin landmarks: each row prints the landmarks, their
cover radius eps and the bound 2 eps on the bottleneck distance to Rips of all the vectors.
gudhi has no route of its own there (exact Rips of 10^4 vectors is 5e7 edges and 1.7e11
triangles), so that column is left out.

    python benchmarks/bench_scale.py                      # all rows: R^3 1e4-1e6, R^768 1e4-1e5
    python benchmarks/bench_scale.py --rows r3 --sizes 10000 100000 --rounds 3
    python benchmarks/bench_scale.py --rows r768 --embedding-sizes 10000
    python benchmarks/bench_scale.py --quick              # 5000 and 20000 points in R^3
    python benchmarks/bench_scale.py --no-gudhi           # ours only (gudhi needs ~11 GB at 1e6)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

GIB = 1024**3


@dataclass
class Run:
    """One process: wall and CPU seconds, peak resident bytes, exit status, what it printed
    as JSON on its last line (timings inside, diagram files)."""

    wall: float
    cpu: float
    peak: int
    status: int
    report: dict = field(default_factory=dict)

    def cell(self) -> str:
        if self.status != 0:
            return f"failed ({self.status}) after {self.wall:.0f} s, {self.peak / GIB:.1f} GiB"
        return f"{self.wall:7.1f} s ({self.cpu:.1f} s CPU) {self.peak / GIB:5.2f} GiB"


def measure(argv: list[str], env: dict | None = None) -> Run:
    """Run ``argv`` in a fresh process; its figures from ``os.wait4`` (Linux, macOS)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, **(env or {})}
    )
    out = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    lines = [line for line in out.splitlines() if line.startswith("{")]
    code = os.waitstatus_to_exitcode(status)
    report = json.loads(lines[-1]) if lines and code == 0 else {}
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * scale, code, report)


def torus(n: int, seed: int = 0) -> np.ndarray:
    """Noisy points on a torus (R = 2, r = 0.7, noise 0.05) in R^3."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, (n, 2))
    ring = 2 + 0.7 * np.cos(t[:, 1])
    X = np.column_stack([ring * np.cos(t[:, 0]), ring * np.sin(t[:, 0]), 0.7 * np.sin(t[:, 1])])
    return X + rng.normal(0, 0.05, X.shape)


def embedded_torus(n: int, dim: int = 768, noise: float = 1e-3, seed: int = 0) -> np.ndarray:
    """A flat torus (circles of radius 1 and 0.5, ``(cos u, sin u, cos v / 2, sin v / 2)`` in
    R^4) mapped into R^``dim`` by a random orthonormal 4-frame (an isometry), plus Gaussian
    noise of ``noise`` a coordinate: the shape of an embedding set with a known H1 of rank 2."""
    rng = np.random.default_rng(seed)
    u, v = rng.uniform(0, 2 * np.pi, (2, n))
    flat = np.column_stack([np.cos(u), np.sin(u), 0.5 * np.cos(v), 0.5 * np.sin(v)])
    frame, _ = np.linalg.qr(rng.standard_normal((dim, 4)))
    return flat @ frame.T + rng.normal(0, noise, (n, dim))


def analyze_row(path: Path, work: Path) -> Run:
    """``tda-pipe analyze PATH`` with default options, its cache in an empty folder."""
    cache = tempfile.mkdtemp(dir=work)
    code = "import sys; from tda_pipe.cli import run; sys.argv[0] = 'tda-pipe'; run()"
    argv = [sys.executable, "-c", code, "analyze", str(path), "-o", str(work / "out")]
    return measure([*argv, "--overwrite"], env={"TDA_PIPE_CACHE_DIR": cache})


_OURS = """
import json, sys, time
import numpy as np
import tda_pipe as tp
X = np.load(sys.argv[1])
start = time.perf_counter()
d = tp.persistence(X, 1)
seconds = time.perf_counter() - start
np.savez(sys.argv[2], *d)
print(json.dumps({"seconds": seconds, "backend": d.backend, "filtration": d.filtration,
                  "approximation": d.approximation, "bars": [len(x) for x in d]}))
"""

_GUDHI = """
import json, sys, time
import gudhi
import numpy as np
X = np.load(sys.argv[1])
start = time.perf_counter()
st = gudhi.AlphaComplex(points=X).create_simplex_tree()
built = time.perf_counter()
st.compute_persistence()
done = time.perf_counter()
dgms = []
for p in range(2):  # squared radii to the diameter scale 2 sqrt(alpha^2) that tda-pipe reports
    d = 2 * np.sqrt(np.asarray(st.persistence_intervals_in_dimension(p)).reshape(-1, 2))
    dgms.append(d[d[:, 1] > d[:, 0]])
np.savez(sys.argv[2], *dgms)
print(json.dumps({"seconds": done - start, "build": built - start, "persistence": done - built}))
"""


def persistence_row(script: str, path: Path, out: Path) -> Run:
    return measure([sys.executable, "-c", script, str(path), str(out)])


def compare(ours: Path, theirs: Path, tol: float = 1e-9) -> str:
    """How far our diagrams are from gudhi's, dimension by dimension: the bars longer than
    ``tol``, and the bottleneck distance (gudhi's up to 4e5 bars; above, an upper bound: the
    long bars matched in sorted order, the rest to the diagonal)."""
    import gudhi

    parts = []
    with np.load(ours) as a, np.load(theirs) as b:
        for p in range(2):
            x, y = a[f"arr_{p}"], b[f"arr_{p}"]
            long_x, long_y = (d[d[:, 1] - d[:, 0] > tol] for d in (x, y))
            if len(x) + len(y) <= 400_000:
                how, distance = "bottleneck", gudhi.bottleneck_distance(x, y)
            else:
                how, distance = "bottleneck <=", max(_sorted_gap(long_x, long_y), tol / 2)
            parts.append(f"H{p}: {len(long_x)} / {len(long_y)} bars, {how} {distance:.1e}")
    return "; ".join(parts)


def _sorted_gap(x: np.ndarray, y: np.ndarray) -> float:
    """Largest coordinate gap between two diagrams matched in (death, birth) order (``inf``
    matching ``inf``); ``inf`` if their sizes differ."""
    if len(x) != len(y):
        return math.inf
    x, y = (d[np.lexsort((d[:, 0], d[:, 1]))] for d in (x, y))
    same = x == y  # both infinite, or equal
    return float(np.max(np.abs(x[~same] - y[~same]), initial=0.0))


def growth(sizes: list[int], values: list[float]) -> str:
    """Exponents ``k`` of ``cost ~ n^k`` between consecutive sizes."""
    steps = [
        f"{math.log(v1 / v0) / math.log(n1 / n0):.2f}"
        for (n0, v0), (n1, v1) in zip(zip(sizes, values), zip(sizes[1:], values[1:]))
        if v0 > 0 and v1 > 0
    ]
    return ", ".join(steps) or "-"


def median_run(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.wall)[len(runs) // 2]


def print_table(rows: list[tuple[str, int, dict[str, Run]]]) -> None:
    """One line per (name, size): each measured column's wall time and peak memory."""
    for name, n, runs in rows:
        cells = "  ".join(f"{col}: {run.cell()}" for col, run in runs.items())
        print(f"{name:<11} n={n:<8} {cells}")


def print_growth(rows: list[tuple[str, int, dict[str, Run]]]) -> None:
    """Growth exponents of wall time and peak memory between consecutive sizes, per row kind
    and column (nothing where each kind has one size)."""
    header = "\ngrowth exponents between consecutive sizes (cost ~ n^k):"
    for name in dict.fromkeys(name for name, _, _ in rows):
        for col in ("analyze", "ours", "gudhi"):
            pairs = [(n, r[col]) for nm, n, r in rows if nm == name and r.get(col)]
            pairs = [(n, run) for n, run in pairs if run.status == 0]
            if len(pairs) > 1:
                print(header)
                header = ""
                ns = [n for n, _ in pairs]
                print(
                    f"  {name:<11} {col:<8} time {growth(ns, [r.wall for _, r in pairs])}"
                    f"   memory {growth(ns, [r.peak for _, r in pairs])}"
                )


def embedding_rows(sizes: list[int], rounds: int, work: Path) -> list:
    """``analyze`` and our persistence stage on :func:`embedded_torus` sets, with the
    approximation the default route states."""
    rows = []
    for n in sizes:
        path = work / f"embedding_{n}.npy"
        np.save(path, embedded_torus(n))
        runs: dict[str, list[Run]] = {"analyze": [], "ours": []}
        for _ in range(rounds):
            runs["analyze"].append(analyze_row(path, work))
            runs["ours"].append(persistence_row(_OURS, path, work / "ours.npz"))
        path.unlink()
        medians = {col: median_run(r) for col, r in runs.items()}
        rows.append(("torus R^768", n, medians))
        print_table(rows[-1:])
        report = medians["ours"].report
        approx = report.get("approximation") or {}
        print(
            f"    persistence stage inside: {report.get('seconds', math.nan):.1f} s "
            f"({report.get('filtration')}, {report.get('backend')}; bars by dimension "
            f"{report.get('bars')}); {approx.get('n_landmarks')} landmarks, cover radius eps "
            f"{approx.get('cover_radius', math.nan):.4g}, bottleneck bound 2 eps "
            f"{approx.get('bottleneck_bound', math.nan):.4g}",
            flush=True,
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", nargs="+", choices=("r3", "r768"), default=["r3", "r768"], help="row kinds"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--embedding-sizes", type=int, nargs="+", default=[10_000, 100_000], help="R^768 rows"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="5000 and 20000 points")
    parser.add_argument("--no-gudhi", action="store_true", help="leave gudhi out")
    args = parser.parse_args()
    sizes = [5000, 20_000] if args.quick else sorted(args.sizes)  # auto: alpha above 2000
    sizes = sizes if "r3" in args.rows else []
    print(f"{os.cpu_count()} cores; one fresh process per figure; medians of {args.rounds} rounds")
    rows, ratios = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        warm = work / "warm.npy"  # compiles (and caches) numba's loops before any timing
        np.save(warm, torus(3000))
        persistence_row(_OURS, warm, work / "warm.npz")
        for n in sizes:
            path = work / f"torus_{n}.npy"
            np.save(path, torus(n))
            runs: dict[str, list[Run]] = {"analyze": [], "ours": [], "gudhi": []}
            for _ in range(args.rounds):  # interleaved: a slow spell hits everyone alike
                runs["analyze"].append(analyze_row(path, work))
                runs["ours"].append(persistence_row(_OURS, path, work / "ours.npz"))
                if not args.no_gudhi:
                    runs["gudhi"].append(persistence_row(_GUDHI, path, work / "gudhi.npz"))
            medians = {col: median_run(r) for col, r in runs.items() if r}
            rows.append(("torus R^3", n, medians))
            print_table(rows[-1:])
            ours, gudhi_run = medians["ours"], medians.get("gudhi")
            inside = ours.report.get("seconds", math.nan)
            line = f"    persistence stage inside: {inside:.1f} s ({ours.report.get('backend')})"
            if gudhi_run is not None and gudhi_run.status == 0:
                g = gudhi_run.report
                ratio = inside / g["seconds"]
                ratios.append((n, ratio))
                line += (
                    f"; gudhi {g['seconds']:.1f} s (tree {g['build']:.1f} s, persistence "
                    f"{g['persistence']:.1f} s); ours / gudhi {ratio:.2f}\n    "
                    + compare(work / "ours.npz", work / "gudhi.npz")
                )
            print(line, flush=True)
        if "r768" in args.rows:
            rows += embedding_rows(sorted(args.embedding_sizes), args.rounds, work)
    print_growth(rows)
    if ratios:
        print("persistence time ours / gudhi: " + ", ".join(f"n={n}: {r:.2f}" for n, r in ratios))


if __name__ == "__main__":
    main()
