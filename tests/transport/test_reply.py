"""reply.py: tool choice planned once, and whole replies held to it."""

from __future__ import annotations

import pytest

from glm_transport import errors as E
from glm_transport.reply import apply_reply_policy, plan_tool_choice
from glm_transport.types import ChatCompletion, ChatRequest, ToolCall


def _tool(name: str) -> dict:
    return {"type": "function", "function": {"name": name, "parameters": {}}}


TOOLS = [_tool("a"), _tool("b")]


def _reply(*calls: tuple[str, str], finish: str = "tool_calls") -> ChatCompletion:
    return ChatCompletion(
        content="",
        reasoning_content=None,
        tool_calls=[ToolCall(f"c{i}", n, a, index=i) for i, (n, a) in enumerate(calls)],
        finish_reason=finish,
        usage=None,
        id="r",
        request_id="r",
        model="glm-5",
    )


@pytest.mark.parametrize(
    ("choice", "offered", "required"),
    [
        (None, ["a", "b"], None),
        ("auto", ["a", "b"], None),
        ("none", None, None),
        (False, None, None),
        ("any", ["a", "b"], "any"),
        ("required", ["a", "b"], "any"),
        (True, ["a", "b"], "any"),
        ("b", ["b"], "b"),
        ({"type": "function", "function": {"name": "b"}}, ["b"], "b"),
    ],
)
def test_plan_tool_choice(choice: object, offered: list[str] | None, required: str | None) -> None:
    tools, req = plan_tool_choice(TOOLS, choice)
    assert (None if tools is None else [t["function"]["name"] for t in tools]) == offered
    assert req == required


def test_unknown_tool_name_is_a_validation_error() -> None:
    with pytest.raises(E.GLMValidationError, match="tool_choice"):
        plan_tool_choice(TOOLS, "c")


def _request(**kw: object) -> ChatRequest:
    return ChatRequest(model="glm-5", messages=[], **kw)  # type: ignore[arg-type]


def test_max_tool_calls_drops_the_rest() -> None:
    out = apply_reply_policy(_reply(("a", "{}"), ("b", "{}")), _request(max_tool_calls=1))
    assert [c.name for c in out.tool_calls] == ["a"]


def test_required_tool_checked_on_the_kept_calls() -> None:
    with pytest.raises(E.ToolChoiceError, match="tool 'b'") as info:
        apply_reply_policy(
            _reply(("a", "{}"), ("b", "{}")), _request(max_tool_calls=1, required_tool="b")
        )
    assert info.value.reply is not None
    with pytest.raises(E.ToolChoiceError, match="a tool call"):
        apply_reply_policy(_reply(finish="stop"), _request(required_tool="any"))


def test_unparseable_arguments_count_as_a_call() -> None:
    out = apply_reply_policy(_reply(("b", '{"x": 1')), _request(required_tool="b"))
    assert out.tool_calls[0].arguments == '{"x": 1'


def test_a_call_cut_by_max_tokens_raises() -> None:
    with pytest.raises(E.ToolCallTruncatedError, match="cut off by max_tokens") as info:
        apply_reply_policy(_reply(("a", '{"x": '), finish="length"), _request())
    assert info.value.partial is not None
    # Text cut by max_tokens is an ordinary (short) answer.
    short = _reply(finish="length")
    short.content = "a short"
    assert apply_reply_policy(short, _request()).finish_reason == "length"
    # No text at all: the budget went before any answer (ReasoningExhaustedError), unless the
    # empty answer is asked for.
    empty = _reply(finish="length")
    empty.content = ""
    with pytest.raises(E.ReasoningExhaustedError, match="before answering"):
        apply_reply_policy(empty, _request())
    asked = _request()
    asked.empty_answer = "return"
    assert apply_reply_policy(empty, asked).content == ""
