"""What a caller gets from a whole reply (issue 28): the fields it carries, and for a reply that
cannot be read, a typed error holding the request id and the body to look at."""

from __future__ import annotations

from typing import Any

import pytest

from glm_transport import errors as E
from glm_transport.parse import parse_completion, parse_usage


def reply(message: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    choice = {"index": 0, "finish_reason": "stop", "message": message or {"content": "hi"}}
    return {"choices": [choice], **top}


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ({"request_id": "req-1", "id": "id-1"}, "req-1"),
        ({"id": "id-1"}, "id-1"),
        ({"request_id": "", "id": "id-1"}, "id-1"),
        ({}, None),
    ],
)
def test_every_reply_and_every_error_carries_the_request_id(
    ids: dict[str, Any], expected: str | None
) -> None:
    assert parse_completion(reply(**ids)).request_id == expected
    broken: list[dict[str, Any]] = [
        {"choices": [], **ids},  # no choices
        {"choices": [{"index": 0, "message": "text"}], **ids},  # no message
        {"choices": [{"index": 0, "message": {"content": 5}}], **ids},  # odd shape
        {"choices": [{"index": 1, "message": {"content": "x"}}], **ids},  # another choice
    ]
    for body in broken:
        with pytest.raises(E.APIError) as caught:
            parse_completion(body)
        assert caught.value.request_id == (None if expected is None else str(expected)), body


def test_an_unreadable_reply_keeps_its_body_for_the_caller() -> None:
    for body in (
        {"choices": [], "id": "x"},
        {"choices": [{"index": 0, "message": "text"}]},
        {"choices": [{"index": 0, "message": {"content": 5}}]},
        ["not", "an", "object"],
    ):
        with pytest.raises(E.APIError) as caught:
            parse_completion(body)
        assert caught.value.body is body
    with pytest.raises(E.APIError, match="not a JSON object"):
        parse_completion("text")


def test_a_reply_with_another_choice_is_refused_and_not_retried() -> None:
    body = reply()
    body["choices"].append({"index": 1, "message": {"content": "other"}})
    with pytest.raises(E.ServerError) as caught:
        parse_completion(body)
    assert caught.value.retryable is False and "2 choices" in caught.value.message
    only = {"choices": [{"index": None, "message": {"content": "x"}, "finish_reason": "stop"}]}
    assert parse_completion(only).content == "x"


def test_every_field_of_a_reply_reaches_the_caller() -> None:
    results = [{"title": "t", "link": "https://example.invalid"}]
    body = reply(
        {
            "content": "answer",
            "tool_calls": [
                {"function": {"name": "f", "arguments": {"a": 1}}},
                {"id": "c9", "type": "function", "function": {"name": "g", "arguments": "{}"}},
                {"type": "mcp", "mcp": {"type": "mcp_call", "name": "lookup"}},
            ],
        },
        id="id-1",
        model="glm-5",
        created=1700000000,
        web_search=results,
    )
    r = parse_completion(body)
    assert [(c.id, c.name, c.arguments, c.type, c.index) for c in r.tool_calls] == [
        ("call_0", "f", '{"a": 1}', "function", 0),
        ("c9", "g", "{}", "function", 1),
    ]
    assert r.server_tool_calls == [{"type": "mcp", "mcp": {"type": "mcp_call", "name": "lookup"}}]
    assert (r.id, r.model, r.created, r.web_search) == ("id-1", "glm-5", 1700000000, results)
    assert r.web_search is not results
    plain = parse_completion(reply())
    assert (plain.web_search, plain.created, plain.server_tool_calls) == (None, None, None)


@pytest.mark.parametrize("count", ["12", True, [1]])
def test_a_token_count_that_is_no_number_is_refused(count: Any) -> None:
    with pytest.raises(TypeError):
        parse_usage({"prompt_tokens": count})
    with pytest.raises(E.APIError, match="unexpected shape"):
        parse_completion(reply(usage={"prompt_tokens": count}))


def test_usage_counts_and_their_defaults() -> None:
    u = parse_usage({"prompt_tokens": 3, "completion_tokens": 4.0})
    assert u is not None
    assert (u.prompt_tokens, u.completion_tokens, u.total_tokens) == (3, 4, 7)
    assert (u.cached_tokens, u.reasoning_tokens) == (0, 0)
    assert parse_usage({}) is None and parse_usage(None) is None


def test_each_unreadable_reply_says_what_was_missing() -> None:
    with pytest.raises(E.APIError) as caught:
        parse_completion({"choices": []})
    assert caught.value.message == "GLM returned a response without choices"
    with pytest.raises(E.APIError) as caught:
        parse_completion({"choices": [{"index": 0}]})
    assert caught.value.message == "GLM returned a choice without a message"
    with pytest.raises(E.ServerError) as other:
        parse_completion({"choices": [{"index": 1, "message": {"content": "x"}}]})
    assert other.value.message.startswith("GLM answered with 1 choices (first index 1);")


def test_a_call_without_a_name_has_an_empty_one() -> None:
    r = parse_completion(reply({"content": "", "tool_calls": [{"function": {"arguments": "{}"}}]}))
    assert [(c.name, c.arguments) for c in r.tool_calls] == [("", "{}")]


def test_usage_keeps_what_glm_sent() -> None:
    raw = {"prompt_tokens": 1, "completion_tokens": 2, "extra": "x"}
    u = parse_usage(raw)
    assert u is not None and u.raw == raw and u.raw is not raw
