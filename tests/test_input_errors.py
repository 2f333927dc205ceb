"""Careless input gets GLMValidationError naming the field, before any request, in both frameworks;
keys are checked and never echoed."""

from __future__ import annotations

import asyncio
import datetime
import json
import math
import re
import warnings
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from glm_transport import GLMValidationError, resolve_settings
from glm_transport.emulator import EmulatorServer

KEY = "sk-input-test-key-5555"


class Person(BaseModel):
    name: str


def _call(framework: str, url: str, **kwargs: Any) -> Any:
    if framework == "langchain":
        from langchain_glm import ChatGLM

        return ChatGLM(base_url=url, api_key=KEY).invoke("hi", **kwargs)
    from llama_index.core.base.llms.types import ChatMessage

    from llama_index_glm import GLM

    return GLM(base_url=url, api_key=KEY).chat([ChatMessage(role="user", content="hi")], **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"response_format": "json"}, "response_format"),
        ({"response_format": Person}, "response_format"),
        # json_schema goes the forced-tool way: without its schema there is nothing to route.
        ({"response_format": {"type": "json_schema"}}, "response_format.json_schema"),
        ({"response_format": {"type": "xml"}}, "response_format.type"),
        ({"stop": 5}, "stop"),
        ({"tools": ["x"]}, "tools[0]"),
        ({"tools": "x"}, "tools"),
        ({"stream": True}, "stream"),
        ({"do_sample": "yes"}, "do_sample"),
    ],
)
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_wrong_types_per_call_name_the_field(
    glm_emulator: EmulatorServer, framework: str, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(GLMValidationError) as info:
        _call(framework, glm_emulator.base_url, **kwargs)
    assert info.value.field == field
    assert glm_emulator.state.requests == 0  # nothing was sent


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"base_url": "http://[::1"}, "base_url"),
        ({"total_timeout": 0}, "total_timeout"),
        ({"total_timeout": math.nan}, "total_timeout"),
        ({"total_timeout": -1.0}, "total_timeout"),
        ({"max_retries": -1}, "max_retries"),
    ],
)
def test_settings_are_validated(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(GLMValidationError) as info:
        resolve_settings(**{"api_key": KEY, **kwargs})
    assert info.value.field == field


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_model_settings_are_validated_at_construction(framework: str) -> None:
    if framework == "langchain":
        from langchain_glm import ChatGLM as cls
    else:
        from llama_index_glm import GLM as cls
    with pytest.raises((GLMValidationError, ValueError), match="base_url"):
        cls(api_key=KEY, base_url="http://[::1")


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_a_key_with_a_trailing_newline_is_stripped_with_a_warning(framework: str) -> None:
    with EmulatorServer(api_key=KEY) as server:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            if framework == "langchain":
                from langchain_glm import ChatGLM

                answer = ChatGLM(base_url=server.base_url, api_key=KEY + "\n").invoke("hi").content
            else:
                from llama_index.core.base.llms.types import ChatMessage

                from llama_index_glm import GLM

                llm = GLM(base_url=server.base_url, api_key=KEY + "\n")
                answer = llm.chat([ChatMessage(role="user", content="hi")]).message.content
        assert answer.endswith("hi")  # the emulator checks the Bearer key exactly
        messages = [str(w.message) for w in seen if "whitespace" in str(w.message)]
        assert messages and all(KEY not in m for m in messages)


@pytest.mark.parametrize("bad", [KEY + "é", "sk key", "sk\x00key", "   "])
def test_keys_that_cannot_be_sent_are_refused_unseen(bad: str) -> None:
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(GLMValidationError) as info:
            resolve_settings(api_key=bad)
    # Whitespace around a key is stripped with a warning; the rest is then refused.
    assert any("whitespace" in str(w.message) for w in seen) is (bad != bad.strip())
    assert info.value.field == "api_key"
    assert bad.strip() not in f"{info.value!s}{info.value!r}{info.value.value!r}" or not bad.strip()


# -- settings that escaped validation: timeouts, headers, credentials in the URL ---------------


def _refusing_client() -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a request was sent: {request.method} {request.url}")

    return httpx.Client(transport=httpx.MockTransport(handler))


def _model(framework: str, **kwargs: Any) -> Any:
    if framework == "langchain":
        from langchain_glm import ChatGLM

        return ChatGLM(api_key=KEY, http_client=_refusing_client(), **kwargs)
    from llama_index_glm import GLM

    return GLM(api_key=KEY, http_client=_refusing_client(), **kwargs)


def _ask(framework: str, model: Any, *messages: Any) -> Any:
    if framework == "langchain":
        return model.invoke(list(messages) or "hi")
    from llama_index.core.base.llms.types import ChatMessage

    return model.chat(list(messages) or [ChatMessage(role="user", content="hi")])


BAD_SETTINGS = [
    ({"timeout": math.nan}, "timeout"),
    ({"timeout": math.inf}, "timeout"),
    ({"timeout": -5.0}, "timeout"),
    ({"timeout": (math.nan, 30.0)}, "timeout.connect"),
    ({"timeout": (5.0, -1.0)}, "timeout.read"),
    ({"total_timeout": math.inf}, "total_timeout"),
    ({"default_headers": {"X-Tag": "a\r\nX-Injected: yes"}}, "default_headers['X-Tag']"),
    ({"default_headers": {"X-Tag": "caf\u00e9"}}, "default_headers['X-Tag']"),
    ({"default_headers": {"X Tag": "v"}}, "default_headers"),
    ({"base_url": "https://user:pa55word@gateway.example/v4"}, "base_url"),
]


@pytest.mark.parametrize(("kwargs", "field"), BAD_SETTINGS)
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_bad_settings_are_refused_at_construction(
    framework: str, kwargs: dict[str, Any], field: str
) -> None:
    # Pydantic wraps a validator's ValueError (GLMValidationError is one) in its ValidationError.
    with pytest.raises(ValueError, match=re.escape(f"Invalid `{field}`")) as info:
        _model(framework, **{"base_url": "http://127.0.0.1:9/v4", **kwargs})
    assert "pa55word" not in str(info.value) and "X-Injected" not in str(info.value)


@pytest.mark.parametrize(("kwargs", "field"), BAD_SETTINGS)
@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
def test_bad_settings_set_after_construction_are_refused_before_sending(
    framework: str, kwargs: dict[str, Any], field: str
) -> None:
    model = _model(framework, base_url="http://127.0.0.1:9/v4").model_copy(update=kwargs)
    with pytest.raises(GLMValidationError) as info:
        _ask(framework, model)
    assert info.value.field == field
    assert "pa55word" not in str(info.value) and "X-Injected" not in str(info.value)


# -- request JSON that cannot be encoded --------------------------------------------------------


def _cyclic_dict() -> dict[str, Any]:
    value: dict[str, Any] = {"a": 1}
    value["self"] = value
    return value


def _cyclic_list() -> list[Any]:
    value: list[Any] = [1]
    value.append(value)
    return value


def _schema_with(default: Any) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": "schedule",
            "description": "Schedule a meeting.",
            "parameters": {
                "type": "object",
                "properties": {"when": {"type": "string", "default": default}},
            },
        },
    }


