"""Side-by-side benchmarks: glm-integrations against the peers users would otherwise pick, in one
run, all pointed at the same fixed-response server on loopback.

    pip install -e ".[bench]"
    python -m benchmarks.run            # the whole suite (a few minutes)
    python -m benchmarks.run --quick    # under a minute
    python -m benchmarks.run --write    # also rewrite the table in BENCHMARKS.md

Figures are medians over repeated rounds; ratios are taken between figures of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from benchmarks._servers import free_port

ROOT = Path(__file__).resolve().parent.parent
MODEL = "glm-5-turbo"
KEY = "bench-id.bench-secret-0123456789"
MESSAGES = [{"role": "user", "content": "Hello"}]


# ---- the server -------------------------------------------------------------------------------


class FixedServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/api/paas/v4"
        self.url = self.base_url + "/chat/completions"

    def __enter__(self) -> FixedServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.fixed_server", "--port", str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                httpx.post(self.url, json={"model": MODEL, "messages": MESSAGES}, timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("fixed server did not start")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# ---- clients ----------------------------------------------------------------------------------


def chunks_header(n: int) -> dict[str, str]:
    return {"x-chunks": str(n)}


def make_clients(base_url: str, chunks: int) -> dict[str, Any]:
    from langchain_community.chat_models import ChatZhipuAI
    from langchain_openai import ChatOpenAI
    from llama_index.llms.openai_like import OpenAILike

    from langchain_glm import ChatGLM
    from llama_index_glm import GLM

    headers = chunks_header(chunks)
    return {
        "ChatGLM": ChatGLM(model=MODEL, base_url=base_url, api_key=KEY, default_headers=headers),
        "ChatOpenAI": ChatOpenAI(
            model=MODEL, base_url=base_url, api_key=KEY, default_headers=headers
        ),
        "ChatZhipuAI": ChatZhipuAI(
            model=MODEL, api_base=base_url + "/chat/completions", api_key=KEY
        ),
        "GLM": GLM(model=MODEL, base_url=base_url, api_key=KEY, default_headers=headers),
        "OpenAILike": OpenAILike(
            model=MODEL,
            api_base=base_url,
            api_key=KEY,
            is_chat_model=True,
            is_function_calling_model=True,
            context_window=128000,
            default_headers=headers,
        ),
    }


def li_messages() -> list[Any]:
    from llama_index.core.base.llms.types import ChatMessage

    return [ChatMessage(role="user", content="Hello")]


# ---- measuring --------------------------------------------------------------------------------


def per_call(
    fn: Callable[[], Any], calls: int, rounds: int, warm: bool = True, collector: bool = True
) -> float:
    """Median seconds per call over ``rounds`` rounds of ``calls`` calls."""
    if warm:
        fn()  # pools, imports, caches
    samples = []
    for _ in range(rounds):
        gc.collect()
        if not collector:
            gc.disable()
        try:
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples.append((time.perf_counter() - start) / calls)
        finally:
            gc.enable()
    return statistics.median(samples)


def drain(it: Iterator[Any]) -> int:
    n = 0
    for _ in it:
        n += 1
    return n


def raw_httpx_call(client: httpx.Client, url: str) -> Callable[[], Any]:
    body = {"model": MODEL, "messages": MESSAGES}
    return lambda: client.post(url, json=body, headers={"Authorization": "Bearer x"}).json()


def raw_httpx_stream(client: httpx.Client, url: str, chunks: int) -> Callable[[], Any]:
    body = {"model": MODEL, "messages": MESSAGES, "stream": True}

    def run() -> int:
        n = 0
        with client.stream("POST", url, json=body, headers=chunks_header(chunks)) as r:
            for line in r.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    json.loads(line[6:])
                    n += 1
        return n

    return run


def langchain_floor(chunks: int) -> Callable[[], Any]:
    """LangChain's own streaming machinery with no I/O: a model yielding the same chunks."""
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk, ChatResult

    pieces = [f"t{i} " for i in range(chunks)]

    class Trivial(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "trivial"

        def _generate(self, *a: Any, **k: Any) -> ChatResult:
            raise NotImplementedError

        def _stream(self, *a: Any, **k: Any) -> Iterator[ChatGenerationChunk]:
            for p in pieces:
                yield ChatGenerationChunk(message=AIMessageChunk(content=p))

    model = Trivial()
    return lambda: drain(model.stream("Hello"))


def llama_index_floor(chunks: int) -> Callable[[], Any]:
    """LlamaIndex's own streaming machinery with no I/O: cumulative ChatResponses, callbacks."""
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ChatResponse,
        CompletionResponse,
        LLMMetadata,
    )
    from llama_index.core.llms import CustomLLM
    from llama_index.core.llms.callbacks import llm_chat_callback

    pieces = [f"t{i} " for i in range(chunks)]

    class Trivial(CustomLLM):
        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(is_chat_model=True)

        def complete(self, prompt: str, formatted: bool = False, **kw: Any) -> CompletionResponse:
            raise NotImplementedError

        def stream_complete(self, prompt: str, formatted: bool = False, **kw: Any) -> Any:
            raise NotImplementedError

        @llm_chat_callback()
        def stream_chat(self, messages: Any, **kw: Any) -> Any:
            def gen() -> Iterator[ChatResponse]:
                text = ""
                for p in pieces:
                    text += p
                    yield ChatResponse(message=ChatMessage(role="assistant", content=text), delta=p)

            return gen()

    model = Trivial()
    msgs = li_messages()
    return lambda: drain(model.stream_chat(msgs))


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


