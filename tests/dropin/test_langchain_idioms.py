"""LangChain and LangGraph idioms, as their docs write them, with ChatGLM swapped in."""

from __future__ import annotations

import asyncio
import json
import operator
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph.message import add_messages
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from glm_transport.emulator import EmulatorServer
from langchain_glm import ChatGLM

V0_V1 = pytest.mark.parametrize("output_version", ["v0", "v1"])


def llm(url: str, **kw: Any) -> ChatGLM:
    return ChatGLM(model="glm-5.3", base_url=url, api_key="k", **kw)


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


class Person(BaseModel):
    """A person."""

    name: str = Field(description="The name")
    age: int = Field(description="The age")


class MessagesState(TypedDict):
    messages: Annotated[list[Any], add_messages]


class AnswersState(TypedDict):
    answers: Annotated[list[str], operator.add]


class PersonDict(TypedDict):
    """A person."""

    name: str
    age: int


@V0_V1
def test_lcel_prompt_model_parser(url: str, output_version: str) -> None:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    prompt = ChatPromptTemplate.from_messages([("system", "Be brief."), ("human", "{q}")])
    chain = prompt | llm(url, output_version=output_version) | StrOutputParser()
    assert chain.invoke({"q": "Why is the sky blue?"}).endswith("Why is the sky blue?")
    assert "".join(chain.stream({"q": "stream me"})).endswith("stream me")
    assert [
        a.endswith(q) for a, q in zip(chain.batch([{"q": "a1"}, {"q": "b2"}]), ["a1", "b2"])
    ] == [
        True,
        True,
    ]
    assert asyncio.run(chain.ainvoke({"q": "async"})).endswith("async")


def test_batch_with_max_concurrency(url: str, glm_emulator: EmulatorServer) -> None:
    answers = llm(url).batch([f"q{i}" for i in range(8)], config={"max_concurrency": 3})
    assert [str(a.content).endswith(f"q{i}") for i, a in enumerate(answers)] == [True] * 8
    assert glm_emulator.state.requests == 8


