"""Today's GLM through both frameworks on the emulator: glm-5.3, glm-5.2, glm-5.3-flash, an
unknown glm-6, reasoning effort on the wire, thinking rules, and the quirks of real recordings."""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import pytest
from pydantic import BaseModel

from glm_transport import GLMValidationError
from glm_transport import errors as E
from glm_transport.emulator import EmulatorServer
from glm_transport.emulator.app import FAULT_HEADER

CURRENT = ["glm-5.3", "glm-5.2", "glm-5.3-flash"]
KEY = "current-models-key"


def _lc(url: str, model: str, fault: dict[str, Any] | None = None, **kw: Any) -> Any:
    from langchain_glm import ChatGLM

    headers = {FAULT_HEADER: json.dumps(fault)} if fault else None
    return ChatGLM(model=model, base_url=url, api_key=KEY, default_headers=headers, **kw)


def _li(url: str, model: str, fault: dict[str, Any] | None = None, **kw: Any) -> Any:
    from llama_index_glm import GLM

    headers = {FAULT_HEADER: json.dumps(fault)} if fault else None
    return GLM(model=model, base_url=url, api_key=KEY, default_headers=headers, **kw)


def _hi(framework: str, llm: Any) -> str:
    """One short call the way each framework's quickstart makes it."""
    if framework == "langchain":
        return str(llm.invoke("hi").content)
    return str(llm.complete("hi").text)


def _make(framework: str) -> Any:
    return _lc if framework == "langchain" else _li


@pytest.mark.parametrize("model", CURRENT)
def test_langchain_quickstart_tool_loop_and_stream(
    glm_emulator: EmulatorServer, model: str
) -> None:
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    llm = _lc(glm_emulator.base_url, model, reasoning_effort="high")
    assert llm.profile["max_input_tokens"] == 1_048_576
    assert "high" in llm.profile["reasoning_effort_levels"]
    answer = llm.invoke("Say hello")
    assert answer.content.endswith("Say hello") and answer.additional_kwargs["reasoning_content"]
    assert glm_emulator.state.bodies[-1]["reasoning_effort"] == "high"

    @tool
    def get_weather(city: str) -> str:
        """Weather in a city."""
        return f"sunny in {city}"

    agent = create_agent(llm, [get_weather])
    out = agent.invoke({"messages": [("user", "What is the weather in Paris?")]})
    assert "sunny in Paris" in out["messages"][-1].content
    tool_turn = glm_emulator.state.bodies[-1]["messages"][-2]
    assert tool_turn["role"] == "assistant" and tool_turn["reasoning_content"]  # echoed back

    chunks = list(llm.stream("Stream please", reasoning_effort="low"))
    assert "".join(str(c.content) for c in chunks).endswith("Stream please")
    assert glm_emulator.state.bodies[-1]["reasoning_effort"] == "low"


@pytest.mark.parametrize("model", CURRENT)
def test_llama_index_quickstart_tool_loop_and_stream(
    glm_emulator: EmulatorServer, model: str
) -> None:
    from llama_index.core.agent.workflow import FunctionAgent
    from llama_index.core.base.llms.types import ChatMessage

    llm = _li(glm_emulator.base_url, model, reasoning_effort="high")
    assert llm.metadata.context_window == 1_048_576
    assert llm.complete("Say hello").text.endswith("Say hello")
    assert glm_emulator.state.bodies[-1]["reasoning_effort"] == "high"

    def get_weather(city: str) -> str:
        """Weather in a city."""
        return f"sunny in {city}"

    async def run_agent() -> Any:
        agent = FunctionAgent(tools=[get_weather], llm=llm)
        return await agent.run("What is the weather in Paris?")

    result = asyncio.run(run_agent())
    assert "sunny in Paris" in str(result)

    last = None
    for last in llm.stream_chat(
        [ChatMessage(role="user", content="Stream please")], reasoning_effort="max"
    ):
        pass
    assert last is not None and last.message.content.endswith("Stream please")
    assert glm_emulator.state.bodies[-1]["reasoning_effort"] == "max"


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_thinking_off_on_glm_5_3_is_a_clear_local_error(
    glm_emulator: EmulatorServer, framework: str
) -> None:
    llm = _make(framework)(glm_emulator.base_url, "glm-5.3", thinking=False)
    with pytest.raises(GLMValidationError, match="always thinks") as info:
        _hi(framework, llm)
    assert info.value.field == "thinking" and "reasoning_effort='low'" in str(info.value)
    assert glm_emulator.state.requests == 0


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_a_wrong_effort_lists_the_allowed_levels(
    glm_emulator: EmulatorServer, framework: str
) -> None:
    llm = _make(framework)(glm_emulator.base_url, "glm-5.3", reasoning_effort="medium")
    with pytest.raises(GLMValidationError, match="low, high, max"):
        _hi(framework, llm)
    assert glm_emulator.state.requests == 0


