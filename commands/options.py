"""The options of the commands, each declared once: one pydantic model per job.

A field of a :class:`JobOptions` model is a command-line option: its name gives the flag
(``max_dim`` is ``--max-dim``) unless :func:`option` names others, its description is the
help text and its default the command's. :meth:`JobOptions.check` validates the values with
the shared checks of :mod:`tda_pipe.tda.validation` (:func:`~tda_pipe.tda.validation.check_int`,
:func:`~tda_pipe.tda.validation.check_real`, :func:`~tda_pipe.tda.validation.check_choice`),
in messages that name the flag; values of the wrong type are refused as the model is built,
as :class:`~tda_pipe.errors.InputError` naming the flag too. The CLI builds each command's
options from its model; the Python API takes the same models.

This module imports only pydantic, so the CLI can read the models when it starts.

Examples
--------
>>> AnalyzeOptions(max_dim=2).max_dim
2
>>> AnalyzeOptions(cycles=-1).check()
Traceback (most recent call last):
...
tda_pipe.errors.InputError: --cycles must be an integer >= 0, not -1
>>> AnalyzeOptions(scales="0.5,1").scales
[0.5, 1.0]
"""

from __future__ import annotations

import json
import typing
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from tda_pipe.errors import InputError

__all__ = [
    "AnalyzeOptions",
    "AutoencoderOptions",
    "FiltrationOptions",
    "GNNOptions",
    "JobOptions",
    "LocalOptions",
    "MapperOptions",
    "SingularityOptions",
    "flag_of",
    "option",
    "stage_params",
]


def option(
    default: Any,
    help: str,
    *flags: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    choices: tuple[str, ...] | None = None,
    cli_type: Any = None,
    cli_default: Any = None,
    cli: bool = True,
) -> Any:
    """A field of a :class:`JobOptions` model: default, help text, flags and checks.

    ``flags`` replace the flag made from the field's name (``"--min-gap", "--eps"``; short
    forms such as ``"-k"``). ``low``, ``high``, ``low_open`` and ``high_open`` bound an integer
    (:func:`~tda_pipe.tda.validation.check_int`) or a number
    (:func:`~tda_pipe.tda.validation.check_real`); ``choices`` lists the words a string may
    be. ``cli_type`` is the type the command line reads when it is not the field's (a
    comma-separated ``str`` the model parses); ``cli_default`` the command line's default
    where it is not the Python API's; ``cli=False`` keeps the field off the command line.
    """
    extra: dict[str, Any] = {"flags": list(flags)}
    bounds = {"low": low, "high": high}
    if any(v is not None for v in bounds.values()):
        extra["bounds"] = {**bounds, "low_open": low_open, "high_open": high_open}
    if choices is not None:
        extra["choices"] = list(choices)
    if cli_type is not None:
        extra["cli_type"] = cli_type
    if cli_default is not None:
        extra["cli_default"] = cli_default
    if not cli:
        extra["cli"] = False
    return Field(default, description=help, json_schema_extra=extra)


def flag_of(model: type[BaseModel], name: str) -> str:
    """The flag naming the field ``name`` of ``model`` in messages: ``--max-dim`` for
    ``max_dim``, its first long flag if :func:`option` names flags, else its short one."""
    flags = (model.model_fields[name].json_schema_extra or {}).get("flags", [])
    long = [f for f in flags if f.startswith("--")]
    return long[0] if long else flags[0] if flags else "--" + name.replace("_", "-")


def stage_params(model: type[JobOptions], name: str, exclude: tuple[str, ...] = ()) -> type:
    """A stage parameter model (:class:`~tda_pipe.pipelines.stages.StageParams`) named
    ``name`` with the fields of the options ``model`` (types, defaults, descriptions and
    parsing), less ``exclude``."""
    from pydantic import create_model

    from tda_pipe.pipelines.stages import StageParams

    fields = {k: (f.annotation, f) for k, f in model.model_fields.items() if k not in exclude}
    return create_model(name, __base__=StageParams, **fields)


