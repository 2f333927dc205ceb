"""LlamaIndex idioms, as its docs write them, with GLM swapped in."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.embeddings import MockEmbedding
from pydantic import BaseModel

from glm_transport.emulator import EmulatorServer
from llama_index_glm import GLM

DOCS = [
    Document(text="Business code 1302 means high concurrency and is worth retrying.", id_="d1"),
    Document(text="Business code 1113 means the account balance is exhausted.", id_="d2"),
]


def llm(url: str, **kw: Any) -> GLM:
    return GLM(model="glm-5.3", base_url=url, api_key="k", **kw)


@pytest.fixture
def index(url: str) -> VectorStoreIndex:
    Settings.llm = llm(url)
    Settings.embed_model = MockEmbedding(embed_dim=8)
    return VectorStoreIndex.from_documents(DOCS)


class Person(BaseModel):
    name: str
    age: int


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"sunny in {city}"


def test_query_engine_plain_streaming_and_async(index: VectorStoreIndex) -> None:
    question = "What does code 1302 mean?"
    assert "1302" in str(index.as_query_engine().query(question))
    streaming = index.as_query_engine(streaming=True).query(question)
    assert "1302" in "".join(streaming.response_gen)
    assert "1302" in str(asyncio.run(index.as_query_engine().aquery(question)))


@pytest.mark.parametrize("mode", ["condense_plus_context", "context"])
def test_chat_engines(index: VectorStoreIndex, mode: str, glm_emulator: EmulatorServer) -> None:
    engine = index.as_chat_engine(chat_mode=mode)
    engine.chat("What does code 1302 mean?")
    answer = engine.chat("And code 1113?")
    assert str(answer)
    assert sum(m["role"] == "user" for m in glm_emulator.state.bodies[-1]["messages"]) >= 1


def test_function_agent_with_context_and_memory_over_two_runs(
    url: str, glm_emulator: EmulatorServer
) -> None:
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.memory import ChatMemoryBuffer
    from llama_index.core.workflow import Context

    async def run() -> tuple[str, str]:
        agent = FunctionAgent(tools=[get_weather], llm=llm(url))
        # The memory passed explicitly: llama-index-workflows skips serialising a Context's
        # memory between runs ("known unserializable key: memory").
        ctx, memory = Context(agent), ChatMemoryBuffer.from_defaults()
        first = await agent.run("Weather in 'Paris'?", ctx=ctx, memory=memory)
        second = await agent.run("And in 'Rome'?", ctx=ctx, memory=memory)
        return str(first), str(second)

    first, second = asyncio.run(run())
    assert "sunny in Paris" in first and "sunny in Rome" in second
    sent = glm_emulator.state.bodies[-1]["messages"]
    assert any("Paris" in str(m.get("content")) for m in sent)  # the first run is remembered


def test_react_agent(url: str) -> None:
    from llama_index.core.agent.workflow import ReActAgent

    async def run() -> str:
        return str(await ReActAgent(tools=[get_weather], llm=llm(url)).run("Weather in 'Paris'?"))

    assert "sunny in Paris" in asyncio.run(run())


def test_agent_workflow_with_handoff(url: str) -> None:
    from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent

    weather = FunctionAgent(
        name="weather", description="Knows the weather.", tools=[get_weather], llm=llm(url)
    )
    front = FunctionAgent(
        name="front",
        description="Talks to users.",
        tools=[],
        llm=llm(url),
        can_handoff_to=["weather"],
    )

    async def run() -> str:
        flow = AgentWorkflow(agents=[front, weather], root_agent="front")
        return str(await flow.run(user_msg="Weather in 'Paris'?"))

    assert asyncio.run(run())


def test_structured_predict_in_all_four_forms(url: str) -> None:
    from llama_index.core.prompts import PromptTemplate

    model = llm(url)
    prompt = PromptTemplate("Extract the person: {text}")
    assert model.structured_predict(Person, prompt, text="Ada is 36").age == 36
    assert asyncio.run(model.astructured_predict(Person, prompt, text="Ada is 36")).age == 36
    last = None
    for last in model.stream_structured_predict(Person, prompt, text="Ada is 36"):
        pass
    assert last is not None and last.age == 36

    async def astream() -> Any:
        final = None
        async for final in await model.astream_structured_predict(Person, prompt, text="Ada is 36"):
            pass
        return final

    assert asyncio.run(astream()).age == 36


def test_as_structured_llm(url: str) -> None:
    structured = llm(url).as_structured_llm(Person)
    response = structured.chat([ChatMessage(role="user", content="Ada is 36")])
    assert response.raw.age == 36


def test_token_counting_handler_counts_every_call_once(url: str) -> None:
    from llama_index.core.callbacks import CallbackManager, TokenCountingHandler

    counter = TokenCountingHandler()
    model = llm(url, callback_manager=CallbackManager([counter]))
    msgs = [ChatMessage(role="user", content="hi")]
    model.chat(msgs)
    model.complete("hi")
    list(model.stream_chat(msgs))
    list(model.stream_complete("hi"))
    asyncio.run(model.achat(msgs))
    asyncio.run(model.acomplete("hi"))
    assert len(counter.llm_token_counts) == 6  # once per call, never twice
    assert all(e.completion_token_count > 0 for e in counter.llm_token_counts)


def test_complete_keeps_the_reasoning(url: str) -> None:
    out = llm(url).complete("hi")
    assert out.text.endswith("hi") and out.additional_kwargs["reasoning_content"]


def test_a_custom_workflow(url: str) -> None:
    from llama_index.core.workflow import StartEvent, StopEvent, Workflow, step

    class Echo(Workflow):
        @step
        async def answer(self, ev: StartEvent) -> StopEvent:
            reply = await llm(url).acomplete(ev.topic)
            return StopEvent(result=reply.text)

    async def run() -> str:
        return str(await Echo(timeout=30).run(topic="workflows"))

    assert asyncio.run(run()).endswith("workflows")


def test_chat_memory(url: str, glm_emulator: EmulatorServer) -> None:
    from llama_index.core.chat_engine import SimpleChatEngine
    from llama_index.core.memory import ChatMemoryBuffer

    engine = SimpleChatEngine.from_defaults(
        llm=llm(url), memory=ChatMemoryBuffer.from_defaults(token_limit=2000)
    )
    engine.chat("My name is Ada.")
    engine.chat("What is my name?")
    roles = [m["role"] for m in glm_emulator.state.bodies[-1]["messages"]]
    assert roles[-3:] == ["user", "assistant", "user"]


def test_timeout_pair_strict_tools_and_aclose(url: str, glm_emulator: EmulatorServer) -> None:
    from llama_index.core.tools import FunctionTool

    model = llm(url, timeout=(5, 60))
    tool = FunctionTool.from_defaults(get_weather)
    model.chat_with_tools([tool], "Weather in 'Paris'?", strict=True)
    assert "strict" not in glm_emulator.state.bodies[-1]
    asyncio.run(model.aclose())


def _tools(index: VectorStoreIndex) -> list[Any]:
    from llama_index.core import SummaryIndex
    from llama_index.core.tools import QueryEngineTool

    return [
        QueryEngineTool.from_defaults(
            index.as_query_engine(), name="codes", description="GLM error codes and their meaning"
        ),
        QueryEngineTool.from_defaults(
            SummaryIndex.from_documents(DOCS).as_query_engine(),
            name="summary",
            description="Summaries of the documents",
        ),
    ]


@pytest.mark.parametrize("selector", ["llm", "pydantic"])
def test_router_query_engine(index: VectorStoreIndex, selector: str) -> None:
    from llama_index.core.query_engine import RouterQueryEngine
    from llama_index.core.selectors import LLMSingleSelector, PydanticSingleSelector

    chosen = (LLMSingleSelector if selector == "llm" else PydanticSingleSelector).from_defaults()
    engine = RouterQueryEngine(selector=chosen, query_engine_tools=_tools(index))
    assert "1302" in str(engine.query("What does error code 1302 mean?"))


def test_sub_question_query_engine(index: VectorStoreIndex) -> None:
    from llama_index.core.query_engine import SubQuestionQueryEngine
    from llama_index.core.question_gen import LLMQuestionGenerator

    engine = SubQuestionQueryEngine.from_defaults(
        query_engine_tools=_tools(index),
        question_gen=LLMQuestionGenerator.from_defaults(),
        verbose=False,
    )
    assert str(engine.query("What does error code 1302 mean?"))


def test_citation_blocks_are_sent_as_text(url: str, glm_emulator: EmulatorServer) -> None:
    from llama_index.core.base.llms.types import CitableBlock, TextBlock

    source = CitableBlock(
        title="Codes", source="errors.md", content=[TextBlock(text="1302 means busy.")]
    )
    message = ChatMessage(role="user", blocks=[source, TextBlock(text="What is 1302?")])
    llm(url).chat([message])
    sent = glm_emulator.state.bodies[-1]["messages"][-1]["content"]
    assert sent == "[Codes (errors.md)] 1302 means busy.\nWhat is 1302?"


def test_the_three_flows_can_also_be_scripted_exactly(
    index: VectorStoreIndex, url: str, glm_emulator: EmulatorServer
) -> None:
    """SubQuestionQueryEngine, RouterQueryEngine (LLM selector) and LangGraph's prebuilt agent
    with response_format, each answered by rules a test writes, not by the defaults."""
    from langgraph.prebuilt import create_react_agent
    from llama_index.core.query_engine import RouterQueryEngine, SubQuestionQueryEngine
    from llama_index.core.question_gen import LLMQuestionGenerator
    from llama_index.core.selectors import LLMSingleSelector

    from langchain_glm import ChatGLM

    script = glm_emulator.script
    script.on(user="numbered list", reply={"json": [{"choice": 2, "reason": "summaries"}]})
    script.on(
        user="<User Question>",
        reply='```json\n{"items": [{"sub_question": "What is 1113?", "tool_name": "codes"}]}\n```',
    )
    script.on(user="Context information", reply="Scripted answer.")
    router = RouterQueryEngine(
        selector=LLMSingleSelector.from_defaults(), query_engine_tools=_tools(index)
    )
    assert str(router.query("Which code means busy?")) == "Scripted answer."
    sub = SubQuestionQueryEngine.from_defaults(
        query_engine_tools=_tools(index), question_gen=LLMQuestionGenerator.from_defaults()
    )
    str(sub.query("Explain the codes"))
    asked = [r.last_user for r in glm_emulator.state.recorded]
    assert any("What is 1113?" in text for text in asked)  # the scripted sub-question was used

    script.clear()
    script.on(tools=["Person"], reply={"tool_calls": [("Person", {"name": "Ada", "age": 36})]})
    agent = create_react_agent(
        ChatGLM(model="glm-5.3", base_url=url, api_key="k"), [], response_format=Person
    )
    out = agent.invoke({"messages": [("user", "Who is Ada?")]})
    assert out["structured_response"] == Person(name="Ada", age=36)
