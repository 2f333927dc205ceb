"""Property-based tests (hypothesis): decoders, parsers and converters never crash with anything
but our typed errors, never hang, and SSE decoding does not depend on how reads are split."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glm_transport import GLMError
from glm_transport.parse import parse_completion, parse_error
from glm_transport.sse import SSEDecoder
from glm_transport.stream import StreamState

MANY = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
# Dicts shaped like GLM bodies, with hostile values in the right places.
glm_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "model": json_values,
        "request_id": json_values,
        "error": json_values,
        "usage": json_values,
        "web_search": json_values,
        "choices": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "delta": st.fixed_dictionaries(
                        {},
                        optional={
                            "content": json_values,
                            "reasoning_content": json_values,
                            "tool_calls": st.lists(
                                st.fixed_dictionaries(
                                    {},
                                    optional={
                                        "index": json_values,
                                        "id": json_values,
                                        "type": json_values,
                                        "function": st.fixed_dictionaries(
                                            {},
                                            optional={
                                                "name": json_values,
                                                "arguments": json_values,
                                            },
                                        ),
                                    },
                                ),
                                max_size=3,
                            ),
                        },
                    ),
                    "message": json_values,
                    "finish_reason": json_values,
                    "index": json_values,
                },
            ),
            max_size=2,
        ),
    },
)


def _events(data: bytes, cuts: list[int]) -> list[tuple[str, str]]:
    dec = SSEDecoder()
    out: list[tuple[str, str]] = []
    last = 0
    for cut in sorted(cuts):
        out += [(e.event, e.data) for e in dec.feed(data[last:cut])]
        last = cut
    out += [(e.event, e.data) for e in dec.feed(data[last:])]
    out += [(e.event, e.data) for e in dec.flush()]
    return out


@MANY
@given(st.binary(max_size=400), st.lists(st.integers(0, 400), max_size=8))
def test_sse_any_bytes_any_split(data: bytes, cuts: list[int]) -> None:
    cuts = [c for c in cuts if c <= len(data)]
    assert _events(data, cuts) == _events(data, [])


sse_lines = st.lists(
    st.sampled_from(
        [
            b'data: {"a":1}',
            b"data: [DONE]",
            b": ping",
            b"event: error",
            b"data:",
            b"",
            b"id: 3",
            b"data: x",
            b"retry: 10",
        ]
    ),
    max_size=30,
)


@MANY
@given(
    sse_lines, st.sampled_from([b"\n", b"\r\n", b"\r"]), st.lists(st.integers(0, 300), max_size=6)
)
def test_sse_structured_streams_split_invariant(
    lines: list[bytes], sep: bytes, cuts: list[int]
) -> None:
    data = sep.join(lines) + sep
    cuts = [c for c in cuts if c <= len(data)]
    assert _events(data, cuts) == _events(data, [])


@MANY
@given(st.one_of(json_values, glm_like))
def test_parse_completion_only_raises_typed_errors(body: Any) -> None:
    try:
        result = parse_completion(body)
    except GLMError:
        return
    assert isinstance(result.content, str)
    assert all(isinstance(tc.arguments, str) for tc in result.tool_calls)


@MANY
@given(st.lists(st.one_of(json_values, glm_like), max_size=6))
def test_stream_state_only_raises_typed_errors(events: list[Any]) -> None:
    state = StreamState()
    try:
        for event in events:
            chunk = state.process(event)
            if chunk is not None:
                assert chunk.content is None or isinstance(chunk.content, str)
    except GLMError:
        return
    for call in state.tools.complete():
        assert isinstance(call.arguments, str) and isinstance(call.name, str)


@MANY
@given(st.one_of(st.none(), st.integers(100, 599)), json_values)
def test_parse_error_always_gives_a_typed_error(status: int | None, body: Any) -> None:
    err = parse_error(status, body)
    assert isinstance(err, GLMError) and str(err)


@MANY
@given(st.text(max_size=200))
def test_json_frames_of_any_text(text: str) -> None:
    try:
        StreamState().process(json.loads(text))
    except (ValueError, GLMError):
        pass


message_parts = st.one_of(
    st.text(max_size=10),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["text", "image", "image_url", "file", "video", "audio", "weird", "reasoning"]
            )
        },
        optional={
            "text": json_values,
            "url": json_values,
            "base64": json_values,
            "image_url": json_values,
            "mime_type": json_values,
        },
    ),
)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["system", "human", "ai", "tool"]),
            st.one_of(st.text(max_size=20), st.lists(message_parts, max_size=3)),
        ),
        max_size=5,
    )
)
def test_langchain_converter_only_raises_validation_errors(spec: list[tuple[str, Any]]) -> None:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    from langchain_glm._convert import to_wire_messages

    make = {
        "system": SystemMessage,
        "human": HumanMessage,
        "ai": AIMessage,
        "tool": lambda c: ToolMessage(c, tool_call_id="t1"),
    }
    try:
        messages = [make[role](content) for role, content in spec]  # type: ignore[operator]
    except Exception:
        return  # LangChain itself refused the content: not ours to test
    try:
        wire = to_wire_messages(messages)
    except GLMError:
        return
    assert len(wire) == len(messages)
    json.dumps(wire)


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["system", "user", "assistant", "tool"]),
            st.text(max_size=20),
            st.dictionaries(
                st.sampled_from(["tool_call_id", "tool_calls", "reasoning_content"]),
                json_values,
                max_size=2,
            ),
        ),
        max_size=5,
    )
)
def test_llama_index_converter_only_raises_validation_errors(
    spec: list[tuple[str, str, dict[str, Any]]],
) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    from llama_index_glm._convert import to_wire_messages

    messages = [ChatMessage(role=r, content=c, additional_kwargs=k) for r, c, k in spec]
    try:
        wire = to_wire_messages(messages)
    except GLMError:
        return
    except (TypeError, AttributeError, ValueError) as exc:  # pragma: no cover - a real bug
        raise AssertionError(f"untyped error from the converter: {exc!r}") from exc
    json.dumps(wire)


@MANY
@given(
    st.lists(
        st.sampled_from(
            [
                "<think>",
                "</think>",
                "<|begin_of_box|>",
                "<|end_of_box|>",
                "<",
                "|",
                "think",
                ">",
                "a",
                " ",
                "\n",
                "<thi",
                "box|>",
            ]
        ),
        max_size=12,
    ),
    st.lists(st.integers(0, 120), max_size=6),
)
def test_tag_splitting_does_not_depend_on_chunking(parts: list[str], cuts: list[int]) -> None:
    from glm_transport.tags import TagSplitter, split_tags

    text = "".join(parts)
    points = sorted({c for c in cuts if c <= len(text)} | {0, len(text)})
    splitter = TagSplitter()
    outs = [splitter.feed(text[a:b]) for a, b in itertools.pairwise(points)]
    outs.append(splitter.flush())
    assert ("".join(o[0] for o in outs), "".join(o[1] for o in outs)) == split_tags(text)
