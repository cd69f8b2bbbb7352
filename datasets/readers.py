"""Read point clouds, distance matrices, meshes and images into one :class:`LoadedInput`.

:func:`load` picks a reader by the file's extension. Every problem with the file raises
:class:`~tda_pipe.errors.InputError` with one line that names the file and what is wrong;
checks on the values themselves (NaN, shape, symmetry) belong to the persistence step.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from tda_pipe.errors import InputError
from tda_pipe.tda.resources import check_cubical
from tda_pipe.tda.validation import available_memory

if TYPE_CHECKING:
    import trimesh
    from PIL import Image

Kind = Literal["points", "distances", "image"]

_NPZ_DATA_KEYS = ("points", "X", "data", "distances", "image")
_NPZ_LABEL_KEYS = ("labels", "y")
_DELIMITERS = ("\t", ";", ",")  # tried in this order; none found means whitespace
_SNIFF_LINES = 20
_MESH_SUFFIXES = (".ply", ".off", ".obj", ".stl")
_NPY_MAGIC = b"\x93NUMPY"


@dataclass
class LoadedInput:
    """One input file, read.

    Attributes
    ----------
    path : Path
        The file it came from.
    kind : {"points", "distances", "image"}
        ``"points"``: an ``(n, d)`` point cloud; ``"distances"``: an ``(n, n)`` distance
        matrix; ``"image"``: a 2-D greyscale image or a 3-D voxel grid.
    array : numpy.ndarray
        The data, float64.
    mesh : trimesh.Trimesh or None
        For a mesh file, the mesh itself (its faces serve lower-star filtrations); ``array``
        then holds its vertices, or points sampled on its surface.
    labels : numpy.ndarray or None
        Per-row labels, from an ``.npz`` file's ``labels`` or ``y`` array.
    """

    path: Path
    kind: Kind
    array: np.ndarray
    mesh: trimesh.Trimesh | None = None
    labels: np.ndarray | None = None


def load(
    path: str | Path,
    *,
    precomputed: bool = False,
    sample: int | None = None,
    seed: int | None = 0,
    downsample: int | None = None,
) -> LoadedInput:
    """Read a point cloud, distance matrix, mesh or image from a file.

    The reader is chosen by the extension (case-insensitive):

    - ``.npy``: one array.
    - ``.npz``: the array named ``points``, ``X``, ``data``, ``distances`` or ``image`` (the
      first present, in that order), or else the only array; labels from ``labels`` or ``y``.
      An array named ``image`` is read as an image; one named ``distances`` needs
      ``precomputed=True``.
    - ``.csv``, ``.tsv``, ``.txt``: a numeric table, one row per point, separated by commas,
      tabs, semicolons or whitespace (sniffed). A first row with no number in it is a header
      and is skipped, as are blank lines and lines starting with ``#``.
    - ``.ply``, ``.off``, ``.obj``, ``.stl``: a mesh (read by trimesh). The points are its
      vertices, or with ``sample`` that many points drawn uniformly on its surface; the mesh
      itself is kept in :attr:`LoadedInput.mesh`. A PLY point cloud (no faces) gives its
      vertices and no mesh.
    - ``.png``, ``.jpg``, ``.jpeg``, ``.bmp``, ``.tif``, ``.tiff``: an image, converted to
      greyscale and scaled to [0, 1] (8-bit divided by 255, 16-bit by 65535; floating-point
      TIFFs kept as they are). A multi-page TIFF becomes a 3-D ``(pages, height, width)``
      voxel grid. The size is read from the header first: an image whose cubical persistence
      would not fit in memory is refused before it is decoded (the message names the
      ``downsample`` factor that fits).

    Values are returned as read, as float64; NaN, a 1-D array or a non-square distance matrix
    are left for the persistence step to reject.

    Parameters
    ----------
    path : str or Path
        The file.
    precomputed : bool, default False
        The array is a distance matrix: a 2-D array gets kind ``"distances"``.
    sample : int, optional
        Keep this many points: sampled on the surface of a mesh, or rows drawn without
        replacement from a point cloud (for a distance matrix, the same rows and columns).
    seed : int or None, default 0
        Seed for ``sample``; ``None`` draws a different sample each time.
    downsample : int, optional
        Images only: replace each block of ``downsample`` pixels along every axis (``K x K``,
        or ``K x K x K`` voxels) by its mean; the last block of an axis holds what is left, so
        an axis of ``s`` pixels becomes ``ceil(s / K)``. Image files are reduced frame by
        frame as they are decoded.

    Returns
    -------
    LoadedInput
        The array, its kind, and the mesh or labels where the file has them.

    Raises
    ------
    InputError
        The file is missing, a directory, empty, of an unknown type, unreadable, not numeric,
        ``sample`` asks for more rows than it has, ``downsample`` is given for something other
        than an image, or the image is too large for cubical persistence.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> from tda_pipe.datasets import circle, load
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "ring.csv"
    >>> np.savetxt(path, circle(50, seed=0), delimiter=",", header="x,y", comments="")
    >>> data = load(path, sample=20)
    >>> data.kind, data.array.shape, data.array.dtype
    ('points', (20, 2), dtype('float64'))
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; pass one file inside it")
    if suffix not in _READERS:
        known = " ".join(_READERS)
        found = f"'{path.suffix}'" if path.suffix else "(no extension)"
        raise InputError(f"{path}: unknown file type {found}; use one of {known}")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty")
    factor = _check_downsample(path, downsample)
    if _READERS[suffix] is _read_image:
        loaded = _read_image(path, factor)
    else:
        loaded = _READERS[suffix](path)
        if downsample is not None:
            _downsample(loaded, factor)
    if precomputed and (suffix in _MESH_SUFFIXES or loaded.kind == "image"):
        what = "a mesh" if suffix in _MESH_SUFFIXES else "an image"
        raise InputError(f"{path}: {what} is not a distance matrix; drop precomputed")
    if loaded.kind == "distances" and not precomputed:
        raise InputError(
            f"{path}: holds a distance matrix 'distances'; "
            "read it with precomputed=True (--metric precomputed)"
        )
    if precomputed and loaded.array.ndim == 2:
        loaded.kind = "distances"
    labels, array = loaded.labels, loaded.array
    if labels is not None and labels.shape[:1] != array.shape[:1]:
        raise InputError(
            f"{path}: labels of shape {labels.shape} do not match data of shape {array.shape}; "
            "give one label per row"
        )
    if sample is not None:
        _subsample(loaded, sample, seed)
    return loaded


