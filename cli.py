"""The ``tda-pipe`` command line: a thin layer over :mod:`tda_pipe.commands` and the engine.

Start-up is kept short: a command imports the job it runs when it runs, and help texts that
list what the algorithmic layer offers (filtration kinds, backends) are filled in only for
the command being run (:func:`_fill_help`), so ``tda-pipe --help`` imports no numerics.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
import sys
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from tda_pipe.commands.options import (
    AnalyzeOptions,
    AutoencoderOptions,
    FiltrationOptions,
    GNNOptions,
    JobOptions,
    LocalOptions,
    MapperOptions,
    SingularityOptions,
)
from tda_pipe.errors import InputError
from tda_pipe.pipelines.results import FolderInUse

if TYPE_CHECKING:
    from tda_pipe.pipelines.cache import StageCache

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)
err_console = Console(stderr=True)

# The base class of command-line usage errors: click's ClickException, which newer typer
# releases vendor instead of depending on click; found through a public typer exception.
ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


NoCache = Annotated[bool, typer.Option("--no-cache", help="Recompute every stage; store nothing.")]
Overwrite = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace other tda-pipe results in --out (files tda-pipe did not write are kept).",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar, no table.")]
PointsOrMesh = Annotated[
    Path, typer.Argument(help="Points (.npy .npz .csv .txt) or a mesh.", show_default=False)
]
SetItems = Annotated[
    list[str] | None,
    typer.Option(
        "--set", help="Override a parameter: STAGE.FIELD=VALUE (repeatable).", show_default=False
    ),
]


def _with_options(model: type[JobOptions]) -> Callable[[Callable], Callable]:
    """Give a command one option per field of the options model ``model``.

    The command's keyword-only parameter ``options`` is replaced by the model's fields (flag,
    help text, default, as :func:`~tda_pipe.commands.options.option` declares them); the
    command is called with ``options=model(**those values)``.
    """

    def decorate(func: Callable) -> Callable:
        own = inspect.signature(func, eval_str=True).parameters.values()
        fields = model.model_fields

        @functools.wraps(func)
        def command(**values):
            options = model(**{name: values.pop(name) for name in fields if name in values})
            return func(options=options, **values)

        params = []
        for param in own:
            if param.name != "options":
                params.append(param.replace(kind=param.KEYWORD_ONLY))
                continue
            for name, field in fields.items():
                extra = field.json_schema_extra or {}
                if not extra.get("cli", True):
                    continue
                info = typer.Option(*extra.get("flags", ()), help=field.description)
                kind = extra.get("cli_type", field.annotation)
                if "choices" in extra:
                    kind = typing.Literal[tuple(extra["choices"])]
                params.append(
                    inspect.Parameter(
                        name,
                        param.KEYWORD_ONLY,
                        default=extra.get("cli_default", field.default),
                        annotation=Annotated[kind, info],
                    )
                )
        command.__signature__ = inspect.Signature(params)
        return command

    return decorate


@app.callback()
def tda_pipe() -> None:
    """Topological data analysis: persistence diagrams, features and figures."""


def _print_summary(summary: dict, out_dir: Path) -> None:
    """The summary table; below 76 columns one line per dimension instead (nothing is cut)."""
    console = Console()
    info = summary["input"]
    console.print(f"[bold]{info['path']}[/] ({info['kind']}, shape {tuple(info['shape'])})")
    coefficients = f", over Z/{summary['coeff']}" if summary.get("coeff", 2) != 2 else ""
    console.print(f"{info['filtration']}, backend {summary['backend']}{coefficients}")
    if summary.get("approximation"):
        console.print(summary["approximation"]["statement"], highlight=False)
    scales = ", ".join(f"{s:g}" for s in summary["scales"])
    rows = []
    for name, d in summary["dimensions"].items():
        top = d["most_persistent"][0] if d["most_persistent"] else None
        longest = "-" if top is None else f"{top[0]:.3g}–{_death(top[1])}"
        betti = " ".join(str(v) for v in d["betti"].values())
        total, entropy = f"{d['total_persistence']:.3g}", f"{d['entropy']:.3g}"
        rows.append(
            (name, str(d["n_classes"]), str(d["n_essential"]), longest, total, entropy, betti)
        )
    caption = f"Betti numbers at scales {scales}" if scales else None
    if console.width < 76:
        for name, classes, essential, longest, total, entropy, betti in rows:
            console.print(
                f"[bold]{name}[/]: {classes} classes ({essential} essential), longest "
                f"{longest}, total {total}, entropy {entropy}, Betti {betti}",
                highlight=False,
            )
        if caption:
            console.print(caption)
    else:
        from rich.table import Table

        table = Table(header_style="bold", caption=caption)
        table.add_column("dim", no_wrap=True)
        for col in ("classes", "essential", "longest", "total", "entropy", "Betti"):
            table.add_column(col, justify="right", overflow="fold")  # wrapped, never cut
        for row in rows:
            table.add_row(*row)
        console.print(table)
    console.print(f"results in [bold]{out_dir}/[/]")


def _death(value: float | None) -> str:
    return "inf" if value is None else f"{value:.3g}"


@app.command()
@_with_options(AnalyzeOptions)
def analyze(
    input: Annotated[
        Path,
        typer.Argument(
            help="Points (.npy .npz .csv .txt), a mesh (.ply .off .obj .stl), an image "
            "(.png .jpg), or a distance matrix with --metric precomputed.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder (default: <input stem>_tda/)."),
    ] = None,
    *,
    options: AnalyzeOptions,
    overwrite: Overwrite = False,
    no_cache: NoCache = False,
    quiet: Quiet = False,
) -> None:
    """Persistence diagrams, features, figures, an interactive report.html and a summary of
    one input."""
    from tda_pipe.commands.analyze import analyze as run_analyze

    with _progress(quiet, total=5) as bar:
        result = run_analyze(
            input, out, options, progress=bar.step, cache=_cache(no_cache), overwrite=overwrite
        )
    if not quiet:
        _print_summary(result.summary, result.out_dir)


@app.command()
@_with_options(SingularityOptions)
def singularity(
    input: PointsOrMesh,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder (default: <input stem>_singularity/)."),
    ] = None,
    *,
    options: SingularityOptions,
    overwrite: Overwrite = False,
    no_cache: NoCache = False,
    quiet: Quiet = False,
) -> None:
    """Euclidicity and intrinsic dimension of every point: where the data is singular."""
    from tda_pipe.commands.singularity import run_singularity

    out_dir = out if out is not None else Path(f"{input.stem}_singularity")
    with _progress(quiet, total=2) as bar:
        summary = run_singularity(
            input, out_dir, options, progress=bar.step, cache=_cache(no_cache), overwrite=overwrite
        )
    if quiet:
        return
    from rich.table import Table

    table = Table(header_style="bold", caption=f"results in {out_dir}/")
    for col in ("point", "euclidicity", "max", "peak r", "peak s", "dim"):
        table.add_column(col, justify="right")
    for row in summary["most_singular"][:5]:
        table.add_row(
            str(row["index"]),
            f"{row['euclidicity']:.3g}",
            f"{row['euclidicity_max']:.3g}",
            f"{row['peak_r']:.3g}",
            f"{row['peak_s']:.3g}",
            str(row["intrinsic_dim"]),
        )
    Console().print(table)


@app.command()
@_with_options(LocalOptions)
def local(
    input: Annotated[
        Path,
        typer.Argument(
            help="Points (.npy .npz .csv .txt): the queries, or with no --datastore the set "
            "whose every point is described against the rest.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder (default: <input stem>_local/)."),
    ] = None,
    *,
    options: LocalOptions,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Local topology of every point: the persistent homology of its k nearest neighbours,
    vectorised (Ruppik et al. 2024), one row per point in features.parquet."""
    from tda_pipe.commands.local import run_local

    with _progress(quiet, total=1) as bar:
        bar.step("local topology")
        folder = run_local(input, out, options, overwrite=overwrite)
    if not quiet:
        Console().print(f"results in [bold]{folder}/[/]")