# ---- the suite --------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    ours: str
    ours_value: float
    peer: str
    peer_value: float
    unit: str
    target: float | None = None  # ours/peer must be <= target (or >= for "higher" rows)
    higher_is_better: bool = False

    @property
    def ratio(self) -> float:
        return self.ours_value / self.peer_value if self.peer_value else float("nan")

    @property
    def holds(self) -> str:
        if self.target is None:
            return ""
        ok = self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target
        return "yes" if ok else "NO"

    def cells(self) -> list[str]:
        sign = ">=" if self.higher_is_better else "<="
        return [
            self.what,
            f"{self.ours} {fmt(self.ours_value, self.unit)}",
            f"{self.peer} {fmt(self.peer_value, self.unit)}",
            f"{self.ratio:.2f}x",
            f"{sign} {self.target}x" if self.target is not None else "",
            self.holds,
        ]


def fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1e6:,.0f} us" if value < 0.01 else f"{value * 1e3:,.1f} ms"
    if unit == "/s":
        return f"{value:,.0f}/s"
    return f"{value:,.1f} {unit}"


def run_suite(quick: bool, smoke: bool = False) -> tuple[list[Row], list[str]]:
    """``smoke``: every code path once with tiny counts (the test suite runs this)."""
    rows: list[Row] = []
    notes: list[str] = []
    calls, rounds = (2, 1) if smoke else (50, 3) if quick else (300, 7)
    with FixedServer() as server:
        http = httpx.Client()
        url = server.url

        # Per call, non-streaming.
        c = make_clients(server.base_url, 200)
        raw = per_call(raw_httpx_call(http, url), calls, rounds)
        t = {
            name: per_call(lambda m=m: m.invoke("Hello"), calls, rounds)
            for name, m in c.items()
            if name.startswith("Chat")
        }
        msgs = li_messages()
        t["GLM"] = per_call(lambda: c["GLM"].chat(msgs), calls, rounds)
        t["OpenAILike"] = per_call(lambda: c["OpenAILike"].chat(msgs), calls, rounds)
        rows += [
            Row(
                "invoke, per call", "ChatGLM", t["ChatGLM"], "ChatOpenAI", t["ChatOpenAI"], "s", 0.6
            ),
            Row("invoke, per call", "ChatGLM", t["ChatGLM"], "ChatZhipuAI", t["ChatZhipuAI"], "s"),
            Row("invoke, per call", "ChatGLM", t["ChatGLM"], "raw httpx", raw, "s"),
            Row("chat, per call", "GLM", t["GLM"], "OpenAILike", t["OpenAILike"], "s", 0.8),
            Row("chat, per call", "GLM", t["GLM"], "raw httpx", raw, "s"),
        ]

        # Streaming, 200 and 20,000 chunks.
        stream_t: dict[tuple[str, int], float] = {}
        big = 2_000 if smoke else 20_000
        for n in (200, big):
            c = make_clients(server.base_url, n)
            s_calls, s_rounds = (
                (1, 1)
                if smoke
                else ((10, 3) if n == 200 else (1, 1))
                if quick
                else ((50, 5) if n == 200 else (2, 3))
            )
            w = n == 200  # the 200-chunk runs already warmed every client

            def glm_stream(m: Any = c["ChatGLM"]) -> int:
                return drain(m.stream("Hello"))

            st = {
                "ChatGLM": per_call(glm_stream, s_calls, s_rounds, w),
                "ChatOpenAI": per_call(
                    lambda m=c["ChatOpenAI"]: drain(m.stream("Hello")), s_calls, s_rounds, w
                ),
                "GLM": per_call(
                    lambda m=c["GLM"]: drain(m.stream_chat(msgs)), s_calls, s_rounds, w
                ),
                "OpenAILike": per_call(
                    lambda m=c["OpenAILike"]: drain(m.stream_chat(msgs)), s_calls, s_rounds, w
                ),
                "raw httpx + SSE": per_call(raw_httpx_stream(http, url, n), s_calls, s_rounds),
                "LangChain machinery": per_call(langchain_floor(n), s_calls, s_rounds),
                "LlamaIndex machinery": per_call(llama_index_floor(n), s_calls, s_rounds),
                # The same, with Python's cyclic collector paused: isolates its full passes
                # over the chunks LangChain's stream() keeps for on_llm_end.
                "ChatGLM, collector paused": per_call(
                    glm_stream, s_calls, s_rounds, False, collector=False
                ),
                "LangChain machinery, collector paused": per_call(
                    langchain_floor(n), s_calls, s_rounds, collector=False
                ),
            }
            if n == 200:  # ChatZhipuAI sends no chunk-count header: only the default 200
                st["ChatZhipuAI"] = per_call(
                    lambda m=c["ChatZhipuAI"]: drain(m.stream("Hello")), s_calls, s_rounds
                )
            for k, v in st.items():
                stream_t[(k, 20_000 if n == big else n)] = v
            label = f"stream, {n:,} chunks"
            if n == big:
                n = 20_000  # rows below name the 20,000-chunk figures
            rows += [
                Row(
                    label,
                    "ChatGLM",
                    st["ChatGLM"],
                    "ChatOpenAI",
                    st["ChatOpenAI"],
                    "s",
                    0.3 if n == 200 else None,
                ),
                Row(
                    label,
                    "ChatGLM",
                    st["ChatGLM"],
                    "LangChain machinery",
                    st["LangChain machinery"],
                    "s",
                ),
                Row(
                    label,
                    "GLM",
                    st["GLM"],
                    "OpenAILike",
                    st["OpenAILike"],
                    "s",
                    0.5 if n == 200 else None,
                ),
                Row(
                    label, "GLM", st["GLM"], "LlamaIndex machinery", st["LlamaIndex machinery"], "s"
                ),
                Row(label, "ChatGLM", st["ChatGLM"], "raw httpx + SSE", st["raw httpx + SSE"], "s"),
            ]
            if n == 200:
                rows.append(
                    Row(label, "ChatGLM", st["ChatGLM"], "ChatZhipuAI", st["ChatZhipuAI"], "s")
                )
        for ours in ("ChatGLM", "GLM"):
            rows.append(
                Row(
                    "20,000 vs 200 chunks (linearity)",
                    ours,
                    stream_t[(ours, 20_000)],
                    f"{ours} at 200",
                    stream_t[(ours, 200)],
                    "s",
                    110,
                )
            )
        for name in (
            "LangChain machinery",
            "ChatGLM, collector paused",
            "LangChain machinery, collector paused",
        ):
            rows.append(
                Row(
                    "20,000 vs 200 chunks (linearity)",
                    name,
                    stream_t[(name, 20_000)],
                    "at 200",
                    stream_t[(name, 200)],
                    "s",
                )
            )

        # Peak memory while streaming 20,000 chunks (allocations traced; chunks not kept).
        n_mem = 500 if smoke else 5_000 if quick else 20_000
        c = make_clients(server.base_url, n_mem)
        mem = {
            "ChatGLM": peak_memory(lambda: drain(c["ChatGLM"].stream("Hello"))),
            "ChatOpenAI": peak_memory(lambda: drain(c["ChatOpenAI"].stream("Hello"))),
            "GLM": peak_memory(lambda: drain(c["GLM"].stream_chat(msgs))),
            "OpenAILike": peak_memory(lambda: drain(c["OpenAILike"].stream_chat(msgs))),
        }
        from benchmarks.fixed_server import sse_body

        reply_mb = len("".join(f"t{i} " for i in range(n_mem))) / 2**20
        notes.append(
            f"The {n_mem:,}-chunk reply holds {reply_mb:.2f} MB of text; its SSE body "
            f"is {len(sse_body(n_mem)) / 2**20:.1f} MB."
        )
        rows += [
            Row(
                f"peak memory, {n_mem:,}-chunk stream",
                "ChatGLM",
                mem["ChatGLM"],
                "ChatOpenAI",
                mem["ChatOpenAI"],
                "MB",
            ),
            Row(
                f"peak memory, {n_mem:,}-chunk stream",
                "GLM",
                mem["GLM"],
                "OpenAILike",
                mem["OpenAILike"],
                "MB",
            ),
        ]

        # Concurrency: 2,000 async calls, 200 in flight.
        total = 50 if smoke else 600 if quick else 2000
        rows += asyncio.run(_concurrency(server, total))
        http.close()

    if smoke:
        return rows, notes
    # Import time in a fresh interpreter.
    reps = 1 if quick else 7
    imp = {
        "langchain_glm": import_time("import langchain_glm", reps),
        "langchain_openai": import_time("import langchain_openai", reps),
        "ChatGLM": import_time("from langchain_glm import ChatGLM", reps),
        "ChatOpenAI": import_time("from langchain_openai import ChatOpenAI", reps),
        "llama_index_glm": import_time("import llama_index_glm", reps),
        "openai_like": import_time("import llama_index.llms.openai_like", reps),
        "GLM": import_time("from llama_index_glm import GLM", reps),
        "OpenAILike": import_time("from llama_index.llms.openai_like import OpenAILike", reps),
    }
    rows += [
        Row(
            "import (package)",
            "langchain_glm",
            imp["langchain_glm"],
            "langchain_openai",
            imp["langchain_openai"],
            "s",
            0.3,
        ),
        Row("import (chat class)", "ChatGLM", imp["ChatGLM"], "ChatOpenAI", imp["ChatOpenAI"], "s"),
        Row(
            "import (package)",
            "llama_index_glm",
            imp["llama_index_glm"],
            "llama_index.llms.openai_like",
            imp["openai_like"],
            "s",
            0.75,
        ),
        Row("import (LLM class)", "GLM", imp["GLM"], "OpenAILike", imp["OpenAILike"], "s"),
    ]
    return rows, notes


