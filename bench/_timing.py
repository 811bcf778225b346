"""Shared helpers: medians of repeated runs, temp directories."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def median_rate(run: Callable[[Path], tuple[int, float]], repeats: int) -> float:
    """Run `run(fresh_dir)` -> (operations, seconds) `repeats` times; median ops/s."""
    rates = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            ops, seconds = run(Path(tmp))
            rates.append(ops / seconds)
    return statistics.median(rates)


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