def _subsample(loaded: LoadedInput, sample: int, seed: int | None) -> None:
    """Replace ``loaded``'s points by ``sample`` of them (see :func:`load`)."""
    path = loaded.path
    if isinstance(sample, bool) or not isinstance(sample, int | np.integer) or sample < 1:
        raise InputError(f"{path}: sample must be a positive number of points, not {sample!r}")
    if loaded.kind == "image":
        raise InputError(f"{path}: an image cannot be sampled; drop sample")
    if loaded.mesh is not None:
        points = loaded.mesh.sample(int(sample), seed=seed)
        loaded.array = np.asarray(points, dtype=np.float64)
        return
    array = loaded.array
    if array.ndim == 0:
        raise InputError(f"{path}: holds a single number; there are no rows to sample")
    if loaded.kind == "distances" and array.shape[0] != array.shape[1]:
        raise InputError(
            f"{path}: cannot sample from a {array.shape[0]}x{array.shape[1]} distance matrix; "
            "it must be square"
        )
    if sample > len(array):
        raise InputError(
            f"{path}: cannot sample {sample} points from {len(array)}; ask for at most {len(array)}"
        )
    rows = np.sort(np.random.default_rng(seed).choice(len(array), size=sample, replace=False))
    loaded.array = array[np.ix_(rows, rows)] if loaded.kind == "distances" else array[rows]
    if loaded.labels is not None:
        loaded.labels = loaded.labels[rows]


