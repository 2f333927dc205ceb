"""Allocation counts, ours beside the floors, against the fixed server on loopback.

    python -m benchmarks.allocs            # every row
    python -m benchmarks.allocs --where    # also: which files hold the blocks a reply keeps

Per call (``chat``, ``invoke``, and one awaited ``achat`` / ``ainvoke``), counted over many calls
whose replies are all kept, divided by the calls:

- ``blocks``: memory blocks still allocated after the call (``sys.getallocatedblocks``): the reply
  and everything it holds, plus what was left for the collector.
- ``tracked``: objects the collector tracks, created and not freed (``gc.get_count()`` with the
  collector off): what moves the next collector pass nearer.
- ``cyclic``: objects left in reference cycles, which only the collector frees (results
  dropped, collector off, then counted by ``gc.collect()``).
- ``peak KiB``: the most memory the call had allocated at once (``tracemalloc``), temporaries
  included.

Per chunk (``stream_chat`` / ``stream``, 200 text chunks, every chunk kept): the same over the
stream, divided by the chunks the wire sends. Collector passes (``gc.get_stats()``, young and
full) are counted per 1,000 calls at 200 in flight for the async rows, and per 1,000 chunks for
the streams, with the collector running as usual, and for the async rows the time spent in
them per call (``gc.callbacks``).

In flight (the async calls): the objects the collector tracks that are alive per call while
100 calls wait on a loopback server that reads each request and never answers, and which of
them are our own classes. With many calls in flight each of them is promoted by the collector,
and promotions are what trigger its full passes (BENCHMARKS.md, "Close to the floor").
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import linecache
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks.measure import ROOT, drain
from benchmarks.peers import (
    FixedServer,
    _lc_floor,
    _li_floor,
    async_floors,
    floors,
    li_messages,
    make_clients,
    raw_httpx_events,
)

CHUNKS = 200
FRAMES = CHUNKS + 2  # a reasoning frame, the text frames, the finish frame


def _passes() -> tuple[int, int]:
    stats = gc.get_stats()
    return stats[0]["collections"], stats[2]["collections"]


def kept(run: Callable[[], Any], n: int) -> tuple[float, float]:
    """Blocks and tracked objects per call over ``n`` calls whose results are all kept."""
    run()
    gc.collect()
    gc.disable()
    try:
        held = []
        blocks, tracked = sys.getallocatedblocks(), gc.get_count()[0]
        for _ in range(n):
            held.append(run())
        blocks = sys.getallocatedblocks() - blocks
        tracked = gc.get_count()[0] - tracked
    finally:
        gc.enable()
    del held
    return blocks / n, tracked / n


def garbage(run: Callable[[], Any], n: int) -> float:
    """Objects per call only the collector frees (in reference cycles), results dropped."""
    run()
    gc.collect()
    gc.disable()
    try:
        for _ in range(n):
            run()
    finally:
        found = gc.collect()
        gc.enable()
    return found / n


def peak(run: Callable[[], Any]) -> float:
    """KiB allocated at most at once during one call."""
    run()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        return (tracemalloc.get_traced_memory()[1] - base) / 1024
    finally:
        tracemalloc.stop()


def where(run: Callable[[], Any], top: int = 12) -> list[str]:
    """The files whose lines allocated the blocks ``run``'s results keep, most first."""
    run()
    gc.collect()
    tracemalloc.start(1)
    try:
        before = tracemalloc.take_snapshot()
        held = [run() for _ in range(20)]
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    del held
    out = []
    for stat in after.compare_to(before, "lineno")[:top]:
        frame = stat.traceback[0]
        name = str(Path(frame.filename)).split("site-packages/")[-1].replace(str(ROOT) + "/", "")
        line = linecache.getline(frame.filename, frame.lineno).strip()[:60]
        out.append(f"    {stat.count_diff / 20:7.1f} blocks  {name}:{frame.lineno}  {line}")
    return out


def passes_sync(run: Callable[[], Any], calls: int) -> tuple[float, float]:
    gc.collect()
    young, full = _passes()
    for _ in range(calls):
        run()
    y, f = _passes()
    return (y - young) * 1000 / calls, (f - full) * 1000 / calls