class _Bar:
    """What a command's progress helper yields: one line for the command's own steps."""

    def __init__(self, bar, task) -> None:
        self._bar, self._task = bar, task

    def step(self, label: str) -> None:
        """A pipeline stage (or a job step) named ``label`` starts."""
        self._bar.update(self._task, description=label, advance=0 if label == "starting" else 1)

    def update(self, **fields) -> None:
        """Set the line's ``description``, ``completed``, ``total`` or ``advance`` it."""
        self._bar.update(self._task, **fields)


@contextmanager
def _progress(
    quiet: bool, total: int | None, label: str = "starting", *, transient: bool = True
) -> Iterator[_Bar]:
    """The one progress display of the CLI, on stderr, silenced by ``--quiet`` (and off when
    stderr is not a terminal).

    One line follows the command's steps (:meth:`_Bar.step`, :meth:`_Bar.update`); each
    :mod:`tda_pipe.progress` phase announced inside a long stage gets a line of its own (its
    name, count of total, elapsed time) while it runs.
    """
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from tda_pipe.progress import Event, reporting

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=transient,
        disable=quiet or not err_console.is_terminal,
    ) as bar:
        phases: dict[str, object] = {}

        def show(event: Event) -> None:
            task = phases.get(event.phase)
            if task is None:
                task = phases[event.phase] = bar.add_task(f"  {event.phase}", total=event.total)
            bar.update(task, completed=event.done, total=event.total)
            if event.finished:
                bar.remove_task(phases.pop(event.phase))

        with reporting(show):
            yield _Bar(bar, bar.add_task(label, total=total))


