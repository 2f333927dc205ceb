"""stream.py: StreamReader owns [DONE], finish, cut streams and 'lost after finish'; StreamState
and ToolCallAccumulator turn frames into chunks, with the wire reference's quirks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from glm_transport import errors as E
from glm_transport.stream import StreamReader, StreamState, ToolCallAccumulator
from glm_transport.tags import split_tags
from glm_transport.types import ChatRequest


def frame(obj: object) -> bytes:
    return b"data: " + json.dumps(obj).encode() + b"\n\n"


def delta(d: dict, finish: str | None = None) -> bytes:
    return frame({"id": "r1", "model": "glm-5", "choices": [{"delta": d, "finish_reason": finish}]})


def call(index: int, name: str | None, args: str, call_id: str | None = None) -> dict:
    piece: dict = {"index": index, "type": "function", "function": {"arguments": args}}
    if name:
        piece["function"]["name"] = name
        piece["id"] = call_id or f"c{index}"
    return piece


def read(reader: StreamReader, *reads: bytes) -> list:
    out = []
    for raw in reads:
        out += list(reader.feed(raw))
    out += list(reader.finish())
    return out


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


def test_done_ends_the_stream() -> None:
    reader = StreamReader()
    chunks = read(reader, delta({"content": "hi"}, "stop"), b"data: [DONE]\n\n")
    assert reader.done and [c.content for c in chunks] == ["hi"]


def test_a_stream_cut_before_finish_raises() -> None:
    with pytest.raises(E.StreamInterruptedError, match="incomplete"):
        read(StreamReader(), delta({"content": "hi"}))


def test_finish_without_done_is_complete() -> None:
    assert read(StreamReader(), delta({"content": "hi"}, "stop"))[-1].finish_reason == "stop"


def test_lost_after_finish_is_complete_and_before_is_interrupted() -> None:
    lost = E.APIConnectionError("reset")
    reader = StreamReader()
    list(reader.feed(delta({"content": "a"})))
    assert not reader.only_end_lost(lost)
    assert isinstance(reader.failure(lost), E.StreamInterruptedError)  # chunks went out
    list(reader.feed(delta({}, "stop")))
    assert reader.only_end_lost(lost)  # only [DONE] was lost
    fresh = StreamReader()
    assert not fresh.only_end_lost(lost)
    assert fresh.failure(lost) is lost  # nothing out yet: retryable as it is
    spent = E.APITimeoutError("budget", retryable=False)
    assert not reader.only_end_lost(spent)
    assert reader.failure(spent) is spent


def test_max_tool_calls_drops_later_calls_in_the_stream() -> None:
    reader = StreamReader(ChatRequest(model="m", messages=[], max_tool_calls=1))
    chunks = read(
        reader,
        delta({"tool_calls": [call(0, "a", '{"x": 1}')]}),
        delta({"tool_calls": [call(1, "b", '{"y": 2}')]}, "tool_calls"),
    )
    names = [d.name for c in chunks for d in c.tool_calls or []]
    assert names == ["a"]


def test_required_tool_checked_at_the_end() -> None:
    reader = StreamReader(ChatRequest(model="m", messages=[], required_tool="b"))
    with pytest.raises(E.ToolChoiceError, match="tool 'b'"):
        read(reader, delta({"tool_calls": [call(0, "a", "{}")]}, "tool_calls"))


def test_truncated_call_raises_and_invalid_calls_are_flagged() -> None:
    with pytest.raises(E.ToolCallTruncatedError):
        read(StreamReader(), delta({"tool_calls": [call(0, "a", '{"x": ')]}, "length"))
    chunks = read(StreamReader(), delta({"tool_calls": [call(0, "a", '{"x": ')]}, "tool_calls"))
    assert chunks[-1].invalid_tool_calls == ["a"]


def test_error_frame_and_deep_json() -> None:
    with pytest.raises(E.ServerError):
        read(StreamReader(), b'event: error\ndata: {"error": {"code": "1234"}}\n\n')
    with pytest.raises(E.StreamInterruptedError, match="not JSON"):
        read(StreamReader(), b"data: " + b"[" * 100_000 + b"\n\n")


def test_stream_without_object_field_and_role_in_every_delta() -> None:
    st = StreamState()
    a = st.process(chunk({"role": "assistant", "content": "", "reasoning_content": "\n"}))
    b = st.process(chunk({"role": "assistant", "content": "Hi"}))
    assert a is not None and b is not None
    assert (a.reasoning_content, b.content) == ("\n", "Hi")
    assert a.id == "20251001154016c72e2da818044216" and b.id is None  # ids once, on the first


def test_duplicate_finish_chunks_give_one_finish_reason_and_one_usage() -> None:
    usage = {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
    finish = frame(chunk({"role": "assistant", "content": ""}, "tool_calls", usage=usage))
    chunks = read(StreamReader(), finish, finish, b"data: [DONE]\n\n")
    assert [c.finish_reason for c in chunks] == ["tool_calls"]
    assert [c.usage.total_tokens for c in chunks if c.usage] == [2]


def test_usage_in_a_trailing_chunk_without_choices() -> None:
    trailing = {"id": "x", "choices": [], "usage": {"prompt_tokens": 2, "completion_tokens": 3}}
    chunks = read(
        StreamReader(),
        frame(chunk({"role": "assistant", "content": "hi"}, "stop")),
        frame(trailing),
        b"data: [DONE]\n\n",
    )
    # The finish chunk goes out last and carries the usage, in its raw frame too.
    (last,) = chunks
    assert last.content == "hi" and last.finish_reason == "stop"
    assert last.usage is not None and last.usage.total_tokens == 5
    assert last.raw is not None and last.raw["usage"] == trailing["usage"]


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


def test_tags_are_separated_whatever_the_stream_split() -> None:
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


SHARED_INDEX = [
    {"index": -1, "id": "a", "function": {"name": "f", "arguments": ""}},
    {"index": -1, "function": {"arguments": '{"x": 1}'}},
    {"index": -1, "id": "b", "function": {"name": "g", "arguments": '{"y"'}},
    {"index": -1, "function": {"arguments": ": 2}"}},
]
INTERLEAVED_LATE_ID = [
    {"index": 0, "function": {"name": "f", "arguments": '{"a": '}},
    {"index": 1, "id": "c1", "function": {"name": "g", "arguments": "{"}},
    {"index": 0, "id": "late", "function": {"arguments": "1}"}},
    {"index": 1, "function": {"arguments": "}"}},
    {"index": 2, "function": {"name": "h", "arguments": "{}"}},
]


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (SHARED_INDEX, [("a", "f", {"x": 1}), ("b", "g", {"y": 2})]),
        (INTERLEAVED_LATE_ID, [("late", "f", {"a": 1}), ("c1", "g", {}), ("call_2", "h", {})]),
    ],
    ids=["shared-index", "interleaved-late-id"],
)
def test_folding_placed_pieces_gives_the_calls_adding_them_gave(
    pieces: list[dict[str, Any]], expected: list[tuple[str, str, Any]]
) -> None:
    # What a framework does with a stream's chunks: fold the pieces add() placed.
    placing, folding = ToolCallAccumulator(), ToolCallAccumulator()
    for raw in pieces:
        folding.fold(placing.add(raw))
    assert folding.complete() == placing.complete()
    assert [(c.id, c.name, json.loads(c.arguments)) for c in folding.complete()] == expected