async def passes_async(
    fn: Callable[[], Any], total: int, in_flight: int
) -> tuple[float, float, float, float]:
    """Young and full collector passes per 1,000 calls, and microseconds spent in each kind per
    call (``gc.callbacks``), ``total`` calls at ``in_flight`` at once."""
    import time

    sem = asyncio.Semaphore(in_flight)
    spent = [0.0, 0.0]
    started = [0.0]

    def timed(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[info["generation"] == 2] += time.perf_counter() - started[0]

    async def one() -> None:
        async with sem:
            await fn()

    await asyncio.gather(*(one() for _ in range(in_flight)))
    gc.collect()
    young, full = _passes()
    gc.callbacks.append(timed)
    try:
        await asyncio.gather(*(one() for _ in range(total)))
    finally:
        gc.callbacks.remove(timed)
    y, f = _passes()
    per = 1e6 / total
    return (y - young) * 1000 / total, (f - full) * 1000 / total, spent[0] * per, spent[1] * per


_OURS = ("glm_transport", "langchain_glm", "llama_index_glm")


async def held_in_flight(fn: Callable[[], Any], calls: int = 100) -> tuple[float, dict[str, float]]:
    """Objects the collector tracks, alive per call while ``calls`` calls wait on a server that
    reads each request and never answers; and those of our own classes among them, by class.

    ``fn`` must send to the silent server (see :func:`silent_server`).
    """
    import collections

    gc.collect()
    before = {id(o) for o in gc.get_objects()}
    tasks = [asyncio.ensure_future(fn()) for _ in range(calls)]
    for _ in range(200):  # until every request has reached the server
        await asyncio.sleep(0.01)
        if _SILENT["arrived"] >= calls:
            break
    await asyncio.sleep(0.05)
    gc.collect()
    new = [o for o in gc.get_objects() if id(o) not in before]
    ours = collections.Counter(
        type(o).__qualname__ for o in new if type(o).__module__.startswith(_OURS)
    )
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    _SILENT["arrived"] = 0
    return len(new) / calls, {k: v / calls for k, v in sorted(ours.items())}


_SILENT = {"arrived": 0}


async def silent_server() -> tuple[asyncio.AbstractServer, str]:
    """A loopback server that reads each request and never answers; its base URL."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(65536)
            _SILENT["arrived"] += 1
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/api/paas/v4"


def row(
    name: str, per: str, blocks: float, tracked: float, cyclic: float, kib: float, p: Any
) -> str:
    passes = f"{p[0]:.1f} / {p[1]:.2f}"
    return (
        f"| {name} | {per} | {blocks:,.1f} | {tracked:,.1f} | {cyclic:,.1f} | {kib:,.1f} "
        f"| {passes} |"
    )


def run_all(show_where: bool) -> list[str]:
    lines = [
        "| what | per | blocks | tracked | cyclic | peak KiB | passes young / full per 1,000 |",
        "|---|---|---|---|---|---|---|",
    ]
    details: list[str] = []
    with FixedServer() as server, httpx.Client() as http:
        c = make_clients(server.base_url, CHUNKS)
        msgs = li_messages()
        fl = floors(http, server.url, CHUNKS)
        calls = {
            "GLM.chat": lambda: c["GLM"].chat(msgs),
            "chat floor": fl["chat floor"],
            "ChatGLM.invoke": lambda: c["ChatGLM"].invoke("Hello"),
            "invoke floor": fl["invoke floor"],
        }
        for name, fn in calls.items():
            b, t = kept(fn, 200)
            g = garbage(fn, 200)
            lines.append(row(name, "call", b, t, g, peak(fn), passes_sync(fn, 1000)))
            if show_where:
                details += [f"{name}, per call:", *where(fn)]
        # The floors, their chunks kept like ours: minimal models over the raw stream.
        events = raw_httpx_events(http, server.url, CHUNKS)
        lc, li = _lc_floor(frames=events), _li_floor(frames=events)
        streams = {
            "GLM.stream_chat": lambda: list(c["GLM"].stream_chat(msgs)),
            "stream_chat floor": lambda: list(li.stream_chat(msgs)),
            "ChatGLM.stream": lambda: list(c["ChatGLM"].stream("Hello")),
            "stream floor": lambda: list(lc.stream("Hello")),
        }
        drains = {
            "GLM.stream_chat": lambda: drain(c["GLM"].stream_chat(msgs)),
            "stream_chat floor": fl["stream_chat floor"],
            "ChatGLM.stream": lambda: drain(c["ChatGLM"].stream("Hello")),
            "stream floor": fl["stream floor"],
        }
        for name, fn in streams.items():
            b, t = kept(fn, 20)
            y, f = passes_sync(drains[name], 50)  # per 1,000 streams
            per_chunk = (y / FRAMES, f / FRAMES)
            g = garbage(drains[name], 20) / FRAMES
            kib = peak(drains[name]) / FRAMES
            lines.append(row(name, "chunk", b / FRAMES, t / FRAMES, g, kib, per_chunk))
            if show_where:
                details += [f"{name}, per stream of {FRAMES} frames:", *where(fn)]

        async def async_rows() -> None:
            import aiohttp

            import glm_transport

            # As in benchmarks.run: a pool as large as ours, so no floor call waits for a
            # connection (aiohttp's default is 100, with 200 calls in flight).
            connector = aiohttp.TCPConnector(limit=1000)
            async with aiohttp.ClientSession(connector=connector) as session:
                af = async_floors(session, server.url)
                fns = {
                    "GLM.achat": lambda: c["GLM"].achat(msgs),
                    "achat floor": af["achat floor"],
                    "ChatGLM.ainvoke": lambda: c["ChatGLM"].ainvoke("Hello"),
                    "ainvoke floor": af["ainvoke floor"],
                }
                for name, fn in fns.items():
                    await fn()
                    gc.collect()
                    gc.disable()
                    try:
                        blocks, tracked = sys.getallocatedblocks(), gc.get_count()[0]
                        held = [await fn() for _ in range(200)]
                        blocks = (sys.getallocatedblocks() - blocks) / 200
                        tracked = (gc.get_count()[0] - tracked) / 200
                    finally:
                        gc.enable()
                    del held
                    gc.collect()
                    gc.disable()
                    try:
                        for _ in range(200):
                            await fn()
                    finally:
                        cyclic = gc.collect() / 200
                        gc.enable()
                    tracemalloc.start()
                    base = tracemalloc.get_traced_memory()[0]
                    tracemalloc.reset_peak()
                    await fn()
                    kib = (tracemalloc.get_traced_memory()[1] - base) / 1024
                    tracemalloc.stop()
                    p = await passes_async(fn, 2000, 200)
                    lines.append(row(name, "call", blocks, tracked, cyclic, kib, p))
                    spent[name] = p[2], p[3]
            await glm_transport.aclose_shared_clients()
            # What a call holds while it waits on the network, parked on a silent server.
            silent, base_url = await silent_server()
            sc = make_clients(base_url, CHUNKS)
            connector = aiohttp.TCPConnector(limit=1000)
            async with aiohttp.ClientSession(connector=connector) as session:
                sf = async_floors(session, base_url + "/chat/completions")
                parked = {
                    "GLM.achat": lambda: sc["GLM"].achat(msgs),
                    "achat floor": sf["achat floor"],
                    "ChatGLM.ainvoke": lambda: sc["ChatGLM"].ainvoke("Hello"),
                    "ainvoke floor": sf["ainvoke floor"],
                }
                for name, fn in parked.items():
                    await held_in_flight(fn, 20)  # warm: caches and pools built once
                    total, ours = await held_in_flight(fn)
                    shown = ", ".join(f"{k} {v:.2f}" for k, v in ours.items()) or "-"
                    young, full = spent[name]
                    flight.append(f"| {name} | {total:.1f} | {shown} | {young:.1f} / {full:.1f} |")
            await glm_transport.aclose_shared_clients()
            silent.close()

        spent: dict[str, tuple[float, float]] = {}
        flight = [
            "",
            "| what | tracked objects alive per call in flight | ours among them, per call "
            "| collector time per call, young / full (us) |",
            "|---|---|---|---|",
        ]
        asyncio.run(async_rows())
    return lines + flight + (["", *details] if details else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--where", action="store_true", help="which files hold the blocks")
    args = parser.parse_args()
    print("\n".join(run_all(args.where)))


if __name__ == "__main__":
    main()