@pytest.mark.parametrize(
    ("body", "field", "allowed"),
    [
        (
            {
                "messages": [
                    {"role": "user", "content": "ok"},
                    {"role": "user", "content": "a\ud800"},
                ]
            },
            "messages[1].content",
            "lone surrogate at character 1",
        ),
        ({"temperature": math.nan}, "temperature", "finite number"),
        ({"extra": {"weights": [1.0, -math.inf]}}, "extra.weights[1]", "finite number"),
        (
            {"tools": [_schema_with(datetime.datetime(2024, 5, 1))]},
            "tools[0].function.parameters.properties.when.default",
            "convert the datetime first",
        ),
        (
            {"tools": [_schema_with({"a", "b"})]},
            "tools[0].function.parameters.properties.when.default",
            "convert the set first",
        ),
        ({"meta": _cyclic_dict()}, "meta.self", "cycle"),
        ({"meta": {"list": _cyclic_list()}}, "meta.list[1]", "cycle"),
        ({"meta": {("a", "b"): 1}}, "meta[('a', 'b')] (a key)", "str keys"),
        (
            {"meta": {"my-field": {"k\udc80": 1}}},
            "meta['my-field']['k\\udc80'] (a key)",
            "surrogate",
        ),
    ],
)
def test_encode_json_names_the_value_json_cannot_carry(
    body: dict[str, Any], field: str, allowed: str
) -> None:
    from glm_transport.jsonbody import encode_json

    with pytest.raises(GLMValidationError) as info:
        encode_json(body)
    assert info.value.field == field
    assert allowed in info.value.allowed
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize(
    "body",
    [
        {},
        {
            "model": "glm-5",
            "messages": [{"role": "user", "content": "h\u00e9llo \U0001f600 \u6e2c"}],
        },
        {"a": [1, 2.5, -0.0, True, None, "x"], "b": {"c": {"d": []}}, "e": (1, 2)},
        {"shared": [[1, 2]] * 3, 1: "int key", 2.5: "float key", None: "none key"},
        {"big": 10**30, "tiny": 5e-324, "quote": 'say "hi"\n\\'},
    ],
)
def test_encode_json_keeps_todays_bytes(body: dict[str, Any]) -> None:
    from glm_transport.jsonbody import encode_json

    expected = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert encode_json(body) == expected


