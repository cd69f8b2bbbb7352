"""Mutation testing of tda-pipe's core: plant one plausible bug at a time, run the tests that
cover its line, and count the bugs the suite catches.

    python benchmarks/mutation.py                       # every mutant of the core modules
    python benchmarks/mutation.py --sample 30 --jobs 2  # 30 random mutants a module, 2 workers
    python benchmarks/mutation.py --modules tda/diagrams.py losses/mst_length.py
    python benchmarks/mutation.py --modules tda/cycles.py --coverage-map /tmp/map.json
    python benchmarks/mutation.py --modules tda/cycles.py --survivors earlier.log  # after tests
    python benchmarks/mutation.py --survivors earlier.json --since abc123  # after edits too

The last commit (``git archive HEAD``) is unpacked in a temporary folder as the package
``tda_pipe``, put first on ``PYTHONPATH``, so the working tree is never touched. One coverage
run of the default suite records which test functions execute each line; each mutant then
runs only those tests (``pytest -x``): the examples in the module's docstrings, then the
others, the fastest first (with ``--budget S`` only the fastest, up to S seconds of them,
which can only lower the score). It is *killed* when they fail, *timed out* (counted as
killed) when they run past ``--timeout`` and three times their unmutated time plus 30 s,
*survives* when they pass, and is *uncovered* when no test runs its line (counted as
surviving).

The mutation operators are written here (no mutation library is used): comparison flips
(``<`` / ``<=``, ``==`` / ``!=``, ``in`` / ``not in``, ``is`` / ``is not``), arithmetic swaps
(``+`` / ``-``, ``*`` / ``/``, ``//`` / ``/``, ``**`` / ``*``, ``+=`` / ``-=``), ``and`` / ``or``,
dropped unary ``-`` and ``not``, negated ``if`` / ``while`` tests, numeric constants (``0`` / ``1``,
``n`` to ``n + 1``), ``True`` / ``False``, and the reductions ``min`` / ``max``, ``mean`` /
``sum``, ``argmin`` / ``argmax``. Docstrings and other strings are left alone.

Needs ``coverage`` (``pip install coverage``). Not part of the test suite: a full run takes hours
on 2 cores; ``--sample`` gives an estimate in minutes.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import hashlib
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("tda", "losses", "datasets/readers.py", "pipelines/cache.py", "pipelines/batch.py")
DOCTESTS = "tests/test_docstrings.py::test_docstring_examples_run"
# tests that check what a module states at import time (signature defaults against their
# docstrings), run for every mutant of such a line, whether or not coverage credits them with it
SIGNATURE_TESTS = ("tests/test_documented_defaults.py::test_a_stated_default_is_the_default",)
SKIP_IN_KEY = ("benchmarks/", "studies/", "docs/", "README.md")
# imported once by each worker, before it forks a child per mutant (never tda_pipe itself)
PRELOAD = (
    "numpy", "scipy.sparse", "scipy.spatial", "scipy.optimize", "scipy.stats", "sklearn.base",
    "sklearn.neighbors", "sklearn.cluster", "sklearn.model_selection", "torch", "gudhi",
    "networkx", "matplotlib.pyplot", "pydantic", "yaml", "pytest", "hypothesis", "pyarrow",
    "typer", "rich", "persim", "ripser", "kmapper", "dask", "distributed", "trimesh", "PIL",
)  # fmt: skip

# -- the mutants --------------------------------------------------------------------------------

COMPARE = {
    ast.Lt: ("<", "<="),
    ast.LtE: ("<=", "<"),
    ast.Gt: (">", ">="),
    ast.GtE: (">=", ">"),
    ast.Eq: ("==", "!="),
    ast.NotEq: ("!=", "=="),
    ast.In: ("in", "not in"),
    ast.NotIn: ("not in", "in"),
    ast.Is: ("is", "is not"),
    ast.IsNot: ("is not", "is"),
}
BINARY = {
    ast.Add: ("+", "-"),
    ast.Sub: ("-", "+"),
    ast.Mult: ("*", "/"),
    ast.Div: ("/", "*"),
    ast.FloorDiv: ("//", "/"),
    ast.Pow: ("**", "*"),
}
BOOLEAN = {ast.And: ("and", "or"), ast.Or: ("or", "and")}
REDUCTIONS = {
    "min": "max",
    "max": "min",
    "mean": "sum",
    "sum": "mean",
    "argmin": "argmax",
    "argmax": "argmin",
}


@dataclass(frozen=True)
class Mutant:
    """One planted bug: ``source[start:end]`` of ``path`` becomes ``replacement``."""

    path: str
    line: int
    start: int
    end: int
    replacement: str
    description: str

    def apply(self, source: str) -> str:
        return source[: self.start] + self.replacement + source[self.end :]


class _Offsets:
    """Character offsets of ``(line, column-in-bytes)`` positions of one source text."""

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def __call__(self, line: int, col: int) -> int:
        text = self.lines[line - 1].encode()[:col].decode(errors="ignore")
        return self.starts[line - 1] + len(text)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            if isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                ids.add(id(body[0].value))
    return ids


def _operator_between(
    source: str, at: _Offsets, left: ast.AST, right: ast.AST, text: str
) -> tuple[int, int] | None:
    """Where the operator ``text`` stands between two operands (parentheses and spaces
    around it); ``None`` when a comment or anything else lies there."""
    a = at(left.end_lineno, left.end_col_offset)
    b = at(right.lineno, right.col_offset)
    segment = source[a:b]
    if "#" in segment:
        return None
    pattern = r"\s+".join(re.escape(word) for word in text.split())
    found = [m for m in re.finditer(pattern, segment)]
    stripped = re.sub(pattern, "", segment, count=1)
    if len(found) != 1 or stripped.strip("()\\ \t\r\n"):
        return None
    return a + found[0].start(), a + found[0].end()


def mutants_of(source: str, path: str) -> list[Mutant]:
    """Every mutant of one module's source, in source order."""
    tree = ast.parse(source)
    at = _Offsets(source)
    skip = _docstrings(tree)
    out: list[Mutant] = []

    def add(line: int, span: tuple[int, int] | None, new: str, what: str) -> None:
        if span is not None:
            out.append(Mutant(path, line, span[0], span[1], new, what))

    def node_span(node: ast.AST) -> tuple[int, int]:
        return at(node.lineno, node.col_offset), at(node.end_lineno, node.end_col_offset)

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, operands, operands[1:]):
                old, new = COMPARE[type(op)]
                span = _operator_between(source, at, left, right, old)
                add(node.lineno, span, new, f"{old} -> {new}")
        elif isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            old, new = BINARY[type(node.op)]
            span = _operator_between(source, at, node.left, node.right, old)
            add(node.lineno, span, new, f"{old} -> {new}")
        elif isinstance(node, ast.AugAssign) and type(node.op) in (ast.Add, ast.Sub):
            old, new = ("+=", "-=") if isinstance(node.op, ast.Add) else ("-=", "+=")
            span = _operator_between(source, at, node.target, node.value, old)
            add(node.lineno, span, new, f"{old} -> {new}")
        elif isinstance(node, ast.BoolOp):
            old, new = BOOLEAN[type(node.op)]
            span = _operator_between(source, at, node.values[0], node.values[1], old)
            add(node.lineno, span, new, f"{old} -> {new}")
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
            start, end = node_span(node)
            operand = source[slice(*node_span(node.operand))]
            add(node.lineno, (start, end), f"({operand})", f"drop unary {source[start:end][:3]}")
        elif isinstance(node, (ast.If, ast.While)):
            start, end = node_span(node.test)
            add(node.lineno, (start, end), f"not ({source[start:end]})", "negate condition")
        elif isinstance(node, ast.Constant) and id(node) not in skip:
            value = node.value
            if isinstance(value, bool):
                add(node.lineno, node_span(node), str(not value), f"{value} -> {not value}")
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                new = {0: 1, 1: 0}.get(value, value + 1)
                add(node.lineno, node_span(node), repr(new), f"{value!r} -> {new!r}")
        elif isinstance(node, ast.Name) and node.id in ("min", "max"):
            new = REDUCTIONS[node.id]
            add(node.lineno, node_span(node), new, f"{node.id} -> {new}")
        elif isinstance(node, ast.Attribute) and node.attr in REDUCTIONS:
            start, end = node_span(node)
            new = REDUCTIONS[node.attr]
            add(node.lineno, (end - len(node.attr), end), new, f".{node.attr} -> .{new}")
    return sorted(out, key=lambda m: (m.start, m.description))


