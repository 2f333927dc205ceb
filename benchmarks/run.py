"""Side-by-side benchmarks: glm-integrations against the peers users would otherwise pick and
against the physical floor (the raw client plus the framework's own no-I/O machinery), in one
run, all pointed at the same fixed-response server on loopback.

    pip install -e ".[bench]"
    python -m benchmarks.run            # the whole suite (a few minutes)
    python -m benchmarks.run --quick    # under a minute
    python -m benchmarks.run --write    # also rewrite the table in BENCHMARKS.md

Figures are medians over alternated rounds; ratios are taken between figures of the same run.
What is compared with what, and the target of each comparison, is the table ``COMPARISONS``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.measure import concurrent, drain, import_time, paired, peak_memory
from benchmarks.peers import (
    MODEL,
    FixedServer,
    async_floors,
    embedders,
    floors,
    li_messages,
    make_clients,
    raw_httpx_call,
    raw_httpx_stream,
)
from benchmarks.report import Row, machine, table, write_benchmarks_md


@dataclass(frozen=True)
class Compare:
    """One row: ``ours`` against ``peer`` (keys of the measurements), with an optional target
    for ours/peer (at most, or at least for rates)."""

    label: str
    ours: str
    peer: str
    unit: str = "s"
    target: float | None = None
    higher_is_better: bool = False


COMPARISONS = [
    Compare("invoke, per call", "call/ChatGLM", "call/ChatOpenAI", target=0.6),
    Compare("invoke, per call", "call/ChatGLM", "call/ChatZhipuAI"),
    Compare("invoke, per call", "call/ChatGLM", "call/invoke floor", target=1.03),
    Compare("chat, per call", "call/GLM", "call/OpenAILike", target=0.8),
    Compare("chat, per call", "call/GLM", "call/chat floor", target=1.03),
    Compare("stream, 200 chunks", "s200/ChatGLM", "s200/ChatOpenAI", target=0.3),
    Compare("stream, 200 chunks", "s200/ChatGLM", "s200/ChatZhipuAI"),
    Compare("stream, 200 chunks", "s200/ChatGLM", "s200/stream floor", target=1.10),
    Compare("stream, 200 chunks", "s200/GLM", "s200/OpenAILike", target=0.5),
    Compare("stream, 200 chunks", "s200/GLM", "s200/stream_chat floor", target=1.10),
    Compare("stream, 20,000 chunks", "s20k/ChatGLM", "s20k/ChatOpenAI"),
    Compare("stream, 20,000 chunks", "s20k/ChatGLM", "s20k/stream floor"),
    Compare("stream, 20,000 chunks", "s20k/GLM", "s20k/OpenAILike"),
    Compare("stream, 20,000 chunks", "s20k/GLM", "s20k/stream_chat floor"),
    Compare("20,000 vs 200 chunks (linearity)", "s20k/ChatGLM", "s200/ChatGLM", target=110),
    Compare("20,000 vs 200 chunks (linearity)", "s20k/GLM", "s200/GLM", target=110),
    Compare("20,000 vs 200 chunks (linearity)", "s20k/ChatGLM, collector paused",
            "s200/ChatGLM, collector paused", target=110),
    Compare("20,000 vs 200 chunks (linearity)", "s20k/ChatGLM._stream, collector paused",
            "s200/ChatGLM._stream, collector paused", target=110),
    Compare("20,000 vs 200 chunks (linearity)", "s20k/LangChain machinery",
            "s200/LangChain machinery"),
    Compare("peak memory, long stream", "mem/ChatGLM", "mem/ChatOpenAI", "MB"),
    Compare("peak memory, long stream", "mem/GLM", "mem/OpenAILike", "MB"),
    Compare("async calls, 200 in flight", "async/ChatGLM", "async/ChatOpenAI", "/s", 5, True),
    Compare("async calls, 200 in flight", "async/ChatGLM", "async/ainvoke floor", "/s", 0.95, True),
    Compare("async calls, 200 in flight", "async/ChatGLM", "async/ainvoke floor, I/O outside",
            "/s", None, True),
    Compare("async calls, 200 in flight", "async/GLM", "async/OpenAILike", "/s", None, True),
    Compare("async calls, 200 in flight", "async/GLM", "async/achat floor", "/s", 0.9, True),
    Compare("embed 10,000 texts", "embed/GLMEmbeddings", "embed/OpenAIEmbeddings", "/s", None, True),
    Compare("embed 10,000 texts", "embed/GLMEmbeddings", "embed/ZhipuAIEmbeddings (community)",
            "/s", None, True),
    Compare("embed 10,000 texts", "embed/GLMEmbedding", "embed/OpenAIEmbedding", "/s", None, True),
    Compare("embed 10,000 texts, peak memory", "embedmem/GLMEmbeddings",
            "embedmem/OpenAIEmbeddings", "MB"),
    Compare("import (package)", "import/langchain_glm", "import/langchain_openai", target=0.3),
    Compare("import (chat class)", "import/ChatGLM", "import/ChatOpenAI"),
    Compare("import (package)", "import/llama_index_glm", "import/openai_like", target=0.75),
    Compare("import (LLM class)", "import/GLM", "import/OpenAILike"),
]  # fmt: skip


# ``--floors``: ours and the floors only (the rows issue 27 set goals for).
FLOOR_ROWS = {"ChatGLM", "GLM", "invoke floor", "chat floor", "stream floor", "stream_chat floor",
              "ainvoke floor", "achat floor", "ainvoke floor, I/O outside"}  # fmt: skip


def _only(fns: dict[str, Any], only: set[str] | None) -> dict[str, Any]:
    return fns if only is None else {k: v for k, v in fns.items() if k in only}


def measure_calls(
    server: FixedServer, http: httpx.Client, counts: tuple[int, int], only: set[str] | None = None
) -> dict[str, float]:
    c = make_clients(server.base_url, 200)
    msgs = li_messages()
    fns: dict[str, Any] = {
        name: (lambda m=m: m.invoke("Hello")) for name, m in c.items() if name.startswith("Chat")
    }
    fns["GLM"] = lambda: c["GLM"].chat(msgs)
    fns["OpenAILike"] = lambda: c["OpenAILike"].chat(msgs)
    fns["raw httpx"] = raw_httpx_call(http, server.url)
    fl = floors(http, server.url, 200)
    fns["invoke floor"], fns["chat floor"] = fl["invoke floor"], fl["chat floor"]
    return {f"call/{k}": v for k, v in paired(_only(fns, only), *counts).items()}


def measure_streams(
    server: FixedServer,
    http: httpx.Client,
    n: int,
    key: str,
    counts: tuple[int, int],
    only: set[str] | None = None,
) -> dict[str, float]:
    c = make_clients(server.base_url, n)
    msgs = li_messages()
    fl = floors(http, server.url, n)
    fns: dict[str, Any] = {
        "ChatGLM": lambda: drain(c["ChatGLM"].stream("Hello")),
        "ChatOpenAI": lambda: drain(c["ChatOpenAI"].stream("Hello")),
        "GLM": lambda: drain(c["GLM"].stream_chat(msgs)),
        "OpenAILike": lambda: drain(c["OpenAILike"].stream_chat(msgs)),
        "raw httpx + SSE": raw_httpx_stream(http, server.url, n),
        **{k: fl[k] for k in ("stream floor", "stream_chat floor", "LangChain machinery")},
    }
    if n == 200:  # ChatZhipuAI sends no chunk-count header: only the default 200
        fns["ChatZhipuAI"] = lambda: drain(c["ChatZhipuAI"].stream("Hello"))
    out = {f"{key}/{k}": v for k, v in paired(_only(fns, only), *counts).items()}
    if only is not None:
        return out
    # The same with Python's cyclic collector paused: isolates its full passes over the chunks
    # LangChain's stream() keeps for on_llm_end (see BENCHMARKS.md).
    # And our own code alone: ChatGLM._stream is the transport and the chunk conversion, without
    # LangChain's stream() around it (which keeps and merges every chunk for on_llm_end).
    from langchain_core.messages import HumanMessage

    own = [HumanMessage("Hello")]
    paused = paired(
        {"ChatGLM": fns["ChatGLM"], "ChatGLM._stream": lambda: drain(c["ChatGLM"]._stream(own))},
        *counts,
        collector=False,
    )
    for name, value in paused.items():
        out[f"{key}/{name}, collector paused"] = value
    return out


def measure_memory(server: FixedServer, n: int) -> dict[str, float]:
    c = make_clients(server.base_url, n)
    msgs = li_messages()
    return {
        "mem/ChatGLM": peak_memory(lambda: drain(c["ChatGLM"].stream("Hello"))),
        "mem/ChatOpenAI": peak_memory(lambda: drain(c["ChatOpenAI"].stream("Hello"))),
        "mem/GLM": peak_memory(lambda: drain(c["GLM"].stream_chat(msgs))),
        "mem/OpenAILike": peak_memory(lambda: drain(c["OpenAILike"].stream_chat(msgs))),
    }


async def measure_concurrency(
    server: FixedServer, total: int, rounds: int, only: set[str] | None = None
) -> dict[str, float]:
    """Calls per second, ``total`` calls at 200 in flight, rounds alternated between the
    functions (A, B, C, A, B, C ...) and the median taken: one round holds only a few of the
    collector's full passes, so single rounds swing with when those fall."""
    import aiohttp

    import glm_transport

    c = make_clients(server.base_url, 200)
    msgs = li_messages()
    samples: dict[str, list[float]] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000)) as session:
        fns = {
            **async_floors(session, server.url),
            "ChatGLM": lambda: c["ChatGLM"].ainvoke("Hello"),
            "ChatOpenAI": lambda: c["ChatOpenAI"].ainvoke("Hello"),
            "GLM": lambda: c["GLM"].achat(msgs),
            "OpenAILike": lambda: c["OpenAILike"].achat(msgs),
        }
        for _ in range(rounds):
            for name, fn in _only(fns, only).items():
                gc.collect()
                samples.setdefault(name, []).append(await concurrent(fn, total, 200))
    await glm_transport.aclose_shared_clients()
    return {f"async/{k}": statistics.median(v) for k, v in samples.items()}