class JobOptions(BaseModel):
    """Base of the options models: unknown fields are errors; :meth:`check` validates."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _input_error(type(self), exc) from None

    def check(self) -> None:
        """Reject option values out of range or unknown, before any work is done."""
        from tda_pipe.tda.validation import check_choice, check_int, check_real

        for name, field in type(self).model_fields.items():
            extra = field.json_schema_extra or {}
            value = getattr(self, name)
            if value is None:
                continue
            flag = flag_of(type(self), name)
            if "choices" in extra:
                check_choice(value, flag, extra["choices"])
            if "bounds" in extra:
                integer = _base_type(field.annotation) is int
                b = extra["bounds"]
                if integer:
                    check_int(value, flag, low=b["low"], high=b["high"])
                else:
                    check_real(value, flag, **b)


def _base_type(annotation: Any) -> Any:
    """``int`` for ``int | None``: the annotation without ``None``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    return args[0] if len(args) == 1 else annotation


def _input_error(model: type[BaseModel], exc: ValidationError) -> InputError:
    """The first error of ``exc`` in one line naming the flag (a check's own message as is)."""
    error = exc.errors()[0]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, InputError):
        return cause
    name = str(error["loc"][0]) if error["loc"] else ""
    where = flag_of(model, name) if name in model.model_fields else name or "options"
    if error["type"] == "extra_forbidden":
        return InputError(f"unknown option {name!r}; known: {', '.join(model.model_fields)}")
    return InputError(f"{where}: {' '.join(error['msg'].split())}, got {error.get('input')!r}")


def _flag(info: Any) -> str:
    return "--" + info.field_name.replace("_", "-")


def _range_of(value: Any, info: Any) -> Any:
    """``"0.1,0.3"`` (or one number) as ``(0.1, 0.3)``; other values as they are."""
    if not isinstance(value, str):
        return value
    flag = _flag(info)
    try:
        values = [float(v) for v in value.split(",")]
    except ValueError:
        values = []
    if len(values) not in (1, 2):
        raise InputError(f"{flag} takes LOW,HIGH, got {value!r}; e.g. {flag} 0.1,0.3")
    return (values[0], values[-1])


def _numbers(value: Any, info: Any) -> Any:
    """``"0.1, 0.3"`` as ``[0.1, 0.3]``; other values as they are."""
    if not isinstance(value, str):
        return value
    try:
        return [float(s) for s in value.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"{_flag(info)} takes comma-separated numbers, got {value!r}") from None


Range = Annotated[tuple[float, float] | None, BeforeValidator(_range_of)]
"""``(low, high)``, or ``"LOW,HIGH"`` (one number: both)."""
Numbers = Annotated[list[float] | None, BeforeValidator(_numbers)]
"""A list of numbers, or them comma-separated in a string."""


def _words(value: Any, info: Any) -> Any:
    """``"a, b"`` as ``("a", "b")``; other values as they are."""
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    return value


Words = Annotated[tuple[str, ...], BeforeValidator(_words)]
"""A tuple of words, or them comma-separated in a string."""


class AnalyzeOptions(JobOptions):
    """Options of :func:`~tda_pipe.commands.analyze.analyze`, as on the command line."""

    max_dim: int = option(1, "Highest homology dimension.", low=0)
    filtration: str = option("auto", "{filtration_kinds}.", "--filtration", "-f")
    metric: str = option(
        "euclidean", "Any scikit-learn metric, or 'precomputed' for a distance matrix."
    )
    threshold: float | None = option(None, "Rips: only edges up to this length (saves memory).")
    sparse: float | None = option(None, "Sparse Rips with this approximation epsilon.")
    backend: str = option("auto", "{backends}.")
    coeff: int = option(2, "A prime p: homology over Z/p.")
    sample: int | None = option(
        None, "Meshes: N points sampled on the surface; clouds: N random points."
    )
    downsample: int | None = option(
        None, "Images: replace each K x K block of pixels by its mean (a smaller cubical complex)."
    )
    seed: int = option(0, "Seed for --sample.")
    scales: Numbers = option(
        None,
        "Comma-separated Betti scales (default: 10-90% of the largest death).",
        cli_type=str | None,
    )
    dtm_k: int = option(10, "Neighbours for the DTM filtration.")
    landmarks: int | None = option(
        None,
        "Rips on N maxmin landmarks, within twice their cover radius of Rips on all the points "
        "(auto uses 1000 for large clouds in R^4 and above); more is slower and closer.",
    )
    cycles: int = option(
        0,
        "Representative cycles of the K most persistent classes a dimension: cycles.json, "
        "cycles.png, and drawn in report.html (Rips, alpha, cubical).",
        low=0,
    )

    def check(self) -> None:
        """Also: a known filtration kind, backend and metric, a prime coefficient."""
        from tda_pipe.tda.filtrations import KINDS
        from tda_pipe.tda.persistence import ALL_BACKENDS, check_coeff
        from tda_pipe.tda.validation import check_choice, check_metric

        super().check()
        check_choice(self.filtration, "--filtration", KINDS)
        check_choice(self.backend, "--backend", ALL_BACKENDS)
        check_coeff(self.coeff, "--coeff")
        check_metric(self.metric)

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


