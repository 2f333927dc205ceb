"""The fault campaign: every fault, in both frameworks, sync and async, streaming and not,
against the emulator over real sockets. Transient faults are retried up to max_retries and then
raised naming the attempts; permanent ones are raised after one attempt. Both with status, code,
message and request id where GLM gave them."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

import glm_transport as G
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER

RETRIES = 2
TRANSIENT: list[tuple[str, dict[str, Any], type[G.GLMError]]] = [
    ("429 1302", {"code": "1302", "retry_after_ms": 1}, G.RateLimitError),
    ("429 1303", {"code": "1303", "retry_after_ms": 1}, G.RateLimitError),
    ("429 1305", {"code": "1305", "retry_after_ms": 1}, G.RateLimitError),
    ("429 1312", {"code": "1312", "retry_after_ms": 1}, G.RateLimitError),
    ("500", {"code": "500", "status": 500, "retry_after_ms": 1}, G.ServerError),
    ("502", {"code": "500", "status": 502, "retry_after_ms": 1}, G.ServerError),
    ("503", {"code": "500", "status": 503, "retry_after_ms": 1}, G.ServerError),
    ("504", {"code": "500", "status": 504, "retry_after_ms": 1}, G.ServerError),
    ("reset", {"abort": True}, G.APIConnectionError),
    ("read timeout", {"delay": 0.6}, G.APITimeoutError),
]
PERMANENT: list[tuple[str, dict[str, Any], type[G.GLMError], int]] = [
    ("429 1113", {"code": "1113"}, G.PermissionDeniedError, 429),
    ("429 1304", {"code": "1304"}, G.QuotaExhaustedError, 429),
    ("429 1308", {"code": "1308"}, G.QuotaExhaustedError, 429),
    ("429 1310", {"code": "1310"}, G.QuotaExhaustedError, 429),
    ("400 1210", {"code": "1210"}, G.InvalidRequestError, 400),
    ("400 1213", {"code": "1213"}, G.InvalidRequestError, 400),
    ("400 1214", {"code": "1214"}, G.InvalidRequestError, 400),
    ("400 1215", {"code": "1215"}, G.InvalidRequestError, 400),
    ("400 1261", {"code": "1261"}, G.ContextOverflowError, 400),
    ("400 1301", {"code": "1301"}, G.ContentFilterError, 400),
    ("401", {"code": "1002"}, G.AuthenticationError, 401),
    ("403", {"code": "1220", "status": 403}, G.PermissionDeniedError, 403),
    ("404 1211", {"code": "1211", "status": 404}, G.NotFoundError, 404),
]
MODES = ["invoke", "ainvoke", "stream", "astream"]
FRAMEWORKS = ["langchain", "llama_index"]


def make(framework: str, base_url: str, fault: dict[str, Any] | None) -> Any:
    headers = {FAULT_HEADER: json.dumps(fault)} if fault else None
    kw = {
        "base_url": base_url,
        "api_key": "fault-key",
        "default_headers": headers,
        "max_retries": RETRIES,
        "timeout": 0.3,
    }
    if framework == "langchain":
        from langchain_glm import ChatGLM

        return ChatGLM(**kw)
    from llama_index_glm import GLM

    return GLM(**kw)


async def call(llm: Any, mode: str) -> str:
    from langchain_glm import ChatGLM

    if isinstance(llm, ChatGLM):
        if mode == "invoke":
            return str(llm.invoke("hi").content)
        if mode == "ainvoke":
            return str((await llm.ainvoke("hi")).content)
        if mode == "stream":
            return "".join(str(c.content) for c in llm.stream("hi"))
        return "".join([str(c.content) async for c in llm.astream("hi")])
    from llama_index.core.base.llms.types import ChatMessage

    msgs = [ChatMessage(role="user", content="hi")]
    if mode == "invoke":
        return str(llm.chat(msgs).message.content)
    if mode == "ainvoke":
        return str((await llm.achat(msgs)).message.content)
    if mode == "stream":
        return "".join(r.delta or "" for r in llm.stream_chat(msgs))
    return "".join([r.delta or "" async for r in await llm.astream_chat(msgs)])


@pytest.fixture(autouse=True)
async def _close_pools() -> Any:
    yield
    await G.aclose_shared_clients()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(("name", "fault", "cls"), TRANSIENT, ids=[t[0] for t in TRANSIENT])
async def test_transient_faults_are_retried_then_typed(
    glm_emulator: EmulatorServer,
    framework: str,
    mode: str,
    name: str,
    fault: dict[str, Any],
    cls: type,
) -> None:
    llm = make(framework, glm_emulator.base_url, fault)
    with pytest.raises(cls) as info:
        await call(llm, mode)
    err = info.value
    assert err.attempts == RETRIES + 1 and f"after {RETRIES + 1} attempts" in str(err)
    assert glm_emulator.state.requests == RETRIES + 1
    # And when the fault clears after one attempt, the caller just gets the answer.
    glm_emulator.state.reset()
    recovered = make(framework, glm_emulator.base_url, {**fault, "times": 1})
    assert await call(recovered, mode) == "GLM emulator reply to: hi"
    assert glm_emulator.state.requests == 2


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    ("name", "fault", "cls", "status"), PERMANENT, ids=[p[0] for p in PERMANENT]
)
async def test_permanent_errors_are_raised_once(
    glm_emulator: EmulatorServer,
    framework: str,
    mode: str,
    name: str,
    fault: dict[str, Any],
    cls: type,
    status: int,
) -> None:
    llm = make(framework, glm_emulator.base_url, fault)
    with pytest.raises(cls) as info:
        await call(llm, mode)
    err = info.value
    assert glm_emulator.state.requests == 1 and err.attempts == 1
    assert (err.status, err.code) == (status, fault["code"])
    assert err.message and err.request_id and err.retryable is False


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_connection_refused(framework: str, mode: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    llm = make(framework, f"http://127.0.0.1:{port}/api/paas/v4", None)
    with pytest.raises(G.APIConnectionError) as info:
        await call(llm, mode)
    assert info.value.attempts == RETRIES + 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_retry_after_is_honoured(
    glm_emulator: EmulatorServer, framework: str, mode: str
) -> None:
    llm = make(framework, glm_emulator.base_url, {"code": "1302", "retry_after": 0.4, "times": 1})
    started = time.monotonic()
    assert await call(llm, mode) == "GLM emulator reply to: hi"
    assert time.monotonic() - started >= 0.4  # the server's wait was taken (never less)


STREAM_FAULTS: list[tuple[str, dict[str, Any], type[G.GLMError]]] = [
    ("cut mid-way", {"disconnect_after": 4, "batch": 1}, G.StreamInterruptedError),
    ("no [DONE], no finish", {"no_done": True, "drop_finish": True}, G.StreamInterruptedError),
    ("malformed frame", {"malformed_after": 3}, G.StreamInterruptedError),
    ("error frame", {"error_frame_after": 3, "error_frame_code": "1234"}, G.ServerError),
    ("sensitive", {"finish_reason": "sensitive"}, G.ContentFilterError),
    ("network_error", {"finish_reason": "network_error"}, G.ServerError),
    ("context window", {"finish_reason": "model_context_window_exceeded"}, G.ContextOverflowError),
]


@pytest.mark.parametrize("mode", ["stream", "astream"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(("name", "fault", "cls"), STREAM_FAULTS, ids=[f[0] for f in STREAM_FAULTS])
async def test_broken_streams_raise_after_partial_output(
    glm_emulator: EmulatorServer,
    framework: str,
    mode: str,
    name: str,
    fault: dict[str, Any],
    cls: type,
) -> None:
    llm = make(framework, glm_emulator.base_url, fault)
    with pytest.raises(cls):
        await call(llm, mode)
    assert glm_emulator.state.requests == 1  # chunks were delivered: never silently retried


@pytest.mark.parametrize("mode", ["invoke", "ainvoke"])
@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("finish", ["sensitive", "model_context_window_exceeded"])
async def test_abnormal_finish_on_whole_replies(
    glm_emulator: EmulatorServer, framework: str, mode: str, finish: str
) -> None:
    llm = make(framework, glm_emulator.base_url, {"finish_reason": finish})
    with pytest.raises(G.APIError) as info:
        await call(llm, mode)
    assert info.value.code == finish
    assert info.value.partial.content  # type: ignore[attr-defined]