def test_json_text_is_json_dumps_for_arguments_and_names_the_field() -> None:
    from glm_transport.jsonbody import json_text

    args = {"city": "Par\u00eds", "days": [1, 2]}
    assert json_text(args, "arguments") == json.dumps(args, ensure_ascii=False)
    with pytest.raises(GLMValidationError) as info:
        json_text({"when": datetime.date(2024, 5, 1)}, "tool_calls['c1'].function.arguments")
    assert info.value.field == "tool_calls['c1'].function.arguments.when"
    with pytest.raises(GLMValidationError, match="finite number"):
        json_text({"x": math.nan}, "arguments")


def test_a_body_nested_too_deeply_is_refused() -> None:
    from glm_transport.jsonbody import encode_json

    deep: list[Any] = []
    node = deep
    for _ in range(100_000):
        node.append([])
        node = node[0]
    with pytest.raises(GLMValidationError) as info:
        encode_json({"deep": deep})
    assert info.value.field == "body" and "nested" in info.value.allowed


def test_a_bad_value_deep_in_the_body_is_named_by_the_end_of_its_path() -> None:
    # The walk keeps a link per level, not a path string per level (that was 11 GB here).
    from glm_transport.jsonbody import encode_json

    deep: list[Any] = []
    node = deep
    for _ in range(100_000):
        node.append([])
        node = node[0]
    node.append(float("nan"))
    with pytest.raises(GLMValidationError) as info:
        encode_json({"deep": deep})
    field = info.value.field
    assert field.startswith("...") and field.endswith("[0][0][0]") and len(field) <= 303
    assert "finite" in info.value.allowed


