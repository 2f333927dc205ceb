"""stream.py: StreamReader owns [DONE], finish, cut streams and 'lost after finish'."""

from __future__ import annotations

import json

import pytest

from glm_transport import errors as E
from glm_transport.stream import StreamReader
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
    out += list(reader.close())
    return out


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
    assert isinstance(reader.interrupted(lost), E.StreamInterruptedError)  # chunks went out
    list(reader.feed(delta({}, "stop")))
    assert reader.interrupted(lost) is None  # only [DONE] was lost
    fresh = StreamReader()
    assert fresh.interrupted(lost) is lost  # nothing out yet: retryable as it is
    spent = E.APITimeoutError("budget", retryable=False)
    assert reader.interrupted(spent) is spent


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
