"""What a caller of a stream sees (issue 28): every chunk once and on time, typed errors for frames
of an unexpected shape, tool calls assembled whatever the wire indices, nothing held back lost."""

from __future__ import annotations

import json
from typing import Any

import pytest

from glm_transport import errors as E
from glm_transport.stream import StreamReader, ToolCallAccumulator
from glm_transport.types import ChatRequest, StreamChunk


def frame(obj: Any, end: bytes = b"\n\n") -> bytes:
    return b"data: " + json.dumps(obj).encode() + end


def choice(delta: dict[str, Any] | None = None, finish: str | None = None, **top: Any) -> dict:
    c: dict[str, Any] = {"index": 0, "delta": delta or {}}
    if finish:
        c["finish_reason"] = finish
    return {"id": "r1", "model": "glm-5", "choices": [c], **top}


def run(reader: StreamReader, *reads: bytes) -> list[list[StreamChunk]]:
    """The chunks each read gave, then (last) what finish() gave."""
    out = [list(reader.feed(raw)) for raw in reads]
    out.append(list(reader.finish()))
    return out


def text(groups: list[list[StreamChunk]]) -> str:
    return "".join(c.content or "" for g in groups for c in g)


def test_each_delta_goes_out_with_the_read_that_brought_it_and_the_finish_last() -> None:
    reader = StreamReader()
    groups = run(
        reader,
        frame(choice({"content": "a"})),
        frame(choice({"content": "b"})),
        frame(choice({}, "stop")),
        b"data: [DONE]\n\n",
    )
    assert [[c.content for c in g] for g in groups[:2]] == [["a"], ["b"]]
    assert groups[2] == []  # the finish chunk waits for the end, to carry the last usage
    assert [c.finish_reason for c in groups[3]] == ["stop"]
    assert groups[4] == []  # finish() after [DONE] repeats nothing
    assert reader.done and reader.started
    assert reader.request_id == "r1"


def test_a_body_without_done_whose_last_event_is_unterminated_still_finishes() -> None:
    for end in (b"", b"\n", b"\r\n"):
        reader = StreamReader()
        groups = run(reader, frame(choice({"content": "hi"})), frame(choice({}, "stop"), end=end))
        finish = [c for g in groups for c in g if c.finish_reason]
        assert [c.finish_reason for c in finish] == ["stop"], end
        assert text(groups) == "hi"
        assert not reader.done


def test_a_body_cut_in_its_last_event_before_any_finish_is_interrupted() -> None:
    reader = StreamReader()
    with pytest.raises(E.StreamInterruptedError) as caught:
        run(reader, frame(choice({"content": "hi"})), b'data: {"choices": [{"del')
    assert caught.value.retryable is True


