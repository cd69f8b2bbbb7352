"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(repeat: int, fn: Callable[[], object], warmup: bool = True) -> float:
    """Best wall-clock time in seconds of ``repeat`` calls of ``fn``, after one untimed call."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved_medians(
    contenders: dict[str, Callable[[], object]], rounds: int = 5
) -> dict[str, float]:
    """Median wall-clock seconds of each contender over ``rounds`` interleaved rounds.

    Every round calls each contender once, in turn (ours, theirs, ours, theirs, ...), after one
    untimed warm-up call each: a slow spell of a noisy machine then hits every contender alike.
    """
    for fn in contenders.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: sorted(t)[len(t) // 2] for name, t in times.items()}
