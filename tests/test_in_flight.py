"""What a call keeps alive while it waits on the network, and what is built once per route.

With many calls in flight every object a call holds through its I/O is promoted by the
collector, and promotions are what trigger its full passes (BENCHMARKS.md, "Close to the
floor"): a call in flight holds its :class:`~glm_transport.chat.ChatCall`, not the request and
its wire messages (an agent's whole history). These tests park calls on a loopback server that
reads the request and never answers, and look at what is alive then.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import os
import pickle
import random
import sys
import weakref
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from benchmarks.tracker import ours, tracker_view
from glm_transport import chat as glm_chat
from glm_transport.config import resolve_settings
from glm_transport.endpoint import Call
from glm_transport.jsonbody import _c_encoder, _compact, encode_json
from glm_transport.plan import plan_chat
from glm_transport.types import ChatRequest

KEY = "in-flight-test-key-0123456789"


def _request(text: str = "Hello") -> ChatRequest:
    settings = resolve_settings(base_url="http://127.0.0.1:9/v4", api_key=KEY)
    return plan_chat(
        {},
        [{"role": "user", "content": text}],
        model="glm-5-turbo",
        provider=settings.provider,
        stream=False,
    )


def _alive(kind: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is kind)


@pytest.fixture
async def silent() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A loopback server that reads each request and never answers; the event: one arrived."""
    arrived = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(65536)
            arrived.set()
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/api/paas/v4", arrived
    finally:
        server.close()


async def _parked(call: Any, arrived: asyncio.Event) -> tuple[int, int]:
    """Park ``call()`` on the silent server: ChatRequests and ChatCalls it keeps alive meanwhile
    (counted against what was alive before: other tests may leave some behind)."""
    before = _alive(ChatRequest), _alive(glm_chat.ChatCall)
    task = asyncio.ensure_future(call())
    await asyncio.wait_for(arrived.wait(), 10)
    alive = _alive(ChatRequest) - before[0], _alive(glm_chat.ChatCall) - before[1]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return alive


async def test_a_chatglm_call_in_flight_holds_its_call_not_its_request(
    silent: tuple[str, asyncio.Event],
) -> None:
    from langchain_glm import ChatGLM

    base_url, arrived = silent
    model = ChatGLM(model="glm-5-turbo", base_url=base_url, api_key=KEY, max_retries=0)
    requests, calls = await _parked(lambda: model.ainvoke("Hello"), arrived)
    assert (requests, calls) == (0, 1)


async def test_a_llamaindex_call_in_flight_holds_its_call_not_its_request(
    silent: tuple[str, asyncio.Event],
) -> None:
    from llama_index.core.llms import ChatMessage

    from llama_index_glm import GLM

    base_url, arrived = silent
    llm = GLM(model="glm-5-turbo", base_url=base_url, api_key=KEY, max_retries=0)
    messages = [ChatMessage(role="user", content="Hello")]
    requests, calls = await _parked(lambda: llm.achat(messages), arrived)
    assert (requests, calls) == (0, 1)


def test_a_chat_call_keeps_what_the_reply_policy_needs_and_drops_the_request() -> None:
    settings = resolve_settings(base_url="http://127.0.0.1:9/v4", api_key=KEY)
    request = _request()
    request.max_tool_calls, request.required_tool, request.empty_answer = 1, "any", "return"
    request.thinking = {"type": "disabled"}
    gone = weakref.ref(request)
    call = glm_chat.chat_call(settings, request, False)
    expected = ("any", 1, "return", {"type": "disabled"}, "glm-5-turbo", None, None, None)
    del request
    gc.collect()
    assert gone() is None
    held = (call.required_tool, call.max_tool_calls, call.empty_answer, call.thinking, call.model)
    assert (*held, call.tools, call.search, call.structured_tool) == expected


