"""Pure parsing of GLM responses, stream events and errors, including the wire reference's quirks."""

from __future__ import annotations

import json

import pytest

from glm_transport import errors as E
from glm_transport.parse import parse_completion, parse_error, parse_usage
from glm_transport.stream import StreamState


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


@pytest.mark.parametrize(
    ("status", "code", "cls", "retryable"),
    [
        (401, "1002", E.AuthenticationError, False),
        (429, "1113", E.PermissionDeniedError, False),
        (400, "1211", E.NotFoundError, False),
        (400, "1214", E.InvalidRequestError, False),
        (400, "1261", E.ContextOverflowError, False),
        (400, "1301", E.ContentFilterError, False),
        (429, "1302", E.RateLimitError, True),
        (429, "1303", E.RateLimitError, True),
        (429, "1305", E.RateLimitError, True),
        (429, "1312", E.RateLimitError, True),
        (429, "1304", E.QuotaExhaustedError, False),
        (429, "1308", E.QuotaExhaustedError, False),
        (429, "1310", E.QuotaExhaustedError, False),
        (500, "1234", E.ServerError, True),
        (503, None, E.ServerError, True),
        (408, None, E.APIError, True),
        (403, None, E.PermissionDeniedError, False),
        (404, None, E.NotFoundError, False),
        (429, None, E.RateLimitError, True),
    ],
)
def test_error_mapping_by_code_then_status(
    status: int, code: str | None, cls: type, retryable: bool
) -> None:
    body = {"error": {"code": code, "message": "m"}, "request_id": "rid-1"} if code else "oops"
    err = parse_error(status, body)
    assert type(err) is cls
    assert err.retryable is retryable
    assert err.status == status
    assert err.code == code
    if code:
        assert err.request_id == "rid-1"
        assert "rid-1" in str(err) and code in str(err)


def test_integer_codes_are_strings() -> None:
    assert parse_error(429, {"error": {"code": 1302, "message": "m"}}).code == "1302"


def test_openai_style_gateway_errors() -> None:
    err = parse_error(
        400, {"error": {"code": "content_policy_violation", "message": "no"}}, error_style="openai"
    )
    assert isinstance(err, E.ContentFilterError)
    assert isinstance(
        parse_error(403, {"error": {"message": "insufficient balance"}}, error_style="openai"),
        E.PermissionDeniedError,
    )


def test_request_id_from_headers() -> None:
    err = parse_error(500, {"error": {"code": "500", "message": "x"}}, {"x-request-id": "hdr"})
    assert err.request_id == "hdr"


def test_usage_absent_or_partial() -> None:
    assert parse_usage(None) is None
    u = parse_usage({"prompt_tokens": 3, "completion_tokens": 2})
    assert u is not None and (u.total_tokens, u.cached_tokens) == (5, 0)


def chunk(delta: dict | None = None, finish: str | None = None, **extra: object) -> dict:
    choice: dict = {"index": 0}
    if delta is not None:
        choice["delta"] = delta
    if finish:
        choice["finish_reason"] = finish
    return {
        "id": "20251001154016c72e2da818044216",
        "created": 1,
        "model": "glm-4.5",
        "choices": [choice],
        **extra,
    }


def test_stream_without_object_field_and_role_in_every_delta() -> None:
    st = StreamState()
    a = st.process(chunk({"role": "assistant", "content": "", "reasoning_content": "\n"}))
    b = st.process(chunk({"role": "assistant", "content": "Hi"}))
    assert a is not None and b is not None
    assert (a.reasoning_content, b.content) == ("\n", "Hi")
    assert a.id == "20251001154016c72e2da818044216" and b.id is None  # ids once, on the first


def test_duplicate_finish_chunks_give_one_finish_reason_and_one_usage() -> None:
    st = StreamState()
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    first = st.process(chunk({"role": "assistant", "content": ""}, "tool_calls", usage=usage))
    second = st.process(chunk({"role": "assistant", "content": ""}, "tool_calls", usage=usage))
    assert first is not None and second is not None
    assert first.finish_reason == "tool_calls" and second.finish_reason is None
    assert first.usage is not None and second.usage is None