@contextmanager
def _reading(path: Path, what: str) -> Iterator[None]:
    """Turn a reading library's exception into one line naming ``path``."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:
        # trimesh answers undecodable text with an ImportError for an optional charset
        # detector; the decoding error it was handling is the real reason.
        cause = exc.__context__ if isinstance(exc, ImportError) and exc.__context__ else exc
        reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        reason = reason.split(". ")[0][:120]
        raise InputError(f"{path}: cannot read as {what} ({reason})") from exc


def _numeric(path: Path, array: np.ndarray, name: str) -> np.ndarray:
    """``array`` as float64, or an InputError if it does not hold numbers."""
    if array.dtype.kind not in "biuf":
        raise InputError(f"{path}: {name} holds {array.dtype} values, not numbers")
    return np.asarray(array, dtype=np.float64)


def _read_npy(path: Path) -> LoadedInput:
    with _reading(path, "a NumPy .npy file"):
        with path.open("rb") as file:
            if file.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
                raise InputError(f"{path}: not a NumPy .npy file; write it with numpy.save")
        array = np.load(path, allow_pickle=False)
    return LoadedInput(path, "points", _numeric(path, array, "the array"))


def _read_npz(path: Path) -> LoadedInput:
    with _reading(path, "a NumPy .npz archive"), np.load(path, allow_pickle=False) as archive:
        names = list(archive.files)
        data_names = [n for n in names if n not in _NPZ_LABEL_KEYS]
        key = next((k for k in _NPZ_DATA_KEYS if k in names), None)
        if key is None and len(data_names) == 1:
            key = data_names[0]
        if key is None:
            found = ", ".join(names) or "no arrays"
            raise InputError(
                f"{path}: holds {found}; name the data array one of {', '.join(_NPZ_DATA_KEYS)}"
            )
        array = _numeric(path, archive[key], f"array '{key}'")
        label_key = next((k for k in _NPZ_LABEL_KEYS if k in names), None)
        labels = archive[label_key] if label_key else None
    kind: Kind = "image" if key == "image" else "distances" if key == "distances" else "points"
    return LoadedInput(path, kind, array, labels=labels)


def decode_utf8(path: Path, raw: bytes, what: str) -> str:
    """The bytes ``raw`` read from ``path`` as UTF-8 text (a BOM dropped), or an InputError
    naming the first byte that is not UTF-8 and its offset.

    Examples
    --------
    >>> decode_utf8(Path("t.csv"), "1;2".encode(), "a text table")
    '1;2'
    >>> try:
    ...     decode_utf8(Path("t.csv"), "é".encode("latin-1"), "a text table")
    ... except InputError as exc:
    ...     print(exc)
    t.csv: cannot read as a text table (byte 0xe9 at offset 0 is not UTF-8); save it as UTF-8
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: cannot read as {what} (byte 0x{raw[exc.start]:02x} at offset {exc.start} "
            "is not UTF-8); save it as UTF-8"
        ) from None


def _read_table(path: Path) -> LoadedInput:
    with _reading(path, "a text table"):
        text = decode_utf8(path, path.read_bytes(), "a text table")
    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise InputError(f"{path}: holds no numbers; expected one point per row")
    delimiter = next(
        (d for d in _DELIMITERS if all(d in line for _, line in lines[:_SNIFF_LINES])), None
    )
    if not any(_is_number(cell) for cell in _cells(lines[0][1], delimiter)):
        lines = lines[1:]  # a header
    if not lines:
        raise InputError(f"{path}: has a header but no rows of numbers")
    try:
        array = np.loadtxt([line for _, line in lines], delimiter=delimiter, ndmin=2)
    except ValueError as exc:
        _raise_table_error(path, lines, delimiter)
        raise InputError(f"{path}: cannot read as a text table ({exc})") from exc
    return LoadedInput(path, "points", array)


def _cells(line: str, delimiter: str | None) -> list[str]:
    return [cell.strip() for cell in line.split(delimiter)]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _raise_table_error(path: Path, lines: list[tuple[int, str]], delimiter: str | None) -> None:
    """Raise an InputError naming the first ragged row or non-numeric cell of a table."""
    expected = len(_cells(lines[0][1], delimiter))
    for number, line in lines:
        cells = _cells(line, delimiter)
        if len(cells) != expected:
            raise InputError(f"{path}: row {number} has {len(cells)} values, expected {expected}")
        for column, cell in enumerate(cells, start=1):
            if not cell:
                raise InputError(f"{path}: row {number}, column {column} is empty")
            if not _is_number(cell):
                raise InputError(f"{path}: row {number}, column {column} is {cell!r}, not a number")


def _read_mesh(path: Path) -> LoadedInput:
    import trimesh  # imported here: it takes most of a second

    with _reading(path, "a mesh"):
        geometry = trimesh.load(path)
        if isinstance(geometry, trimesh.Scene) and geometry.geometry:
            geometry = geometry.to_mesh()
    vertices = getattr(geometry, "vertices", None)
    if vertices is None or len(vertices) == 0:
        raise InputError(f"{path}: holds no vertices; is it an empty or a non-mesh file?")
    has_faces = isinstance(geometry, trimesh.Trimesh) and len(geometry.faces) > 0
    mesh = geometry if has_faces else None
    return LoadedInput(path, "points", np.asarray(vertices, dtype=np.float64), mesh=mesh)


