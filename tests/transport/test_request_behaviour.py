"""What a caller's request becomes on the wire, and the field each refusal names (issue 28)."""

from __future__ import annotations

from typing import Any

import pytest

from glm_transport import PROVIDERS, ChatRequest, GLMValidationError
from glm_transport.request import (
    assistant_message,
    build_chat_body,
    data_url,
    join_text,
    wire_model,
    wire_tool_call,
)

USER = [{"role": "user", "content": "hi"}]
PARAMS = {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}


def body(provider: str = "zai", stream: bool = False, **kw: Any) -> dict[str, Any]:
    kw.setdefault("model", "glm-5-turbo")
    kw.setdefault("messages", USER)
    return build_chat_body(ChatRequest(**kw), PROVIDERS[provider], stream=stream)


def refused(**kw: Any) -> GLMValidationError:
    with pytest.raises(GLMValidationError) as caught:
        body(**kw)
    return caught.value


def fn_tool(**fn: Any) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "search", **fn}}


@pytest.mark.parametrize(
    "fn",
    [
        {"description": "Find.", "parameters": PARAMS, "strict": True},
        {"parameters": PARAMS},
        {"description": "", "parameters": PARAMS},
    ],
)
def test_a_strict_or_undescribed_tool_keeps_its_parameters(fn: dict[str, Any]) -> None:
    (sent,) = body(tools=[fn_tool(**fn)])["tools"]
    assert sent["function"]["parameters"] == PARAMS
    assert "strict" not in sent["function"]
    assert sent["function"]["description"] == (fn.get("description") or "")
    assert sent["type"] == "function"


def test_a_tool_without_parameters_gets_an_empty_object_schema() -> None:
    (sent,) = body(tools=[fn_tool(description="d")])["tools"]
    assert sent["function"] == {
        "name": "search",
        "description": "d",
        "parameters": {"type": "object", "properties": {}},
    }


def test_a_complete_tool_is_sent_as_given() -> None:
    tool = fn_tool(description="Find.", parameters=PARAMS)
    assert body(tools=[tool])["tools"] == [tool]


@pytest.mark.parametrize(
    ("tools", "field"),
    [
        (["search"], "tools[0]"),
        ([{"type": "retrieval_x"}], "tools[0].type"),
        (
            [fn_tool(), {"type": "function", "function": {"name": "bad name"}}],
            "tools[1].function.name",
        ),
        ([{"type": "function", "function": {"name": "x" * 65}}], "tools[0].function.name"),
        ([{"type": "function"}], "tools[0].function.name"),
    ],
)
def test_a_bad_tool_is_refused_naming_it(tools: list[Any], field: str) -> None:
    assert refused(tools=tools).field == field


def test_too_many_tools_are_refused() -> None:
    limit = PROVIDERS["zai"].limits.max_tools
    tools = [fn_tool(description="d", parameters=PARAMS) for _ in range(limit)]
    assert len(body(tools=tools)["tools"]) == limit
    err = refused(tools=[*tools, fn_tool()])
    assert err.field == "tools" and str(limit) in err.allowed


def test_extra_body_cannot_turn_streaming_on_or_off() -> None:
    for value in (True, False):
        err = refused(extra_body={"stream": value})
        assert err.field == "stream" and err.value is value
    assert body(extra_body={"foo": 1})["foo"] == 1
    assert refused(extra_body=["stream"]).field == "extra_body"


def test_stream_is_sent_only_for_streams_and_tool_stream_only_with_tools() -> None:
    tools = [fn_tool(description="d", parameters=PARAMS)]
    assert "stream" not in body()
    assert body(stream=True)["stream"] is True
    assert body(stream=True, tools=tools, tool_stream=True)["tool_stream"] is True
    assert "tool_stream" not in body(stream=False, tools=tools, tool_stream=True)
    assert "tool_stream" not in body(stream=True, tool_stream=True)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"temperature": 1.5}, "temperature"),
        ({"temperature": -0.1}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"temperature": "0.5"}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"top_p": 1.01}, "top_p"),
        ({"do_sample": 1}, "do_sample"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": True}, "max_tokens"),
        ({"max_tokens": 10.0}, "max_tokens"),
        ({"stop": ""}, "stop"),
        ({"stop": 5}, "stop"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"request_id": "short"}, "request_id"),
        ({"request_id": "x" * 65}, "request_id"),
        ({"request_id": 123456}, "request_id"),
        ({"user_id": "abc"}, "user_id"),
        ({"user_id": "u" * 129}, "user_id"),
        ({"thinking": {"type": "on"}}, "thinking"),
        ({"thinking": "enabled"}, "thinking"),
        ({"thinking": {"type": "enabled", "clear_thinking": "no"}}, "thinking.clear_thinking"),
        ({"response_format": {"type": "xml"}}, "response_format.type"),
        ({"response_format": "json_object"}, "response_format"),
        ({"tool_choice": "required", "tools": [fn_tool()]}, "tool_choice"),
        ({"model": ""}, "model"),
    ],
)
def test_each_refusal_names_its_field(kw: dict[str, Any], field: str) -> None:
    assert refused(**kw).field == field


