"""parse.py: whole replies, usage and error bodies, including the wire reference's quirks."""

from __future__ import annotations

import json

import pytest

from glm_transport import errors as E
from glm_transport.parse import parse_completion, parse_error, parse_usage


def test_completion_with_reasoning_usage_and_request_id() -> None:
    body = {
        "id": "2025091420174501de064dedfa4b68",
        "request_id": "2025091420174501de064dedfa4b68",
        "created": 1,
        "model": "glm-4.6",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "\nHi", "reasoning_content": "\nthink"},
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 253},
        },
    }
    r = parse_completion(body)
    assert (r.content, r.reasoning_content, r.finish_reason) == ("\nHi", "\nthink", "stop")
    assert r.usage is not None
    assert (r.usage.cached_tokens, r.usage.reasoning_tokens, r.usage.total_tokens) == (4, 253, 15)
    assert r.request_id == body["request_id"]


@pytest.mark.parametrize("arguments", ['{"city": "Paris"}', {"city": "Paris"}])
def test_tool_call_arguments_as_string_or_object(arguments: object) -> None:
    body = {
        "id": "x",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": arguments},
                        }
                    ],
                },
            }
        ],
    }
    r = parse_completion(body)
    assert r.content == ""
    assert json.loads(r.tool_calls[0].arguments) == {"city": "Paris"}
    assert r.tool_calls[0].name == "get_weather"


def test_completion_without_choices_is_an_error_not_an_empty_answer() -> None:
    with pytest.raises(E.APIError, match="without choices"):
        parse_completion({"id": "x", "choices": []})


def test_error_body_in_a_200_response_raises_typed() -> None:
    with pytest.raises(E.RateLimitError):
        parse_completion({"error": {"code": "1302", "message": "busy"}})


def test_integer_codes_are_strings() -> None:
    assert parse_error(429, {"error": {"code": 1302, "message": "m"}}).code == "1302"


def test_request_id_from_headers() -> None:
    err = parse_error(500, {"error": {"code": "500", "message": "x"}}, {"x-request-id": "hdr"})
    assert err.request_id == "hdr"


def test_usage_absent_or_partial() -> None:
    assert parse_usage(None) is None
    u = parse_usage({"prompt_tokens": 3, "completion_tokens": 2})
    assert u is not None and (u.total_tokens, u.cached_tokens) == (5, 0)


def test_glm_45v_think_and_box_tags_in_a_whole_reply() -> None:
    body = {
        "id": "x",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {
                    "role": "assistant",
                    "content": "\n<think>A cat on a mat.</think><|begin_of_box|>A cat<|end_of_box|>",
                },
            }
        ],
    }
    r = parse_completion(body)
    assert (r.content, r.reasoning_content) == ("A cat", "A cat on a mat.")
