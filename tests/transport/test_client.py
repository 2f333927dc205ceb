"""The sync and async clients against the emulator over real loopback sockets."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest

from glm_transport import (
    AsyncGLMClient,
    ChatRequest,
    GLMClient,
    GLMSettings,
    aclose_shared_clients,
    chat,
    resolve_settings,
)
from glm_transport import errors as E
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER

USER = [{"role": "user", "content": "What is the weather in Paris?"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def settings(url: str, fault: dict[str, Any] | None = None, **kw: Any) -> GLMSettings:
    headers = {FAULT_HEADER: json.dumps(fault)} if fault else {}
    kw.setdefault("max_retries", 2)
    return resolve_settings(base_url=url, api_key="test-key", default_headers=headers, **kw)


def req(**kw: Any) -> ChatRequest:
    return ChatRequest(model="glm-5-turbo", messages=kw.pop("messages", USER), **kw)


def collect(client: GLMClient, request: ChatRequest) -> dict[str, Any]:
    out: dict[str, Any] = {"content": "", "reasoning": "", "finish": [], "usage": [], "calls": {}}
    for c in chat.stream(client, request):
        out["content"] += c.content or ""
        out["reasoning"] += c.reasoning_content or ""
        if c.finish_reason:
            out["finish"].append(c.finish_reason)
        if c.usage:
            out["usage"].append(c.usage)
        for d in c.tool_calls or []:
            slot = out["calls"].setdefault(d.index, {"name": "", "args": ""})
            slot["name"] += d.name or ""
            slot["args"] += d.arguments or ""
    return out


async def acollect(client: AsyncGLMClient, request: ChatRequest) -> dict[str, Any]:
    out: dict[str, Any] = {"content": "", "reasoning": "", "finish": [], "usage": []}
    async for c in chat.astream(client, request):
        out["content"] += c.content or ""
        out["reasoning"] += c.reasoning_content or ""
        if c.finish_reason:
            out["finish"].append(c.finish_reason)
        if c.usage:
            out["usage"].append(c.usage)
    return out


def test_chat_and_stream_agree(glm_emulator_url: str) -> None:
    client = GLMClient(settings(glm_emulator_url))
    whole = chat.complete(client, req())
    streamed = collect(client, req())
    assert whole.content == streamed["content"] == "GLM emulator reply to: " + USER[0]["content"]
    assert whole.reasoning_content == streamed["reasoning"] and whole.reasoning_content
    assert streamed["finish"] == ["stop"] and len(streamed["usage"]) == 1
    assert whole.usage is not None and whole.usage.total_tokens == streamed["usage"][0].total_tokens


async def test_async_chat_and_stream_agree(glm_emulator_url: str) -> None:
    client = AsyncGLMClient(settings(glm_emulator_url))
    whole = await chat.acomplete(client, req())
    streamed = await acollect(client, req())
    assert whole.content == streamed["content"]
    assert streamed["finish"] == ["stop"]
    await aclose_shared_clients()


@pytest.mark.parametrize("tool_stream", [False, True])
def test_streamed_tool_calls_whole_or_in_pieces(glm_emulator_url: str, tool_stream: bool) -> None:
    client = GLMClient(settings(glm_emulator_url))
    out = collect(client, req(tools=TOOLS, tool_stream=tool_stream))
    assert out["finish"] == ["tool_calls"]
    assert out["calls"][0]["name"] == "get_weather"
    assert json.loads(out["calls"][0]["args"]) == {"city": "Paris"}


@pytest.mark.parametrize(
    "quirks",
    [
        ["index_minus_one", "duplicate_finish"],
        ["usage_separate"],
        ["no_object", "crlf", "comments"],
    ],
)
def test_wire_quirks_over_the_socket(glm_emulator_url: str, quirks: list[str]) -> None:
    tools = [
        *TOOLS,
        {
            "type": "function",
            "function": {"name": "get_time", "description": "t", "parameters": {"type": "object"}},
        },
    ]
    client = GLMClient(settings(glm_emulator_url, {"quirks": quirks, "parallel": True}))
    out = collect(client, req(tools=tools))
    assert out["finish"] == ["tool_calls"] and len(out["usage"]) == 1
    assert [c["name"] for c in out["calls"].values()] == ["get_weather", "get_time"]


def test_retries_transient_429_then_succeeds(
    glm_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    fault = {"status": 429, "code": "1302", "times": 2, "key": "retry-1", "retry_after_ms": 10}
    client = GLMClient(settings(glm_emulator.base_url, fault))
    with caplog.at_level("INFO", logger="glm_transport"):
        assert chat.complete(client, req()).content
    assert glm_emulator.state.requests == 3
    # retry-after-ms 10 was the wait, not our 0.5 s backoff.
    waits = [
        r.getMessage().rsplit(" in ", 1)[1] for r in caplog.records if "retry" in r.getMessage()
    ]
    assert waits == ["0.01s", "0.01s"]


def test_retries_exhausted_name_the_attempts(glm_emulator: EmulatorServer) -> None:
    client = GLMClient(
        settings(
            glm_emulator.base_url,
            {"status": 503, "code": "500", "retry_after_ms": 1},
            max_retries=2,
        )
    )
    with pytest.raises(E.ServerError) as info:
        chat.complete(client, req())
    assert info.value.attempts == 3 and "after 3 attempts" in str(info.value)
    assert glm_emulator.state.requests == 3


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("1113", E.PermissionDeniedError),
        ("1308", E.QuotaExhaustedError),
        ("1301", E.ContentFilterError),
        ("1002", E.AuthenticationError),
        ("1211", E.NotFoundError),
    ],
)
def test_permanent_errors_are_not_retried(
    glm_emulator: EmulatorServer, code: str, cls: type
) -> None:
    client = GLMClient(settings(glm_emulator.base_url, {"code": code}))
    with pytest.raises(cls) as info:
        chat.complete(client, req())
    assert glm_emulator.state.requests == 1
    err = info.value
    assert err.code == code and err.status in (400, 401, 429) and err.request_id
    assert err.message


def test_max_retries_zero_disables_retries(glm_emulator: EmulatorServer) -> None:
    client = GLMClient(settings(glm_emulator.base_url, {"code": "1302"}, max_retries=0))
    with pytest.raises(E.RateLimitError):
        chat.complete(client, req())
    assert glm_emulator.state.requests == 1


def test_stream_retried_before_first_event(glm_emulator: EmulatorServer) -> None:
    fault = {"status": 429, "code": "1305", "times": 1, "key": "stream-retry", "retry_after_ms": 1}
    client = GLMClient(settings(glm_emulator.base_url, fault))
    assert collect(client, req())["finish"] == ["stop"]
    assert glm_emulator.state.requests == 2


async def test_async_stream_retried_on_error_frame_before_first_event(
    glm_emulator: EmulatorServer,
) -> None:
    glm_emulator.state.faults.extend([])
    fault = {"error_frame_after": 0, "error_frame_code": "1302", "times": 1, "key": "frame0"}
    client = AsyncGLMClient(settings(glm_emulator.base_url, fault))
    out = await acollect(client, req())
    assert out["finish"] == ["stop"] and glm_emulator.state.requests == 2


@pytest.mark.parametrize(
    ("fault", "cls"),
    [
        ({"disconnect_after": 4, "batch": 1}, E.StreamInterruptedError),
        ({"no_done": True, "drop_finish": True}, E.StreamInterruptedError),
        ({"malformed_after": 3}, E.StreamInterruptedError),
        ({"error_frame_after": 3, "error_frame_code": "1234"}, E.ServerError),
        ({"finish_reason": "sensitive"}, E.ContentFilterError),
        ({"finish_reason": "network_error"}, E.ServerError),
        ({"finish_reason": "model_context_window_exceeded"}, E.ContextOverflowError),
    ],
)
def test_broken_streams_never_look_complete(
    glm_emulator: EmulatorServer, fault: dict[str, Any], cls: type
) -> None:
    client = GLMClient(settings(glm_emulator.base_url, fault))
    with pytest.raises(cls):
        collect(client, req())
    assert glm_emulator.state.requests == 1  # after the first chunk, no retry


async def test_async_mid_stream_disconnect(glm_emulator: EmulatorServer) -> None:
    client = AsyncGLMClient(settings(glm_emulator.base_url, {"disconnect_after": 3, "batch": 1}))
    with pytest.raises(E.StreamInterruptedError):
        await acollect(client, req())


def test_stream_without_done_but_with_finish_is_complete(glm_emulator_url: str) -> None:
    client = GLMClient(settings(glm_emulator_url, {"no_done": True}))
    assert collect(client, req())["finish"] == ["stop"]


@pytest.mark.parametrize("finish", ["sensitive", "network_error"])
def test_abnormal_finish_in_whole_reply_keeps_the_partial(
    glm_emulator_url: str, finish: str
) -> None:
    client = GLMClient(settings(glm_emulator_url, {"finish_reason": finish}, max_retries=0))
    with pytest.raises(E.APIError) as info:
        chat.complete(client, req())
    assert info.value.partial.content.startswith("GLM emulator reply")  # type: ignore[attr-defined]


def test_read_timeout_is_typed_and_retried(glm_emulator: EmulatorServer) -> None:
    client = GLMClient(settings(glm_emulator.base_url, {"delay": 1.0}, timeout=0.2, max_retries=1))
    with pytest.raises(E.APITimeoutError) as info:
        chat.complete(client, req())
    assert info.value.attempts == 2


async def test_async_read_timeout(glm_emulator: EmulatorServer) -> None:
    client = AsyncGLMClient(
        settings(glm_emulator.base_url, {"delay": 1.0}, timeout=0.2, max_retries=0)
    )
    with pytest.raises(E.APITimeoutError):
        await chat.acomplete(client, req())


def test_total_timeout_caps_retries(glm_emulator: EmulatorServer) -> None:
    client = GLMClient(
        settings(
            glm_emulator.base_url,
            {"code": "1302", "retry_after": 0.3},
            max_retries=10,
            total_timeout=0.5,
        )
    )
    with pytest.raises(E.RateLimitError) as info:
        chat.complete(client, req())
    # 0.3 s waits in a 0.5 s budget: one retry fits, the next would not, so it is not made.
    assert info.value.attempts <= 2 and glm_emulator.state.requests == info.value.attempts


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_is_typed_and_retried() -> None:
    client = GLMClient(settings(f"http://127.0.0.1:{_closed_port()}/v4", max_retries=1))
    with pytest.raises(E.APIConnectionError) as info:
        chat.complete(client, req())
    assert info.value.attempts == 2


async def test_async_connection_refused() -> None:
    client = AsyncGLMClient(settings(f"http://127.0.0.1:{_closed_port()}/v4", max_retries=0))
    with pytest.raises(E.APIConnectionError):
        await chat.acomplete(client, req())


def test_connections_are_reused(glm_emulator: EmulatorServer) -> None:
    # Whole replies, checked against their request_id, share one kept-alive connection. A
    # stream's frames carry no request_id: off GLM's own hosts each stream has a connection of
    # its own, closed after it, so it can neither read nor leave a stale reply.
    client = GLMClient(settings(glm_emulator.base_url))
    for _ in range(5):
        chat.complete(client, req())
        collect(client, req())
    assert glm_emulator.state.requests == 10
    assert len(glm_emulator.state.connections) == 1 + 5


async def test_async_connections_are_reused(glm_emulator: EmulatorServer) -> None:
    client = AsyncGLMClient(settings(glm_emulator.base_url))
    for _ in range(5):
        await chat.acomplete(client, req())
        await acollect(client, req())
    assert len(glm_emulator.state.connections) == 1 + 5
    await aclose_shared_clients()


@pytest.mark.parametrize(
    ("base_url", "stream", "reuse"),
    [
        ("https://api.z.ai/api/paas/v4", True, True),  # GLM's own host over TLS
        ("https://open.bigmodel.cn/api/coding/paas/v4", True, True),
        ("https://api.maxtoken.io/v1", True, True),  # a preset gateway over TLS
        ("https://gateway.example/v4", False, True),  # a whole reply, checked by request_id
        ("https://gateway.example/v4", True, False),  # a stream: nothing to check it by
        ("http://api.z.ai/api/paas/v4", True, False),  # no TLS: anything on the way
    ],
)
def test_which_calls_may_share_a_connection(base_url: str, stream: bool, reuse: bool) -> None:
    import warnings

    from glm_transport import InsecureTransportWarning
    from glm_transport.chat import chat_call

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call = chat_call(resolve_settings(base_url=base_url, api_key="k"), req(), stream)
    insecure = any(issubclass(w.category, InsecureTransportWarning) for w in seen)
    assert insecure is base_url.startswith("http://")
    assert call.reuse is reuse
    assert (call.headers.plain().get("Connection") == "close") is not reuse


def test_validation_happens_before_any_request(glm_emulator: EmulatorServer) -> None:
    client = GLMClient(settings(glm_emulator.base_url))
    with pytest.raises(E.GLMValidationError):
        chat.complete(client, req(temperature=2.0))
    with pytest.raises(E.GLMValidationError):
        list(chat.stream(client, req(stop=["a", "b"])))
    assert glm_emulator.state.requests == 0


def test_missing_key_is_an_error_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("GLM_API_KEY", "ZAI_API_KEY", "GLM_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    client = GLMClient(resolve_settings(provider="zai"))
    with pytest.raises(E.AuthenticationError, match="GLM_API_KEY"):
        chat.complete(client, req())


def test_bearer_key_is_sent_and_checked() -> None:
    with EmulatorServer(api_key="right-key") as emu:
        ok = GLMClient(resolve_settings(base_url=emu.base_url, api_key="right-key"))
        assert chat.complete(ok, req()).content
        bad = GLMClient(resolve_settings(base_url=emu.base_url, api_key="wrong-key"))
        with pytest.raises(E.AuthenticationError) as info:
            chat.complete(bad, req())
        assert info.value.code == "1002" and "wrong-key" not in str(info.value)


def test_user_supplied_http_client_is_used(glm_emulator: EmulatorServer) -> None:
    seen: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: seen.append(str(r.url))]})
    client = GLMClient(settings(glm_emulator.base_url), http_client=http)
    chat.complete(client, req())
    assert seen == [glm_emulator.base_url + "/chat/completions"]


@pytest.mark.parametrize("stream", [False, True])
def test_every_validation_rule_sends_nothing(glm_emulator: EmulatorServer, stream: bool) -> None:
    from tests.transport.test_request import INVALID

    client = GLMClient(settings(glm_emulator.base_url))

    def send(request: ChatRequest) -> object:
        return list(chat.stream(client, request)) if stream else chat.complete(client, request)

    for kwargs, field, allowed in INVALID:
        request = req(**kwargs)
        with pytest.raises(E.GLMValidationError) as info:
            send(request)
        assert info.value.field == field and allowed in str(info.value)
    assert glm_emulator.state.requests == 0


def test_total_timeout_bounds_a_slow_stream(glm_emulator: EmulatorServer) -> None:
    fault = {"chunks": 100, "chunk_delay": 0.02}
    client = GLMClient(settings(glm_emulator.base_url, fault, total_timeout=0.3))
    # The 100 chunks take 2 s; the 0.3 s budget ends the stream with a timeout instead.
    with pytest.raises(E.APITimeoutError, match="total_timeout"):
        collect(client, req())


def test_connection_lost_after_the_finish_chunk_keeps_the_complete_answer(
    glm_emulator: EmulatorServer,
) -> None:
    client = GLMClient(settings(glm_emulator.base_url, {"no_done": True, "reset_at_end": True}))
    out = collect(client, req())
    assert out["finish"] == ["stop"] and out["content"].startswith("GLM emulator reply")
    cut = GLMClient(
        settings(
            glm_emulator.base_url, {"no_done": True, "drop_finish": True, "reset_at_end": True}
        )
    )
    with pytest.raises(E.StreamInterruptedError):
        collect(cut, req())


async def test_async_connection_lost_after_the_finish_chunk(glm_emulator: EmulatorServer) -> None:
    client = AsyncGLMClient(
        settings(glm_emulator.base_url, {"no_done": True, "reset_at_end": True})
    )
    assert (await acollect(client, req()))["finish"] == ["stop"]
    await aclose_shared_clients()


def test_emulator_fault_queue_and_stats(glm_emulator: EmulatorServer) -> None:
    base = glm_emulator.base_url.split("/api/")[0]
    queued = httpx.post(f"{base}/_emulator/faults", json=[{"code": "1113"}, {"code": "1261"}])
    assert queued.json() == {"queued": 2}
    client = GLMClient(settings(glm_emulator.base_url, max_retries=0))
    with pytest.raises(E.PermissionDeniedError):
        chat.complete(client, req())
    with pytest.raises(E.ContextOverflowError):
        chat.complete(client, req())
    assert chat.complete(client, req()).content  # the queue is empty again
    stats = httpx.get(f"{base}/_emulator/stats").json()
    assert stats["requests"] == 3 and stats["bodies"][-1]["model"] == "glm-5-turbo"
    httpx.post(f"{base}/_emulator/reset")
    assert httpx.get(f"{base}/_emulator/stats").json()["requests"] == 0