@pytest.mark.parametrize(
    "kw",
    [
        {"temperature": 1.0},
        {"temperature": 0.01},
        {"top_p": 1.0},
        {"max_tokens": 1},
        {"request_id": "abcdef"},
        {"request_id": "x" * 64},
        {"user_id": "abcdef"},
        {"user_id": "u" * 128},
        {"do_sample": True},
        {"stop": ["a"]},
        {"stop": ("a",)},
    ],
)
def test_the_edges_of_each_range_are_accepted_and_sent(kw: dict[str, Any]) -> None:
    sent = body(**kw)
    ((key, value),) = kw.items()
    assert sent[key] == (list(value) if key == "stop" else value)


def test_max_tokens_above_the_models_output_limit_names_the_model() -> None:
    err = refused(model="glm-4.5-flash", max_tokens=10**7)
    assert err.field == "max_tokens" and "glm-4.5" in err.allowed


def test_thinking_and_effort_are_sent_as_given() -> None:
    th = {"type": "enabled", "clear_thinking": False}
    assert body(thinking=th)["thinking"] == th
    assert body(thinking={"type": "disabled"})["thinking"] == {"type": "disabled"}


def test_tool_choice_auto_is_sent_only_with_tools() -> None:
    tools = [fn_tool(description="d", parameters=PARAMS)]
    assert body(tools=tools, tool_choice="auto")["tool_choice"] == "auto"
    assert "tool_choice" not in body(tool_choice="auto")


def test_messages_are_checked_with_the_index_they_are_at() -> None:
    assert refused(messages=[]).field == "messages"
    assert refused(messages=[*USER, {"role": "bot"}]).field == "messages[1].role"
    bad_part = [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "pdf"}]}]
    assert refused(messages=bad_part).field == "messages[0].content[1].type"
    assert refused(messages=[{"role": "system", "content": "s"}]).field == "messages"
    mixed = [
        {
            "role": "user",
            "content": [
                {"type": "file_url", "file_url": {"url": "https://x.invalid/a.pdf"}},
                {"type": "image_url", "image_url": {"url": "https://x.invalid/a.png"}},
            ],
        }
    ]
    assert refused(model="glm-4.6v", messages=mixed).field == "messages"


def test_the_model_tag_is_dropped_only_on_glms_own_hosts() -> None:
    assert wire_model("glm-5.4[1m]", PROVIDERS["zai"]) == "glm-5.4"
    assert wire_model("glm-5.4", PROVIDERS["zai"]) == "glm-5.4"
    assert wire_model("[1m]", PROVIDERS["zai"]) == "[1m]"
    custom = [p for p in PROVIDERS.values() if not p.official]
    assert custom and wire_model("glm-5.4[1m]", custom[0]) == "glm-5.4[1m]"


def test_history_helpers() -> None:
    assert join_text(["Paris", "Lyon"]) == "Paris\nLyon"
    assert data_url("image", None, "QUJD") == "data:image/png;base64,QUJD"
    assert data_url("file", "text/plain", "QUJD") == "data:text/plain;base64,QUJD"
    assert wire_tool_call("c1", "f", {"a": 1}) == {
        "id": "c1",
        "type": "function",
        "function": {"name": "f", "arguments": '{"a": 1}'},
    }
    assert wire_tool_call("c1", "f", None)["function"]["arguments"] == "{}"
    assert wire_tool_call("c1", "f", "raw")["function"]["arguments"] == "raw"
    call = wire_tool_call("c1", "f", "{}")
    assert assistant_message("", [call], None) == {"role": "assistant", "tool_calls": [call]}
    assert assistant_message("", [], "why") == {
        "role": "assistant",
        "content": "",
        "reasoning_content": "why",
    }
    assert assistant_message("t", [call], "") == {
        "role": "assistant",
        "content": "t",
        "tool_calls": [call],
    }


IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJD"}}


def test_media_a_tool_returned_goes_in_one_user_message_after_the_tool_results() -> None:
    messages = [
        {"role": "user", "content": "look"},
        {"role": "assistant", "tool_calls": [wire_tool_call("c1", "shot", {})]},
        {
            "role": "tool",
            "tool_call_id": "c1",
            "content": [{"type": "text", "text": "done"}, IMAGE],
        },
        {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "no media"}]},
        {"role": "user", "content": "and?"},
    ]
    sent = body(model="glm-4.6v", messages=messages)["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool", "user", "user"]
    assert sent[2] == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": "done\n[1 attachment(s) follow in the next user message]",
    }
    assert sent[3]["content"] == "no media"
    assert sent[4] == {
        "role": "user",
        "content": [{"type": "text", "text": "Returned by tool call c1:"}, IMAGE],
    }
    assert sent[5] == {"role": "user", "content": "and?"}
    assert messages[2]["content"][1] is IMAGE  # the caller's messages are not changed


def test_media_from_the_last_tool_results_still_goes_out() -> None:
    messages = [
        {"role": "user", "content": "look"},
        {"role": "tool", "tool_call_id": "c1", "content": [IMAGE]},
    ]
    sent = body(model="glm-4.6v", messages=messages)["messages"]
    assert sent[-1] == {
        "role": "user",
        "content": [{"type": "text", "text": "Returned by tool call c1:"}, IMAGE],
    }
    assert sent[1]["content"] == "[1 attachment(s) follow in the next user message]"


def test_media_a_model_cannot_take_is_refused_naming_the_part() -> None:
    messages = [
        {"role": "user", "content": "look"},
        {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "t"}, IMAGE]},
    ]
    err = refused(model="glm-5", messages=messages)
    assert (err.field, err.value) == ("messages[1].content[1]", "image_url")
    assert "glm-5 takes text" in err.allowed
    odd = [{"role": "user", "content": "x"}, {"role": "tool", "content": ["raw"]}]
    assert refused(model="glm-4.6v", messages=odd).field == "messages[1].content[0]"


def test_refusals_say_exactly_what_is_allowed() -> None:
    err = refused(messages=[{"role": "system", "content": "s"}])
    assert err.allowed == (
        "at least one 'user' message (GLM rejects system/assistant-only input with code 1214)"
    )
    assert refused(do_sample="yes").allowed == "True or False"
    assert refused(extra_body={"stream": True}).allowed == (
        "not a request field: call the stream methods to stream"
    )
    assert refused(model="").allowed == "a model name such as 'glm-5-turbo'"
    mixed = [
        {
            "role": "user",
            "content": [
                {"type": "file_url", "file_url": {"url": "https://x.invalid/a.pdf"}},
                {"type": "image_url", "image_url": {"url": "https://x.invalid/a.png"}},
            ],
        }
    ]
    assert refused(model="glm-4.6v", messages=mixed).allowed == (
        "file_url parts alone, or image_url/video_url parts: GLM cannot mix them in one request"
    )
    assert refused(max_tokens=0).allowed == "an integer in [1, 131072]"
    assert refused(model="glm-4.6v", max_tokens=40000).allowed == (
        "an integer in [1, 32768] (glm-4.6v's output limit)"
    )


def test_a_one_letter_model_keeps_its_name_without_the_tag() -> None:
    assert wire_model("g[1m]", PROVIDERS["zai"]) == "g"


def test_more_refusals_show_the_value_and_say_exactly_what_is_allowed() -> None:
    assert refused(messages=[]).allowed == "a non-empty list of messages"
    assert refused(user_id="abc").allowed == "a string of 6-128 characters"
    assert refused(max_tokens=0).value == 0
    assert refused(messages=[{"role": "system", "content": "s"}]).value == ["system"]
    audio = {"type": "input_audio", "input_audio": {"data": "QUJD", "format": "wav"}}
    messages = [{"role": "user", "content": "x"}, {"role": "tool", "content": [audio]}]
    assert (
        "glm-4.6v takes image, pdf, text, video"
        in refused(model="glm-4.6v", messages=messages).allowed
    )