@pytest.mark.parametrize(
    "bad",
    [
        {"choices": "x"},
        {"choices": [{"index": 0, "delta": "text"}]},
        {"choices": [{"index": 0, "delta": {"content": 5}}]},
        {"choices": [{"index": 0, "delta": {"reasoning_content": ["a"]}}]},
        {"choices": [{"index": 0, "delta": {"tool_calls": 7}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": 3}]},
        {"choices": [{"index": 0}], "web_search": 5},
    ],
)
def test_a_frame_of_an_unexpected_shape_is_a_typed_retryable_error(bad: dict) -> None:
    reader = StreamReader()
    with pytest.raises(E.StreamInterruptedError) as caught:
        run(reader, frame(choice({"content": "ok"})), frame(bad))
    assert "unexpected shape" in caught.value.message
    assert caught.value.request_id == "r1"


@pytest.mark.parametrize("bad", [[1, 2], "text", 3, None])
def test_a_frame_that_is_not_an_object_is_a_typed_error(bad: Any) -> None:
    with pytest.raises(E.StreamInterruptedError, match="not a JSON object"):
        run(StreamReader(), frame(bad))


def test_a_frame_that_is_not_json_is_a_typed_error() -> None:
    with pytest.raises(E.StreamInterruptedError, match="not JSON"):
        run(StreamReader(), b"data: {oops\n\n")
    # Whitespace around a frame is JSON all the same.
    groups = run(
        StreamReader(),
        b'data:  {"choices": [{"delta": {"content": "x"}, "finish_reason": "stop"}]} \n\n',
    )
    assert text(groups) == "x"


def test_an_error_event_is_typed_by_its_code() -> None:
    raw = b'event: error\ndata: {"error": {"code": "1302", "message": "busy"}}\n\n'
    with pytest.raises(E.RateLimitError) as caught:
        run(StreamReader(), raw)
    assert caught.value.code == "1302" and caught.value.retryable is True
    with pytest.raises(E.APIError, match="plain words"):
        run(StreamReader(), b"event: error\ndata: plain words\n\n")


def test_a_piece_with_neither_index_nor_id_continues_the_last_call() -> None:
    acc = ToolCallAccumulator()
    acc.add({"index": 0, "id": "a", "function": {"name": "f", "arguments": '{"x"'}})
    acc.add({"function": {"arguments": ": 1}"}})
    (call,) = acc.complete()
    assert (call.id, call.name, call.arguments) == ("a", "f", '{"x": 1}')
    # The first piece of all, without index or id, is a call of its own.
    first = ToolCallAccumulator()
    first.add({"function": {"name": "g", "arguments": "{}"}})
    assert [(c.id, c.name, c.index) for c in first.complete()] == [("call_0", "g", 0)]


def test_a_new_id_at_a_used_index_is_a_new_call_and_the_same_id_continues() -> None:
    acc = ToolCallAccumulator()
    acc.add({"index": 0, "id": "a", "function": {"name": "f", "arguments": "{"}})
    acc.add({"index": 0, "id": "a", "function": {"arguments": "}"}})
    acc.add({"index": 0, "id": "b", "function": {"name": "g", "arguments": "{}"}})
    acc.add({"index": 0, "function": {"arguments": ""}})
    assert [(c.id, c.name, c.arguments, c.index) for c in acc.complete()] == [
        ("a", "f", "{}", 0),
        ("b", "g", "{}", 1),
    ]


def test_a_later_piece_fills_a_missing_id_and_name_but_never_replaces_them() -> None:
    acc = ToolCallAccumulator()
    acc.add({"index": 3, "function": {"arguments": "{"}})
    acc.add({"index": 3, "id": "late", "type": "function", "function": {"name": "f"}})
    acc.add({"index": 3, "function": {"name": "other", "arguments": "}"}})
    (call,) = acc.complete()
    assert (call.id, call.name, call.arguments, call.type) == ("late", "f", "{}", "function")


def test_streamed_tool_calls_reach_the_caller_whole_at_their_stable_positions() -> None:
    reader = StreamReader()
    pieces = [
        {"index": -1, "id": "a", "type": "function", "function": {"name": "f", "arguments": ""}},
        {"index": -1, "function": {"arguments": '{"q": 1}'}},
        {"index": -1, "id": "b", "type": "function", "function": {"name": "g", "arguments": "{}"}},
    ]
    groups = run(
        reader,
        *[frame(choice({"tool_calls": [p]})) for p in pieces],
        frame(choice({}, "tool_calls")),
    )
    got = [
        (d.index, d.id, d.name, d.arguments) for g in groups for c in g for d in c.tool_calls or []
    ]
    assert got == [(0, "a", "f", ""), (0, None, None, '{"q": 1}'), (1, "b", "g", "{}")]
    assert [c.finish_reason for g in groups for c in g if c.finish_reason] == ["tool_calls"]


def test_text_held_by_the_think_splitter_goes_out_at_the_end() -> None:
    # "<thi" could still become "<think>": held back, then released when the stream ends.
    for end in ([b"data: [DONE]\n\n"], []):
        groups = run(
            StreamReader(), frame(choice({"content": "<thi"})), frame(choice({}, "stop")), *end
        )
        assert text(groups) == "<thi"
        groups = run(
            StreamReader(),
            frame(choice({"content": "<think>plan</th"})),
            frame(choice({}, "stop")),
            *end,
        )
        reasoning = "".join(c.reasoning_content or "" for g in groups for c in g)
        assert (text(groups), reasoning) == ("", "plan</th")


def test_held_text_goes_out_even_when_the_stream_sent_no_finish_chunk_after_it() -> None:
    groups = run(StreamReader(), frame(choice({"content": "<|begin_of"}, "stop")))
    assert text(groups) == "<|begin_of"
    assert [c.finish_reason for g in groups for c in g if c.finish_reason] == ["stop"]


def test_web_search_results_in_a_stream_reach_the_caller_once() -> None:
    results = [{"title": "t", "link": "https://example.invalid/a"}]
    reader = StreamReader()
    groups = run(
        reader,
        frame(choice({}, web_search=results)),
        frame(choice({"content": "answer"})),
        frame(choice({}, "stop")),
    )
    got = [c.web_search for g in groups for c in g if c.web_search]
    assert got == [results]
    assert groups[0][0].web_search == results  # with the read that brought them
    assert text(groups) == "answer"


def test_forced_search_without_results_is_an_error_and_with_results_is_not() -> None:
    tools = [{"type": "web_search", "web_search": {"require_search": True}}]
    req = ChatRequest(model="glm-5", messages=[], tools=tools, search={"require_search": True})
    with pytest.raises(E.SearchMissingError):
        run(StreamReader(req), frame(choice({"content": "from memory"}, "stop")))
    results = [{"title": "t"}]
    groups = run(
        StreamReader(req), frame(choice({"content": "grounded"}, "stop", web_search=results))
    )
    assert text(groups) == "grounded"
    last = groups[-1][-1]
    assert last.search_args == {"require_search": True}


def test_offered_search_with_no_results_says_so_on_the_last_chunk() -> None:
    req = ChatRequest(model="glm-5", messages=[], search={})
    groups = run(StreamReader(req), frame(choice({"content": "x"}, "stop")))
    last = groups[-1][-1]
    assert last.web_search == [] and last.search_args == {}
    plain = run(StreamReader(), frame(choice({"content": "x"}, "stop")))
    assert plain[-1][-1].web_search is None and plain[-1][-1].search_args is None


def test_content_after_the_finish_keeps_its_order() -> None:
    groups = run(
        StreamReader(),
        frame(choice({"content": "a"}, "stop")),
        frame(choice({"content": "b"})),
        frame(choice({}, "stop")),
    )
    flat = [(c.content, c.finish_reason) for g in groups for c in g]
    assert flat == [("a", "stop"), ("b", None)]


def test_a_lost_connection_is_an_interruption_only_once_chunks_went_out() -> None:
    lost = E.APIConnectionError("reset")
    reader = StreamReader()
    assert reader.failure(lost) is lost  # nothing handed out: the call may be retried
    list(reader.feed(frame(choice({"content": "a"}))))
    err = reader.failure(lost)
    assert type(err) is E.StreamInterruptedError and "reset" in err.message
    assert err.request_id == "r1"
    not_retried = E.APIConnectionError("refused", retryable=False)
    assert reader.failure(not_retried) is not_retried
    assert reader.only_end_lost(not_retried) is False
    other = E.ServerError("x")
    assert reader.failure(other) is other


def test_a_call_without_a_type_or_id_is_completed_as_a_function_call() -> None:
    acc = ToolCallAccumulator()
    acc.add({"index": 0, "function": {"name": "f", "arguments": "{}"}})
    (call,) = acc.complete()
    assert (call.id, call.type, call.arguments) == ("call_0", "function", "{}")


def test_typed_errors_carry_the_streams_request_id_and_what_was_wrong() -> None:
    reader = StreamReader()
    with pytest.raises(E.StreamInterruptedError) as caught:
        run(reader, frame(choice({"content": "ok"})), frame([1, 2]))
    assert caught.value.request_id == "r1" and "[1, 2]" in caught.value.message
    other = {"id": "r1", "choices": [{"index": 1, "delta": {"content": "x"}}]}
    with pytest.raises(E.ServerError) as caught_other:
        run(StreamReader(), frame(choice({"content": "ok"})), frame(other))
    assert caught_other.value.request_id == "r1" and caught_other.value.retryable is False
    bad_usage = choice({}, "stop", usage=[3])
    with pytest.raises(E.StreamInterruptedError) as caught_usage:
        run(StreamReader(), frame(choice({"content": "ok"})), frame(bad_usage))
    assert caught_usage.value.request_id == "r1" and "[3]" in caught_usage.value.message


def test_a_frame_with_extra_data_after_its_json_is_not_json() -> None:
    with pytest.raises(E.StreamInterruptedError, match="not JSON"):
        run(StreamReader(), b'data: {"choices": []} x\n\n')


def test_a_stream_answering_another_request_is_refused_unread() -> None:
    reader = StreamReader()
    reader.expect("mine-123")
    with pytest.raises(E.APIConnectionError) as caught:
        run(reader, frame(choice({"content": "x"}, request_id="theirs-456")))
    assert caught.value.retryable is True and "theirs-456" in caught.value.message
    assert not reader.started
    ok = StreamReader()
    ok.expect("mine-123")
    groups = run(ok, frame(choice({"content": "x"}, "stop", request_id="mine-123")))
    assert text(groups) == "x" and ok.request_id == "mine-123"


def test_content_after_the_finish_counts_as_handed_out() -> None:
    reader = StreamReader()
    list(reader.feed(frame(choice({}, "stop"))))
    assert not reader.started  # the finish chunk is held back
    out = list(reader.feed(frame(choice({"content": "late"}))))
    assert [(c.finish_reason, c.content) for c in out] == [("stop", None), (None, "late")]
    assert reader.started
    assert type(reader.failure(E.APIConnectionError("reset"))) is E.StreamInterruptedError


NESTED = {
    "type": "function",
    "function": {
        "name": "f",
        "description": "",
        "parameters": {"type": "object", "properties": {"o": {"type": "object"}}},
    },
}


def calls_of(groups: list[list[StreamChunk]]) -> list[tuple[Any, ...]]:
    return [
        (d.index, d.id, d.name, d.arguments, d.type)
        for g in groups
        for c in g
        for d in c.tool_calls or []
    ]


def test_the_first_piece_of_a_streamed_call_says_its_type() -> None:
    piece = {
        "index": 0,
        "id": "a",
        "type": "function",
        "function": {"name": "g", "arguments": "{}"},
    }
    groups = run(
        StreamReader(), frame(choice({"tool_calls": [piece]})), frame(choice({}, "tool_calls"))
    )
    assert calls_of(groups) == [(0, "a", "g", "{}", "function")]


def test_a_piece_repeating_the_calls_index_and_id_is_part_of_that_call() -> None:
    first = {"index": 0, "id": "a", "type": "function", "function": {"name": "g", "arguments": "{"}}
    again = {"index": 0, "id": "a", "type": "function"}
    rest = {"index": 0, "function": {"arguments": "}"}}
    groups = run(
        StreamReader(),
        *[frame(choice({"tool_calls": [p]})) for p in (first, again, rest)],
        frame(choice({}, "tool_calls")),
    )
    assert all(c.server_tool_calls is None for g in groups for c in g)
    assert "".join(d.arguments or "" for g in groups for c in g for d in c.tool_calls or []) == "{}"


def test_held_nested_arguments_go_out_decoded_only_for_the_calls_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    req = ChatRequest(model="glm-5", messages=[], tools=[NESTED], max_tool_calls=1)
    pieces = [
        {
            "index": 0,
            "id": "a",
            "type": "function",
            "function": {"name": "f", "arguments": '{"o": "{\\"x\\": 1}"}'},
        },
        {
            "index": 1,
            "id": "b",
            "type": "function",
            "function": {"name": "f", "arguments": '{"o": "{}"}'},
        },
    ]
    with caplog.at_level("INFO", logger="glm_transport"):
        groups = run(
            StreamReader(req),
            frame(choice({"tool_calls": pieces})),
            frame(choice({}, "tool_calls")),
        )
    last = groups[-1][-1]
    assert [(d.index, d.arguments) for d in last.tool_calls or []] == [(0, '{"o": {"x": 1}}')]
    assert "f.o" in caplog.text  # the log names the tool and the field decoded


def test_server_calls_sent_in_pieces_come_back_whole() -> None:
    by_id = [
        {"id": "m1", "type": "mcp", "mcp": {"name": "lookup", "output": "ab"}},
        {"id": "m1", "type": "mcp", "mcp": {"output": "cd"}},
    ]
    by_index = [
        {"index": 2, "id": "m2", "type": "mcp", "mcp": {"name": "lookup", "output": "x"}},
        {"index": 2, "type": "mcp", "mcp": {"output": "y"}},
    ]
    for pieces, output in ((by_id, "abcd"), (by_index, "xy")):
        groups = run(
            StreamReader(),
            *[frame(choice({"tool_calls": [p]})) for p in pieces],
            frame(choice({"content": "done"}, "stop")),
        )
        server = [s for g in groups for c in g for s in c.server_tool_calls or []]
        assert len(server) == 1 and server[0]["mcp"] == {"name": "lookup", "output": output}
        assert calls_of(groups) == []


def test_the_model_and_a_cut_answer_reach_the_caller() -> None:
    groups = run(StreamReader(), frame(choice({"content": "partial"})), frame(choice({}, "length")))
    assert groups[0][0].model == "glm-5"
    assert text(groups) == "partial"  # content came: a cut answer, not an exhausted budget
    assert [c.finish_reason for g in groups for c in g if c.finish_reason] == ["length"]


def test_a_json_schema_answer_comes_as_the_content_once_and_text_beside_it_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    req = ChatRequest(
        model="glm-5", messages=[], tools=[NESTED], structured_tool="f", required_tool="f"
    )
    piece = {
        "index": 0,
        "id": "a",
        "type": "function",
        "function": {"name": "f", "arguments": '{"o": {}}'},
    }
    with caplog.at_level("INFO", logger="glm_transport"):
        groups = run(
            StreamReader(req),
            frame(choice({"content": "Here you go"})),
            frame(choice({"tool_calls": [piece]})),
            frame(choice({}, "tool_calls")),
        )
    assert groups[0][0].content is None  # text beside the call is not the answer
    assert text(groups) == '{"o": {}}'
    assert [r.getMessage() for r in caplog.records if "json_schema" in r.getMessage()] == [
        "GLM wrote text beside the json_schema call; the call is the answer"
    ]


def test_results_after_the_finish_still_reach_the_caller() -> None:
    results = [{"title": "t"}]
    groups = run(
        StreamReader(),
        frame(choice({"content": "a"}, "stop")),
        frame({"id": "r1", "choices": [], "web_search": results}),
    )
    assert [c.web_search for g in groups for c in g if c.web_search] == [results]


def test_a_frame_that_is_not_json_carries_the_streams_request_id() -> None:
    with pytest.raises(E.StreamInterruptedError) as caught:
        run(StreamReader(), frame(choice({"content": "a"})), b"data: {oops\n\n")
    assert caught.value.request_id == "r1"
