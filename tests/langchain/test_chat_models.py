"""ChatGLM beyond the standard suites: reasoning, tool loops, GLM's quirks, errors, secrets.

Cassette tests (``@pytest.mark.vcr``) replay recorded upstream traffic; fault tests run against
the local emulator over loopback, since faults cannot be replayed faithfully from a cassette.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAuthenticationError,
    ModelRateLimitError,
)
from langchain_core.load import dumps, loads
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, Field

import glm_transport
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER
from langchain_glm import ChatGLM
from langchain_glm.errors import GLMToolChoiceError
from tests.conftest import glm_target

FAKE_KEY = "fake-id.S3CR3T-value-that-must-not-leak"


@tool
def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 21 C in {city}"


@tool
def get_population(city: str) -> int:
    """Get the population of a city."""
    return 2_100_000


class Sent:
    """Captures the JSON bodies we send, through an httpx event hook (works under VCR too)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> None:
        self.bodies.append(json.loads(request.content))

    def client(self) -> httpx.Client:
        return httpx.Client(event_hooks={"request": [self]})


def cassette_llm(
    sent: Sent | None = None, fault: dict[str, Any] | None = None, **kw: Any
) -> ChatGLM:
    headers = {FAULT_HEADER: json.dumps(fault)} if fault else None
    return ChatGLM(
        model=kw.pop("model", "glm-5-turbo"),
        default_headers=headers,
        http_client=sent.client() if sent else None,
        http_async_client=httpx.AsyncClient(),
        **glm_target(),
        **kw,
    )


def emu_llm(emu: EmulatorServer, fault: dict[str, Any] | None = None, **kw: Any) -> ChatGLM:
    headers = {FAULT_HEADER: json.dumps(fault)} if fault else None
    return ChatGLM(
        model=kw.pop("model", "glm-5-turbo"),
        base_url=emu.base_url,
        api_key=kw.pop("api_key", FAKE_KEY),
        default_headers=headers,
        **kw,
    )


