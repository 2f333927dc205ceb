"""What each framework parameter becomes in the request (issue 28): the same plan for LangChain
and LlamaIndex, every refusal naming its field."""

from __future__ import annotations

from typing import Any

import pytest

from glm_transport import PROVIDERS, GLMValidationError
from glm_transport.plan import (
    REQUEST_FIELDS,
    echo_reasoning,
    json_schema_tool,
    normalize_thinking,
    plan_chat,
    search_options,
)
from glm_transport.types import ChatRequest

ZAI = PROVIDERS["zai"]
TOOL = {"type": "function", "function": {"name": "f", "description": "", "parameters": {}}}
OTHER = {"type": "function", "function": {"name": "g", "description": "", "parameters": {}}}
SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}}


def plan(stream: bool = False, model: str = "glm-5", **params: Any) -> ChatRequest:
    return plan_chat(params, [], model=model, provider=ZAI, stream=stream)


def test_a_json_schema_format_becomes_a_forced_tool_whose_arguments_are_the_answer() -> None:
    rf = {"type": "json_schema", "json_schema": {"name": "Answer", "schema": SCHEMA}}
    req = plan(response_format=rf, parallel_tool_calls=True)
    assert req.structured_tool == "Answer"
    assert req.tools == [
        {
            "type": "function",
            "function": {
                "name": "Answer",
                "description": "Give the answer as this tool's arguments.",
                "parameters": SCHEMA,
            },
        }
    ]
    assert (req.required_tool, req.tool_choice, req.max_tool_calls) == ("Answer", "auto", 1)
    assert req.response_format is None


def test_a_json_schema_format_with_tools_of_its_own_is_left_to_the_request_check() -> None:
    rf = {"type": "json_schema", "json_schema": {"name": "A", "schema": SCHEMA}}
    req = plan(response_format=rf, tools=[TOOL])
    assert req.structured_tool is None and req.response_format == rf and req.tools == [TOOL]
    assert plan(response_format={"type": "json_object"}).response_format == {"type": "json_object"}


def test_json_schema_tool_defaults_and_refusals() -> None:
    tool = json_schema_tool({"json_schema": {"schema": SCHEMA, "description": "Why."}})
    assert tool["function"]["name"] == "structured_output"
    assert tool["function"]["description"] == "Why."
    for spec in (None, {"name": "A"}, {"name": "A", "schema": "x"}):
        with pytest.raises(GLMValidationError) as caught:
            json_schema_tool({"json_schema": spec})
        assert caught.value.field == "response_format.json_schema"
    for name in ("has space", "x" * 65, 7):
        with pytest.raises(GLMValidationError) as caught:
            json_schema_tool({"json_schema": {"name": name, "schema": SCHEMA}})
        assert caught.value.field == "response_format.json_schema.name"


@pytest.mark.parametrize(
    ("key", "value"), [("effort_mapping", "closest"), ("empty_answer", "ignore")]
)
def test_policy_switches_take_only_their_values(key: str, value: str) -> None:
    with pytest.raises(GLMValidationError) as caught:
        plan(**{key: value})
    assert caught.value.field == key and caught.value.value == value


def test_policy_switches_reach_the_request_and_never_the_body() -> None:
    req = plan(effort_mapping="nearest", empty_answer="return")
    assert (req.effort_mapping, req.empty_answer) == ("nearest", "return")
    assert req.extra_body == {}
    default = plan()
    assert (default.effort_mapping, default.empty_answer) == (None, "raise")


def test_tool_stream_follows_the_model_unless_set_and_only_for_streamed_tool_calls() -> None:
    assert plan(stream=True, model="glm-4.6", tools=[TOOL]).tool_stream is True
    assert plan(stream=True, model="glm-4.6", tools=[TOOL], tool_stream=False).tool_stream is False
    assert plan(stream=False, model="glm-4.6", tools=[TOOL]).tool_stream is None
    assert plan(stream=True, model="glm-4.6").tool_stream is None
    assert plan(stream=True, model="glm-4.5", tools=[TOOL], tool_stream=True).tool_stream is True


def test_tool_choice_none_sends_no_tools_and_requires_nothing() -> None:
    req = plan(tools=[TOOL], tool_choice="none", parallel_tool_calls=False)
    assert req.tools is None and req.required_tool is None and req.max_tool_calls is None
    assert req.tool_choice is None


def test_a_named_tool_choice_offers_only_that_tool() -> None:
    req = plan(tools=[TOOL, OTHER], tool_choice={"type": "function", "function": {"name": "g"}})
    assert req.tools == [OTHER] and req.required_tool == "g" and req.tool_choice == "auto"
    auto = plan(tools=[TOOL, OTHER], tool_choice="auto")
    assert auto.tools == [TOOL, OTHER] and auto.required_tool is None
    assert auto.tool_choice is None and auto.max_tool_calls is None