# -- the copy, the coverage map, the runs -------------------------------------------------------


def make_copy(where: Path) -> Path:
    """The last commit unpacked as ``where/tda_pipe``; returns that folder."""
    package = where / "tda_pipe"
    package.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(package)], input=archive.stdout, check=True)
    return package


def _env(package: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(package.parent), "PYTHONDONTWRITEBYTECODE": "1"}
    env["TDA_PIPE_CACHE_DIR"] = str(package.parent / "cache")
    return env


def coverage_map(
    package: Path, tests: list[str]
) -> tuple[dict[str, dict[int, set[str]]], dict[str, float]]:
    """For every module under the package, ``{line: {test node id}}`` of ``tests`` (test files;
    none: the default suite), and the seconds each test function took."""
    rc = package / ".coveragerc-mutation"
    rc.write_text(f"[run]\ndynamic_context = test_function\nsource = {package}\n")
    junit = package / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", f"--rcfile={rc}", "-m", "pytest", "-q",
         f"--junitxml={junit}", *tests],
        cwd=package,
        env=_env(package),
    )  # fmt: skip
    report = package / "coverage.json"
    subprocess.run(
        [sys.executable, "-m", "coverage", "json", f"--rcfile={rc}", "--show-contexts", "-o",
         str(report)],
        cwd=package,
        env=_env(package),
        check=True,
    )  # fmt: skip
    files = json.loads(report.read_text())["files"]
    tests = _test_functions(package)
    lines: dict[str, dict[int, set[str]]] = {}
    for name, data in files.items():
        rel = (package / name).resolve().relative_to(package.resolve()).as_posix()
        per_line = {}
        for line, contexts in data.get("contexts", {}).items():
            ids = {tests[c.split("|")[0]] for c in contexts if c.split("|")[0] in tests}
            if ids:
                per_line[int(line)] = ids
        # lines run only at import (defaults, constants): every test that uses the module
        module_tests = set().union(*per_line.values()) if per_line else set()
        for line in data.get("executed_lines", []):
            per_line.setdefault(int(line), module_tests)
        lines[rel] = per_line
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit).iter("testcase"):
        name = case.get("name", "").split("[")[0]
        node = tests.get(f"{case.get('classname')}.{name}")
        if node is not None:
            seconds[node] += float(case.get("time") or 0.0)
    return lines, seconds


