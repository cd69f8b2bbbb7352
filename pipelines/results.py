"""Results folders: written whole, swapped in atomically, never deleting what tda-pipe did not
write.

Every results folder carries a marker file, :data:`MARKER`, recording what wrote it (the
command or pipeline, ``written_by``), the input, and the files it wrote. :func:`write_folder`
decides from that marker what it may do with an existing folder:

======================================================  =========================================
the folder at ``out_dir``                                what happens
======================================================  =========================================
absent, or empty                                        created
ours, same ``written_by`` and input, no foreign files   replaced atomically
anything else: no marker, foreign files, another        refused (:class:`~tda_pipe.errors.
command's or input's results                            InputError`) unless ``overwrite``
======================================================  =========================================

``overwrite`` replaces tda-pipe's own files only: a file the marker does not list survives, and
a foreign file that has the name of one of ours is refused rather than clobbered.

Replacing is atomic: the new folder is written beside the old one under a unique hidden name,
then exchanged with it in one system call (``renameat2(RENAME_EXCHANGE)`` on Linux; two renames
elsewhere), and the old files are removed by name. The swap is done under a lock on the parent
folder, so concurrent writers of one folder take turns; temporaries left by a killed writer are
removed by the next one. New folders get the user's umask.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import json
import os
import secrets
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from tda_pipe.errors import InputError

__all__ = [
    "LOCK",
    "MARKER",
    "FolderInUse",
    "check_out_dir",
    "clean_temporaries",
    "exclusive_lock",
    "marker_bytes",
    "read_marker",
    "write_folder",
]

MARKER = ".tda-pipe.json"
"""The marker file of a results folder: ``{"written_by", "input", "files", "version"}``."""

LOCK = ".tda-pipe.lock"
"""The lock file of a folder that a long run (a batch) writes into: held while it runs."""


class FolderInUse(InputError):
    """A results folder holding other results or foreign files, refused without ``overwrite``.

    The message says how to proceed in words of the Python API (``overwrite=True``); a front
    end words it its own way with :meth:`worded`.
    """

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(self.worded("set overwrite=True"))

    def worded(self, how: str) -> str:
        """The message with ``how`` (e.g. ``"pass --overwrite"``) as the way to overwrite."""
        return (
            f"{self.problem}; choose another results folder, or {how} to replace tda-pipe's "
            "own files there (others are kept)"
        )


_TMP_TAG = ".tda-tmp-"
_OLD_TAG = ".tda-old-"


# -- the marker ---------------------------------------------------------------------------------


def read_marker(folder: Path) -> dict | None:
    """The marker of ``folder``, or ``None`` when it has none (or an unreadable one)."""
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or not isinstance(marker.get("files"), list):
        return None
    return marker


def _input_id(source: str | Path | None) -> str:
    """The input as recorded in a marker: an absolute path for files, the text otherwise."""
    if source is None:
        return ""
    path = Path(source)
    return str(path.resolve()) if path.exists() else str(source)


def marker_bytes(written_by: str, source: str, names: list[str]) -> bytes:
    """The contents of a :data:`MARKER` file."""
    from tda_pipe import __version__

    marker = {"written_by": written_by, "input": source, "files": names, "version": __version__}
    return (json.dumps(marker, indent=2) + "\n").encode()


def _listing(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(sorted(names)[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# -- checks before any work -----------------------------------------------------------------


def _plan(out_dir: Path, written_by: str, source: str, overwrite: bool) -> str:
    """``"create"``, ``"swap"`` or ``"merge"`` for ``out_dir``, or raise :class:`InputError`."""
    if not out_dir.exists():
        return "create"
    if not out_dir.is_dir():
        raise InputError(f"{out_dir} exists and is not a folder; choose another results folder")
    entries = [p.name for p in out_dir.iterdir()]
    if not [name for name in entries if name != LOCK]:
        return "create"
    marker = read_marker(out_dir)
    ours = set(marker["files"]) | {MARKER, LOCK} if marker else {LOCK}
    foreign = [name for name in entries if name not in ours]
    if marker is None:
        if not overwrite:
            raise InputError(
                f"{out_dir} already exists and was not written by tda-pipe "
                f"({_listing(entries)}); choose another results folder (nothing was changed)"
            )
        return "merge"
    same = marker.get("written_by") == written_by and marker.get("input") == source
    if same and not foreign:
        return "swap"
    if not overwrite:
        if foreign:
            what = f"holds files tda-pipe did not write ({_listing(foreign)})"
        else:
            what = (
                f"holds the results of {marker.get('written_by', '?')} on "
                f"{marker.get('input') or '?'}"
            )
        raise FolderInUse(f"{out_dir} {what}")
    return "merge" if foreign else "swap"


def _check_writable(out_dir: Path) -> None:
    """Refuse ``.``, a folder above the working directory, and an unwritable parent."""
    resolved = out_dir.resolve()
    cwd = Path.cwd().resolve()
    if resolved == cwd or resolved in cwd.parents:
        raise InputError(
            f"{out_dir} is the working folder or above it; name a new folder for the results"
        )
    if resolved.is_dir() and not os.access(resolved, os.W_OK | os.X_OK):
        raise InputError(f"{out_dir} is read-only; choose another results folder")
    parent = resolved.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{out_dir}: cannot write in {parent} (permission denied or read-only)")


def check_out_dir(
    out_dir: str | Path,
    written_by: str,
    source: str | Path | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Refuse, before any work starts, a results folder that :func:`write_folder` would refuse.

    Parameters
    ----------
    out_dir : str or Path
        The results folder.
    written_by : str
        What writes it (a command or pipeline name): a folder of other results is refused.
    source : str or Path, optional
        The input the results are of.
    overwrite : bool, default False
        Accept a folder of other results, or with foreign files (these are kept).

    Returns
    -------
    Path

    Raises
    ------
    InputError
        ``out_dir`` is a file, the working folder or above it, in an unwritable place, or a
        folder that is not this command's results on this input (without ``overwrite``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> (tmp / "notes").mkdir(); _ = (tmp / "notes" / "todo.txt").write_text("mine")
    >>> check_out_dir(tmp / "notes", "analyze")
    Traceback (most recent call last):
    ...
    tda_pipe.errors.InputError: ... was not written by tda-pipe (todo.txt); ...
    """
    out_dir = Path(out_dir)
    _check_writable(out_dir)
    _plan(out_dir, written_by, _input_id(source), overwrite)
    return out_dir