def _cache(no_cache: bool) -> StageCache:
    from tda_pipe.pipelines.cache import StageCache

    return StageCache(enabled=not no_cache)


def _file_name(name: str) -> str:
    """``name`` with every run of characters unfit for a folder name replaced by ``_``."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "pipeline"


@app.command("run")
def run_command(
    spec: Annotated[Path, typer.Argument(help="Pipeline file (.yaml, .yml or .toml).")],
    input: Annotated[
        Path | None, typer.Argument(help="The input file, for ${input} in the pipeline.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder (default: <stem>_<pipeline name>/)."),
    ] = None,
    set_items: SetItems = None,
    overwrite: Overwrite = False,
    no_cache: NoCache = False,
    quiet: Quiet = False,
) -> None:
    """Run the stages of a pipeline file on one input."""
    from tda_pipe.pipelines.runner import run_pipeline
    from tda_pipe.pipelines.spec import load_spec

    pipeline = load_spec(spec, set_items)
    if input is None and pipeline.uses_input:
        raise InputError(f"{spec} reads ${{input}}; give one: tda-pipe run {spec} points.npy")
    target = input if input is not None else spec
    out_dir = out if out is not None else Path(f"{target.stem}_{_file_name(pipeline.name)}")
    with _progress(quiet, total=len(pipeline.input_calls)) as bar:
        result = run_pipeline(
            pipeline,
            target,
            out_dir,
            cache=_cache(no_cache),
            progress=bar.step,
            overwrite=overwrite,
        )
    if quiet:
        return
    report = result.artifacts.get("report")
    if report is not None and "summary.json" in report:
        _print_summary(json.loads(report["summary.json"]), result.out_dir)
    else:
        cached = f", {len(result.cached)} from the cache" if result.cached else ""
        Console().print(f"{pipeline.name}: {len(result.seconds)} stages run{cached}")
        Console().print(f"results in [bold]{result.out_dir}/[/]")


@app.command()
def batch(
    source: Annotated[
        str,
        typer.Argument(help="A folder of inputs, a glob ('shapes/*.npy'), or shapes:per_class=N."),
    ],
    pipeline: Annotated[
        Path | None,
        typer.Option("--pipeline", "-p", help="Pipeline file (default: the analyze pipeline)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Batch folder (default: <source>_batch/)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="Local Dask worker processes (default: one per core); 0: no Dask."),
    ] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a running Dask scheduler (tcp://host:8786).")
    ] = None,
    set_items: SetItems = None,
    overwrite: Overwrite = False,
    no_cache: NoCache = False,
    quiet: Quiet = False,
) -> None:
    """Run a pipeline on every input of a folder, in parallel; failures never stop the batch.

    Exit status 0 when every input is done (or was done before), 1 when some input failed
    (recorded in OUT/failures.jsonl; the others are kept), 2 on a bad pipeline or option.
    """
    from tda_pipe.commands.batch_page import batch_pages
    from tda_pipe.pipelines.batch import run_batch
    from tda_pipe.pipelines.spec import load_spec
    from tda_pipe.tda.validation import check_int

    if workers is not None:
        check_int(workers, "--workers", low=0)
    spec = load_spec(pipeline, set_items)
    out_dir = out if out is not None else Path(f"{Path(source.split(':')[0]).name}_batch")
    counts = {"done": 0, "failed": 0, "skipped": 0}
    with _progress(quiet, None, "starting workers", transient=False) as bar:

        def progress(event: str, name: str) -> None:
            if event == "start":
                bar.update(total=int(name))
                return
            counts[event] += 1
            bar.update(advance=1, description=" · ".join(f"{v} {k}" for k, v in counts.items()))

        try:
            report = run_batch(
                spec,
                source,
                out_dir,
                workers=workers,
                scheduler=scheduler,
                cache=_cache(no_cache),
                progress=progress,
                overwrite=overwrite,
                pages=batch_pages,
            )
        except KeyboardInterrupt:
            err_console.print(
                f"interrupted: {counts['done']} done and {counts['failed']} failed are kept in "
                f"{out_dir}/; run the same command again to finish",
                markup=False,
            )
            raise typer.Exit(130) from None
    if not quiet:
        console = Console()
        console.print(
            f"{len(report.done)} done, {len(report.failed)} failed, "
            f"{len(report.skipped)} skipped in {report.seconds:.1f} s"
        )
        for failure in report.failed[:5]:
            console.print(f"  [red]failed[/] {failure['error']}", markup=True, highlight=False)
        if len(report.failed) > 5:
            console.print(f"  ... {len(report.failed) - 5} more in {out_dir}/failures.jsonl")
        console.print(f"results in [bold]{out_dir}/[/]")
    if report.failed:  # every other input is finished and kept; scripts still see the failure
        raise typer.Exit(1)


@app.command()
def stages() -> None:
    """The registered stages: what they read and write, and their parameters."""
    from tda_pipe.pipelines.stages import registered_stages

    console = Console(highlight=False)
    for name, stage in registered_stages().items():
        reads = ", ".join([*stage.inputs, *(f"{n} (optional)" for n in stage.optional_inputs)])
        scope = ", once per batch" if stage.scope == "batch" else ""
        console.print(
            f"[bold]{name}[/]  ({reads or 'nothing'} → {', '.join(stage.outputs)}{scope})"
        )
        console.print(f"  {stage.description}")
        for field, info in stage.params.model_fields.items():
            default = " (required)" if info.is_required() else f" = {info.get_default()!r}"
            about = f"  {info.description}" if info.description else ""
            console.print(
                f"    {field}: {_type_name(info.annotation)}{default}{about}", markup=False
            )


def _type_name(annotation: object) -> str:
    """``int``, ``float or null``, ``auto|rips|alpha``, ``list[float]``: a type for people."""
    args = typing.get_args(annotation)
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "|".join(str(a) for a in args)
    if args and type(None) in args:
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + " or null"
    if origin is list:
        return f"list[{_type_name(args[0])}]" if args else "list"
    return getattr(annotation, "__name__", str(annotation))


cache_app = typer.Typer(no_args_is_help=True, help="The stage cache.")
app.add_typer(cache_app, name="cache")


@cache_app.command("clear")
def cache_clear() -> None:
    """Remove every cached stage result."""
    from tda_pipe.pipelines.cache import StageCache
    from tda_pipe.tda.validation import format_bytes

    cache = StageCache()
    entries, size = cache.clear()
    Console().print(f"removed {entries} entries ({format_bytes(size)}) from {cache.root}")


@cache_app.command("info")
def cache_info() -> None:
    """Where the cache is and how much it holds."""
    from tda_pipe.pipelines.cache import StageCache
    from tda_pipe.tda.validation import format_bytes

    cache = StageCache()
    entries, size = cache.size()
    Console().print(f"{cache.root}: {entries} entries, {format_bytes(size)}")


datasets_app = typer.Typer(no_args_is_help=True, help="Generated datasets.")
app.add_typer(datasets_app, name="datasets")


@datasets_app.command("make")
def datasets_make(
    name: Annotated[str, typer.Argument(help="The dataset: shapes.")],
    out: Annotated[Path, typer.Argument(help="The folder to write (must be new or empty).")],
    per_class: Annotated[int, typer.Option("--per-class", help="Clouds per class.")] = 50,
    points: Annotated[int, typer.Option(help="Points per cloud.")] = 1000,
    noise: Annotated[float, typer.Option(help="Gaussian noise (std per coordinate).")] = 0.0,
    outliers: Annotated[float, typer.Option(help="Fraction of points made outliers.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the collection.")] = 0,
) -> None:
    """Write a labelled dataset: .npy clouds and labels.csv (file,label)."""
    from tda_pipe.datasets.collection import SHAPE_CLASSES, shape_collection, write_collection

    if name != "shapes":
        raise InputError(f"unknown dataset {name!r}; choose shapes")
    collection = shape_collection(per_class, points, noise=noise, outliers=outliers, seed=seed)
    write_collection(collection, out)
    Console().print(
        f"{len(collection)} clouds of {points} points, {len(SHAPE_CLASSES)} classes "
        f"({', '.join(collection.classes)}) in [bold]{out}/[/]"
    )


train_app = typer.Typer(no_args_is_help=True, help="Train topological models.")
app.add_typer(train_app, name="train")


@train_app.command("autoencoder")
@_with_options(AutoencoderOptions)
def train_autoencoder_command(
    data: Annotated[
        str,
        typer.Option(
            "--data",
            "-d",
            help="spheres, digits, or a point cloud file (.npy .npz .csv .txt); "
            "labels from an .npz's 'labels' or 'y'.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder (default: <data stem>_ae/)."),
    ] = None,
    *,
    options: AutoencoderOptions,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Train a topological autoencoder (Moor et al., ICML 2020); write model, latent, measures."""
    from tda_pipe.commands.train_autoencoder import train_autoencoder_job

    options.check()  # bad options fail before the progress bar is drawn
    out_dir = out if out is not None else Path(f"{Path(data).stem}_ae")
    with _progress(quiet, options.epochs, "training") as bar:

        def progress(stats) -> None:
            text = f"epoch: recon {stats.recon:.4g}  topo {stats.topo:.4g}"
            bar.update(completed=stats.epoch, description=text)

        result = train_autoencoder_job(
            data, out_dir, options, progress=progress, overwrite=overwrite
        )
    if not quiet:
        from rich.table import Table

        table = Table(header_style="bold", caption=f"results in {result.out_dir}/")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for name, value in result.metrics.items():
            table.add_row(name, f"{value:.4g}")
        Console().print(table)