def saved_coverage_map(
    package: Path, tests: list[str], saved: Path | None
) -> tuple[dict[str, dict[int, set[str]]], dict[str, float]]:
    """:func:`coverage_map`, read from ``saved`` when it was written for the same package and
    test files at the last commit (this script, the studies and the docs aside) and the same
    ``tests``, so that runs over different modules share one coverage run; else computed and
    written there."""
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    kept = "\n".join(line for line in listing if not line.split("\t")[-1].startswith(SKIP_IN_KEY))
    key = {"sources": hashlib.sha1(kept.encode()).hexdigest(), "tests": sorted(tests)}
    if saved is not None and saved.is_file():
        data = json.loads(saved.read_text())
        if data.get("key") == key:
            print(f"coverage map read from {saved}", flush=True)
            lines = {
                path: {int(line): set(ids) for line, ids in per_line.items()}
                for path, per_line in data["lines"].items()
            }
            return lines, defaultdict(float, data["seconds"])
    print("coverage run of the default suite ...", flush=True)
    lines, seconds = coverage_map(package, tests)
    if saved is not None:
        data = {
            "key": key,
            "lines": {
                path: {str(line): sorted(ids) for line, ids in per_line.items()}
                for path, per_line in lines.items()
            },
            "seconds": seconds,
        }
        saved.write_text(json.dumps(data))
    return lines, seconds