def _check_downsample(path: Path, downsample: int | None) -> int:
    """The block size of ``downsample`` (1 for ``None``), or an InputError."""
    if downsample is None:
        return 1
    if isinstance(downsample, bool) or not isinstance(downsample, int | np.integer):
        raise InputError(f"{path}: downsample must be a positive integer, not {downsample!r}")
    if downsample < 1:
        raise InputError(f"{path}: downsample must be a positive integer, not {downsample}")
    return int(downsample)


def _downsample(loaded: LoadedInput, factor: int) -> None:
    """Replace an image array read from NumPy files by its block means (see :func:`load`)."""
    if loaded.kind != "image":
        raise InputError(
            f"{loaded.path}: downsample applies to images; for a point cloud use sample"
        )
    if loaded.array.ndim == 0:
        return  # a single number, which the image checks reject
    check_cubical(loaded.array.shape, available_memory(), factor)
    loaded.array = _block_mean(loaded.array, factor)


def _read_image(path: Path, downsample: int = 1) -> LoadedInput:
    from PIL import Image, ImageSequence  # here: only images need it

    with _reading(path, "an image"), warnings.catch_warnings():
        # PIL warns of images over 89 Mpixels; the size is checked here against the memory
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:  # lazy: only the header is read
            pages = getattr(image, "n_frames", 1)
            shape = (
                (image.height, image.width) if pages == 1 else (pages, image.height, image.width)
            )
            try:
                check_cubical(shape, available_memory(), downsample)
            except InputError as exc:
                raise InputError(f"{path}: {exc}") from None
            frames = [_greyscale(frame, downsample) for frame in ImageSequence.Iterator(image)]
    if len(frames) == 1:
        return LoadedInput(path, "image", frames[0])
    array = np.stack(frames)
    return LoadedInput(path, "image", _block_mean(array, downsample, axes=1))


def _greyscale(frame: Image.Image, downsample: int = 1) -> np.ndarray:
    """One frame as float64 greyscale in [0, 1] (floating-point frames as they are), reduced to
    the means of ``downsample x downsample`` blocks before it is converted to float64."""
    if frame.mode == "F":
        pixels, scale = np.asarray(frame), 1.0
    elif frame.mode.startswith("I"):  # 16- or 32-bit integer greyscale
        pixels, scale = np.asarray(frame), 65535.0
    else:
        pixels, scale = np.asarray(frame.convert("L")), 255.0
    return _block_mean(pixels, downsample) / scale


def _block_mean(array: np.ndarray, factor: int, axes: int | None = None) -> np.ndarray:
    """float64 means of the blocks of ``factor`` entries along the first ``axes`` axes (all by
    default); the last block of an axis holds what is left.

    Summed a few million values at a time, so that an 8-bit image is never copied whole to
    float64 (8 bytes a pixel: 763 MiB for 10000 x 10000).
    """
    axes = array.ndim if axes is None else axes
    if factor == 1:
        return np.asarray(array, dtype=np.float64)
    step = factor * max(1, _BLOCK_CHUNK // (factor * math.prod(array.shape[1:])))
    sums = []
    for start in range(0, len(array), step):
        chunk = np.asarray(array[start : start + step], dtype=np.float64)
        for axis in range(axes):
            size = chunk.shape[axis]
            if size % factor:  # zeros in the last block: the counts below leave them out
                pad = [(0, 0)] * chunk.ndim
                pad[axis] = (0, factor - size % factor)
                chunk = np.pad(chunk, pad)
            every = [slice(None)] * axis
            chunk = sum(chunk[(*every, slice(j, None, factor))] for j in range(factor))
        sums.append(chunk)
    counts = np.ones(())
    for size in array.shape[:axes]:
        counts = np.multiply.outer(counts, np.diff(np.arange(0, size, factor), append=size))
    return np.concatenate(sums) / counts.reshape(counts.shape + (1,) * (array.ndim - axes))


#: Values summed at once by :func:`_block_mean` (32 MiB as float64).
_BLOCK_CHUNK = 1 << 22


_READERS: dict[str, Callable[[Path], LoadedInput]] = {
    ".npy": _read_npy,
    ".npz": _read_npz,
    ".csv": _read_table,
    ".tsv": _read_table,
    ".txt": _read_table,
    **dict.fromkeys(_MESH_SUFFIXES, _read_mesh),
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"), _read_image),
}

#: The file extensions :func:`load` reads.
READABLE_SUFFIXES = tuple(_READERS)
