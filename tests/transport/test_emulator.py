"""The emulator's pure parts: faults, prompts, answers, render."""

from __future__ import annotations

import json

from glm_transport.emulator.answers import plan_reply
from glm_transport.emulator.faults import ERRORS, Fault, error_body
from glm_transport.emulator.prompts import example_args, json_reply, word_hints
from glm_transport.emulator.render import render_body, render_frames

TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def _body(**kw: object) -> dict:
    return {
        "model": "glm-5.3",
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        **kw,
    }


def test_faults_from_json_and_error_bodies() -> None:
    fault = Fault.from_json('{"code": 1302, "unknown": 1}')
    assert fault.code == "1302" and fault.is_error
    status, body = error_body("1302", None, "r")
    assert (status, body["error"]["message"]) == (429, ERRORS["1302"][1])


def test_prompts_make_arguments_and_json_from_what_is_asked() -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "n": {"type": "integer"}},
    }
    assert example_args(schema, {}, "x", word_hints("3 days in Paris")) == {"city": "Paris", "n": 3}
    messages = [{"role": "user", "content": f"Answer as JSON following {json.dumps(schema)}"}]
    assert set(json.loads(json_reply(messages, "x"))) == {"city", "n"}


def test_answers_follow_the_catalogue() -> None:
    assert (
        plan_reply(_body(thinking={"type": "disabled"}), Fault()).error[1]["error"]["code"]
        == "1210"
    )  # type: ignore[index]
    assert plan_reply(_body(thinking={"type": "disabled"}), Fault(), coding=True).error is None
    assert plan_reply(_body(max_tokens=10**6), Fault()).error is not None
    low = plan_reply(_body(reasoning_effort="low"), Fault()).reasoning
    high = plan_reply(_body(reasoning_effort="max"), Fault()).reasoning
    assert len(high) > len(low)


def test_a_tool_call_then_an_answer() -> None:
    first = plan_reply(_body(tools=[TOOL]), Fault())
    assert first.finish_reason == "tool_calls"
    assert json.loads(first.tool_calls[0]["function"]["arguments"]) == {"city": "Paris"}
    messages = _body()["messages"] + [
        {"role": "assistant", "tool_calls": first.tool_calls},
        {"role": "tool", "tool_call_id": first.tool_calls[0]["id"], "content": "sunny"},
    ]
    second = plan_reply(_body(tools=[TOOL], messages=messages), Fault())
    assert second.content == "Based on the tools: sunny."


def test_render_body_without_thinking_has_no_reasoning_key() -> None:
    body = render_body(plan_reply(_body(thinking={"type": "enabled"}), Fault()), Fault())
    assert body["choices"][0]["message"]["reasoning_content"]
    quiet = render_body(
        plan_reply({**_body(), "model": "glm-4.6", "thinking": {"type": "disabled"}}, Fault()),
        Fault(),
    )
    assert "reasoning_content" not in quiet["choices"][0]["message"]
    assert quiet["usage"]["completion_tokens_details"]["reasoning_tokens"] == 0


def test_tool_stream_fragments_have_the_recorded_shape() -> None:
    frames = render_frames(plan_reply(_body(tools=[TOOL]), Fault()), Fault(), tool_stream=True)
    events = [json.loads(f[6:]) for f in frames if f.startswith(b"data: {")]
    pieces = (
        [tc for e in events for tc in e["choices"][0]["delta"].get("tool_calls", [])]
        if events
        else []
    )
    pieces = [
        tc for e in events if e["choices"] for tc in e["choices"][0]["delta"].get("tool_calls", [])
    ]
    assert all(p["type"] == "function" and p["index"] == 0 for p in pieces)
    assert "id" in pieces[0] and all("id" not in p for p in pieces[1:])
    assert any(p["function"]["arguments"] == "" for p in pieces[1:])
    args = "".join(p["function"]["arguments"] for p in pieces)
    assert json.loads(args) == {"city": "Paris"}
    assert frames[-1].startswith(b"data: [DONE]")
