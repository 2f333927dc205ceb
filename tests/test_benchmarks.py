"""The benchmark suite runs (its figures are not asserted: benchmarks are not timed tests)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_suite_runs_end_to_end() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| invoke, per call | ChatGLM" in proc.stdout
    assert "ChatOpenAI" in proc.stdout and "OpenAILike" in proc.stdout
    assert "figures," in proc.stdout


def _shape(value: object) -> object:
    """Keys and types all the way down: what a reply carries, not its values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return type(value).__name__


def test_floors_return_what_ours_returns() -> None:
    """Ratios to a floor compare like with like: each floor's reply, and each chunk of its
    stream, carries the fields ours does (reasoning, usage with its details, ids, finish reason),
    sync and async, in both frameworks."""
    import asyncio

    import aiohttp
    import httpx

    from benchmarks.peers import KEY, MODEL, FixedServer, async_floors, floors, li_messages
    from langchain_glm import ChatGLM
    from llama_index_glm import GLM

    def li(r: object) -> object:
        dump = r.model_dump()  # type: ignore[attr-defined]
        return _shape({k: dump[k] for k in ("message", "raw", "delta", "additional_kwargs")})

    def lc(m: object) -> object:
        dump = m.model_dump()  # type: ignore[attr-defined]
        keys = ("content", "additional_kwargs", "response_metadata", "usage_metadata")
        return _shape({k: dump[k] for k in keys})

    with FixedServer() as server, httpx.Client() as http:
        settings: dict[str, Any] = {"model": MODEL, "base_url": server.base_url, "api_key": KEY}
        headers = {"x-chunks": "3"}  # three text chunks
        ours: dict[str, Any] = {
            "GLM": GLM(**settings, default_headers=headers),
            "ChatGLM": ChatGLM(**settings, default_headers=headers),
        }
        floor = floors(http, server.url, 3)
        msgs = li_messages()
        from benchmarks.peers import _lc_floor, _li_floor, raw_httpx_call, raw_httpx_events

        events = raw_httpx_events(http, server.url, 3)
        lc_floor = _lc_floor(fetch=raw_httpx_call(http, server.url), frames=events)
        li_floor = _li_floor(fetch=raw_httpx_call(http, server.url), frames=events)
        assert li(ours["GLM"].chat(msgs)) == li(li_floor.chat(msgs))
        assert [li(r) for r in ours["GLM"].stream_chat(msgs)] == [
            li(r) for r in li_floor.stream_chat(msgs)
        ]
        assert lc(ours["ChatGLM"].invoke("Hello")) == lc(lc_floor.invoke("Hello"))
        assert [lc(c) for c in ours["ChatGLM"].stream("Hello")] == [
            lc(c) for c in lc_floor.stream("Hello")
        ]
        assert floor["chat floor"]() is not None and floor["stream floor"]() == 6

        async def both() -> None:
            async with aiohttp.ClientSession() as session:
                af = async_floors(session, server.url)
                assert li(await ours["GLM"].achat(msgs)) == li(await af["achat floor"]())
                assert lc(await ours["ChatGLM"].ainvoke("Hello")) == lc(await af["ainvoke floor"]())
            import glm_transport

            await glm_transport.aclose_shared_clients()

        asyncio.run(both())


def test_allocation_counts_run() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.allocs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("GLM.achat", "achat floor", "GLM.stream_chat", "ChatGLM.ainvoke"):
        assert f"| {name} |" in proc.stdout


def test_the_held_objects_experiment_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.held", "--rounds", "1", "--calls", "200"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("ainvoke floor", "+5 held through the I/O", "+40 made after it"):
        assert f"| {name} |" in proc.stdout
