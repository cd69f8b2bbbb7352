"""The ``tda-pipe`` command line: a thin layer over :mod:`tda_pipe.pipelines`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tda_pipe.errors import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False)
err_console = Console(stderr=True)

# The base class of command-line usage errors: click's ClickException, which newer typer
# releases vendor instead of depending on click; found through a public typer exception.
ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


@app.callback()
def tda_pipe() -> None:
    """Topological data analysis: persistence diagrams, features and figures."""


def _parse_scales(text: str | None) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--scales takes comma-separated numbers, got {text!r}") from None


def _print_summary(summary: dict, out_dir: Path) -> None:
    console = Console()
    info = summary["input"]
    console.print(f"[bold]{info['path']}[/] ({info['kind']}, shape {tuple(info['shape'])})")
    console.print(f"{info['filtration']}, backend {summary['backend']}")
    scales = ", ".join(f"{s:g}" for s in summary["scales"])
    table = Table(
        header_style="bold", caption=f"Betti numbers at scales {scales}" if scales else None
    )
    table.add_column("dim")
    for col in ("classes", "essential", "longest", "total", "entropy", "Betti"):
        table.add_column(col, justify="right", no_wrap=True)
    for name, d in summary["dimensions"].items():
        top = d["most_persistent"][0] if d["most_persistent"] else None
        if top is None:
            longest = "-"
        else:
            longest = f"{top[0]:.3g}–{'inf' if top[1] is None else f'{top[1]:.3g}'}"
        table.add_row(
            name,
            str(d["n_classes"]),
            str(d["n_essential"]),
            longest,
            f"{d['total_persistence']:.3g}",
            f"{d['entropy']:.3g}",
            " ".join(str(v) for v in d["betti"].values()),
        )
    console.print(table)
    console.print(f"results in [bold]{out_dir}/[/]")


@app.command()
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
        typer.Option("--out", "-o", help="Results folder [default: <input stem>_tda/]."),
    ] = None,
    max_dim: Annotated[int, typer.Option("--max-dim", help="Highest homology dimension.")] = 1,
    filtration: Annotated[
        str,
        typer.Option(
            "--filtration",
            "-f",
            help="auto, rips, sparse-rips, alpha, cubical, weighted-rips, dtm.",
        ),
    ] = "auto",
    metric: Annotated[
        str, typer.Option(help="Any scikit-learn metric, or 'precomputed' for a distance matrix.")
    ] = "euclidean",
    threshold: Annotated[
        float | None, typer.Option(help="Rips: only edges up to this length (saves memory).")
    ] = None,
    sparse: Annotated[
        float | None, typer.Option(help="Sparse Rips with this approximation epsilon.")
    ] = None,
    backend: Annotated[str, typer.Option(help="auto, giotto-ph, gudhi, ripser or mst.")] = "auto",
    sample: Annotated[
        int | None,
        typer.Option(help="Meshes: N points sampled on the surface; clouds: N random points."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for --sample.")] = 0,
    scales: Annotated[
        str | None,
        typer.Option(help="Comma-separated scales for Betti numbers [default: death quantiles]."),
    ] = None,
    dtm_k: Annotated[int, typer.Option("--dtm-k", help="Neighbours for the DTM filtration.")] = 10,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar, no table.")
    ] = False,
) -> None:
    """Persistence diagrams, features, figures and a summary of one input."""
    from tda_pipe.pipelines.analyze import STEPS, AnalyzeOptions
    from tda_pipe.pipelines.analyze import analyze as run_analyze

    options = AnalyzeOptions(
        max_dim=max_dim,
        filtration=filtration,
        metric=metric,
        threshold=threshold,
        sparse=sparse,
        backend=backend,
        sample=sample,
        seed=seed,
        scales=_parse_scales(scales),
        dtm_k=dtm_k,
    )
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=quiet or not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("starting", total=len(STEPS))

        def progress(step: str) -> None:
            bar.update(task, description=step, completed=STEPS.index(step))

        result = run_analyze(input, out, options, progress=progress)
    if not quiet:
        _print_summary(result.summary, result.out_dir)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``tda-pipe`` script: one-line errors and exit status 2 on bad input."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        rc = app(args=argv, standalone_mode=False)
    except InputError as exc:
        err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return 2
    except ClickException as exc:
        if not exc.format_message():  # bare `tda-pipe`: the help was printed
            return 0
        err_console.print(
            f"error: {exc.format_message()}", markup=False, highlight=False, soft_wrap=True
        )
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("interrupted", markup=False)
        return 130
    return rc if isinstance(rc, int) else 0


def run() -> None:
    """Console-script wrapper: exit with :func:`main`'s status."""
    sys.exit(main())


if __name__ == "__main__":
    run()