def _test_functions(package: Path) -> dict[str, str]:
    """Coverage's context names (``module.function``) to pytest node ids (``file::function``)."""
    out = {}
    for test_file in (package / "tests").glob("test_*.py"):
        tree = ast.parse(test_file.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                node_id = f"tests/{test_file.name}::{node.name}"
                out[f"{test_file.stem}.{node.name}"] = node_id
                out[f"tests.{test_file.stem}.{node.name}"] = node_id
    return out


@dataclass
class Outcome:
    mutant: Mutant
    status: str  # killed, timeout, survived, uncovered
    seconds: float
    killer: str | None = None  # the test that failed


class Killers:
    """The tests that killed earlier mutants of each module, and near which lines: a mutant's
    tests run those first (near its line, then anywhere in its module), since a test that
    caught one bug in a function tends to catch the next. Only the order changes, not which
    tests run, so the outcome is the same; killed mutants stop sooner under ``-x``."""

    NEAR = 40  # lines

    def __init__(self) -> None:
        self.found: dict[str, list[tuple[int, str]]] = defaultdict(list)

    def add(self, mutant: Mutant, test: str) -> None:
        self.found[mutant.path].append((mutant.line, test))

    def rank(self, mutant: Mutant) -> dict[str, tuple[int, int]]:
        near: dict[str, int] = defaultdict(int)
        anywhere: dict[str, int] = defaultdict(int)
        for line, test in self.found.get(mutant.path, []):
            anywhere[test] += 1
            near[test] += abs(line - mutant.line) <= self.NEAR
        return {t: (near[t], anywhere[t]) for t in anywhere}


class Worker:
    """A process that has imported the heavy libraries once (:data:`PRELOAD`) and, for each
    mutant, forks a child that runs pytest on its own copy of the package: the seconds of
    importing torch, scipy and gudhi are paid once per worker, not once per mutant."""

    def __init__(self, package: Path) -> None:
        self.package = package
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve"],
            cwd=package,
            env=_env(package),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, tests: list[str], timeout: float) -> dict:
        """``{"status": ..., "killer": the node id of the test that failed, or None}``."""
        self.process.stdin.write(json.dumps({"tests": tests, "timeout": timeout}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def serve() -> None:
    """The worker's loop: one JSON request a line on stdin, one status a line on stdout."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in PRELOAD:
        try:
            __import__(name)
        except Exception:  # an optional library that is missing is imported by no test
            pass
    import pytest

    class FirstFailure:  # names the test that failed, through a pipe to the worker
        def __init__(self, fd: int) -> None:
            self.fd = fd

        def pytest_runtest_logreport(self, report) -> None:
            if report.failed and self.fd >= 0:
                os.write(self.fd, report.nodeid.encode())
                os.close(self.fd)
                self.fd = -1

    for line in sys.stdin:
        request = json.loads(line)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            os.setpgid(0, 0)  # its own process group: whatever the tests start goes with it
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            signal.alarm(max(1, int(request["timeout"])))
            code = pytest.main(
                ["-x", "-q", "-p", "no:cacheprovider", *request["tests"]],
                plugins=[FirstFailure(write_end)],
            )
            os._exit(int(code))
        os.close(write_end)
        _, status = os.waitpid(pid, 0)
        try:  # worker processes (joblib, dask) of a mutant stopped by the alarm
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        # the child wrote before it exited; a worker it forked may still hold the pipe open
        os.set_blocking(read_end, False)
        try:
            killer = os.read(read_end, 4096).decode() or None
        except BlockingIOError:
            killer = None
        os.close(read_end)
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
            outcome = "timeout"
        elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            outcome = "survived"
        else:
            outcome = "killed"
        print(json.dumps({"status": outcome, "killer": killer}), flush=True)


def run_mutant(
    worker: Worker,
    mutant: Mutant,
    tests: set[str],
    seconds: dict[str, float],
    timeout: float,
    budget: float | None = None,
    killers: Killers | None = None,
) -> Outcome:
    if not tests:
        return Outcome(mutant, "uncovered", 0.0)
    target = worker.package / mutant.path
    original = target.read_text()
    # the module's own docstring examples instead of every module's
    own = set()
    if DOCTESTS in tests:
        tests = tests - {DOCTESTS}
        own = {f"{DOCTESTS}[tda_pipe.{mutant.path.removesuffix('.py').replace('/', '.')}]"}
    ordered = sorted(tests, key=lambda t: (seconds.get(t, 0.0), t))
    if budget is not None:  # the fastest tests, up to ``budget`` seconds of them (at least one)
        spent = list(itertools.accumulate(seconds.get(t, 0.0) for t in ordered))
        ordered = ordered[: max(1, sum(s <= budget for s in spent))]
    # which tests run is settled; their order: earlier killers near this line, then in this
    # module, then the own examples, then the fastest
    rank = killers.rank(mutant) if killers is not None else {}
    ordered = sorted(
        [*own, *ordered],
        key=lambda t: (*(-k for k in rank.get(t, (0, 0))), t not in own, seconds.get(t, 0.0), t),
    )
    # a mutant is timed out only well beyond what its tests take unmutated: a long test set
    # that merely needs its time is not a kill
    limit = max(timeout, 3 * sum(seconds.get(t, 0.0) for t in ordered) + 30)
    start = time.perf_counter()
    try:
        target.write_text(mutant.apply(original))
        result = worker.run(ordered, limit)
    finally:
        target.write_text(original)
    failed = result["killer"] or ""  # a parametrised test fails as ``id[case]``
    killer = next((t for t in ordered if failed == t or failed.startswith(t + "[")), None)
    if killer is not None and killers is not None:
        killers.add(mutant, killer)
    return Outcome(mutant, result["status"], time.perf_counter() - start, killer)


def _tests_of_line(lines: dict[int, set[str]], line: int) -> set[str]:
    """The tests that run ``line``; for a line inside a statement that spans several (coverage
    records its first line: a default value in a long signature), those of the nearest line
    above it, up to 30 lines (a signature of many parameters)."""
    for above in range(line, max(0, line - 30), -1):
        if above in lines:
            return lines[above]
    return set()


def _import_time_lines(source: str) -> set[int]:
    """The lines Python runs when it imports the module rather than when its functions run:
    module- and class-level statements and every function's header (decorators, the signature
    with its defaults). Coverage credits them to whichever test imported the module first."""
    lines: set[int] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                lines.update(range(start, max(node.lineno, node.body[0].lineno - 1) + 1))
                if isinstance(node, ast.ClassDef):
                    visit(node.body)
            else:
                lines.update(range(node.lineno, node.end_lineno + 1))

    visit(ast.parse(source).body)
    return lines


def _import_time_tests(lines: dict[int, set[str]], source: str) -> dict[int, set[str]]:
    """``{line: tests}`` for the module's lines run at import (a default, a constant): every
    test that runs the module and the tests that read signatures (:data:`SIGNATURE_TESTS`);
    none when no test runs the module."""
    module_tests = set().union(*lines.values()) if lines else set()
    if not module_tests:
        return {}
    tests = module_tests | set(SIGNATURE_TESTS)
    return dict.fromkeys(_import_time_lines(source), tests)


def _targets(package: Path, modules: list[str]) -> list[str]:
    out = []
    for item in modules:
        path = package / item
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        out += [f.relative_to(package).as_posix() for f in files if f.name != "__init__.py"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", nargs="*", default=list(TARGETS))
    parser.add_argument("--tests", nargs="*", default=[], help="test files (default: all)")
    parser.add_argument("--sample", type=int, default=None, help="mutants a module, at random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once")
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds a mutant at least (3x its tests' time + 30 s when more)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        help="run only the fastest covering tests, up to this many seconds of them (default: all)",
    )
    parser.add_argument("--json", type=Path, default=None, help="write every outcome here")
    parser.add_argument(
        "--survivors",
        type=Path,
        default=None,
        help="run again only the mutants an earlier run's --json file or log left alive",
    )
    parser.add_argument(
        "--since",
        default=None,
        help="the commit the --survivors run mutated: its line numbers are carried to the last "
        "commit (lines changed since are dropped)",
    )
    parser.add_argument(
        "--coverage-map",
        type=Path,
        default=None,
        help="keep the coverage run here; reused while the sources, tests and --tests are the same",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve()
        return 0

    work = Path(tempfile.mkdtemp(prefix="tda-mutation-"))
    # stopped by a signal, the run still removes its copies (``finally`` below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        first = make_copy(work / "0")
        covered, seconds = saved_coverage_map(first, args.tests, args.coverage_map)
        copies = [first] + [make_copy(work / str(i)) for i in range(1, args.jobs)]
        workers = [Worker(package) for package in copies]
        rng = random.Random(args.seed)
        plan: list[Mutant] = []
        for rel in _targets(first, args.modules):
            found = mutants_of((first / rel).read_text(), rel)
            if args.sample is not None and len(found) > args.sample:
                found = sorted(rng.sample(found, args.sample), key=lambda m: m.start)
            plan += found
        if args.survivors is not None:
            again = _survivors_of(args.survivors, first, args.since)
            plan = [m for m in plan if (m.path, m.line, m.description) in again]
        print(f"{len(plan)} mutants in {len({m.path for m in plan})} modules", flush=True)
        import_time = {
            rel: _import_time_tests(covered.get(rel, {}), (first / rel).read_text())
            for rel in {m.path for m in plan}
        }
        free = list(workers)
        killers = Killers()
        outcomes: list[Outcome] = []

        def one(mutant: Mutant) -> Outcome:
            worker = free.pop()
            try:
                tests = import_time[mutant.path].get(mutant.line) or _tests_of_line(
                    covered.get(mutant.path, {}), mutant.line
                )
                return run_mutant(
                    worker, mutant, tests, seconds, args.timeout, args.budget, killers
                )
            finally:
                free.append(worker)

        with ThreadPoolExecutor(args.jobs) as pool:
            for k, outcome in enumerate(pool.map(one, plan), 1):
                outcomes.append(outcome)
                m = outcome.mutant
                print(f"[{k}/{len(plan)}] {outcome.status:9} {m.path}:{m.line} {m.description}",
                      flush=True)  # fmt: skip
        _report(outcomes, first)
        for worker in workers:
            worker.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                [
                    {
                        **vars(o.mutant),
                        "status": o.status,
                        "seconds": round(o.seconds, 2),
                        "killer": o.killer,
                    }
                    for o in outcomes
                ],
                indent=1,
            )
        )
    return 0


def _survivors_of(path: Path, package: Path, since: str | None = None) -> set[tuple[str, int, str]]:
    """``(module, line, description)`` of the mutants an earlier run left alive: its
    ``--json`` file, or its printed log (the ``[k/n] survived path:line what`` lines). With
    ``since`` (the commit that run mutated), each line number is carried to the same line of
    the last commit, unpacked in ``package``; a mutant on a line changed since is dropped."""
    if path.suffix == ".json":
        rows = json.loads(path.read_text())
        found = [
            (r["path"], r["line"], r["description"])
            for r in rows
            if r["status"] in ("survived", "uncovered")
        ]
    else:
        found = [
            (module, int(line), what.strip())
            for module, line, what in re.findall(
                r"^\[\d+/\d+\] (?:survived|uncovered) +(\S+?):(\d+) (.+)$",
                path.read_text(),
                flags=re.MULTILINE,
            )
        ]
    if since is None:
        return set(found)
    moved = {}
    for module in {m for m, _, _ in found}:
        old = subprocess.run(
            ["git", "show", f"{since}:{module}"], cwd=ROOT, capture_output=True, text=True
        ).stdout.splitlines()
        new = (package / module).read_text().splitlines()
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, _ in matcher.get_opcodes():
            if tag == "equal":
                moved.update({(module, i + 1): j1 + i - i1 + 1 for i in range(i1, i2)})
    return {(m, moved[m, line], what) for m, line, what in found if (m, line) in moved}


def _report(outcomes: list[Outcome], package: Path) -> None:
    by_module: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_module[o.mutant.path].append(o)
    print(f"\n{'module':40} {'mutants':>8} {'killed':>7} {'score':>6}")
    killed_all = 0
    for path, items in sorted(by_module.items()):
        killed = sum(o.status in ("killed", "timeout") for o in items)
        killed_all += killed
        print(f"{path:40} {len(items):8} {killed:7} {killed / len(items):6.0%}")
    total = len(outcomes)
    print(f"{'all':40} {total:8} {killed_all:7} {killed_all / max(total, 1):6.0%}")
    survivors = [o for o in outcomes if o.status in ("survived", "uncovered")]
    if survivors:
        print("\nsurvivors:")
        for o in survivors:
            m = o.mutant
            line = (package / m.path).read_text().splitlines()[m.line - 1].strip()
            print(f"  {m.path}:{m.line} [{o.status}] {m.description}:  {line}")


if __name__ == "__main__":
    sys.exit(main())