def test_route_headers_are_built_once_and_never_travel_with_the_settings() -> None:
    settings = resolve_settings(base_url="http://127.0.0.1:9/v4", api_key=KEY)
    first = glm_chat.chat_call(settings, _request(), False)
    second = glm_chat.chat_call(settings, _request("again"), False)
    streamed = glm_chat.chat_call(settings, _request(), True)
    assert first.headers is second.headers  # one per route and kind of reply
    assert streamed.headers is not first.headers
    assert streamed.headers.plain()["Accept"] == "text/event-stream"
    assert "Connection" in streamed.headers.plain()  # a custom route's stream: its own connection
    assert "Connection" not in first.headers.plain()
    # What was derived (prepared headers hold the key, and refuse pickling) is neither pickled
    # nor copied with the settings: copies build their own.
    for clone in (pickle.loads(pickle.dumps(settings)), copy.deepcopy(settings)):
        assert clone == settings
        assert clone.derived == {}
        assert glm_chat.chat_call(clone, _request(), False).headers is not first.headers


def _ids(n: int) -> list[str]:
    settings = resolve_settings(base_url="http://127.0.0.1:9/v4", api_key=KEY)
    call: Call = glm_chat.chat_call(settings, _request(), False)
    return [str(call.attempt()[1]) for _ in range(n)]


def test_request_ids_do_not_repeat_when_the_caller_seeds_random() -> None:
    random.seed(1234)
    first = _ids(3)
    random.seed(1234)
    again = _ids(3)
    assert len(set(first + again)) == 6
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in first)


def _libc_fork() -> int:
    # A C-level fork (as a VM snapshot restored twice, or CRIU) runs no os.register_at_fork hook:
    # ids from a generator seeded once would repeat in both copies.
    import ctypes
    import ctypes.util

    return int(ctypes.CDLL(ctypes.util.find_library("c") or None).fork())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
@pytest.mark.parametrize("fork", [os.fork, _libc_fork] if hasattr(os, "fork") else [])
def test_request_ids_differ_between_a_parent_and_its_clone(fork: Any) -> None:
    _ids(1)  # everything the ids need is built before the clone
    reader, writer = os.pipe()
    pid = fork()
    assert pid >= 0
    if pid == 0:  # the child: send its ids and leave at once
        os.close(reader)
        os.write(writer, ",".join(_ids(3)).encode())
        os._exit(0)
    os.close(writer)
    parent = _ids(3)
    with os.fdopen(reader, "rb") as pipe:
        child = pipe.read().decode().split(",")
    os.waitpid(pid, 0)
    assert len(child) == 3
    assert not set(child) & set(parent)


BODIES: list[Any] = [
    {"model": "glm-5-turbo", "messages": [{"role": "user", "content": "Hello"}]},
    {"a": 'é \u2028 \u0000 \\ " \n\t 日本', "b": [1, -0.0, 1e16, 1e-7, 2.5, 10**30, True, None]},
    {"nested": {"x": [{"y": [[], {}, ()]}]}, "tuple": (1, "two")},
    {"f": float(sys.float_info.max), "i": -(2**63)},
]


@pytest.mark.skipif(_c_encoder is None, reason="no C JSON accelerator on this interpreter")
@pytest.mark.parametrize("body", BODIES)
def test_the_request_body_is_the_json_that_json_writes(body: Any) -> None:
    assert encode_json(body) == _compact(body).encode("utf-8")