def aggregate(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for c in chunks[1:]:
        full = full + c
    return full


# ---- reasoning ---------------------------------------------------------------------------------


@pytest.mark.vcr
def test_reasoning_on_invoke_and_stream() -> None:
    llm = cassette_llm(thinking=True)
    msg = llm.invoke("Why is the sea salty?")
    assert msg.additional_kwargs["reasoning_content"]
    assert msg.content_blocks[0]["type"] == "reasoning"
    assert msg.usage_metadata["output_token_details"]["reasoning"] > 0  # type: ignore[index]

    chunks = list(llm.stream("Why is the sea salty?"))
    with_reasoning = [c for c in chunks if c.additional_kwargs.get("reasoning_content")]
    assert len(with_reasoning) > 1  # every reasoning delta reaches the user as it arrives
    full = aggregate(chunks)
    assert full.additional_kwargs["reasoning_content"] == msg.additional_kwargs["reasoning_content"]
    assert full.content == msg.content
    assert [b["type"] for b in full.content_blocks] == ["reasoning", "text"]


@pytest.mark.vcr
def test_reasoning_in_v1_output() -> None:
    llm = cassette_llm(thinking=True, output_version="v1")
    msg = llm.invoke("Why is the sea salty?")
    assert isinstance(msg.content, list)
    assert msg.content[0]["type"] == "reasoning"  # type: ignore[index]


def test_thinking_shorthand_and_object_reach_the_wire(glm_emulator: EmulatorServer) -> None:
    emu_llm(glm_emulator, thinking=False).invoke("hi")
    emu_llm(glm_emulator, thinking={"type": "enabled", "clear_thinking": False}).invoke("hi")
    emu_llm(glm_emulator).invoke("hi", thinking=True)
    sent = [b.get("thinking") for b in glm_emulator.state.bodies]
    assert sent == [
        {"type": "disabled"},
        {"type": "enabled", "clear_thinking": False},
        {"type": "enabled"},
    ]


def test_disabled_thinking_gives_no_reasoning(glm_emulator: EmulatorServer) -> None:
    msg = emu_llm(glm_emulator, thinking=False).invoke("hi")
    assert "reasoning_content" not in msg.additional_kwargs


# ---- tool loops and reasoning round-trip --------------------------------------------------------


def _tool_loop(llm: ChatGLM, question: str) -> tuple[list[Any], AIMessage]:
    bound = llm.bind_tools([get_weather, get_population])
    history: list[Any] = [HumanMessage(question)]
    tools = {"get_weather": get_weather, "get_population": get_population}
    for _ in range(4):
        reply = bound.invoke(history)
        history.append(reply)
        if not reply.tool_calls:
            return history, reply
        for call in reply.tool_calls:
            history.append(tools[call["name"]].invoke(call))
    raise AssertionError("the loop did not finish")


@pytest.mark.vcr
def test_multi_turn_tool_loop_sends_reasoning_back_with_tool_turns() -> None:
    sent = Sent()
    history, final = _tool_loop(cassette_llm(sent), "Weather and population of Paris?")
    assert [type(m).__name__ for m in history] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
    ]
    assert "Sunny and 21 C in Paris" in final.content and "2100000" in final.content
    # Second request: the assistant turn carries its tool call, its reasoning, and the result.
    second = sent.bodies[1]["messages"]
    assert second[1]["role"] == "assistant"
    assert second[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert json.loads(second[1]["tool_calls"][0]["function"]["arguments"]) == {"city": "Paris"}
    assert second[1]["reasoning_content"] == history[1].additional_kwargs["reasoning_content"]
    assert second[2] == {
        "role": "tool",
        "tool_call_id": history[1].tool_calls[0]["id"],
        "content": "Sunny and 21 C in Paris",
    }


@pytest.mark.vcr
def test_preserved_thinking_sends_every_turns_reasoning() -> None:
    sent = Sent()
    llm = cassette_llm(sent, thinking={"type": "enabled", "clear_thinking": False})
    first = llm.invoke("Name a colour.")
    llm.invoke([HumanMessage("Name a colour."), first, HumanMessage("And another?")])
    assistant = sent.bodies[1]["messages"][1]
    assert assistant["reasoning_content"] == first.additional_kwargs["reasoning_content"]


def test_coding_plan_endpoints_preserve_thinking_by_default(glm_emulator: EmulatorServer) -> None:
    llm = ChatGLM(
        model="glm-4.7", provider="zai-coding", base_url=glm_emulator.base_url, api_key=FAKE_KEY
    )
    first = llm.invoke("hi")
    llm.invoke([HumanMessage("hi"), first, HumanMessage("again")])
    assert "reasoning_content" in glm_emulator.state.bodies[-1]["messages"][1]
    plain = emu_llm(glm_emulator)
    plain.invoke([HumanMessage("hi"), first, HumanMessage("again")])
    assert "reasoning_content" not in glm_emulator.state.bodies[-1]["messages"][1]


@pytest.mark.vcr
@pytest.mark.parametrize("tool_stream", [False, True])
def test_streamed_tool_calls_add_up(tool_stream: bool) -> None:
    llm = cassette_llm(tool_stream=tool_stream).bind_tools([get_weather])
    chunks = list(llm.stream("What's the weather in Paris?"))
    pieces = [c for c in chunks if c.tool_call_chunks]
    assert len(pieces) > (2 if tool_stream else 0)
    assert all(tc["index"] == 0 for c in pieces for tc in c.tool_call_chunks)
    full = aggregate(chunks)
    assert full.tool_calls == [
        {
            "name": "get_weather",
            "args": {"city": "Paris"},
            "id": pieces[0].tool_call_chunks[0]["id"],
            "type": "tool_call",
        }
    ]
    assert full.response_metadata["finish_reason"] == "tool_calls"


@pytest.mark.vcr
@pytest.mark.parametrize(
    "quirks",
    [
        ["index_minus_one", "duplicate_finish"],
        ["usage_separate"],
        ["no_object", "crlf", "comments"],
    ],
)
def test_stream_quirks_aggregate_cleanly(quirks: list[str]) -> None:
    llm = cassette_llm(fault={"quirks": quirks, "parallel": True})
    chunks = list(llm.bind_tools([get_weather, get_population]).stream("Paris facts?"))
    full = aggregate(chunks)
    assert [tc["name"] for tc in full.tool_calls] == ["get_weather", "get_population"]
    assert full.response_metadata["finish_reason"] == "tool_calls"  # not "tool_callstool_calls"
    assert full.response_metadata["model_name"] == "glm-5-turbo"
    assert sum(1 for c in chunks if c.usage_metadata) == 1
    assert full.usage_metadata and full.usage_metadata["total_tokens"] > 0


@pytest.mark.vcr
def test_tool_arguments_sent_as_an_object_are_understood() -> None:
    llm = cassette_llm(fault={"quirks": ["args_object"]}).bind_tools([get_weather])
    assert llm.invoke("Weather in Rome?").tool_calls[0]["args"] == {"city": "Rome"}


@pytest.mark.vcr
def test_agent_finishes_a_multi_step_task() -> None:
    from langchain.agents import create_agent

    agent = create_agent(cassette_llm(), tools=[get_weather, get_population])
    result = agent.invoke({"messages": [("user", "Weather and population of Berlin?")]})
    kinds = [type(m).__name__ for m in result["messages"]]
    assert kinds.count("ToolMessage") == 2
    final = result["messages"][-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert "Berlin" in final.content and "2100000" in final.content


# ---- tool_choice on an auto-only API ------------------------------------------------------------


def test_named_tool_choice_offers_only_that_tool(glm_emulator: EmulatorServer) -> None:
    llm = emu_llm(glm_emulator).bind_tools(
        [get_weather, get_population], tool_choice="get_population"
    )
    assert llm.invoke("Paris?").tool_calls[0]["name"] == "get_population"
    body = glm_emulator.state.bodies[-1]
    assert [t["function"]["name"] for t in body["tools"]] == ["get_population"]
    assert body["tool_choice"] == "auto"


def test_tool_choice_none_offers_no_tools(glm_emulator: EmulatorServer) -> None:
    msg = emu_llm(glm_emulator).bind_tools([get_weather], tool_choice="none").invoke("Paris?")
    assert not msg.tool_calls and "tools" not in glm_emulator.state.bodies[-1]


@pytest.mark.parametrize("choice", ["any", "required", True, "get_weather"])
def test_required_tool_choice_is_verified(glm_emulator: EmulatorServer, choice: Any) -> None:
    llm = emu_llm(glm_emulator, {"ignore_tools": True}).bind_tools(
        [get_weather], tool_choice=choice
    )
    with pytest.raises(GLMToolChoiceError, match="only offers tool_choice='auto'"):
        llm.invoke("Paris?")
    with pytest.raises(GLMToolChoiceError):
        list(llm.stream("Paris?"))


def test_unknown_tool_choice_fails_at_bind_time() -> None:
    with pytest.raises(ValueError, match="`tool_choice`"):
        ChatGLM(api_key=FAKE_KEY).bind_tools([get_weather], tool_choice="get_time")


def test_parallel_tool_calls_false_keeps_the_first(glm_emulator: EmulatorServer) -> None:
    llm = emu_llm(glm_emulator, {"parallel": True})
    both = llm.bind_tools([get_weather, get_population]).invoke("Paris?")
    one = llm.bind_tools([get_weather, get_population], parallel_tool_calls=False).invoke("Paris?")
    assert len(both.tool_calls) == 2 and [t["name"] for t in one.tool_calls] == ["get_weather"]
    single = llm.bind_tools([get_weather, get_population], parallel_tool_calls=False)
    streamed = aggregate(list(single.stream("Paris?")))
    assert [t["name"] for t in streamed.tool_calls] == ["get_weather"]


def test_web_search_tools_pass_through(glm_emulator: EmulatorServer) -> None:
    web = {"type": "web_search", "web_search": {"enable": True, "search_engine": "search_pro"}}
    msg = emu_llm(glm_emulator).bind_tools([web]).invoke("news?")
    assert glm_emulator.state.bodies[-1]["tools"] == [web]
    assert msg.response_metadata["web_search"][0]["link"].startswith("https://")


# ---- structured output ----------------------------------------------------------------------------


class Person(BaseModel):
    """A person."""

    name: str = Field(description="Full name")
    age: int


@pytest.mark.vcr
@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_via_tools(method: str) -> None:
    out = (
        cassette_llm()
        .with_structured_output(Person, method=method)
        .invoke("Extract: 'Ada Lovelace' is 36 years old.")
    )
    assert out == Person(name="Ada Lovelace", age=36)


@pytest.mark.vcr
def test_structured_output_json_mode_and_include_raw() -> None:
    schema = {
        "title": "Person",
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    }
    prompt = f"Return JSON matching {json.dumps(schema)} for: 'Alan Turing', 41."
    out = (
        cassette_llm()
        .with_structured_output(schema, method="json_mode", include_raw=True)
        .invoke(prompt)
    )
    assert out["parsing_error"] is None
    assert out["parsed"] == {"name": "Alan Turing", "age": 41}
    assert isinstance(out["raw"], AIMessage)


# ---- inputs ------------------------------------------------------------------------------------


@pytest.mark.vcr
def test_image_and_file_inputs() -> None:
    sent = Sent()
    llm = cassette_llm(sent, model="glm-4.6v")
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    llm.invoke(
        [
            HumanMessage(
                content=[
                    {"type": "text", "text": "Describe both images."},
                    {"type": "image", "base64": png, "mime_type": "image/png"},
                    {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                ]
            )
        ]
    )
    llm.invoke(
        [
            HumanMessage(
                content=[
                    {"type": "text", "text": "Summarise the report."},
                    {"type": "file", "url": "https://example.com/report.pdf"},
                ]
            )
        ]
    )
    parts = sent.bodies[0]["messages"][0]["content"]
    assert parts[1] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}
    assert parts[2] == {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
    assert sent.bodies[1]["messages"][0]["content"][1] == {
        "type": "file_url",
        "file_url": {"url": "https://example.com/report.pdf"},
    }


def test_unsupported_blocks_are_refused_before_sending(glm_emulator: EmulatorServer) -> None:
    llm = emu_llm(glm_emulator)
    with pytest.raises(ValueError, match=r"messages\[0\]\.content\[1\]"):
        llm.invoke(
            [
                HumanMessage(
                    content=[
                        {"type": "text", "text": "x"},
                        {"type": "image", "file_id": "file-123"},
                    ]
                )
            ]
        )
    with pytest.raises(ValueError, match="at least one 'user'"):
        llm.invoke([("system", "only a system prompt")])
    with pytest.raises(ValueError, match="`temperature`"):
        llm.invoke("hi", temperature=1.5)
    assert glm_emulator.state.requests == 0


def test_tool_message_error_status_and_list_content(glm_emulator: EmulatorServer) -> None:
    call = {"name": "get_weather", "args": {"city": "Oslo"}, "id": "call_1"}
    emu_llm(glm_emulator).invoke(
        [
            HumanMessage("Weather in Oslo?"),
            AIMessage("", tool_calls=[call]),
            ToolMessage(
                [{"type": "text", "text": "service down"}], tool_call_id="call_1", status="error"
            ),
        ]
    )
    assert glm_emulator.state.bodies[-1]["messages"][2] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "Error: service down",
    }


# ---- request parameters -----------------------------------------------------------------------


def test_only_set_params_are_sent_and_per_call_overrides_win(glm_emulator: EmulatorServer) -> None:
    emu_llm(glm_emulator).invoke("hi")
    # request_id: a fresh one on every attempt, so a reply can be matched to its request.
    assert set(glm_emulator.state.bodies[-1]) == {"request_id", "model", "messages"}
    emu_llm(
        glm_emulator,
        temperature=0,
        max_tokens=50,
        stop=["END"],
        top_p=0.5,
        request_id="my-request-1",
        extra_body={"watermark_enabled": False},
    ).invoke("hi", model="glm-4.7", user_id="user-12345")
    body = glm_emulator.state.bodies[-1]
    assert body["model"] == "glm-4.7" and body["do_sample"] is False
    assert "temperature" not in body
    assert (body["max_tokens"], body["stop"], body["top_p"]) == (50, ["END"], 0.5)
    assert (body["request_id"], body["user_id"]) == ("my-request-1", "user-12345")
    assert body["watermark_enabled"] is False


def test_unknown_constructor_kwargs_go_to_model_kwargs(glm_emulator: EmulatorServer) -> None:
    llm = emu_llm(glm_emulator, do_sample=False)
    assert llm.model_kwargs == {"do_sample": False}
    llm.invoke("hi")
    assert glm_emulator.state.bodies[-1]["do_sample"] is False


def test_aliases() -> None:
    llm = ChatGLM(
        model_name="glm-4.6",
        stop_sequences=["x"],
        request_timeout=5,
        max_completion_tokens=9,
        api_key=FAKE_KEY,
    )
    assert (llm.model_name, llm.stop, llm.max_tokens) == ("glm-4.6", ["x"], 9)


def test_callbacks_receive_every_token(glm_emulator: EmulatorServer) -> None:
    class Tokens(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def on_llm_new_token(self, token: str, **kw: Any) -> None:
            self.tokens.append(token)

    handler = Tokens()
    chunks = list(emu_llm(glm_emulator).stream("hi there", config={"callbacks": [handler]}))
    assert "".join(handler.tokens) == "".join(str(c.content) for c in chunks)
    assert len(handler.tokens) >= len(chunks) - 1


async def test_async_paths(glm_emulator: EmulatorServer) -> None:
    llm = emu_llm(glm_emulator)
    msg = await llm.ainvoke("hi")
    chunks = [c async for c in llm.astream("hi")]
    assert aggregate(chunks).content == msg.content
    assert [m.content for m in await llm.abatch(["a", "b"])] == [
        "GLM emulator reply to: a",
        "GLM emulator reply to: b",
    ]
    await glm_transport.aclose_shared_clients()


def test_profile() -> None:
    assert ChatGLM(model="glm-4.5", api_key=FAKE_KEY).profile["max_input_tokens"] == 128_000
    vision = ChatGLM(model="glm-4.6v", api_key=FAKE_KEY).profile
    assert vision["image_inputs"] is True and vision["max_output_tokens"] == 32_768


# ---- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "core_cls", "glm_cls"),
    [
        ({"code": "1302"}, ModelRateLimitError, glm_transport.RateLimitError),
        ({"code": "1002"}, ModelAuthenticationError, glm_transport.AuthenticationError),
        ({"code": "1261"}, ContextOverflowError, glm_transport.ContextOverflowError),
    ],
)
@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_errors_are_both_glm_and_langchain_types(
    glm_emulator: EmulatorServer, fault: dict[str, Any], core_cls: type, glm_cls: type, mode: str
) -> None:
    llm = emu_llm(glm_emulator, fault, max_retries=0)
    with pytest.raises(core_cls) as info:
        llm.invoke("hi") if mode == "invoke" else list(llm.stream("hi"))
    err = info.value
    assert isinstance(err, glm_cls)
    assert err.code == fault["code"] and err.status and err.request_id  # type: ignore[attr-defined]


async def test_async_errors_are_typed(glm_emulator: EmulatorServer) -> None:
    llm = emu_llm(glm_emulator, {"code": "1308"}, max_retries=3)
    with pytest.raises(ModelRateLimitError) as info:
        await llm.ainvoke("hi")
    assert info.value.is_retryable is False and glm_emulator.state.requests == 1
    with pytest.raises(glm_transport.StreamInterruptedError):
        [c async for c in emu_llm(glm_emulator, {"disconnect_after": 3, "batch": 1}).astream("x")]
    await glm_transport.aclose_shared_clients()


def test_langchain_fallbacks_react_to_typed_errors(glm_emulator: EmulatorServer) -> None:
    broken = emu_llm(glm_emulator, {"code": "1305"}, max_retries=0)
    working = emu_llm(glm_emulator)
    chain = broken.with_fallbacks([working], exceptions_to_handle=(ModelRateLimitError,))
    assert chain.invoke("hi").content == "GLM emulator reply to: hi"


# ---- secrets and serialisation ------------------------------------------------------------------


def test_key_never_shows(glm_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    llm = emu_llm(glm_emulator, {"code": "1302", "retry_after_ms": 1}, max_retries=1)
    with pytest.raises(ModelRateLimitError) as info:
        llm.invoke("hi")
    texts = [
        repr(llm),
        str(llm),
        dumps(llm),
        str(info.value),
        repr(info.value),
        repr(info.value.__cause__),
        caplog.text,
        repr(llm.client),
        json.dumps(llm.model_dump(), default=str),
    ]
    for text in texts:
        assert FAKE_KEY not in text and "S3CR3T" not in text


@pytest.mark.filterwarnings("ignore:The function `loads` is in beta")
def test_serialisation_round_trip_without_the_key() -> None:
    llm = ChatGLM(model="glm-4.7", api_key=FAKE_KEY, temperature=0.3, provider="bigmodel")
    text = dumps(llm)
    assert FAKE_KEY not in text and "GLM_API_KEY" in text
    back = loads(
        text,
        secrets_map={"GLM_API_KEY": "restored"},
        allowed_objects=[ChatGLM],
        valid_namespaces=["langchain_glm"],
    )
    assert isinstance(back, ChatGLM)
    assert (back.model_name, back.temperature, back.provider) == ("glm-4.7", 0.3, "bigmodel")
    assert back.api_key is not None and back.api_key.get_secret_value() == "restored"


# ---- core features that must keep working ------------------------------------------------------


def test_rate_limiter_disable_streaming_and_streaming_invoke(glm_emulator: EmulatorServer) -> None:
    from langchain_core.rate_limiters import InMemoryRateLimiter

    limiter = InMemoryRateLimiter(requests_per_second=1000, check_every_n_seconds=0.001)
    limited = emu_llm(glm_emulator, rate_limiter=limiter)
    assert limited.invoke("hi").content == "GLM emulator reply to: hi"
    no_stream = emu_llm(glm_emulator, disable_streaming=True)
    chunks = list(no_stream.stream("hi"))
    assert len(chunks) == 1 and "stream" not in glm_emulator.state.bodies[-1]
    streamed = emu_llm(glm_emulator, streaming=True).invoke("hi")
    assert glm_emulator.state.bodies[-1]["stream"] is True
    assert streamed.content == "GLM emulator reply to: hi"
    assert streamed.additional_kwargs["reasoning_content"]
    assert streamed.usage_metadata and streamed.usage_metadata["total_tokens"] > 0


def test_ls_params_and_tracing_metadata() -> None:
    llm = ChatGLM(model="glm-4.7", temperature=0.2, max_tokens=64, stop=["END"], api_key=FAKE_KEY)
    params = llm._get_ls_params(model="glm-5")
    assert params == {
        "ls_provider": "zhipuai",
        "ls_model_name": "glm-5",
        "ls_model_type": "chat",
        "ls_temperature": 0.2,
        "ls_max_tokens": 64,
        "ls_stop": ["END"],
    }


@pytest.mark.parametrize("mode", ["invoke", "stream"])
def test_glm_45v_think_tags_become_reasoning(glm_emulator: EmulatorServer, mode: str) -> None:
    llm = emu_llm(glm_emulator, {"quirks": ["think_tags"]}, model="glm-4.5v")
    msg = (
        llm.invoke("Describe it.")
        if mode == "invoke"
        else aggregate(list(llm.stream("Describe it.")))
    )
    assert msg.content == "GLM emulator reply to: Describe it."
    assert msg.additional_kwargs["reasoning_content"].startswith("The user asks")
    assert "<think>" not in str(msg.content) and "box" not in str(msg.content)


@pytest.mark.parametrize("asynchronous", [False, True])
def test_include_raw_reports_a_missing_tool_call_as_the_parsing_error(
    glm_emulator: EmulatorServer, asynchronous: bool
) -> None:
    # GLM (tool_choice auto only) answered in prose: not a valid null (issue #24, item 3).
    import asyncio

    from pydantic import BaseModel

    from langchain_glm.errors import GLMToolChoiceError

    class Person(BaseModel):
        name: str

    glm_emulator.state.script.reply("I would rather chat.")
    glm_emulator.state.script.reply(tool_calls=[("Person", {"name": "Ada"})])
    structured = emu_llm(glm_emulator).with_structured_output(Person, include_raw=True)
    ask = (
        (lambda: asyncio.run(structured.ainvoke("who?")))
        if asynchronous
        else (lambda: structured.invoke("who?"))
    )
    out = ask()
    assert out["parsed"] is None and isinstance(out["parsing_error"], GLMToolChoiceError)
    assert "Person" in str(out["parsing_error"]) and out["raw"].content == "I would rather chat."
    out = ask()  # a reply that does call it parses as before
    assert out["parsed"] == Person(name="Ada") and out["parsing_error"] is None
