"""Pure request building and validation: every provider limit, named in its error."""

from __future__ import annotations

from typing import Any

import pytest

from glm_transport import PROVIDERS, ChatRequest, GLMValidationError
from glm_transport.request import build_chat_body

ZAI = PROVIDERS["zai"]
USER = [{"role": "user", "content": "hi"}]


def body(provider: str = "zai", stream: bool = False, **kw: Any) -> dict[str, Any]:
    return build_chat_body(
        ChatRequest(model="glm-5-turbo", messages=kw.pop("messages", USER), **kw),
        PROVIDERS[provider],
        stream=stream,
    )


def test_only_what_was_set_is_sent() -> None:
    assert body() == {"model": "glm-5-turbo", "messages": USER}
    assert body(stream=True, top_p=0.5) == {
        "model": "glm-5-turbo",
        "messages": USER,
        "stream": True,
        "top_p": 0.5,
    }


def test_temperature_zero_means_greedy() -> None:
    b = body(temperature=0)
    assert b["do_sample"] is False and "temperature" not in b
    assert body(temperature=0.3)["temperature"] == 0.3


def test_thinking_tool_stream_response_format_ids_and_extra_body() -> None:
    tools = [
        {
            "type": "function",
            "function": {"name": "f", "description": "d", "parameters": {"type": "object"}},
        }
    ]
    b = body(
        stream=True,
        tools=tools,
        tool_choice="auto",
        tool_stream=True,
        thinking={"type": "enabled", "clear_thinking": False},
        response_format={"type": "json_object"},
        request_id="req-123456",
        user_id="user-123456",
        extra_body={"watermark_enabled": False},
    )
    assert b["thinking"] == {"type": "enabled", "clear_thinking": False}
    assert b["tool_stream"] is True and b["tool_choice"] == "auto"
    assert b["request_id"] == "req-123456" and b["user_id"] == "user-123456"
    assert b["watermark_enabled"] is False
    # tool_stream is a streaming option: not sent on a non-streaming call.
    assert "tool_stream" not in body(tools=tools, tool_stream=True)


def test_function_tools_get_the_fields_glm_requires() -> None:
    b = body(tools=[{"type": "function", "function": {"name": "noargs", "strict": True}}])
    assert b["tools"][0]["function"] == {
        "name": "noargs",
        "description": "",
        "parameters": {"type": "object", "properties": {}},
    }


INVALID: list[tuple[dict[str, Any], str, str]] = [
    ({"temperature": 1.5}, "temperature", "[0.0, 1.0]"),
    ({"temperature": -0.1}, "temperature", "[0.0, 1.0]"),
    ({"top_p": 0.0}, "top_p", "[0.01, 1.0]"),
    ({"max_tokens": 0}, "max_tokens", "[1, 131072]"),
    ({"max_tokens": 200_000}, "max_tokens", "[1, 131072]"),
    ({"stop": ["a", "b"]}, "stop", "at most 1"),
    ({"tool_choice": "required"}, "tool_choice", "auto"),
    ({"response_format": {"type": "json_schema"}}, "response_format.type", "json_object"),
    ({"thinking": {"type": "on"}}, "thinking", "enabled"),
    (
        {"thinking": {"type": "enabled", "clear_thinking": "no"}},
        "thinking.clear_thinking",
        "True or False",
    ),
    ({"messages": [{"role": "system", "content": "s"}]}, "messages", "at least one 'user'"),
    ({"messages": []}, "messages", "non-empty"),
    ({"messages": [{"role": "robot", "content": "s"}]}, "messages[0].role", "user"),
    (
        {"messages": [{"role": "user", "content": [{"type": "audio"}]}]},
        "messages[0].content[0].type",
        "image_url",
    ),
    (
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": "u"}},
                        {"type": "file_url", "file_url": {"url": "f"}},
                    ],
                }
            ]
        },
        "messages",
        "cannot mix",
    ),
    (
        {"tools": [{"type": "function", "function": {"name": "bad name!"}}]},
        "tools[0].function.name",
        "[a-zA-Z0-9_-]",
    ),
    (
        {"tools": [{"type": "function", "function": {"name": "x" * 65}}]},
        "tools[0].function.name",
        "1-64",
    ),
    (
        {"tools": [{"type": "function", "function": {"name": f"t{i}"}} for i in range(129)]},
        "tools",
        "at most 128",
    ),
    ({"tools": [{"type": "code_interpreter"}]}, "tools[0].type", "function"),
    ({"request_id": "abc"}, "request_id", "6-64"),
    ({"user_id": "u"}, "user_id", "6-128"),
]


@pytest.mark.parametrize(("kwargs", "field", "allowed"), INVALID)
def test_each_limit_names_field_value_and_allowed(
    kwargs: dict[str, Any], field: str, allowed: str
) -> None:
    with pytest.raises(GLMValidationError) as info:
        body(**kwargs)
    err = info.value
    assert err.field == field
    assert f"`{field}`" in str(err) and allowed in str(err)
    assert isinstance(err, ValueError)


def test_model_is_required() -> None:
    with pytest.raises(GLMValidationError, match="`model`"):
        build_chat_body(ChatRequest(model="", messages=USER), ZAI, stream=False)


def test_limits_differ_by_provider() -> None:
    four = ["a", "b", "c", "d"]
    assert body("maxtoken", stop=four)["stop"] == four
    with pytest.raises(GLMValidationError, match="at most 4"):
        body("maxtoken", stop=[*four, "e"])
    with pytest.raises(GLMValidationError, match="at most 1 .* 'powertokens'"):
        body("powertokens", stop=["a", "b"])
    web = [{"type": "web_search", "web_search": {"enable": True}}]
    assert body("zai", tools=web)["tools"] == web
    with pytest.raises(GLMValidationError, match="function on provider 'powertokens'"):
        body("powertokens", tools=web)


def test_file_parts_take_the_providers_shape() -> None:
    msg = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "summarise"},
                {"type": "file_url", "file_url": {"url": "https://x.test/docs/report.pdf?sig=1"}},
            ],
        }
    ]
    assert body("zai", messages=msg)["messages"] == msg
    sent = body("maxtoken", messages=msg)["messages"][0]["content"][1]
    assert sent == {
        "type": "file",
        "file": {"filename": "report.pdf", "file_data": "https://x.test/docs/report.pdf?sig=1"},
    }
    assert msg[0]["content"][1]["type"] == "file_url"  # the caller's list is not mutated


def test_single_stop_string_becomes_a_list() -> None:
    assert body(stop="END")["stop"] == ["END"]
