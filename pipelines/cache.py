"""On-disk cache of stage outputs, keyed by what determines them.

A stage's key hashes its name, its parameters, the keys of the artifacts it reads (so a change
upstream changes every key below it), the stage's fingerprint (``load`` hashes the input file's
bytes) and the package version. Entries are pickles written atomically; an unreadable entry is
a miss. The folder is ``$TDA_PIPE_CACHE_DIR``, else ``$XDG_CACHE_HOME/tda-pipe``, else
``~/.cache/tda-pipe``; ``tda-pipe cache clear`` empties it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import tempfile
from pathlib import Path

__all__ = ["StageCache", "default_cache_dir"]

logger = logging.getLogger("tda_pipe")


def default_cache_dir() -> Path:
    """The cache folder: ``$TDA_PIPE_CACHE_DIR``, ``$XDG_CACHE_HOME/tda-pipe`` or ``~/.cache``."""
    if os.environ.get("TDA_PIPE_CACHE_DIR"):
        return Path(os.environ["TDA_PIPE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tda-pipe"


class StageCache:
    """Stage outputs on disk under ``root`` (default :func:`default_cache_dir`).

    Parameters
    ----------
    root : Path, optional
        The cache folder.
    enabled : bool, default True
        ``False``: every lookup misses and nothing is stored (``--no-cache``); keys are still
        computed.
    version : str
        Folded into every key, so a new release never reads an older one's entries.

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
        from tda_pipe import __version__

        self.root = Path(root) if root is not None else default_cache_dir()
        self.enabled = enabled
        self.version = __version__ if version is None else version

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