async def _concurrency(server: FixedServer, total: int) -> list[Row]:
    import aiohttp

    import glm_transport

    c = make_clients(server.base_url, 200)
    msgs = li_messages()
    body = {"model": MODEL, "messages": MESSAGES}
    rate: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=1000)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def raw() -> None:
            async with session.post(server.url, json=body) as r:
                await r.json()

        rate["raw aiohttp"] = await concurrent(raw, total, 200)
    rate["ChatGLM"] = await concurrent(lambda: c["ChatGLM"].ainvoke("Hello"), total, 200)
    rate["ChatOpenAI"] = await concurrent(lambda: c["ChatOpenAI"].ainvoke("Hello"), total, 200)
    rate["GLM"] = await concurrent(lambda: c["GLM"].achat(msgs), total, 200)
    rate["OpenAILike"] = await concurrent(lambda: c["OpenAILike"].achat(msgs), total, 200)
    await glm_transport.aclose_shared_clients()
    label = f"{total:,} async calls, 200 in flight"
    return [
        Row(
            label,
            "ChatGLM",
            rate["ChatGLM"],
            "ChatOpenAI",
            rate["ChatOpenAI"],
            "/s",
            5,
            higher_is_better=True,
        ),
        Row(
            label,
            "ChatGLM",
            rate["ChatGLM"],
            "raw aiohttp",
            rate["raw aiohttp"],
            "/s",
            0.6,
            higher_is_better=True,
        ),
        Row(
            label, "GLM", rate["GLM"], "OpenAILike", rate["OpenAILike"], "/s", higher_is_better=True
        ),
        Row(
            label,
            "GLM",
            rate["GLM"],
            "raw aiohttp",
            rate["raw aiohttp"],
            "/s",
            higher_is_better=True,
        ),
    ]


def table(rows: list[Row]) -> str:
    head = ["measure", "ours", "peer", "ratio", "target", "holds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    parser.add_argument("--write", action="store_true", help="rewrite the table in BENCHMARKS.md")
    parser.add_argument("--smoke", action="store_true", help="every path once, tiny counts")
    args = parser.parse_args()
    started = time.perf_counter()
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
        path = ROOT / "BENCHMARKS.md"
        text = path.read_text()
        start, end = "<!-- table:start -->", "<!-- table:end -->"
        block = (
            f"{start}\nMeasured {time.strftime('%Y-%m-%d')} on {machine()} "
            f"({'--quick' if args.quick else 'full run'}).\n\n{out}\n\n"
            + "\n".join(f"- {n}" for n in notes)
            + f"\n{end}"
        )
        path.write_text(text[: text.index(start)] + block + text[text.index(end) + len(end) :])


if __name__ == "__main__":
    main()
