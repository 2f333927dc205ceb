"""What an object held through a call's I/O costs, with 200 calls in flight.

    python -m benchmarks.held

The LangChain ``ainvoke`` floor (``benchmarks.peers``) against the same floor holding a few
more objects the collector tracks (empty lists) from before its request until its reply, and
against the floor making more objects that die at once or after the reply. Rounds alternate
(A, B, C, ...), medians are taken; the process has every peer loaded, as ``benchmarks.run`` has,
so a full collector pass walks the same heap.

What it shows (BENCHMARKS.md, "Close to the floor"): objects alive through the I/O are promoted
by the collector (each survives its young passes), promotions trigger its full passes, and a
full pass walks the whole heap. Objects that die before the I/O, or are made after it, cost
next to nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks.measure import concurrent
from benchmarks.peers import FixedServer, async_floors, make_clients


def _variants(floor: Callable[[], Awaitable[Any]]) -> dict[str, Callable[[], Awaitable[Any]]]:
    def held(n: int) -> Callable[[], Awaitable[Any]]:
        async def call() -> Any:
            keep: list[list[int]] = [[] for _ in range(n)]  # alive until the reply is back
            return await floor(), keep

        return call

    async def before_only() -> Any:
        made: list[list[int]] = [[] for _ in range(40)]
        del made  # dead before the request goes out
        return await floor()

    async def after() -> Any:
        reply = await floor()
        return reply, [[] for _ in range(40)]  # made once the reply is back

    return {
        "ainvoke floor": floor,
        "+5 held through the I/O": held(5),
        "+40 dead before it": before_only,
        "+40 made after it": after,
    }


async def _run(server: FixedServer, rounds: int, total: int) -> list[str]:
    import aiohttp

    make_clients(server.base_url, 200)  # every peer loaded: the heap a full pass walks
    connector = aiohttp.TCPConnector(limit=1000)
    async with aiohttp.ClientSession(connector=connector) as session:
        fns = _variants(async_floors(session, server.url)["ainvoke floor"])
        speed: dict[str, list[float]] = {k: [] for k in fns}
        passes: dict[str, list[int]] = {k: [0, 0] for k in fns}
        for _ in range(rounds):
            for name, fn in fns.items():
                gc.collect()
                before = gc.get_stats()
                speed[name].append(await concurrent(fn, total, 200))
                after = gc.get_stats()
                passes[name][0] += after[0]["collections"] - before[0]["collections"]
                passes[name][1] += after[2]["collections"] - before[2]["collections"]
    calls = rounds * (total + 200)
    base = statistics.median(speed["ainvoke floor"])
    lines = [
        "| variant | calls/s | vs the floor | passes young / full per 1,000 calls |",
        "|---|---|---|---|",
    ]
    for name, samples in speed.items():
        rate = statistics.median(samples)
        young, full = (p * 1000 / calls for p in passes[name])
        lines.append(f"| {name} | {rate:,.0f} | {rate / base:.2f}x | {young:.1f} / {full:.2f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000, help="calls per round")
    args = parser.parse_args()
    with FixedServer() as server:
        print("\n".join(asyncio.run(_run(server, args.rounds, args.calls))))


if __name__ == "__main__":
    main()
