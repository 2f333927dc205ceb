"""Reliability under load and cancellation, over real loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource

import pytest

import glm_transport
from benchmarks._servers import EmulatorProcess
from benchmarks.soak import run_soak
from glm_transport import AsyncGLMClient, ChatRequest, chat, resolve_settings
from glm_transport._pools import _pools_of
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER


async def test_soak_short_form() -> None:
    """The CI form of `python -m benchmarks.soak` (the full form runs 20,000 requests)."""
    with EmulatorProcess() as emu:
        result = await run_soak(
            emu.base_url, requests=2000, concurrency=200, fault_rate=0.1, timeout=1.0
        )
        connections = int(emu.stats()["connections"])  # type: ignore[call-overload]
    print(result.table())
    assert result.wrong == [] and result.hung == 0 and result.leaked == 0
    assert sum(result.outcomes.values()) == 2000
    assert result.outcomes["ok"] >= 1750  # the transient faults were retried into answers
    assert result.outcomes["long frame"] > 0 and result.outcomes["APIConnectionError"] > 0
    assert result.outcomes["PermissionDeniedError"] > 0
    assert result.outcomes["StreamInterruptedError"] > 0
    # Nothing hangs: no request outlives what its configuration allows (3 attempts of a 1 s read
    # timeout, backoffs of 0.5 s and 1 s), with tenfold headroom for a busy 2-core CI machine.
    # Speed is the benchmarks' business, not this test's.
    allowed = 3 * 1.0 + 0.5 + 1.0
    assert result.max_latency < 10 * allowed
    # Pooled, not one per request: whole replies share connections; streams (half the requests)
    # have one each, as off GLM's own hosts nothing could tell a stale stream from theirs.
    assert connections <= 400 + 2000 // 2
    first, last = result.rss_samples_mb[1], result.rss_samples_mb[-1]
    assert last - first < 50, result.rss_samples_mb


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


async def test_a_thousand_cancelled_streams_leak_nothing(glm_emulator: EmulatorServer) -> None:
    fault = {"chunks": 200, "chunk_delay": 0.0005}
    client = AsyncGLMClient(
        resolve_settings(
            base_url=glm_emulator.base_url,
            api_key="k",
            default_headers={FAULT_HEADER: json.dumps(fault)},
        )
    )
    request = ChatRequest(model="glm-5", messages=[{"role": "user", "content": "long"}])

    async def read_some(n: int) -> int:
        seen = 0
        async for _ in chat.astream(client, request):
            seen += 1
            if seen == n:
                await asyncio.sleep(10)  # parked mid-stream until cancelled
        return seen

    async def abandon(n: int) -> None:
        gen = chat.astream(client, request)
        async for _ in gen:
            n -= 1
            if n == 0:
                break
        await gen.aclose()  # type: ignore[attr-defined]

    samples = []
    for i in range(1000):
        if i % 2:
            task = asyncio.create_task(read_some(3))
            await asyncio.sleep(0.005)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        else:
            await abandon(3)
        if i % 250 == 0:
            samples.append(_rss_mb())
    (pool,) = _pools_of(asyncio.get_running_loop()).routes.values()  # type: ignore[union-attr]
    await asyncio.sleep(0.2)
    assert len(pool.session.connector._acquired) == 0  # type: ignore[union-attr]
    assert pool.busy == 0  # every cancelled stream gave its connection back
    assert glm_emulator.state.open_streams == 0  # and the server saw every one of them end
    assert samples[-1] - samples[1] < 20, samples
    # The pool still works afterwards.
    assert [
        c
        async for c in chat.astream(
            AsyncGLMClient(resolve_settings(base_url=glm_emulator.base_url, api_key="k")), request
        )
    ][-1].finish_reason == "stop"
    await glm_transport.aclose_shared_clients()


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
async def test_framework_streams_cancelled_midway(
    glm_emulator: EmulatorServer, framework: str
) -> None:
    fault = {FAULT_HEADER: json.dumps({"chunks": 100, "chunk_delay": 0.001})}
    if framework == "langchain":
        from langchain_glm import ChatGLM

        llm = ChatGLM(base_url=glm_emulator.base_url, api_key="k", default_headers=fault)

        async def consume() -> None:
            async for _ in llm.astream("hi"):
                await asyncio.sleep(0)
    else:
        from llama_index.core.base.llms.types import ChatMessage

        from llama_index_glm import GLM

        li = GLM(base_url=glm_emulator.base_url, api_key="k", default_headers=fault)

        async def consume() -> None:
            async for _ in await li.astream_chat([ChatMessage(role="user", content="hi")]):
                await asyncio.sleep(0)

    for _ in range(50):
        task = asyncio.create_task(consume())
        await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await asyncio.sleep(0.2)
    assert glm_emulator.state.open_streams == 0
    await glm_transport.aclose_shared_clients()
