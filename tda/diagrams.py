"""The :class:`Diagrams` type shared by every backend, with save/load and diagram distances.

A persistence diagram in homology dimension ``p`` is a float64 array of shape ``(k, 2)`` whose
rows are ``(birth, death)``; ``death == inf`` marks an essential class. :class:`Diagrams` holds
one such array per dimension ``0 .. max_dim`` and, optionally, the persistence *pairs*: for
each row, the vertex indices of the simplex whose filtration value *is* the birth (resp. the
death). These are what a differentiable layer needs to gather values from tensors:

========================  ==================================================================
filtration                simplex giving a birth / death value
========================  ==================================================================
rips, weighted rips       the longest edge ``(i, j)`` of the creating / destroying
                          simplex, or a vertex ``(i, -1)`` (an H0 birth, at its weight)
sparse rips               as for rips
alpha                     the simplex (up to ``d + 1`` vertices) created or destroyed
lower-star (graph, mesh)  the vertex ``(i,)`` holding the maximal function value
cubical                   the flat (C-order) index of the pixel/voxel ``(p,)``
========================  ==================================================================

Rows are padded with ``-1``; an essential class has a death row of ``-1``.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from tda_pipe.errors import InputError

__all__ = ["Diagrams", "bottleneck", "wasserstein"]

Pairs = tuple[np.ndarray, np.ndarray]


def _as_diagram(array: np.ndarray | Sequence) -> np.ndarray:
    dgm = np.asarray(array, dtype=np.float64).reshape(-1, 2)
    return np.ascontiguousarray(dgm)


class Diagrams(Sequence):
    """Persistence diagrams of one filtration, one ``(k, 2)`` array per homology dimension.

    Parameters
    ----------
    dgms : sequence of array-like
        ``dgms[p]`` holds the ``(birth, death)`` rows of dimension ``p``; ``inf`` deaths are
        essential classes.
    pairs : sequence of (birth_simplices, death_simplices), optional
        Per dimension, two int arrays with one row per diagram point: the vertex indices of the
        simplices giving the birth and death values (see the module docstring), padded with -1.
    filtration : str
        Name of the filtration the diagrams come from (``"rips"``, ``"alpha"``, ...).
    backend : str
        Library that computed them (``"giotto-ph"``, ``"gudhi"``, ``"ripser"``, ``"mst"``).

    Examples
    --------
    >>> import numpy as np
    >>> d = Diagrams([[[0.0, 1.0], [0.0, np.inf]], [[0.5, 2.0]]], filtration="rips")
    >>> d.max_dim
    1
    >>> d.betti(0.75)
    [2, 1]
    >>> d.filter(min_persistence=1.2)[0].tolist()
    [[0.0, inf]]
    """

    def __init__(
        self,
        dgms: Sequence,
        pairs: Sequence[Pairs] | None = None,
        *,
        filtration: str = "",
        backend: str = "",
    ) -> None:
        self._dgms = tuple(_as_diagram(d) for d in dgms)
        if not self._dgms:
            raise ValueError("Diagrams needs at least one dimension")
        if pairs is not None:
            pairs = tuple(
                (np.asarray(b, dtype=np.int64), np.asarray(d, dtype=np.int64)) for b, d in pairs
            )
            if len(pairs) != len(self._dgms) or any(
                len(b) != len(dg) or len(d) != len(dg) for (b, d), dg in zip(pairs, self._dgms)
            ):
                raise ValueError("pairs must hold one (birth, death) row pair per diagram point")
        self._pairs = pairs
        self.filtration = filtration
        self.backend = backend

    # -- sequence protocol ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._dgms)

    def __getitem__(self, dim: int) -> np.ndarray:  # type: ignore[override]
        return self._dgms[dim]

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self._dgms)

    def __repr__(self) -> str:
        parts = []
        for p, dgm in enumerate(self._dgms):
            n_inf = int(np.isinf(dgm[:, 1]).sum())
            parts.append(f"H{p}: {len(dgm)}" + (f" ({n_inf} essential)" if n_inf else ""))
        source = " via ".join(s for s in (self.filtration, self.backend) if s)
        return f"Diagrams({source + '; ' if source else ''}{', '.join(parts)})"

    # -- properties ----------------------------------------------------------------------
    @property
    def max_dim(self) -> int:
        """Highest homology dimension held."""
        return len(self._dgms) - 1

    @property
    def pairs(self) -> tuple[Pairs, ...] | None:
        """Per dimension ``(birth_simplices, death_simplices)``, or ``None`` if not computed."""
        return self._pairs

    def lifetimes(self, dim: int) -> np.ndarray:
        """``death - birth`` of every class in dimension ``dim`` (``inf`` for essential ones)."""
        dgm = self._dgms[dim]
        return dgm[:, 1] - dgm[:, 0]

    def betti(self, scale: float) -> list[int]:
        """Betti numbers at filtration value ``scale``: classes with ``birth <= scale < death``."""
        return [int(((d[:, 0] <= scale) & (scale < d[:, 1])).sum()) for d in self._dgms]

    def most_persistent(self, dim: int, k: int = 5) -> np.ndarray:
        """The ``k`` rows of dimension ``dim`` with the longest lifetimes, longest first."""
        order = np.argsort(-self.lifetimes(dim), kind="stable")[:k]
        return self._dgms[dim][order]

    def filter(self, min_persistence: float = 0.0) -> Diagrams:
        """A copy keeping only classes whose lifetime exceeds ``min_persistence``."""
        keep = [self.lifetimes(p) > min_persistence for p in range(len(self))]
        pairs = None
        if self._pairs is not None:
            pairs = [(b[m], d[m]) for (b, d), m in zip(self._pairs, keep)]
        return Diagrams(
            [d[m] for d, m in zip(self._dgms, keep)],
            pairs,
            filtration=self.filtration,
            backend=self.backend,
        )

    # -- serialisation -------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``.npz`` arrays ``h0, h1, ...`` and ``h{p}_birth_simplex``, ``h{p}_death_simplex``.

        The file is written to a temporary name first and renamed, so a reader never sees a
        half-written file.
        """
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp.npz")
        tmp.write_bytes(self.to_npz_bytes())
        tmp.replace(path)
        return path

    def to_npz_bytes(self) -> bytes:
        """The contents of the ``.npz`` file :meth:`save` writes."""
        arrays: dict[str, np.ndarray] = {f"h{p}": d for p, d in enumerate(self._dgms)}
        if self._pairs is not None:
            for p, (b, d) in enumerate(self._pairs):
                arrays[f"h{p}_birth_simplex"] = b
                arrays[f"h{p}_death_simplex"] = d
        arrays["meta"] = np.array(
            json.dumps({"filtration": self.filtration, "backend": self.backend})
        )
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def load(cls, path: str | Path) -> Diagrams:
        """Read diagrams written by :meth:`save` (or any ``.npz`` holding ``h0, h1, ...``)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                dims = sorted(int(k[1:]) for k in data.files if k[0] == "h" and k[1:].isdigit())
                if not dims or dims != list(range(len(dims))):
                    raise InputError(f"{path}: no diagram arrays h0, h1, ... found in the .npz")
                dgms = [data[f"h{p}"] for p in dims]
                pairs = None
                if all(f"h{p}_birth_simplex" in data.files for p in dims):
                    pairs = [
                        (data[f"h{p}_birth_simplex"], data[f"h{p}_death_simplex"]) for p in dims
                    ]
                meta = json.loads(str(data["meta"])) if "meta" in data.files else {}
        except (OSError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"{path}: cannot read diagrams ({exc})") from exc
        return cls(dgms, pairs, **meta)

    def to_dict(self) -> dict:
        """JSON-ready dict: ``{"filtration", "backend", "diagrams": {"h0": [[b, d], ...]}}``.

        Essential deaths (``inf``) are written as ``None`` (JSON ``null``).
        """
        return {
            "filtration": self.filtration,
            "backend": self.backend,
            "diagrams": {
                f"h{p}": [[float(b), None if math.isinf(d) else float(d)] for b, d in dgm]
                for p, dgm in enumerate(self._dgms)
            },
        }

    @classmethod
    def from_dict(cls, data: dict) -> Diagrams:
        """Inverse of :meth:`to_dict`."""
        dgms = [
            [[b, math.inf if d is None else d] for b, d in data["diagrams"][f"h{p}"]]
            for p in range(len(data["diagrams"]))
        ]
        return cls(dgms, filtration=data.get("filtration", ""), backend=data.get("backend", ""))


def _dims(a: Diagrams, b: Diagrams, dim: int | None) -> range:
    if dim is not None:
        return range(dim, dim + 1)
    return range(min(len(a), len(b)))


def bottleneck(a: Diagrams, b: Diagrams, dim: int | None = None, e: float = 0.0) -> float:
    """Bottleneck distance (gudhi) in dimension ``dim``, or the maximum over shared dimensions.

    Essential classes are matched among themselves; differing numbers of them give ``inf``.
    ``e > 0`` allows an additive error ``e`` for speed (gudhi's approximate algorithm).
    """
    import gudhi

    return max(float(gudhi.bottleneck_distance(a[p], b[p], e)) for p in _dims(a, b, dim))


def wasserstein(
    a: Diagrams, b: Diagrams, dim: int | None = None, order: float = 1.0, internal_p: float = np.inf
) -> float:
    """``order``-Wasserstein distance (gudhi with POT) in one dimension, or over all shared ones.

    Over several dimensions the distances combine as ``(sum_p W_p^order)^(1/order)``.
    """
    from gudhi.wasserstein import wasserstein_distance

    total = 0.0
    for p in _dims(a, b, dim):
        w = float(wasserstein_distance(a[p], b[p], order=order, internal_p=internal_p))
        total += w**order
    return total ** (1.0 / order)
