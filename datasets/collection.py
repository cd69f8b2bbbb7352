"""A labelled collection of 3-D shapes, generated, for batch runs and shape classification.

Each shape is a point cloud sampled uniformly on a surface — trimesh primitives (sphere,
torus, cylinder, cone, box, capsule) and an implicit genus-2 surface — then randomly rotated,
scaled and translated, with Gaussian noise and a fraction of uniform outliers. Nothing is
downloaded: the same seed gives the same collection on every machine.

On disk (:func:`write_collection`, ``tda-pipe datasets make shapes OUT/``) a collection is a
folder of ``<class>_<index>.npy`` files and a ``labels.csv`` with columns ``file,label``;
:func:`read_collection` reads it back.
"""

from __future__ import annotations

import csv
import functools
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from tda_pipe.errors import InputError

__all__ = [
    "SHAPE_CLASSES",
    "ShapeCollection",
    "genus2_surface",
    "read_collection",
    "shape_collection",
    "write_collection",
]

LABELS_FILE = "labels.csv"


def _mesh_sampler(make: Callable) -> Callable:
    """Samples on the mesh ``make(trimesh)``, built (and trimesh imported: ~1 s) on first use."""

    @functools.cache
    def mesh():
        import trimesh

        return make(trimesh)

    def sample(n: int, rng: np.random.Generator) -> np.ndarray:
        import trimesh

        points, _ = trimesh.sample.sample_surface(mesh(), n, seed=rng)
        return np.asarray(points, float)

    return sample