def measure_embeddings(server: FixedServer, n: int) -> dict[str, float]:
    """Texts per second and peak memory embedding ``n`` short texts, each library batching as
    it does by default."""
    texts = [f"short text number {i}" for i in range(n)]
    out: dict[str, float] = {}
    for name, embed in embedders(server.base_url).items():
        embed(texts[:10])  # warm
        started = time.perf_counter()
        embed(texts)
        out[f"embed/{name}"] = n / (time.perf_counter() - started)
        if name in ("GLMEmbeddings", "OpenAIEmbeddings"):
            out[f"embedmem/{name}"] = peak_memory(lambda e=embed: e(texts))
    return out


def measure_imports(repeats: int) -> dict[str, float]:
    statements = {
        "langchain_glm": "import langchain_glm",
        "langchain_openai": "import langchain_openai",
        "ChatGLM": "from langchain_glm import ChatGLM",
        "ChatOpenAI": "from langchain_openai import ChatOpenAI",
        "llama_index_glm": "import llama_index_glm",
        "openai_like": "import llama_index.llms.openai_like",
        "GLM": "from llama_index_glm import GLM",
        "OpenAILike": "from llama_index.llms.openai_like import OpenAILike",
    }
    return {f"import/{k}": import_time(s, repeats) for k, s in statements.items()}


