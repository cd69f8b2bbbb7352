"""On-disk cache of stage outputs, keyed by what determines them.

A stage's key hashes its name, its parameters, the keys of the artifacts it reads (so a change
upstream changes every key below it), the stage's fingerprint (``load`` hashes the input file's
bytes) and the package version with a digest of the package's source files (so an edited or
upgraded install never reads results of other code). Entries are pickles written
atomically; an unreadable entry is a miss. The folder is ``$TDA_PIPE_CACHE_DIR``, else
``$XDG_CACHE_HOME/tda-pipe``, else ``~/.cache/tda-pipe``; ``tda-pipe cache clear`` empties it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
from functools import cache
from pathlib import Path

__all__ = ["StageCache", "code_version", "default_cache_dir", "source_digest"]

logger = logging.getLogger("tda_pipe")


def default_cache_dir() -> Path:
    """The cache folder: ``$TDA_PIPE_CACHE_DIR``, ``$XDG_CACHE_HOME/tda-pipe`` or ``~/.cache``."""
    if os.environ.get("TDA_PIPE_CACHE_DIR"):
        return Path(os.environ["TDA_PIPE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tda-pipe"


SOURCE_PACKAGES = ("tda", "losses", "pipelines", "datasets")
"""The subpackages whose code decides stage outputs (``tests``, ``.venv`` etc. are left out)."""


def source_digest(package: Path) -> str:
    """A digest of the top-level modules and the :data:`SOURCE_PACKAGES` files under ``package``."""
    files = [*package.glob("*.py")]
    for sub in SOURCE_PACKAGES:
        files += [*(package / sub).rglob("*.py"), *(package / sub).rglob("*.yaml")]
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(files):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@cache
def code_version() -> str:
    """The package version and the :func:`source_digest` of the installed package."""
    from tda_pipe import __version__

    return f"{__version__}+{source_digest(Path(__file__).resolve().parent.parent)}"


class StageCache:
    """Stage outputs on disk under ``root`` (default :func:`default_cache_dir`).

    Parameters
    ----------
    root : Path, optional
        The cache folder.
    enabled : bool, default True
        ``False``: every lookup misses and nothing is stored (``--no-cache``); keys are still
        computed.
    version : str, optional
        Folded into every key (default :func:`code_version`), so other code never reads
        these entries.

    Examples
    --------
    >>> import tempfile
    >>> cache = StageCache(tempfile.mkdtemp())
    >>> key = cache.key("persistence", {"max_dim": 1}, ["abc"])
    >>> cache.get(key) is None
    True
    >>> cache.put(key, {"diagrams": [1, 2]})
    >>> cache.get(key)
    {'diagrams': [1, 2]}
    """

    def __init__(
        self, root: str | Path | None = None, *, enabled: bool = True, version: str | None = None
    ) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.enabled = enabled
        self.version = code_version() if version is None else version

    def key(
        self, stage: str, params: dict, input_keys: list[str | None], fingerprint: bytes = b""
    ) -> str:
        """The key of a stage run: name, parameters, upstream keys, fingerprint, version."""
        digest = hashlib.blake2b(digest_size=20)
        text = json.dumps([self.version, stage, params, input_keys], sort_keys=True, default=str)
        digest.update(text.encode())
        digest.update(fingerprint)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pkl"

    def get(self, key: str) -> dict | None:
        """The outputs stored under ``key``, or ``None``."""
        if not self.enabled:
            return None
        try:
            with open(self._path(key), "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None

    def put(self, key: str, outputs: dict) -> None:
        """Store ``outputs`` under ``key`` (atomically; a failure to write is not an error)."""
        if not self.enabled:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
        except OSError as exc:
            logger.warning("cache entry not written: %s", exc)
            return
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(outputs, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
            Path(tmp).unlink(missing_ok=True)
            logger.warning("cache entry not written: %s", exc)

    def size(self) -> tuple[int, int]:
        """``(entries, bytes)`` held."""
        files = list(self.root.glob("*/*.pkl")) if self.root.is_dir() else []
        return len(files), sum(f.stat().st_size for f in files)

    def clear(self) -> tuple[int, int]:
        """Remove every entry; returns what was held, as :meth:`size`."""
        held = self.size()
        if self.root.is_dir():
            for sub in self.root.iterdir():
                if sub.is_dir() and len(sub.name) == 2:
                    shutil.rmtree(sub, ignore_errors=True)
        return held
