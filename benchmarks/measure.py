"""Measuring, and nothing else: medians per call, calls per second, import time, peak memory."""

from __future__ import annotations

import asyncio
import gc
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def drain(it: Iterator[Any]) -> int:
    n = 0
    for _ in it:
        n += 1
    return n


async def concurrent(fn: Callable[[], Any], total: int, in_flight: int) -> float:
    """Calls per second for ``total`` async calls with ``in_flight`` at once."""
    sem = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with sem:
            await fn()

    await asyncio.gather(*(one() for _ in range(in_flight)))  # warm the pools
    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(total)))
    return total / (time.perf_counter() - start)


def import_time(statement: str, repeats: int) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
            ).stdout
        )
        for _ in range(repeats)
    ]
    return statistics.median(samples)


def peak_memory(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def paired(
    fns: dict[str, Callable[[], Any]], calls: int, rounds: int, collector: bool = True
) -> dict[str, float]:
    """Median seconds per call of each function, their rounds alternated (A, B, C, A, B, C ...)
    so that a busy machine's drift falls on all of them alike; ratios are taken of medians."""
    for fn in fns.values():
        fn()  # pools, imports, caches
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            gc.collect()
            if not collector:
                gc.disable()
            try:
                start = time.perf_counter()
                for _ in range(calls):
                    fn()
                samples[name].append((time.perf_counter() - start) / calls)
            finally:
                gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}