class SingularityOptions(JobOptions):
    """Options of :func:`~tda_pipe.commands.singularity.run_singularity`, as on the command
    line (see :func:`~tda_pipe.tda.singularity.euclidicity`)."""

    dim: int = option(2, "Assumed intrinsic dimension.", "--dim", "-d", low=1)
    r: Range = option(
        None, "Inner radii LOW,HIGH (default: from k-NN distances).", "--r", cli_type=str | None
    )
    s: Range = option(
        None, "Outer radii LOW,HIGH (default: from k-NN distances).", "--s", cli_type=str | None
    )
    steps: int = option(3, "Grid values per radius range.", low=1)
    k: int = option(100, "Neighbours setting the default radii.", "-k", low=1)
    max_points: int = option(80, "Larger annuli are thinned to this many points.", low=1)
    min_points: int = option(10, "Annuli with fewer points are not scored.", low=2)
    n_jobs: int = option(1, "Worker processes (-1: all cores).", "--n-jobs", "-j", cli_default=-1)
    seed: int = option(0, "Seed for model samples, thinning and --sample.")
    top: int = option(10, "Most singular points listed in summary.json.", low=1)
    sample: int | None = option(None, "Use N random points (or mesh samples).")

    def check(self) -> None:
        """Also: ``n_jobs`` is not 0."""
        super().check()
        if self.n_jobs == 0:
            raise InputError("--n-jobs must be >= 1, or -1 for all cores; got 0")


class MapperOptions(JobOptions):
    """Options of :func:`~tda_pipe.commands.mapper.run_mapper`, as on the command line.

    ``lens`` is a lens name (``pca``, ``pca:K``, ``coordinate:K``, ``eccentricity``,
    ``density``, ``distance:I``) or the path of a ``.npy`` file of lens values, one (or one
    row) per point.
    """

    lens: str = option(
        "pca",
        "pca, pca:K, coordinate:K, eccentricity, density, distance:I, or a .npy file of lens "
        "values.",
    )
    intervals: int = option(10, "Intervals per lens dimension.", low=1)
    overlap: float = option(
        0.3, "Overlap of neighbouring intervals, in [0, 1).", low=0, high=1, high_open=True
    )
    cover: str = option("uniform", "uniform or balanced (equal counts).")
    clusterer: str = option("single-linkage", "single-linkage or dbscan.")
    min_gap: float | None = option(
        None,
        "Single linkage: split clusters at gaps above this; dbscan: its eps (default: from the "
        "neighbour distances).",
        "--min-gap",
        "--eps",
        low=0,
        low_open=True,
    )
    attributes: bool = option(True, "Persistent homology of every node and edge.")
    max_points: int = option(
        200, "Nodes larger than this are subsampled for their homology.", low=3, cli=False
    )
    color: str = option("lens", "Node attribute colouring the views.")
    sample: int | None = option(None, "Use N random points.")
    seed: int = option(0, "Seed for --sample, subsampling and layout.")

    def check(self) -> None:
        """Also: a lens the Mapper knows (or a ``.npy`` file), a known cover and clusterer."""
        from tda_pipe.tda.mapper import CLUSTERERS, COVER_KINDS, parse_lens
        from tda_pipe.tda.validation import check_choice

        if not self.lens.lower().endswith(".npy"):
            parse_lens(self.lens)
        super().check()
        check_choice(self.cover, "--cover", COVER_KINDS)
        check_choice(self.clusterer, "--clusterer", CLUSTERERS)


