"""Replies the transport reshapes once for both frameworks, whole and streamed alike.

Nested arguments GLM-5.x sends as JSON text (decoded when they parse to the schema's type), a
``json_schema`` response format routed to a forced tool call (the call's arguments are the
content), tool calls GLM ran itself (``mcp``: never among the calls an agent runs), in-chat web
search (results or their absence recorded; a forced search without results is an error), and the
normalized finish reason.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from glm_transport import errors as E
from glm_transport.arguments import decode_nested, repair_plan
from glm_transport.config import PROVIDERS
from glm_transport.parse import parse_completion
from glm_transport.plan import plan_chat
from glm_transport.reply import apply_reply_policy, normalized_finish_reason
from glm_transport.request import build_chat_body
from glm_transport.stream import StreamReader
from glm_transport.types import ChatCompletion, ChatRequest, StreamChunk

ADDRESS = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "address": {
            "type": "object",
            "properties": {
                "city": {"type": "string"},
                "lines": {"type": "array", "items": {"type": "string"}},
            },
        },
        "tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
    },
}
TOOLS = [
    {"type": "function", "function": {"name": "save", "description": "", "parameters": ADDRESS}},
    {
        "type": "function",
        "function": {
            "name": "flat",
            "description": "",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    },
]
WANTED = {"name": "Ada", "address": {"city": "Paris", "lines": ["1 rue"]}, "tags": ["a"]}
# What GLM-5.2/5.3 send for the schema above when it used $defs: nested values as JSON text.
STRINGIFIED = {
    "name": "Ada",
    "address": json.dumps({"city": "Paris", "lines": json.dumps(["1 rue"])}),
    "tags": json.dumps(["a"]),
}


def plan(params: dict[str, Any], stream: bool = False) -> ChatRequest:
    return plan_chat(
        dict(params),
        [{"role": "user", "content": "hi"}],
        model="glm-5.3",
        provider=PROVIDERS["zai"],
        stream=stream,
    )


def whole(message: dict[str, Any], finish: str = "stop", **top: Any) -> ChatCompletion:
    body = {"id": "r1", "model": "glm-5.3", "choices": [{"index": 0, "message": message}]}
    body["choices"][0]["finish_reason"] = finish
    return parse_completion({**body, **top})


def wire_call(name: str, args: Any, call_id: str = "c0", index: int = 0) -> dict[str, Any]:
    text = args if isinstance(args, str) else json.dumps(args)
    return {
        "index": index,
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": text},
    }


def sse(*frames: dict[str, Any]) -> bytes:
    out = b"".join(b"data: " + json.dumps(f).encode() + b"\n\n" for f in frames)
    return out + b"data: [DONE]\n\n"


def frame(delta: dict[str, Any] | None = None, finish: str | None = None, **top: Any) -> dict:
    choice: dict[str, Any] = {"index": 0, "delta": delta or {}}
    if finish:
        choice["finish_reason"] = finish
    return {"id": "r1", "model": "glm-5.3", "choices": [choice], **top}


def streamed(request: ChatRequest, body: bytes) -> list[StreamChunk]:
    reader = StreamReader(request)
    return [*reader.feed(body), *reader.finish()]


def joined_calls(chunks: list[StreamChunk]) -> dict[int, dict[str, str]]:
    """Tool-call pieces joined the way the frameworks join them: by index, arguments appended."""
    calls: dict[int, dict[str, str]] = {}
    for c in chunks:
        for piece in c.tool_calls or ():
            call = calls.setdefault(piece.index, {"name": "", "arguments": ""})
            call["name"] = call["name"] or piece.name or ""
            call["arguments"] += piece.arguments or ""
    return calls


# -- nested arguments sent as JSON text -------------------------------------------------------


def test_nested_values_sent_as_json_text_are_decoded_to_the_schema_type() -> None:
    plan_ = repair_plan(TOOLS)
    assert plan_ is not None and set(plan_) == {"save"}  # flat has no object/array parameter
    out = decode_nested("save", json.dumps(STRINGIFIED), plan_["save"])
    assert json.loads(out) == WANTED


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("not json at all", "does not parse"),
        ('"just a string"', "parses to a string"),
        ("[1, 2]", "parses to an array where the schema says object"),
    ],
)
def test_a_value_that_is_not_the_schema_type_stays_as_sent(value: str, why: str) -> None:
    args = json.dumps({"name": "Ada", "address": value})
    assert decode_nested("save", args, ADDRESS) == args, why


def test_a_string_parameter_holding_json_text_is_left_alone() -> None:
    args = json.dumps({"name": json.dumps({"a": 1}), "address": {"city": "x"}})
    assert decode_nested("save", args, ADDRESS) == args


def test_decoding_is_said_on_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="glm_transport"):
        decode_nested("save", json.dumps(STRINGIFIED), ADDRESS)
    assert "save.address" in caplog.text and "save.tags" in caplog.text


def test_whole_reply_arguments_are_decoded() -> None:
    request = plan({"tools": TOOLS})
    result = whole(
        {"content": "", "tool_calls": [wire_call("save", STRINGIFIED)]}, finish="tool_calls"
    )
    apply_reply_policy(result, request)
    assert json.loads(result.tool_calls[0].arguments) == WANTED


def test_streamed_arguments_are_decoded_and_delivered_once() -> None:
    request = plan({"tools": TOOLS}, stream=True)
    text = json.dumps(STRINGIFIED)
    body = sse(
        frame({"tool_calls": [wire_call("save", text[:20])]}),
        frame({"tool_calls": [{"index": 0, "function": {"arguments": text[20:]}}]}),
        frame({"tool_calls": [wire_call("flat", {"q": "x"}, "c1", 1)]}, "tool_calls"),
    )
    calls = joined_calls(streamed(request, body))
    assert json.loads(calls[0]["arguments"]) == WANTED
    assert calls[0]["name"] == "save"
    assert json.loads(calls[1]["arguments"]) == {"q": "x"}


def test_streamed_arguments_of_flat_tools_are_not_held() -> None:
    request = plan({"tools": TOOLS[1:]}, stream=True)
    body = sse(frame({"tool_calls": [wire_call("flat", {"q": "x"})]}), frame(finish="tool_calls"))
    chunks = streamed(request, body)
    assert chunks[0].tool_calls and chunks[0].tool_calls[0].arguments == '{"q": "x"}'


# -- json_schema response formats ---------------------------------------------------------------

FORMAT = {
    "type": "json_schema",
    "json_schema": {"name": "person", "schema": {"type": "object", "properties": {}}},
}


def test_json_schema_is_sent_as_one_forced_tool() -> None:
    request = plan({"response_format": FORMAT})
    body = build_chat_body(request, PROVIDERS["zai"], stream=False)
    assert "response_format" not in body
    assert [t["function"]["name"] for t in body["tools"]] == ["person"]
    assert request.required_tool == "person" and request.structured_tool == "person"


def test_json_schema_call_comes_back_as_the_content() -> None:
    request = plan({"response_format": FORMAT})
    result = whole(
        {"content": "", "tool_calls": [wire_call("person", {"name": "Ada"})]}, "tool_calls"
    )
    apply_reply_policy(result, request)
    assert json.loads(result.content) == {"name": "Ada"}
    assert result.tool_calls == [] and result.finish_reason == "stop"


def test_json_schema_streamed_comes_back_as_content_and_no_call() -> None:
    request = plan({"response_format": FORMAT}, stream=True)
    text = json.dumps({"name": "Ada"})
    body = sse(
        frame({"tool_calls": [wire_call("person", text[:5])]}),
        frame({"tool_calls": [{"index": 0, "function": {"arguments": text[5:]}}]}, "tool_calls"),
    )
    chunks = streamed(request, body)
    assert not any(c.tool_calls for c in chunks)
    assert json.loads("".join(c.content or "" for c in chunks)) == {"name": "Ada"}
    assert [c.finish_reason for c in chunks if c.finish_reason] == ["stop"]


def test_json_schema_answered_in_prose_is_a_tool_choice_error() -> None:
    request = plan({"response_format": FORMAT})
    with pytest.raises(E.ToolChoiceError, match="person"):
        apply_reply_policy(whole({"content": "Ada is a person."}), request)


def test_json_schema_beside_tools_of_its_own_is_refused_naming_the_field() -> None:
    request = plan({"response_format": FORMAT, "tools": TOOLS})
    with pytest.raises(E.GLMValidationError, match="response_format.type.*forced-tool way"):
        build_chat_body(request, PROVIDERS["zai"], stream=False)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"name": "x"}, "response_format.json_schema"),
        ({"name": "bad name!", "schema": {}}, "response_format.json_schema.name"),
    ],
)
def test_a_malformed_json_schema_names_its_field(spec: dict[str, Any], field: str) -> None:
    with pytest.raises(E.GLMValidationError) as info:
        plan({"response_format": {"type": "json_schema", "json_schema": spec}})
    assert info.value.field == field


# -- tool calls GLM ran itself ------------------------------------------------------------------

MCP_CALL = {
    "id": "mcp_1",
    "type": "mcp",
    "mcp": {
        "type": "mcp_call",
        "server_label": "docs",
        "name": "lookup",
        "arguments": '{"q": "x"}',
        "output": "found",
    },
}


def test_mcp_calls_are_kept_apart_from_the_calls_to_run() -> None:
    result = whole({"content": "done", "tool_calls": [MCP_CALL, wire_call("flat", {"q": "y"})]})
    assert [c.name for c in result.tool_calls] == ["flat"]
    assert result.tool_calls[0].index == 0
    assert result.server_tool_calls == [MCP_CALL]


def test_an_mcp_call_never_satisfies_a_required_tool() -> None:
    request = plan({"tools": TOOLS[1:], "tool_choice": "any"})
    with pytest.raises(E.ToolChoiceError):
        apply_reply_policy(whole({"content": "x", "tool_calls": [MCP_CALL]}), request)


def test_streamed_mcp_calls_are_kept_apart() -> None:
    body = sse(
        frame({"tool_calls": [{**MCP_CALL, "index": 0}]}),
        frame({"tool_calls": [wire_call("flat", {"q": "y"}, "c1", 1)]}),
        frame({"content": "done"}, "stop"),
    )
    chunks = streamed(plan({"tools": TOOLS[1:]}, stream=True), body)
    # Whole, once, on the last chunk (as a whole reply carries it), without the wire index.
    assert [c for ch in chunks for c in ch.server_tool_calls or ()] == [MCP_CALL]
    assert chunks[-1].server_tool_calls == [MCP_CALL]
    calls = joined_calls(chunks)
    assert list(calls) == [0] and calls[0]["name"] == "flat"


# -- in-chat web search -------------------------------------------------------------------------

SEARCH = {"type": "web_search", "web_search": {"enable": True, "search_engine": "search_pro"}}
FORCED = {"type": "web_search", "web_search": {"enable": True, "require_search": True}}
RESULTS = [{"title": "t", "link": "https://e.x/a", "content": "c", "refer": "ref_1"}]


def test_results_come_back_with_the_options_sent() -> None:
    request = plan({"tools": [SEARCH]})
    result = apply_reply_policy(whole({"content": "a"}, web_search=RESULTS), request)
    assert result.web_search == RESULTS and result.search_args == SEARCH["web_search"]


def test_search_offered_and_none_back_is_recorded_not_left_out() -> None:
    result = apply_reply_policy(whole({"content": "a"}), plan({"tools": [SEARCH]}))
    assert result.web_search == []


def test_search_not_offered_records_nothing() -> None:
    result = apply_reply_policy(whole({"content": "a"}), plan({}))
    assert result.web_search is None and result.search_args is None


def test_forced_search_without_results_is_an_error() -> None:
    with pytest.raises(E.SearchMissingError, match="require_search") as info:
        apply_reply_policy(whole({"content": "ungrounded"}), plan({"tools": [FORCED]}))
    assert not info.value.retryable and info.value.reply is not None


def test_forced_search_with_results_passes() -> None:
    result = apply_reply_policy(
        whole({"content": "a"}, web_search=RESULTS), plan({"tools": [FORCED]})
    )
    assert result.web_search == RESULTS


def test_streamed_results_arrive_on_the_last_chunk_with_the_options() -> None:
    body = sse(frame({"content": "a"}), frame(finish="stop", web_search=RESULTS))
    chunks = streamed(plan({"tools": [SEARCH]}, stream=True), body)
    assert chunks[-1].web_search == RESULTS and chunks[-1].search_args == SEARCH["web_search"]


def test_streamed_search_offered_and_none_back_is_recorded() -> None:
    chunks = streamed(plan({"tools": [SEARCH]}, stream=True), sse(frame({"content": "a"}, "stop")))
    assert chunks[-1].web_search == []


def test_streamed_forced_search_without_results_is_an_error() -> None:
    reader = StreamReader(plan({"tools": [FORCED]}, stream=True))
    list(reader.feed(sse(frame({"content": "a"}, "stop"))))
    with pytest.raises(E.SearchMissingError):
        list(reader.finish())


# -- finish reasons -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("glm", "normalized"),
    [
        ("stop", "stop"),
        ("tool_calls", "tool_call"),
        ("length", "length"),
        ("sensitive", "content_filter"),
        ("network_error", "error"),
        ("model_context_window_exceeded", "context_exceeded"),
        ("something_new", "other"),
        (None, None),
    ],
)
def test_finish_reasons_are_normalized(glm: str | None, normalized: str | None) -> None:
    assert normalized_finish_reason(glm) == normalized


# -- found by review ----------------------------------------------------------------------------


def test_streamed_json_schema_answer_is_the_call_even_after_text() -> None:
    # GLM may write a line before calling: the whole path answers with the call alone, so must
    # the stream; and nested values sent as JSON text are decoded on this route too.
    schema = {"type": "object", "properties": {"addr": {"type": "object"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}
    args = json.dumps({"addr": json.dumps({"city": "Rome"})})
    body = sse(
        frame({"content": "Sure: "}),
        frame({"tool_calls": [wire_call("person", args)]}, "tool_calls"),
    )
    chunks = streamed(plan({"response_format": fmt}, stream=True), body)
    assert json.loads("".join(c.content or "" for c in chunks)) == {"addr": {"city": "Rome"}}
    whole_reply = whole(
        {"content": "Sure: ", "tool_calls": [wire_call("person", args)]}, "tool_calls"
    )
    assert json.loads(apply_reply_policy(whole_reply, plan({"response_format": fmt})).content) == {
        "addr": {"city": "Rome"}
    }


def test_a_streamed_mcp_call_in_pieces_is_one_record() -> None:
    first = {
        "index": 0,
        "id": "m1",
        "type": "mcp",
        "mcp": {"type": "mcp_call", "arguments": '{"q":'},
    }
    second = {"index": 0, "mcp": {"arguments": '"paris"}', "output": "found", "type": "mcp_call"}}
    body = sse(frame({"tool_calls": [first]}), frame({"tool_calls": [second]}), frame({}, "stop"))
    chunks = streamed(plan({}, stream=True), body)
    records = [r for c in chunks for r in c.server_tool_calls or ()]
    assert records == [
        {
            "id": "m1",
            "type": "mcp",
            "mcp": {"type": "mcp_call", "arguments": '{"q":"paris"}', "output": "found"},
        }
    ]
    assert joined_calls(chunks) == {}


@pytest.mark.parametrize(
    "record",
    [
        {"id": "d", "type": "function"},  # no function object
        {"id": "e", "code_interpreter": {"input": "1+1"}},  # no type, no function
        {"id": "f", "type": None, "web_browser": {}},
    ],
)
def test_an_entry_without_a_function_is_never_a_call_to_run(record: dict[str, Any]) -> None:
    assert whole({"content": "x", "tool_calls": [record]}).tool_calls == []
    chunks = streamed(
        plan({}, stream=True), sse(frame({"tool_calls": [record]}), frame({}, "stop"))
    )
    assert joined_calls(chunks) == {}
    assert [r for c in chunks for r in c.server_tool_calls or ()] == [record]


def test_a_streamed_call_without_a_name_is_invalid() -> None:
    piece = {"index": 0, "id": "c0", "type": "function", "function": {"arguments": "{}"}}
    chunks = streamed(plan({}, stream=True), sse(frame({"tool_calls": [piece]}, "tool_calls")))
    assert [c.invalid_tool_calls for c in chunks if c.finish_reason] == [[""]]


def test_results_on_an_early_chunk_carry_the_options_and_a_repeat_adds_nothing() -> None:
    body = sse(
        frame({"content": "a"}, web_search=RESULTS),
        frame({"content": "b"}, "stop", web_search=RESULTS),
        frame({}, "stop", web_search=RESULTS),
    )
    chunks = streamed(plan({"tools": [SEARCH]}, stream=True), body)
    with_results = [c for c in chunks if c.web_search is not None]
    assert len(with_results) == 1 and with_results[0].web_search == RESULTS
    assert with_results[0].search_args == SEARCH["web_search"]
    assert [c.search_args for c in chunks if c.search_args is not None] == [SEARCH["web_search"]]


@pytest.mark.parametrize(
    "schema",
    [
        {"anyOf": [{"type": "string"}, {"type": "object"}]},
        {"type": ["string", "array"]},
    ],
)
def test_a_parameter_that_may_be_a_string_keeps_its_json_text(schema: dict[str, Any]) -> None:
    params = {"type": "object", "properties": {"body": schema}}
    args = json.dumps({"body": '{"k": 1}'})
    assert decode_nested("f", args, params) == args


def test_values_under_additional_properties_and_prefix_items_are_decoded() -> None:
    params = {
        "type": "object",
        "properties": {
            "homes": {"type": "object", "additionalProperties": {"type": "object"}},
            "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "object"}]},
        },
    }
    tools = [{"type": "function", "function": {"name": "f", "parameters": params}}]
    assert repair_plan(tools) is not None
    sent = {"homes": {"a": json.dumps({"c": "Rome"})}, "pair": ["x", json.dumps({"n": 1})]}
    out = json.loads(decode_nested("f", json.dumps(sent), params))
    assert out == {"homes": {"a": {"c": "Rome"}}, "pair": ["x", {"n": 1}]}