def run_floors(repeats: int) -> list[Row]:
    """Ours against the floors only, full-run counts, every measure taken ``repeats`` times
    (rounds alternated within each, as in the full run): a ratio per repeat."""
    m: dict[str, list[float]] = {}
    with FixedServer() as server, httpx.Client() as http:
        for _ in range(repeats):
            got = measure_calls(server, http, (150, 13), FLOOR_ROWS)
            got |= measure_streams(server, http, 200, "s200", (25, 11), FLOOR_ROWS)
            got |= asyncio.run(measure_concurrency(server, 2000, 7, FLOOR_ROWS))
            for k, v in got.items():
                m.setdefault(k, []).append(v)
    return [
        Row(c.label, c.ours.split("/", 1)[1], a, c.peer.split("/", 1)[1], b, c.unit, c.target,
            c.higher_is_better)
        for c in COMPARISONS
        if c.ours in m and c.peer in m
        for a, b in zip(m[c.ours], m[c.peer])
    ]  # fmt: skip


def run_suite(quick: bool, smoke: bool = False) -> tuple[list[Row], list[str]]:
    """``smoke``: every code path once with tiny counts (the test suite runs this)."""
    # Many short alternated rounds: on a shared machine a burst of load then falls on a few
    # rounds of every function, which the median leaves out.
    calls = (2, 1) if smoke else (50, 3) if quick else (150, 13)
    s200 = (1, 1) if smoke else (10, 3) if quick else (25, 11)
    s20k = (1, 1) if smoke else (1, 1) if quick else (2, 3)
    big, n_mem = (2_000, 500) if smoke else (20_000, 5_000) if quick else (20_000, 20_000)
    a_rounds = 1 if smoke else 3 if quick else 5
    m: dict[str, float] = {}
    with FixedServer() as server, httpx.Client() as http:
        m |= measure_calls(server, http, calls)
        m |= measure_streams(server, http, 200, "s200", s200)
        m |= measure_streams(server, http, big, "s20k", s20k)
        m |= measure_memory(server, n_mem)
        m |= asyncio.run(
            measure_concurrency(server, 50 if smoke else 600 if quick else 2000, a_rounds)
        )
        m |= measure_embeddings(server, 200 if smoke else 10_000)
    if not smoke:
        m |= measure_imports(1 if quick else 7)
    rows = [
        Row(c.label, c.ours.split("/", 1)[1], m[c.ours], c.peer.split("/", 1)[1], m[c.peer],
            c.unit, c.target, c.higher_is_better)
        for c in COMPARISONS
        if c.ours in m and c.peer in m
    ]  # fmt: skip
    notes = [
        f"Streams of {big:,} chunks stand for the 20,000-chunk rows; peak memory is traced over "
        f"a {n_mem:,}-chunk stream. Floors: the raw client doing the wire work (httpx post or "
        "stream with a minimal SSE split and json.loads per frame; aiohttp for async) inside a "
        "minimal model of the framework building the same reply (reasoning, usage, ids, finish "
        f"reason) with its plain constructors, model {MODEL}."
    ]
    return rows, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--write", action="store_true", help="rewrite the table in BENCHMARKS.md")
    parser.add_argument("--smoke", action="store_true", help="every path once, tiny counts")
    parser.add_argument(
        "--floors", type=int, metavar="N", help="ours against the floors only, N repeats"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    if args.floors:
        print(table(run_floors(args.floors)))
        print(f"{time.perf_counter() - started:.0f}s on {machine()}")
        return
    rows, notes = run_suite(args.quick, args.smoke)
    out = table(rows)
    print(out)
    for note in notes:
        print(note)
    missed = [r for r in rows if r.holds == "NO"]
    print(
        f"\n{len(rows)} figures, {sum(1 for r in rows if r.holds == 'yes')} targets held, "
        f"{len(missed)} missed; {time.perf_counter() - started:.0f}s on {machine()}"
    )
    if args.write:
        write_benchmarks_md(out, notes, args.quick)


if __name__ == "__main__":
    main()