def test_a_disputed_model_answers_upstreams_1210_with_a_clear_error(
    glm_emulator: EmulatorServer,
) -> None:
    """glm-5.2 is sent thinking disabled (sources disagree); were GLM to refuse it, the error
    says what happened."""
    from glm_transport import register_model

    register_model("glm-5.2-strict", like="glm-5.2", disabled="disputed")
    fault = {
        "code": "1210",
        "message": "This model always engages in thinking and cannot be disabled",
    }
    with pytest.raises(E.InvalidRequestError, match="Thinking cannot be disabled on glm-5.2"):
        _lc(glm_emulator.base_url, "glm-5.2-strict", fault, thinking=False).invoke("hi")


def test_the_emulator_rejects_disabled_thinking_on_glm_5_3_like_the_api(
    glm_emulator: EmulatorServer,
) -> None:
    import httpx

    body = {
        "model": "glm-5.3",
        "messages": [{"role": "user", "content": "hi"}],
        "thinking": {"type": "disabled"},
    }
    reply = httpx.post(glm_emulator.base_url + "/chat/completions", json=body)
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "1210"
    coding = glm_emulator.base_url.replace("/paas/", "/coding/paas/")
    assert httpx.post(coding + "/chat/completions", json=body).status_code == 200


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_an_unknown_glm_6_works_with_a_warning(
    glm_emulator: EmulatorServer, framework: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from glm_transport import models

    monkeypatch.setattr(models, "_warned", set())  # the warning is once per name per process

    def build() -> tuple[Any, int]:
        llm = _make(framework)(glm_emulator.base_url, "glm-6")
        if framework == "langchain":
            return llm, llm.profile["max_input_tokens"]
        return llm, llm.metadata.context_window

    with pytest.warns(UserWarning, match="'glm-6' is not in the catalogue"):
        llm, window = build()
    assert window == 1_048_576
    assert _hi(framework, llm).endswith("hi")


def test_effort_changes_the_length_of_the_reasoning(glm_emulator: EmulatorServer) -> None:
    llm = _lc(glm_emulator.base_url, "glm-5.3")
    low = llm.invoke("hi", reasoning_effort="low").additional_kwargs["reasoning_content"]
    high = llm.invoke("hi", reasoning_effort="max").additional_kwargs["reasoning_content"]
    assert len(high) > len(low)


# ---- quirks of real recordings, in both frameworks -------------------------------------------------


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_tool_stream_fragments_reassemble(glm_emulator: EmulatorServer, framework: str) -> None:
    """Every fragment repeats index and type, only the first has id and name, one is empty,
    arguments split mid-token (wire reference §8)."""
    question = "Weather in 'Paris' and time in 'Paris'?"
    if framework == "langchain":
        from langchain_core.tools import tool

        @tool
        def get_weather(city: str) -> str:
            """Weather in a city."""
            return "sunny"

        llm = _lc(glm_emulator.base_url, "glm-5.3", {"parallel": True}).bind_tools([get_weather])
        total = None
        for chunk in llm.stream(question):
            total = chunk if total is None else total + chunk
        calls = [(c["name"], c["args"]) for c in total.tool_calls]
    else:
        from llama_index.core.tools import FunctionTool

        def get_weather(city: str) -> str:
            """Weather in a city."""
            return "sunny"

        llm = _li(glm_emulator.base_url, "glm-5.3", {"parallel": True})
        last = None
        for last in llm.stream_chat_with_tools([FunctionTool.from_defaults(get_weather)], question):
            pass
        calls = [(t.tool_name, t.tool_kwargs) for t in llm.get_tool_calls_from_response(last)]
    assert glm_emulator.state.bodies[-1]["tool_stream"] is True
    assert calls == [("get_weather", {"city": "Paris"})]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_reasoning_that_uses_up_max_tokens_ends_in_length_with_no_content(
    glm_emulator: EmulatorServer, framework: str, stream: bool
) -> None:
    # What empty_answer="return" gives; by default it is a ReasoningExhaustedError
    # (tests/test_reply_policy.py).
    if framework == "langchain":
        llm = _lc(
            glm_emulator.base_url,
            "glm-5.3",
            max_tokens=3,
            streaming=stream,
            model_kwargs={"empty_answer": "return"},
        )
        msg = llm.invoke("Explain everything")
        assert (msg.content, msg.response_metadata["finish_reason"]) == ("", "length")
        assert msg.additional_kwargs["reasoning_content"]
    else:
        from llama_index.core.base.llms.types import ChatMessage

        llm = _li(
            glm_emulator.base_url,
            "glm-5.3",
            max_tokens=3,
            additional_kwargs={"empty_answer": "return"},
        )
        messages = [ChatMessage(role="user", content="Explain everything")]
        if stream:
            response = None
            for response in llm.stream_chat(messages):
                pass
        else:
            response = llm.chat(messages)
        assert response is not None
        assert response.message.content in ("", None)
        assert response.additional_kwargs["finish_reason"] == "length"


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_thinking_disabled_has_no_reasoning_but_reports_zero_reasoning_tokens(
    glm_emulator: EmulatorServer, framework: str
) -> None:
    if framework == "langchain":
        msg = _lc(glm_emulator.base_url, "glm-4.6", thinking=False).invoke("hi")
        assert "reasoning_content" not in msg.additional_kwargs
        assert msg.usage_metadata["output_token_details"]["reasoning"] == 0
    else:
        from llama_index.core.base.llms.types import ChatMessage

        llm = _li(glm_emulator.base_url, "glm-4.6", thinking=False)
        response = llm.chat([ChatMessage(role="user", content="hi")])
        assert not [b for b in response.message.blocks if type(b).__name__ == "ThinkingBlock"]
        assert response.additional_kwargs["reasoning_tokens"] == 0


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_cached_tokens_are_reported(glm_emulator: EmulatorServer, framework: str) -> None:
    history = [("user", "a " * 300), ("assistant", "b"), ("user", "again")]
    if framework == "langchain":
        usage = _lc(glm_emulator.base_url, "glm-5.3-flash").invoke(history).usage_metadata
        cached = usage["input_token_details"]["cache_read"]
    else:
        from llama_index.core.base.llms.types import ChatMessage

        messages = [ChatMessage(role=r, content=c) for r, c in history]
        cached = (
            _li(glm_emulator.base_url, "glm-5.3-flash")
            .chat(messages)
            .additional_kwargs["cached_tokens"]
        )
    assert cached > 0 and cached % 64 == 0


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_a_502_html_page_is_a_typed_retried_server_error(
    glm_emulator: EmulatorServer, framework: str
) -> None:
    fault = {"status": 502, "code": "500", "html": True, "retry_after_ms": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        llm = _make(framework)(glm_emulator.base_url, "glm-5.3", fault)
        with pytest.raises(E.ServerError) as info:
            _hi(framework, llm)
    assert info.value.status == 502 and info.value.attempts == 3
    assert "HTML page" in str(info.value) and "<html>" not in str(info.value)


# ---- client-side tags on GLM's own API (issue #23) ----------------------------------------------


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
@pytest.mark.parametrize(
    ("provider", "sent"),
    [
        ("zai", "glm-5.4"),  # Z.ai answers "Unknown Model" to the tagged name
        ("zai-coding", "glm-5.2"),
        ("bigmodel", "glm-5.4"),
        ("maxtoken", None),  # a gateway gets the name as given: it may route on the tag
    ],
)
def test_a_client_side_tag_is_not_sent_to_glms_own_api(
    framework: str, provider: str, sent: str | None
) -> None:
    import httpx

    model = "glm-5.2[1m]" if provider == "zai-coding" else "glm-5.4[1m]"
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body["model"])
        message = {"role": "assistant", "content": "ok"}
        reply = {
            "id": "r",
            "request_id": body.get("request_id"),
            "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        }
        return httpx.Response(200, json=reply)

    client = httpx.Client(transport=httpx.MockTransport(answer))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # an unknown model name warns; not the point here
        if framework == "langchain":
            from langchain_glm import ChatGLM

            ChatGLM(model=model, provider=provider, api_key="k", http_client=client).invoke("hi")
        else:
            from llama_index.core.base.llms.types import ChatMessage

            from llama_index_glm import GLM

            GLM(model=model, provider=provider, api_key="k", http_client=client).chat(
                [ChatMessage(role="user", content="hi")]
            )
    assert seen == [sent or model]


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_reasoning_effort_levels_follow_the_endpoint(
    glm_emulator: EmulatorServer, framework: str
) -> None:
    # glm-5.3: pay-as-you-go takes low, high, max; the Coding Plan validates none..max.
    root = glm_emulator.base_url.split("/api/")[0]
    coding_url = f"{root}/api/coding/paas/v4"

    def ask(provider: str, url: str, effort: str) -> str:
        options = {"model": "glm-5.3", "provider": provider, "base_url": url, "api_key": "k"}
        if framework == "langchain":
            from langchain_glm import ChatGLM

            return str(ChatGLM(reasoning_effort=effort, **options).invoke("hi").content)
        from llama_index.core.base.llms.types import ChatMessage

        from llama_index_glm import GLM

        llm = GLM(reasoning_effort=effort, **options)
        return str(llm.chat([ChatMessage(role="user", content="hi")]).message.content)

    assert ask("zai-coding", coding_url, "medium")  # sent, and answered
    with pytest.raises(GLMValidationError, match="low, high, max on glm-5.3"):
        ask("zai", glm_emulator.base_url, "medium")  # refused before sending
    with pytest.raises(GLMValidationError, match="none, minimal, low, medium, high, xhigh, max"):
        ask("zai-coding", coding_url, "extreme")  # the Coding Plan's enum, also certain


def test_glm_5_4_is_known_with_its_media() -> None:
    from glm_transport.models import model_spec
    from langchain_glm import ChatGLM

    spec = model_spec("glm-5.4[1m]")
    assert spec.known and spec.context_window == 1_048_576 and spec.max_output_tokens == 131_072
    assert spec.image_input and spec.video_input and spec.pdf_input
    profile = ChatGLM(model="glm-5.4", api_key="k").profile or {}
    assert profile.get("image_inputs") is True and profile.get("video_inputs") is True


# ---- schemas with $defs (issue #23) -------------------------------------------------------------

NESTED = {
    "type": "object",
    "properties": {
        "order": {"$ref": "#/$defs/Order", "description": "the order"},
        "notes": {"type": "string"},
    },
    "required": ["order"],
    "$defs": {
        "Order": {
            "type": "object",
            "properties": {
                "sku": {"type": "string"},
                "lines": {"type": "array", "items": {"$ref": "#/$defs/Line"}},
            },
        },
        "Line": {"type": "object", "properties": {"qty": {"type": "integer"}}},
    },
}


class Line(BaseModel):
    qty: int


class Order(BaseModel):
    sku: str
    lines: list[Line]


class PlaceOrder(BaseModel):
    order: Order
    notes: str = ""


def place_order(order: Any, notes: str = "") -> str:
    """Place an order."""
    return "ok"


def _refs(node: Any) -> list[str]:
    text = json.dumps(node)
    return [word for word in ("$ref", "$defs", "definitions") if word in text]


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_tool_schemas_go_without_defs(glm_emulator: EmulatorServer, framework: str) -> None:
    # GLM-5.2/5.3 answer $defs schemas with nested arguments as JSON strings (issue #23).
    if framework == "langchain":
        tool = {
            "type": "function",
            "function": {"name": "place", "description": "Place an order", "parameters": NESTED},
        }
        _lc(glm_emulator.base_url, "glm-5.3").bind_tools([tool]).invoke("order two")
    else:
        from llama_index.core.base.llms.types import ChatMessage
        from llama_index.core.tools import FunctionTool

        llm = _li(glm_emulator.base_url, "glm-5.3")
        tool = FunctionTool.from_defaults(fn=place_order, fn_schema=PlaceOrder)
        assert _refs(tool.metadata.get_parameters_dict())  # LlamaIndex sends $defs as they are
        llm.chat_with_tools([tool], chat_history=[ChatMessage(role="user", content="order two")])
    sent = glm_emulator.state.bodies[-1]["tools"][0]["function"]["parameters"]
    assert _refs(sent) == []
    order = sent["properties"]["order"]
    assert order["type"] == "object" and "sku" in order["properties"]
    assert order["properties"]["lines"]["items"]["properties"]["qty"]["type"] == "integer"


def test_a_recursive_definition_ends_in_an_open_object() -> None:
    from glm_transport.schema import inline_refs

    tree = {
        "type": "object",
        "properties": {"root": {"$ref": "#/$defs/Node"}},
        "$defs": {
            "Node": {
                "type": "object",
                "description": "a node",
                "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
            }
        },
    }
    out = inline_refs(tree)
    assert _refs(out) == [] and "$defs" in tree  # the input is left as it was
    assert out["properties"]["root"]["properties"]["kids"]["items"] == {
        "type": "object",
        "description": "a node",
    }
    assert inline_refs(NESTED["$defs"]["Line"]) is NESTED["$defs"]["Line"]  # nothing to inline


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
@pytest.mark.parametrize("stream", [False, True])
def test_generic_effort_levels_map_to_the_nearest_only_when_asked(
    glm_emulator: EmulatorServer, framework: str, stream: bool
) -> None:
    # Agent code passes generic levels; glm-5.3 on pay-as-you-go takes low, high, max.
    def ask(effort: str, mapping: str | None) -> None:
        extra = {"effort_mapping": mapping} if mapping else {}
        if framework == "langchain":
            lc = _lc(glm_emulator.base_url, "glm-5.3", reasoning_effort=effort, model_kwargs=extra)
            _ = list(lc.stream("hi")) if stream else lc.invoke("hi")
            return
        from llama_index.core.base.llms.types import ChatMessage

        li = _li(glm_emulator.base_url, "glm-5.3", reasoning_effort=effort, additional_kwargs=extra)
        messages = [ChatMessage(role="user", content="hi")]
        _ = list(li.stream_chat(messages)) if stream else li.chat(messages)

    for effort, sent in (("medium", "high"), ("xhigh", "max"), ("minimal", "low"), ("low", "low")):
        ask(effort, "nearest")
        assert glm_emulator.state.bodies[-1]["reasoning_effort"] == sent
    before = glm_emulator.state.requests
    with pytest.raises(GLMValidationError, match="low, high, max on glm-5.3"):
        ask("medium", None)  # by default nothing is changed silently: refused, unsent
    with pytest.raises(GLMValidationError, match="effort_mapping"):
        ask("medium", "closest")
    assert glm_emulator.state.requests == before


# ---- media returned by a tool (issue #24, item 2) -----------------------------------------------

PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _tool_turns(framework: str) -> list[Any]:
    if framework == "langchain":
        from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

        return [
            HumanMessage("take a screenshot"),
            AIMessage("", tool_calls=[{"name": "shot", "args": {}, "id": "call_1"}]),
            ToolMessage(
                content=[
                    {"type": "text", "text": "here it is"},
                    {"type": "image_url", "image_url": {"url": PNG}},
                ],
                tool_call_id="call_1",
            ),
        ]
    from llama_index.core.base.llms.types import (
        ChatMessage,
        ImageBlock,
        TextBlock,
        ToolCallBlock,
    )

    return [
        ChatMessage(role="user", content="take a screenshot"),
        ChatMessage(
            role="assistant",
            blocks=[ToolCallBlock(tool_call_id="call_1", tool_name="shot", tool_kwargs={})],
        ),
        ChatMessage(
            role="tool",
            blocks=[TextBlock(text="here it is"), ImageBlock(url=PNG)],
            additional_kwargs={"tool_call_id": "call_1"},
        ),
    ]


def _send(framework: str, url: str, model: str) -> None:
    if framework == "langchain":
        _lc(url, model).invoke(_tool_turns(framework))
    else:
        _li(url, model).chat(_tool_turns(framework))


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_an_image_a_tool_returned_goes_in_a_user_message_after_the_results(
    glm_emulator: EmulatorServer, framework: str
) -> None:
    _send(framework, glm_emulator.base_url, "glm-4.6v")
    messages = glm_emulator.state.bodies[-1]["messages"]
    tool, after = messages[-2], messages[-1]
    assert tool["role"] == "tool" and tool["tool_call_id"] == "call_1"
    assert tool["content"].startswith("here it is") and "base64" not in tool["content"]
    assert after["role"] == "user"
    assert after["content"][0] == {"type": "text", "text": "Returned by tool call call_1:"}
    assert after["content"][1]["type"] == "image_url"
    assert after["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_an_image_a_tool_returned_to_a_text_model_is_refused_before_sending(
    glm_emulator: EmulatorServer, framework: str
) -> None:
    before = glm_emulator.state.requests
    with pytest.raises(GLMValidationError, match=r"messages\[2\]\.content\[1\]") as info:
        _send(framework, glm_emulator.base_url, "glm-5.3")
    assert "glm-5.3 takes text" in str(info.value)
    assert glm_emulator.state.requests == before


# ---- GLM-5.4's media, built by both frameworks (issue #23) ------------------------------------

MEDIA = [
    ("video", "video_url", "https://example.org/v.mp4"),
    ("file", "file_url", "https://example.org/d.pdf"),
    ("image", "image_url", "https://example.org/i.png"),
]


@pytest.mark.parametrize(("kind", "wire", "url"), MEDIA)
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_glm_5_4_gets_video_file_and_image_parts(
    glm_emulator: Any, framework: str, kind: str, wire: str, url: str
) -> None:
    if framework == "langchain":
        from langchain_core.messages import HumanMessage

        from langchain_glm import ChatGLM

        block: dict[str, Any] = {"type": kind, "url": url}
        if kind == "file":
            block["mime_type"] = "application/pdf"
        llm = ChatGLM(model="glm-5.4", base_url=glm_emulator.base_url, api_key="k")
        llm.invoke([HumanMessage(content=[{"type": "text", "text": "what is it?"}, block])])
    else:
        from llama_index.core.base.llms.types import (
            ChatMessage,
            DocumentBlock,
            ImageBlock,
            TextBlock,
            VideoBlock,
        )

        from llama_index_glm import GLM

        cls = {"video": VideoBlock, "file": DocumentBlock, "image": ImageBlock}[kind]
        blocks = [TextBlock(text="what is it?"), cls(url=url)]
        GLM(model="glm-5.4", base_url=glm_emulator.base_url, api_key="k").chat(
            [ChatMessage(role="user", blocks=blocks)]
        )
    parts = glm_emulator.request(-1).body["messages"][0]["content"]
    assert parts == [{"type": "text", "text": "what is it?"}, {"type": wire, wire: {"url": url}}]
