"""LangGraph running ChatGLM's tool calls concurrently, and a multi-agent supervisor handing off
with ``parallel_tool_calls=False`` (issue 24, "also check"), against the scripted emulator."""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict

from glm_transport.emulator import EmulatorServer
from langchain_glm import ChatGLM

CITIES = ["Paris", "Lyon", "Oslo"]


def llm(url: str, **kw: Any) -> ChatGLM:
    return ChatGLM(model="glm-5.3", base_url=url, api_key="k", **kw)


class MessagesState(TypedDict):
    messages: Annotated[list[Any], add_messages]


def three_lookups(glm_emulator: EmulatorServer) -> None:
    glm_emulator.script.reply(tool_calls=[("lookup", {"city": c}) for c in CITIES])
    # Answered only when every result is in the conversation, whatever order they ran in.
    glm_emulator.script.on(message=[f"{c}: sunny" for c in CITIES], reply="All three are sunny.")


def graph_with(tools: list[Any], url: str) -> Any:
    from langgraph.graph import START, StateGraph
    from langgraph.prebuilt import ToolNode, tools_condition

    model = llm(url).bind_tools(tools)

    async def acall(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    def call(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", RunnableLambda(call, afunc=acall))
    graph.add_node("tools", ToolNode(tools))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile()


def check_the_round_trip(out: dict[str, Any], glm_emulator: EmulatorServer) -> None:
    calls = next(m for m in out["messages"] if isinstance(m, AIMessage) and m.tool_calls)
    ids = [c["id"] for c in calls.tool_calls]
    assert len(set(ids)) == 3  # distinct ids, so the results find their calls
    results = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert [(r.tool_call_id, r.content) for r in results] == [
        (i, f"{c}: sunny") for i, c in zip(ids, CITIES)
    ]
    sent = glm_emulator.request(1).messages
    assert [(m["role"], m.get("tool_call_id")) for m in sent[-3:]] == [("tool", i) for i in ids]
    assert out["messages"][-1].content == "All three are sunny."


def test_tool_node_runs_our_tool_calls_concurrently(url: str, glm_emulator: EmulatorServer) -> None:
    together = threading.Barrier(len(CITIES), timeout=10)

    @tool
    def lookup(city: str) -> str:
        """Look a city's weather up."""
        together.wait()  # passes only when all three calls run at once
        return f"{city}: sunny"

    three_lookups(glm_emulator)
    out = graph_with([lookup], url).invoke({"messages": [("user", "Weather in three cities?")]})
    check_the_round_trip(out, glm_emulator)


async def test_tool_node_runs_our_tool_calls_concurrently_async(
    url: str, glm_emulator: EmulatorServer
) -> None:
    started: list[str] = []
    all_in = asyncio.Event()

    @tool
    async def lookup(city: str) -> str:
        """Look a city's weather up."""
        started.append(city)
        if len(started) == len(CITIES):
            all_in.set()
        await asyncio.wait_for(all_in.wait(), timeout=10)  # every call is in flight together
        return f"{city}: sunny"

    three_lookups(glm_emulator)
    out = await graph_with([lookup], url).ainvoke(
        {"messages": [("user", "Weather in three cities?")]}
    )
    check_the_round_trip(out, glm_emulator)


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def web_lookup(query: str) -> str:
    """Look something up on the web."""
    return f"found {query}"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_supervisor_hands_off_one_agent_at_a_time(
    url: str, glm_emulator: EmulatorServer, mode: str
) -> None:
    from langchain.agents import create_agent
    from langgraph_supervisor import create_supervisor

    script = glm_emulator.script
    script.on(tool="add", reply="2 + 3 = 5.")
    script.on(tool="transfer_back_to_supervisor", reply="The answer is 5.")
    script.on(system="You do math", reply={"tool_calls": [("add", {"a": 2, "b": 3})]})
    # GLM may call both experts at once; parallel_tool_calls=False keeps the first call only.
    script.on(
        system="You manage experts",
        reply={"tool_calls": [("transfer_to_math_expert", {}), ("transfer_to_research", {})]},
    )
    math = create_agent(llm(url), [add], name="math_expert", system_prompt="You do math.")
    research = create_agent(
        llm(url), [web_lookup], name="research", system_prompt="You do research."
    )
    app = create_supervisor(
        [research, math],
        model=llm(url),
        prompt="You manage experts.",
        parallel_tool_calls=False,
    ).compile()
    question = {"messages": [("user", "What is 2 + 3?")]}
    out = app.invoke(question) if mode == "sync" else asyncio.run(app.ainvoke(question))
    assert out["messages"][-1].content == "The answer is 5."
    handoffs = [
        c["name"] for m in out["messages"] if isinstance(m, AIMessage) for c in m.tool_calls
    ]
    # The supervisor keeps each agent's last message (output_mode="last_message").
    assert handoffs == ["transfer_to_math_expert", "transfer_back_to_supervisor"]
    assert "2 + 3 = 5." in [m.content for m in out["messages"]]
    bodies = [glm_emulator.request(i).body for i in range(glm_emulator.state.requests)]
    systems = [b["messages"][0]["content"] for b in bodies]
    assert systems == ["You manage experts.", "You do math.", "You do math.", "You manage experts."]
    assert all("parallel_tool_calls" not in b for b in bodies)  # GLM has no such field