class FiltrationOptions(JobOptions):
    """Options of :func:`~tda_pipe.commands.train_filtration.train_filtration_job`, as on the
    command line; :meth:`check` is
    :func:`~tda_pipe.models.topological_classifier.check_training`'s (its messages name the
    training function's arguments).

    ``mode`` is ``"learned"`` (the paper's method), ``"rips"``, ``"dtm"`` or ``"none"`` (no
    topology); ``n_points`` points are kept per cloud; ``test_fraction`` of each class is held
    out; ``show`` clouds (one per class first) are drawn in ``weights.png``.

    Examples
    --------
    >>> FiltrationOptions(mode="alpha").check()
    Traceback (most recent call last):
    ...
    tda_pipe.errors.InputError: unknown mode 'alpha'; choose learned, rips, dtm, none
    """

    mode: str = option("learned", "Filtration: learned, rips, dtm, or none (no topology).")
    epochs: int = option(50, "Passes over the training clouds.")
    lr: float = option(5e-3, "Adam learning rate.")
    batch_size: int = option(16, "Clouds per step.")
    n_points: int = option(128, "Points kept per cloud (random subsample).", "--points")
    test_fraction: float = option(0.3, "Share of each class held out.")
    val_fraction: float = option(
        0.2,
        "Share of the training clouds of each class held out to choose the epoch, in (0, 1).",
    )
    filtration_epochs: int = option(
        10,
        "Last epochs in which a learned filtration is trained; before them it stays at its start.",
    )
    start: str = option(
        "dtm",
        "Where a learned filtration starts: a correction of the DTM weights, or constant "
        "weights (the paper's).",
        choices=("dtm", "rips"),
    )
    features: str = option(
        "profile",
        "What the filtration network reads per point: its distance profile, or also its local "
        "geometry (local PCA, centroid offset and density at three scales).",
        choices=("profile", "geometry"),
    )
    seed: int = option(0, "Seed of the subsample, split and weights.")
    k: int = option(16, "Neighbours in the distance profiles of the filtration network.", cli=False)
    hidden: int = option(32, "Width of every hidden layer.", cli=False)
    grid: int = option(4, "grid x grid Gaussians per homology dimension (PersLay).", cli=False)
    dtm_k: int = option(10, "Neighbours of the DTM weights, the point itself included.", cli=False)
    show: int = option(4, "Clouds drawn in weights.png.", cli=False)

    def check(self) -> None:
        """Reject option values out of range before any work is done."""
        from tda_pipe.models.topological_classifier import check_training
        from tda_pipe.tda.validation import check_int

        super().check()
        check_training(**self.model_dump(exclude={"seed", "show"}))
        check_int(self.seed, "seed", low=0)
        check_int(self.show, "show", low=0)


class AutoencoderOptions(JobOptions):
    """Options of :func:`~tda_pipe.commands.train_autoencoder.train_autoencoder_job`, as on
    the command line; :meth:`check` names the training function's arguments, as
    :func:`~tda_pipe.models.autoencoder.check_training` does.

    ``n_points`` trains on a seeded random sample of that many points; the measures are
    computed on a seeded sample of at most ``eval_points`` of the training points (they hold
    two ``n x n`` matrices), with ``k`` neighbours for the rank-based ones.
    """

    latent_dim: int = option(2, "Latent dimension.")
    lam: float = option(1.0, "Weight of the topological loss (0: plain AE).")
    epochs: int = option(100, "Passes over the data.")
    batch_size: int = option(64, "Points per batch.")
    lr: float = option(1e-3, "Adam learning rate.")
    seed: int = option(0, "Seed of weights, shuffling and samples.")
    device: str = option("cpu", "cpu, cuda or cuda:N.")
    n_points: int | None = option(None, "Train on N randomly drawn points.")
    eval_points: int = option(2000, "Measure the embedding on at most N points.")
    k: int = option(10, "Neighbours of the rank-based measures.", "-k")

    def check(self) -> None:
        """Reject option values out of range before any work is done."""
        from tda_pipe.models.autoencoder import check_training, resolve_device
        from tda_pipe.tda.validation import check_int

        super().check()
        check_training(
            latent_dim=self.latent_dim,
            lam=self.lam,
            epochs=self.epochs,
            batch_size=self.batch_size,
            lr=self.lr,
        )
        resolve_device(self.device)
        if self.n_points is not None:
            check_int(self.n_points, "n_points", low=2)
        check_int(self.eval_points, "eval_points", low=3)
        check_int(self.k, "k", low=1)


