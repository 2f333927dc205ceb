"""The reply policy holds alike in both frameworks and all four call modes (issue #10's divergence:
``allow_parallel_tool_calls=False`` kept both calls in LlamaIndex ``astream_chat_with_tools``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from glm_transport import errors as E
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER

MODES = ["sync", "async", "stream", "astream"]
QUESTION = "What is the weather and the time in Paris?"


def _tools_lc() -> list[Any]:
    from langchain_core.tools import tool

    @tool
    def get_weather(city: str) -> str:
        """Weather in a city."""
        return "sunny"

    @tool
    def get_time(city: str) -> str:
        """Time in a city."""
        return "noon"

    return [get_weather, get_time]


def _tools_li() -> list[Any]:
    from llama_index.core.tools import FunctionTool

    def get_weather(city: str) -> str:
        """Weather in a city."""
        return "sunny"

    def get_time(city: str) -> str:
        """Time in a city."""
        return "noon"

    return [FunctionTool.from_defaults(get_weather), FunctionTool.from_defaults(get_time)]


def _langchain(url: str, fault: dict[str, Any], mode: str, **bind: Any) -> list[tuple[str, Any]]:
    from langchain_glm import ChatGLM

    llm = ChatGLM(
        model="glm-5", base_url=url, api_key="k", default_headers={FAULT_HEADER: json.dumps(fault)}
    ).bind_tools(_tools_lc(), **bind)
    if mode == "sync":
        msg = llm.invoke(QUESTION)
    elif mode == "async":
        msg = asyncio.run(llm.ainvoke(QUESTION))
    elif mode == "stream":
        msg = None
        for chunk in llm.stream(QUESTION):
            msg = chunk if msg is None else msg + chunk
    else:

        async def run() -> Any:
            total = None
            async for chunk in llm.astream(QUESTION):
                total = chunk if total is None else total + chunk
            return total

        msg = asyncio.run(run())
    calls = [(c["name"], c["args"]) for c in msg.tool_calls]
    return calls + [(c["name"], c["args"]) for c in msg.invalid_tool_calls]


def _llama_index(url: str, fault: dict[str, Any], mode: str, **kw: Any) -> list[tuple[str, Any]]:
    from llama_index_glm import GLM

    llm = GLM(
        model="glm-5", base_url=url, api_key="k", default_headers={FAULT_HEADER: json.dumps(fault)}
    )
    tools = _tools_li()
    if mode == "sync":
        response = llm.chat_with_tools(tools, QUESTION, **kw)
    elif mode == "async":
        response = asyncio.run(llm.achat_with_tools(tools, QUESTION, **kw))
    elif mode == "stream":
        response = None
        for response in llm.stream_chat_with_tools(tools, QUESTION, **kw):
            pass
    else:

        async def run() -> Any:
            last = None
            async for last in await llm.astream_chat_with_tools(tools, QUESTION, **kw):
                pass
            return last

        response = asyncio.run(run())
    return [
        (b.tool_name, b.tool_kwargs)
        for b in response.message.blocks
        if type(b).__name__ == "ToolCallBlock"
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_one_call_at_a_time(glm_emulator: EmulatorServer, framework: str, mode: str) -> None:
    fault = {"parallel": True}
    if framework == "langchain":
        calls = _langchain(glm_emulator.base_url, fault, mode, parallel_tool_calls=False)
        both = _langchain(glm_emulator.base_url, fault, mode)
    else:
        calls = _llama_index(glm_emulator.base_url, fault, mode, allow_parallel_tool_calls=False)
        both = _llama_index(glm_emulator.base_url, fault, mode, allow_parallel_tool_calls=True)
    assert [name for name, _ in both] == ["get_weather", "get_time"]  # GLM sent two
    assert [name for name, _ in calls] == ["get_weather"]  # the policy kept one
    assert calls[0][1] == {"city": "Paris"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_required_and_named_tool_choice(
    glm_emulator: EmulatorServer, framework: str, mode: str
) -> None:
    url = glm_emulator.base_url
    if framework == "langchain":
        named = _langchain(url, {}, mode, tool_choice="get_time")
        with pytest.raises(E.ToolChoiceError, match="required a tool call"):
            _langchain(url, {"ignore_tools": True}, mode, tool_choice="any")
        with pytest.raises(E.ToolChoiceError, match="tool 'get_time'"):
            _langchain(url, {"ignore_tools": True}, mode, tool_choice="get_time")
    else:
        named = _llama_index(url, {}, mode, tool_choice="get_time")
        with pytest.raises(E.ToolChoiceError, match="required a tool call"):
            _llama_index(url, {"ignore_tools": True}, mode, tool_required=True)
        with pytest.raises(E.ToolChoiceError, match="tool 'get_time'"):
            _llama_index(url, {"ignore_tools": True}, mode, tool_choice="get_time")
    assert [name for name, _ in named] == ["get_time"]


def _llama_index_message(arguments: str) -> Any:
    from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock

    block = ToolCallBlock(tool_call_id="c", tool_name="get_time", tool_kwargs=arguments)
    return ChatMessage(role="assistant", blocks=[block])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_a_call_with_unparseable_arguments_counts_but_is_never_valid(
    glm_emulator: EmulatorServer, framework: str, mode: str
) -> None:
    """The decision: such a call satisfies a required tool choice, and its arguments surface as
    GLM sent them (LangChain: an invalid tool call; LlamaIndex: the raw text, which
    ``get_tool_calls_from_response`` refuses), never as a made-up valid call."""
    if framework == "llama_index":
        from llama_index.core.base.llms.types import ChatResponse

        from llama_index_glm import GLM

        finished = ChatResponse(
            message=_llama_index_message('{"city": "Pari'),
            additional_kwargs={"finish_reason": "tool_calls"},
        )
        with pytest.raises(ValueError, match="not a JSON object"):
            GLM(api_key="k").get_tool_calls_from_response(finished)
    fault = {"quirks": ["cut_args"]}
    sent = '{"city": "Pari'
    if framework == "langchain" and mode in ("stream", "astream"):
        # LangChain's chunk merging would repair the JSON into a valid-looking call: refused.
        with pytest.raises(E.InvalidToolCallError, match="not a JSON object"):
            _langchain(glm_emulator.base_url, fault, mode, tool_choice="get_time")
        return
    run = _langchain if framework == "langchain" else _llama_index
    assert run(glm_emulator.base_url, fault, mode, tool_choice="get_time") == [("get_time", sent)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_a_call_cut_off_by_max_tokens_never_reaches_a_tool(
    glm_emulator: EmulatorServer, framework: str, mode: str
) -> None:
    fault = {"quirks": ["cut_args"], "finish_reason": "length"}
    run = _langchain if framework == "langchain" else _llama_index
    with pytest.raises(E.ToolCallTruncatedError, match="cut off by max_tokens") as info:
        run(glm_emulator.base_url, fault, mode)
    assert info.value.code == "length"


# ---- max_tokens spent before any answer (issue #23) -------------------------------------------


def _empty_after_thinking(framework: str, mode: str, url: str, **extra: Any) -> str:
    # The emulator honours max_tokens: 3 tokens go to the reasoning, none are left to answer.
    from langchain_core.messages import HumanMessage

    if framework == "langchain":
        from langchain_glm import ChatGLM

        lc = ChatGLM(base_url=url, api_key="k", model="glm-5", max_tokens=3, **extra)
        if mode == "sync":
            return str(lc.invoke([HumanMessage("hi")]).content)
        if mode == "async":
            return str(asyncio.run(lc.ainvoke([HumanMessage("hi")])).content)
        if mode == "stream":
            return "".join(str(c.content) for c in lc.stream([HumanMessage("hi")]))

        async def lc_astream() -> str:
            return "".join([str(c.content) async for c in lc.astream([HumanMessage("hi")])])

        return asyncio.run(lc_astream())
    from llama_index.core.base.llms.types import ChatMessage

    from llama_index_glm import GLM

    li = GLM(base_url=url, api_key="k", model="glm-5", max_tokens=3, **extra)
    messages = [ChatMessage(role="user", content="hi")]
    if mode == "sync":
        return str(li.chat(messages).message.content or "")
    if mode == "async":
        return str(asyncio.run(li.achat(messages)).message.content or "")
    if mode == "stream":
        return "".join(r.delta or "" for r in li.stream_chat(messages))

    async def li_astream() -> str:
        gen = await li.astream_chat(messages)
        return "".join([r.delta or "" async for r in gen])

    return asyncio.run(li_astream())


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
@pytest.mark.parametrize("mode", ["sync", "async", "stream", "astream"])
def test_max_tokens_spent_on_thinking_is_an_error_not_an_empty_answer(
    glm_emulator: EmulatorServer, framework: str, mode: str
) -> None:
    with pytest.raises(E.ReasoningExhaustedError, match="max_tokens") as info:
        _empty_after_thinking(framework, mode, glm_emulator.base_url)
    err = info.value
    assert err.code == "length" and not err.retryable and glm_emulator.state.requests == 1
    assert "reasoning_effort" in str(err) and "empty_answer='return'" in str(err)
    assert err.usage is not None and err.usage.completion_tokens == 3
    if mode in ("sync", "async"):  # a whole reply: the reasoning is on .partial
        assert err.partial.reasoning_content and not err.partial.content
    if framework == "langchain":
        from langchain_core.exceptions import ModelAPIError

        assert isinstance(err, ModelAPIError)  # what langchain-core's error handling catches


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
@pytest.mark.parametrize("mode", ["sync", "stream"])
def test_the_empty_answer_when_asked_for(
    glm_emulator: EmulatorServer, framework: str, mode: str
) -> None:
    key = "model_kwargs" if framework == "langchain" else "additional_kwargs"
    extra = {key: {"empty_answer": "return"}}
    assert _empty_after_thinking(framework, mode, glm_emulator.base_url, **extra) == ""