def test_no_key_is_said_before_a_body_that_cannot_be_sent(monkeypatch: Any) -> None:
    from langchain_glm import ChatGLM
    from langchain_glm.errors import GLMAuthenticationError

    for name in ("GLM_API_KEY", "ZAI_API_KEY", "ZHIPUAI_API_KEY", "BIGMODEL_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(GLMAuthenticationError, match="No API key"):
        ChatGLM(model="glm-4.6").invoke("hello \ud800")


def test_what_a_given_client_adds_to_the_headers_stays_with_its_call() -> None:
    import httpx

    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("x-trace-id"))
        body = {"choices": [{"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}]}
        return httpx.Response(200, json=body)

    class Tracing(httpx.Client):
        count = 0

        def build_request(self, *args: Any, **kwargs: Any) -> httpx.Request:
            Tracing.count += 1
            kwargs["headers"].setdefault("X-Trace-Id", f"trace-{Tracing.count}")
            return super().build_request(*args, **kwargs)

    from langchain_glm import ChatGLM

    with Tracing(transport=httpx.MockTransport(answer)) as client:
        model = ChatGLM(model="glm-4.6", base_url="https://example.test/v4", api_key=KEY)
        model.http_client = client
        for _ in range(3):
            model.invoke("hello")
    assert seen == ["trace-1", "trace-2", "trace-3"]


async def test_llamaindex_achat_goes_through_achat_of_a_subclass() -> None:
    from llama_index.core.base.llms.types import ChatResponse
    from llama_index.core.llms import ChatMessage

    from llama_index_glm import GLM

    class Mine(GLM):
        async def _achat(self, messages: Any, **kwargs: Any) -> ChatResponse:
            return ChatResponse(message=ChatMessage(role="assistant", content="from _achat"))

    llm = Mine(model="glm-4.6", api_key=KEY)
    reply = await llm.achat([ChatMessage(role="user", content="hi")])
    assert reply.message.content == "from _achat"


def test_a_given_client_that_fails_to_build_its_request_ships_no_key() -> None:
    import httpx

    from langchain_glm import ChatGLM

    class Broken(httpx.Client):
        def build_request(self, *args: Any, **kwargs: Any) -> httpx.Request:
            raise RuntimeError("this client cannot build requests")

    with Broken() as client:
        model = ChatGLM(model="glm-4.6", base_url="https://example.test/v4", api_key=KEY)
        model.http_client = client
        with pytest.raises(RuntimeError, match="cannot build") as info:
            model.invoke("hello")
    # The user's own client is handed the headers: its frames are its own.
    assert KEY not in tracker_view(info.value, frames=ours)


@pytest.mark.parametrize("total_timeout", [None, 30.0])
async def test_async_retries_count_every_attempt_with_and_without_a_budget(
    glm_emulator: Any, total_timeout: float | None
) -> None:
    # Without a budget the attempts have no object of their own until one fails (Unbudgeted).
    import json

    import glm_transport
    from glm_transport import AsyncGLMClient
    from glm_transport.emulator.app import FAULT_HEADER

    fault = {"status": 503, "code": "500", "retry_after_ms": 1}
    settings = resolve_settings(
        base_url=glm_emulator.base_url,
        api_key=KEY,
        default_headers={FAULT_HEADER: json.dumps(fault)},
        max_retries=2,
        total_timeout=total_timeout,
    )
    before = glm_emulator.state.requests
    for expected in (1, 2, 3):  # each call counts its own attempts, from 1
        client = AsyncGLMClient(replace(settings, max_retries=expected - 1))
        with pytest.raises(glm_transport.ServerError) as info:
            await glm_chat.acomplete(client, _request())
        assert info.value.attempts == expected
    assert "after 3 attempts" in str(info.value)
    assert glm_emulator.state.requests - before == 6
    await glm_transport.aclose_shared_clients()


async def test_llamaindex_achat_goes_through_achat_patched_on_the_class_or_instance() -> None:
    from unittest import mock

    from llama_index.core.base.llms.types import ChatResponse
    from llama_index.core.llms import ChatMessage

    from llama_index_glm import GLM

    canned = ChatResponse(message=ChatMessage(role="assistant", content="patched"))
    messages = [ChatMessage(role="user", content="hi")]
    llm = GLM(model="glm-4.6", api_key=KEY)
    with mock.patch.object(GLM, "_achat", mock.AsyncMock(return_value=canned)):
        assert (await llm.achat(messages)).message.content == "patched"
    with mock.patch.object(llm, "_achat", mock.AsyncMock(return_value=canned)):
        assert (await llm.achat(messages)).message.content == "patched"


@pytest.mark.parametrize("count", [float("inf"), float("-inf"), float("nan")])
def test_a_token_count_of_infinity_or_nan_is_a_typed_error(count: float) -> None:
    import glm_transport
    from glm_transport.parse import parse_completion

    body = {
        "choices": [{"index": 0, "message": {"content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": count},
    }
    with pytest.raises(glm_transport.APIError, match="token count"):
        parse_completion(body)
