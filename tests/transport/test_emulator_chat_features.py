"""The emulator's chat replies for today's GLM (issues 23 and 26): glm-5.4 served like glm-5.3,
nested arguments as JSON strings, the empty reply after thinking, in-chat web search results and
MCP tool calls, each whole and streamed, on the wire and through the transport."""

from __future__ import annotations

import json
import warnings
from typing import Any

import httpx
import pytest

from glm_transport import ChatRequest, GLMClient, chat, resolve_settings
from glm_transport import errors as E
from glm_transport.emulator import EMULATOR_URL, EmulatorTransport, Script
from glm_transport.emulator.engine import FAULT_HEADER
from glm_transport.emulator.search import search_results

USER = [{"role": "user", "content": "Where does Ada live?"}]
ADDRESS_TOOL = {
    "type": "function",
    "function": {
        "name": "save_address",
        "parameters": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "address": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
                },
                "tags": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}


def wire(
    body: dict[str, Any], script: Script | None = None, fault: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The whole reply, or the stream's events folded into ``{"events": [...], ...}``."""
    transport = EmulatorTransport(script)
    headers = {FAULT_HEADER: json.dumps(fault)} if fault else {}
    with httpx.Client(transport=transport) as http:
        response = http.post(EMULATOR_URL + "/chat/completions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    if not body.get("stream"):
        return dict(response.json())
    events = [
        json.loads(line[6:])
        for line in response.text.splitlines()
        if line.startswith("data: ") and line != "data: [DONE]"
    ]
    return {"events": events}


def streamed_text(events: list[dict[str, Any]], key: str) -> str:
    return "".join(
        (c.get("delta") or {}).get(key) or "" for e in events for c in e.get("choices") or []
    )


def streamed_calls(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tool calls put together from the deltas: whole entries, or function fragments by index."""
    calls: dict[int, dict[str, Any]] = {}
    for event in events:
        for choice in event.get("choices") or []:
            for piece in (choice.get("delta") or {}).get("tool_calls") or []:
                have = calls.setdefault(piece["index"], {})
                for key, value in piece.items():
                    if key == "function":
                        fn = have.setdefault("function", {"name": "", "arguments": ""})
                        fn["name"] += value.get("name") or ""
                        fn["arguments"] += value.get("arguments") or ""
                    elif key != "index":
                        have[key] = value
    return [calls[i] for i in sorted(calls)]


def finish_of(events: list[dict[str, Any]]) -> str | None:
    return next(
        (
            c["finish_reason"]
            for e in events
            for c in e.get("choices") or []
            if c.get("finish_reason")
        ),
        None,
    )


# ---- (a) glm-5.4 is served like glm-5.3 ---------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_glm_5_4_is_served_like_glm_5_3(stream: bool) -> None:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    seen = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a model the catalogue did not know would warn
        for model in ("glm-5.3", "glm-5.4"):
            body = {
                "model": model,
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}, image]}],
                "stream": stream,
            }
            reply = wire(body)
            if stream:
                events = reply["events"]
                seen[model] = (
                    bool(streamed_text(events, "reasoning_content")),
                    bool(streamed_text(events, "content")),
                    finish_of(events),
                    {e["model"] for e in events},
                )
            else:
                message = reply["choices"][0]["message"]
                seen[model] = (
                    bool(message.get("reasoning_content")),
                    bool(message["content"]),
                    reply["choices"][0]["finish_reason"],
                    {reply["model"]},
                )
    assert seen["glm-5.4"] == (True, True, "stop", {"glm-5.4"})
    assert seen["glm-5.3"][:3] == seen["glm-5.4"][:3]


def test_glm_5_4_calls_tools_and_keeps_its_output_limit() -> None:
    body = {"model": "glm-5.4", "messages": USER, "tools": [ADDRESS_TOOL]}
    call = wire(body)["choices"][0]["message"]["tool_calls"][0]
    assert call["function"]["name"] == "save_address"
    transport = EmulatorTransport()
    with httpx.Client(transport=transport) as http:
        over = {"model": "glm-5.4", "messages": USER, "max_tokens": 131_073}
        refused = http.post(EMULATOR_URL + "/chat/completions", json=over)
        within = http.post(EMULATOR_URL + "/chat/completions", json={**over, "max_tokens": 131_072})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "1214"
    assert "[1,131072]" in refused.json()["error"]["message"]
    assert within.status_code == 200


# ---- (b) nested arguments as JSON strings (GLM-5.2/5.3 with $defs) ------------------------------

NESTED = {"name": "Ada", "address": {"city": "Paris", "zip": "75001"}, "tags": ["home", "work"]}
STRINGIFIED = {
    "name": "Ada",
    "address": json.dumps(NESTED["address"]),
    "tags": json.dumps(NESTED["tags"]),
}


@pytest.mark.parametrize("stream", [False, True])
def test_a_script_asks_for_nested_arguments_as_json_strings(stream: bool) -> None:
    script = Script()
    script.reply(tool_calls=[("save_address", NESTED)], nested_as_strings=True)
    script.reply(tool_calls=[("save_address", NESTED)])  # the same call, well formed
    body = {
        "model": "glm-5.3",
        "messages": USER,
        "tools": [ADDRESS_TOOL],
        "stream": stream,
        "tool_stream": stream,
    }
    transport = EmulatorTransport(script)
    got = []
    with httpx.Client(transport=transport) as http:
        for _ in range(2):
            response = http.post(EMULATOR_URL + "/chat/completions", json=body)
            if stream:
                events = [
                    json.loads(line[6:])
                    for line in response.text.splitlines()
                    if line.startswith("data: {")
                ]
                calls = streamed_calls(events)
            else:
                calls = response.json()["choices"][0]["message"]["tool_calls"]
            got.append(json.loads(calls[0]["function"]["arguments"]))
    assert got == [STRINGIFIED, NESTED]


def test_a_fault_quirk_stringifies_the_emulators_own_calls() -> None:
    body = {"model": "glm-5.2", "messages": USER, "tools": [ADDRESS_TOOL]}
    plain = wire(body)["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    quirky = wire(body, fault={"quirks": ["nested_as_strings"]})
    args = json.loads(quirky["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    assert isinstance(json.loads(plain)["address"], dict)
    assert (
        isinstance(args["address"], str)
        and json.loads(args["address"]) == json.loads(plain)["address"]
    )
    assert isinstance(args["tags"], str) and isinstance(args["name"], str)
    assert json.loads(args["tags"]) == json.loads(plain)["tags"]


# ---- (c) the empty reply after thinking ---------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    "how",
    [
        {"script": {"reasoning": "Let me weigh every option at length", "finish_reason": "length"}},
        {"fault": {"exhaust_reasoning": True}},
    ],
    ids=["script", "fault"],
)
def test_thinking_that_uses_up_max_tokens_leaves_an_empty_answer(
    stream: bool, how: dict[str, Any]
) -> None:
    script = Script()
    if "script" in how:
        script.reply(how["script"])
    body = {
        "model": "glm-5.3",
        "messages": USER,
        "tools": [ADDRESS_TOOL],  # offered, yet no call comes: the budget ran out first
        "max_tokens": 64,
        "stream": stream,
    }
    reply = wire(body, script, how.get("fault"))
    if stream:
        events = reply["events"]
        assert finish_of(events) == "length"
        assert streamed_text(events, "reasoning_content")
        assert streamed_text(events, "content") == "" and not streamed_calls(events)
        usage = next(e["usage"] for e in events if e.get("usage"))
    else:
        choice = reply["choices"][0]
        assert choice["finish_reason"] == "length"
        assert choice["message"]["content"] == ""  # as recorded: "", not null
        assert choice["message"]["reasoning_content"] and "tool_calls" not in choice["message"]
        usage = reply["usage"]
    if "fault" in how:
        assert usage["completion_tokens"] == 64
        assert usage["completion_tokens_details"]["reasoning_tokens"] == 64


@pytest.mark.parametrize("stream", [False, True])
def test_the_transport_raises_reasoning_exhausted_on_it(stream: bool) -> None:
    transport = EmulatorTransport()
    transport.script.reply(reasoning="thinking on and on", finish_reason="length")
    client = GLMClient(
        resolve_settings(base_url=EMULATOR_URL, api_key="k"), httpx.Client(transport=transport)
    )
    request = ChatRequest(model="glm-5.3", messages=USER, max_tokens=64)
    call = (
        (lambda: list(chat.stream(client, request)))
        if stream
        else (lambda: chat.complete(client, request))
    )
    with pytest.raises(E.ReasoningExhaustedError):
        call()


# ---- (d) in-chat web search ---------------------------------------------------------------------

SEARCH = {"type": "web_search", "web_search": {"enable": True, "search_engine": "search_pro_jina"}}


@pytest.mark.parametrize("stream", [False, True])
def test_a_request_offering_web_search_gets_results_for_its_query(stream: bool) -> None:
    query_tool = {
        "type": "web_search",
        "web_search": {**SEARCH["web_search"], "search_query": "GLM-5.4 release", "count": 3},
    }
    for tool, query, count in (
        (SEARCH, USER[0]["content"], 10),
        (query_tool, "GLM-5.4 release", 3),
    ):
        body = {"model": "glm-5.3", "messages": USER, "tools": [tool], "stream": stream}
        reply = wire(body)
        expected = search_results(query, count, "search_pro_jina")
        if stream:
            events = reply["events"]
            carrying = [e for e in events if "web_search" in e]
            # Once, at the top level of the final chunk, beside finish_reason and usage.
            assert carrying == [events[-1]] and events[-1]["web_search"] == expected
            assert events[-1]["choices"][0]["finish_reason"] == "stop"
        else:
            assert reply["web_search"] == expected and len(expected) == count


def test_no_web_search_results_without_the_tool_or_with_search_disabled() -> None:
    assert "web_search" not in wire({"model": "glm-5.3", "messages": USER})
    off = {"type": "web_search", "web_search": {"enable": False}}
    assert "web_search" not in wire({"model": "glm-5.3", "messages": USER, "tools": [off]})


@pytest.mark.parametrize("stream", [False, True])
def test_forced_search_with_no_results_answers_with_none(stream: bool) -> None:
    forced = {"type": "web_search", "web_search": {**SEARCH["web_search"], "require_search": True}}
    body = {"model": "glm-5.3", "messages": USER, "tools": [forced], "stream": stream}
    script = Script()
    script.on(user="Ada", reply={"text": "From memory: Paris.", "web_search": []})
    for reply in (wire(body, script), wire(body, fault={"quirks": ["no_search_results"]})):
        events = reply["events"] if stream else [reply]
        assert not any("web_search" in e for e in events)
    chosen = [{"title": "Ada", "link": "https://example.com/ada", "content": "Paris", "refer": "1"}]
    script.clear()
    script.on(user="Ada", reply={"text": "Paris [ref_1].", "web_search": chosen})
    events = wire(body, script)["events"] if stream else [wire(body, script)]
    assert events[-1]["web_search"] == chosen


def test_a_scripted_reply_gets_the_emulators_results_when_the_script_names_none() -> None:
    script = Script()
    script.reply("Scripted answer.")
    reply = wire({"model": "glm-5.3", "messages": USER, "tools": [SEARCH]}, script)
    assert reply["choices"][0]["message"]["content"] == "Scripted answer."
    assert reply["web_search"] == search_results(USER[0]["content"], 10, "search_pro_jina")


# ---- (e) MCP tool calls -------------------------------------------------------------------------

MCP_LIST = {
    "mcp": {
        "type": "mcp_list_tools",
        "server_label": "weather-mcp",
        "tools": [
            {
                "name": "forecast",
                "description": "A city's forecast",
                "annotations": {},
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            }
        ],
    }
}
MCP_CALL = {
    "mcp": {
        "type": "mcp_call",
        "server_label": "weather-mcp",
        "name": "forecast",
        "arguments": {"city": "Paris"},
        "output": "Sunny, 24C",
    }
}


@pytest.mark.parametrize("tool_stream", [False, True])
@pytest.mark.parametrize("stream", [False, True])
def test_a_script_returns_mcp_tool_calls(stream: bool, tool_stream: bool) -> None:
    script = Script()
    script.reply(text="Sunny in Paris.", tool_calls=[MCP_LIST, MCP_CALL])
    mcp_tool = {"type": "mcp", "mcp": {"server_label": "weather-mcp", "server_url": "https://x"}}
    body = {
        "model": "glm-5.3",
        "messages": USER,
        "tools": [mcp_tool],
        "stream": stream,
        "tool_stream": tool_stream,
    }
    reply = wire(body, script)
    if stream:
        events = reply["events"]
        calls, finish = streamed_calls(events), finish_of(events)
        content = streamed_text(events, "content")
    else:
        message = reply["choices"][0]["message"]
        calls, finish, content = (
            message["tool_calls"],
            reply["choices"][0]["finish_reason"],
            (message["content"]),
        )
    assert [c["type"] for c in calls] == ["mcp", "mcp"] and all("function" not in c for c in calls)
    listed, called = calls[0]["mcp"], calls[1]["mcp"]
    assert listed["type"] == "mcp_list_tools" and listed["tools"][0]["name"] == "forecast"
    assert (called["type"], called["server_label"], called["name"]) == (
        "mcp_call",
        "weather-mcp",
        "forecast",
    )
    assert json.loads(called["arguments"]) == {"city": "Paris"}  # a JSON string, as GLM sends it
    assert called["output"] == "Sunny, 24C" and called["id"] and calls[0]["id"] != calls[1]["id"]
    # GLM ran them: the turn is over, with the answer.
    assert (finish, content) == ("stop", "Sunny in Paris.")


def test_mcp_and_function_calls_together_finish_with_tool_calls() -> None:
    script = Script()
    script.reply(tool_calls=[MCP_CALL, ("save_address", NESTED)])
    reply = wire({"model": "glm-5.3", "messages": USER, "tools": [ADDRESS_TOOL]}, script)
    choice = reply["choices"][0]
    assert [c["type"] for c in choice["message"]["tool_calls"]] == ["mcp", "function"]
    assert choice["finish_reason"] == "tool_calls"


def test_a_mcp_call_an_mcp_server_error_is_kept() -> None:
    failed = {"mcp": {**MCP_CALL["mcp"], "output": None, "error": "server unreachable"}}
    script = Script()
    script.reply(text="The forecast service is down.", tool_calls=[failed])
    reply = wire({"model": "glm-5.3", "messages": USER}, script)
    assert reply["choices"][0]["message"]["tool_calls"][0]["mcp"]["error"] == "server unreachable"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        ({"mcp": {"type": "mcp_run", "server_label": "s"}}, "mcp_list_tools"),
        ({"mcp": {"type": "mcp_call", "name": "f"}}, "server_label"),
    ],
)
def test_a_malformed_mcp_call_is_refused_when_scripted(call: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Script().reply(tool_calls=[call])