class GNNOptions(JobOptions):
    """Options of :func:`~tda_pipe.commands.mapper_gnn.train_mapper_gnn_job`, as on the
    command line.

    The Mapper graphs use ``lens``, ``intervals`` and ``overlap`` (a rotation-invariant lens
    such as ``eccentricity`` suits randomly placed shapes); ``folds`` > 1 also reports the
    cross-validated accuracy of plain and attributed graphs before the final fit on all data.
    """

    lens: str = option("eccentricity", "Lens name (eccentricity is rotation invariant).")
    intervals: int = option(8, "Intervals of the cover.")
    overlap: float = option(0.4, "Overlap of the cover.")
    features: str = option("topological", "topological or plain node features.")
    epochs: int = option(150, "Training epochs.", low=1)
    hidden: int = option(32, "Hidden width.", low=1)
    lr: float = option(0.01, "Adam learning rate.", low=0, low_open=True)
    folds: int = option(5, "Cross-validation folds (0: none).", low=0)
    per_class: int = option(20, "Clouds a class for 'shapes'.", low=1)
    seed: int = option(0, "Seed.")

    def check(self) -> None:
        """Also: a Mapper cover and lens name as :class:`MapperOptions` checks them, known
        node features, and no single fold."""
        from tda_pipe.models.mapper_gnn import FEATURES
        from tda_pipe.tda.validation import check_choice

        MapperOptions(lens=self.lens, intervals=self.intervals, overlap=self.overlap).check()
        if self.lens.lower().endswith(".npy"):
            raise InputError("--lens for a collection must be a lens name, not a .npy file")
        check_choice(self.features, "--features", FEATURES)
        super().check()
        if self.folds == 1:
            raise InputError("--folds must be 0 (no cross-validation) or >= 2, got 1")


#: The features :class:`~tda_pipe.tda.local.LocalTopology` computes by default (kept here as
#: words so that the CLI reads them without importing it; a test checks they agree).
LOCAL_DEFAULT_FEATURES = (
    "wasserstein_norm",
    "image",
    "codensity",
    "total_persistence",
    "entropy",
    "longest",
)


class LocalOptions(JobOptions):
    """Options of :func:`~tda_pipe.commands.local.run_local`, as on the command line (see
    :class:`~tda_pipe.tda.local.LocalTopology`)."""

    datastore: str | None = option(
        None, "The datastore the input's points are described against (default: the input "
        "itself, every point against the rest)."
    )  # fmt: skip
    k: int = option(64, "Neighbours in each point's neighbourhood.", "--k", "-k", low=1)
    radius: float | None = option(
        None, "Neighbours within this distance only (of the k nearest).", low=0, low_open=True
    )
    max_dim: int = option(1, "Highest homology dimension of a neighbourhood.", low=0, high=2)
    features: Words = option(
        LOCAL_DEFAULT_FEATURES,
        "Comma-separated features: wasserstein_norm, image, codensity, total_persistence, "
        "entropy, longest, local_dimension, euclidicity.",
        cli_type=str,
        cli_default=",".join(LOCAL_DEFAULT_FEATURES),
    )
    normalize: bool = option(False, "Scale each neighbourhood to unit codensity first.")
    dim: int = option(2, "Model dimension of local_dimension and euclidicity.", low=1)
    fit_sample: int = option(1000, "Datastore points that set the image grid.", low=1)
    colour_by: str = option("codensity", "Feature colouring the points in local.png.")
    n_jobs: int = option(
        1, "Threads for the neighbourhood diagrams (on each worker).", "--n-jobs", "-j", low=1
    )
    seed: int = option(0, "Seed of the fit sample.")
    workers: int = option(
        0, "Dask worker processes the queries are spread over, in chunks; 0: no Dask.", low=0
    )
    scheduler: str | None = option(
        None, "Address of a running Dask scheduler (tcp://host:8786) to spread them over."
    )
    chunk_size: int = option(8192, "Queries per Dask task.", low=1)
    shared_dir: str | None = option(
        None, "Folder for the datastore file the workers memory-map (default: the system's "
        "temporary folder; with --scheduler, one every worker sees)."
    )  # fmt: skip

    def transformer(self):
        """The :class:`~tda_pipe.tda.local.LocalTopology` these options describe."""
        from tda_pipe.tda.local import LocalTopology

        return LocalTopology(
            k=self.k,
            radius=self.radius,
            max_dim=self.max_dim,
            features=tuple(self.features),
            normalize=self.normalize,
            dim=self.dim,
            fit_sample=self.fit_sample,
            n_jobs=self.n_jobs,
            seed=self.seed,
        )

    def check(self) -> None:
        """Also LocalTopology's own checks (feature names, ...)."""
        super().check()
        self.transformer().check_params()