def test_runnable_with_message_history(url: str, glm_emulator: EmulatorServer) -> None:
    from langchain_core.chat_history import InMemoryChatMessageHistory
    from langchain_core.runnables.history import RunnableWithMessageHistory

    store: dict[str, InMemoryChatMessageHistory] = {}
    chat = RunnableWithMessageHistory(
        llm(url), lambda sid: store.setdefault(sid, InMemoryChatMessageHistory())
    )
    config = {"configurable": {"session_id": "s1"}}
    chat.invoke([HumanMessage("My name is Ada.")], config=config)
    chat.invoke([HumanMessage("What is my name?")], config=config)
    sent = glm_emulator.state.bodies[-1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert len(store["s1"].messages) == 4


@V0_V1
def test_astream_events_v2(url: str, output_version: str) -> None:
    async def run() -> list[str]:
        kinds = []
        async for event in llm(url, output_version=output_version).astream_events(
            "hi", version="v2"
        ):
            kinds.append(event["event"])
        return kinds

    kinds = asyncio.run(run())
    assert kinds[0] == "on_chat_model_start" and kinds[-1] == "on_chat_model_end"
    assert "on_chat_model_stream" in kinds


@pytest.mark.parametrize("method", ["function_calling", "json_mode", "json_schema"])
@pytest.mark.parametrize("schema", [Person, PersonDict, Person.model_json_schema()])
def test_with_structured_output(url: str, method: str, schema: Any) -> None:
    structured = llm(url).with_structured_output(schema, method=method)
    # JSON mode needs the format in the prompt (LangChain's docs say so too).
    prompt = f"Ada is 36. Answer in JSON following {json.dumps(Person.model_json_schema())}"
    out = structured.invoke(prompt)
    value = out.model_dump() if isinstance(out, BaseModel) else out
    assert set(value) >= {"name", "age"}


def test_structured_output_include_raw_when_glm_answers_in_text(url: str) -> None:
    from glm_transport.emulator.app import FAULT_HEADER

    quiet = llm(url, default_headers={FAULT_HEADER: '{"ignore_tools": true}'})
    out = quiet.with_structured_output(Person, include_raw=True).invoke("Tell me about Ada")
    assert isinstance(out["raw"], AIMessage) and out["parsed"] is None
    assert "parsing_error" in out
    ok = llm(url).with_structured_output(Person, include_raw=True).invoke("Ada is 36")
    assert isinstance(ok["parsed"], Person) and ok["parsing_error"] is None


@V0_V1
def test_bind_tools_every_form_and_a_manual_tool_loop(url: str, output_version: str) -> None:
    class GetTime(BaseModel):
        """Get the time in a city."""

        city: str

    as_dict = {
        "type": "function",
        "function": {
            "name": "get_population",
            "description": "Population of a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    model = llm(url, output_version=output_version).bind_tools([get_weather, GetTime, as_dict])
    messages: list[Any] = [HumanMessage("Weather, time and population of 'Paris'?")]
    for _ in range(4):
        reply = model.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        for call in reply.tool_calls:
            messages.append(ToolMessage(f"{call['name']}: ok", tool_call_id=call["id"]))
    assert "get_weather: ok" in messages[-1].text and "GetTime: ok" in messages[-1].text


@pytest.mark.parametrize("stream_mode", ["values", "updates", "messages"])
@V0_V1
def test_create_agent_streamed(url: str, stream_mode: str, output_version: str) -> None:
    from langchain.agents import create_agent

    agent = create_agent(llm(url, output_version=output_version), [get_weather])
    events = list(
        agent.stream({"messages": [("user", "Weather in 'Paris'?")]}, stream_mode=stream_mode)
    )
    assert events
    final = agent.invoke({"messages": [("user", "Weather in 'Paris'?")]})
    assert "sunny in Paris" in final["messages"][-1].text


def test_create_agent_with_response_format(url: str) -> None:
    from langchain.agents import create_agent

    agent = create_agent(llm(url), [get_weather], response_format=Person)
    out = agent.invoke({"messages": [("user", "Ada is 36; weather in 'Paris'?")]})
    assert isinstance(out["structured_response"], Person)


def test_create_agent_with_middleware(url: str) -> None:
    from langchain.agents import create_agent
    from langchain.agents.middleware import ModelCallLimitMiddleware, before_model

    seen: list[int] = []

    @before_model
    def count(state: Any, runtime: Any) -> None:
        seen.append(len(state["messages"]))

    agent = create_agent(
        llm(url), [get_weather], middleware=[count, ModelCallLimitMiddleware(run_limit=5)]
    )
    out = agent.invoke({"messages": [("user", "Weather in 'Paris'?")]})
    assert "sunny in Paris" in out["messages"][-1].text and len(seen) == 2


def test_langgraph_state_graph_with_tool_node_and_a_checkpointer(
    url: str, glm_emulator: EmulatorServer
) -> None:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import START, StateGraph
    from langgraph.prebuilt import ToolNode, tools_condition

    model = llm(url).bind_tools([get_weather])
    graph = StateGraph(MessagesState)
    graph.add_node("agent", lambda s: {"messages": [model.invoke(s["messages"])]})
    graph.add_node("tools", ToolNode([get_weather]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    app = graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t1"}}
    first = app.invoke({"messages": [("user", "Weather in 'Paris'?")]}, config)
    assert "sunny in Paris" in first["messages"][-1].text
    second = app.invoke({"messages": [("user", "And in 'Rome'?")]}, config)
    assert "sunny in Rome" in second["messages"][-1].text
    assert len(second["messages"]) == 8  # both turns kept by the checkpointer


def test_with_fallbacks_and_with_retry(url: str) -> None:
    broken = ChatGLM(base_url="http://127.0.0.1:9/v4", api_key="k", max_retries=0)
    assert str(broken.with_fallbacks([llm(url)]).invoke("hi").content).endswith("hi")
    assert str(llm(url).with_retry(stop_after_attempt=2).invoke("hi").content).endswith("hi")


def test_configurable_fields(url: str, glm_emulator: EmulatorServer) -> None:
    from langchain_core.runnables import ConfigurableField

    model = llm(url, temperature=0.2).configurable_fields(
        temperature=ConfigurableField(id="temperature")
    )
    model.invoke("hi", config={"configurable": {"temperature": 0.9}})
    assert glm_emulator.state.bodies[-1]["temperature"] == 0.9


@V0_V1
def test_usage_metadata_callback(url: str, output_version: str) -> None:
    from langchain_core.callbacks import get_usage_metadata_callback

    with get_usage_metadata_callback() as cb:
        llm(url, output_version=output_version).invoke("hi")
        list(llm(url, output_version=output_version).stream("hi"))
    (usage,) = cb.usage_metadata.values()
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0


def test_token_counting_and_trim_messages(url: str) -> None:
    from langchain_core.messages import SystemMessage, trim_messages

    model = llm(url)
    assert model.get_num_tokens("hello world") > 0
    history = [SystemMessage("be brief")] + [
        HumanMessage("word " * 50) if i % 2 == 0 else AIMessage("ok " * 50) for i in range(10)
    ]
    total = model.get_num_tokens_from_messages(history)
    trimmed = trim_messages(
        history, max_tokens=total // 2, token_counter=model, include_system=True
    )
    assert 1 < len(trimmed) < len(history)
    assert model.get_num_tokens_from_messages(trimmed) <= total // 2


def test_streamed_v1_tool_call_fed_back_into_the_next_turn(url: str) -> None:
    model = llm(url, output_version="v1").bind_tools([get_weather])
    total = None
    for chunk in model.stream("Weather in 'Paris'?"):
        total = chunk if total is None else total + chunk
    assert total is not None
    call = total.tool_calls[0]
    turn = [
        HumanMessage("Weather in 'Paris'?"),
        total,
        ToolMessage("sunny", tool_call_id=call["id"]),
    ]
    assert "sunny" in model.invoke(turn).text


@pytest.mark.xfail(
    reason="LangChain's init_chat_model only knows its built-in providers; use ChatGLM(...) "
    "directly (README: Install)",
    strict=True,
    raises=ValueError,
)
def test_init_chat_model(url: str) -> None:
    from langchain.chat_models import init_chat_model

    init_chat_model("glm-5.3", model_provider="zhipuai", base_url=url, api_key="k")


def test_graph_parallel_branches(url: str) -> None:
    """Two model calls in one superstep (a map step), results reduced."""
    from langgraph.graph import START, StateGraph

    model = llm(url)
    graph = StateGraph(AnswersState)
    graph.add_node("a", lambda s: {"answers": [model.invoke("one").text]})
    graph.add_node("b", lambda s: {"answers": [model.invoke("two").text]})
    graph.add_edge(START, "a")
    graph.add_edge(START, "b")
    out = graph.compile().invoke({"answers": []})
    assert sorted(a[-3:] for a in out["answers"]) == ["one", "two"]


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_a_program_ends_without_resource_warnings(url: str, framework: str) -> None:
    import subprocess
    import sys

    if framework == "langchain":
        body = (
            "from langchain_glm import ChatGLM\n"
            f"llm = ChatGLM(model='glm-5.3', base_url={url!r}, api_key='k')\n"
            "llm.invoke('hi'); list(llm.stream('hi'))\n"
            "import asyncio; asyncio.run(llm.ainvoke('hi'))\n"
        )
    else:
        body = (
            "from llama_index_glm import GLM\n"
            f"llm = GLM(model='glm-5.3', base_url={url!r}, api_key='k')\n"
            "llm.complete('hi'); list(llm.stream_complete('hi'))\n"
            "import asyncio; asyncio.run(llm.acomplete('hi'))\n"
        )
    proc = subprocess.run(
        [sys.executable, "-W", "always::ResourceWarning", "-c", body],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "unclosed" not in proc.stderr and "ResourceWarning" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_httpx2_clients_are_accepted(url: str, framework: str) -> None:
    """langsmith and the openai SDK use httpx2: a client shared with them works here too."""
    import httpx2

    async def run() -> None:
        async with httpx2.AsyncClient() as async_client:
            with httpx2.Client() as sync_client:
                if framework == "langchain":
                    model = llm(url, http_client=sync_client, http_async_client=async_client)
                    assert model.invoke("sync").text.endswith("sync")
                    assert "".join(c.text for c in model.stream("stream")).endswith("stream")
                    assert (await model.ainvoke("async")).text.endswith("async")
                else:
                    from llama_index_glm import GLM

                    li = GLM(
                        model="glm-5.3",
                        base_url=url,
                        api_key="k",
                        http_client=sync_client,
                        async_http_client=async_client,
                    )
                    assert li.complete("sync").text.endswith("sync")
                    assert (await li.acomplete("async")).text.endswith("async")

    asyncio.run(run())


def test_errors_name_a_custom_gateway_by_its_host() -> None:
    from glm_transport import GLMValidationError

    model = ChatGLM(base_url="http://my-proxy.internal:8080/v1", api_key="k")
    with pytest.raises(GLMValidationError, match="the gateway at my-proxy.internal:8080"):
        model.invoke("hi", stop=["a", "b"])


def test_prebuilt_agent_with_response_format_on_the_default_emulator(url: str) -> None:
    """LangGraph's prebuilt agent asks for the structured response on a conversation that ends
    on an assistant turn; the default emulator still answers with the schema's tool call."""
    from langgraph.prebuilt import create_react_agent

    agent = create_react_agent(llm(url), [get_weather], response_format=Person)
    out = agent.invoke({"messages": [("user", "Ada is 36; weather in 'Paris'?")]})
    assert isinstance(out["structured_response"], Person)


def test_astream_events_v3_carries_the_normalized_finish_reason(url: str) -> None:
    async def run() -> list[dict[str, Any]]:
        stream = await llm(url).astream_events("hi", version="v3")
        return [event async for event in stream]

    with pytest.warns(Warning, match="beta"):  # langchain-core marks the v3 stream as beta
        events = asyncio.run(run())
    (finish,) = [e for e in events if e["event"] == "message-finish"]
    assert finish["metadata"]["finish_reason"] == "stop"
    assert finish["metadata"]["normalized_finish_reason"] == "stop"


def test_a_json_schema_response_format_set_generically(url: str) -> None:
    # What middleware and llm_kwargs do: bind OpenAI's json_schema format. GLM has no such mode;
    # it goes the forced-tool way and the JSON comes back as the content.
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "Person", "schema": Person.model_json_schema()},
    }
    bound = llm(url).bind(response_format=fmt)
    chunks = list(bound.stream("Ada is 36"))
    streamed = chunks[0]
    for c in chunks[1:]:
        streamed = streamed + c
    for msg in (bound.invoke("Ada is 36"), streamed):
        assert Person.model_validate_json(msg.text) and msg.tool_calls == []
        assert msg.response_metadata["finish_reason"] == "stop"


def test_create_agent_with_a_provider_strategy(url: str) -> None:
    from langchain.agents import create_agent
    from langchain.agents.structured_output import ProviderStrategy

    agent = create_agent(llm(url), [], response_format=ProviderStrategy(Person))
    out = agent.invoke({"messages": [("user", "Ada is 36")]})
    assert isinstance(out["structured_response"], Person)