def _genus2(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value and gradient of f = ((x^2 + y^2)^2 - x^2 + y^2)^2 + z^2 - c (two holes in x)."""
    x, y, z = points.T
    q = (x**2 + y**2) ** 2 - x**2 + y**2
    dq_dx = 4 * x * (x**2 + y**2) - 2 * x
    dq_dy = 4 * y * (x**2 + y**2) + 2 * y
    value = q**2 + z**2 - 0.01
    grad = np.stack([2 * q * dq_dx, 2 * q * dq_dy, 2 * z], axis=1)
    return value, grad


def genus2_surface(n: int = 1000, seed: int | None = None) -> np.ndarray:
    """Sample ``n`` points on an implicit surface of genus 2 (a two-holed torus) in R^3.

    The surface is the zero set of ``((x^2 + y^2)^2 - x^2 + y^2)^2 + z^2 - 0.01``: two handles
    around the holes at ``x = +-0.5``. Points drawn uniformly in its bounding box are moved onto
    it by Newton steps along the gradient: an even sample, though not exactly uniform. Its two
    holes give two long-lived H1 classes in the Rips filtration.

    Examples
    --------
    >>> X = genus2_surface(500, seed=0)
    >>> X.shape
    (500, 3)
    """
    rng = np.random.default_rng(seed)
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        pts = rng.uniform([-1.2, -0.5, -0.15], [1.2, 0.5, 0.15], size=(4 * n, 3))
        for _ in range(30):
            value, grad = _genus2(pts)
            pts = pts - (value / np.maximum((grad**2).sum(1), 1e-12))[:, None] * grad
        value, _ = _genus2(pts)
        ok = np.abs(value) < 1e-8
        found.append(pts[ok])
        count += int(ok.sum())
    return np.concatenate(found)[:n]


#: The classes of :func:`shape_collection`, each a sampler ``(n, rng) -> (n, 3) points``.
SHAPE_CLASSES: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "sphere": _mesh_sampler(lambda tm: tm.creation.icosphere(subdivisions=3)),
    "torus": _mesh_sampler(lambda tm: tm.creation.torus(1.0, 0.35)),
    "cylinder": _mesh_sampler(lambda tm: tm.creation.cylinder(radius=0.6, height=2.0)),
    "cone": _mesh_sampler(lambda tm: tm.creation.cone(radius=0.9, height=1.8)),
    "box": _mesh_sampler(lambda tm: tm.creation.box(extents=(1.6, 1.0, 0.6))),
    "capsule": _mesh_sampler(lambda tm: tm.creation.capsule(height=1.4, radius=0.5)),
    "genus2": lambda n, rng: genus2_surface(n, seed=rng),
}


@dataclass
class ShapeCollection:
    """Point clouds with class labels.

    Attributes
    ----------
    clouds : list of numpy.ndarray
        ``(n_points, 3)`` float64 clouds.
    labels : numpy.ndarray
        Integer class of each cloud, an index into ``classes``.
    classes : list of str
        Class names.
    names : list of str
        A file stem per cloud, ``<class>_<index>``.
    """

    clouds: list[np.ndarray]
    labels: np.ndarray
    classes: list[str]
    names: list[str]

    def __len__(self) -> int:
        return len(self.clouds)


def _check_count(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise InputError(f"{name} must be an integer >= {low}, not {value!r}")
    return int(value)


def _check_fraction(name: str, value: object, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 <= value <= high:
        raise InputError(f"{name} must be a number in [0, {high:g}], not {value!r}")
    return float(value)


def _place(points: np.ndarray, rng: np.random.Generator, noise: float, outliers: float):
    """Random rotation, scale in [0.8, 1.2], shift, noise, and outliers replacing points."""
    from scipy.spatial.transform import Rotation  # here: importing it costs 0.3 s

    points = points - points.mean(0)
    points = Rotation.random(random_state=rng).apply(points) * rng.uniform(0.8, 1.2)
    points += rng.normal(0.0, 0.1, 3)
    if noise:
        points += rng.normal(0.0, noise, points.shape)
    n_out = int(round(outliers * len(points)))
    if n_out:
        low, high = points.min(0), points.max(0)
        rows = rng.choice(len(points), n_out, replace=False)
        points[rows] = rng.uniform(low, high, (n_out, 3))
    return points


def shape_collection(
    per_class: int = 10,
    n_points: int = 500,
    *,
    classes: list[str] | None = None,
    noise: float = 0.0,
    outliers: float = 0.0,
    seed: int | None = 0,
) -> ShapeCollection:
    """Generate a labelled collection of randomly placed 3-D shapes.

    Parameters
    ----------
    per_class : int, default 10
        Clouds per class.
    n_points : int, default 500
        Points per cloud.
    classes : list of str, optional
        A subset of :data:`SHAPE_CLASSES` (default all seven: sphere, torus, cylinder, cone,
        box, capsule, genus2).
    noise : float, default 0.0
        Standard deviation of Gaussian noise per coordinate (shapes have unit size).
    outliers : float, default 0.0
        Fraction of each cloud's points replaced by points uniform in its bounding box.
    seed : int or None, default 0
        Seed of the whole collection.

    Returns
    -------
    ShapeCollection
        Clouds grouped by class, in the order of ``classes``.

    Examples
    --------
    >>> data = shape_collection(per_class=2, n_points=100, noise=0.01, seed=0)
    >>> len(data), data.classes[:3], data.clouds[0].shape
    (14, ['sphere', 'torus', 'cylinder'], (100, 3))
    """
    per_class = _check_count("per_class", per_class, 1)
    n_points = _check_count("n_points", n_points, 4)
    noise = _check_fraction("noise", noise, 1.0)
    outliers = _check_fraction("outliers", outliers, 0.5)
    classes = list(SHAPE_CLASSES) if classes is None else list(classes)
    unknown = [c for c in classes if c not in SHAPE_CLASSES]
    if unknown or not classes:
        raise InputError(
            f"unknown shape class {unknown[0] if unknown else '(none given)'!r}; "
            f"choose from {', '.join(SHAPE_CLASSES)}"
        )
    streams = np.random.SeedSequence(seed).spawn(len(classes) * per_class)
    clouds, labels, names = [], [], []
    for c, name in enumerate(classes):
        for i in range(per_class):
            rng = np.random.default_rng(streams[c * per_class + i])
            raw = SHAPE_CLASSES[name](n_points, rng)
            clouds.append(_place(raw, rng, noise, outliers))
            labels.append(c)
            names.append(f"{name}_{i:03d}")
    return ShapeCollection(clouds, np.array(labels), classes, names)


def write_collection(collection: ShapeCollection, folder: str | Path) -> Path:
    """Write ``<name>.npy`` files and ``labels.csv`` (``file,label``) into ``folder``.

    The folder is filled under a temporary name and renamed at the end, so an interrupted
    write leaves nothing; an existing non-empty folder is refused.
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder} exists and is not empty; choose a new folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    for name, cloud in zip(collection.names, collection.clouds, strict=True):
        np.save(tmp / f"{name}.npy", cloud)
    with open(tmp / LABELS_FILE, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "label"])
        for name, label in zip(collection.names, collection.labels, strict=True):
            writer.writerow([f"{name}.npy", collection.classes[label]])
    if folder.exists():
        folder.rmdir()
    os.replace(tmp, folder)
    return folder


def read_labels(folder: str | Path) -> dict[str, str]:
    """``{file name: label}`` from ``folder/labels.csv``, or ``{}`` when there is none."""
    path = Path(folder) / LABELS_FILE
    if not path.is_file():
        return {}
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if rows and not {"file", "label"} <= set(rows[0]):
        raise InputError(f"{path}: needs the columns file,label")
    return {row["file"]: row["label"] for row in rows}


def read_collection(folder: str | Path) -> ShapeCollection:
    """Read a collection written by :func:`write_collection` (any folder with ``labels.csv``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "shapes"
    >>> _ = write_collection(shape_collection(per_class=1, n_points=50), out)
    >>> back = read_collection(out)
    >>> len(back), back.classes[0]
    (7, 'sphere')
    """
    folder = Path(folder)
    labels = read_labels(folder)
    if not labels:
        raise InputError(f"{folder}: no {LABELS_FILE}; make one with `tda-pipe datasets make`")
    classes = list(dict.fromkeys(labels.values()))
    clouds, names, ys = [], [], []
    for file, label in labels.items():
        path = folder / file
        if not path.is_file():
            raise InputError(f"{folder / LABELS_FILE}: lists {file}, which is missing")
        clouds.append(np.load(path))
        names.append(Path(file).stem)
        ys.append(classes.index(label))
    return ShapeCollection(clouds, np.array(ys), classes, names)