def test_usage_in_a_trailing_chunk_without_choices() -> None:
    st = StreamState()
    st.process(chunk({"role": "assistant", "content": ""}, "stop"))
    tail = st.process(
        {"id": "x", "choices": [], "usage": {"prompt_tokens": 2, "completion_tokens": 3}}
    )
    assert tail is not None and tail.usage is not None and tail.usage.total_tokens == 5


def test_tool_calls_at_index_minus_one_stay_apart() -> None:
    st = StreamState()
    for i in range(2):
        st.process(
            chunk(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "index": -1,
                            "id": f"call_{i}",
                            "type": "function",
                            "function": {"name": f"f{i}", "arguments": json.dumps({"n": i})},
                        }
                    ],
                }
            )
        )
    calls = st.tools.complete()
    assert [(c.index, c.id, c.name, json.loads(c.arguments)) for c in calls] == [
        (0, "call_0", "f0", {"n": 0}),
        (1, "call_1", "f1", {"n": 1}),
    ]


def test_incremental_tool_stream_arguments_accumulate() -> None:
    st = StreamState()
    st.process(
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "c",
                        "type": "function",
                        "function": {"name": "add", "arguments": ""},
                    }
                ]
            }
        )
    )
    deltas = []
    for piece in ['{"a": ', '1, "b"', ": 2}"]:
        d = st.process(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
        assert d is not None and d.tool_calls is not None
        deltas.append(d.tool_calls[0])
    assert all(d.index == 0 and d.id is None for d in deltas)
    assert json.loads(st.tools.complete()[0].arguments) == {"a": 1, "b": 2}


def test_two_calls_in_one_delta() -> None:
    st = StreamState()
    st.process(
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "a", "function": {"name": "x", "arguments": "{}"}},
                    {"index": 1, "id": "b", "function": {"name": "y", "arguments": "{}"}},
                ]
            }
        )
    )
    assert [c.name for c in st.tools.complete()] == ["x", "y"]


def test_error_frame_inside_a_stream_raises_typed() -> None:
    with pytest.raises(E.ServerError) as info:
        StreamState().process({"error": {"code": "1234", "message": "Network error"}})
    assert info.value.code == "1234"


def test_frame_that_is_not_an_object() -> None:
    with pytest.raises(E.StreamInterruptedError):
        StreamState().process([1, 2])


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


def test_tags_are_separated_whatever_the_stream_split() -> None:
    from glm_transport.tags import split_tags

    text = "\n<think>A cat on a mat.</think><|begin_of_box|>A cat<|end_of_box|>"
    for size in (1, 2, 3, 5, 8, 13):
        st = StreamState()
        content = reasoning = ""
        for i in range(0, len(text), size):
            c = st.process(chunk({"role": "assistant", "content": text[i : i + size]}))
            content += c.content or ""  # type: ignore[union-attr]
            reasoning += c.reasoning_content or ""  # type: ignore[union-attr]
        tail = st.finish()
        if tail is not None:
            content += tail.content or ""
            reasoning += tail.reasoning_content or ""
        assert (content, reasoning) == split_tags(text) == ("A cat", "A cat on a mat."), size


def test_ordinary_content_with_angle_brackets_is_untouched() -> None:
    from glm_transport.tags import split_tags

    for text in ["a < b and <b>bold</b>", "\n\nHello", "<thinking is fun>", "x <|begin_of"]:
        assert split_tags(text) == (text, "")


def test_errors_keep_their_fields_through_pickle_and_conversion() -> None:
    import pickle

    err = parse_error(429, {"error": {"code": "1302", "message": "busy"}, "request_id": "r1"})
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is E.RateLimitError
    assert (back.status, back.code, back.request_id, back.retryable) == (429, "1302", "r1", True)
    from langchain_glm.errors import to_langchain_error

    lc = to_langchain_error(err)
    assert isinstance(lc, E.RateLimitError) and lc.is_retryable and lc.code == "1302"