# -- locking ------------------------------------------------------------------------------------


@contextlib.contextmanager
def exclusive_lock(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold an advisory lock on the file or folder ``path``; yields whether it was taken.

    ``wait=False`` yields ``False`` at once when another process holds it. On platforms
    without ``fcntl`` (Windows) no lock is taken and ``True`` is yielded.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield True
        return
    flags = os.O_RDONLY if path.is_dir() else os.O_RDWR | os.O_CREAT
    fd = os.open(path, flags, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# -- writing ------------------------------------------------------------------------------------


def _exchange(a: Path, b: Path) -> bool:
    """Swap the folders ``a`` and ``b`` in one system call; ``False`` where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # file system without it
        return False
    raise OSError(err, os.strerror(err), str(b))


def _remove_ours(folder: Path, names: list[str]) -> None:
    """Remove the files ``names`` (and the marker) from ``folder``, then the folder if empty."""
    for name in [*names, MARKER]:
        with contextlib.suppress(FileNotFoundError):
            (folder / name).unlink()
    with contextlib.suppress(OSError):  # not empty: something foreign appeared; keep it
        folder.rmdir()


def clean_temporaries(parent: Path, name: str | None = None) -> None:
    """Remove the temporary folders of ``name`` (default: of any results folder) in ``parent``
    that a killed writer left; call it only while holding the lock of ``parent``."""
    for stale in parent.iterdir():
        prefix, tag, _ = stale.name.partition(_TMP_TAG)
        if not tag:
            prefix, tag, _ = stale.name.partition(_OLD_TAG)
        if tag and prefix.startswith(".") and name in (None, prefix[1:]) and stale.is_dir():
            _remove_ours(stale, [p.name for p in stale.iterdir() if p.is_file()])


def _clean_stale(parent: Path, name: str) -> None:
    """Remove temporaries of ``name`` left by a writer that was killed (the lock is held)."""
    clean_temporaries(parent, name)
    folder = parent / name
    if folder.is_dir():  # a file of an interrupted overwrite
        for stale in folder.iterdir():
            if stale.name.startswith(".") and _TMP_TAG in stale.name and stale.is_file():
                stale.unlink()


def _check_names(files: Mapping[str, bytes]) -> list[str]:
    names = list(files)
    bad = [n for n in names if not n or "/" in n or "\\" in n or n.startswith(".") or n == MARKER]
    if bad:
        raise ValueError(f"result file names must be plain, visible names, got {bad}")
    return names


def write_folder(
    out_dir: str | Path,
    files: Mapping[str, bytes],
    written_by: str,
    source: str | Path | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write ``{name: bytes}`` as the results folder ``out_dir``, whole or not at all.

    Parameters
    ----------
    out_dir : str or Path
        The results folder; see the module docstring for what happens when it exists.
    files : mapping of str to bytes
        The files, by plain name.
    written_by : str
        The command or pipeline writing it, recorded in the marker.
    source : str or Path, optional
        The input the results are of, recorded in the marker.
    overwrite : bool, default False
        Replace other results, keeping foreign files.

    Returns
    -------
    Path
        ``out_dir``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "res"
    >>> _ = write_folder(out, {"a.txt": b"1"}, "example")
    >>> _ = write_folder(out, {"b.txt": b"2"}, "example")  # the same writer replaces it
    >>> sorted(p.name for p in out.iterdir())
    ['.tda-pipe.json', 'b.txt']
    >>> write_folder(out, {"c.txt": b"3"}, "other")
    Traceback (most recent call last):
    ...
    tda_pipe.pipelines.results.FolderInUse: ... holds the results of example on ?; ...
    """
    out_dir = Path(out_dir)
    names = _check_names(files)
    source_id = _input_id(source)
    _check_writable(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    parent = out_dir.parent
    with exclusive_lock(parent):
        _clean_stale(parent, out_dir.name)
        plan = _plan(out_dir, written_by, source_id, overwrite)
        if plan == "merge":
            _merge(out_dir, files, written_by, source_id)
            return out_dir
        tmp = parent / f".{out_dir.name}{_TMP_TAG}{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir()  # mode 0o777 less the umask, like any folder the user makes
        try:
            for name in names:
                (tmp / name).write_bytes(files[name])
            (tmp / MARKER).write_bytes(marker_bytes(written_by, source_id, names))
            _swap_in(tmp, out_dir)
        except BaseException:
            _remove_ours(tmp, names)
            raise
    return out_dir


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Put the finished folder ``tmp`` at ``out_dir``; remove the results it replaces."""
    if not out_dir.exists():
        tmp.rename(out_dir)
        return
    old_files = (read_marker(out_dir) or {"files": []})["files"]
    if not any(out_dir.iterdir()):
        tmp.replace(out_dir)  # an empty folder is replaced by rename
        return
    if _exchange(tmp, out_dir):
        _remove_ours(tmp, old_files)  # tmp now holds the old results
        return
    old = out_dir.with_name(f".{out_dir.name}{_OLD_TAG}{os.getpid()}-{secrets.token_hex(4)}")
    out_dir.rename(old)
    tmp.rename(out_dir)
    _remove_ours(old, old_files)


def _merge(out_dir: Path, files: Mapping[str, bytes], written_by: str, source: str) -> None:
    """``overwrite`` into a folder with foreign files: replace our files one by one."""
    marker = read_marker(out_dir)
    ours = set(marker["files"]) if marker else set()
    clash = [n for n in files if (out_dir / n).exists() and n not in ours]
    if clash:
        raise InputError(
            f"{out_dir} holds files of the same name as tda-pipe's results that tda-pipe did not "
            f"write ({_listing(clash)}); move them away or choose another results folder"
        )
    for name, content in files.items():
        tmp = out_dir / f".{name}{_TMP_TAG}{secrets.token_hex(4)}"
        try:
            tmp.write_bytes(content)
            os.replace(tmp, out_dir / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    for name in ours - set(files):
        with contextlib.suppress(FileNotFoundError):
            (out_dir / name).unlink()
    tmp = out_dir / f".{MARKER}{_TMP_TAG}{secrets.token_hex(4)}"
    tmp.write_bytes(marker_bytes(written_by, source, list(files)))
    os.replace(tmp, out_dir / MARKER)