def test_unknown_keys_go_in_the_body_and_extra_body_wins() -> None:
    req = plan(seed=1, foo="a", extra_body={"foo": "b"}, ls_structured_output_format={"x": 1})
    assert req.extra_body == {"seed": 1, "foo": "b"}
    req = plan(top_p=0.5, stop=["x"], user_id="abcdef", request_id="rid-123", do_sample=True)
    assert (req.top_p, req.stop, req.user_id, req.request_id, req.do_sample) == (
        0.5,
        ["x"],
        "abcdef",
        "rid-123",
        True,
    )
    assert req.extra_body == {}
    assert {"temperature", "max_tokens", "reasoning_effort"} <= REQUEST_FIELDS


def test_max_completion_tokens_never_overrides_max_tokens() -> None:
    req = plan(max_tokens=10, max_completion_tokens=99)
    assert req.max_tokens == 10 and "max_completion_tokens" not in req.extra_body


def test_the_model_parameter_overrides_the_default_model() -> None:
    assert plan(model="glm-5").model == "glm-5"
    assert plan_chat({"model": "glm-4.6"}, [], model="glm-5", provider=ZAI, stream=False).model == (
        "glm-4.6"
    )
    assert (
        plan_chat({"model": None}, [], model="glm-5", provider=ZAI, stream=False).model == "glm-5"
    )


def test_thinking_passes_a_dict_through_and_refuses_other_types() -> None:
    th = {"type": "enabled", "clear_thinking": True}
    assert normalize_thinking(th) is th
    for bad in ("yes", 1, ["enabled"]):
        with pytest.raises(GLMValidationError) as caught:
            normalize_thinking(bad)
        assert caught.value.field == "thinking"


def test_echo_reasoning_copies_only_when_a_turn_changes() -> None:
    history = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    assert echo_reasoning(history, "none") is history
    assert echo_reasoning(history, "all") is history
    with_reasoning = [*history, {"role": "assistant", "content": "b", "reasoning_content": "r"}]
    out = echo_reasoning(with_reasoning, "tool_turns")
    assert out is not with_reasoning
    assert out[2] == {"role": "assistant", "content": "b"} and out[:2] == history
    calls = [{"role": "assistant", "tool_calls": [{"id": "1"}], "reasoning_content": "r"}]
    assert echo_reasoning(calls, "tool_turns") is calls
    assert echo_reasoning(calls, "none") == [{"role": "assistant", "tool_calls": [{"id": "1"}]}]


def test_search_options_are_the_web_search_tools() -> None:
    assert search_options(None) is None
    assert search_options([TOOL]) is None
    opts = {"search_engine": "search_pro", "require_search": True}
    found = search_options([TOOL, {"type": "web_search", "web_search": opts}])
    assert found == opts and found is not opts
    assert search_options([{"type": "web_search"}]) == {}
    assert search_options(["web_search", {"type": "web_search", "web_search": "x"}]) == {}
    req = plan(tools=[TOOL, {"type": "web_search", "web_search": opts}])
    assert req.search == opts


def test_each_refusal_says_exactly_what_is_allowed() -> None:
    with pytest.raises(GLMValidationError) as caught:
        plan(effort_mapping="closest")
    assert caught.value.allowed == (
        "None (reasoning_effort sent as given) or 'nearest' (the nearest level the model "
        "takes on this endpoint)"
    )
    with pytest.raises(GLMValidationError) as caught:
        plan(empty_answer="ignore")
    assert caught.value.allowed == (
        "'raise' (ReasoningExhaustedError when max_tokens runs out before any answer) or "
        "'return' (the empty answer)"
    )
    with pytest.raises(GLMValidationError) as caught:
        normalize_thinking("yes")
    assert caught.value.allowed == (
        "True, False, or {'type': 'enabled'|'disabled', 'clear_thinking': bool}"
    )


def test_preserved_thinking_asked_for_echoes_every_turns_reasoning() -> None:
    history = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a", "reasoning_content": "why"},
    ]
    kept = plan_chat(
        {"thinking": {"type": "enabled", "clear_thinking": False}},
        history,
        model="glm-5",
        provider=ZAI,
        stream=False,
    )
    assert kept.messages[1]["reasoning_content"] == "why"
    cleared = plan_chat({}, history, model="glm-5", provider=ZAI, stream=False)
    assert "reasoning_content" not in cleared.messages[1]
