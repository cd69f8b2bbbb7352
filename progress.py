"""Progress inside long computations, told to whoever listens; silent when nobody does.

The algorithmic code announces phases and counts; it never prints. A front end (the CLI)
installs a reporter for the duration of a command and renders the events as it likes.

Examples
--------
>>> events = []
>>> with reporting(events.append):
...     with phase("reducing", total=3) as p:
...         for _ in range(3):
...             p.advance()
>>> [(e.phase, e.done, e.total, e.finished) for e in (events[0], events[-1])]
[('reducing', 0, 3, False), ('reducing', 3, 3, True)]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["Event", "Phase", "phase", "reporting"]


@dataclass(frozen=True)
class Event:
    """One report: the phase, the count done of ``total`` (``None`` where none exists), the
    seconds since the phase began, and whether it has ended."""

    phase: str
    done: int
    total: int | None
    elapsed: float
    finished: bool


Reporter = Callable[[Event], None]
_REPORTER: ContextVar[Reporter | None] = ContextVar("tda_pipe_reporter", default=None)
_INTERVAL = 0.2  # seconds between two count reports of one phase


@contextmanager
def reporting(reporter: Reporter) -> Iterator[None]:
    """Send the events of the phases run inside this block to ``reporter``."""
    token = _REPORTER.set(reporter)
    try:
        yield
    finally:
        _REPORTER.reset(token)


class Phase:
    """A running phase: :meth:`advance` counts work done, reported at most every 0.2 s."""

    def __init__(self, name: str, total: int | None, reporter: Reporter | None) -> None:
        self.name, self.total, self.done = name, total, 0
        self._reporter = reporter
        self._start = self._last = time.perf_counter()

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self._reporter is not None:
            now = time.perf_counter()
            if now - self._last >= _INTERVAL:
                self._last = now
                self._emit(finished=False)

    def _emit(self, finished: bool) -> None:
        elapsed = time.perf_counter() - self._start
        self._reporter(Event(self.name, self.done, self.total, elapsed, finished))


@contextmanager
def phase(name: str, total: int | None = None) -> Iterator[Phase]:
    """Announce a phase of work named ``name`` (with ``total`` units where a count exists)."""
    running = Phase(name, total, _REPORTER.get())
    if running._reporter is not None:
        running._emit(finished=False)
    try:
        yield running
    finally:
        if running._reporter is not None:
            running._emit(finished=True)
