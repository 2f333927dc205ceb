"""GLM as a LlamaIndex LLM: chat, streams, tools, structured output, agents and RAG.

Cassette tests replay recorded traffic; fault and wire-shape tests run on the local emulator.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

import glm_transport
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER
from llama_index_glm import GLM
from tests.conftest import glm_target

FAKE_KEY = "fake-id.S3CR3T-llama-key-that-must-not-leak"


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny and 21 C in {city}"


def get_population(city: str) -> int:
    """Get the population of a city."""
    return 2_100_000


WEATHER = FunctionTool.from_defaults(get_weather)
POPULATION = FunctionTool.from_defaults(get_population)


class Sent:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def hook(self, request: httpx.Request) -> None:
        self.bodies.append(json.loads(request.content))

    async def ahook(self, request: httpx.Request) -> None:
        self.hook(request)


def cassette_llm(sent: Sent | None = None, fault: dict[str, Any] | None = None, **kw: Any) -> GLM:
    sent = sent or Sent()
    headers = {FAULT_HEADER: json.dumps(fault)} if fault else None
    return GLM(
        model=kw.pop("model", "glm-5-turbo"),
        default_headers=headers,
        http_client=httpx.Client(event_hooks={"request": [sent.hook]}),
        async_http_client=httpx.AsyncClient(event_hooks={"request": [sent.ahook]}),
        **glm_target(),
        **kw,
    )


def emu_llm(emu: EmulatorServer, fault: dict[str, Any] | None = None, **kw: Any) -> GLM:
    headers = {FAULT_HEADER: json.dumps(fault)} if fault else None
    return GLM(
        model=kw.pop("model", "glm-5-turbo"),
        api_base=emu.base_url,
        api_key=kw.pop("api_key", FAKE_KEY),
        default_headers=headers,
        **kw,
    )


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


# ---- chat and completion -----------------------------------------------------------------


@pytest.mark.vcr
def test_chat_stream_and_complete() -> None:
    llm = cassette_llm()
    r = llm.chat(user("Hello from Lisbon"))
    assert r.message.content == "GLM emulator reply to: Hello from Lisbon"
    thinking = [b for b in r.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking and thinking[0].content
    extra = r.additional_kwargs
    assert extra["finish_reason"] == "stop" and extra["model"] == "glm-5-turbo"
    assert extra["request_id"] and extra["prompt_tokens"] > 0 and extra["reasoning_tokens"] > 0
    assert r.raw["usage"]["total_tokens"] == extra["total_tokens"]

    responses = list(llm.stream_chat(user("Hello from Lisbon")))
    assert "".join(x.delta or "" for x in responses) == r.message.content
    assert (
        "".join(x.additional_kwargs.get("thinking_delta", "") for x in responses)
        == thinking[0].content
    )
    last = responses[-1]
    assert last.message.content == r.message.content
    assert last.additional_kwargs["finish_reason"] == "stop"
    assert last.additional_kwargs["total_tokens"] == extra["total_tokens"]
    assert last.raw["usage"]["prompt_tokens"] == extra["prompt_tokens"]

    assert llm.complete("Hello from Lisbon").text == r.message.content
    assert (
        "".join(x.delta or "" for x in llm.stream_complete("Hello from Lisbon"))
        == r.message.content
    )


@pytest.mark.vcr
async def test_async_chat_stream_and_complete() -> None:
    llm = cassette_llm()
    r = await llm.achat(user("Hello from Porto"))
    gen = await llm.astream_chat(user("Hello from Porto"))
    deltas = [x.delta async for x in gen]
    assert "".join(d or "" for d in deltas) == r.message.content
    assert (await llm.acomplete("Hello from Porto")).text == r.message.content
    agen = await llm.astream_complete("Hello from Porto")
    assert "".join([x.delta or "" async for x in agen]) == r.message.content


# ---- tools ------------------------------------------------------------------------------------


@pytest.mark.vcr
def test_single_and_parallel_tool_calls() -> None:
    llm = cassette_llm()
    r = llm.chat_with_tools([WEATHER], user_msg="Weather in Paris?")
    calls = llm.get_tool_calls_from_response(r)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("get_weather", {"city": "Paris"})]
    assert r.message.additional_kwargs["tool_calls"][0]["function"]["name"] == "get_weather"
    par = cassette_llm(fault={"parallel": True})
    r2 = par.chat_with_tools(
        [WEATHER, POPULATION], user_msg="Paris facts?", allow_parallel_tool_calls=True
    )
    assert [c.tool_name for c in par.get_tool_calls_from_response(r2)] == [
        "get_weather",
        "get_population",
    ]
    single = par.chat_with_tools([WEATHER, POPULATION], user_msg="Paris facts?")
    assert len(par.get_tool_calls_from_response(single)) == 1


@pytest.mark.vcr
@pytest.mark.parametrize("quirks", [[], ["index_minus_one", "duplicate_finish"]])
def test_streamed_tool_calls_accumulate(quirks: list[str]) -> None:
    llm = cassette_llm(fault={"parallel": True, "quirks": quirks}, tool_stream=True)
    responses = list(
        llm.stream_chat_with_tools(
            [WEATHER, POPULATION], user_msg="Facts about Rome?", allow_parallel_tool_calls=True
        )
    )
    for partial in responses:  # FunctionAgent calls this on every chunk: must not raise
        llm.get_tool_calls_from_response(partial, error_on_no_tool_call=False)
    calls = llm.get_tool_calls_from_response(responses[-1])
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [
        ("get_weather", {"city": "Rome"}),
        ("get_population", {"city": "Rome"}),
    ]
    assert len({c.tool_id for c in calls}) == 2


@pytest.mark.vcr
def test_multi_turn_tool_loop_sends_reasoning_and_results_back() -> None:
    sent = Sent()
    llm = cassette_llm(sent)
    history = user("Weather and population of Madrid?")
    tools = {"get_weather": WEATHER, "get_population": POPULATION}
    for _ in range(4):
        r = llm.chat_with_tools([WEATHER, POPULATION], chat_history=history)
        history.append(r.message)
        calls = llm.get_tool_calls_from_response(r, error_on_no_tool_call=False)
        if not calls:
            break
        for c in calls:
            out = tools[c.tool_name](**c.tool_kwargs)
            history.append(
                ChatMessage(
                    role="tool", content=str(out), additional_kwargs={"tool_call_id": c.tool_id}
                )
            )
    assert "Sunny and 21 C in Madrid" in (history[-1].content or "")
    second = sent.bodies[1]["messages"]
    assert second[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert second[1]["reasoning_content"]
    assert second[2]["role"] == "tool" and second[2]["content"] == "Sunny and 21 C in Madrid"


@pytest.mark.vcr
def test_predict_and_call() -> None:
    out = cassette_llm().predict_and_call([WEATHER], user_msg="Weather in Vienna?")
    assert str(out) == "Sunny and 21 C in Vienna"


def test_tool_required_is_checked(glm_emulator: EmulatorServer) -> None:
    llm = emu_llm(glm_emulator, {"ignore_tools": True})
    with pytest.raises(glm_transport.ToolChoiceError, match="only offers tool_choice='auto'"):
        llm.chat_with_tools([WEATHER], user_msg="Weather?", tool_required=True)
    with pytest.raises(glm_transport.ToolChoiceError):
        list(llm.stream_chat_with_tools([WEATHER], user_msg="Weather?", tool_required=True))
    named = emu_llm(glm_emulator).chat_with_tools(
        [WEATHER, POPULATION], user_msg="Oslo?", tool_choice="get_population"
    )
    assert [t["function"]["name"] for t in glm_emulator.state.bodies[-1]["tools"]] == [
        "get_population"
    ]
    assert named.message.additional_kwargs["tool_calls"][0]["function"]["name"] == "get_population"


# ---- structured output ---------------------------------------------------------------------


class City(BaseModel):
    """A city."""

    name: str
    population: int


@pytest.mark.vcr
async def test_structured_predict_all_forms() -> None:
    from llama_index.core.prompts import PromptTemplate

    llm = cassette_llm()
    prompt = PromptTemplate("Extract the city: {text}")
    text = "'Zurich' has 420000 people."
    assert llm.structured_predict(City, prompt, text=text) == City(name="Zurich", population=420000)
    assert await llm.astructured_predict(City, prompt, text=text) == City(
        name="Zurich", population=420000
    )
    partials = list(llm.stream_structured_predict(City, prompt, text=text))
    assert partials[-1] == City(name="Zurich", population=420000)
    sllm = llm.as_structured_llm(City)
    r = sllm.chat(user(f"Extract the city: {text}"))
    assert r.raw == City(name="Zurich", population=420000)


# ---- reasoning round-trip ---------------------------------------------------------------------


def test_preserved_thinking_sends_every_turn_back(glm_emulator: EmulatorServer) -> None:
    llm = emu_llm(glm_emulator, thinking={"type": "enabled", "clear_thinking": False})
    first = llm.chat(user("Name a colour."))
    llm.chat([*user("Name a colour."), first.message, *user("Another?")])
    assert glm_emulator.state.bodies[-1]["messages"][1]["reasoning_content"]
    assert glm_emulator.state.bodies[-1]["thinking"] == {"type": "enabled", "clear_thinking": False}


# ---- agents and RAG, with LlamaIndex's own components ----------------------------------------


@pytest.mark.vcr
async def test_function_agent_multi_step() -> None:
    from llama_index.core.agent.workflow import FunctionAgent

    agent = FunctionAgent(
        tools=[WEATHER, POPULATION], llm=cassette_llm(), system_prompt="Use the tools."
    )
    result = await agent.run(user_msg="Weather and population of Prague?")
    text = str(result)
    assert "Sunny and 21 C in Prague" in text and "2100000" in text
    assert [t.tool_name for t in result.tool_calls] == ["get_weather", "get_population"]


@pytest.mark.vcr
async def test_react_agent() -> None:
    from llama_index.core.agent.workflow import ReActAgent

    agent = ReActAgent(tools=[WEATHER], llm=cassette_llm())
    result = await agent.run(user_msg="What is the weather in 'Athens'?")
    assert "Sunny and 21 C in Athens" in str(result)
    assert [t.tool_name for t in result.tool_calls] == ["get_weather"]


@pytest.mark.vcr
def test_rag_query_engine_with_settings_llm() -> None:
    from llama_index.core import Settings, VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding
    from llama_index.core.schema import TextNode

    sent = Sent()
    old_llm, old_embed = Settings._llm, Settings._embed_model
    try:
        Settings.llm = cassette_llm(sent)
        Settings.embed_model = MockEmbedding(embed_dim=8)
        # Fixed node ids: the prompt (and so the recorded request) must not vary between runs.
        nodes = [
            TextNode(id_="lisbon", text="The GLM emulator was built in Lisbon in 2026."),
            TextNode(id_="zurich", text="Zurich is known for its lake."),
        ]
        engine = VectorStoreIndex(nodes).as_query_engine(similarity_top_k=2)
        response = engine.query("Where was the emulator built?")
    finally:
        Settings._llm, Settings._embed_model = old_llm, old_embed
    assert str(response) == (
        "From the retrieved context: The GLM emulator was built in Lisbon in 2026."
    )
    assert len(response.source_nodes) == 2
    prompt = json.dumps(sent.bodies[-1]["messages"])
    assert "built in Lisbon in 2026" in prompt  # retrieved context reached GLM


# ---- metadata, callbacks, errors, retries, secrets ----------------------------------------------


@pytest.mark.parametrize(
    ("model", "window", "out", "tools"),
    [
        ("glm-5-turbo", 200_000, 131_072, True),
        ("glm-4.5-air", 128_000, 98_304, True),
        ("glm-4.6v", 128_000, 32_768, True),
        ("glm-4.5v", 65_536, 16_384, False),
        ("zhipu/glm-4.6-0925", 200_000, 131_072, True),
        ("glm-5.3", 1_048_576, 131_072, True),
        ("z-ai/glm-5.2[1m]", 1_048_576, 131_072, True),
        ("some-new-model", 1_048_576, 131_072, True),  # the newest generation, with a warning
    ],
)
def test_metadata(model: str, window: int, out: int, tools: bool) -> None:
    if model == "some-new-model":
        with pytest.warns(UserWarning, match="not in the catalogue"):
            meta = GLM(model=model, api_key=FAKE_KEY).metadata
    else:
        meta = GLM(model=model, api_key=FAKE_KEY).metadata
    assert (meta.context_window, meta.num_output, meta.is_function_calling_model) == (
        window,
        out,
        tools,
    )
    assert meta.is_chat_model and meta.model_name == model
    over = GLM(
        model=model,
        api_key=FAKE_KEY,
        context_window=1000,
        max_tokens=10,
        is_function_calling_model=False,
    ).metadata
    assert (over.context_window, over.num_output, over.is_function_calling_model) == (
        1000,
        10,
        False,
    )


def test_token_counting_handler_sees_usage(glm_emulator: EmulatorServer) -> None:
    from llama_index.core.callbacks import CallbackManager, TokenCountingHandler

    counter = TokenCountingHandler()
    llm = emu_llm(glm_emulator, callback_manager=CallbackManager([counter]))
    r = llm.chat(user("count me"))
    list(llm.stream_chat(user("count me")))
    assert counter.prompt_llm_token_count == 2 * r.additional_kwargs["prompt_tokens"]
    assert counter.completion_llm_token_count == 2 * r.additional_kwargs["completion_tokens"]


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("1302", glm_transport.RateLimitError),
        ("1113", glm_transport.PermissionDeniedError),
        ("1261", glm_transport.ContextOverflowError),
    ],
)
async def test_typed_errors_sync_async_stream(
    glm_emulator: EmulatorServer, code: str, cls: type
) -> None:
    llm = emu_llm(glm_emulator, {"code": code, "retry_after_ms": 1}, max_retries=0)
    with pytest.raises(cls):
        llm.chat(user("x"))
    with pytest.raises(cls):
        await llm.achat(user("x"))
    with pytest.raises(cls):
        list(llm.stream_chat(user("x")))
    with pytest.raises(cls):
        [r async for r in await llm.astream_chat(user("x"))]
    await glm_transport.aclose_shared_clients()


@pytest.mark.parametrize("mode", ["chat", "stream"])
def test_retries_happen_once_in_the_transport(glm_emulator: EmulatorServer, mode: str) -> None:
    llm = emu_llm(glm_emulator, {"code": "1305", "retry_after_ms": 1}, max_retries=2)
    with pytest.raises(glm_transport.RateLimitError) as info:
        llm.chat(user("x")) if mode == "chat" else list(llm.stream_chat(user("x")))
    assert glm_emulator.state.requests == 3 and info.value.attempts == 3


def test_key_never_in_repr_dict_json_or_errors(glm_emulator: EmulatorServer) -> None:
    llm = emu_llm(glm_emulator, {"code": "1002"})
    with pytest.raises(glm_transport.AuthenticationError) as info:
        llm.chat(user("x"))
    for text in (
        repr(llm),
        str(llm),
        json.dumps(llm.to_dict(), default=str),
        llm.to_json(),
        str(info.value),
        repr(info.value),
        repr(llm.client),
    ):
        assert FAKE_KEY not in text and "S3CR3T" not in text
    back = GLM.from_dict(llm.to_dict())
    assert back.model == llm.model and back.base_url == llm.base_url


def test_instrumentation_events_fire_without_the_key(glm_emulator: EmulatorServer) -> None:
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.events import BaseEvent

    class Collect(BaseEventHandler):
        events: list[Any] = []

        @classmethod
        def class_name(cls) -> str:
            return "Collect"

        def handle(self, event: BaseEvent, **kwargs: Any) -> None:
            self.events.append(event)

    handler = Collect()
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(handler)
    try:
        llm = emu_llm(glm_emulator)
        llm.chat(user("hi"))
        list(llm.stream_chat(user("hi")))
    finally:
        dispatcher.event_handlers.remove(handler)
    names = [type(e).__name__ for e in handler.events]
    assert names.count("LLMChatStartEvent") == 2 and names.count("LLMChatEndEvent") == 2
    assert "LLMChatInProgressEvent" in names
    dumped = json.dumps([e.model_dump() for e in handler.events], default=str)
    assert FAKE_KEY not in dumped and "S3CR3T" not in dumped


@pytest.mark.vcr
async def test_agent_workflow_hands_off_between_agents() -> None:
    from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent

    llm = cassette_llm()
    weather = FunctionAgent(
        name="weather",
        description="Knows the weather.",
        tools=[WEATHER],
        llm=llm,
        system_prompt="Answer weather questions with your tool.",
    )
    workflow = AgentWorkflow(agents=[weather], root_agent="weather")
    result = await workflow.run(user_msg="Weather in 'Bergen'?")
    assert "Sunny and 21 C in Bergen" in str(result)


@pytest.mark.parametrize("mode", ["chat", "stream"])
def test_glm_45v_think_tags_become_thinking_blocks(glm_emulator: EmulatorServer, mode: str) -> None:
    llm = emu_llm(glm_emulator, {"quirks": ["think_tags"]}, model="glm-4.5v")
    r = (
        llm.chat(user("Describe it."))
        if mode == "chat"
        else list(llm.stream_chat(user("Describe it.")))[-1]
    )
    assert r.message.content == "GLM emulator reply to: Describe it."
    thinking = [b for b in r.message.blocks if isinstance(b, ThinkingBlock)]
    assert thinking and thinking[0].content and thinking[0].content.startswith("The user asks")


def test_structured_predict_in_glm_json_mode(glm_emulator: EmulatorServer) -> None:
    """The text-completion program with GLM's JSON mode, for users who prefer it to tools."""
    from llama_index.core.prompts import PromptTemplate
    from llama_index.core.types import PydanticProgramMode

    llm = emu_llm(glm_emulator, pydantic_program_mode=PydanticProgramMode.LLM)
    out = llm.structured_predict(
        City,
        PromptTemplate("Extract the city: {text}"),
        text="'Zurich' has 420000 people.",
        llm_kwargs={"response_format": {"type": "json_object"}},
    )
    assert out == City(name="Zurich", population=420000)
    body = glm_emulator.state.bodies[-1]
    assert body["response_format"] == {"type": "json_object"} and "tools" not in body
