"""What a whole reply turns into for the caller under the reply policy (issue 28): the error class,
its message and fields, the calls kept, the content a routed json_schema call becomes."""

from __future__ import annotations

from typing import Any

import pytest

from glm_transport import errors as E
from glm_transport.reply import (
    apply_reply_policy,
    check_reply,
    check_search,
    normalized_finish_reason,
    plan_tool_choice,
)
from glm_transport.types import ChatCompletion, ChatRequest, ToolCall, Usage

TOOLS = [
    {"type": "function", "function": {"name": "a", "parameters": {}}},
    {"type": "function", "function": {"name": "b", "parameters": {}}},
]


def reply(*calls: tuple[str, str], finish: str = "tool_calls", content: str = "") -> ChatCompletion:
    return ChatCompletion(
        content=content,
        reasoning_content=None,
        tool_calls=[ToolCall(f"c{i}", n, a, index=i) for i, (n, a) in enumerate(calls)],
        finish_reason=finish,
        usage=None,
        id="r",
        request_id="rid",
        model="glm-5",
    )


def request(**kw: Any) -> ChatRequest:
    return ChatRequest(model="glm-5", messages=[], tools=TOOLS, **kw)


@pytest.mark.parametrize("choice", ["any", "required", True])
def test_a_required_call_is_satisfied_by_any_call(choice: Any) -> None:
    offered, required = plan_tool_choice(TOOLS, choice)
    assert offered == TOOLS
    out = apply_reply_policy(reply(("b", "{}")), request(required_tool=required))
    assert [c.name for c in out.tool_calls] == ["b"]
    with pytest.raises(E.ToolChoiceError) as caught:
        apply_reply_policy(reply(finish="stop", content="no"), request(required_tool=required))
    assert "a tool call" in caught.value.message and caught.value.request_id == "rid"
    assert caught.value.reply.content == "no" and caught.value.retryable is False


def test_a_named_call_must_be_that_tool() -> None:
    with pytest.raises(E.ToolChoiceError) as caught:
        apply_reply_policy(reply(("a", "{}")), request(required_tool="b"))
    assert "'b'" in caught.value.message and "['a']" in caught.value.message
    assert apply_reply_policy(reply(("a", "{}"), ("b", "{}")), request(required_tool="b"))


def test_plan_tool_choice_without_tools_offers_nothing_to_require() -> None:
    assert plan_tool_choice(None, "any") == (None, None)
    assert plan_tool_choice([], "b") == ([], None)
    with pytest.raises(E.GLMValidationError) as caught:
        plan_tool_choice(TOOLS, "c")
    assert caught.value.field == "tool_choice" and "['a', 'b']" in caught.value.allowed
    with pytest.raises(E.GLMValidationError):
        plan_tool_choice(TOOLS, {"type": "function"})
    assert plan_tool_choice(TOOLS, {"name": "a"}) == ([TOOLS[0]], "a")
    mixed = [{"type": "web_search"}, *TOOLS]
    assert plan_tool_choice(mixed, "b") == ([TOOLS[1]], "b")


@pytest.mark.parametrize(
    ("reason", "cls"),
    [
        ("sensitive", E.ContentFilterError),
        ("network_error", E.ServerError),
        ("model_context_window_exceeded", E.ContextOverflowError),
    ],
)
def test_an_abnormal_finish_raises_with_the_partial_reply(reason: str, cls: type) -> None:
    with pytest.raises(cls) as caught:
        apply_reply_policy(reply(finish=reason, content="half"), request())
    assert caught.value.partial.content == "half" and caught.value.request_id == "rid"


def test_a_call_cut_by_max_tokens_names_the_last_call() -> None:
    with pytest.raises(E.ToolCallTruncatedError) as caught:
        apply_reply_policy(reply(("a", "{}"), ("b", '{"x'), finish="length"), request())
    err = caught.value
    assert "'b'" in err.message and err.code == "length" and err.request_id == "rid"
    assert err.partial.tool_calls[1].arguments == '{"x'
    # The policy keeps one call: it is cut all the same.
    kept = request(max_tool_calls=1)
    with pytest.raises(E.ToolCallTruncatedError):
        apply_reply_policy(reply(("a", "{"), ("b", "{"), finish="length"), kept)


def test_max_tokens_spent_before_any_answer_is_an_error_saying_how_much() -> None:
    usage = Usage(prompt_tokens=5, completion_tokens=100, total_tokens=105, reasoning_tokens=90)
    empty = reply(finish="length")
    empty.usage = usage
    with pytest.raises(E.ReasoningExhaustedError) as caught:
        apply_reply_policy(empty, request())
    err = caught.value
    assert "(100 tokens, 90 of them reasoning)" in err.message
    assert err.usage is usage and err.code == "length" and err.partial is empty
    no_reasoning = Usage(prompt_tokens=5, completion_tokens=100, total_tokens=105)
    with pytest.raises(E.ReasoningExhaustedError, match=r"max_tokens \(100 tokens\) before"):
        check_reply("length", [], None, "r", None, answered=False, usage=no_reasoning)
    with pytest.raises(E.ReasoningExhaustedError, match="max_tokens before"):
        check_reply("length", [], None, "r", None, answered=False, usage=None)
    zero = Usage(prompt_tokens=5, completion_tokens=0, total_tokens=5)
    with pytest.raises(E.ReasoningExhaustedError, match="max_tokens before"):
        check_reply("length", [], None, "r", None, answered=False, usage=zero)