def _user(framework: str, text: str) -> Any:
    if framework == "langchain":
        from langchain_core.messages import HumanMessage

        return HumanMessage(text)
    from llama_index.core.base.llms.types import ChatMessage

    return ChatMessage(role="user", content=text)


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
@pytest.mark.parametrize(
    ("text", "kwargs", "field"),
    [
        ("a\ud83d", {}, "messages[0].content"),  # half of an emoji
        ("hi", {"extra_body": {"seed": math.nan}}, "seed"),
        ("hi", {"extra_body": {"meta": _cyclic_dict()}}, "meta.self"),
        (
            "hi",
            {"tools": [_schema_with(datetime.datetime(2024, 5, 1))]},
            "tools[0].function.parameters.properties.when.default",
        ),
        (
            "hi",
            {"tools": [_schema_with(math.inf)]},
            "tools[0].function.parameters.properties.when.default",
        ),
    ],
)
def test_bodies_json_cannot_carry_are_refused_before_sending(
    framework: str, text: str, kwargs: dict[str, Any], field: str
) -> None:
    model = _model(framework, base_url="http://127.0.0.1:9/v4")
    send = model.invoke if framework == "langchain" else model.chat
    with pytest.raises(GLMValidationError) as info:
        send([_user(framework, text)], **kwargs)
    assert info.value.field == field


def _history_with_call(framework: str, args: dict[str, Any]) -> list[Any]:
    if framework == "langchain":
        from langchain_core.messages import AIMessage, ToolMessage

        call = AIMessage("", tool_calls=[{"name": "schedule", "args": args, "id": "c1"}])
        return [_user(framework, "book it"), call, ToolMessage("booked", tool_call_id="c1")]
    from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock

    block = ToolCallBlock(tool_call_id="c1", tool_name="schedule", tool_kwargs=args)
    return [
        _user(framework, "book it"),
        ChatMessage(role="assistant", blocks=[block]),
        ChatMessage(role="tool", content="booked", additional_kwargs={"tool_call_id": "c1"}),
    ]


@pytest.mark.parametrize("framework", ["langchain", "llama_index"])
@pytest.mark.parametrize(
    ("args", "last"),
    [
        ({"when": datetime.datetime(2024, 5, 1, 9, 30)}, "when"),
        ({"when": "tomorrow", "score": math.nan}, "score"),
        (_cyclic_dict(), "self"),
    ],
)
def test_tool_call_arguments_json_cannot_carry_are_refused_before_sending(
    framework: str, args: dict[str, Any], last: str
) -> None:
    model = _model(framework, base_url="http://127.0.0.1:9/v4")
    with pytest.raises(GLMValidationError) as info:
        _ask(framework, model, *_history_with_call(framework, args))
    field = info.value.field  # the frameworks copy the outer dict: a cycle may close one level in
    assert "'c1'" in field and f"arguments.{last}" in field


@pytest.mark.parametrize(
    ("module", "name", "field", "wrong"),
    [
        ("langchain_glm", "ChatGLM", "http_client", "async"),
        ("langchain_glm", "ChatGLM", "http_async_client", "sync"),
        ("llama_index_glm", "GLM", "http_client", "async"),
        ("llama_index_glm", "GLM", "async_http_client", "sync"),
        ("langchain_glm", "GLMEmbeddings", "http_client", "other"),
        ("llama_index_glm", "GLMEmbedding", "http_client", "other"),
    ],
)
def test_an_http_client_of_the_wrong_kind_is_refused_before_sending(
    module: str, name: str, field: str, wrong: str
) -> None:
    import importlib

    import httpx

    given: object = {"async": httpx.AsyncClient(), "sync": httpx.Client(), "other": object()}[wrong]
    cls = getattr(importlib.import_module(module), name)
    model = cls(api_key="k", base_url="http://127.0.0.1:9/v4", **{field: given})
    from llama_index.core.base.llms.types import ChatMessage

    messages = [ChatMessage(role="user", content="hi")]
    calls = {
        ("ChatGLM", False): lambda: model.invoke("hi"),
        ("ChatGLM", True): lambda: asyncio.run(model.ainvoke("hi")),
        ("GLM", False): lambda: model.chat(messages),
        ("GLM", True): lambda: asyncio.run(model.achat(messages)),
        ("GLMEmbeddings", False): lambda: model.embed_query("hi"),
        ("GLMEmbedding", False): lambda: model.get_text_embedding("hi"),
    }
    call = calls[(name, "async" in field)]
    with pytest.raises(GLMValidationError, match="httpx"):
        call()