@app.command()
@_with_options(MapperOptions)
def mapper(
    input: PointsOrMesh,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder (default: <input stem>_mapper/)."),
    ] = None,
    *,
    options: MapperOptions,
    overwrite: Overwrite = False,
    no_cache: NoCache = False,
    quiet: Quiet = False,
) -> None:
    """Mapper graph attributed with persistent homology: HTML, PNG, GraphML, JSON, summary."""
    from tda_pipe.commands.mapper import run_mapper

    with _progress(quiet, total=2) as bar:
        result = run_mapper(
            input, out, options, progress=bar.step, cache=_cache(no_cache), overwrite=overwrite
        )
    if not quiet:
        g = result.summary["graph"]
        Console().print(
            f"{g['nodes']} nodes, {g['edges']} edges, {g['components']} component(s), "
            f"{g['independent_cycles']} independent cycle(s), {g['branch_points']} branch "
            f"point(s)\nresults in [bold]{result.out_dir}/[/]"
        )


@train_app.command("mapper-gnn")
@_with_options(GNNOptions)
def train_mapper_gnn_command(
    data: Annotated[
        str,
        typer.Argument(
            help="A folder with labels.csv (tda-pipe datasets make), or 'shapes'.",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder.")] = Path("mapper_gnn"),
    *,
    options: GNNOptions,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Train the Mapper GNN on labelled clouds; cross-validate plain vs attributed graphs."""
    import torch

    from tda_pipe.commands.mapper_gnn import train_mapper_gnn_job

    torch.set_num_threads(1)  # tiny graphs: 10x faster than the default thread pool
    with _progress(quiet, None, "training") as bar:
        result = train_mapper_gnn_job(data, out, options, progress=bar.step, overwrite=overwrite)
    if not quiet:
        for name, score in result.summary["cross_validation"].items():
            Console().print(f"{name:<12} {options.folds}-fold accuracy {score['mean']:.3f}")
        Console().print(f"model in [bold]{result.out_dir}/model.pt[/]")


@train_app.command("filtration")
@_with_options(FiltrationOptions)
def train_filtration_command(
    data: Annotated[
        Path,
        typer.Option(
            "--data",
            "-d",
            help="A shape collection folder (from `tda-pipe datasets make shapes`).",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results folder.")] = Path("runs/filt"),
    *,
    options: FiltrationOptions,
    overwrite: Overwrite = False,
    quiet: Quiet = False,
) -> None:
    """Train a point-cloud classifier through a learned filtration (Nishikawa et al. 2023)."""
    from tda_pipe.commands.train_filtration import train_filtration_job

    options.check()  # bad options fail before the progress bar is drawn
    with _progress(quiet, options.epochs, "training") as bar:

        def progress(stats) -> None:
            text = f"loss {stats.train_loss:.3f}, validation accuracy {stats.val_acc:.2f}"
            bar.update(advance=1, description=text)

        result = train_filtration_job(data, out, options, progress=progress, overwrite=overwrite)
    if not quiet:
        final = result.metrics
        Console().print(
            f"{options.mode} filtration: train accuracy {final['train_acc']:.3f}, "
            f"test accuracy {final['test_acc']:.3f}; results in [bold]{result.out_dir}/[/]"
        )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tda-pipe`` script: one-line errors and exit status 2 on bad input."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        command = typer.main.get_command(app)
        _fill_help(command, argv)
        rc = command.main(args=argv, prog_name="tda-pipe", standalone_mode=False)
    except InputError as exc:
        text = exc.worded("pass --overwrite") if isinstance(exc, FolderInUse) else str(exc)
        err_console.print(f"error: {text}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except ClickException as exc:
        if not exc.format_message():  # bare `tda-pipe`: the help was printed
            return 0
        err_console.print(
            f"error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True
        )
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        return 130
    except OSError as exc:  # a full disk, a read-only or vanished folder: what and where
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(
            f"error: {where}{exc.strerror or exc}", markup=False, highlight=False, soft_wrap=True
        )
        return 2
    return rc if isinstance(rc, int) else 0


_HELP_FIELDS = ("filtration_kinds", "backends")


def _help_values() -> dict[str, str]:
    """What help texts list from the algorithmic layer (imported only when needed)."""
    from tda_pipe.tda.filtrations import KINDS
    from tda_pipe.tda.persistence import ALL_BACKENDS

    return {"filtration_kinds": ", ".join(KINDS), "backends": ", ".join(ALL_BACKENDS)}


def _fill_help(group, argv: list[str]) -> None:
    """Fill ``{filtration_kinds}``-style fields in the help of the command ``argv`` runs."""
    command = group
    for word in argv:
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            break
        command = sub
    fields = [f"{{{name}}}" for name in _HELP_FIELDS]
    templated = [
        p for p in getattr(command, "params", []) if any(f in (p.help or "") for f in fields)
    ]
    if templated:
        values = _help_values()
        for param in templated:
            for name, value in values.items():
                param.help = param.help.replace(f"{{{name}}}", value)


def run() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())


if __name__ == "__main__":
    run()