def test_a_cut_answer_with_content_or_asked_for_is_returned() -> None:
    out = apply_reply_policy(reply(finish="length", content="partial"), request())
    assert out.content == "partial" and out.finish_reason == "length"
    asked = apply_reply_policy(reply(finish="length"), request(empty_answer="return"))
    assert asked.content == "" and asked.finish_reason == "length"
    check_reply(None, [], None, None, None, answered=False)  # no finish reason: nothing to say


def test_extra_calls_are_dropped_to_the_limit() -> None:
    out = apply_reply_policy(reply(("a", "{}"), ("b", "{}")), request(max_tool_calls=1))
    assert [c.name for c in out.tool_calls] == ["a"]
    out = apply_reply_policy(reply(("a", "{}"), ("b", "{}")), request(max_tool_calls=2))
    assert [c.name for c in out.tool_calls] == ["a", "b"]


def test_a_routed_json_schema_call_becomes_the_content() -> None:
    req = request(structured_tool="a", required_tool="a", max_tool_calls=1)
    out = apply_reply_policy(reply(("a", '{"x": 1}')), req)
    assert (out.content, out.tool_calls, out.finish_reason) == ('{"x": 1}', [], "stop")
    cut = reply(("a", '{"x": 1}'), finish="stop")
    assert apply_reply_policy(cut, req).finish_reason == "stop"


def test_search_offered_is_recorded_and_forced_search_needs_results() -> None:
    out = apply_reply_policy(reply(finish="stop", content="x"), request(search={}))
    assert out.web_search == [] and out.search_args == {}
    found = reply(finish="stop", content="x")
    found.web_search = [{"title": "t"}]
    out = apply_reply_policy(found, request(search={"require_search": True}))
    assert out.web_search == [{"title": "t"}]
    with pytest.raises(E.SearchMissingError) as caught:
        apply_reply_policy(
            reply(finish="stop", content="x"), request(search={"require_search": True})
        )
    assert caught.value.reply.content == "x" and caught.value.request_id == "rid"
    check_search({"require_search": False}, None, None)
    check_search(None, None, None)
    plain = apply_reply_policy(reply(finish="stop", content="x"), request())
    assert plain.web_search is None and plain.search_args is None


@pytest.mark.parametrize(
    ("reason", "normalized"),
    [
        ("stop", "stop"),
        ("tool_calls", "tool_call"),
        ("length", "length"),
        ("sensitive", "content_filter"),
        ("network_error", "error"),
        ("model_context_window_exceeded", "context_exceeded"),
        ("something_new", "other"),
        ("", None),
        (None, None),
    ],
)
def test_normalized_finish_reasons(reason: str | None, normalized: str | None) -> None:
    assert normalized_finish_reason(reason) == normalized


def test_the_exhausted_error_tells_the_user_what_to_do() -> None:
    with pytest.raises(E.ReasoningExhaustedError) as caught:
        check_reply("length", [], None, "rid-9", None, answered=False)
    err = caught.value
    assert err.request_id == "rid-9"
    assert err.message.startswith("GLM used all of max_tokens before answering (finish_reason")
    assert err.message.endswith(
        "no tool call): thinking counts against max_tokens. Raise max_tokens, or lower "
        "reasoning_effort; pass empty_answer='return' to get the empty answer instead."
    )


def test_refusals_and_requirement_errors_say_what_to_do() -> None:
    mixed = [{"type": "web_search", "web_search": {}}, *TOOLS]
    with pytest.raises(E.GLMValidationError) as caught:
        plan_tool_choice(mixed, "c")
    assert caught.value.allowed == (
        "'auto', 'none', 'any', 'required', True, or one of the tools ['a', 'b']"
    )
    with pytest.raises(E.ToolChoiceError) as missing:
        check_reply("stop", [], "any", "rid", None)
    assert missing.value.message.endswith("answered with no tool call")
    with pytest.raises(E.ToolCallTruncatedError) as cut:
        check_reply("length", ["a"], None, "rid", None)
    assert cut.value.message.endswith("Raise max_tokens (reasoning counts against it).")


NESTED = {
    "type": "function",
    "function": {
        "name": "f",
        "parameters": {"type": "object", "properties": {"o": {"type": "object"}}},
    },
}


def test_nested_arguments_are_decoded_and_logged_by_tool_and_field(
    caplog: pytest.LogCaptureFixture,
) -> None:
    req = ChatRequest(model="glm-5", messages=[], tools=[NESTED])
    with caplog.at_level("INFO", logger="glm_transport"):
        out = apply_reply_policy(reply(("f", '{"o": "{\\"x\\": 1}"}')), req)
    assert out.tool_calls[0].arguments == '{"o": {"x": 1}}'
    assert "f.o" in caplog.text


def test_text_beside_a_json_schema_call_is_logged_and_the_call_is_the_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    req = ChatRequest(
        model="glm-5", messages=[], tools=[NESTED], structured_tool="f", required_tool="f"
    )
    with caplog.at_level("INFO", logger="glm_transport"):
        out = apply_reply_policy(reply(("f", '{"o": {}}'), content="Here you go"), req)
    assert out.content == '{"o": {}}'
    assert [r.getMessage() for r in caplog.records if "json_schema" in r.getMessage()] == [
        "GLM wrote text beside the json_schema call; the call is the answer"
    ]


def test_a_cut_reply_is_answered_unless_said_otherwise_and_forced_search_says_what_to_do() -> None:
    check_reply("length", [], None, "rid", None)  # answered by default: nothing to raise
    with pytest.raises(E.SearchMissingError) as caught:
        check_search({"require_search": True}, [], "rid")
    assert caught.value.message.endswith(
        "HTTP 200; check the account, or drop require_search to accept such answers."
    )
